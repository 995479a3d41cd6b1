//! The probe report as text for a terminal or a ticket, or as JSON for scripts. The text says
//! each check's state and summary, then every call with its rate-limit headers; both renderings
//! carry the same facts, and neither holds a secret or user data (the report holds none).

use super::report::{AuthKind, ProbeReport};
use serde::Serialize;
use std::fmt::Write;

/// How to render a probe report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Lines for people.
    #[default]
    Text,
    /// The [`ProbeReport`] as pretty JSON.
    Json,
}

/// Renders the report.
pub fn render(report: &ProbeReport, format: Format) -> anyhow::Result<Vec<u8>> {
    match format {
        Format::Json => {
            let mut out = serde_json::to_vec_pretty(report)?;
            out.push(b'\n');
            Ok(out)
        }
        Format::Text => Ok(text(report).into_bytes()),
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// The text rendering.
pub fn text(r: &ProbeReport) -> String {
    let mut out = String::new();
    let auth = match r.auth {
        AuthKind::Ssws => "SSWS token",
        AuthKind::OAuth => "OAuth app",
    };
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "{} probe of {} ({auth}), {}",
        r.tool,
        r.org,
        r.started.format("%Y-%m-%d %H:%M:%S UTC")
    );
    let _ = writeln!(out, "{} GETs (at most {}), no write\n", r.gets, r.max_gets);
    let checks = r.checks();
    let name_width = checks.iter().map(|(n, _, _)| n.len()).max().unwrap_or(0);
    for (name, state, summary) in &checks {
        let _ = writeln!(out, "{:<8} {name:<name_width$}  {summary}", state.as_str());
    }
    let _ = writeln!(out, "\ncalls (resets in = X-Rate-Limit-Reset minus Date):");
    let rows: Vec<[String; 6]> = r
        .calls
        .iter()
        .map(|c| {
            let status = match (c.status, &c.error_code, &c.no_answer) {
                (Some(s), Some(code), _) => format!("{s} {code}"),
                (Some(s), None, _) => s.to_string(),
                (None, _, Some(why)) => why.clone(),
                (None, _, None) => "-".into(),
            };
            [
                c.n.to_string(),
                c.request.clone(),
                status,
                opt(c.limit),
                opt(c.remaining),
                c.reset_in_seconds.map_or("-".into(), |s| format!("{s} s")),
            ]
        })
        .collect();
    let header = ["#", "request", "status", "limit", "remaining", "resets in"].map(String::from);
    let mut widths = [0usize; 6];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (cell, w))| {
                if i == 0 {
                    format!("{cell:>w$}")
                } else {
                    format!("{cell:<w$}")
                }
            })
            .collect();
        let _ = writeln!(out, "  {}", line.join("  ").trim_end());
    }
    let open: Vec<String> = checks
        .iter()
        .filter(|(_, s, _)| s.needs_attention())
        .map(|(n, s, _)| format!("{n} ({})", s.as_str()))
        .collect();
    let _ = match open.len() {
        0 => writeln!(out, "\nall checks passed"),
        1 => writeln!(out, "\n1 check needs attention: {}", open.join(", ")),
        n => writeln!(out, "\n{n} checks need attention: {}", open.join(", ")),
    };
    out
}
