//! The CSV export: one row per serial, every row (the HTML and Markdown views truncate, this
//! never does). Cells that a spreadsheet would run as a formula are escaped.

use super::{AuditReport, Row};
use crate::okta::inventory::csv_safe;
use crate::seed::Serial;

/// The columns, in order (documented in docs/reports.md; locked by a snapshot test): camelCase,
/// the names the JSON views and Okta's own JSON use.
pub const COLUMNS: [&str; 16] = [
    "serial",
    "line",
    "outcome",
    "attempts",
    "at",
    "tokenId",
    "status",
    "category",
    "user",
    "requestId",
    "httpStatus",
    "errorCode",
    "error",
    "causes",
    "confirmedByLookup",
    "runId",
];

fn cells(r: &Row) -> [String; 16] {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let n = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
    [
        r.serial.as_ref().map(Serial::to_string).unwrap_or_default(),
        n(r.line),
        r.outcome.map(|k| k.as_str().to_string()).unwrap_or_default(),
        n(r.attempts.map(u64::from)),
        s(&r.at),
        s(&r.token_id),
        s(&r.status),
        s(&r.category),
        s(&r.user),
        s(&r.request_id),
        n(r.http_status.map(u64::from)),
        s(&r.error_code),
        s(&r.error),
        r.causes.join(" | "),
        if r.confirmed_by_lookup {
            "true".into()
        } else {
            String::new()
        },
        s(&r.run_id),
    ]
}

/// Renders the CSV.
pub fn render(report: &AuditReport) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS)?;
    for row in &report.rows {
        let cells = cells(row);
        w.write_record(cells.iter().map(|c| csv_safe(c).into_owned()))?;
    }
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write CSV: {e}"))
}
