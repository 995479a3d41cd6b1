//! Audit reports (`ykprov report`, and `upload`/`reconcile`/`repair --report`): what was
//! provisioned and repaired, when, by whom, from which file, and what Okta says now. [`build()`] turns journals and a reconciliation
//! into one [`AuditReport`] value; [`write()`] renders it as HTML, Markdown, CSV or JSON, atomically.
//!
//! It reads only what the journal and the reconciliation hold (serials, outcomes, Okta ids, users),
//! so a report cannot contain a seed. It does not talk to Okta.

mod build;
mod csv_out;
mod html;
mod markdown;
mod per_window;
pub mod period;
pub mod repairs;
mod run_json;
mod svg;
#[cfg(test)]
mod tests;
mod view;

pub use build::build;

use crate::journal::{Counts, Header, OutcomeKind, RateWindow};
use crate::reconcile::diff::{InvalidRow, Item};
use crate::reconcile::{FileInfo, ReconcileResult};
use crate::seed::Serial;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Rows per table in the HTML and Markdown views; the CSV export always has every row.
pub const TABLE_ROWS: usize = 300;

/// The statement every report ends with.
pub const NO_SECRETS: &str = "This report contains no secrets: only serial numbers, outcomes, Okta ids, \
users and request ids. Seeds (AES keys, private ids, access codes) are never read into it.";

/// One audit report: everything every format renders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    /// The version of ykprov that wrote the report.
    pub tool_version: String,
    /// When the report was built.
    pub generated_at: String,
    /// The journals read, as given.
    pub journals: Vec<String>,
    /// Each run (journal header) in order.
    pub runs: Vec<Run>,
    /// Final outcomes, one per serial.
    pub outcomes: OutcomeCounts,
    /// What the journals' runs changed in Okta beyond uploads: the destructive writes.
    #[serde(default)]
    pub changes: Changes,
    /// 429s, retries, in-doubt resolutions.
    pub anomalies: Anomalies,
    /// The reconciliation, when one was given.
    pub reconciliation: Option<ReconcileSummary>,
    /// What repair journals planned and did, when any was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repairs: Option<repairs::Repairs>,
    /// One row per serial (journal outcome joined with the reconciliation), sorted by serial;
    /// rows without a readable serial last.
    pub rows: Vec<Row>,
}

/// One run of `ykprov upload`, from its journal header to its summary. Its JSON keeps the
/// report's own names and order (see `run_json.rs`), not the journal's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "run_json::RunJson", try_from = "run_json::RunJson")]
pub struct Run {
    /// The run's journal header, as written.
    pub header: Header,
    /// The journal it was read from.
    pub journal: String,
    /// End: the summary's time, or the last entry's when the run has no summary (crash).
    pub ended: Option<String>,
    /// Whether it was interrupted (`None`: no summary, the run did not finish cleanly).
    pub interrupted: Option<bool>,
    /// The run's own counts, from its summary.
    pub counts: Option<Counts>,
    /// The pace limit in requests per minute.
    pub pace_per_minute: Option<f64>,
    /// The token path's rate-limit window, when the run learned it.
    pub window: Option<RateWindow>,
    /// Requests sent over time.
    pub requests: RateSeries,
}

/// Requests (journal intents) per time bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateSeries {
    /// Start of the first bucket.
    pub start: Option<String>,
    /// Bucket width in seconds.
    pub bucket_secs: u64,
    /// Requests in each bucket.
    pub counts: Vec<u64>,
}

impl RateSeries {
    /// The rate of bucket `i` in requests per minute.
    pub fn per_minute(&self, i: usize) -> f64 {
        self.counts.get(i).copied().unwrap_or(0) as f64 * 60.0 / self.bucket_secs.max(1) as f64
    }
}

/// Final outcomes, one per serial (the last outcome across all journals wins).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeCounts {
    /// Uploaded by ykprov.
    pub uploaded: u64,
    /// Already in Okta.
    pub already_present: u64,
    /// Refused by Okta.
    pub rejected: u64,
    /// Gave up after retries.
    pub failed: u64,
    /// Invalid rows skipped.
    pub invalid: u64,
    /// A request left but no outcome was journaled (a crash): check with `reconcile`.
    pub in_doubt: u64,
}

impl OutcomeCounts {
    /// `(outcome, count)` in report order.
    pub fn pairs(&self) -> [(OutcomeKind, u64); 6] {
        OutcomeKind::ALL.map(|k| (k, *self.slot(k)))
    }

    /// Counts one more serial with this outcome.
    pub fn add(&mut self, kind: OutcomeKind) {
        *self.slot_mut(kind) += 1;
    }

    fn slot(&self, kind: OutcomeKind) -> &u64 {
        match kind {
            OutcomeKind::Uploaded => &self.uploaded,
            OutcomeKind::AlreadyPresent => &self.already_present,
            OutcomeKind::Rejected => &self.rejected,
            OutcomeKind::Failed => &self.failed,
            OutcomeKind::Invalid => &self.invalid,
            OutcomeKind::InDoubt => &self.in_doubt,
        }
    }

    fn slot_mut(&mut self, kind: OutcomeKind) -> &mut u64 {
        match kind {
            OutcomeKind::Uploaded => &mut self.uploaded,
            OutcomeKind::AlreadyPresent => &mut self.already_present,
            OutcomeKind::Rejected => &mut self.rejected,
            OutcomeKind::Failed => &mut self.failed,
            OutcomeKind::Invalid => &mut self.invalid,
            OutcomeKind::InDoubt => &mut self.in_doubt,
        }
    }
}

/// The destructive writes the journals record (repair's reissues, revoke): counted apart from the
/// uploads so a report never reads "4 uploaded" while it also deleted tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Changes {
    /// Tokens Okta deleted (204, or a lookup confirmed it); a 404 (already gone) is not counted.
    pub tokens_deleted: u64,
    /// YubiKey factors unenrolled from their users (revoke).
    pub factors_unenrolled: u64,
    /// Keys revoked: Okta keeps no live record of them (revoke).
    pub keys_revoked: u64,
}

impl Changes {
    /// Whether any destructive write was made.
    pub fn any(&self) -> bool {
        self.tokens_deleted + self.factors_unenrolled + self.keys_revoked > 0
    }
}

/// What did not go straight.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Anomalies {
    /// Rate-limit 429s (sum of the runs' summaries).
    pub rate_limited: u64,
    /// Concurrency 429s (sum of the runs' summaries).
    pub concurrency_limited: u64,
    /// Retries of any kind (sum of the runs' summaries).
    pub retries: u64,
    /// Lookups to settle an upload in doubt (sum of the runs' summaries).
    pub in_doubt_lookups: u64,
    /// Serials whose lost answer was settled by a lookup that found the token.
    pub confirmed_by_lookup: Vec<Serial>,
    /// Serials sent more than once, with the highest attempt journaled.
    pub retried: Vec<Retried>,
    /// Serials with a request and no outcome.
    pub in_doubt: Vec<Serial>,
    /// Journal lines that could not be read (`journal:line`).
    pub unreadable_lines: Vec<String>,
    /// Runs with no summary (crashed or killed).
    pub unfinished_runs: Vec<String>,
}

/// A serial sent more than once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retried {
    /// 12-digit serial.
    pub serial: Serial,
    /// Highest attempt number journaled.
    pub attempts: u32,
}

/// The reconciliation, as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileSummary {
    /// When it ran.
    pub generated_at: String,
    /// Okta org.
    pub org: String,
    /// Seed files and their hashes.
    pub files: Vec<FileInfo>,
    /// `file` or `org`.
    pub scope: String,
    /// Stale threshold in days.
    pub stale_after_days: i64,
    /// Tokens Okta returned.
    pub okta_tokens: u64,
    /// Counts per category.
    pub counts: BTreeMap<String, u64>,
    /// Categories that fail the reconciliation (`--fail-on`).
    pub fail_on: Vec<String>,
    /// Items in every category but `active` and `unassigned`, sorted by category then serial.
    pub needs_action: Vec<Item>,
    /// Serials revoked or deleted and uploaded again (a live record after history), by serial.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uploaded_again: Vec<Item>,
    /// Invalid rows of the seed files.
    pub invalid: Vec<InvalidRow>,
}

/// One serial's line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    /// 12-digit serial (absent for an invalid row without a readable one).
    pub serial: Option<Serial>,
    /// Line in the seed file.
    pub line: Option<u64>,
    /// The run that wrote the final outcome.
    pub run_id: Option<String>,
    /// Final outcome; absent when the serial is only in the reconciliation.
    pub outcome: Option<OutcomeKind>,
    /// Highest attempt journaled.
    pub attempts: Option<u32>,
    /// When the outcome was journaled.
    pub at: Option<String>,
    /// Okta token id.
    pub token_id: Option<String>,
    /// Okta status (from the reconciliation, else from the journal).
    pub status: Option<String>,
    /// Reconciliation category.
    pub category: Option<String>,
    /// Assigned user's login, else id.
    pub user: Option<String>,
    /// `X-Okta-Request-Id`.
    pub request_id: Option<String>,
    /// HTTP status of a rejection.
    pub http_status: Option<u16>,
    /// Okta `errorCode`.
    pub error_code: Option<String>,
    /// Okta `errorSummary`, or why the row failed or was invalid.
    pub error: Option<String>,
    /// Okta `errorCauses`.
    pub causes: Vec<String>,
    /// Uploaded, answer lost, confirmed by a lookup.
    pub confirmed_by_lookup: bool,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// One self-contained page with charts.
    Html,
    /// Markdown, for tickets and wikis.
    Md,
    /// One row per serial: the full list.
    Csv,
    /// The whole report as data.
    Json,
}

impl ReportFormat {
    /// The format a file name asks for (`.html`, `.htm`, `.md`, `.markdown`, `.csv`, `.json`).
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "html" | "htm" => Some(Self::Html),
            "md" | "markdown" => Some(Self::Md),
            "csv" => Some(Self::Csv),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

/// Renders a report in memory.
pub fn render(report: &AuditReport, format: ReportFormat) -> anyhow::Result<Vec<u8>> {
    Ok(match format {
        ReportFormat::Html => html::render(report).into_bytes(),
        ReportFormat::Md => markdown::render(report).into_bytes(),
        ReportFormat::Csv => csv_out::render(report)?,
        ReportFormat::Json => {
            let mut v = serde_json::to_vec_pretty(report).context("cannot encode the report")?;
            v.push(b'\n');
            v
        }
    })
}

/// Writes a report atomically (mode 0600).
pub fn write(report: &AuditReport, path: &Path, format: ReportFormat) -> anyhow::Result<()> {
    let bytes = render(report, format)?;
    crate::atomic::write(path, |w| Ok(w.write_all(&bytes)?))
        .with_context(|| format!("cannot write report {}", path.display()))
}

/// The format for `path` (`explicit` wins), or an error naming the extensions that work.
/// `upload` and `reconcile` call it before they start, so a bad `--report` fails fast.
pub fn format_for(path: &Path, explicit: Option<ReportFormat>) -> anyhow::Result<ReportFormat> {
    explicit
        .or_else(|| ReportFormat::from_path(path))
        .with_context(|| {
            format!(
                "cannot tell the report format from {}: use .html, .md, .csv or .json, or pass --format",
                path.display()
            )
        })
}

/// Writes the report of a reconciliation (for `reconcile --report PATH`); format from the extension.
pub fn write_reconcile_report(path: &Path, result: &ReconcileResult) -> anyhow::Result<()> {
    let report = build(&[], Some(result))?;
    write(&report, path, format_for(path, None)?)
}

/// Writes the report of an upload's journal (for `upload --report PATH`); format from the extension.
pub fn write_upload_report(path: &Path, journal: &Path) -> anyhow::Result<()> {
    let report = build(&[journal.to_path_buf()], None)?;
    write(&report, path, format_for(path, None)?)
}

/// Writes the report of a repair (for `repair --report PATH`): its journal, when it has one, and
/// the reconciliation after it; format from the extension.
pub fn write_repair_report(
    path: &Path,
    journal: Option<&Path>,
    after: &ReconcileResult,
) -> anyhow::Result<()> {
    let journals: Vec<PathBuf> = journal.map(Path::to_path_buf).into_iter().collect();
    let report = build(&journals, Some(after))?;
    write(&report, path, format_for(path, None)?)
}

/// Reads a `reconcile --format json` result.
pub fn read_reconcile(path: &Path) -> anyhow::Result<ReconcileResult> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read reconciliation {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "{} is not a reconciliation result (write one with `ykprov reconcile --format json`)",
            path.display()
        )
    })
}

/// Paths as strings, for the report.
fn names(paths: &[PathBuf]) -> Vec<String> {
    paths.iter().map(|p| p.display().to_string()).collect()
}

/// The journaled options as `key=value` pairs (`rate.mode=auto, rate.share=0.5, concurrency=4`).
pub fn options_text(v: &serde_json::Value) -> String {
    fn walk(prefix: &str, v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            serde_json::Value::String(s) => out.push(format!("{prefix}={s}")),
            other => out.push(format!("{prefix}={other}")),
        }
    }
    let mut out = Vec::new();
    walk("", v, &mut out);
    out.join(", ")
}
