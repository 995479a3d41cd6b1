//! One planned action, carried out: its target checked again just before anything is sent (the
//! token still BLOCKED and still the same id; still no live record for the serial), then, for a
//! reissue, the delete ([`crate::upload::delete`], on the one journaled-write loop) and only once it is confirmed the upload, which is
//! upload's own worker ([`upload_one`]): the same journal lines, retries and in-doubt lookups.
//! A target that changed is left alone and journaled as skipped.

use super::plan::Action;
use crate::journal::repair::{DeleteResult, RepairAction, SkipCause, Skipped};
use crate::journal::{Entry, RowResult};
use crate::okta::models::TokenStatus;
use crate::okta::ApiError;
use crate::seed::Seed;
use crate::upload::delete;
use crate::upload::worker::{upload_one, Ctx, Fatal, Work};
use crate::upload::write::journal;
use chrono::Utc;
use std::sync::Arc;

/// One action to carry out, with the seed it uploads.
pub struct Task {
    /// The planned action.
    pub action: Action,
    /// Its seed (the secrets stay in it; only the upload's body sees them).
    pub seed: Seed,
}

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// The seed is in Okta again (after the delete, for a reissue).
    Done {
        /// The new token.
        token_id: String,
    },
    /// Not done: the target changed, or the re-check failed.
    Skipped {
        /// Which.
        cause: SkipCause,
        /// What the re-check found.
        reason: String,
    },
    /// Tried and failed (the delete or the upload); the next repair tries again.
    Failed {
        /// Why.
        reason: String,
    },
}

/// An action's end, already journaled, with the work it took.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The action.
    pub action: Action,
    /// How it ended.
    pub end: End,
    /// Whether its token was deleted (a reissue's first step).
    pub deleted: bool,
    /// Requests sent again.
    pub retries: u32,
    /// Reads to settle a request in doubt.
    pub lookups: u32,
}

impl Finished {
    fn new(action: Action) -> Self {
        Finished {
            action,
            end: End::Failed {
                reason: String::new(),
            },
            deleted: false,
            retries: 0,
            lookups: 0,
        }
    }

    /// Journals a skip and ends with it.
    fn skipped(mut self, ctx: &Ctx, cause: SkipCause, reason: String) -> Result<Self, Fatal> {
        tracing::info!(serial = %self.action.serial, action = %self.action.action, %reason, "target changed since the plan; left alone");
        let line = Skipped {
            serial: self.action.serial.clone(),
            action: self.action.action,
            cause,
            reason: reason.clone(),
            at: Utc::now(),
        };
        journal(ctx, &Entry::Skipped(line))?;
        self.end = End::Skipped { cause, reason };
        Ok(self)
    }
}

/// A re-check's verdict: go on, or skip for this reason.
type Verdict = Option<(SkipCause, String)>;

fn check_failed(what: &str, e: ApiError) -> Result<Verdict, Fatal> {
    match e {
        e @ ApiError::Unauthorized { .. } => Err(Fatal::Unauthorized(e)),
        e => Ok(Some((
            SkipCause::CheckFailed,
            format!("could not re-check {what}: {e}"),
        ))),
    }
}

/// A reissue's target: the planned token, still BLOCKED, still of this serial.
async fn recheck_token(ctx: &Ctx, a: &Action, id: &str) -> Result<Verdict, Fatal> {
    let changed = |why: String| Ok(Some((SkipCause::TargetChanged, why)));
    match ctx.client.read_with_retries(|| ctx.client.get_token(id)).await {
        Err(e) => check_failed(&format!("token {id}"), e),
        Ok(None) => changed(format!("token {id} is no longer in Okta")),
        Ok(Some(t)) if t.serial_padded().as_ref() != Some(&a.serial) => {
            changed(format!("token {id} no longer holds this serial"))
        }
        Ok(Some(t)) if t.status != TokenStatus::Blocked => {
            changed(format!("token {id} is {} now, no longer BLOCKED", t.status))
        }
        Ok(Some(_)) => Ok(None),
    }
}

/// An upload's target: still no live record for the serial.
async fn recheck_serial(ctx: &Ctx, seed: &Seed) -> Result<Verdict, Fatal> {
    match ctx
        .client
        .read_with_retries(|| ctx.client.find_by_serial(seed.serial))
        .await
    {
        Err(e) => check_failed("the serial", e),
        Ok(Some(t)) => Ok(Some((
            SkipCause::TargetChanged,
            format!(
                "a live record appeared since the plan: token {} is {}",
                t.id, t.status
            ),
        ))),
        Ok(None) => Ok(None),
    }
}

fn delete_failure(result: &DeleteResult) -> String {
    match result {
        DeleteResult::Refused {
            http_status,
            error_code,
            ..
        } if error_code == crate::okta::client::E_TOKEN_ASSIGNED => format!(
            "Okta refused the delete (HTTP {http_status} {error_code}): the token is assigned to a user; reset the user's MFA first"
        ),
        DeleteResult::Refused {
            http_status,
            error_code,
            ..
        } => format!("Okta refused the delete (HTTP {http_status} {error_code})"),
        DeleteResult::Failed { reason, .. } => format!("the delete failed: {reason}"),
        DeleteResult::Deleted { .. } | DeleteResult::AlreadyGone => String::new(),
    }
}

/// Carries out one action (re-check, the delete of a reissue, re-check, the upload) and journals
/// every step. `None`: another task stopped the run before this action did anything that needs a
/// line (what it had sent stays in doubt in the journal, and the next repair settles it). A fatal
/// error stops the run for every task, as in upload (the dispatcher raises the stop before it
/// frees this task's slot).
#[tracing::instrument(skip_all, fields(serial = %task.action.serial, action = %task.action.action))]
pub async fn repair_one(ctx: Arc<Ctx>, task: Task) -> Result<Option<Finished>, Fatal> {
    let mut f = Finished::new(task.action);
    if ctx.is_stopped() {
        return Ok(None);
    }
    if f.action.action == RepairAction::Reissue {
        let id = f.action.token_id.clone().unwrap_or_default();
        if let Some((cause, why)) = recheck_token(&ctx, &f.action, &id).await? {
            return f.skipped(&ctx, cause, why).map(Some);
        }
        let Some(d) = delete::delete(&ctx, &f.action.serial, &id, TokenStatus::Blocked).await? else {
            return Ok(None);
        };
        (f.retries, f.lookups) = (d.retries, d.lookups);
        if !d.result.is_gone() {
            f.end = End::Failed {
                reason: delete_failure(&d.result),
            };
            return Ok(Some(f));
        }
        f.deleted = true;
    }
    upload(&ctx, f, task.seed).await
}

/// The upload of an action (after its delete, for a reissue), by upload's own worker.
async fn upload(ctx: &Arc<Ctx>, mut f: Finished, seed: Seed) -> Result<Option<Finished>, Fatal> {
    if let Some((cause, why)) = recheck_serial(ctx, &seed).await? {
        return f.skipped(ctx, cause, why).map(Some);
    }
    let work = Work {
        line: f.action.line,
        seed,
        was_in_doubt: false,
        intent_at: None,
    };
    let Some(done) = upload_one(Arc::clone(ctx), work).await? else {
        // Stopped by another task: a deleted token's seed is uploaded by the next repair.
        return Ok(f.deleted.then(|| {
            f.end = End::Failed {
                reason:
                    "token deleted, then the run stopped before its upload; the next repair uploads the seed"
                        .into(),
            };
            f
        }));
    };
    f.retries += done.retries;
    f.lookups += done.lookups;
    f.end = match done.result {
        RowResult::Uploaded { token_id, .. } => End::Done { token_id },
        RowResult::AlreadyPresent { status, token_id } => End::Skipped {
            cause: SkipCause::TargetChanged,
            reason: format!("Okta already holds a live record: token {token_id} is {status}"),
        },
        RowResult::Rejected {
            http_status,
            error_code,
            error_summary,
            ..
        } => End::Failed {
            reason: format!("Okta refused the upload (HTTP {http_status} {error_code} {error_summary})"),
        },
        RowResult::Failed { reason, .. } | RowResult::Invalid { reason, .. } => End::Failed {
            reason: format!("the upload failed: {reason}"),
        },
    };
    if let (true, End::Failed { reason }) = (f.deleted, &mut f.end) {
        // The journal holds the delete and the failed upload; the next repair sees the serial
        // missing (or revoked) and uploads it.
        *reason = format!("token deleted, then {reason}; the next repair uploads the seed");
    }
    Ok(Some(f))
}
