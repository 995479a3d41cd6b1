//! Deleting one BLOCKED token, by upload's rules ([`policy::on_error`]): an intent in the journal
//! before each DELETE, the outcome after. A 429 or a refused connection (nothing processed) is
//! sent again; a timeout, 5xx or lost answer is settled by reading the token back: gone (or only
//! history now) means deleted, still BLOCKED means the DELETE did not land and may be sent again.
//! It is never re-sent blindly. 403 `E0000102` (assigned) is final.

use crate::journal::repair::{DeleteIntent, DeleteOutcome, DeleteResult};
use crate::journal::Entry;
use crate::okta::client::{backoff, DeleteError, Deleted, E_TOKEN_ASSIGNED};
use crate::okta::models::TokenStatus;
use crate::okta::ApiError;
use crate::seed::Serial;
use crate::upload::policy::{self, Step, Tries};
use crate::upload::worker::{Ctx, Fatal};
use chrono::Utc;

/// How a delete ended, with the work it took.
#[derive(Debug)]
pub struct Deletion {
    /// The outcome, journaled.
    pub result: DeleteResult,
    /// DELETEs sent again.
    pub retries: u32,
    /// Reads to settle a DELETE in doubt.
    pub lookups: u32,
}

/// What reading the token back says about a DELETE in doubt.
enum After {
    Gone,
    StillBlocked,
    Unknown(String),
}

/// Appends one journal line; failing to is fatal (the run would lose track of the token).
pub(super) fn journal(ctx: &Ctx, entry: &Entry) -> Result<(), Fatal> {
    ctx.journal.append(entry).map_err(Fatal::Journal)
}

async fn read_back(ctx: &Ctx, id: &str) -> Result<After, Fatal> {
    match ctx.client.read_with_retries(|| ctx.client.get_token(id)).await {
        Ok(None) => Ok(After::Gone),
        Ok(Some(t)) if !t.status.is_live() => Ok(After::Gone),
        Ok(Some(t)) if t.status == TokenStatus::Blocked => Ok(After::StillBlocked),
        Ok(Some(t)) => Ok(After::Unknown(format!("the token is {} now", t.status))),
        Err(e @ ApiError::Unauthorized { .. }) => Err(Fatal::Unauthorized(e)),
        Err(e) => Ok(After::Unknown(format!("reading it back failed: {e}"))),
    }
}

/// One delete's history across its tries.
#[derive(Default)]
struct Trail {
    tries: Tries,
    retries: u32,
    lookups: u32,
    last_error: String,
}

impl Trail {
    /// Carries out the policy's step after a failed DELETE: `None` to send again, `Some` outcome
    /// when that ends the delete, or a stop of the whole run.
    async fn after(
        &mut self,
        ctx: &Ctx,
        serial: &Serial,
        id: &str,
        err: ApiError,
    ) -> Result<Option<DeleteResult>, Fatal> {
        self.last_error = err.to_string();
        match policy::on_error(&err, &mut self.tries, backoff) {
            Step::Resend(after) => {
                if matches!(
                    err,
                    ApiError::RateLimited {
                        concurrency: true,
                        ..
                    }
                ) {
                    ctx.limit.on_concurrency_limited();
                }
                tokio::time::sleep(after).await;
                Ok(None)
            }
            Step::LookUp(after) => {
                tracing::warn!(%serial, token = id, error = %err, "delete in doubt; reading the token back before any retry");
                tokio::time::sleep(after).await;
                self.lookups += 1;
                Ok(match read_back(ctx, id).await? {
                    After::Gone => Some(DeleteResult::Deleted {
                        request_id: err.request_id().map(str::to_string),
                        confirmed_by_lookup: true,
                    }),
                    After::StillBlocked => None,
                    After::Unknown(why) => Some(DeleteResult::Failed {
                        attempts: self.tries.attempts,
                        reason: format!("{}; {why}", self.last_error),
                    }),
                })
            }
            Step::Refused { .. } => Ok(Some(refused(err))),
            Step::Stop => Err(Fatal::Unauthorized(err)),
        }
    }
}

/// One DELETE, its intent journaled first: the outcome when Okta answered it.
async fn send(
    ctx: &Ctx,
    serial: &Serial,
    id: &str,
    trail: &mut Trail,
) -> Result<Result<DeleteResult, ApiError>, Fatal> {
    if trail.tries.sent() > 0 {
        trail.retries += 1;
    }
    let intent = DeleteIntent {
        serial: serial.clone(),
        token_id: id.to_string(),
        attempt: trail.tries.sent() + 1,
        at: Utc::now(),
    };
    journal(ctx, &Entry::DeleteIntent(intent))?;
    Ok(match ctx.client.delete_token(id).await {
        Ok(Deleted::Now { request_id }) => {
            ctx.limit.on_success();
            Ok(DeleteResult::Deleted {
                request_id,
                confirmed_by_lookup: false,
            })
        }
        Ok(Deleted::AlreadyGone) => Ok(DeleteResult::AlreadyGone),
        Err(DeleteError::Assigned { request_id }) => {
            tracing::warn!(%serial, token = id, "Okta refused the delete: the token is assigned");
            Ok(DeleteResult::Refused {
                http_status: 403,
                error_code: E_TOKEN_ASSIGNED.into(),
                request_id,
            })
        }
        Err(DeleteError::Api(e)) => Err(e),
    })
}

/// Deletes token `id` of `serial` and journals the outcome. `None`: another task stopped the run
/// first; nothing more is sent, and a DELETE already sent stays in doubt for the next repair.
pub async fn delete(ctx: &Ctx, serial: &Serial, id: &str) -> Result<Option<Deletion>, Fatal> {
    let mut trail = Trail::default();
    let result = loop {
        if ctx.is_stopped() {
            return Ok(None);
        }
        if trail.tries.exhausted(ctx.max_attempts) {
            break DeleteResult::Failed {
                attempts: trail.tries.attempts,
                reason: std::mem::take(&mut trail.last_error),
            };
        }
        let err = match send(ctx, serial, id, &mut trail).await? {
            Ok(answered) => break answered,
            Err(e) => e,
        };
        if let Some(settled) = trail.after(ctx, serial, id, err).await? {
            break settled;
        }
    };
    let outcome = DeleteOutcome {
        serial: serial.clone(),
        token_id: id.to_string(),
        result: result.clone(),
        at: Utc::now(),
    };
    journal(ctx, &Entry::DeleteOutcome(outcome))?;
    Ok(Some(Deletion {
        result,
        retries: trail.retries,
        lookups: trail.lookups,
    }))
}

/// The outcome of a refusal the policy made final.
fn refused(err: ApiError) -> DeleteResult {
    match err {
        ApiError::Rejected {
            status,
            body,
            request_id,
        } => {
            tracing::warn!(status, code = %body.error_code, request_id = ?request_id, "delete refused");
            DeleteResult::Refused {
                http_status: status,
                error_code: body.error_code,
                request_id,
            }
        }
        other => DeleteResult::Failed {
            attempts: 1,
            reason: other.to_string(),
        },
    }
}
