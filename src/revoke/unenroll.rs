//! Unenrolling a user's YubiKey factor (`DELETE /api/v1/users/{id}/factors/{fid}`, Okta's "reset
//! MFA" for that factor) as a [`Write`] on the one journaled-write loop: an intent before each
//! send, the outcome after. A lost answer is settled by listing the user's factors again: the
//! factor gone means it landed, still there means it may be sent again. Never re-sent blindly.

use crate::journal::revoke::{RevokeLine, UnenrollResult};
use crate::journal::Entry;
use crate::okta::client::Unenrolled;
use crate::okta::ApiError;
use crate::seed::Serial;
use crate::upload::worker::{Ctx, Fatal};
use crate::upload::write::{self, Effort, Refusal, Settled, Write};
use chrono::Utc;

/// One unenroll.
pub struct Unenroll<'a> {
    /// The key's serial.
    pub serial: &'a Serial,
    /// The user.
    pub user_id: &'a str,
    /// The user's YubiKey factor of this serial.
    pub factor_id: &'a str,
    last_error: String,
}

impl<'a> Unenroll<'a> {
    /// The unenroll of `factor_id` (the YubiKey factor of `serial`) from `user_id`.
    pub fn new(serial: &'a Serial, user_id: &'a str, factor_id: &'a str) -> Self {
        Unenroll {
            serial,
            user_id,
            factor_id,
            last_error: String::new(),
        }
    }

    /// Carries it out on the one write loop; `None` when another task stopped the run first.
    pub async fn run(mut self, ctx: &Ctx) -> Result<Option<write::Written<UnenrollResult>>, Fatal> {
        write::write(ctx, &mut self, false).await
    }
}

impl Write for Unenroll<'_> {
    type Outcome = UnenrollResult;

    fn intent(&mut self, attempt: u32) -> Entry {
        Entry::Revoke(RevokeLine::UnenrollIntent {
            serial: self.serial.clone(),
            user_id: self.user_id.to_string(),
            factor_id: self.factor_id.to_string(),
            attempt,
            at: Utc::now(),
        })
    }

    async fn send(&mut self, ctx: &Ctx) -> Result<UnenrollResult, ApiError> {
        Ok(
            match ctx.client.unenroll_factor(self.user_id, self.factor_id).await? {
                Unenrolled::Now { request_id } => {
                    ctx.limit.on_success();
                    UnenrollResult::Unenrolled {
                        request_id,
                        confirmed_by_lookup: false,
                    }
                }
                Unenrolled::AlreadyGone => UnenrollResult::AlreadyGone,
            },
        )
    }

    fn note(&mut self, err: &ApiError) {
        self.last_error = err.to_string();
        if matches!(err, ApiError::InDoubt { .. } | ApiError::Protocol { .. }) {
            tracing::warn!(serial = %self.serial, user = self.user_id, error = %err, "unenroll in doubt; listing the user's factors before any retry");
        }
    }

    async fn look_up(&mut self, ctx: &Ctx) -> Result<Settled<UnenrollResult>, Fatal> {
        let factors = ctx
            .client
            .read_with_retries(|| ctx.client.list_factors(self.user_id))
            .await;
        Ok(match factors {
            Ok(f) if f.iter().any(|f| f.id == self.factor_id) => Settled::NotDone,
            Ok(_) => Settled::Done(UnenrollResult::Unenrolled {
                request_id: None,
                confirmed_by_lookup: true,
            }),
            Err(e @ ApiError::Unauthorized { .. }) => return Err(Fatal::Unauthorized(e)),
            Err(e) => Settled::Unknown(format!("listing the user's factors failed: {e}")),
        })
    }

    async fn refused(
        &mut self,
        _ctx: &Ctx,
        err: ApiError,
        _refusal: Refusal,
        effort: &mut Effort,
    ) -> Result<UnenrollResult, Fatal> {
        Ok(match err {
            ApiError::Rejected {
                status,
                body,
                request_id,
            } => {
                tracing::warn!(status, code = %body.error_code, request_id = ?request_id, "unenroll refused");
                UnenrollResult::Refused {
                    http_status: status,
                    error_code: body.error_code,
                    request_id,
                }
            }
            other => UnenrollResult::Failed {
                attempts: effort.attempts.max(1),
                reason: other.to_string(),
            },
        })
    }

    fn failed(&mut self, attempts: u32, lookup: Option<String>) -> UnenrollResult {
        let mut reason = std::mem::take(&mut self.last_error);
        if let Some(why) = lookup {
            reason = format!("{reason}; {why}");
        }
        UnenrollResult::Failed { attempts, reason }
    }

    fn outcome(&self, result: &UnenrollResult) -> Entry {
        Entry::Revoke(RevokeLine::UnenrollOutcome {
            serial: self.serial.clone(),
            user_id: self.user_id.to_string(),
            factor_id: self.factor_id.to_string(),
            result: result.clone(),
            at: Utc::now(),
        })
    }
}
