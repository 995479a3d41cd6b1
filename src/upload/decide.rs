//! What to do with one row of the second pass, decided from what is already known: the first
//! pass's exclusions, the journal of earlier runs, and the tokens Okta listed at preflight. A pure
//! function, so every branch is a unit test; acting on the decision (journaling, dispatching,
//! counting) belongs to the stream and the tally.

use super::preflight::Present;
use crate::journal::{Replay, RowResult};
use crate::seed::{FileReport, RowError, RowOutcome, Serial, ValidRow};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// What the run knows before it sends anything.
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    /// The first pass: which valid lines are repeats or conflicts.
    pub validation: &'a FileReport,
    /// Earlier runs of this journal: finished serials and serials in doubt.
    pub replay: &'a Replay,
    /// Tokens Okta already holds, by 12-digit serial.
    pub existing: &'a HashMap<Serial, Present>,
    /// `--retry-rejected`: rows an earlier run journaled `rejected` are decided again, as if new.
    pub retry_rejected: bool,
}

/// The fate of one row; it carries the row on to whoever acts on it.
#[derive(Debug)]
pub enum Decision<'a> {
    /// It broke a per-row rule: journaled as invalid, never sent.
    Invalid(RowError),
    /// Not a Yubico OTP credential (OATH-HOTP, challenge-response, static password): ignored.
    Skipped,
    /// A repeat, a row superseded under `--last-wins`, or part of a cross-row conflict.
    Excluded,
    /// An earlier run of this journal reached a final outcome for it.
    DoneBefore,
    /// Okta already holds the serial: journaled without a POST.
    AlreadyPresent {
        /// The row.
        row: ValidRow,
        /// Its 12-digit serial.
        serial: Serial,
        /// What Okta holds.
        present: &'a Present,
        /// An earlier run sent it and never saw the answer: this listing is that answer.
        was_in_doubt: bool,
        /// What an earlier run did about it.
        prior: Prior,
    },
    /// Send it.
    Upload {
        /// The row.
        row: ValidRow,
        /// An earlier run sent it and never saw the answer: look it up before sending.
        was_in_doubt: bool,
        /// What an earlier run did about it.
        prior: Prior,
    },
}

/// What the journal of earlier runs says about a row that is to be settled again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prior {
    /// The first intent since its last outcome, when it is in doubt (our clock).
    pub intent_at: Option<DateTime<Utc>>,
    /// It was journaled `rejected` and `--retry-rejected` asked for another try.
    pub retried_rejected: bool,
}

/// Decides one row. The journal comes before Okta's listing, so a row finished earlier counts as
/// done before even though Okta lists it too.
pub fn decide<'a>(row: RowOutcome, known: &Known<'a>) -> Decision<'a> {
    let row = match row {
        RowOutcome::Valid(v) => v,
        RowOutcome::Invalid(e) => return Decision::Invalid(e),
        RowOutcome::Skipped(_) => return Decision::Skipped,
    };
    if !known.validation.is_uploadable(row.line) {
        return Decision::Excluded;
    }
    let serial = Serial::from(row.seed.serial);
    let retried_rejected = known.retry_rejected
        && matches!(
            known.replay.outcomes.get(&serial),
            Some(RowResult::Rejected { .. })
        );
    if known.replay.is_done(&serial) && !retried_rejected {
        return Decision::DoneBefore;
    }
    let was_in_doubt = known.replay.in_doubt.contains(&serial);
    let prior = Prior {
        intent_at: known.replay.intent_at.get(&serial).copied(),
        retried_rejected,
    };
    match known.existing.get(&serial) {
        Some(present) => Decision::AlreadyPresent {
            row,
            serial,
            present,
            was_in_doubt,
            prior,
        },
        None => Decision::Upload {
            row,
            was_in_doubt,
            prior,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::okta::models::TokenStatus;
    use crate::seed::{validate_file, ReaderOptions, RowProblem, SeedReader, SkippedRow, ValidationOptions};
    use std::io::Write;

    const ROW: &str =
        "7886622,ccccccijgibu,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067,,2020-01-10T23:04:10,\n";
    const SERIAL: &str = "000007886622";

    /// What a run knows, owned, so a test can change it before deciding.
    struct Facts {
        report: FileReport,
        replay: Replay,
        existing: HashMap<Serial, Present>,
        retry_rejected: bool,
    }

    impl Facts {
        /// The first pass and the rows of a file holding `text`; no journal, nothing in Okta.
        fn of(text: &str) -> (Facts, Vec<RowOutcome>) {
            let mut f = tempfile::NamedTempFile::new().unwrap();
            f.write_all(text.as_bytes()).unwrap();
            f.flush().unwrap();
            let report = validate_file(f.path(), &ValidationOptions::default()).unwrap();
            let rows = SeedReader::open(f.path(), &ReaderOptions::default())
                .unwrap()
                .collect();
            let facts = Facts {
                report,
                replay: Replay::default(),
                existing: HashMap::new(),
                retry_rejected: false,
            };
            (facts, rows)
        }

        /// The facts of a file holding [`ROW`], and that row.
        fn one_row() -> (Facts, RowOutcome) {
            let (facts, mut rows) = Facts::of(ROW);
            (facts, rows.remove(0))
        }

        fn decide(&self, row: RowOutcome) -> Decision<'_> {
            decide(
                row,
                &Known {
                    validation: &self.report,
                    replay: &self.replay,
                    existing: &self.existing,
                    retry_rejected: self.retry_rejected,
                },
            )
        }
    }

    fn present() -> Present {
        Present {
            id: "ykk1".into(),
            status: TokenStatus::Active,
            created: None,
        }
    }

    fn uploaded() -> RowResult {
        RowResult::Uploaded {
            token_id: "ykk1".into(),
            request_id: None,
            confirmed_by_lookup: false,
        }
    }

    fn failed() -> RowResult {
        RowResult::Failed {
            attempts: 6,
            reason: "no usable answer".into(),
            request_id: None,
        }
    }

    #[test]
    fn a_row_that_broke_a_rule_is_invalid() {
        let (facts, _) = Facts::one_row();
        let error = RowError {
            file: "seeds.csv".into(),
            line: 3,
            field: None,
            serial: None,
            problem: RowProblem::NulBytes,
        };
        let d = facts.decide(RowOutcome::Invalid(error.clone()));
        assert!(matches!(&d, Decision::Invalid(e) if *e == error), "{d:?}");
    }

    #[test]
    fn a_row_that_is_not_an_otp_credential_is_skipped() {
        let (facts, _) = Facts::one_row();
        let row = RowOutcome::Skipped(SkippedRow {
            line: 2,
            serial: None,
            reason: "OATH-HOTP".into(),
        });
        let d = facts.decide(row);
        assert!(matches!(d, Decision::Skipped), "{d:?}");
    }

    #[test]
    fn a_repeated_row_is_excluded_even_when_okta_lacks_its_serial() {
        let (facts, rows) = Facts::of(&format!("{ROW}{ROW}"));
        let d: Vec<_> = rows.into_iter().map(|r| facts.decide(r)).collect();
        assert!(matches!(d[0], Decision::Upload { .. }), "{d:?}");
        assert!(matches!(d[1], Decision::Excluded), "{d:?}");
    }

    #[test]
    fn a_row_with_a_final_outcome_in_the_journal_is_done_before_even_if_okta_lists_it() {
        let (mut facts, row) = Facts::one_row();
        facts.replay.outcomes.insert(SERIAL.into(), uploaded());
        facts.existing.insert(SERIAL.into(), present());
        let d = facts.decide(row);
        assert!(matches!(d, Decision::DoneBefore), "{d:?}");
    }

    #[test]
    fn a_row_that_failed_before_is_uploaded_again() {
        let (mut facts, row) = Facts::one_row();
        facts.replay.outcomes.insert(SERIAL.into(), failed());
        let d = facts.decide(row);
        assert!(
            matches!(
                d,
                Decision::Upload {
                    was_in_doubt: false,
                    ..
                }
            ),
            "{d:?}"
        );
    }

    #[test]
    fn a_row_whose_serial_okta_lists_is_already_present() {
        let (mut facts, row) = Facts::one_row();
        facts.existing.insert(SERIAL.into(), present());
        let d = facts.decide(row);
        assert!(
            matches!(&d, Decision::AlreadyPresent { row, serial, present: p, was_in_doubt: false, .. }
                if row.line == 1 && serial == SERIAL && **p == present()),
            "{d:?}"
        );
    }

    #[test]
    fn a_row_in_doubt_that_okta_lists_is_already_present_and_says_it_was_in_doubt() {
        let (mut facts, row) = Facts::one_row();
        facts.replay.outcomes.insert(SERIAL.into(), uploaded());
        facts.replay.in_doubt.insert(SERIAL.into());
        facts.existing.insert(SERIAL.into(), present());
        let d = facts.decide(row);
        assert!(
            matches!(
                d,
                Decision::AlreadyPresent {
                    was_in_doubt: true,
                    ..
                }
            ),
            "{d:?}"
        );
    }

    fn rejected() -> RowResult {
        RowResult::Rejected {
            http_status: 400,
            error_code: "invalid_dpop_proof".into(),
            error_summary: String::new(),
            error_causes: Vec::new(),
            request_id: None,
        }
    }

    #[test]
    fn a_rejected_row_is_done_before_unless_retry_rejected_is_asked_for() {
        let (mut facts, row) = Facts::one_row();
        facts.replay.outcomes.insert(SERIAL.into(), rejected());
        assert!(matches!(facts.decide(row), Decision::DoneBefore));
        let (mut facts, row) = Facts::one_row();
        facts.replay.outcomes.insert(SERIAL.into(), rejected());
        facts.retry_rejected = true;
        let d = facts.decide(row);
        assert!(
            matches!(
                d,
                Decision::Upload {
                    prior: Prior {
                        retried_rejected: true,
                        ..
                    },
                    ..
                }
            ),
            "{d:?}"
        );
    }

    #[test]
    fn a_retried_rejected_row_that_okta_lists_is_already_present() {
        let (mut facts, row) = Facts::one_row();
        facts.replay.outcomes.insert(SERIAL.into(), rejected());
        facts.existing.insert(SERIAL.into(), present());
        facts.retry_rejected = true;
        let d = facts.decide(row);
        assert!(
            matches!(
                d,
                Decision::AlreadyPresent {
                    prior: Prior {
                        retried_rejected: true,
                        ..
                    },
                    ..
                }
            ),
            "{d:?}"
        );
    }

    #[test]
    fn only_rejected_rows_are_retried_by_retry_rejected() {
        let (mut facts, row) = Facts::one_row();
        facts.replay.outcomes.insert(SERIAL.into(), uploaded());
        facts.retry_rejected = true;
        assert!(matches!(facts.decide(row), Decision::DoneBefore));
    }

    #[test]
    fn a_row_in_doubt_carries_its_first_intent() {
        let (mut facts, row) = Facts::one_row();
        let at: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().unwrap();
        facts.replay.in_doubt.insert(SERIAL.into());
        facts.replay.intent_at.insert(SERIAL.into(), at);
        let d = facts.decide(row);
        assert!(
            matches!(d, Decision::Upload { was_in_doubt: true, prior: Prior { intent_at: Some(t), .. }, .. } if t == at),
            "{d:?}"
        );
    }

    #[test]
    fn a_new_row_is_uploaded() {
        let (facts, row) = Facts::one_row();
        let d = facts.decide(row);
        assert!(
            matches!(&d, Decision::Upload { row, was_in_doubt: false, .. } if row.seed.serial.padded() == SERIAL),
            "{d:?}"
        );
    }

    #[test]
    fn a_row_in_doubt_that_okta_does_not_list_is_uploaded_after_a_lookup() {
        let (mut facts, row) = Facts::one_row();
        facts.replay.in_doubt.insert(SERIAL.into());
        let d = facts.decide(row);
        assert!(
            matches!(
                d,
                Decision::Upload {
                    was_in_doubt: true,
                    ..
                }
            ),
            "{d:?}"
        );
    }
}
