//! One serial's revoke, carried out from what Okta lists now, not from the plan: before each
//! write the serial's live record is read again (the re-check), and the write follows from its
//! status: ACTIVE → find the user's YubiKey factor of this serial and unenroll it; UNASSIGNED or
//! BLOCKED → delete the token; no live record → done. After every write the serial is listed
//! again instead of assuming the write did what it should. Every write goes through the one
//! journaled-write loop ([`crate::upload::write`]), so lost answers are looked up, never re-sent
//! blindly, and a refused credential stops the run.

use super::plan::{Step, Target};
use super::unenroll::Unenroll;
use crate::journal::repair::DeleteResult;
use crate::journal::revoke::{RevokeLine, RevokeOutcome};
use crate::journal::Entry;
use crate::okta::client::E_TOKEN_ASSIGNED;
use crate::okta::models::{TokenStatus, YubikeyToken};
use crate::okta::ApiError;
use crate::seed::Serial;
use crate::upload::delete;
use crate::upload::worker::{Ctx, Fatal};
use crate::upload::write::journal;
use chrono::Utc;
use std::sync::Arc;

/// At most this many writes per serial (unenroll, delete, and one more should Okta leave a second
/// live record): a bound, so an Okta that keeps answering "done" while listing the key live cannot
/// keep a revoke writing.
const MAX_WRITES: usize = 3;

/// How a serial's revoke ended, journaled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// The serial.
    pub serial: Serial,
    /// How it ended.
    pub outcome: RevokeOutcome,
    /// Why, in a sentence.
    pub reason: String,
    /// The writes that landed, in order.
    pub writes: Vec<Step>,
    /// Writes sent again.
    pub retries: u32,
    /// Reads to settle a write in doubt.
    pub lookups: u32,
}

/// What the next write is, from the serial's live record now.
enum Next {
    Done,
    Write(Step, YubikeyToken),
    Stop(RevokeOutcome, String),
}

async fn live_record(ctx: &Ctx, serial: &Serial) -> Result<Result<Option<YubikeyToken>, String>, Fatal> {
    let Some(number) = crate::seed::SerialNumber::parse(serial).ok() else {
        return Ok(Err(format!("{serial} is not a serial Okta can hold")));
    };
    match ctx
        .client
        .read_with_retries(|| ctx.client.find_by_serial(number))
        .await
    {
        Ok(t) => Ok(Ok(t)),
        Err(e @ ApiError::Unauthorized { .. }) => Err(Fatal::Unauthorized(e)),
        Err(e) => Ok(Err(format!("could not list the serial: {e}"))),
    }
}

/// The re-check: what the serial's live record calls for now.
async fn next(ctx: &Ctx, f: &Finished, done: &[(Step, String)]) -> Result<Next, Fatal> {
    let t = match live_record(ctx, &f.serial).await? {
        Ok(None) => return Ok(Next::Done),
        Ok(Some(t)) => t,
        Err(why) => return Ok(Next::Stop(RevokeOutcome::Failed, why)),
    };
    let step = match t.status {
        TokenStatus::Active => Step::Unenroll,
        TokenStatus::Unassigned | TokenStatus::Blocked => Step::Delete,
        _ => {
            let why = format!(
                "token {} is {}, a status ykprov does not know; left alone",
                t.id, t.status
            );
            return Ok(Next::Stop(RevokeOutcome::ActionNeeded, why));
        }
    };
    if done.iter().any(|(s, id)| *s == step && *id == t.id) || done.len() >= MAX_WRITES {
        let why = format!(
            "Okta still lists token {} {} after its {}: the key can still be enrolled by whoever holds it",
            t.id,
            t.status,
            step.as_str()
        );
        return Ok(Next::Stop(RevokeOutcome::ActionNeeded, why));
    }
    Ok(Next::Write(step, t))
}

/// What the operator must read when Okta refuses to delete a live token.
pub fn refused_text(serial: &Serial, token: &str, status: &str, code: &str) -> String {
    format!(
        "Okta refused to delete token {token} ({status}, HTTP 403 {code}): key {} CAN STILL BE ENROLLED by whoever holds it. Keep it retired (every reconcile shows it as retired_live until Okta lists it no longer), revoke it in the Admin Console (Security > Multifactor > YubiKey) or ask Okta support to remove it, and get the key back or destroyed",
        serial.trim_start_matches('0')
    )
}

/// Unenrolls the user's YubiKey factor of this serial; `Err` ends the serial with why.
async fn unenroll(
    ctx: &Ctx,
    f: &mut Finished,
    t: &YubikeyToken,
) -> Result<Option<Result<(), String>>, Fatal> {
    let Some(user) = t.user_id() else {
        return Ok(Some(Err(format!("token {} is ACTIVE without a user", t.id))));
    };
    let factors = match ctx
        .client
        .read_with_retries(|| ctx.client.list_factors(&user))
        .await
    {
        Ok(f) => f,
        Err(e @ ApiError::Unauthorized { .. }) => return Err(Fatal::Unauthorized(e)),
        Err(e) => return Ok(Some(Err(format!("could not list user {user}'s factors: {e}")))),
    };
    let Some(factor) = factors.iter().find(|x| x.is_yubikey_of(&f.serial)) else {
        return Ok(Some(Err(format!(
            "user {user} has no YUBICO token:hardware factor for this serial, though token {} is ACTIVE",
            t.id
        ))));
    };
    let Some(w) = Unenroll::new(&f.serial, &user, &factor.id).run(ctx).await? else {
        return Ok(None);
    };
    f.retries += w.effort.retries;
    f.lookups += w.effort.lookups;
    Ok(Some(if w.outcome.is_gone() {
        Ok(())
    } else {
        Err(format!(
            "the unenroll from user {user} did not happen: {:?}",
            w.outcome
        ))
    }))
}

/// Deletes the token; `Err` ends the serial with its outcome and why.
async fn delete_token(
    ctx: &Ctx,
    f: &mut Finished,
    t: &YubikeyToken,
) -> Result<Option<Result<(), (RevokeOutcome, String)>>, Fatal> {
    let Some(d) = delete::delete(ctx, &f.serial, &t.id, t.status.clone()).await? else {
        return Ok(None);
    };
    f.retries += d.retries;
    f.lookups += d.lookups;
    Ok(Some(match d.result {
        DeleteResult::Deleted { .. } | DeleteResult::AlreadyGone => Ok(()),
        DeleteResult::Refused { error_code, .. } if error_code == E_TOKEN_ASSIGNED => {
            let text = refused_text(&f.serial, &t.id, t.status.as_str(), &error_code);
            tracing::error!(serial = %f.serial, token = %t.id, "{text}");
            Err((RevokeOutcome::ActionNeeded, text))
        }
        DeleteResult::Refused {
            http_status,
            error_code,
            ..
        } => Err((
            RevokeOutcome::Failed,
            format!(
                "Okta refused to delete token {} (HTTP {http_status} {error_code})",
                t.id
            ),
        )),
        DeleteResult::Failed { reason, .. } => Err((
            RevokeOutcome::Failed,
            format!("the delete of token {} failed: {reason}", t.id),
        )),
    }))
}

/// The serial's writes until Okta lists no live record, or one cannot be removed.
async fn carry_out(ctx: &Ctx, f: &mut Finished) -> Result<Option<(RevokeOutcome, String)>, Fatal> {
    let mut done: Vec<(Step, String)> = Vec::new();
    loop {
        if ctx.is_stopped() {
            return Ok(None);
        }
        let (step, t) = match next(ctx, f, &done).await? {
            Next::Done if done.is_empty() => {
                let why = "Okta has no live record of it: nobody can enroll it".to_string();
                return Ok(Some((RevokeOutcome::AlreadySafe, why)));
            }
            Next::Done => {
                let why = "Okta lists no live record of it any more: nobody can enroll it".to_string();
                return Ok(Some((RevokeOutcome::Revoked, why)));
            }
            Next::Stop(outcome, why) => return Ok(Some((outcome, why))),
            Next::Write(step, t) => (step, t),
        };
        let result = match step {
            Step::Unenroll => unenroll(ctx, f, &t)
                .await?
                .map(|r| r.map_err(|why| (RevokeOutcome::Failed, why))),
            Step::Delete => delete_token(ctx, f, &t).await?,
        };
        match result {
            None => return Ok(None),
            Some(Err(end)) => return Ok(Some(end)),
            Some(Ok(())) => {
                f.writes.push(step);
                done.push((step, t.id));
            }
        }
    }
}

/// Revokes one serial and journals its end. `None`: another task stopped the run first (what this
/// serial had sent stays for the next revoke, which plans from Okta). A fatal error stops the run
/// for every task (the dispatcher raises the stop before it frees this task's slot).
#[tracing::instrument(skip_all, fields(serial = %target.serial))]
pub async fn revoke_one(ctx: Arc<Ctx>, target: Target) -> Result<Option<Finished>, Fatal> {
    let mut f = Finished {
        serial: target.serial,
        outcome: RevokeOutcome::Failed,
        reason: String::new(),
        writes: Vec::new(),
        retries: 0,
        lookups: 0,
    };
    let Some(ended) = carry_out(&ctx, &mut f).await? else {
        return Ok(None);
    };
    (f.outcome, f.reason) = ended;
    let line = Entry::Revoke(RevokeLine::End {
        serial: f.serial.clone(),
        outcome: f.outcome,
        reason: f.reason.clone(),
        at: Utc::now(),
    });
    journal(&ctx, &line)?;
    Ok(Some(f))
}
