//! `ykprov upload`: validate the whole file, fetch what Okta already holds, then stream the file
//! again and upload each remaining row through the pacer and the adaptive concurrency limit, with
//! every intent and outcome journaled so an interrupted run resumes with nothing lost or doubled.
//!
//! The pieces are separate on purpose: pacing lives in `okta::pacing`, what to do with a row in
//! [`decide`], the counting in [`tally`], the second pass in [`stream`], the tasks in flight in
//! [`dispatch`] (bounded by [`concurrency`]), retries and in-doubt lookups in [`write`](mod@write) (the one
//! journaled-write loop, by the rules of [`policy`], which [`worker`] and repair's and revoke's
//! writes share), durability in `journal` (opened by [`run_journal`]).

pub mod budget;
pub mod concurrency;
pub mod decide;
pub mod delete;
pub mod dispatch;
pub mod options;
pub mod policy;
pub mod preflight;
pub mod run_journal;
pub mod stream;
pub mod summary;
pub mod tally;
pub mod worker;
pub mod write;

pub use options::UploadOptions;
pub use tally::{Plan, Tally};

use crate::journal::{Counts, Entry, Journal};
use crate::okta::OktaClient;
use crate::seed::{self, FileReport, SeedSource, ValidationOptions};
use anyhow::Context;
use chrono::Utc;
use decide::Known;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use stream::Ended;
use tokio::sync::watch;

/// The result of a run.
#[derive(Debug)]
pub struct UploadSummary {
    /// The first pass's findings.
    pub validation: FileReport,
    /// The plan (exact for a dry run).
    pub plan: Plan,
    /// What happened.
    pub counts: Counts,
    /// The journal, unless dry run or stopped before it was opened.
    pub journal: Option<PathBuf>,
    /// Wall time.
    pub elapsed: Duration,
    /// The write pace in use at the end, per minute.
    pub pace_per_minute: f64,
    /// Stopped by Ctrl-C.
    pub interrupted: bool,
    /// Stopped before sending because rows were invalid.
    pub stopped_for_invalid: bool,
    /// A fatal problem that stopped the run after it started (bad credential, journal I/O).
    pub fatal: Option<String>,
    /// Whether this was a dry run.
    pub dry_run: bool,
}

impl UploadSummary {
    /// Whether every row ended uploaded or present.
    pub fn is_clean(&self) -> bool {
        self.fatal.is_none()
            && !self.interrupted
            && !self.stopped_for_invalid
            && self.counts.rejected == 0
            && self.counts.failed == 0
            && self.counts.invalid == 0
            && self.validation.error_count == 0
    }

    /// The summary of a run that has only validated `validation` so far.
    fn validated(validation: FileReport, dry_run: bool) -> Self {
        let (plan, counts) = Tally::new(validation.error_count).into_parts();
        UploadSummary {
            validation,
            plan,
            counts,
            journal: None,
            elapsed: Duration::ZERO,
            pace_per_minute: 0.0,
            interrupted: false,
            stopped_for_invalid: false,
            fatal: None,
            dry_run,
        }
    }

    /// Takes in how the second pass ended and the client's view of the pace and the 429s.
    fn ended(&mut self, ended: Ended, client: &OktaClient, elapsed: Duration) {
        (self.plan, self.counts) = ended.tally.into_parts();
        self.interrupted = ended.interrupted;
        self.elapsed = elapsed;
        self.pace_per_minute = client.token_pacer().per_minute();
        let stats = client.stats();
        self.counts.rate_limited = stats.rate_limited.load(Ordering::Relaxed);
        self.counts.concurrency_limited = stats.concurrency_limited.load(Ordering::Relaxed);
        if let Err(e) = ended.result {
            self.fatal = Some(format!("{e:#}"));
        }
    }

    /// The journal's closing line; failing to write it makes the run fatal, counts kept.
    fn close(&mut self, journal: &Journal, client: &OktaClient) {
        let end = Entry::Summary {
            counts: self.counts.clone(),
            interrupted: self.interrupted,
            elapsed_secs: self.elapsed.as_secs_f64(),
            pace_per_minute: self.pace_per_minute,
            window: rate_window(client),
            at: Utc::now(),
        };
        if let Err(e) = journal.append(&end) {
            self.fatal.get_or_insert(format!("{e:#}"));
        }
    }
}

/// Runs an upload. Returns `Err` only for problems before anything was sent; problems after that
/// (bad credential mid-run) end the run cleanly with `fatal` set, so the summary is never lost.
pub async fn upload(
    o: &UploadOptions,
    client: OktaClient,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<UploadSummary> {
    let started = Instant::now();
    // Decrypted once, here: both passes read these bytes, so a PIN is asked once and a sealed file
    // cannot change between them.
    let source = open(o).await?;
    let mut summary = UploadSummary::validated(validate(o, &source).await?, o.dry_run);
    o.expect.check(&[&summary.validation])?;
    if summary.validation.error_count > 0 && !o.skip_invalid && !o.dry_run {
        summary.stopped_for_invalid = true;
        return Ok(summary);
    }
    let existing = preflight::existing_serials(&client)
        .await
        .context("cannot list the tokens already in Okta")?;
    tracing::info!("Okta already holds {} YubiKey token(s)", existing.len());
    // Once per run, after the file's checks and before the first write; a 401 stops it here.
    let who = match (&o.okta_identity, o.dry_run) {
        (None, false) => Some(crate::okta::identity::recorded(&client).await?),
        (given, _) => given.clone(),
    };
    let journal = run_journal::open(o, client.org().as_str(), &summary.validation, who)?;
    if journal.writer.is_some() {
        summary.journal = Some(journal.path.clone());
    }
    ensure_unchanged(&source, &summary.validation.sha256)?;
    let known = Known {
        validation: &summary.validation,
        replay: &journal.replay,
        existing: &existing,
        retry_rejected: o.retry_rejected,
    };
    let ended = stream::stream_rows(o, &source, &client, known, journal.writer.clone(), &mut shutdown).await;
    summary.ended(ended, &client, started.elapsed());
    if let Some(writer) = &journal.writer {
        summary.close(writer, &client);
    }
    Ok(summary)
}

/// The token path's window as the client's pacer learned it, for the journal's summary; `None`
/// while its length is only estimated.
pub fn rate_window(client: &OktaClient) -> Option<crate::journal::RateWindow> {
    let pacer = client.token_pacer();
    let (limit, _) = pacer.learned_limit()?;
    let secs = pacer.window_length()?.as_secs().max(1);
    Some(crate::journal::RateWindow { secs, limit })
}

/// Opens the seed file on a blocking thread (gpg may wait for a PIN): a plain file as its path,
/// a sealed one decrypted into memory.
async fn open(o: &UploadOptions) -> anyhow::Result<SeedSource> {
    let (file, unseal) = (o.file.clone(), o.unseal.clone());
    tokio::task::spawn_blocking(move || seed::open(&file, &unseal)).await?
}

/// The first pass, on a blocking thread: every rule, the cross-row checks, the file's hash.
async fn validate(o: &UploadOptions, source: &SeedSource) -> anyhow::Result<FileReport> {
    let source = source.clone();
    let vopts = ValidationOptions {
        format: o.format,
        last_wins: o.last_wins,
    };
    tokio::task::spawn_blocking(move || seed::validate_file(&source, &vopts)).await?
}

/// Refuses a file that changed between the first pass and the second.
fn ensure_unchanged(source: &SeedSource, validated_sha256: &str) -> anyhow::Result<()> {
    if !source.unchanged_since(validated_sha256)? {
        anyhow::bail!(
            "{} changed after it was validated; re-run when it is no longer being written",
            source.path().display()
        );
    }
    Ok(())
}
