//! Applying a plan: the journal opened (or continued) with a header, the doubts of earlier runs
//! closed, the plan journaled, then the seed files streamed once more on a blocking thread and
//! each planned row handed to [`repair_one`] through upload's bounded [`Tasks`]. Ctrl-C stops
//! dispatching and lets what is in flight finish; a fatal error (a refused credential, the journal
//! not writable) does the same and is reported. The files must not change between plan and apply.

use super::plan::Action;
use super::worker::{repair_one, End, Finished, Task};
use super::{Prepared, RepairOptions};
use crate::journal::repair::Planned;
use crate::journal::{Counts, Entry, Header, Journal, SealedInput};
use crate::okta::OktaClient;
use crate::progress::Progress;
use crate::reconcile::FileInfo;
use crate::seed::{self, ReaderOptions, RowOutcome, SeedReader, SeedSource};
use crate::upload::dispatch::{Dispatched, Tasks};
use crate::upload::run_journal::{operator, run_id};
use crate::upload::worker::{Ctx, Fatal};
use anyhow::Context;
use chrono::Utc;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// What a repair run did, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepairCounts {
    /// Actions planned.
    pub planned: u64,
    /// Actions done (the seed uploaded, after its delete for a reissue).
    pub done: u64,
    /// Tokens deleted (a reissue's first step).
    pub deleted: u64,
    /// Actions left alone because their target changed (or could not be checked).
    pub skipped: u64,
    /// Actions tried that failed; the next repair tries again.
    pub failed: u64,
    /// Actions not started (Ctrl-C or a fatal error).
    pub not_started: u64,
    /// Requests sent again.
    pub retries: u64,
    /// Reads to settle a request in doubt.
    pub lookups: u64,
    /// Doubts of earlier runs settled from the inventory.
    pub settled: u64,
}

/// The result of applying a plan.
#[derive(Debug)]
pub struct RepairSummary {
    /// The counts.
    pub counts: RepairCounts,
    /// Every action that was skipped or failed, with why.
    pub not_done: Vec<Finished>,
    /// The journal.
    pub journal: std::path::PathBuf,
    /// Stopped by Ctrl-C.
    pub interrupted: bool,
    /// A problem that stopped the run (a refused credential, the journal).
    pub fatal: Option<String>,
    /// Wall time.
    pub elapsed: Duration,
    /// The write pace at the end, per minute.
    pub pace_per_minute: f64,
}

impl RepairSummary {
    /// Whether every planned action was done or left alone because its target changed.
    pub fn is_clean(&self) -> bool {
        let c = &self.counts;
        self.fatal.is_none() && !self.interrupted && c.failed == 0 && c.not_started == 0
    }
}

/// One hash for the journal header: the file's own, or for several files the SHA-256 of their
/// hashes and names.
fn input_sha256(files: &[FileInfo]) -> String {
    if let [one] = files {
        return one.sha256.clone();
    }
    let mut h = Sha256::new();
    for f in files {
        h.update(format!("{}  {}\n", f.sha256, f.path));
    }
    hex::encode(h.finalize())
}

fn open_journal(o: &RepairOptions, p: &Prepared, org: &str) -> anyhow::Result<Journal> {
    if !p.damaged_lines.is_empty() {
        anyhow::bail!(
            "journal {} has unreadable lines {:?}; it may be damaged. Move it aside and re-run (the plan is made from Okta's inventory, so nothing is done twice)",
            p.journal.display(),
            p.damaged_lines
        );
    }
    let files = &p.before.file_info;
    let header = Header {
        run_id: run_id(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        operator: operator(),
        okta_identity: o.okta_identity.clone(),
        org: org.to_string(),
        input: files
            .iter()
            .map(|f| f.path.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        input_sha256: input_sha256(files),
        // The header has room for one seal: a repair of a single sealed file records it.
        sealed: match p.sources.as_slice() {
            [one] => one.seal().map(SealedInput::from_seal),
            _ => None,
        },
        options: o.to_json(),
        started: Utc::now(),
        resumed: p.journal.exists(),
    };
    if header.resumed {
        Journal::resume(&p.journal, header)
    } else {
        Journal::create(&p.journal, header)
    }
}

/// Refuses files that changed since the plan was made from them (for a sealed file, the sealed
/// file on disk against the one decrypted for the plan).
fn ensure_unchanged(p: &Prepared, when: &str) -> anyhow::Result<()> {
    for (f, source) in p.before.file_info.iter().zip(&p.sources) {
        if !source.unchanged_since(&f.sha256)? {
            anyhow::bail!(
                "{} changed {when}; run the repair again to plan from the new version",
                f.path
            );
        }
    }
    Ok(())
}

fn planned(a: &Action) -> Entry {
    Entry::Planned(Planned {
        serial: a.serial.clone(),
        action: a.action,
        token_id: a.token_id.clone(),
        file: a.file.clone(),
        line: a.line,
        reason: a.reason.clone(),
        at: Utc::now(),
    })
}

/// Streams the files on a blocking thread and sends the planned rows, with their seeds.
fn spawn_reader(
    o: &RepairOptions,
    sources: &[SeedSource],
    actions: &[Action],
) -> (tokio::task::JoinHandle<anyhow::Result<()>>, mpsc::Receiver<Task>) {
    let mut wanted: HashMap<(String, u64), Action> = actions
        .iter()
        .map(|a| ((a.file.clone(), a.line), a.clone()))
        .collect();
    let (tx, rx) = mpsc::channel::<Task>(64);
    let (sources, format) = (sources.to_vec(), o.format);
    let reader = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        for source in &sources {
            let name = source.path().display().to_string();
            for row in SeedReader::open(source, &ReaderOptions { format })? {
                let RowOutcome::Valid(v) = row else { continue };
                let Some(action) = wanted.remove(&(name.clone(), v.line)) else {
                    continue;
                };
                // The plan was made from this row; a different serial means the file changed.
                if action.serial != seed::Serial::from(v.seed.serial) {
                    anyhow::bail!("{name} changed since the plan; run the repair again");
                }
                if tx.blocking_send(Task { action, seed: v.seed }).is_err() {
                    return Ok(());
                }
            }
        }
        Ok(())
    });
    (reader, rx)
}

/// The run in progress: its tasks, counts and bar.
struct Run {
    tasks: Tasks<Finished>,
    counts: RepairCounts,
    not_done: Vec<Finished>,
    progress: Progress,
    interrupted: bool,
}

impl Run {
    fn finished(&mut self, f: Finished) {
        let c = &mut self.counts;
        c.retries += u64::from(f.retries);
        c.lookups += u64::from(f.lookups);
        c.deleted += u64::from(f.deleted);
        match &f.end {
            End::Done { .. } => c.done += 1,
            End::Skipped { .. } => c.skipped += 1,
            End::Failed { reason } => {
                tracing::warn!(serial = %f.action.serial, action = %f.action.action, %reason, "repair action failed");
                c.failed += 1;
            }
        }
        if !matches!(f.end, End::Done { .. }) {
            self.not_done.push(f);
        }
        let c = &self.counts;
        self.progress
            .advance(|| format!("done {} skipped {} failed {}", c.done, c.skipped, c.failed));
    }

    /// Hands every planned row to a task; `Err` when a finished task stopped the run.
    async fn dispatch_all(
        &mut self,
        rows: &mut mpsc::Receiver<Task>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        while let Some(task) = rows.recv().await {
            if *shutdown.borrow() {
                self.interrupted = true;
                break;
            }
            let ctx = Arc::clone(self.tasks.ctx());
            let mut reaped = Vec::new();
            let sent = self
                .tasks
                .spawn(shutdown, |f| reaped.push(f), move || repair_one(ctx, task))
                .await;
            for f in reaped {
                self.finished(f);
            }
            match sent? {
                Dispatched::Sent => {}
                Dispatched::Interrupted => {
                    self.interrupted = true;
                    break;
                }
                // The task that stopped the run hands its error to the drain.
                Dispatched::Stopped => break,
            }
        }
        Ok(())
    }
}

/// Applies `p.plan`. `Err` only for problems before anything was sent (the journal, changed
/// files); later problems end the run with `fatal` set, so the counts are never lost.
pub async fn apply(
    o: &RepairOptions,
    p: &Prepared,
    client: &OktaClient,
    shutdown: &mut watch::Receiver<bool>,
) -> anyhow::Result<RepairSummary> {
    let started = Instant::now();
    ensure_unchanged(p, "since the plan was made")?;
    let journal = Arc::new(open_journal(o, p, client.org().as_str())?);
    for e in p.doubts.entries(Utc::now()) {
        journal.append(&e)?;
    }
    for a in &p.plan.actions {
        journal.append(&planned(a))?;
    }
    let ctx = Ctx::new(client, &journal, o.concurrency, o.max_attempts);
    let planned = p.plan.actions.len() as u64;
    let mut run = Run {
        tasks: Tasks::new(Arc::new(ctx)),
        counts: RepairCounts {
            planned,
            settled: (p.doubts.uploaded.len() + p.doubts.deleted.len()) as u64,
            ..RepairCounts::default()
        },
        not_done: Vec::new(),
        progress: Progress::new(planned, o.quiet),
        interrupted: false,
    };
    let (reader, mut rows) = spawn_reader(o, &p.sources, &p.plan.actions);
    let mut result = run.dispatch_all(&mut rows, shutdown).await;
    drop(rows);
    let mut reaped = Vec::new();
    if let Some(e) = run.tasks.drain(|f| reaped.push(f)).await {
        result = result.and(Err(e));
    }
    for f in reaped {
        run.finished(f);
    }
    run.progress.finish();
    if result.is_ok() && !run.interrupted {
        result = match reader.await.context("seed reader stopped unexpectedly") {
            Ok(read) => read.and_then(|()| ensure_unchanged(p, "during the repair")),
            Err(e) => Err(e),
        };
    }
    let c = &mut run.counts;
    c.not_started = c.planned - (c.done + c.skipped + c.failed).min(c.planned);
    let mut summary = RepairSummary {
        counts: run.counts,
        not_done: run.not_done,
        journal: p.journal.clone(),
        interrupted: run.interrupted,
        fatal: result
            .err()
            .map(|e| Fatal::text(&e, "A repair's deletes and uploads")),
        elapsed: started.elapsed(),
        pace_per_minute: client.token_pacer().per_minute(),
    };
    close(&mut summary, &journal, client);
    Ok(summary)
}

/// The journal's closing line (upload's summary shape); failing to write it makes the run fatal.
fn close(s: &mut RepairSummary, journal: &Journal, client: &OktaClient) {
    let stats = client.stats();
    let c = &s.counts;
    let counts = Counts {
        uploaded: c.done,
        failed: c.failed,
        retries: c.retries,
        in_doubt_lookups: c.lookups,
        rate_limited: stats.rate_limited.load(Ordering::Relaxed),
        concurrency_limited: stats.concurrency_limited.load(Ordering::Relaxed),
        ..Counts::default()
    };
    let end = Entry::Summary {
        counts,
        interrupted: s.interrupted,
        elapsed_secs: s.elapsed.as_secs_f64(),
        pace_per_minute: s.pace_per_minute,
        window: crate::upload::rate_window(client),
        at: Utc::now(),
    };
    if let Err(e) = journal.append(&end) {
        s.fatal.get_or_insert(format!("{e:#}"));
    }
}
