//! Reconciliation: what Okta holds versus what the seed files say. The inventory fetch lives
//! with the client ([`crate::okta::inventory`]); the diff is a pure function ([`diff`]);
//! rendering is separate ([`output`]).

pub mod diff;
pub mod output;

use crate::lifecycle::Facts;
use crate::okta::inventory::{self, Via};
use crate::okta::OktaClient;
use crate::seed::{
    self, ReaderOptions, RowOutcome, SeedFormat, SeedReader, UnsealOptions, ValidationOptions,
};
use chrono::Utc;
use diff::{Category, DiffOptions, InvalidRow, LocalRow, Reconciliation, Scope};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A seed file's identity in the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// Path as given.
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Valid rows.
    pub valid: u64,
    /// Invalid rows.
    pub invalid: u64,
}

/// Everything `reconcile --format json` writes, and what `report --reconcile` reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileResult {
    /// ykprov's version.
    pub tool_version: String,
    /// When.
    pub generated_at: String,
    /// The org URL.
    pub org: String,
    /// The seed files' paths.
    pub files: Vec<String>,
    /// The seed files, with hashes.
    pub file_info: Vec<FileInfo>,
    /// How the inventory was fetched.
    pub via: Via,
    /// File or org scope.
    pub scope: Scope,
    /// Days after which an ACTIVE token counts as stale.
    pub stale_after_days: i64,
    /// Categories that make the exit code 1.
    pub fail_on: Vec<Category>,
    /// Tokens Okta returned.
    pub okta_tokens: u64,
    /// The diff.
    pub reconciliation: Reconciliation,
}

impl ReconcileResult {
    /// Whether any `--fail-on` category is non-empty.
    pub fn needs_action(&self) -> bool {
        self.fail_on.iter().any(|c| self.reconciliation.count(c) > 0)
    }
}

/// Options of a reconciliation (built from the CLI, or by the demo and tests).
#[derive(Debug, Clone)]
pub struct ReconcileOptions {
    /// Seed files.
    pub files: Vec<PathBuf>,
    /// Seed layout.
    pub format: SeedFormat,
    /// Inventory fetch.
    pub via: Via,
    /// Scope.
    pub scope: Scope,
    /// Stale threshold.
    pub stale_after: chrono::Duration,
    /// Ask Okta to embed users (logins).
    pub expand_user: bool,
    /// Exit-1 categories.
    pub fail_on: Vec<Category>,
    /// How to open sealed seed files.
    pub unseal: UnsealOptions,
    /// What people decided about keys and what ykprov uploaded (from the ledger); empty when
    /// nothing is known.
    pub facts: Facts,
    /// What the files must hold (`--expect-rows`, `--expect-sha256`); an empty file is refused.
    pub expect: crate::seed::Expect,
}

impl ReconcileOptions {
    /// How long an ACTIVE token may go unused before it is stale, the default of
    /// `--stale-after` (clap reads it from here; [`parse_age`] reads it).
    pub const DEFAULT_STALE_AFTER: &'static str = "90d";
    /// The categories that make the exit code 1, the default of `--fail-on`.
    pub const DEFAULT_FAIL_ON: [Category; 4] = [
        Category::Missing,
        Category::Blocked,
        Category::Invalid,
        Category::RetiredLive,
    ];

    /// [`Self::DEFAULT_STALE_AFTER`] as a duration.
    pub fn default_stale_after() -> chrono::Duration {
        parse_age(Self::DEFAULT_STALE_AFTER).expect("DEFAULT_STALE_AFTER parses (unit-tested)")
    }

    /// The CLI's defaults for these files: detect the layout, the CSV export, file scope, stale
    /// after 90 days, no users, exit 1 on missing, blocked, invalid and a retired key Okta still
    /// lets someone enroll.
    pub fn new(files: Vec<PathBuf>) -> Self {
        ReconcileOptions {
            files,
            format: SeedFormat::Auto,
            via: Via::Download,
            scope: Scope::File,
            stale_after: Self::default_stale_after(),
            expand_user: false,
            fail_on: Self::DEFAULT_FAIL_ON.to_vec(),
            unseal: UnsealOptions::default(),
            facts: Facts::default(),
            expect: crate::seed::Expect::default(),
        }
    }
}

/// Reads the seed files: the valid rows and the invalid ones.
fn read_local(o: &ReconcileOptions) -> anyhow::Result<(Vec<LocalRow>, Vec<InvalidRow>, Vec<FileInfo>)> {
    let mut rows = Vec::new();
    let mut invalid = Vec::new();
    let mut infos = Vec::new();
    let mut reports = Vec::new();
    for path in &o.files {
        // Decrypted once for both passes below.
        let source = seed::open(path, &o.unseal)?;
        let report = seed::validate_file(
            &source,
            &ValidationOptions {
                format: o.format,
                last_wins: false,
            },
        )?;
        let name = path.display().to_string();
        invalid.extend(report.errors.iter().map(|e| InvalidRow {
            file: name.clone(),
            line: e.line,
            serial: e.serial.clone(),
            field: e.field.map(|f| f.name().to_string()),
            reason: e.problem.to_string(),
        }));
        for row in SeedReader::open(source, &ReaderOptions { format: o.format })? {
            if let RowOutcome::Valid(v) = row {
                rows.push(LocalRow {
                    serial: v.seed.serial.into(),
                    file: name.clone(),
                    line: v.line,
                });
            }
        }
        infos.push(FileInfo {
            path: name,
            sha256: report.sha256.clone(),
            valid: report.valid,
            invalid: report.error_count,
        });
        reports.push(report);
    }
    o.expect.check(&reports.iter().collect::<Vec<_>>())?;
    Ok((rows, invalid, infos))
}

/// Reconciles the files against the org.
pub async fn reconcile(o: &ReconcileOptions, client: &OktaClient) -> anyhow::Result<ReconcileResult> {
    let opts = o.clone();
    let (local, invalid, file_info) = tokio::task::spawn_blocking(move || read_local(&opts)).await??;
    compare(o, local, invalid, file_info, client).await
}

/// Reconciles keys known without their seed files (the ledger's manifest: serial, file, line)
/// against the org; `o.files` is ignored.
pub async fn reconcile_known(
    o: &ReconcileOptions,
    local: Vec<LocalRow>,
    client: &OktaClient,
) -> anyhow::Result<ReconcileResult> {
    compare(o, local, Vec::new(), Vec::new(), client).await
}

async fn compare(
    o: &ReconcileOptions,
    local: Vec<LocalRow>,
    invalid: Vec<InvalidRow>,
    file_info: Vec<FileInfo>,
    client: &OktaClient,
) -> anyhow::Result<ReconcileResult> {
    let remote = inventory::fetch(client, o.via, None, o.expand_user).await?;
    let now = Utc::now();
    let rec = diff::diff(
        &local,
        &remote,
        invalid,
        &DiffOptions {
            scope: o.scope,
            stale_after: o.stale_after,
            now,
        },
        &o.facts,
    );
    Ok(ReconcileResult {
        tool_version: env!("CARGO_PKG_VERSION").into(),
        generated_at: crate::okta::models::okta_time::format(&now),
        org: client.org().to_string(),
        files: o.files.iter().map(|p| p.display().to_string()).collect(),
        file_info,
        via: o.via,
        scope: o.scope,
        stale_after_days: o.stale_after.num_days(),
        fail_on: o.fail_on.clone(),
        okta_tokens: remote.len() as u64,
        reconciliation: rec,
    })
}

/// Parses `90d`, `12w`, `36h` or a plain number of days.
pub fn parse_age(s: &str) -> Result<chrono::Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&s[..i], &s[i..]),
        None => (s, "d"),
    };
    let n: i64 = num
        .parse()
        .map_err(|_| format!("expected an age like 90d, 12w or 36h, got `{s}`"))?;
    match unit {
        "d" => Ok(chrono::Duration::days(n)),
        "w" => Ok(chrono::Duration::weeks(n)),
        "h" => Ok(chrono::Duration::hours(n)),
        _ => Err(format!("unknown unit in `{s}`: use d, w or h")),
    }
}

/// Renders a result in a format.
pub fn render(r: &ReconcileResult, format: output::Format) -> anyhow::Result<Vec<u8>> {
    Ok(match format {
        output::Format::Text => output::text(r).into_bytes(),
        output::Format::Json => {
            let mut v = serde_json::to_vec_pretty(r)?;
            v.push(b'\n');
            v
        }
        output::Format::Csv => output::csv(r)?.into_bytes(),
        output::Format::Md => output::markdown(r).into_bytes(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_accept_days_weeks_hours() {
        assert_eq!(parse_age("90d"), Ok(chrono::Duration::days(90)));
        assert_eq!(parse_age("2w"), Ok(chrono::Duration::days(14)));
        assert_eq!(parse_age("36h"), Ok(chrono::Duration::hours(36)));
        assert_eq!(parse_age("30"), Ok(chrono::Duration::days(30)));
        assert!(parse_age("soon").is_err());
        assert!(parse_age("3y").is_err());
    }
}
