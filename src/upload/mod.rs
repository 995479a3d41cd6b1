//! `ykprov upload`: validate the whole file, fetch what Okta already holds, then stream the file
//! again and upload each remaining row through the pacer and the adaptive concurrency limit, with
//! every intent and outcome journaled so an interrupted run resumes with nothing lost or doubled.
//!
//! The pieces are separate on purpose: pacing lives in `okta::pacing`, the in-flight bound in
//! [`concurrency`], retries and in-doubt lookups in [`worker`], durability in `journal`.

pub mod concurrency;
pub mod options;
pub mod policy;
pub mod preflight;
pub mod summary;
pub mod worker;

pub use options::UploadOptions;

use crate::journal::{self, Counts, Entry, Header, Journal, Replay, RowResult};
use crate::okta::{Bucket, OktaClient};
use crate::progress::Progress;
use crate::seed::{self, FileReport, ReaderOptions, RowOutcome, SeedReader, ValidationOptions};
use anyhow::Context;
use chrono::Utc;
use concurrency::AdaptiveLimit;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use worker::{Ctx, Done, Fatal, Work};

/// What the run would do or did, row by row counts.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Plan {
    /// Rows to upload.
    pub to_upload: u64,
    /// Rows whose serial Okta already has.
    pub already_present: u64,
    /// Rows finished by an earlier run of this journal.
    pub done_before: u64,
    /// Invalid rows (skipped with --skip-invalid).
    pub invalid: u64,
    /// Repeated or superseded rows not uploaded.
    pub excluded: u64,
}

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
}

/// `user@host` for the journal header. Cron and systemd often run without `$USER`, so fall back
/// to the account that owns the process (`/proc/self` and `/etc/passwd` on Linux).
fn operator() -> String {
    let user = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .or_else(account_name)
        .unwrap_or_else(|| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into());
    format!("{user}@{host}")
}

fn account_name() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[2] == uid)
        .map(|f| f[0].to_string())
}

fn run_id() -> String {
    use rand::Rng;
    format!("{:016x}", rand::thread_rng().gen::<u64>())
}

/// Opens (or continues) the journal for this input, refusing one that belongs to another file.
fn open_journal(o: &UploadOptions, path: &Path, header: Header) -> anyhow::Result<(Arc<Journal>, Replay)> {
    if path.exists() {
        let replay = journal::replay(path)?;
        if !replay.unreadable_lines.is_empty() {
            if replay.only_torn_by_crashes {
                tracing::warn!(
                    "journal {}: line(s) {:?} were torn by a crash; ignoring them",
                    path.display(),
                    replay.unreadable_lines
                );
            } else {
                anyhow::bail!(
                    "journal {} has unreadable lines {:?}; it may be damaged. Move it aside and re-run (the preflight will find what is already in Okta)",
                    path.display(),
                    replay.unreadable_lines
                );
            }
        }
        if let Some(prev) = replay.headers.last() {
            if prev.input_sha256 != header.input_sha256 {
                anyhow::bail!(
                    "journal {} belongs to a different version of the seed file (SHA-256 {}…); pass --journal NEW.jsonl for this file",
                    path.display(),
                    &prev.input_sha256[..prev.input_sha256.len().min(12)]
                );
            }
        }
        tracing::info!(journal = %path.display(), done = replay.outcomes.len(), in_doubt = replay.in_doubt.len(), "resuming from journal");
        let header = Header {
            resumed: true,
            ..header
        };
        Ok((Arc::new(Journal::resume(path, header)?), replay))
    } else {
        if o.resume {
            anyhow::bail!("--resume: no journal at {}; nothing to resume", path.display());
        }
        Ok((Arc::new(Journal::create(path, header)?), Replay::default()))
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
    let file = o.file.clone();
    let vopts = ValidationOptions {
        format: o.format,
        last_wins: o.last_wins,
    };
    let validation = tokio::task::spawn_blocking(move || seed::validate_file(&file, &vopts)).await??;
    let mut summary = UploadSummary {
        plan: Plan {
            invalid: validation.error_count,
            ..Plan::default()
        },
        validation,
        counts: Counts::default(),
        journal: None,
        elapsed: Duration::ZERO,
        pace_per_minute: 0.0,
        interrupted: false,
        stopped_for_invalid: false,
        fatal: None,
        dry_run: o.dry_run,
    };
    if summary.validation.error_count > 0 && !o.skip_invalid && !o.dry_run {
        summary.stopped_for_invalid = true;
        return Ok(summary);
    }

    let existing = preflight::existing_serials(&client)
        .await
        .context("cannot list the tokens already in Okta")?;
    tracing::info!(tokens = existing.len(), "preflight: tokens already in Okta");

    let (journal, replay) = if o.dry_run {
        let path = o
            .journal
            .clone()
            .unwrap_or_else(|| journal::default_path(&o.file));
        let replay = if path.exists() {
            journal::replay(&path)?
        } else {
            Replay::default()
        };
        (None, replay)
    } else {
        let path = o
            .journal
            .clone()
            .unwrap_or_else(|| journal::default_path(&o.file));
        let header = Header {
            run_id: run_id(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            operator: operator(),
            org: client.org().to_string(),
            input: o.file.display().to_string(),
            input_sha256: summary.validation.sha256.clone(),
            options: o.to_json(),
            started: Utc::now(),
            resumed: false,
        };
        let (j, r) = open_journal(o, &path, header)?;
        summary.journal = Some(path);
        (Some(j), r)
    };

    let now_sha = seed::sha256_file(&o.file)?;
    if now_sha != summary.validation.sha256 {
        anyhow::bail!(
            "{} changed after it was validated; re-run when it is no longer being written",
            o.file.display()
        );
    }

    let result = stream_rows(
        o,
        &client,
        &mut summary,
        &existing,
        &replay,
        journal.clone(),
        &mut shutdown,
    )
    .await;
    summary.elapsed = started.elapsed();
    summary.pace_per_minute = client.pacer(Bucket::Write).per_minute();
    summary.counts.rate_limited = client
        .stats()
        .rate_limited
        .load(std::sync::atomic::Ordering::Relaxed);
    summary.counts.concurrency_limited = client
        .stats()
        .concurrency_limited
        .load(std::sync::atomic::Ordering::Relaxed);
    if let Err(e) = result {
        summary.fatal = Some(format!("{e:#}"));
    }
    if let Some(j) = &journal {
        let end = Entry::Summary {
            counts: summary.counts.clone(),
            interrupted: summary.interrupted,
            elapsed_secs: summary.elapsed.as_secs_f64(),
            pace_per_minute: summary.pace_per_minute,
            at: Utc::now(),
        };
        if let Err(e) = j.append(&end) {
            summary.fatal.get_or_insert(format!("{e:#}"));
        }
    }
    Ok(summary)
}

/// The running tally on the progress bar (or the periodic log line without a terminal).
fn tally(c: &Counts, client: &OktaClient) -> String {
    let stats = client.stats();
    let ordering = std::sync::atomic::Ordering::Relaxed;
    format!(
        "uploaded {} present {} rejected {} failed {} | 429s {} | pace {:.0}/min",
        c.uploaded,
        c.already_present,
        c.rejected,
        c.failed,
        stats.rate_limited.load(ordering) + stats.concurrency_limited.load(ordering),
        client.pacer(Bucket::Write).per_minute()
    )
}

fn count(counts: &mut Counts, result: &RowResult) {
    match result {
        RowResult::Uploaded { .. } => counts.uploaded += 1,
        RowResult::AlreadyPresent { .. } => counts.already_present += 1,
        RowResult::Rejected { .. } => counts.rejected += 1,
        RowResult::Failed { .. } => counts.failed += 1,
        RowResult::Invalid { .. } => counts.invalid += 1,
    }
}

/// The second pass: stream rows, skip what is done or present, dispatch the rest.
async fn stream_rows(
    o: &UploadOptions,
    client: &OktaClient,
    summary: &mut UploadSummary,
    existing: &HashMap<String, preflight::Present>,
    replay: &Replay,
    journal: Option<Arc<Journal>>,
    shutdown: &mut watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::channel::<RowOutcome>(256);
    let file = o.file.clone();
    let ropts = ReaderOptions { format: o.format };
    // The reader runs on a blocking thread; the bounded channel gives backpressure, so a file of
    // any size is never held in memory.
    let reader = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        for row in SeedReader::open(&file, &ropts)? {
            if tx.blocking_send(row).is_err() {
                break;
            }
        }
        Ok(())
    });

    let limit = AdaptiveLimit::new(o.concurrency);
    let ctx = journal.as_ref().map(|j| {
        Arc::new(Ctx {
            client: client.clone(),
            journal: Arc::clone(j),
            limit: Arc::clone(&limit),
            max_attempts: o.max_attempts,
        })
    });
    let total = summary.validation.uploadable();
    let progress = Progress::new(total, o.quiet || o.dry_run);
    let mut tasks: JoinSet<Result<Done, Fatal>> = JoinSet::new();
    let mut fatal: Option<anyhow::Error> = None;

    let record = |summary: &mut UploadSummary,
                  serial: Option<String>,
                  line: u64,
                  result: RowResult|
     -> anyhow::Result<()> {
        if let Some(j) = &journal {
            j.append(&Entry::Outcome {
                serial,
                line,
                result: result.clone(),
                at: Utc::now(),
            })?;
        }
        count(&mut summary.counts, &result);
        Ok(())
    };

    'rows: while let Some(row) = rx.recv().await {
        if *shutdown.borrow() {
            summary.interrupted = true;
            break;
        }
        let valid = match row {
            RowOutcome::Valid(v) => v,
            RowOutcome::Invalid(e) => {
                if !o.dry_run {
                    let field = e.field.map(|f| f.name().to_string());
                    let serial = e
                        .serial
                        .as_deref()
                        .and_then(|s| seed::SerialNumber::parse(s).ok())
                        .map(|s| s.padded());
                    record(
                        summary,
                        serial,
                        e.line,
                        RowResult::Invalid {
                            field,
                            reason: e.problem.to_string(),
                        },
                    )?;
                }
                continue;
            }
            RowOutcome::Skipped(_) => continue,
        };
        if !summary.validation.is_uploadable(valid.line) {
            summary.plan.excluded += 1;
            continue;
        }
        let serial = valid.seed.serial.padded();
        if replay.is_done(&serial) {
            summary.plan.done_before += 1;
            summary.counts.done_before += 1;
            progress.advance(|| tally(&summary.counts, client));
            continue;
        }
        if let Some(p) = existing.get(&serial) {
            summary.plan.already_present += 1;
            if !o.dry_run {
                tracing::info!(serial = %valid.seed.serial, status = %p.status, "already present in Okta; skipping");
                let result = if replay.in_doubt.contains(&serial) {
                    RowResult::Uploaded {
                        token_id: p.id.clone(),
                        request_id: None,
                        confirmed_by_lookup: true,
                    }
                } else {
                    RowResult::AlreadyPresent {
                        status: p.status.to_string(),
                        token_id: p.id.clone(),
                    }
                };
                record(summary, Some(serial), valid.line, result)?;
                progress.advance(|| tally(&summary.counts, client));
            }
            continue;
        }
        summary.plan.to_upload += 1;
        let Some(ctx) = &ctx else { continue };
        let slot = tokio::select! {
            slot = limit.acquire() => slot,
            _ = shutdown.changed() => { summary.interrupted = true; break 'rows; }
        };
        // Reap finished uploads so counts and progress stay current and errors surface early.
        while let Some(joined) = tasks.try_join_next() {
            if let Some(e) = settle(joined, summary, &progress, client) {
                fatal = Some(e);
                break 'rows;
            }
        }
        let work = Work {
            line: valid.line,
            seed: valid.seed,
            was_in_doubt: replay.in_doubt.contains(&serial),
        };
        tasks.spawn(worker::upload_one(Arc::clone(ctx), work, slot));
    }
    drop(rx);
    // Let every upload in flight finish and journal its outcome, even after Ctrl-C or a fatal
    // error: abandoning them would leave rows in doubt for no reason.
    while let Some(joined) = tasks.join_next().await {
        if let Some(e) = settle(joined, summary, &progress, client) {
            fatal.get_or_insert(e);
        }
    }
    progress.finish();
    if let Some(e) = fatal {
        return Err(e);
    }
    if !summary.interrupted {
        reader.await.context("seed reader stopped unexpectedly")??;
        // Re-read rather than trust the reader's own hash: the reader may have buffered the
        // whole file before an operator appended to it.
        if seed::sha256_file(&o.file)? != summary.validation.sha256 {
            anyhow::bail!(
                "{} changed during the upload; re-run to upload any rows added since",
                o.file.display()
            );
        }
    }
    Ok(())
}

fn settle(
    joined: Result<Result<Done, Fatal>, tokio::task::JoinError>,
    summary: &mut UploadSummary,
    progress: &Progress,
    client: &OktaClient,
) -> Option<anyhow::Error> {
    match joined {
        Ok(Ok(done)) => {
            if let RowResult::Rejected { error_code, .. }
            | RowResult::Failed {
                reason: error_code, ..
            } = &done.result
            {
                tracing::warn!(serial = %done.serial, outcome = done.result.kind(), detail = %error_code, "row not uploaded");
            }
            summary.counts.retries += u64::from(done.retries);
            summary.counts.in_doubt_lookups += u64::from(done.lookups);
            count(&mut summary.counts, &done.result);
            progress.advance(|| tally(&summary.counts, client));
            None
        }
        Ok(Err(fatal)) => Some(anyhow::Error::new(fatal)),
        Err(join) => Some(anyhow::anyhow!("an upload task failed: {join}")),
    }
}
