//! Uploading one seed: an intent in the journal before each POST, then the answer classified by
//! [`policy::on_error`]. Only what is safe is retried: a 429 or a refused connection (nothing was
//! processed) is sent again; a timeout, 5xx or lost answer is first looked up, and re-sent only if
//! Okta has no live record of the serial. The lookup confirms the upload only with a live record
//! created after the row's first unanswered intent (on Okta's clock, from `Date`); an older one
//! means the key was already present. A 400 whose serial turns out to exist is "already present".
//! A refused credential is never a row's outcome: it stops the run for every worker, and rows not
//! settled stay pending (or in doubt) for the next run.

use super::concurrency::{AdaptiveLimit, Slot};
use super::policy::{self, Step, Tries};
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
    /// Set by the first worker that stops the run: no worker sends anything after it.
    pub stopped: AtomicBool,
}

impl Ctx {
    /// Whether a worker stopped the run (a refused credential, a journal that cannot be written).
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
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

/// One row's history across its tries: what the outcome line and the counts are made of.
#[derive(Default)]
struct Trail {
    tries: Tries,
    in_doubt: bool,
    /// The first intent not yet answered (our clock): only a record created after it confirms.
    first_intent: Option<DateTime<Utc>>,
    last_error: String,
    last_request: Option<String>,
    retries: u32,
    lookups: u32,
}

impl Trail {
    /// Gave up for this run; the next run retries it.
    fn failed(&mut self) -> RowResult {
        RowResult::Failed {
            attempts: self.tries.attempts,
            reason: std::mem::take(&mut self.last_error),
            request_id: self.last_request.take(),
        }
    }

    /// Keeps what the outcome line needs from a failed try, and tells the operator.
    fn note(&mut self, err: &ApiError) {
        match err {
            ApiError::RateLimited { .. } => self.last_error = "rate limited (HTTP 429)".into(),
            ApiError::Unreachable { .. } => {
                self.last_error = err.to_string();
                tracing::warn!(error = %err, attempt = self.tries.attempts, "Okta unreachable; retrying");
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

    /// Settles a doubt by looking the serial up: `Some` outcome when that ends the row.
    async fn settle_doubt(&mut self, ctx: &Ctx, seed: &Seed) -> Result<Option<RowResult>, Fatal> {
        self.lookups += 1;
        Ok(match lookup(ctx, seed).await? {
            Lookup::Present(t)
                if policy::is_answer_to(t.created, self.first_intent, ctx.client.server_clock_offset()) =>
            {
                Some(RowResult::Uploaded {
                    token_id: t.id,
                    request_id: self.last_request.take(),
                    confirmed_by_lookup: true,
                })
            }
            Lookup::Present(t) => {
                // Created before this row was ever sent: someone else's upload, not an answer.
                tracing::info!(token = %t.id, "the live record predates the upload in doubt; already present");
                Some(RowResult::AlreadyPresent {
                    status: t.status.to_string(),
                    token_id: t.id,
                })
            }
            Lookup::Absent => {
                self.in_doubt = false;
                None
            }
            Lookup::Unknown(reason) => {
                self.last_error = format!("{}; lookup failed: {reason}", self.last_error);
                Some(self.failed())
            }
        })
    }

    /// Carries out the policy's step after a failed POST: waits before a resend or a lookup
    /// (`None`: the row goes on), or ends the row (`Some`), or stops the run.
    async fn after(&mut self, ctx: &Ctx, seed: &Seed, err: ApiError) -> Result<Option<RowResult>, Fatal> {
        let step = policy::on_error(&err, &mut self.tries, crate::okta::client::backoff);
        self.note(&err);
        match step {
            Step::Resend(after) => {
                if let ApiError::RateLimited {
                    concurrency: true, ..
                } = err
                {
                    ctx.limit.on_concurrency_limited();
                }
                if !after.is_zero() {
                    tokio::time::sleep(after).await;
                }
            }
            Step::LookUp(after) => {
                self.in_doubt = true;
                tokio::time::sleep(after).await;
            }
            Step::Refused {
                check_duplicate,
                about_the_row,
            } => {
                return Ok(Some(
                    self.refused(ctx, seed, err, check_duplicate, about_the_row)
                        .await?,
                ));
            }
            Step::Stop => return Err(Fatal::Unauthorized(err)),
        }
        Ok(None)
    }

    /// The outcome of a refusal; a 400 is first checked for a duplicate serial, since that is
    /// how Okta reports one and only a lookup tells. Only a refusal about the row is `rejected`
    /// (final); any other is `failed`, so the next run tries the row again.
    async fn refused(
        &mut self,
        ctx: &Ctx,
        seed: &Seed,
        err: ApiError,
        check_duplicate: bool,
        about_the_row: bool,
    ) -> Result<RowResult, Fatal> {
        if check_duplicate && !ctx.is_stopped() {
            self.lookups += 1;
            if let Lookup::Present(t) = lookup(ctx, seed).await? {
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
            } if about_the_row => RowResult::Rejected {
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
                self.failed()
            }
        })
    }
}

/// Uploads one seed and journals its outcome. Holds `slot` until done. `None`: another worker
/// stopped the run before this row was settled, so nothing more was sent or journaled for it (it
/// stays pending, or in doubt when a POST of it was already sent). A fatal error stops the run
/// for every worker.
#[tracing::instrument(skip_all, fields(serial = %work.seed.serial, line = work.line))]
pub async fn upload_one(ctx: Arc<Ctx>, work: Work, slot: Slot) -> Result<Option<Done>, Fatal> {
    let done = settle(&ctx, work).await;
    if done.is_err() {
        ctx.stopped.store(true, Ordering::SeqCst);
    }
    drop(slot);
    done
}

/// The row's loop: settle a doubt, send, and act on the answer until the row has an outcome.
async fn settle(ctx: &Ctx, work: Work) -> Result<Option<Done>, Fatal> {
    let serial = Serial::from(work.seed.serial);
    let mut row = Trail {
        in_doubt: work.was_in_doubt,
        first_intent: work.intent_at,
        ..Trail::default()
    };
    let result = loop {
        if ctx.is_stopped() {
            return Ok(None);
        }
        if row.in_doubt {
            if let Some(settled) = row.settle_doubt(ctx, &work.seed).await? {
                break settled;
            }
        }
        if row.tries.exhausted(ctx.max_attempts) {
            break row.failed();
        }
        if ctx.is_stopped() {
            return Ok(None);
        }
        let err = match send(ctx, &work, &serial, &mut row).await? {
            Ok(uploaded) => break uploaded,
            // Before the error is logged, journaled or reported: a server may echo the body.
            Err(e) => e.scrubbed(&work.seed.secret_values()),
        };
        if let Some(settled) = row.after(ctx, &work.seed, err).await? {
            break settled;
        }
    };
    let outcome = Entry::Outcome {
        serial: Some(serial.clone()),
        line: work.line,
        result: result.clone(),
        at: Utc::now(),
    };
    journal(ctx, outcome)?;
    Ok(Some(Done {
        serial,
        result,
        retries: row.retries,
        lookups: row.lookups,
    }))
}

/// One POST, its intent journaled first: the outcome when Okta answered with the token.
async fn send(
    ctx: &Ctx,
    work: &Work,
    serial: &Serial,
    row: &mut Trail,
) -> Result<Result<RowResult, ApiError>, Fatal> {
    if row.tries.sent() > 0 {
        row.retries += 1;
    }
    let intent = intent(serial, work.line, row.tries);
    if let Entry::Intent { at, .. } = &intent {
        row.first_intent.get_or_insert(*at);
    }
    journal(ctx, intent)?;
    Ok(ctx.client.upload(&work.seed).await.map(|answer| {
        ctx.limit.on_success();
        RowResult::Uploaded {
            token_id: answer.value.id,
            request_id: answer.request_id,
            confirmed_by_lookup: false,
        }
    }))
}

/// The journal line written before each POST, so a crash leaves the row in doubt, never lost.
fn intent(serial: &Serial, line: u64, tries: Tries) -> Entry {
    Entry::Intent {
        serial: serial.clone(),
        line,
        attempt: tries.sent() + 1,
        at: Utc::now(),
    }
}

fn journal(ctx: &Ctx, entry: Entry) -> Result<(), Fatal> {
    ctx.journal.append(&entry).map_err(Fatal::Journal)
}
