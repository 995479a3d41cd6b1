//! The Markdown view: for tickets and wikis. Tables are cut at [`TABLE_ROWS`] rows with a note
//! pointing to the CSV export.

use super::{options_text, AuditReport, Row, NO_SECRETS, TABLE_ROWS};
use crate::markup::md_cell as cell;
use crate::okta::models::okta_time;
use std::fmt::Write as _;

fn opt(s: &Option<String>) -> String {
    s.as_deref().map(cell).unwrap_or_default()
}

fn truncated(out: &mut String, shown: usize, total: usize) {
    if total > shown {
        let _ = writeln!(
            out,
            "\n_Showing {shown} of {total}; the CSV export (`ykprov report --format csv`) has them all._"
        );
    }
}

fn serial_list(out: &mut String, title: &str, serials: &[String]) {
    if serials.is_empty() {
        return;
    }
    let shown: Vec<String> = serials.iter().take(TABLE_ROWS).map(|s| cell(s)).collect();
    let more = if serials.len() > TABLE_ROWS {
        format!(" … and {} more (see the CSV export)", serials.len() - TABLE_ROWS)
    } else {
        String::new()
    };
    let _ = writeln!(out, "- {title} ({}): {}{more}", serials.len(), shown.join(", "));
}

fn runs(out: &mut String, r: &AuditReport) {
    let _ = writeln!(out, "## Runs\n");
    if r.runs.is_empty() {
        let _ = writeln!(out, "No upload journal was given.\n");
        return;
    }
    let _ = writeln!(
        out,
        "| Run | Operator | Org | Input | SHA-256 | Started | Ended | Options | Finished |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
    for run in &r.runs {
        let finished = match run.interrupted {
            Some(false) => "yes",
            Some(true) => "interrupted",
            None => "no summary (crashed?)",
        };
        let _ = writeln!(
            out,
            "| {}{} | {} | {} | {} | `{}` | {} | {} | {} | {} |",
            cell(&run.header.run_id),
            if run.header.resumed { " (resumed)" } else { "" },
            cell(&run.header.operator),
            cell(&run.header.org),
            cell(&run.header.input),
            cell(&run.header.input_sha256),
            cell(&okta_time::format(&run.header.started)),
            opt(&run.ended),
            cell(&options_text(&run.header.options)),
            finished
        );
    }
    out.push('\n');
}

fn anomalies(out: &mut String, r: &AuditReport) {
    let a = &r.anomalies;
    let _ = writeln!(out, "## Anomalies\n");
    let _ = writeln!(
        out,
        "- 429 responses: {} rate limit, {} concurrency limit",
        a.rate_limited, a.concurrency_limited
    );
    let _ = writeln!(out, "- Retries: {}", a.retries);
    let _ = writeln!(out, "- In-doubt lookups: {}", a.in_doubt_lookups);
    serial_list(
        out,
        "Uploads confirmed by lookup after a lost answer",
        &a.confirmed_by_lookup,
    );
    let retried: Vec<String> = a
        .retried
        .iter()
        .map(|x| format!("{} ({} attempts)", x.serial, x.attempts))
        .collect();
    serial_list(out, "Sent more than once", &retried);
    serial_list(out, "Still in doubt (request sent, no outcome)", &a.in_doubt);
    serial_list(out, "Runs without a summary", &a.unfinished_runs);
    serial_list(out, "Unreadable journal lines", &a.unreadable_lines);
    out.push('\n');
}

fn reconciliation(out: &mut String, r: &AuditReport) {
    let Some(rec) = &r.reconciliation else {
        return;
    };
    let _ = writeln!(out, "## Reconciliation\n");
    let files: Vec<String> = rec
        .files
        .iter()
        .map(|f| format!("{} (`{}`)", cell(&f.path), cell(&f.sha256)))
        .collect();
    let _ = writeln!(
        out,
        "Against {} at {}, scope {}, {} tokens in Okta; files: {}.\n",
        cell(&rec.org),
        cell(&rec.generated_at),
        cell(&rec.scope),
        rec.okta_tokens,
        if files.is_empty() {
            "none".to_string()
        } else {
            files.join(", ")
        }
    );
    let _ = writeln!(out, "| Category | Count | Needs action |\n|---|---:|---|");
    for c in crate::reconcile::diff::Category::ALL {
        let n = rec.counts.get(c.name()).copied().unwrap_or(0);
        let action = if rec.fail_on.iter().any(|f| f == c.name()) && n > 0 {
            "yes"
        } else {
            ""
        };
        let _ = writeln!(out, "| {} | {n} | {action} |", c.name());
    }
    out.push('\n');
    if !rec.needs_action.is_empty() {
        let _ = writeln!(out, "### Needs action\n");
        let _ = writeln!(
            out,
            "| Serial | Category | Status | Token id | User | File:line |\n|---|---|---|---|---|---|"
        );
        for i in rec.needs_action.iter().take(TABLE_ROWS) {
            let place = match (&i.file, i.line) {
                (Some(f), Some(l)) => format!("{}:{l}", cell(f)),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {place} |",
                cell(&i.serial),
                i.category.name(),
                opt(&i.status),
                opt(&i.token_id),
                i.login
                    .as_deref()
                    .or(i.user_id.as_deref())
                    .map(cell)
                    .unwrap_or_default(),
            );
        }
        truncated(out, TABLE_ROWS, rec.needs_action.len());
        out.push('\n');
    }
    if !rec.invalid.is_empty() {
        let _ = writeln!(
            out,
            "### Invalid rows\n\n| File | Line | Serial | Field | Reason |\n|---|---:|---|---|---|"
        );
        for i in rec.invalid.iter().take(TABLE_ROWS) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                cell(&i.file),
                i.line,
                opt(&i.serial),
                opt(&i.field),
                cell(&i.reason)
            );
        }
        truncated(out, TABLE_ROWS, rec.invalid.len());
        out.push('\n');
    }
}

/// The error column: code, summary, causes.
pub(super) fn problem(row: &Row) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(e) = &row.error {
        parts.push(e.clone());
    }
    parts.extend(row.causes.iter().cloned());
    parts.join("; ")
}

fn serials(out: &mut String, r: &AuditReport) {
    let _ = writeln!(out, "## Serials\n");
    if r.rows.is_empty() {
        let _ = writeln!(out, "No serials.\n");
        return;
    }
    let _ = writeln!(
        out,
        "| Serial | Outcome | Token id | Status | User | Request id | Error code | Error and causes |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for row in r.rows.iter().take(TABLE_ROWS) {
        let serial = match (&row.serial, row.line) {
            (Some(s), _) => cell(s),
            (None, Some(l)) => format!("(line {l})"),
            (None, None) => String::new(),
        };
        let mut outcome = row.outcome.map(|k| k.as_str().to_string()).unwrap_or_default();
        if row.confirmed_by_lookup {
            outcome.push_str(" (confirmed by lookup)");
        }
        let _ = writeln!(
            out,
            "| {serial} | {outcome} | {} | {} | {} | {} | {} | {} |",
            opt(&row.token_id),
            opt(&row.status),
            opt(&row.user),
            opt(&row.request_id),
            opt(&row.error_code),
            cell(&problem(row)),
        );
    }
    truncated(out, TABLE_ROWS, r.rows.len());
    out.push('\n');
}

/// Renders the Markdown report.
pub fn render(r: &AuditReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# ykprov audit report\n");
    let _ = writeln!(
        out,
        "Generated {} by ykprov {}; journals: {}.\n",
        cell(&r.generated_at),
        cell(&r.tool_version),
        if r.journals.is_empty() {
            "none".to_string()
        } else {
            r.journals.iter().map(|j| cell(j)).collect::<Vec<_>>().join(", ")
        }
    );
    runs(&mut out, r);
    let _ = writeln!(out, "## Outcomes\n\n| Outcome | Count |\n|---|---:|");
    for (kind, n) in r.outcomes.pairs() {
        let _ = writeln!(out, "| {} | {n} |", kind.as_str());
    }
    out.push('\n');
    anomalies(&mut out, r);
    reconciliation(&mut out, r);
    serials(&mut out, r);
    let _ = writeln!(out, "---\n\n{NO_SECRETS} ykprov {}.", cell(&r.tool_version));
    out
}
