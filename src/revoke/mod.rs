//! `ykprov revoke`, Okta's half: make sure nobody can enroll a key any more. [`prepare`] lists
//! each named serial afresh (with users) and [`plan()`]s what it needs: an ACTIVE token's
//! YubiKey factor is unenrolled from its user, then the token is deleted; an UNASSIGNED or
//! BLOCKED token is deleted; a key with only history records is already safe. [`apply()`] runs
//! the serials on upload's bounded tasks through the one journaled-write loop
//! ([`crate::upload::write`]): the serial's live record is read again before each write, a lost
//! answer is looked up (never re-sent blindly), a refused credential stops the run, and after
//! any DELETE the serial is listed again. When Okta refuses to delete a live token (403
//! `E0000102`: it was once assigned, under Okta's stricter reading) the serial ends `action
//! needed`: the key can still be enrolled by whoever holds it.
//!
//! Recording the retirement is the ledger's; what to print, the confirmation and the exit code
//! are the command's.

pub mod output;
pub mod pinned;
pub mod plan;
pub mod unenroll;
pub mod worker;

pub use plan::{plan, Plan, Step, Target};
pub use worker::Finished;

use crate::journal::revoke::{RevokeLine, RevokeOutcome};
use crate::journal::{Counts, Entry, Header, Journal};
use crate::lifecycle::{Facts, RetireReason};
use crate::okta::inventory::{self, RemoteToken, Via};
use crate::okta::OktaClient;
use crate::seed::Serial;
use crate::upload::dispatch::{Dispatched, Tasks};
use crate::upload::run_journal::{operator, run_id};
use crate::upload::worker::{Ctx, Fatal};
use anyhow::Context;
use chrono::Utc;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::watch;

/// A revoke's options (built from the CLI, or by the demo and tests).
#[derive(Debug, Clone, PartialEq)]
pub struct RevokeOptions {
    /// The serials, in the order named.
    pub serials: Vec<Serial>,
    /// Why the keys leave service (recorded with the retirement, and in the journal header).
    pub reason: RetireReason,
    /// The incident or change ticket.
    pub ticket: Option<String>,
    /// The admin's note.
    pub note: Option<String>,
    /// The journal.
    pub journal: PathBuf,
    /// Serials in flight at most.
    pub concurrency: usize,
    /// Attempts per write (429s not counted).
    pub max_attempts: u32,
    /// What ykprov knows beyond Okta (a serial it uploaded is not unknown even when Okta has no
    /// record of it).
    pub facts: Facts,
    /// Who Okta takes the credential for, looked up once before the first write (the command
    /// layer does, with [`crate::okta::identity::recorded`]); written into the journal header.
    pub okta_identity: Option<String>,
}

impl RevokeOptions {
    /// Keys revoked at once at most, the default of `revoke --concurrency` (fewer than upload's:
    /// each key is two writes, and a mistake here cannot be undone).
    pub const DEFAULT_CONCURRENCY: usize = 2;
    /// Attempts per write: upload's default.
    pub const DEFAULT_MAX_ATTEMPTS: u32 = crate::upload::UploadOptions::DEFAULT_MAX_ATTEMPTS;

    /// Defaults for these serials: 2 in flight, 6 attempts, the journal in the working directory.
    pub fn new(serials: Vec<Serial>, reason: RetireReason) -> Self {
        RevokeOptions {
            serials,
            reason,
            ticket: None,
            note: None,
            journal: PathBuf::from("ykprov-revoke-journal.jsonl"),
            concurrency: Self::DEFAULT_CONCURRENCY,
            max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
            facts: Facts::default(),
            okta_identity: None,
        }
    }
}

/// Every record of one serial, with users: the padded form first, then the plain one (Okta's
/// expectation for filters is unconfirmed, as for upload's lookups).
async fn records_of(client: &OktaClient, serial: &Serial) -> anyhow::Result<Vec<RemoteToken>> {
    let plain = serial.trim_start_matches('0');
    for form in [serial.as_str(), plain] {
        let filter = format!("profile.serial eq \"{form}\"");
        let found: Vec<RemoteToken> = inventory::fetch(client, Via::Pages, Some(&filter), true)
            .await
            .with_context(|| format!("cannot list serial {serial} in Okta"))?
            .into_iter()
            .filter(|t| &t.serial == serial)
            .collect();
        if !found.is_empty() {
            return Ok(found);
        }
    }
    Ok(Vec::new())
}

/// The facts, plus every serial an earlier run of this journal found live in Okta: a key a
/// stopped revoke already deleted is not unknown when the revoke is run again.
fn known_facts(o: &RevokeOptions) -> anyhow::Result<Facts> {
    let mut facts = o.facts.clone();
    if !o.journal.exists() {
        return Ok(facts);
    }
    let (entries, _) = crate::journal::read_entries(&o.journal)?;
    for e in entries {
        if let Entry::Revoke(RevokeLine::Planned { serial, at, .. }) = e {
            facts.uploaded.entry(serial).or_insert(at);
        }
    }
    Ok(facts)
}

/// Lists each serial in Okta and plans. Sends no write, writes no file.
pub async fn prepare(o: &RevokeOptions, client: &OktaClient) -> anyhow::Result<Plan> {
    let mut records = HashMap::new();
    for serial in &o.serials {
        records.insert(serial.clone(), records_of(client, serial).await?);
    }
    Ok(plan(&o.serials, &records, &known_facts(o)?))
}

/// What applying did.
#[derive(Debug, Default)]
pub struct RevokeSummary {
    /// Serials per outcome.
    pub counts: BTreeMap<RevokeOutcome, u64>,
    /// Every serial's end, in the order they finished.
    pub finished: Vec<Finished>,
    /// Serials not started (Ctrl-C, or a fatal error).
    pub not_started: u64,
    /// Stopped by Ctrl-C.
    pub interrupted: bool,
    /// What stopped the run (a refused credential, the journal), for the operator.
    pub fatal: Option<String>,
    /// The journal.
    pub journal: PathBuf,
}

impl RevokeSummary {
    /// Serials with this outcome.
    pub fn count(&self, outcome: RevokeOutcome) -> u64 {
        self.counts.get(&outcome).copied().unwrap_or(0)
    }

    /// Whether every planned serial is safe now (revoked, or already safe).
    pub fn is_clean(&self) -> bool {
        self.fatal.is_none()
            && !self.interrupted
            && self.not_started == 0
            && self.count(RevokeOutcome::ActionNeeded) + self.count(RevokeOutcome::Failed) == 0
    }
}

fn open_journal(o: &RevokeOptions, org: &str) -> anyhow::Result<Journal> {
    let names: Vec<&str> = o.serials.iter().map(|s| s.as_str()).collect();
    let input = format!("revoke {}", names.join(" "));
    let header = Header {
        run_id: run_id(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        operator: operator(),
        okta_identity: o.okta_identity.clone(),
        org: org.to_string(),
        input_sha256: hex::encode(Sha256::digest(input.as_bytes())),
        input,
        sealed: None,
        options: serde_json::json!({
            "command": "revoke", "reason": o.reason, "ticket": o.ticket,
            "concurrency": o.concurrency, "max_attempts": o.max_attempts,
        }),
        started: Utc::now(),
        resumed: o.journal.exists(),
    };
    if header.resumed {
        Journal::resume(&o.journal, header)
    } else {
        Journal::create(&o.journal, header)
    }
}

fn planned(t: &Target) -> Entry {
    Entry::Revoke(RevokeLine::Planned {
        serial: t.serial.clone(),
        token_id: Some(t.token_id.clone()),
        status: Some(t.status.clone()),
        user_id: t.user_id.clone(),
        steps: t.steps_text(),
        at: Utc::now(),
    })
}

/// Applies the plan. `Err` only for problems before anything was sent (the journal); later
/// problems end the run with `fatal` set, so what was done is never lost.
pub async fn apply(
    o: &RevokeOptions,
    p: &Plan,
    client: &OktaClient,
    shutdown: &mut watch::Receiver<bool>,
) -> anyhow::Result<RevokeSummary> {
    let started = std::time::Instant::now();
    let journal = Arc::new(open_journal(o, client.org().as_str())?);
    for t in &p.targets {
        journal.append(&planned(t))?;
    }
    let ctx = Ctx::new(client, &journal, o.concurrency, o.max_attempts);
    let mut tasks: Tasks<Finished> = Tasks::new(Arc::new(ctx));
    let mut s = RevokeSummary {
        journal: o.journal.clone(),
        ..RevokeSummary::default()
    };
    let mut ended = Vec::new();
    let mut result = Ok(());
    for t in p.targets.iter().cloned() {
        if *shutdown.borrow() {
            s.interrupted = true;
            break;
        }
        let ctx = Arc::clone(tasks.ctx());
        let sent = tasks
            .spawn(shutdown, |f| ended.push(f), move || worker::revoke_one(ctx, t))
            .await;
        match sent {
            Ok(Dispatched::Sent) => {}
            Ok(Dispatched::Interrupted) => {
                s.interrupted = true;
                break;
            }
            Ok(Dispatched::Stopped) => break,
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    if let Some(e) = tasks.drain(|f| ended.push(f)).await {
        result = result.and(Err(e));
    }
    for f in ended {
        *s.counts.entry(f.outcome).or_default() += 1;
        s.finished.push(f);
    }
    s.not_started = (p.targets.len() - s.finished.len()) as u64;
    s.fatal = result
        .err()
        .map(|e| Fatal::text(&e, "A revoke's unenroll and delete"));
    close(&mut s, &journal, client, started.elapsed());
    Ok(s)
}

/// The journal's closing line; failing to write it makes the run fatal.
fn close(s: &mut RevokeSummary, journal: &Journal, client: &OktaClient, elapsed: std::time::Duration) {
    let stats = client.stats();
    let counts = Counts {
        failed: s.count(RevokeOutcome::Failed),
        retries: s.finished.iter().map(|f| u64::from(f.retries)).sum(),
        in_doubt_lookups: s.finished.iter().map(|f| u64::from(f.lookups)).sum(),
        rate_limited: stats.rate_limited.load(std::sync::atomic::Ordering::Relaxed),
        concurrency_limited: stats
            .concurrency_limited
            .load(std::sync::atomic::Ordering::Relaxed),
        ..Counts::default()
    };
    let end = Entry::Summary {
        counts,
        interrupted: s.interrupted,
        elapsed_secs: elapsed.as_secs_f64(),
        pace_per_minute: client.token_pacer().per_minute(),
        window: crate::upload::rate_window(client),
        at: Utc::now(),
    };
    if let Err(e) = journal.append(&end) {
        s.fatal.get_or_insert(format!("{e:#}"));
    }
}
