//! The HTML view: one self-contained page (inline CSS and SVG, no scripts, nothing fetched),
//! readable on a phone and printable. It lays out what [`super::view`] computed; every
//! interpolated string goes through [`crate::markup::html`]. Long tables are collapsed per group
//! and cut at [`TABLE_ROWS`] rows, pointing to the CSV.

use super::repairs::RepairState;
use super::svg::{self, Bar};
use super::view::{self, Section, Span};
use super::{AuditReport, Run, TABLE_ROWS};
use crate::journal::OutcomeKind;
use crate::markup::html as esc;
use crate::markup::table::{Cell, Style, Table};
use crate::reconcile::diff::Category;
use std::fmt::Write as _;

/// Groups open by default when they are this short.
const OPEN_BELOW: usize = 50;

/// The page's stylesheet (inlined: the report fetches nothing).
const STYLE: &str = include_str!("style.css");

fn outcome_color(kind: OutcomeKind) -> &'static str {
    match kind {
        OutcomeKind::Uploaded => "#2e7d32",
        OutcomeKind::AlreadyPresent => "#1565c0",
        OutcomeKind::Rejected => "#c62828",
        OutcomeKind::Failed => "#ef6c00",
        OutcomeKind::Invalid => "#6a1b9a",
        OutcomeKind::InDoubt => "#8d6e63",
    }
}

fn category_color(c: &Category) -> &'static str {
    match c {
        Category::Active => "#2e7d32",
        Category::Unassigned => "#1565c0",
        Category::Missing => "#c62828",
        Category::Blocked => "#ef6c00",
        Category::Revoked => "#6d4c41",
        Category::Stale => "#f9a825",
        Category::Unexpected => "#6a1b9a",
        Category::Other => "#78909c",
        Category::Invalid => "#ad1457",
        Category::Retired => "#455a64",
        Category::RetiredLive => "#b71c1c",
        Category::Removed => "#5d4037",
    }
}

fn text(spans: &[Span]) -> String {
    Span::render(spans, esc, |c| format!("<code>{}</code>", esc(c)))
}

fn cell(c: &Cell) -> String {
    match c.style {
        Style::Plain => esc(&c.text),
        Style::Code => format!("<code>{}</code>", esc(&c.text)),
        Style::Alert => format!(r#"<span class="action">{}</span>"#, esc(&c.text)),
    }
}

/// A table in its scrolling wrapper, then the note when it was cut.
fn table(out: &mut String, t: &Table) {
    out.push_str(r#"<div class="scroll"><table><thead><tr>"#);
    for c in &t.columns {
        let class = if c.numeric { r#" class="num""# } else { "" };
        let _ = write!(out, "<th{class}>{}</th>", esc(c.title));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &t.rows {
        out.push_str("<tr>");
        for (c, v) in t.columns.iter().zip(row) {
            // The view names every serial column "Serial"; a serial must never wrap.
            let class = match (c.numeric, c.mono, c.title == "Serial") {
                (true, _, _) => r#" class="num""#,
                (false, true, true) => r#" class="id serial""#,
                (false, true, false) => r#" class="id""#,
                (false, false, _) => "",
            };
            let id = v
                .anchor
                .as_ref()
                .map(|a| format!(r#" id="{}""#, esc(a)))
                .unwrap_or_default();
            // The label heads the cell when a narrow screen stacks each row into a block.
            let label = esc(c.title);
            let _ = write!(out, r#"<td{class} data-label="{label}"{id}>{}</td>"#, cell(v));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    cut_note(out, t.rows.len(), t.total);
}

fn cut_note(out: &mut String, shown: usize, total: usize) {
    if total > shown {
        let _ = write!(
            out,
            r#"<p class="note">{}</p>"#,
            text(&view::cut_note(shown, total))
        );
    }
}

/// A collapsible group, open when short.
fn group(out: &mut String, title: &str, total: usize, body: impl FnOnce(&mut String)) {
    let open = if total <= OPEN_BELOW { " open" } else { "" };
    let _ = write!(out, "<details{open}><summary>{} ({total})</summary>", esc(title));
    body(out);
    out.push_str("</details>\n");
}

fn section_start(out: &mut String, s: Section) {
    let _ = write!(out, r#"<section id="{}"><h2>{}</h2>"#, s.id(), s.title());
}

fn head(out: &mut String, r: &AuditReport) {
    let _ = write!(
        out,
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ykprov {v}"><title>{title}</title><style>{STYLE}</style></head>
<body><main>
<header><h1>{title}</h1><p class="meta">{byline}</p></header>
"#,
        v = esc(&r.tool_version),
        title = view::TITLE,
        byline = esc(&view::byline(r)),
    );
}

/// The banner the page opens with: what needs action and the command for each, then what the
/// runs changed in Okta.
fn verdict(out: &mut String, r: &AuditReport) {
    let actions = view::actions(r);
    let class = if actions.is_empty() { "ok" } else { "needs-action" };
    let _ = write!(
        out,
        r#"<section id="verdict" class="verdict {class}"><h2>{}</h2>"#,
        esc(&view::headline(&actions))
    );
    if !actions.is_empty() {
        out.push_str("<ol>");
        for a in &actions {
            let _ = write!(out, r#"<li id="{}"><b>{}</b>"#, esc(&a.key), esc(&a.what));
            if let Some(cmd) = &a.command {
                let _ = write!(out, r#"<pre class="cmd"><code>{}</code></pre>"#, esc(cmd));
            }
            let _ = write!(out, r#"<span class="note">{}</span></li>"#, esc(&a.note));
        }
        out.push_str("</ol>");
    }
    let _ = write!(
        out,
        r#"<p id="changes">{}</p></section>"#,
        esc(&view::changes_line(r))
    );
    out.push('\n');
}

/// One count card; `destructive` marks the writes that removed something from Okta.
fn stat(out: &mut String, id: &str, color: &str, n: u64, label: &str, destructive: bool) {
    let class = if destructive { "stat destructive" } else { "stat" };
    let _ = write!(
        out,
        r#"<div class="{class}" id="{id}" style="--c:{color}"><b>{n}</b>{}</div>"#,
        esc(label)
    );
}

fn outcomes(out: &mut String, r: &AuditReport) {
    section_start(out, Section::Outcomes);
    out.push_str(r#"<div class="stats">"#);
    for (kind, n) in r.outcomes.pairs() {
        let id = format!("count-{}", kind.as_str());
        stat(
            out,
            &id,
            outcome_color(kind),
            n,
            &view::outcome_label(kind),
            false,
        );
        if kind == OutcomeKind::Uploaded {
            let c = &r.changes;
            let destructive = [
                ("count-tokens-deleted", c.tokens_deleted, "tokens deleted"),
                (
                    "count-factors-unenrolled",
                    c.factors_unenrolled,
                    "factors unenrolled",
                ),
                ("count-keys-revoked", c.keys_revoked, "keys revoked"),
            ];
            for (id, n, label) in destructive {
                stat(out, id, "#b71c1c", n, label, true);
            }
        }
    }
    out.push_str("</div>\n");
    out.push_str(r#"<div class="charts">"#);
    charts(out, r);
    out.push_str("</div></section>\n");
}

fn charts(out: &mut String, r: &AuditReport) {
    if !r.runs.is_empty() || r.rows.iter().any(|x| x.outcome.is_some()) {
        let bars = r.outcomes.pairs().map(|(kind, value)| Bar {
            label: kind.as_str(),
            value,
            color: outcome_color(kind),
        });
        figure(
            out,
            r#"id="chart-outcomes""#,
            "Outcomes of the run",
            &svg::bars("Outcomes of the run", &bars),
        );
    }
    if let Some(rec) = &r.reconciliation {
        let count = |c: &Category| rec.counts.get(c.name()).copied().unwrap_or(0);
        let shown = Category::shown(count);
        let bars: Vec<Bar> = shown
            .iter()
            .map(|c| Bar {
                label: c.name(),
                value: count(c),
                color: category_color(c),
            })
            .collect();
        figure(
            out,
            r#"id="chart-status""#,
            "Token status in Okta",
            &svg::bars("Token status in Okta", &bars),
        );
    }
    for run in r.runs.iter().filter(|x| !x.requests.counts.is_empty()) {
        let title = format!("Requests per Okta window, run {}", run.header.run_id);
        let chart = svg::per_window(&title, &super::per_window::of(run));
        figure(out, r#"class="chart-rate""#, &title, &chart);
    }
}

fn figure(out: &mut String, attr: &str, caption: &str, chart: &str) {
    let _ = write!(
        out,
        "<figure {attr}><figcaption>{}</figcaption>{chart}</figure>",
        esc(caption)
    );
}

fn runs(out: &mut String, r: &AuditReport) {
    section_start(out, Section::Runs);
    if r.runs.is_empty() {
        let _ = write!(out, "<p>{}</p>", view::NO_RUNS);
    }
    for run in &r.runs {
        run_block(out, run);
    }
    out.push_str("</section>\n");
}

fn run_block(out: &mut String, run: &Run) {
    let _ = write!(
        out,
        r#"<h3>Run <span class="id">{}</span>{}</h3><dl class="kv">"#,
        esc(&run.header.run_id),
        if run.header.resumed { view::RESUMED } else { "" }
    );
    let labels = view::RUN_FIELDS.iter().chain(&view::RUN_DETAILS);
    let values = view::run_fields(run).into_iter().chain(view::run_details(run));
    for (k, v) in labels.zip(values) {
        let _ = write!(out, "<dt>{k}</dt><dd>{}</dd>", cell(&v));
    }
    out.push_str("</dl>\n");
}

fn anomalies(out: &mut String, r: &AuditReport) {
    let a = &r.anomalies;
    section_start(out, Section::Anomalies);
    let _ = write!(
        out,
        r#"<dl class="kv"><dt>429 rate limit</dt><dd id="anomaly-rate-limited">{}</dd><dt>429 concurrency limit</dt><dd>{}</dd><dt>Retries</dt><dd>{}</dd><dt>In-doubt lookups</dt><dd>{}</dd></dl>"#,
        a.rate_limited, a.concurrency_limited, a.retries, a.in_doubt_lookups
    );
    for list in view::anomaly_lists(a) {
        group(out, list.title, list.total, |out| {
            let class = if list.serials { "serial" } else { "item" };
            let items: Vec<String> = list
                .items
                .iter()
                .map(|s| format!(r#"<span class="{class}">{}</span>"#, esc(s)))
                .collect();
            let _ = write!(out, r#"<p class="id">{}</p>"#, items.join(", "));
            cut_note(out, list.items.len(), list.total);
        });
    }
    out.push_str("</section>\n");
}

fn repair_color(s: RepairState) -> &'static str {
    match s {
        RepairState::Done => "#2e7d32",
        RepairState::Skipped => "#1565c0",
        RepairState::Failed => "#c62828",
        RepairState::Pending => "#8d6e63",
    }
}

fn repairs(out: &mut String, r: &AuditReport) {
    let Some(rep) = &r.repairs else {
        return;
    };
    section_start(out, Section::Repairs);
    let _ = write!(out, "<p>{}</p>", esc(&view::repairs_sentence(rep)));
    let bars = RepairState::ALL.map(|s| Bar {
        label: s.as_str(),
        value: rep.count(s),
        color: repair_color(s),
    });
    out.push_str(r#"<div class="charts">"#);
    figure(
        out,
        r#"id="chart-repairs""#,
        "Repairs",
        &svg::bars("Repairs: where each planned action ended", &bars),
    );
    out.push_str("</div>");
    table(out, &view::repairs_states_table(rep));
    let t = view::repairs_table(rep);
    group(out, "Planned actions", t.total, |out| table(out, &t));
    out.push_str("</section>\n");
}

fn reconciliation(out: &mut String, r: &AuditReport) {
    let Some(rec) = &r.reconciliation else {
        return;
    };
    section_start(out, Section::Reconciliation);
    let _ = write!(out, "<p>{}</p>", text(&view::reconciliation_sentence(rec)));
    table(out, &view::category_table(rec));
    out.push('\n');
    for (c, t) in view::needs_action_by_category(rec) {
        group(out, c.name(), t.total, |out| table(out, &t));
    }
    if !rec.uploaded_again.is_empty() {
        let t = view::uploaded_again_table(rec);
        group(out, view::UPLOADED_AGAIN, t.total, |out| table(out, &t));
    }
    if !rec.invalid.is_empty() {
        let t = view::invalid_table(rec);
        group(out, view::INVALID_ROWS, t.total, |out| table(out, &t));
    }
    out.push_str("</section>\n");
}

fn serials(out: &mut String, r: &AuditReport) {
    section_start(out, Section::Serials);
    let _ = write!(
        out,
        r#"<p class="note">{} serials, grouped by outcome. Groups over {OPEN_BELOW} rows start collapsed; each shows at most {TABLE_ROWS} rows.</p>"#,
        r.rows.len()
    );
    for (title, t) in view::serials_by_outcome(r) {
        group(out, &title, t.total, |out| table(out, &t));
    }
    out.push_str("</section>\n");
}

/// Renders the HTML report.
pub fn render(r: &AuditReport) -> String {
    let mut out = String::with_capacity(64 * 1024);
    head(&mut out, r);
    verdict(&mut out, r);
    outcomes(&mut out, r);
    runs(&mut out, r);
    anomalies(&mut out, r);
    repairs(&mut out, r);
    reconciliation(&mut out, r);
    serials(&mut out, r);
    let _ = write!(
        out,
        "<footer id=\"footer\"><p>{}</p></footer>\n</main></body></html>\n",
        esc(&view::footer(r))
    );
    out
}
