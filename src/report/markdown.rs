//! The Markdown view, for tickets and wikis: the sections of [`super::view`] as headings, one
//! table each (written by [`crate::markup::table::markdown`], as `reconcile --format md` is),
//! every cell escaped with [`crate::markup::md_cell`]. Tables are cut at
//! [`super::TABLE_ROWS`] rows with a note pointing to the CSV export.

use super::view::{self, Section, Span};
use super::AuditReport;
use crate::markup::md_cell;
use crate::markup::table::{self, Table};
use std::fmt::Write as _;

fn text(spans: &[Span]) -> String {
    Span::render(spans, md_cell, |c| format!("`{}`", md_cell(c)))
}

fn heading(out: &mut String, level: usize, title: &str) {
    let _ = writeln!(out, "{} {title}\n", "#".repeat(level));
}

/// A table, the note when it was cut, and a blank line.
fn table(out: &mut String, t: &Table) {
    table::markdown(out, t);
    if t.is_cut() {
        let note = text(&view::cut_note(t.rows.len(), t.total));
        let _ = writeln!(out, "\n_{note}_");
    }
    out.push('\n');
}

/// A code span that holds any command: fenced with one more backtick than the longest run
/// inside, padded when it starts or ends with one, on one line.
fn code(c: &str) -> String {
    let c = c.replace(['\r', '\n'], " ");
    let longest = c.split(|ch| ch != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if c.starts_with('`') || c.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{c}{pad}{fence}")
}

/// The verdict first: what needs action, each with its command, then the changes made.
fn verdict(out: &mut String, r: &AuditReport) {
    let actions = view::actions(r);
    let _ = writeln!(out, "**{}**\n", view::headline(&actions));
    for a in &actions {
        let cmd = a
            .command
            .as_ref()
            .map(|c| format!(": {}", code(c)))
            .unwrap_or_default();
        let _ = writeln!(out, "- {}{cmd} ({})", md_cell(&a.what), md_cell(&a.note));
    }
    if !actions.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "{}\n", md_cell(&view::changes_line(r)));
}

fn runs(out: &mut String, r: &AuditReport) {
    heading(out, 2, Section::Runs.title());
    if r.runs.is_empty() {
        let _ = writeln!(out, "{}\n", view::NO_RUNS);
        return;
    }
    table(out, &view::runs_table(r));
}

fn anomalies(out: &mut String, r: &AuditReport) {
    let a = &r.anomalies;
    heading(out, 2, Section::Anomalies.title());
    let _ = writeln!(
        out,
        "- 429 responses: {} rate limit, {} concurrency limit",
        a.rate_limited, a.concurrency_limited
    );
    let _ = writeln!(out, "- Retries: {}", a.retries);
    let _ = writeln!(out, "- In-doubt lookups: {}", a.in_doubt_lookups);
    for list in view::anomaly_lists(a) {
        let shown: Vec<String> = list.items.iter().map(|s| md_cell(s)).collect();
        let more = match list.total - list.items.len() {
            0 => String::new(),
            n => format!(" … and {n} more (see the CSV export)"),
        };
        let (title, total) = (list.title, list.total);
        let _ = writeln!(out, "- {title} ({total}): {}{more}", shown.join(", "));
    }
    out.push('\n');
}

fn repairs(out: &mut String, r: &AuditReport) {
    let Some(rep) = &r.repairs else {
        return;
    };
    heading(out, 2, Section::Repairs.title());
    let _ = writeln!(out, "{}\n", md_cell(&view::repairs_sentence(rep)));
    table(out, &view::repairs_states_table(rep));
    table(out, &view::repairs_table(rep));
}

fn reconciliation(out: &mut String, r: &AuditReport) {
    let Some(rec) = &r.reconciliation else {
        return;
    };
    heading(out, 2, Section::Reconciliation.title());
    let _ = writeln!(out, "{}\n", text(&view::reconciliation_sentence(rec)));
    table(out, &view::category_table(rec));
    if !rec.needs_action.is_empty() {
        heading(out, 3, view::NEEDS_ACTION);
        table(out, &view::needs_action_table(rec));
    }
    if !rec.uploaded_again.is_empty() {
        heading(out, 3, view::UPLOADED_AGAIN);
        table(out, &view::uploaded_again_table(rec));
    }
    if !rec.invalid.is_empty() {
        heading(out, 3, view::INVALID_ROWS);
        table(out, &view::invalid_table(rec));
    }
}

fn serials(out: &mut String, r: &AuditReport) {
    heading(out, 2, Section::Serials.title());
    if r.rows.is_empty() {
        let _ = writeln!(out, "No serials.\n");
        return;
    }
    table(out, &view::serials_table(r));
}

/// Renders the Markdown report.
pub fn render(r: &AuditReport) -> String {
    let mut out = String::new();
    heading(&mut out, 1, view::TITLE);
    let _ = writeln!(out, "{}\n", md_cell(&view::byline(r)));
    verdict(&mut out, r);
    runs(&mut out, r);
    heading(&mut out, 2, Section::Outcomes.title());
    table(&mut out, &view::outcomes_table(r));
    anomalies(&mut out, r);
    repairs(&mut out, r);
    reconciliation(&mut out, r);
    serials(&mut out, r);
    let _ = writeln!(out, "---\n\n{}", md_cell(&view::footer(r)));
    out
}
