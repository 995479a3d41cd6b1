//! Rendering a reconciliation: a short terminal table, JSON for machines, CSV for spreadsheets
//! (formula-safe), Markdown for tickets (through the table writer and escaping the report's
//! Markdown uses, [`crate::markup`]). Order is deterministic (by serial). The user and
//! file:line cells of an item are defined here, once, for every view and the report.

use super::diff::{Category, Item};
use super::ReconcileResult;
use crate::markup::md_cell;
use crate::markup::table::{self, Column, Table};
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

/// The user cell: the assigned user's login, else their id.
pub fn user(i: &Item) -> Option<&str> {
    i.login.as_deref().or(i.user_id.as_deref())
}

/// The file:line cell, when the serial is in a file.
pub fn place(i: &Item) -> Option<String> {
    match (&i.file, i.line) {
        (Some(f), Some(l)) => Some(format!("{f}:{l}")),
        _ => None,
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
                user(i).unwrap_or_default(),
                place(i).unwrap_or_default()
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
            csv_safe(i.serial.as_str()).as_ref(),
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

/// Columns of a category's table in the Markdown view.
const ITEM_COLUMNS: [Column; 4] = [
    Column::text("serial"),
    Column::text("status"),
    Column::text("user"),
    Column::text("file"),
];

/// Columns of the invalid rows' table in the Markdown view.
const INVALID_COLUMNS: [Column; 3] = [
    Column::text("file"),
    Column::number("line"),
    Column::text("problem"),
];

/// How many rows of each category the Markdown view lists.
const MD_ROWS: usize = FIRST_ROWS * 10;

/// The Markdown view: counts, then a table per category that needs a look (cut silently at
/// `MD_ROWS`), then the invalid rows.
pub fn markdown(r: &ReconcileResult) -> String {
    let rec = &r.reconciliation;
    let mut out = String::new();
    let _ = writeln!(out, "# YubiKey reconciliation\n");
    let _ = writeln!(
        out,
        "- Org: {}\n- Files: {}\n- Generated: {}\n- Tokens in Okta: {}\n",
        md_cell(&r.org),
        md_cell(&r.files.join(", ")),
        md_cell(&r.generated_at),
        r.okta_tokens
    );
    let counts = [Column::text("category"), Column::number("count")];
    let counts = Table::of(&counts, Category::ALL, usize::MAX, |c| {
        vec![c.name().into(), rec.count(&c).to_string().into()]
    });
    table::markdown(&mut out, &counts);
    for c in Category::ALL
        .iter()
        .filter(|c| !matches!(c, Category::Invalid | Category::Unassigned | Category::Active))
    {
        let items = Table::of(&ITEM_COLUMNS, rec.of(c), MD_ROWS, |i| {
            vec![
                i.serial.as_str().into(),
                i.status.as_deref().unwrap_or("-").into(),
                user(i).into(),
                place(i).unwrap_or_default().into(),
            ]
        });
        if items.total > 0 {
            let _ = writeln!(out, "\n## {} ({})\n", c.name(), items.total);
            table::markdown(&mut out, &items);
        }
    }
    if !rec.invalid.is_empty() {
        let _ = writeln!(out, "\n## invalid ({})\n", rec.invalid.len());
        let invalid = Table::of(&INVALID_COLUMNS, &rec.invalid, MD_ROWS, |bad| {
            let field = bad.field.as_deref().unwrap_or("row");
            vec![
                bad.file.as_str().into(),
                bad.line.to_string().into(),
                format!("{field} {}", bad.reason).into(),
            ]
        });
        table::markdown(&mut out, &invalid);
    }
    out
}
