//! The one journaled write every command that changes Okta goes through: an upload's POST, a
//! repair's or a revoke's token DELETE, a revoke's unenroll. [`write()`] is the loop they share:
//! an intent in the journal before each send, the send, the pure [`policy::on_error`] on a
//! failure (resend what Okta did not process, look up what it may have, keep a refusal, stop the
//! run on a refused credential), and the outcome in the journal. What differs between writes (the
//! request, the journal lines, how a lost answer is looked up, what a refusal means) is a
//! [`Write`]; nothing else is copied.

use super::policy::{self, Step, Tries};
use super::worker::{Ctx, Fatal};
use crate::journal::Entry;
use crate::okta::ApiError;
use std::future::Future;

/// What reading the target back says about a write whose answer was lost.
#[derive(Debug)]
pub enum Settled<T> {
    /// The write landed (or its goal holds): this is the outcome.
    Done(T),
    /// It did not land: it may be sent again.
    NotDone,
    /// The read-back could not tell; why, in words that follow the last error.
    Unknown(String),
}

/// A definite refusal, as the policy classified it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// A 400, which is how Okta reports a duplicate upload too: look the target up first.
    pub check_duplicate: bool,
    /// Okta named what is wrong with the request's own fields.
    pub about_the_row: bool,
}

/// The work one write took beyond its first send.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Effort {
    /// Sends that spent an attempt (429s not counted), as the policy counts them.
    pub attempts: u32,
    /// Sends after the first.
    pub retries: u32,
    /// Reads to settle an answer in doubt (or to tell a duplicate).
    pub lookups: u32,
}

/// One kind of write: its request and its journal lines. The loop ([`write()`]) owns the order.
pub trait Write: Send {
    /// The outcome, journaled and returned.
    type Outcome: Send;

    /// The journal line flushed before send number `attempt` (1-based).
    fn intent(&mut self, attempt: u32) -> Entry;

    /// One paced attempt.
    fn send(&mut self, ctx: &Ctx) -> impl Future<Output = Result<Self::Outcome, ApiError>> + Send;

    /// Remembers a failed attempt (for the outcome line and the operator's log).
    fn note(&mut self, err: &ApiError);

    /// Reads the target back after an answer was lost (or an earlier run's was).
    fn look_up(&mut self, ctx: &Ctx) -> impl Future<Output = Result<Settled<Self::Outcome>, Fatal>> + Send;

    /// The outcome of a definite refusal.
    fn refused(
        &mut self,
        ctx: &Ctx,
        err: ApiError,
        refusal: Refusal,
        effort: &mut Effort,
    ) -> impl Future<Output = Result<Self::Outcome, Fatal>> + Send;

    /// Gave up for this run after `attempts` sends; `lookup` says why a read-back could not tell.
    fn failed(&mut self, attempts: u32, lookup: Option<String>) -> Self::Outcome;

    /// The journal line of the outcome.
    fn outcome(&self, outcome: &Self::Outcome) -> Entry;
}

/// A write's outcome, journaled, with the work it took.
#[derive(Debug)]
pub struct Written<T> {
    /// The outcome.
    pub outcome: T,
    /// Retries and lookups.
    pub effort: Effort,
}

/// Appends one journal line; failing to is fatal (the run would lose track of the write).
pub fn journal(ctx: &Ctx, entry: &Entry) -> Result<(), Fatal> {
    ctx.journal.append(entry).map_err(Fatal::Journal)
}

/// Settles the send with the run's retry budget: a failure about to be resent or looked up costs
/// tokens (a 429 is pacing and costs nothing), a definite refusal was an answer. An empty budget
/// stops the run; the write stays pending (or in doubt) for the next run.
fn charge(ctx: &Ctx, step: &Step, err: &ApiError) -> Result<(), Fatal> {
    match step {
        Step::Resend(_) if matches!(err, ApiError::RateLimited { .. }) => Ok(()),
        Step::Resend(_) | Step::LookUp(_) => ctx.budget.failed().map_err(Fatal::Failing),
        Step::Refused { .. } => {
            ctx.budget.succeeded();
            Ok(())
        }
        Step::Stop => Ok(()),
    }
}

/// Carries one write to its outcome and journals it. `in_doubt`: an earlier run sent it and never
/// saw the answer, so it is looked up before anything is sent. `None`: another task stopped the
/// run first; nothing more was sent or journaled (a write already sent stays in doubt for the next
/// run). A refused credential or an unwritable journal is fatal.
pub async fn write<W: Write>(
    ctx: &Ctx,
    w: &mut W,
    in_doubt: bool,
) -> Result<Option<Written<W::Outcome>>, Fatal> {
    let mut tries = Tries::default();
    let mut effort = Effort::default();
    let mut in_doubt = in_doubt;
    let outcome = loop {
        if ctx.is_stopped() {
            return Ok(None);
        }
        if in_doubt {
            effort.lookups += 1;
            match w.look_up(ctx).await? {
                Settled::Done(o) => break o,
                Settled::NotDone => in_doubt = false,
                Settled::Unknown(why) => break w.failed(tries.attempts, Some(why)),
            }
        }
        if tries.exhausted(ctx.max_attempts) {
            break w.failed(tries.attempts, None);
        }
        if ctx.is_stopped() {
            return Ok(None);
        }
        if tries.sent() > 0 {
            effort.retries += 1;
        }
        journal(ctx, &w.intent(tries.sent() + 1))?;
        let err = match w.send(ctx).await {
            Ok(o) => {
                ctx.budget.succeeded();
                break o;
            }
            Err(e) => e,
        };
        let step = policy::on_error(&err, &mut tries, crate::okta::client::backoff);
        w.note(&err);
        charge(ctx, &step, &err)?;
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
                in_doubt = true;
                tokio::time::sleep(after).await;
            }
            Step::Refused {
                check_duplicate,
                about_the_row,
            } => {
                let refusal = Refusal {
                    check_duplicate,
                    about_the_row,
                };
                effort.attempts = tries.attempts;
                break w.refused(ctx, err, refusal, &mut effort).await?;
            }
            Step::Stop => return Err(Fatal::Unauthorized(err)),
        }
    };
    effort.attempts = tries.attempts;
    journal(ctx, &w.outcome(&outcome))?;
    Ok(Some(Written { outcome, effort }))
}
