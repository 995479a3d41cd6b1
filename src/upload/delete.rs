//! Deleting one token (a repair's reissue of a BLOCKED key, a revoke's last step) as a [`Write`]
//! on the one journaled-write loop: an intent in the journal before each DELETE, the outcome
//! after. A 429 or a refused connection (nothing processed) is sent again; a timeout, 5xx or lost
//! answer is settled by reading the token back: gone (or only history now) means deleted, still
//! live in the status it had means the DELETE did not land and may be sent again. It is never
//! re-sent blindly. 403 `E0000102` (assigned, or once assigned under Okta's stricter reading) is
//! final.

use super::worker::{Ctx, Fatal};
use super::write::{self, Effort, Refusal, Settled, Write};
use crate::journal::repair::{DeleteIntent, DeleteOutcome, DeleteResult};
use crate::journal::Entry;
use crate::okta::client::{DeleteError, Deleted, E_TOKEN_ASSIGNED};
use crate::okta::models::TokenStatus;
use crate::okta::ApiError;
use crate::seed::Serial;
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

/// One token's DELETE.
struct DeleteToken<'a> {
    serial: &'a Serial,
    id: &'a str,
    /// Its status before the delete: still this after a lost answer means it did not land.
    was: TokenStatus,
    last_error: String,
}

impl Write for DeleteToken<'_> {
    type Outcome = DeleteResult;

    fn intent(&mut self, attempt: u32) -> Entry {
        Entry::DeleteIntent(DeleteIntent {
            serial: self.serial.clone(),
            token_id: self.id.to_string(),
            attempt,
            at: Utc::now(),
        })
    }

    async fn send(&mut self, ctx: &Ctx) -> Result<DeleteResult, ApiError> {
        match ctx.client.delete_token(self.id).await {
            Ok(Deleted::Now { request_id }) => {
                ctx.limit.on_success();
                Ok(DeleteResult::Deleted {
                    request_id,
                    confirmed_by_lookup: false,
                })
            }
            Ok(Deleted::AlreadyGone) => Ok(DeleteResult::AlreadyGone),
            Err(DeleteError::Assigned { request_id }) => {
                tracing::warn!(serial = %self.serial, token = self.id, "Okta refused the delete: the token is (or was) assigned");
                Ok(DeleteResult::Refused {
                    http_status: 403,
                    error_code: E_TOKEN_ASSIGNED.into(),
                    request_id,
                })
            }
            Err(DeleteError::Api(e)) => Err(e),
        }
    }

    fn note(&mut self, err: &ApiError) {
        self.last_error = err.to_string();
        if matches!(err, ApiError::InDoubt { .. } | ApiError::Protocol { .. }) {
            tracing::warn!(serial = %self.serial, token = self.id, error = %err, "delete in doubt; reading the token back before any retry");
        }
    }

    async fn look_up(&mut self, ctx: &Ctx) -> Result<Settled<DeleteResult>, Fatal> {
        let deleted = || {
            Settled::Done(DeleteResult::Deleted {
                request_id: None,
                confirmed_by_lookup: true,
            })
        };
        Ok(
            match ctx
                .client
                .read_with_retries(|| ctx.client.get_token(self.id))
                .await
            {
                Ok(None) => deleted(),
                Ok(Some(t)) if !t.status.is_live() => deleted(),
                Ok(Some(t)) if t.status == self.was => Settled::NotDone,
                Ok(Some(t)) => Settled::Unknown(format!("the token is {} now", t.status)),
                Err(e @ ApiError::Unauthorized { .. }) => return Err(Fatal::Unauthorized(e)),
                Err(e) => Settled::Unknown(format!("reading it back failed: {e}")),
            },
        )
    }

    async fn refused(
        &mut self,
        _ctx: &Ctx,
        err: ApiError,
        _refusal: Refusal,
        _effort: &mut Effort,
    ) -> Result<DeleteResult, Fatal> {
        Ok(match err {
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
        })
    }

    fn failed(&mut self, attempts: u32, lookup: Option<String>) -> DeleteResult {
        let mut reason = std::mem::take(&mut self.last_error);
        if let Some(why) = lookup {
            reason = format!("{reason}; {why}");
        }
        DeleteResult::Failed { attempts, reason }
    }

    fn outcome(&self, result: &DeleteResult) -> Entry {
        Entry::DeleteOutcome(DeleteOutcome {
            serial: self.serial.clone(),
            token_id: self.id.to_string(),
            result: result.clone(),
            at: Utc::now(),
        })
    }
}

/// Deletes token `id` of `serial`, which Okta listed as `was`, and journals the outcome. `None`:
/// another task stopped the run first; nothing more is sent, and a DELETE already sent stays in
/// doubt for the next run.
pub async fn delete(
    ctx: &Ctx,
    serial: &Serial,
    id: &str,
    was: TokenStatus,
) -> Result<Option<Deletion>, Fatal> {
    let mut d = DeleteToken {
        serial,
        id,
        was,
        last_error: String::new(),
    };
    Ok(write::write(ctx, &mut d, false).await?.map(|w| Deletion {
        result: w.outcome,
        retries: w.effort.retries,
        lookups: w.effort.lookups,
    }))
}
