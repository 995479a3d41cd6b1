//! Rendering a reconciliation: a short terminal table, JSON for machines, CSV for spreadsheets
//! (formula-safe), Markdown for tickets. Order is deterministic (by serial).

use super::diff::{Category, Item};
use super::ReconcileResult;
use crate::okta::inventory::csv_safe;
use std::fmt::Write as _;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Counts and the first rows of each actionable category.
    #[default]
    Text,
    /// The whole result.
    Json,
    /// One row per serial.
    Csv,
    /// Markdown tables.
    Md,
}

/// How many rows of each category the text and Markdown views list.
const FIRST_ROWS: usize = 10;

fn who(i: &Item) -> String {
    match (&i.login, &i.user_id) {
        (Some(l), _) => l.clone(),
        (None, Some(u)) => u.clone(),
        _ => String::new(),
    }
}

fn where_(i: &Item) -> String {
    match (&i.file, i.line) {
        (Some(f), Some(l)) => format!("{f}:{l}"),
        _ => String::new(),
    }
}

/// The terminal view.
pub fn text(r: &ReconcileResult) -> String {
    let rec = &r.reconciliation;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "reconciliation of {} against {} ({} tokens in Okta)",
        r.files.join(", "),
        r.org,
        r.okta_tokens
    );
    for c in Category::ALL {
        let n = rec.count(&c);
        let flag = if r.fail_on.contains(&c) && n > 0 {
            "  <- action needed"
        } else {
            ""
        };
        let _ = writeln!(out, "  {:<11} {:>7}{flag}", c.name(), n);
    }
    for c in Category::ALL
        .iter()
        .filter(|c| r.fail_on.contains(c) || matches!(c, Category::Stale))
    {
        if *c == Category::Invalid {
            for bad in rec.invalid.iter().take(FIRST_ROWS) {
                let _ = writeln!(
                    out,
                    "invalid  {}:{}: {} {}",
                    bad.file,
                    bad.line,
                    bad.field.as_deref().unwrap_or("row"),
                    bad.reason
                );
            }
            continue;
        }
        let items: Vec<&Item> = rec.of(c).collect();
        for i in items.iter().take(FIRST_ROWS) {
            let _ = writeln!(
                out,
                "{:<8} {} {} {} {}",
                c.name(),
                i.serial,
                i.status.as_deref().unwrap_or("-"),
                who(i),
                where_(i)
            );
        }
        if items.len() > FIRST_ROWS {
            let _ = writeln!(
                out,
                "{:<8} … and {} more (use --format csv for the full list)",
                c.name(),
                items.len() - FIRST_ROWS
            );
        }
    }
    out
}

/// The CSV view: every serial, then the invalid rows.
pub fn csv(r: &ReconcileResult) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "serial",
        "category",
        "status",
        "tokenId",
        "userId",
        "login",
        "lastVerified",
        "file",
        "line",
        "detail",
    ])?;
    for i in &r.reconciliation.items {
        let line = i.line.map(|l| l.to_string()).unwrap_or_default();
        w.write_record([
            csv_safe(&i.serial).as_ref(),
            i.category.name(),
            csv_safe(i.status.as_deref().unwrap_or("")).as_ref(),
            csv_safe(i.token_id.as_deref().unwrap_or("")).as_ref(),
            csv_safe(i.user_id.as_deref().unwrap_or("")).as_ref(),
            csv_safe(i.login.as_deref().unwrap_or("")).as_ref(),
            i.last_verified.as_deref().unwrap_or(""),
            csv_safe(i.file.as_deref().unwrap_or("")).as_ref(),
            &line,
            "",
        ])?;
    }
    for bad in &r.reconciliation.invalid {
        let detail = format!("{} {}", bad.field.as_deref().unwrap_or("row"), bad.reason);
        w.write_record([
            csv_safe(bad.serial.as_deref().unwrap_or("")).as_ref(),
            "invalid",
            "",
            "",
            "",
            "",
            "",
            csv_safe(&bad.file).as_ref(),
            &bad.line.to_string(),
            csv_safe(&detail).as_ref(),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown view.
pub fn markdown(r: &ReconcileResult) -> String {
    let rec = &r.reconciliation;
    let mut out = String::new();
    let _ = writeln!(out, "# YubiKey reconciliation\n");
    let _ = writeln!(
        out,
        "- Org: {}\n- Files: {}\n- Generated: {}\n- Tokens in Okta: {}\n",
        r.org,
        md_cell(&r.files.join(", ")),
        r.generated_at,
        r.okta_tokens
    );
    let _ = writeln!(out, "| category | count |\n|---|---:|");
    for c in Category::ALL {
        let _ = writeln!(out, "| {} | {} |", c.name(), rec.count(&c));
    }
    for c in Category::ALL
        .iter()
        .filter(|c| **c != Category::Invalid && **c != Category::Unassigned && **c != Category::Active)
    {
        let items: Vec<&Item> = rec.of(c).collect();
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "\n## {} ({})\n\n| serial | status | user | file |\n|---|---|---|---|",
            c.name(),
            items.len()
        );
        for i in items.iter().take(FIRST_ROWS * 10) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                i.serial,
                md_cell(i.status.as_deref().unwrap_or("-")),
                md_cell(&who(i)),
                md_cell(&where_(i))
            );
        }
    }
    if !rec.invalid.is_empty() {
        let _ = writeln!(
            out,
            "\n## invalid ({})\n\n| file | line | problem |\n|---|---:|---|",
            rec.invalid.len()
        );
        for bad in rec.invalid.iter().take(FIRST_ROWS * 10) {
            let _ = writeln!(
                out,
                "| {} | {} | {} {} |",
                md_cell(&bad.file),
                bad.line,
                md_cell(bad.field.as_deref().unwrap_or("row")),
                md_cell(&bad.reason)
            );
        }
    }
    out
}
