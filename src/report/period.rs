//! The period's audit report (`ykprov report --since`): the ledger's [`Period`] rendered as
//! Markdown, HTML, CSV or JSON, in the style of the run reports: a summary, the activity (cut at
//! [`TABLE_ROWS`] in Markdown and HTML; the CSV has every row), the inventory at the end, and the
//! runs with their journals' SHA-256s.

use super::{ReportFormat, NO_SECRETS, TABLE_ROWS};
use crate::ledger::period::Period;
use crate::markup::html as esc;
use crate::markup::table::{self, Cell, Column, Table};
use crate::okta::inventory::csv_safe;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The activities, in the order the summary lists them.
const ACTIVITIES: [&str; 9] = [
    "uploaded",
    "enrolled",
    "blocked",
    "revoked",
    "removed",
    "retired",
    "unretired",
    "repair_planned",
    "token_deleted",
];

/// Renders the period in a format.
pub fn render(p: &Period, format: ReportFormat) -> anyhow::Result<Vec<u8>> {
    Ok(match format {
        ReportFormat::Json => {
            let mut v = serde_json::to_vec_pretty(p)?;
            v.push(b'\n');
            v
        }
        ReportFormat::Csv => csv(p)?,
        ReportFormat::Md => markdown(p).into_bytes(),
        ReportFormat::Html => html(p).into_bytes(),
    })
}

/// Activities in the period, by kind, every kind listed.
pub fn counts(p: &Period) -> BTreeMap<&'static str, u64> {
    let mut c: BTreeMap<&'static str, u64> = ACTIVITIES.iter().map(|a| (*a, 0)).collect();
    for a in &p.activity {
        *c.entry(a.what).or_default() += 1;
    }
    c
}

fn tables(p: &Period) -> [(&'static str, Table); 4] {
    let c = counts(p);
    let summary = Table::of(
        &[Column::text("activity"), Column::number("keys")],
        ACTIVITIES,
        ACTIVITIES.len(),
        |a| vec![Cell::from(a), Cell::from(c[a].to_string())],
    );
    let activity = Table::of(
        &[
            Column::text("at"),
            Column::id("serial"),
            Column::text("activity"),
            Column::text("detail"),
        ],
        &p.activity,
        TABLE_ROWS,
        |a| {
            vec![
                Cell::from(a.at.as_str()),
                Cell::code(a.serial.as_str()),
                Cell::from(a.what),
                Cell::from(a.detail.as_str()),
            ]
        },
    );
    let inventory = Table::of(
        &[Column::text("state"), Column::number("keys")],
        &p.inventory,
        TABLE_ROWS,
        |(s, n)| vec![Cell::from(s.as_str()), Cell::from(n.to_string())],
    );
    let runs = Table::of(
        &[
            Column::text("at"),
            Column::text("event"),
            Column::text("operator"),
            Column::text("journal"),
            Column::id("sha256"),
        ],
        &p.runs,
        TABLE_ROWS,
        |e| {
            let s = |k: &str| e.payload[k].as_str().unwrap_or("").to_string();
            let journal = [s("journal"), s("input")]
                .into_iter()
                .find(|v| !v.is_empty())
                .unwrap_or_default();
            vec![
                Cell::from(e.at.as_str()),
                Cell::from(e.kind.as_str()),
                Cell::from(match s("oktaIdentity") {
                    who if who.is_empty() => s("operator"),
                    who => format!("{} as {who}", s("operator")),
                }),
                Cell::from(journal),
                Cell::code(s("sha256")),
            ]
        },
    );
    [
        ("In the period", summary),
        ("Activity", activity),
        ("Inventory at the end of the period", inventory),
        ("Runs (the evidence)", runs),
    ]
}

fn title(p: &Period) -> String {
    format!("Key lifecycle audit: {} from {} to {}", p.org, p.since, p.until)
}

fn markdown(p: &Period) -> String {
    let mut out = format!("# {}\n", title(p));
    for (heading, t) in tables(p) {
        let _ = write!(out, "\n## {heading}\n\n");
        table::markdown(&mut out, &t);
        if t.is_cut() {
            let _ = writeln!(
                out,
                "\n{} of {} rows shown; the CSV export has every row.",
                t.rows.len(),
                t.total
            );
        }
    }
    let _ = write!(out, "\n{NO_SECRETS}\n");
    out
}

fn html(p: &Period) -> String {
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{}</title></head><body>\n<h1>{}</h1>\n",
        esc(&title(p)),
        esc(&title(p))
    );
    for (heading, t) in tables(p) {
        let _ = write!(out, "<h2>{}</h2>\n<table><thead><tr>", esc(heading));
        for c in &t.columns {
            let _ = write!(out, "<th>{}</th>", esc(c.title));
        }
        out.push_str("</tr></thead><tbody>\n");
        for row in &t.rows {
            out.push_str("<tr>");
            for cell in row {
                let _ = write!(out, "<td>{}</td>", esc(&cell.text));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody></table>\n");
        if t.is_cut() {
            let _ = writeln!(
                out,
                "<p>{} of {} rows shown; the CSV export has every row.</p>",
                t.rows.len(),
                t.total
            );
        }
    }
    let _ = write!(out, "<p>{}</p>\n</body></html>\n", esc(NO_SECRETS));
    out
}

/// One row per activity, every row; formula-like cells defused.
fn csv(p: &Period) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["at", "serial", "activity", "detail"])?;
    for a in &p.activity {
        let cells = [
            csv_safe(&a.at),
            csv_safe(&a.serial),
            csv_safe(a.what),
            csv_safe(&a.detail),
        ];
        w.write_record(cells.iter().map(|c| c.as_bytes()))?;
    }
    Ok(w.into_inner()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::period::Activity;

    fn period() -> Period {
        Period {
            org: "https://acme.okta.com".into(),
            since: "2026-10-01T00:00:00.000Z".into(),
            until: "2027-01-01T00:00:00.000Z".into(),
            activity: vec![
                Activity {
                    at: "2026-10-02T09:00:00.000Z".into(),
                    serial: "000031000004".into(),
                    what: "enrolled",
                    detail: "by =cmd|'/C calc'!A0".into(),
                },
                Activity {
                    at: "2026-11-02T09:00:00.000Z".into(),
                    serial: "000031000004".into(),
                    what: "retired",
                    detail: "stolen by ops@host, ticket INC-1".into(),
                },
            ],
            inventory: [("retired".to_string(), 1), ("unassigned".to_string(), 4)]
                .into_iter()
                .collect(),
            runs: Vec::new(),
        }
    }

    #[test]
    fn the_summary_counts_each_activity_and_lists_every_kind() {
        let c = counts(&period());
        assert_eq!((c["enrolled"], c["retired"], c["uploaded"]), (1, 1, 0));
        assert_eq!(c.len(), ACTIVITIES.len());
    }

    #[test]
    fn csv_has_every_activity_and_defuses_formulas() {
        let text = String::from_utf8(csv(&period()).unwrap()).unwrap();
        assert_eq!(text.lines().count(), 3);
        assert!(
            text.lines().nth(1).unwrap().contains(",'=cmd") || !text.contains(",=cmd"),
            "{text}"
        );
    }

    #[test]
    fn markdown_and_html_show_the_inventory_and_escape() {
        let md = markdown(&period());
        assert!(
            md.contains("| retired | 1 |") && md.contains("## Runs (the evidence)"),
            "{md}"
        );
        let html = html(&period());
        assert!(
            html.contains("<td>unassigned</td><td>4</td>") && !html.contains("'/C calc'"),
            "{html}"
        );
    }
}
