//! Rendering a reconciliation: a short terminal table, JSON for machines, CSV for spreadsheets
//! (formula-safe), Markdown for tickets (through the table writer and escaping the report's
//! Markdown uses, [`crate::markup`]). Order is deterministic (by serial). The user, status and
//! file:line cells of an item are defined here, once, for every view and the report; a serial's
//! history (records REVOKED before its live one) shows in the status cell and the CSV's `detail`,
//! and a serial without history renders exactly as before.

use super::diff::{Category, Item};
use super::ReconcileResult;
use crate::markup::md_cell;
use crate::markup::table::{self, Column, Table};
use crate::okta::inventory::csv_safe;
use crate::okta::models::TokenStatus;
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

/// The serial's history in words, when it has any: "revoked, uploaded again" for a live record
/// after REVOKED ones (the key was deleted and its seed uploaded anew), "earlier records:
/// deleted" when the current record is history itself.
pub fn history_note(i: &Item) -> Option<String> {
    if i.history.is_empty() {
        return None;
    }
    let mut seen: Vec<(String, usize)> = Vec::new();
    for h in &i.history {
        let h = h.to_ascii_lowercase();
        match seen.iter_mut().find(|(s, _)| *s == h) {
            Some((_, n)) => *n += 1,
            None => seen.push((h, 1)),
        }
    }
    let words: Vec<String> = seen
        .into_iter()
        .map(|(s, n)| if n > 1 { format!("{s} {n} times") } else { s })
        .collect();
    Some(if uploaded_again(i) {
        format!("{}, uploaded again", words.join(" and "))
    } else {
        format!("earlier records: {}", words.join(", "))
    })
}

/// Whether the serial has a live record after history: its key was revoked (or deleted) and
/// uploaded again.
pub fn uploaded_again(i: &Item) -> bool {
    !i.history.is_empty()
        && i.status
            .as_deref()
            .is_some_and(|s| TokenStatus::parse(s).is_live())
}

/// The status cell: Okta's status, with the history in brackets when there is any
/// (`UNASSIGNED (revoked, uploaded again)`); `-` for a serial Okta does not have.
pub fn status_cell(i: &Item) -> String {
    let status = i.status.as_deref().unwrap_or("-");
    match history_note(i) {
        Some(note) => format!("{status} ({note})"),
        None => status.to_string(),
    }
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
    for c in Category::shown(|c| rec.count(c)) {
        let n = rec.count(&c);
        let flag = if r.fail_on.contains(&c) && n > 0 {
            "  <- action needed"
        } else {
            ""
        };
        let _ = writeln!(out, "  {:<11} {:>7}{flag}", c.name(), n);
    }
    let again: Vec<&Item> = rec.items.iter().filter(|i| uploaded_again(i)).collect();
    if !again.is_empty() {
        let _ = writeln!(
            out,
            "  {} of these were revoked or deleted and uploaded again (their old records stay in Okta as history)",
            again.len()
        );
    }
    for c in Category::ALL.iter().filter(|c| {
        r.fail_on.contains(c) || matches!(c, Category::Stale | Category::RetiredLive | Category::Removed)
    }) {
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
        text_rows(&mut out, c.name(), &items);
    }
    text_rows(&mut out, "again", &again);
    out
}

/// The first rows of a group in the terminal view, then how many more there are.
fn text_rows(out: &mut String, label: &str, items: &[&Item]) {
    for i in items.iter().take(FIRST_ROWS) {
        let _ = writeln!(
            out,
            "{:<8} {} {} {} {}",
            label,
            i.serial,
            status_cell(i),
            user(i).unwrap_or_default(),
            place(i).unwrap_or_default()
        );
        if let Some(advice) = i.advice() {
            let _ = writeln!(out, "{:<8}   {advice}", "");
        }
    }
    if items.len() > FIRST_ROWS {
        let _ = writeln!(
            out,
            "{:<8} … and {} more (use --format csv for the full list)",
            label,
            items.len() - FIRST_ROWS
        );
    }
}

/// The CSV's `detail` cell: the lifecycle advice (retired, removed), then the history note.
fn detail(i: &Item) -> String {
    let parts: Vec<String> = [i.advice(), history_note(i)].into_iter().flatten().collect();
    parts.join("; ")
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
            csv_safe(&detail(i)).as_ref(),
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

/// A titled table of items in the Markdown view, when there are any.
fn md_items<'a>(out: &mut String, title: &str, items: impl IntoIterator<Item = &'a Item>) {
    let items = Table::of(&ITEM_COLUMNS, items, MD_ROWS, |i| {
        vec![
            i.serial.as_str().into(),
            status_cell(i).into(),
            user(i).into(),
            place(i).unwrap_or_default().into(),
        ]
    });
    if items.total > 0 {
        let _ = writeln!(out, "\n## {title} ({})\n", items.total);
        table::markdown(out, &items);
    }
}

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
    let counts = Table::of(&counts, Category::shown(|c| rec.count(c)), usize::MAX, |c| {
        vec![c.name().into(), rec.count(&c).to_string().into()]
    });
    table::markdown(&mut out, &counts);
    for c in Category::ALL
        .iter()
        .filter(|c| !matches!(c, Category::Invalid | Category::Unassigned | Category::Active))
    {
        md_items(&mut out, c.name(), rec.of(c));
    }
    md_items(
        &mut out,
        "uploaded again",
        rec.items.iter().filter(|i| uploaded_again(i)),
    );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::okta::inventory::Via;
    use crate::reconcile::diff::{Reconciliation, Scope};

    fn item(serial: u32, category: Category, status: Option<&str>, history: &[&str]) -> Item {
        Item {
            serial: serial.into(),
            category,
            status: status.map(str::to_string),
            token_id: status.map(|_| format!("ykk{serial}")),
            user_id: None,
            login: None,
            last_verified: None,
            file: Some("s.csv".into()),
            line: Some(u64::from(serial)),
            history: history.iter().map(|h| h.to_string()).collect(),
            lifecycle: None,
        }
    }

    fn result(items: Vec<Item>) -> ReconcileResult {
        let mut counts: std::collections::BTreeMap<String, u64> =
            Category::ALL.iter().map(|c| (c.name().to_string(), 0)).collect();
        for i in &items {
            *counts.entry(i.category.name().into()).or_default() += 1;
        }
        ReconcileResult {
            tool_version: "0.1.0".into(),
            generated_at: "2026-12-01T00:00:00.000Z".into(),
            org: "https://acme.okta.com".into(),
            files: vec!["s.csv".into()],
            file_info: Vec::new(),
            via: Via::Pages,
            scope: Scope::File,
            stale_after_days: 90,
            fail_on: vec![Category::Missing, Category::Revoked],
            okta_tokens: 3,
            reconciliation: Reconciliation {
                counts,
                items,
                invalid: Vec::new(),
            },
        }
    }

    fn plain() -> ReconcileResult {
        result(vec![
            item(1, Category::Unassigned, Some("UNASSIGNED"), &[]),
            item(2, Category::Missing, None, &[]),
            item(3, Category::Revoked, Some("REVOKED"), &[]),
        ])
    }

    fn with_history() -> ReconcileResult {
        result(vec![
            item(1, Category::Unassigned, Some("UNASSIGNED"), &["REVOKED"]),
            item(2, Category::Missing, None, &[]),
            item(
                3,
                Category::Revoked,
                Some("REVOKED"),
                &["DELETED", "REVOKED", "REVOKED"],
            ),
        ])
    }

    #[test]
    fn without_history_every_view_is_as_it_always_was() {
        let r = plain();
        let t = text(&r);
        assert!(t.ends_with(
            "  unassigned        1\nmissing  000000000002 -  s.csv:2\nrevoked  000000000003 REVOKED  s.csv:3\n"
        ), "{t}");
        assert_eq!(
            csv(&r).unwrap(),
            "serial,category,status,tokenId,userId,login,lastVerified,file,line,detail\n\
             000000000001,unassigned,UNASSIGNED,ykk1,,,,s.csv,1,\n\
             000000000002,missing,,,,,,s.csv,2,\n\
             000000000003,revoked,REVOKED,ykk3,,,,s.csv,3,\n"
        );
        let md = markdown(&r);
        assert!(md.ends_with(
            "## revoked (1)\n\n| serial | status | user | file |\n|---|---|---|---|\n| 000000000003 | REVOKED |  | s.csv:3 |\n"
        ), "{md}");
        assert!(!md.contains("uploaded again") && !t.contains("\nagain "));
    }

    #[test]
    fn a_key_revoked_and_uploaded_again_says_so_in_every_view() {
        let r = with_history();
        let t = text(&r);
        assert!(
            t.contains("  1 of these were revoked or deleted and uploaded again"),
            "{t}"
        );
        assert!(
            t.contains("again    000000000001 UNASSIGNED (revoked, uploaded again)  s.csv:1"),
            "{t}"
        );
        assert!(
            t.contains("revoked  000000000003 REVOKED (earlier records: deleted, revoked 2 times)"),
            "{t}"
        );
        let c = csv(&r).unwrap();
        assert!(
            c.contains("000000000001,unassigned,UNASSIGNED,ykk1,,,,s.csv,1,\"revoked, uploaded again\"\n"),
            "{c}"
        );
        let md = markdown(&r);
        assert!(md.contains("## uploaded again (1)"), "{md}");
        assert!(
            md.contains("| 000000000001 | UNASSIGNED (revoked, uploaded again) |  | s.csv:1 |"),
            "{md}"
        );
    }

    #[test]
    fn history_is_told_in_words() {
        let again = item(1, Category::Active, Some("ACTIVE"), &["REVOKED", "DELETED"]);
        assert_eq!(
            history_note(&again).as_deref(),
            Some("revoked and deleted, uploaded again")
        );
        assert!(uploaded_again(&again));
        let plain = item(2, Category::Active, Some("ACTIVE"), &[]);
        assert_eq!(
            (history_note(&plain), status_cell(&plain)),
            (None, "ACTIVE".to_string())
        );
        assert!(!uploaded_again(&plain));
        assert_eq!(status_cell(&item(3, Category::Missing, None, &[])), "-");
    }
}
