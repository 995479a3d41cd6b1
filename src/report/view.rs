//! The report as the HTML and Markdown views show it, computed once: section titles, the
//! sentences around the tables, the runs' fields, the anomaly lists, and every table (columns,
//! cells, where it is cut). The views only lay these out and escape them, as hyperfine's
//! `MarkupExporter` shares one table builder across formats.
//!
//! Texts and cells here are raw; each view escapes them for its format. Layout stays with the
//! views: HTML groups tables per category and per outcome, Markdown shows one table each.

mod repairs;
mod verdict;

pub use repairs::{repairs_sentence, repairs_states_table, repairs_table};
pub use verdict::{actions, changes_line, headline};

use super::{options_text, Anomalies, AuditReport, ReconcileSummary, Row, Run, NO_SECRETS, TABLE_ROWS};
use crate::journal::OutcomeKind;
use crate::markup::table::{Cell, Column, Table};
use crate::okta::models::okta_time;
use crate::reconcile::diff::{Category, Item};
use crate::reconcile::output;
use crate::seed::Serial;

/// The report's title.
pub const TITLE: &str = "ykprov audit report";

/// Said in the runs section when no journal was given.
pub const NO_RUNS: &str = "No upload journal was given.";

/// Follows the id of a run that resumed an earlier one.
pub const RESUMED: &str = " (resumed)";

/// Title of the seed files' invalid rows.
pub const INVALID_ROWS: &str = "Invalid rows";

/// Title of the items that need action.
pub const NEEDS_ACTION: &str = "Needs action";
/// The title of the serials revoked or deleted and uploaded again.
pub const UPLOADED_AGAIN: &str = "Uploaded again";

/// The sections both views have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Final outcome counts.
    Outcomes,
    /// One entry per run.
    Runs,
    /// 429s, retries, lists of serials that did not go straight.
    Anomalies,
    /// What `ykprov repair` planned and did.
    Repairs,
    /// Okta's side.
    Reconciliation,
    /// One row per serial.
    Serials,
}

impl Section {
    /// Its heading.
    pub fn title(self) -> &'static str {
        match self {
            Section::Outcomes => "Outcomes",
            Section::Runs => "Runs",
            Section::Anomalies => "Anomalies",
            Section::Repairs => "Repairs",
            Section::Reconciliation => "Reconciliation",
            Section::Serials => "Serials",
        }
    }

    /// Its anchor (an HTML id).
    pub fn id(self) -> &'static str {
        match self {
            Section::Outcomes => "outcomes",
            Section::Runs => "runs",
            Section::Anomalies => "anomalies",
            Section::Repairs => "repairs",
            Section::Reconciliation => "reconciliation",
            Section::Serials => "serials",
        }
    }
}

/// A piece of running text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Span {
    /// Prose.
    Text(String),
    /// Code: a hash, a command.
    Code(String),
}

impl Span {
    /// Renders running text: `text` escapes prose, `code` escapes and marks code.
    pub fn render(spans: &[Span], text: fn(&str) -> String, code: fn(&str) -> String) -> String {
        spans
            .iter()
            .map(|s| match s {
                Span::Text(t) => text(t),
                Span::Code(c) => code(c),
            })
            .collect()
    }
}

/// The line under the title.
pub fn byline(r: &AuditReport) -> String {
    format!(
        "Generated {} by ykprov {}; journals: {}.",
        r.generated_at,
        r.tool_version,
        if r.journals.is_empty() {
            "none".to_string()
        } else {
            r.journals.join(", ")
        }
    )
}

/// The closing statement.
pub fn footer(r: &AuditReport) -> String {
    format!("{NO_SECRETS} ykprov {}.", r.tool_version)
}

/// The note under a cut table or list.
pub fn cut_note(shown: usize, total: usize) -> Vec<Span> {
    vec![
        Span::Text(format!("Showing {shown} of {total}. The CSV export (")),
        Span::Code("ykprov report --format csv".into()),
        Span::Text(") has the full list.".into()),
    ]
}

/// How an outcome reads as a title (`already present`).
pub fn outcome_label(kind: OutcomeKind) -> String {
    kind.as_str().replace('_', " ")
}

/// The outcome counts as a table.
pub fn outcomes_table(r: &AuditReport) -> Table {
    let columns = [Column::text("Outcome"), Column::number("Count")];
    Table::of(&columns, r.outcomes.pairs(), usize::MAX, |(kind, n)| {
        vec![kind.as_str().into(), n.to_string().into()]
    })
}

/// The labels of [`run_fields`], in order.
pub const RUN_FIELDS: [&str; 9] = [
    "Operator",
    "Okta identity",
    "Org",
    "Input",
    "SHA-256",
    "Started",
    "Ended",
    "Options",
    "Finished",
];

/// Said for the Okta identity of a run journaled before ykprov recorded it.
pub const IDENTITY_NOT_RECORDED: &str = "not recorded";

/// The fields of a run every view shows, labelled by [`RUN_FIELDS`].
pub fn run_fields(run: &Run) -> [Cell; 9] {
    let h = &run.header;
    let finished = match run.interrupted {
        Some(false) => "yes",
        Some(true) => "interrupted",
        None => "no summary (crashed or killed)",
    };
    [
        h.operator.as_str().into(),
        h.okta_identity.as_deref().unwrap_or(IDENTITY_NOT_RECORDED).into(),
        h.org.as_str().into(),
        h.input.as_str().into(),
        Cell::code(h.input_sha256.as_str()),
        okta_time::format(&h.started).into(),
        run.ended.as_deref().into(),
        options_text(&h.options).into(),
        finished.into(),
    ]
}

/// The labels of [`run_details`], in order.
pub const RUN_DETAILS: [&str; 3] = ["Pace limit", "Tool version", "Journal"];

/// The fields of a run a view with room shows after [`run_fields`].
pub fn run_details(run: &Run) -> [Cell; 3] {
    let pace = run.pace_per_minute.map(|p| format!("{p:.0}/min"));
    [
        pace.unwrap_or_default().into(),
        run.header.tool_version.as_str().into(),
        run.journal.as_str().into(),
    ]
}

/// The runs as one table: the run id, then [`run_fields`].
pub fn runs_table(r: &AuditReport) -> Table {
    let columns: Vec<Column> = std::iter::once("Run")
        .chain(RUN_FIELDS)
        .map(Column::text)
        .collect();
    Table::of(&columns, &r.runs, usize::MAX, |run| {
        let resumed = if run.header.resumed { RESUMED } else { "" };
        let mut row = vec![Cell::from(format!("{}{resumed}", run.header.run_id))];
        row.extend(run_fields(run));
        row
    })
}

/// A titled list of serials (or journal lines, or runs), cut at [`TABLE_ROWS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List {
    /// What the items are.
    pub title: &'static str,
    /// The items shown.
    pub items: Vec<String>,
    /// How many there were.
    pub total: usize,
    /// Whether each item starts with a serial (so it must not wrap).
    pub serials: bool,
}

/// The anomalies' lists that have items, in report order.
pub fn anomaly_lists(a: &Anomalies) -> Vec<List> {
    let retried: Vec<String> = a
        .retried
        .iter()
        .map(|x| format!("{} ({} attempts)", x.serial, x.attempts))
        .collect();
    let texts = |serials: &[Serial]| serials.iter().map(Serial::to_string).collect::<Vec<_>>();
    let (confirmed, in_doubt) = (texts(&a.confirmed_by_lookup), texts(&a.in_doubt));
    [
        (
            "Uploads confirmed by lookup after a lost answer",
            &confirmed,
            true,
        ),
        ("Sent more than once", &retried, true),
        ("Still in doubt (request sent, no outcome)", &in_doubt, true),
        ("Runs without a summary", &a.unfinished_runs, false),
        ("Unreadable journal lines", &a.unreadable_lines, false),
    ]
    .into_iter()
    .filter(|(_, items, _)| !items.is_empty())
    .map(|(title, items, serials)| List {
        title,
        items: items.iter().take(TABLE_ROWS).cloned().collect(),
        total: items.len(),
        serials,
    })
    .collect()
}

/// The sentence that opens the reconciliation.
pub fn reconciliation_sentence(rec: &ReconcileSummary) -> Vec<Span> {
    let mut spans = vec![Span::Text(format!(
        "Against {} at {}, scope {}, stale after {} days, {} tokens in Okta; files: ",
        rec.org, rec.generated_at, rec.scope, rec.stale_after_days, rec.okta_tokens
    ))];
    for (i, f) in rec.files.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        spans.push(Span::Text(format!("{sep}{} (", f.path)));
        spans.push(Span::Code(f.sha256.clone()));
        spans.push(Span::Text(")".into()));
    }
    if rec.files.is_empty() {
        spans.push(Span::Text("none".into()));
    }
    spans.push(Span::Text(".".into()));
    spans
}

/// Counts per category, and which fail the run (the count's anchor is `category-NAME`).
pub fn category_table(rec: &ReconcileSummary) -> Table {
    let columns = [
        Column::text("Category"),
        Column::number("Count"),
        Column::text(NEEDS_ACTION),
    ];
    let count = |c: &Category| rec.counts.get(c.name()).copied().unwrap_or(0);
    Table::of(&columns, Category::shown(count), usize::MAX, |c| {
        let n = count(&c);
        let fails = rec.fail_on.iter().any(|f| f == c.name()) && n > 0;
        vec![
            c.name().into(),
            Cell::from(n.to_string()).anchored(format!("category-{}", c.name())),
            if fails {
                Cell::alert("yes")
            } else {
                Cell::default()
            },
        ]
    })
}

/// The items that need action, one table per category that has any (without a category column).
pub fn needs_action_by_category(rec: &ReconcileSummary) -> Vec<(Category, Table)> {
    grouped(
        Category::ALL,
        &rec.needs_action,
        |i| i.category.clone(),
        |items| items_table(items, false),
    )
}

/// One table per key that has items, in the keys' order.
fn grouped<'a, K: PartialEq, T>(
    keys: impl IntoIterator<Item = K>,
    items: &'a [T],
    key_of: impl Fn(&T) -> K,
    table: impl Fn(Vec<&'a T>) -> Table,
) -> Vec<(K, Table)> {
    keys.into_iter()
        .map(|k| {
            let of_k: Vec<&T> = items.iter().filter(|i| key_of(i) == k).collect();
            let t = table(of_k);
            (k, t)
        })
        .filter(|(_, t)| t.total > 0)
        .collect()
}

/// The serials revoked or deleted and uploaded again, as one table (with a category column).
pub fn uploaded_again_table(rec: &ReconcileSummary) -> Table {
    items_table(&rec.uploaded_again, true)
}

/// The items that need action as one table (with a category column).
pub fn needs_action_table(rec: &ReconcileSummary) -> Table {
    items_table(&rec.needs_action, true)
}

/// Columns of the items that need action; the category only when they are not grouped by it.
const ITEM_COLUMNS: [Column; 6] = [
    Column::id("Serial"),
    Column::text("Category"),
    Column::text("Status"),
    Column::id("Token id"),
    Column::text("User"),
    Column::text("File:line"),
];

fn items_table<'a>(items: impl IntoIterator<Item = &'a Item>, with_category: bool) -> Table {
    let keep = [true, with_category, true, true, true, true];
    Table::of(&pick(ITEM_COLUMNS, keep), items, TABLE_ROWS, |i| {
        let cells = [
            i.serial.as_str().into(),
            i.category.name().into(),
            i.status
                .as_ref()
                .map(|_| output::status_cell(i))
                .as_deref()
                .into(),
            i.token_id.as_deref().into(),
            output::user(i).into(),
            output::place(i).unwrap_or_default().into(),
        ];
        pick(cells, keep)
    })
}

/// The items of `all` that `keep` marks.
fn pick<T, const N: usize>(all: [T; N], keep: [bool; N]) -> Vec<T> {
    all.into_iter()
        .zip(keep)
        .filter_map(|(x, k)| k.then_some(x))
        .collect()
}

/// The seed files' invalid rows.
pub fn invalid_table(rec: &ReconcileSummary) -> Table {
    let columns = [
        Column::text("File"),
        Column::number("Line"),
        Column::id("Serial"),
        Column::text("Field"),
        Column::text("Reason"),
    ];
    Table::of(&columns, &rec.invalid, TABLE_ROWS, |i| {
        vec![
            i.file.as_str().into(),
            i.line.to_string().into(),
            i.serial.as_deref().into(),
            i.field.as_deref().into(),
            i.reason.as_str().into(),
        ]
    })
}

/// The serials, one table per outcome (and one for serials only the reconciliation knows),
/// with every column.
pub fn serials_by_outcome(r: &AuditReport) -> Vec<(String, Table)> {
    let kinds = OutcomeKind::ALL.map(Some).into_iter().chain([None]);
    let groups = grouped(
        kinds,
        &r.rows,
        |row| row.outcome,
        |rows| serials_table_of(rows, true),
    );
    let title = |kind: Option<OutcomeKind>| match kind {
        Some(k) => outcome_label(k),
        None => "not in the journals (reconciliation only)".to_string(),
    };
    groups.into_iter().map(|(k, t)| (title(k), t)).collect()
}

/// The serials as one table, without the line and attempts columns.
pub fn serials_table(r: &AuditReport) -> Table {
    serials_table_of(&r.rows, false)
}

/// Columns of the serials; line and attempts only in the wide layout.
const SERIAL_COLUMNS: [Column; 10] = [
    Column::id("Serial"),
    Column::number("Line"),
    Column::text("Outcome"),
    Column::number("Attempts"),
    Column::id("Token id"),
    Column::text("Status"),
    Column::text("User"),
    Column::id("Request id"),
    Column::text("Error code"),
    Column::text("Error and causes"),
];

fn serials_table_of<'a>(rows: impl IntoIterator<Item = &'a Row>, wide: bool) -> Table {
    let keep = [true, wide, true, wide, true, true, true, true, true, true];
    Table::of(&pick(SERIAL_COLUMNS, keep), rows, TABLE_ROWS, |row| {
        let cells = [
            serial_cell(row),
            number(row.line),
            outcome_cell(row),
            number(row.attempts.map(u64::from)),
            row.token_id.as_deref().into(),
            row.status.as_deref().into(),
            row.user.as_deref().into(),
            row.request_id.as_deref().into(),
            row.error_code.as_deref().into(),
            problem(row).into(),
        ];
        pick(cells, keep)
    })
}

fn number(n: Option<u64>) -> Cell {
    n.map(|n| n.to_string()).unwrap_or_default().into()
}

/// The serial, or where an invalid row without one was.
fn serial_cell(row: &Row) -> Cell {
    match (&row.serial, row.line) {
        (Some(s), _) => s.as_str().into(),
        (None, Some(l)) => format!("(line {l})").into(),
        (None, None) => Cell::default(),
    }
}

fn outcome_cell(row: &Row) -> Cell {
    match (row.outcome, row.confirmed_by_lookup) {
        (Some(o), true) => format!("{} (confirmed by lookup)", o.as_str()).into(),
        (Some(o), false) => o.as_str().into(),
        (None, _) => Cell::default(),
    }
}

/// The error column: summary (or reason), then causes.
fn problem(row: &Row) -> String {
    let mut parts: Vec<&str> = row.error.iter().map(String::as_str).collect();
    parts.extend(row.causes.iter().map(String::as_str));
    parts.join("; ")
}
