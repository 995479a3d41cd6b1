//! Uploading one seed, as a [`Write`] on the one journaled-write loop ([`write::write`]): an
//! intent in the journal before each POST, then the answer classified by [`policy::on_error`].
//! Only what is safe is retried: a 429 or a refused connection (nothing was processed) is sent
//! again; a timeout, 5xx or lost answer is first looked up, and re-sent only if
//! Okta has no live record of the serial. The lookup confirms the upload only with a live record
//! created after the row's first unanswered intent (on Okta's clock, from `Date`); an older one
//! means the key was already present. A 400 whose serial turns out to exist is "already present".
//! A refused credential is never a row's outcome: it stops the run for every worker, and rows not
//! settled stay pending (or in doubt) for the next run.

use super::concurrency::AdaptiveLimit;
use super::policy;
use super::write::{self, Effort, Refusal, Settled, Write};
use crate::journal::{Entry, Journal, RowResult};
use crate::okta::models::YubikeyToken;
use crate::okta::{ApiError, OktaClient};
use crate::seed::{Seed, Serial};
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Everything a worker needs, shared.
pub struct Ctx {
    /// The Okta client.
    pub client: OktaClient,
    /// The run's journal.
    pub journal: Arc<Journal>,
    /// The adaptive concurrency limit.
    pub limit: Arc<AdaptiveLimit>,
    /// Attempts per row, not counting 429s.
    pub max_attempts: u32,
    /// Set by the first worker that stops the run ([`Ctx::stop`]): no worker sends anything after it.
    stopped: AtomicBool,
    /// The run-wide retry budget: a failing org stops the run instead of every row retrying.
    pub budget: super::budget::RetryBudget,
}

impl Ctx {
    /// A run's context: a fresh concurrency limit, stop flag and retry budget.
    pub fn new(client: &OktaClient, journal: &Arc<Journal>, concurrency: usize, max_attempts: u32) -> Self {
        Ctx {
            client: client.clone(),
            journal: Arc::clone(journal),
            limit: AdaptiveLimit::new(concurrency),
            max_attempts,
            stopped: AtomicBool::new(false),
            budget: Default::default(),
        }
    }

    /// Whether a worker stopped the run (a refused credential, a journal that cannot be written).
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Stops the run for every worker: none starts anything after this.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }
}

/// One row to upload.
pub struct Work {
    /// Line in the seed file.
    pub line: u64,
    /// The seed.
    pub seed: Seed,
    /// An earlier run sent it and never saw the answer.
    pub was_in_doubt: bool,
    /// That run's first intent for it (our clock), when it is in doubt.
    pub intent_at: Option<DateTime<Utc>>,
}

/// A row's outcome, already journaled.
#[derive(Debug)]
pub struct Done {
    /// 12-digit serial.
    pub serial: Serial,
    /// What happened.
    pub result: RowResult,
    /// Retries made.
    pub retries: u32,
    /// Lookups made to settle doubt.
    pub lookups: u32,
}

/// Why a worker stopped the whole run.
#[derive(Debug, thiserror::Error)]
pub enum Fatal {
    /// Okta refused the credential: no more sends.
    #[error(transparent)]
    Unauthorized(ApiError),
    /// The journal cannot be written: continuing would lose track of rows.
    #[error("{0:#}")]
    Journal(anyhow::Error),
    /// The retry budget is spent: Okta fails too many requests for the run to go on.
    #[error(transparent)]
    Failing(super::budget::Exhausted),
}

impl Fatal {
    /// A run's fatal error as the operator reads it: a refused credential during `writes` (e.g.
    /// "A repair's deletes and uploads") says which scope they need when Okta did not name it.
    pub fn text(e: &anyhow::Error, writes: &str) -> String {
        let text = format!("{e:#}");
        match e.downcast_ref::<Fatal>() {
            Some(Fatal::Unauthorized(ApiError::Unauthorized { scope: None, .. })) => format!(
                "{text}. {writes} need the okta.users.manage scope (or an admin allowed to manage users' authenticators)"
            ),
            _ => text,
        }
    }
}

enum Lookup {
    /// The serial's live record (history is not state: a REVOKED record is not the key).
    Present(YubikeyToken),
    Absent,
    Unknown(String),
}

async fn lookup(ctx: &Ctx, seed: &Seed) -> Result<Lookup, Fatal> {
    match ctx
        .client
        .read_with_retries(|| ctx.client.find_by_serial(seed.serial))
        .await
    {
        Ok(Some(t)) => Ok(Lookup::Present(t)),
        Ok(None) => Ok(Lookup::Absent),
        Err(e @ ApiError::Unauthorized { .. }) => Err(Fatal::Unauthorized(e)),
        Err(e) => Ok(Lookup::Unknown(e.to_string())),
    }
}

/// One row's upload as a [`Write`]: what the outcome line is made of across its tries.
struct Upload<'a> {
    work: &'a Work,
    serial: Serial,
    /// The first intent not yet answered (our clock): only a record created after it confirms.
    first_intent: Option<DateTime<Utc>>,
    last_error: String,
    last_request: Option<String>,
}

impl Upload<'_> {
    /// Gave up for this run; the next run retries it.
    fn give_up(&mut self, attempts: u32) -> RowResult {
        RowResult::Failed {
            attempts,
            reason: std::mem::take(&mut self.last_error),
            request_id: self.last_request.take(),
        }
    }
}

impl Write for Upload<'_> {
    type Outcome = RowResult;

    /// The journal line written before each POST, so a crash leaves the row in doubt, never lost.
    fn intent(&mut self, attempt: u32) -> Entry {
        let at = Utc::now();
        self.first_intent.get_or_insert(at);
        Entry::Intent {
            serial: self.serial.clone(),
            line: self.work.line,
            attempt,
            at,
        }
    }

    async fn send(&mut self, ctx: &Ctx) -> Result<RowResult, ApiError> {
        let seed = &self.work.seed;
        ctx.client
            .upload(seed)
            .await
            .map(|answer| {
                ctx.limit.on_success();
                RowResult::Uploaded {
                    token_id: answer.value.id,
                    request_id: answer.request_id,
                    confirmed_by_lookup: false,
                }
            })
            // Before the error is logged, journaled or reported: a server may echo the body.
            .map_err(|e| e.scrubbed(&seed.secret_values()))
    }

    /// Keeps what the outcome line needs from a failed try, and tells the operator.
    fn note(&mut self, err: &ApiError) {
        match err {
            ApiError::RateLimited { .. } => self.last_error = "rate limited (HTTP 429)".into(),
            ApiError::Unreachable { .. } => {
                self.last_error = err.to_string();
                tracing::warn!(error = %err, "Okta unreachable; retrying");
            }
            ApiError::InDoubt { .. } | ApiError::Protocol { .. } => {
                self.last_request = err.request_id().map(str::to_string).or(self.last_request.take());
                self.last_error = err.to_string();
                tracing::warn!(error = %err, request_id = ?err.request_id(), "upload in doubt; looking the serial up before any retry");
            }
            ApiError::Rejected {
                status,
                body,
                request_id,
            } => {
                tracing::warn!(status, code = %body.error_code, request_id = ?request_id, "upload rejected");
            }
            ApiError::Unauthorized { .. } => {}
        }
    }

    /// Settles a doubt by looking the serial up.
    async fn look_up(&mut self, ctx: &Ctx) -> Result<Settled<RowResult>, Fatal> {
        Ok(match lookup(ctx, &self.work.seed).await? {
            Lookup::Present(t)
                if policy::is_answer_to(t.created, self.first_intent, ctx.client.server_clock_offset()) =>
            {
                Settled::Done(RowResult::Uploaded {
                    token_id: t.id,
                    request_id: self.last_request.take(),
                    confirmed_by_lookup: true,
                })
            }
            Lookup::Present(t) => {
                // Created before this row was ever sent: someone else's upload, not an answer.
                tracing::info!(token = %t.id, "the live record predates the upload in doubt; already present");
                Settled::Done(RowResult::AlreadyPresent {
                    status: t.status.to_string(),
                    token_id: t.id,
                })
            }
            Lookup::Absent => Settled::NotDone,
            Lookup::Unknown(reason) => Settled::Unknown(format!("lookup failed: {reason}")),
        })
    }

    /// The outcome of a refusal; a 400 is first checked for a duplicate serial, since that is
    /// how Okta reports one and only a lookup tells. Only a refusal about the row is `rejected`
    /// (final); any other is `failed`, so the next run tries the row again.
    async fn refused(
        &mut self,
        ctx: &Ctx,
        err: ApiError,
        refusal: Refusal,
        effort: &mut Effort,
    ) -> Result<RowResult, Fatal> {
        if refusal.check_duplicate && !ctx.is_stopped() {
            effort.lookups += 1;
            if let Lookup::Present(t) = lookup(ctx, &self.work.seed).await? {
                return Ok(RowResult::AlreadyPresent {
                    status: t.status.to_string(),
                    token_id: t.id,
                });
            }
        }
        Ok(match err {
            ApiError::Rejected {
                status,
                body,
                request_id,
            } if refusal.about_the_row => RowResult::Rejected {
                http_status: status,
                error_code: body.error_code,
                error_summary: body.error_summary,
                error_causes: body.error_causes.into_iter().map(|c| c.error_summary).collect(),
                request_id,
            },
            // Not about the row (or not a refusal at all): retryable next run.
            other => {
                self.last_request = other.request_id().map(str::to_string);
                self.last_error = format!("{other} (not about this row: the next run sends it again)");
                self.give_up(effort.attempts)
            }
        })
    }

    fn failed(&mut self, attempts: u32, lookup: Option<String>) -> RowResult {
        if let Some(why) = lookup {
            self.last_error = format!("{}; {why}", self.last_error);
        }
        self.give_up(attempts)
    }

    fn outcome(&self, result: &RowResult) -> Entry {
        Entry::Outcome {
            serial: Some(self.serial.clone()),
            line: self.work.line,
            result: result.clone(),
            at: Utc::now(),
        }
    }
}

/// Uploads one seed and journals its outcome. `None`: another worker stopped the run before this
/// row was settled, so nothing more was sent or journaled for it (it stays pending, or in doubt
/// when a POST of it was already sent). A fatal error stops the run for every worker (the
/// dispatcher raises the stop before it frees this task's slot).
#[tracing::instrument(skip_all, fields(serial = %work.seed.serial, line = work.line))]
pub async fn upload_one(ctx: Arc<Ctx>, work: Work) -> Result<Option<Done>, Fatal> {
    settle(&ctx, work).await
}

/// The row's write, by the one journaled-write loop.
async fn settle(ctx: &Ctx, work: Work) -> Result<Option<Done>, Fatal> {
    let serial = Serial::from(work.seed.serial);
    let mut upload = Upload {
        work: &work,
        serial: serial.clone(),
        first_intent: work.intent_at,
        last_error: String::new(),
        last_request: None,
    };
    let Some(written) = write::write(ctx, &mut upload, work.was_in_doubt).await? else {
        return Ok(None);
    };
    Ok(Some(Done {
        serial,
        result: written.outcome,
        retries: written.effort.retries,
        lookups: written.effort.lookups,
    }))
}
