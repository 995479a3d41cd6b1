//! `ykprov reconcile` and `ykprov export`: what Okta holds versus what the seed files say.
//! The inventory fetch is shared ([`inventory`]); the diff is a pure function ([`diff`]);
//! rendering is separate ([`output`]).

pub mod diff;
pub mod inventory;
pub mod output;

use crate::app::Outcome;
use crate::cli::{ExportArgs, GlobalArgs, ReconcileArgs, SeedFormat};
use crate::okta::OktaClient;
use crate::seed::{self, ReaderOptions, RowOutcome, SeedReader, ValidationOptions};
use anyhow::Context;
use chrono::Utc;
use diff::{Category, DiffOptions, InvalidRow, LocalRow, Reconciliation, Scope};
use inventory::Via;
use serde::{Deserialize, Serialize};
use std::io::Write;
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
}

/// Reads the seed files: the valid rows and the invalid ones.
fn read_local(o: &ReconcileOptions) -> anyhow::Result<(Vec<LocalRow>, Vec<InvalidRow>, Vec<FileInfo>)> {
    let mut rows = Vec::new();
    let mut invalid = Vec::new();
    let mut infos = Vec::new();
    for path in &o.files {
        let report = seed::validate_file(
            path,
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
        for row in SeedReader::open(path, &ReaderOptions { format: o.format })? {
            if let RowOutcome::Valid(v) = row {
                rows.push(LocalRow {
                    serial: v.seed.serial.padded(),
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
    }
    Ok((rows, invalid, infos))
}

/// Reconciles the files against the org.
pub async fn reconcile(o: &ReconcileOptions, client: &OktaClient) -> anyhow::Result<ReconcileResult> {
    let opts = o.clone();
    let (local, invalid, file_info) = tokio::task::spawn_blocking(move || read_local(&opts)).await??;
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

/// Writes `text` to `out` atomically, or to stdout for `-` or no path.
pub fn emit(out: Option<&PathBuf>, text: &[u8]) -> anyhow::Result<()> {
    match out {
        Some(p) if p.as_os_str() != "-" => crate::atomic::write(p, |w| Ok(w.write_all(text)?)),
        _ => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text).context("cannot write to stdout")?;
            stdout.flush().context("cannot write to stdout")
        }
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

/// Runs `ykprov reconcile`.
pub async fn run(args: &ReconcileArgs, _global: &GlobalArgs) -> anyhow::Result<Outcome> {
    for f in &args.files {
        if !f.is_file() {
            anyhow::bail!("cannot read seed file {}: no such file", f.display());
        }
    }
    let client = crate::upload::command::client(
        &args.org,
        crate::okta::pacing::RateSetting::Auto { share: 0.5 },
        crate::okta::oauth::READ_SCOPES,
    )?;
    let o = ReconcileOptions {
        files: args.files.clone(),
        format: args.format,
        via: args.via,
        scope: args.scope,
        stale_after: args.stale_after,
        expand_user: args.expand_user,
        fail_on: args.fail_on.clone(),
    };
    if let Some(path) = &args.report {
        crate::report::format_for(path, None)?;
    }
    let result = reconcile(&o, &client).await?;
    emit(args.out.as_ref(), &render(&result, args.output)?)?;
    if let Some(path) = &args.report {
        crate::report::write_reconcile_report(path, &result)?;
    }
    Ok(if result.needs_action() {
        Outcome::Problems
    } else {
        Outcome::Clean
    })
}

/// Runs `ykprov export`.
pub async fn run_export(args: &ExportArgs, _global: &GlobalArgs) -> anyhow::Result<Outcome> {
    let client = crate::upload::command::client(
        &args.org,
        crate::okta::pacing::RateSetting::Auto { share: 0.5 },
        crate::okta::oauth::READ_SCOPES,
    )?;
    let mut tokens = inventory::fetch(&client, args.via, args.filter.as_deref(), args.expand_user).await?;
    tokens.sort_by(|a, b| a.serial.cmp(&b.serial));
    let mut buf = Vec::new();
    inventory::write_export(&mut buf, &tokens)?;
    emit(args.out.as_ref(), &buf)?;
    if args.out.as_ref().is_some_and(|p| p.as_os_str() != "-") {
        eprintln!("exported {} tokens", tokens.len());
    }
    Ok(Outcome::Clean)
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
