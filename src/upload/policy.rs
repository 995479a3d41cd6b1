//! What a worker does after a failed POST, as a pure function of the error and the tries so far:
//! resend what Okta did not process (a 429, nothing reached it), look up what it may have
//! processed (timeout, 5xx, lost or unreadable answer) before any resend, keep a refusal, and stop
//! the run on a refused credential. Which refusals are about the row ([`is_about_the_row`]), and
//! which record a lookup may take as the answer to a lost POST ([`is_answer_to`]), are decided
//! here too. The worker carries the step out; the budget (`--max-attempts`, and
//! [`MAX_RATE_LIMITED`] 429s) is checked before each send.

use crate::okta::ApiError;
use chrono::{DateTime, Utc};
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
    /// A definite refusal: the row is not sent again this run. A 400 is how Okta reports a
    /// duplicate serial too, so `check_duplicate` asks for one lookup to tell "already present"
    /// apart. Only a refusal `about_the_row` (400 `E0000001` with field causes) is the row's final
    /// outcome, `rejected`; any other (a 404, a redirect, a 400 without causes) says nothing about
    /// the row, so it is `failed` and the next run tries it again.
    Refused {
        /// Look the serial up before recording the refusal.
        check_duplicate: bool,
        /// Okta named what is wrong with the row itself.
        about_the_row: bool,
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
        ApiError::Rejected { status, .. } => Step::Refused {
            check_duplicate: *status == 400,
            about_the_row: is_about_the_row(err),
        },
        ApiError::Unauthorized { .. } => Step::Stop,
    }
}

/// Whether a refusal is about the row itself: 400 `E0000001` ("Api validation failed") with
/// causes naming fields, which is how Okta reports a bad or duplicate field. Auth failures never
/// reach here (they are [`ApiError::Unauthorized`], whatever their status).
pub fn is_about_the_row(err: &ApiError) -> bool {
    matches!(err, ApiError::Rejected { status: 400, body, .. }
        if body.error_code == "E0000001" && !body.error_causes.is_empty())
}

/// How much earlier than the intent (on our clock, moved to Okta's) a record may be dated and
/// still be the answer to it: Okta's `created` has milliseconds, and the offset is measured
/// from a header with whole seconds.
pub const CLOCK_SLACK: chrono::Duration = chrono::Duration::seconds(1);

/// Whether a live record created at `created` (Okta's clock) can be what a POST sent after
/// `intent_at` (ours) stored: created at or after the intent, moved onto Okta's clock by
/// `offset` (Okta minus ours, from `Date`; none measured counts as zero), less [`CLOCK_SLACK`].
/// A record without `created` cannot be dated, and is taken as ours. An older record was there
/// before the POST: the key is already present, and the POST did not store it.
pub fn is_answer_to(
    created: Option<DateTime<Utc>>,
    intent_at: Option<DateTime<Utc>>,
    offset: Option<chrono::Duration>,
) -> bool {
    let (Some(created), Some(intent_at)) = (created, intent_at) else {
        return true;
    };
    created >= intent_at + offset.unwrap_or_else(chrono::Duration::zero) - CLOCK_SLACK
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
        refusal(status, "E0000001", &["serialNumber: already exists"])
    }

    fn refusal(status: u16, code: &str, causes: &[&str]) -> ApiError {
        ApiError::Rejected {
            status,
            body: Box::new(ErrorBody {
                error_code: code.into(),
                error_causes: causes
                    .iter()
                    .map(|c| crate::okta::models::ErrorCause {
                        error_summary: c.to_string(),
                    })
                    .collect(),
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
    fn a_400_about_the_row_is_final_after_checking_for_a_duplicate_serial() {
        let mut tries = Tries::default();
        assert_eq!(
            step(&rejected(400), &mut tries),
            Step::Refused {
                check_duplicate: true,
                about_the_row: true
            }
        );
    }

    #[test]
    fn a_400_that_names_no_field_is_not_about_the_row() {
        let mut tries = Tries::default();
        for err in [refusal(400, "E0000001", &[]), refusal(400, "E0000003", &["body"])] {
            assert_eq!(
                step(&err, &mut tries),
                Step::Refused {
                    check_duplicate: true,
                    about_the_row: false
                }
            );
        }
    }

    #[test]
    fn another_refusal_is_not_about_the_row_and_needs_no_lookup() {
        let mut tries = Tries::default();
        assert_eq!(
            step(&rejected(404), &mut tries),
            Step::Refused {
                check_duplicate: false,
                about_the_row: false
            }
        );
    }

    fn at(s: &str) -> Option<DateTime<Utc>> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn a_lookup_confirms_only_a_record_created_after_the_intent_on_okta_s_clock() {
        let intent = at("2026-12-01T10:00:00Z");
        assert!(is_answer_to(at("2026-12-01T10:00:00.300Z"), intent, None));
        assert!(
            !is_answer_to(at("2026-12-01T09:59:58Z"), intent, None),
            "older: not ours"
        );
        // Okta's clock runs 30 s behind ours: its `created` is earlier than our intent.
        let behind = Some(chrono::Duration::seconds(-30));
        assert!(is_answer_to(at("2026-12-01T09:59:30.200Z"), intent, behind));
        assert!(!is_answer_to(at("2026-12-01T09:59:20Z"), intent, behind));
        // Within the slack for the header's whole seconds.
        assert!(is_answer_to(at("2026-12-01T09:59:59.500Z"), intent, None));
    }

    #[test]
    fn a_record_or_intent_without_a_time_cannot_be_ruled_out() {
        assert!(is_answer_to(None, at("2026-12-01T10:00:00Z"), None));
        assert!(is_answer_to(at("2020-01-01T00:00:00Z"), None, None));
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
            credential: None,
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
