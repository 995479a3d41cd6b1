//! What upload, repair and reconcile record in the ledger, kept out of their command files so
//! each gains a few calls: the facts before deciding, the manifest and the run's start before the
//! first write (a ledger that cannot be written stops the command there), the run's journal at
//! the end, and what each reconciliation saw.

use crate::ledger::record::{ManifestRow, Observation, RunStart};
use crate::ledger::sends::SendSource;
use crate::ledger::Ledger;
use crate::okta::OktaClient;
use crate::reconcile::diff::LocalRow;
use crate::reconcile::{ReconcileOptions, ReconcileResult};
use chrono::Utc;
use std::path::{Path, PathBuf};

/// Before a run that may write to Okta: ingest what earlier killed runs journaled, record the
/// manifest (when there is one) and the run's start (with the Okta identity behind the
/// credential). Any failure is fatal: nothing has been sent.
pub fn before_run(
    ledger: &mut Ledger,
    org: &str,
    command: &'static str,
    files: &[PathBuf],
    journal: &Path,
    manifest: &[ManifestRow],
    okta_identity: Option<&str>,
) -> anyhow::Result<()> {
    ledger.catch_up(org)?;
    let now = Utc::now();
    ledger.record_manifest(org, manifest, now)?;
    let run = RunStart {
        command,
        journal: journal.to_path_buf(),
        files: files.iter().map(|f| f.display().to_string()).collect(),
        operator: super::ledger::operator(),
        okta_identity: okta_identity.map(str::to_string),
    };
    ledger.record_run_start(org, &run, now)
}

/// Before a run's first request: what earlier runs of ours sent to the org lately (the ledger's
/// record, and `journal`'s intents when it is being continued), so the run's first window
/// counts them against `--share`. A ledger that cannot tell is no reason to stop: the header
/// gate still keeps the bucket from running dry.
pub fn carry_share<'a>(ledger: &Ledger, client: &OktaClient, source: impl Into<SendSource<'a>>) {
    match ledger.earlier_sends(client.org().as_str(), source, Utc::now()) {
        Ok(carry) => client.token_pacer().carry_in(carry),
        Err(e) => tracing::warn!(
            error = format!("{e:#}"),
            "earlier runs' requests are not counted in this run's first window"
        ),
    }
}

/// After a run: what it sent to the org lately, for the next run's [`carry_share`]. Losing it
/// costs only that count, so a failure is a warning.
pub fn record_sends<'a>(ledger: &mut Ledger, client: &OktaClient, source: impl Into<SendSource<'a>>) {
    let pacer = client.token_pacer();
    let sent = pacer.recent_sends();
    if sent.is_empty() {
        return;
    }
    let org = client.org().as_str();
    if let Err(e) = ledger.record_sends(org, source, &sent, pacer.window_length(), Utc::now()) {
        tracing::warn!(
            error = format!("{e:#}"),
            "the ledger did not record this run's requests"
        );
    }
}

/// A read-only command's requests (`reconcile`, `export`, `probe`): earlier runs' requests are
/// counted in its first window, and its own are recorded for the run that may follow (an urgent
/// revoke after the nightly reconcile), also when `reads` fails part way. Without a ledger they
/// are neither.
pub async fn counted_reads<T>(
    ledger: Option<&mut Ledger>,
    client: &OktaClient,
    command: &'static str,
    reads: impl std::future::Future<Output = T>,
) -> T {
    let source = SendSource::Reads(command);
    if let Some(l) = ledger.as_deref() {
        carry_share(l, client, source);
    }
    let out = reads.await;
    if let Some(l) = ledger {
        record_sends(l, client, source);
    }
    out
}

/// Records the manifest of a plain seed file for the org, streamed (a sealed file's comes from its
/// journal at the end, so it is not decrypted twice).
pub fn record_plain_manifest(
    ledger: &mut Ledger,
    org: &str,
    file: &Path,
    format: crate::seed::SeedFormat,
) -> anyhow::Result<()> {
    let now = Utc::now();
    crate::ledger::manifest::read_plain(file, format, 2_000, |rows| {
        ledger.record_manifest(org, rows, now).map(|_| ())
    })?;
    Ok(())
}

/// After a run: its journal into the ledger. The journal is the run's crash-safe record, so a
/// failure here loses nothing: it is reported, and the next run (or `ledger import`) catches up.
pub fn after_run(ledger: &mut Ledger, journal: &Path) -> bool {
    if !journal.exists() {
        return true;
    }
    match ledger.ingest_journal(journal) {
        Ok(_) => true,
        Err(e) => {
            eprintln!(
                "warning: the ledger {} was not updated from {}: {e:#}; the next run catches up, or run `ykprov ledger import {}`",
                ledger.path().display(),
                journal.display(),
                journal.display()
            );
            false
        }
    }
}

/// The manifest a reconciliation of seed files shows: each valid row's serial, file and line,
/// with the file's SHA-256.
pub fn manifest_of(r: &ReconcileResult) -> Vec<ManifestRow> {
    r.reconciliation
        .items
        .iter()
        .filter_map(|i| {
            let file = i.file.clone()?;
            let sha = r.file_info.iter().find(|f| f.path == file)?.sha256.clone();
            Some(ManifestRow {
                serial: i.serial.clone(),
                public_id: None,
                file,
                file_sha256: sha,
                line: i.line?,
            })
        })
        .collect()
}

/// Records what a reconciliation saw of each serial (only changes become events).
pub fn record_seen(ledger: &mut Ledger, r: &ReconcileResult) -> anyhow::Result<u64> {
    let seen = r.reconciliation.items.iter().map(|i| Observation {
        serial: i.serial.clone(),
        status: i.status.clone(),
        token_id: i.token_id.clone(),
        user_id: i.user_id.clone(),
        login: i.login.clone(),
    });
    ledger.record_observations(&r.org, seen, Utc::now())
}

/// The ledger's manifest for the org, as the rows a reconciliation compares.
pub fn known_rows(ledger: &Ledger, org: &str) -> anyhow::Result<Vec<LocalRow>> {
    Ok(ledger
        .known_keys(org)?
        .into_iter()
        .map(|k| LocalRow {
            serial: k.serial,
            file: k.file,
            line: k.line,
        })
        .collect())
}

/// Fills a reconciliation's facts from the ledger.
pub fn with_facts(mut o: ReconcileOptions, ledger: &Ledger, org: &str) -> anyhow::Result<ReconcileOptions> {
    o.facts = ledger.facts(org)?;
    Ok(o)
}
