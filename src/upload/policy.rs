//! What a worker does after a failed POST, as a pure function of the error and the tries so far:
//! resend what Okta did not process (a 429, nothing reached it), look up what it may have
//! processed (timeout, 5xx, lost or unreadable answer) before any resend, keep a refusal, and stop
//! the run on a refused credential. The worker carries the step out; the budget
//! (`--max-attempts`, and [`MAX_RATE_LIMITED`] 429s) is checked before each send.

use crate::okta::ApiError;
use std::time::Duration;

/// 429s allowed per row before giving up on it for this run.
pub const MAX_RATE_LIMITED: u32 = 100;

/// How often one row has been sent in this run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tries {
    /// Sends answered by anything but a 429: they spend `--max-attempts`.
    pub attempts: u32,
    /// Sends answered by a 429: Okta processed nothing, so they spend only [`MAX_RATE_LIMITED`].
    pub rate_limited: u32,
}

impl Tries {
    /// Sends of any kind so far.
    pub fn sent(self) -> u32 {
        self.attempts + self.rate_limited
    }

    /// Whether the row has used up its sends for this run.
    pub fn exhausted(self, max_attempts: u32) -> bool {
        self.attempts >= max_attempts || self.rate_limited >= MAX_RATE_LIMITED
    }
}

/// What to do next about a row whose POST failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Okta did not process it: send again after waiting this long (zero when the pacer's gate,
    /// closed for every worker, does the waiting).
    Resend(Duration),
    /// Okta may have stored it: wait this long, then look the serial up; resend only if absent.
    LookUp(Duration),
    /// A definite refusal: the row's outcome is rejected. A 400 is how Okta reports a duplicate
    /// serial too, so `check_duplicate` asks for one lookup to tell "already present" apart.
    Final {
        /// Look the serial up before recording the refusal.
        check_duplicate: bool,
    },
    /// The credential is refused: no more sends for any row.
    Stop,
}

/// The step after `err`, counting the try into `tries`. `backoff(attempt)` is the wait before
/// attempt number `attempt + 1` (jittered in the worker, fixed in tests).
pub fn on_error(err: &ApiError, tries: &mut Tries, backoff: impl Fn(u32) -> Duration) -> Step {
    match err {
        ApiError::RateLimited {
            concurrency, wait, ..
        } => {
            tries.rate_limited += 1;
            // A rate 429 has closed the pacer's gate for every worker; a concurrency 429 lowers
            // our in-flight bound and backs off alone.
            Step::Resend(if *concurrency { *wait } else { Duration::ZERO })
        }
        ApiError::Unreachable { .. } => {
            tries.attempts += 1;
            Step::Resend(backoff(tries.attempts))
        }
        ApiError::InDoubt { .. } | ApiError::Protocol { .. } => {
            tries.attempts += 1;
            Step::LookUp(backoff(tries.attempts))
        }
        ApiError::Rejected { status, .. } => Step::Final {
            check_duplicate: *status == 400,
        },
        ApiError::Unauthorized { .. } => Step::Stop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::okta::models::ErrorBody;

    /// A backoff that shows which attempt it was asked about.
    fn backoff(attempt: u32) -> Duration {
        Duration::from_millis(u64::from(attempt) * 100)
    }

    fn step(err: &ApiError, tries: &mut Tries) -> Step {
        on_error(err, tries, backoff)
    }

    fn rate_limited(concurrency: bool) -> ApiError {
        ApiError::RateLimited {
            wait: Duration::from_secs(7),
            concurrency,
            request_id: "r1".into(),
        }
    }

    fn rejected(status: u16) -> ApiError {
        ApiError::Rejected {
            status,
            body: Box::new(ErrorBody {
                error_code: "E0000001".into(),
                ..ErrorBody::default()
            }),
            request_id: None,
        }
    }

    #[test]
    fn a_rate_429_is_resent_at_once_because_the_pacer_waits_and_spends_no_attempt() {
        let mut tries = Tries::default();
        assert_eq!(
            step(&rate_limited(false), &mut tries),
            Step::Resend(Duration::ZERO)
        );
        assert_eq!(
            tries,
            Tries {
                attempts: 0,
                rate_limited: 1
            }
        );
    }

    #[test]
    fn a_concurrency_429_is_resent_after_its_own_wait_and_spends_no_attempt() {
        let mut tries = Tries::default();
        assert_eq!(
            step(&rate_limited(true), &mut tries),
            Step::Resend(Duration::from_secs(7))
        );
        assert_eq!((tries.attempts, tries.rate_limited), (0, 1));
    }

    #[test]
    fn an_unreachable_okta_is_resent_after_a_backoff_and_spends_an_attempt() {
        let mut tries = Tries {
            attempts: 2,
            rate_limited: 5,
        };
        let err = ApiError::Unreachable {
            reason: "connection refused".into(),
        };
        assert_eq!(step(&err, &mut tries), Step::Resend(backoff(3)));
        assert_eq!((tries.attempts, tries.rate_limited), (3, 5));
    }

    #[test]
    fn an_answer_in_doubt_is_looked_up_after_a_backoff_never_resent_blindly() {
        let mut tries = Tries::default();
        let err = ApiError::InDoubt {
            reason: "timed out".into(),
            status: None,
            request_id: None,
        };
        assert_eq!(step(&err, &mut tries), Step::LookUp(backoff(1)));
        assert_eq!(tries.attempts, 1);
    }

    #[test]
    fn an_unusable_answer_is_treated_as_in_doubt() {
        let mut tries = Tries::default();
        let err = ApiError::Protocol {
            reason: "a token without an id".into(),
        };
        assert_eq!(step(&err, &mut tries), Step::LookUp(backoff(1)));
        assert_eq!(tries.attempts, 1);
    }

    #[test]
    fn a_400_is_final_after_checking_for_a_duplicate_serial() {
        let mut tries = Tries::default();
        assert_eq!(
            step(&rejected(400), &mut tries),
            Step::Final {
                check_duplicate: true
            }
        );
    }

    #[test]
    fn another_refusal_is_final_without_a_lookup() {
        let mut tries = Tries::default();
        assert_eq!(
            step(&rejected(404), &mut tries),
            Step::Final {
                check_duplicate: false
            }
        );
    }

    #[test]
    fn a_refused_credential_stops_the_run() {
        let mut tries = Tries::default();
        let err = ApiError::Unauthorized {
            status: 401,
            code: "E0000011".into(),
            request_id: None,
            scope: None,
            detail: None,
            clock_offset: None,
        };
        assert_eq!(step(&err, &mut tries), Step::Stop);
    }

    #[test]
    fn the_budget_is_spent_by_max_attempts_or_by_a_hundred_429s() {
        let max = 6;
        assert!(!Tries {
            attempts: 5,
            rate_limited: 99
        }
        .exhausted(max));
        assert!(Tries {
            attempts: 6,
            rate_limited: 0
        }
        .exhausted(max));
        assert!(Tries {
            attempts: 0,
            rate_limited: MAX_RATE_LIMITED
        }
        .exhausted(max));
        assert_eq!(
            Tries {
                attempts: 2,
                rate_limited: 3
            }
            .sent(),
            5
        );
    }
}
