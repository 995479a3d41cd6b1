//! The HTML view: one self-contained page (inline CSS and SVG, no scripts, nothing fetched),
//! readable on a phone and printable. Every interpolated string goes through [`crate::markup::html`].
//! Long tables are collapsed per group and cut at [`TABLE_ROWS`] rows, pointing to the CSV.

use super::markdown::problem;
use super::svg::{self, Bar};
use super::{options_text, AuditReport, Row, Run, NO_SECRETS, TABLE_ROWS};
use crate::journal::OutcomeKind;
use crate::markup::html as esc;
use crate::okta::models::okta_time;
use crate::reconcile::diff::Category;
use std::fmt::Write as _;

fn opt(s: &Option<String>) -> String {
    s.as_deref().map(esc).unwrap_or_default()
}

/// Groups open by default when they are this short.
const OPEN_BELOW: usize = 50;

const STYLE: &str = r#"
:root{--fg:#1d2329;--muted:#5b6670;--line:#d9dee3;--bg:#fff;--soft:#f4f6f8}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1100px;margin:0 auto;padding:16px}
h1{font-size:1.6rem;margin:.2em 0}
h2{font-size:1.25rem;margin:1.6em 0 .5em;border-bottom:2px solid var(--line);padding-bottom:.2em}
h3{font-size:1.05rem;margin:1.2em 0 .4em}
.meta,.note{color:var(--muted)}
.note{font-size:.9rem}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(130px,1fr));gap:10px;margin:12px 0}
.stat{border:1px solid var(--line);border-left:6px solid var(--c,#888);border-radius:6px;padding:8px 10px;background:var(--soft)}
.stat b{display:block;font-size:1.5rem}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,420px),1fr));gap:16px}
.charts figure.chart-rate{grid-column:1/-1}
.chart-rate svg.chart{max-height:300px}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:10px;break-inside:avoid}
figcaption{font-weight:600;margin-bottom:6px}
svg.chart{width:100%;height:auto;display:block}
svg .lbl,svg .val{font-size:13px;fill:var(--fg)}
svg .axis{stroke:#888;stroke-width:1}
svg .bar{fill:#1565c0}
svg .limit{stroke:#c62828;stroke-width:2;stroke-dasharray:6 4}
svg .limit-lbl{font-size:12px;fill:#c62828}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.88rem}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);white-space:nowrap}
td.num,th.num{text-align:right}
code,.id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em;overflow-wrap:anywhere}
details{border:1px solid var(--line);border-radius:6px;margin:8px 0;padding:0 8px}
summary{cursor:pointer;padding:6px 0;font-weight:600}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}
dl.kv dt{color:var(--muted)}
dl.kv dd{margin:0;overflow-wrap:anywhere}
.action{color:#c62828;font-weight:600}
footer{margin-top:2em;border-top:2px solid var(--line);padding-top:.6em;color:var(--muted);font-size:.9rem}
@media (max-width:600px){main{padding:10px}body{font-size:14px}.charts{grid-template-columns:1fr}dl.kv{grid-template-columns:1fr}dl.kv dt{font-weight:600}}
@media print{
 body{font-size:10pt}main{max-width:none;padding:0}
 .scroll{overflow:visible}
 details{border:none;padding:0}
 details>*{display:block}
 details::details-content{content-visibility:visible;display:block}
 summary{list-style:none}
 h2{break-after:avoid}
 tr,figure,.stat{break-inside:avoid}
}
"#;

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
    }
}

fn head(out: &mut String, r: &AuditReport) {
    let _ = write!(
        out,
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ykprov {v}"><title>ykprov audit report</title><style>{STYLE}</style></head>
<body><main>
<header><h1>ykprov audit report</h1><p class="meta">Generated {at} by ykprov {v}. Journals: {j}.</p></header>
"#,
        v = esc(&r.tool_version),
        at = esc(&r.generated_at),
        j = if r.journals.is_empty() {
            "none".to_string()
        } else {
            r.journals.iter().map(|j| esc(j)).collect::<Vec<_>>().join(", ")
        },
    );
}

fn summary(out: &mut String, r: &AuditReport) {
    out.push_str(r#"<section id="outcomes"><h2>Outcomes</h2><div class="stats">"#);
    for (kind, n) in r.outcomes.pairs() {
        let _ = write!(
            out,
            r#"<div class="stat" id="count-{}" style="--c:{}"><b>{n}</b>{}</div>"#,
            kind.as_str(),
            outcome_color(kind),
            kind.as_str().replace('_', " ")
        );
    }
    out.push_str("</div>\n");
    out.push_str(r#"<div class="charts">"#);
    if !r.runs.is_empty() || r.rows.iter().any(|x| x.outcome.is_some()) {
        let bars: Vec<Bar> = r
            .outcomes
            .pairs()
            .iter()
            .map(|&(kind, value)| Bar {
                label: kind.as_str(),
                value,
                color: outcome_color(kind),
            })
            .collect();
        let _ = write!(
            out,
            r#"<figure id="chart-outcomes"><figcaption>Outcomes of the run</figcaption>{}</figure>"#,
            svg::bars("Outcomes of the run", &bars)
        );
    }
    if let Some(rec) = &r.reconciliation {
        let bars: Vec<Bar> = Category::ALL
            .iter()
            .map(|c| Bar {
                label: c.name(),
                value: rec.counts.get(c.name()).copied().unwrap_or(0),
                color: category_color(c),
            })
            .collect();
        let _ = write!(
            out,
            r#"<figure id="chart-status"><figcaption>Token status in Okta</figcaption>{}</figure>"#,
            svg::bars("Token status in Okta", &bars)
        );
    }
    for run in r.runs.iter().filter(|x| !x.requests.counts.is_empty()) {
        let title = format!("Request rate, run {}", run.header.run_id);
        let _ = write!(
            out,
            r#"<figure class="chart-rate"><figcaption>{}</figcaption>{}</figure>"#,
            esc(&title),
            svg::rate(&title, &run.requests, run.pace_per_minute)
        );
    }
    out.push_str("</div></section>\n");
}

fn run_block(out: &mut String, run: &Run) {
    let status = match run.interrupted {
        Some(false) => "finished",
        Some(true) => "interrupted",
        None => "no summary (crashed or killed)",
    };
    let _ = write!(
        out,
        r#"<h3>Run <span class="id">{}</span>{}</h3><dl class="kv">"#,
        esc(&run.header.run_id),
        if run.header.resumed { " (resumed)" } else { "" }
    );
    let pace = run
        .pace_per_minute
        .map(|p| format!("{p:.0}/min"))
        .unwrap_or_default();
    let fields: [(&str, String); 11] = [
        ("Operator", esc(&run.header.operator)),
        ("Org", esc(&run.header.org)),
        ("Input", esc(&run.header.input)),
        (
            "SHA-256",
            format!("<code>{}</code>", esc(&run.header.input_sha256)),
        ),
        ("Started", esc(&okta_time::format(&run.header.started))),
        ("Ended", opt(&run.ended)),
        ("Status", status.to_string()),
        ("Options", esc(&options_text(&run.header.options))),
        ("Pace limit", esc(&pace)),
        ("Tool version", esc(&run.header.tool_version)),
        ("Journal", esc(&run.journal)),
    ];
    for (k, v) in fields {
        let _ = write!(out, "<dt>{k}</dt><dd>{v}</dd>");
    }
    out.push_str("</dl>\n");
}

fn serial_list(out: &mut String, title: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<details{}><summary>{} ({})</summary><p class=\"id\">",
        if items.len() <= OPEN_BELOW { " open" } else { "" },
        esc(title),
        items.len()
    );
    let shown: Vec<String> = items.iter().take(TABLE_ROWS).map(|s| esc(s)).collect();
    out.push_str(&shown.join(", "));
    out.push_str("</p>");
    cut_note(out, TABLE_ROWS.min(items.len()), items.len());
    out.push_str("</details>\n");
}

fn cut_note(out: &mut String, shown: usize, total: usize) {
    if total > shown {
        let _ = write!(
            out,
            r#"<p class="note">Showing {shown} of {total}. The CSV export (<code>ykprov report --format csv</code>) has the full list.</p>"#
        );
    }
}

fn anomalies(out: &mut String, r: &AuditReport) {
    let a = &r.anomalies;
    let _ = write!(
        out,
        r#"<section id="anomalies"><h2>Anomalies</h2><dl class="kv"><dt>429 rate limit</dt><dd id="anomaly-rate-limited">{}</dd><dt>429 concurrency limit</dt><dd>{}</dd><dt>Retries</dt><dd>{}</dd><dt>In-doubt lookups</dt><dd>{}</dd></dl>"#,
        a.rate_limited, a.concurrency_limited, a.retries, a.in_doubt_lookups
    );
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
    serial_list(
        out,
        "Still in doubt (request sent, no outcome): run reconcile",
        &a.in_doubt,
    );
    serial_list(out, "Runs without a summary", &a.unfinished_runs);
    serial_list(out, "Unreadable journal lines", &a.unreadable_lines);
    out.push_str("</section>\n");
}

fn reconciliation(out: &mut String, r: &AuditReport) {
    let Some(rec) = &r.reconciliation else {
        return;
    };
    let files: Vec<String> = rec
        .files
        .iter()
        .map(|f| format!("{} (<code>{}</code>)", esc(&f.path), esc(&f.sha256)))
        .collect();
    let _ = write!(
        out,
        r#"<section id="reconciliation"><h2>Reconciliation</h2><p>Against {} at {}, scope {}, stale after {} days, {} tokens in Okta. Files: {}.</p><div class="scroll"><table><thead><tr><th>Category</th><th class="num">Count</th><th>Needs action</th></tr></thead><tbody>"#,
        esc(&rec.org),
        esc(&rec.generated_at),
        esc(&rec.scope),
        rec.stale_after_days,
        rec.okta_tokens,
        if files.is_empty() {
            "none".to_string()
        } else {
            files.join(", ")
        }
    );
    for c in Category::ALL {
        let n = rec.counts.get(c.name()).copied().unwrap_or(0);
        let action = if rec.fail_on.iter().any(|f| f == c.name()) && n > 0 {
            r#"<span class="action">yes</span>"#
        } else {
            ""
        };
        let _ = write!(
            out,
            r#"<tr><td>{0}</td><td class="num" id="category-{0}">{n}</td><td>{action}</td></tr>"#,
            c.name()
        );
    }
    out.push_str("</tbody></table></div>\n");
    for c in Category::ALL {
        let total = rec.needs_action.iter().filter(|i| i.category == c).count();
        if total == 0 {
            continue;
        }
        let _ = write!(
            out,
            r#"<details{}><summary>{} ({total})</summary><div class="scroll"><table><thead><tr><th>Serial</th><th>Status</th><th>Token id</th><th>User</th><th>File:line</th></tr></thead><tbody>"#,
            if total <= OPEN_BELOW { " open" } else { "" },
            c.name()
        );
        for i in rec
            .needs_action
            .iter()
            .filter(|i| i.category == c)
            .take(TABLE_ROWS)
        {
            let place = match (&i.file, i.line) {
                (Some(f), Some(l)) => format!("{}:{l}", esc(f)),
                _ => String::new(),
            };
            let _ = write!(
                out,
                r#"<tr><td class="id">{}</td><td>{}</td><td class="id">{}</td><td>{}</td><td>{place}</td></tr>"#,
                esc(&i.serial),
                opt(&i.status),
                opt(&i.token_id),
                i.login
                    .as_deref()
                    .or(i.user_id.as_deref())
                    .map(esc)
                    .unwrap_or_default(),
            );
        }
        out.push_str("</tbody></table></div>");
        cut_note(out, TABLE_ROWS.min(total), total);
        out.push_str("</details>\n");
    }
    if !rec.invalid.is_empty() {
        let total = rec.invalid.len();
        let _ = write!(
            out,
            r#"<details{}><summary>invalid rows ({total})</summary><div class="scroll"><table><thead><tr><th>File</th><th class="num">Line</th><th>Serial</th><th>Field</th><th>Reason</th></tr></thead><tbody>"#,
            if total <= OPEN_BELOW { " open" } else { "" },
        );
        for i in rec.invalid.iter().take(TABLE_ROWS) {
            let _ = write!(
                out,
                r#"<tr><td>{}</td><td class="num">{}</td><td class="id">{}</td><td>{}</td><td>{}</td></tr>"#,
                esc(&i.file),
                i.line,
                opt(&i.serial),
                opt(&i.field),
                esc(&i.reason)
            );
        }
        out.push_str("</tbody></table></div>");
        cut_note(out, TABLE_ROWS.min(total), total);
        out.push_str("</details>\n");
    }
    out.push_str("</section>\n");
}

fn row_html(out: &mut String, row: &Row) {
    let serial = match (&row.serial, row.line) {
        (Some(s), _) => esc(s),
        (None, _) => "(unreadable)".into(),
    };
    let outcome = match (&row.outcome, row.confirmed_by_lookup) {
        (Some(o), true) => format!("{} (confirmed by lookup)", o.as_str()),
        (Some(o), false) => o.as_str().to_string(),
        (None, _) => String::new(),
    };
    let _ = write!(
        out,
        r#"<tr><td class="id">{serial}</td><td class="num">{}</td><td>{outcome}</td><td class="num">{}</td><td class="id">{}</td><td>{}</td><td>{}</td><td class="id">{}</td><td>{}</td><td>{}</td></tr>"#,
        row.line.map(|l| l.to_string()).unwrap_or_default(),
        row.attempts.map(|a| a.to_string()).unwrap_or_default(),
        opt(&row.token_id),
        opt(&row.status),
        opt(&row.user),
        opt(&row.request_id),
        opt(&row.error_code),
        esc(&problem(row)),
    );
}

fn serials(out: &mut String, r: &AuditReport) {
    out.push_str(r#"<section id="serials"><h2>Serials</h2>"#);
    let _ = write!(
        out,
        r#"<p class="note">{} serials, grouped by outcome. Groups over {OPEN_BELOW} rows start collapsed; each shows at most {TABLE_ROWS} rows.</p>"#,
        r.rows.len()
    );
    let groups: [(&str, Option<OutcomeKind>); 7] = [
        ("uploaded", Some(OutcomeKind::Uploaded)),
        ("already present", Some(OutcomeKind::AlreadyPresent)),
        ("rejected", Some(OutcomeKind::Rejected)),
        ("failed", Some(OutcomeKind::Failed)),
        ("invalid", Some(OutcomeKind::Invalid)),
        ("in doubt", Some(OutcomeKind::InDoubt)),
        ("not in the journals (reconciliation only)", None),
    ];
    for (title, key) in groups {
        let in_group = |row: &&Row| row.outcome == key;
        let total = r.rows.iter().filter(in_group).count();
        if total == 0 {
            continue;
        }
        let _ = write!(
            out,
            r#"<details{}><summary>{title} ({total})</summary><div class="scroll"><table><thead><tr><th>Serial</th><th class="num">Line</th><th>Outcome</th><th class="num">Attempts</th><th>Token id</th><th>Status</th><th>User</th><th>Request id</th><th>Error code</th><th>Error and causes</th></tr></thead><tbody>"#,
            if total <= OPEN_BELOW { " open" } else { "" },
        );
        for row in r.rows.iter().filter(in_group).take(TABLE_ROWS) {
            row_html(out, row);
        }
        out.push_str("</tbody></table></div>");
        cut_note(out, TABLE_ROWS.min(total), total);
        out.push_str("</details>\n");
    }
    out.push_str("</section>\n");
}

/// Renders the HTML report.
pub fn render(r: &AuditReport) -> String {
    let mut out = String::with_capacity(64 * 1024);
    head(&mut out, r);
    summary(&mut out, r);
    out.push_str(r#"<section id="runs"><h2>Runs</h2>"#);
    if r.runs.is_empty() {
        out.push_str("<p>No upload journal was given.</p>");
    }
    for run in &r.runs {
        run_block(&mut out, run);
    }
    out.push_str("</section>\n");
    anomalies(&mut out, r);
    reconciliation(&mut out, r);
    serials(&mut out, r);
    let _ = write!(
        out,
        r#"<footer id="footer"><p>{} Written by ykprov {}.</p></footer>
</main></body></html>
"#,
        esc(NO_SECRETS),
        esc(&r.tool_version)
    );
    out
}
