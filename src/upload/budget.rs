//! The run-wide retry budget, after the AWS SDKs' retry token bucket: every failed send that
//! would be retried (a 5xx, a timeout, a lost answer, a refused connection) costs
//! [`RETRY_COST`] tokens, every answered send refunds [`SUCCESS_REFUND`], up to [`CAPACITY`].
//! Scattered faults are paid back by the successes around them (break-even is one failure in six
//! sends); a failing org drains the bucket, and the run stops instead of spending every row's
//! `--max-attempts` on it. A 429 costs nothing: it is pacing, not failure, and has its own gate.
//!
//! One budget per run, shared by every worker of upload, repair and revoke through the write
//! loop's `Ctx`; a std `Mutex` held for a few instructions, never across an await.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

/// Tokens in a full bucket (the AWS SDKs' default).
pub const CAPACITY: u32 = 500;
/// What a failed send costs.
pub const RETRY_COST: u32 = 5;
/// What an answered send gives back.
pub const SUCCESS_REFUND: u32 = 1;
/// How many recent sends the stop message counts over.
pub const RECENT: usize = 100;

/// Why the budget stopped the run: `failed` of the last `of` sends failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Okta is failing: {failed} of the last {of} requests failed")]
pub struct Exhausted {
    /// Failed sends among the recent ones.
    pub failed: usize,
    /// Recent sends counted.
    pub of: usize,
}

#[derive(Debug)]
struct State {
    tokens: u32,
    /// The last [`RECENT`] sends, `true` for a failure.
    recent: VecDeque<bool>,
}

/// The run's retry budget.
#[derive(Debug)]
pub struct RetryBudget {
    state: Mutex<State>,
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget {
            state: Mutex::new(State {
                tokens: CAPACITY,
                recent: VecDeque::with_capacity(RECENT),
            }),
        }
    }
}

impl RetryBudget {
    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        // A panic elsewhere cannot leave a counter and a queue inconsistent; keep counting.
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// An answered send: a little back into the bucket.
    pub fn succeeded(&self) {
        self.with_state(|s| {
            s.tokens = (s.tokens + SUCCESS_REFUND).min(CAPACITY);
            s.remember(false);
        });
    }

    /// A failed send about to be retried (or looked up). `Err` when the bucket cannot pay for
    /// it: the run should stop.
    pub fn failed(&self) -> Result<(), Exhausted> {
        self.with_state(|s| {
            s.remember(true);
            match s.tokens.checked_sub(RETRY_COST) {
                Some(left) => {
                    s.tokens = left;
                    Ok(())
                }
                None => Err(Exhausted {
                    failed: s.recent.iter().filter(|&&f| f).count(),
                    of: s.recent.len(),
                }),
            }
        })
    }
}

impl State {
    fn remember(&mut self, failed: bool) {
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(failed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends until the budget stops the run; the number of sends, or `None` within `limit`.
    fn sends_until_stopped(pattern: &[bool], limit: usize) -> Option<(usize, Exhausted)> {
        let b = RetryBudget::default();
        for (i, &fail) in pattern.iter().cycle().take(limit).enumerate() {
            if !fail {
                b.succeeded();
            } else if let Err(e) = b.failed() {
                return Some((i + 1, e));
            }
        }
        None
    }

    #[test]
    fn a_failing_org_drains_the_bucket_in_its_first_hundred_failures() {
        let (sends, e) = sends_until_stopped(&[true], 1_000).unwrap();
        assert_eq!(sends, 101, "100 retries are paid for, the 101st is not");
        assert_eq!(e, Exhausted { failed: 100, of: 100 });
        assert_eq!(
            e.to_string(),
            "Okta is failing: 100 of the last 100 requests failed"
        );
    }

    #[test]
    fn half_failing_stops_after_a_few_hundred_sends() {
        let (sends, e) = sends_until_stopped(&[true, false], 10_000).unwrap();
        assert!((200..=300).contains(&sends), "{sends}");
        assert_eq!((e.failed, e.of), (50, 100));
    }

    #[test]
    fn one_failure_in_ten_never_stops_a_run() {
        let mut pattern = vec![false; 9];
        pattern.push(true);
        assert_eq!(sends_until_stopped(&pattern, 100_000), None);
    }

    #[test]
    fn successes_refill_the_bucket_but_never_past_full() {
        let b = RetryBudget::default();
        for _ in 0..1_000 {
            b.succeeded();
        }
        for _ in 0..CAPACITY / RETRY_COST {
            assert!(b.failed().is_ok());
        }
        assert!(b.failed().is_err(), "the refunds did not overfill it");
    }
}
