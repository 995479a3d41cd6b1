//! The one place a run counts: each [`Decision`] into the [`Plan`] (what the run would do, exact
//! for a dry run) and each journaled outcome into the journal's [`Counts`] (what it did). Both
//! keep their public shape, since the summary text, the journal and the report read them.

use super::decide::Decision;
use super::worker::Done;
use crate::journal::{Counts, RowResult};

/// What the run would do or did, row by row counts.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Plan {
    /// Rows to upload.
    pub to_upload: u64,
    /// Rows whose serial Okta already has.
    pub already_present: u64,
    /// Rows finished by an earlier run of this journal.
    pub done_before: u64,
    /// Invalid rows (skipped with --skip-invalid).
    pub invalid: u64,
    /// Repeated or superseded rows not uploaded.
    pub excluded: u64,
    /// Rows an earlier run journaled `rejected`, decided again (`--retry-rejected`); they are
    /// also counted as to upload or already present.
    pub retried_rejected: u64,
}

/// The plan and the outcome counts of one run, kept together.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    plan: Plan,
    counts: Counts,
}

impl Tally {
    /// A tally for a file whose first pass found `invalid` errors (every invalid row is planned
    /// as skipped before the second pass reaches it).
    pub fn new(invalid: u64) -> Self {
        Tally {
            plan: Plan {
                invalid,
                ..Plan::default()
            },
            counts: Counts::default(),
        }
    }

    /// Counts a decision into the plan. A row done before is also an outcome of this run, since
    /// nothing more will be journaled for it.
    pub fn decided(&mut self, decision: &Decision<'_>) {
        let plan = &mut self.plan;
        match decision {
            Decision::Invalid(_) | Decision::Skipped => {}
            Decision::Excluded => plan.excluded += 1,
            Decision::DoneBefore => {
                plan.done_before += 1;
                self.counts.done_before += 1;
            }
            Decision::AlreadyPresent { prior, .. } => {
                plan.already_present += 1;
                plan.retried_rejected += u64::from(prior.retried_rejected);
            }
            Decision::Upload { prior, .. } => {
                plan.to_upload += 1;
                plan.retried_rejected += u64::from(prior.retried_rejected);
            }
        }
    }

    /// Counts one journaled outcome.
    pub fn settled(&mut self, result: &RowResult) {
        let c = &mut self.counts;
        match result {
            RowResult::Uploaded { .. } => c.uploaded += 1,
            RowResult::AlreadyPresent { .. } => c.already_present += 1,
            RowResult::Rejected { .. } => c.rejected += 1,
            RowResult::Failed { .. } => c.failed += 1,
            RowResult::Invalid { .. } => c.invalid += 1,
        }
    }

    /// Counts an earlier run's upload in doubt that the listing showed had arrived (journaled as
    /// uploaded, but not sent by this run).
    pub fn settled_from_listing(&mut self) {
        self.counts.settled_from_listing += 1;
    }

    /// Counts a worker's outcome with the retries and lookups it took.
    pub fn finished(&mut self, done: &Done) {
        self.counts.retries += u64::from(done.retries);
        self.counts.in_doubt_lookups += u64::from(done.lookups);
        self.settled(&done.result);
    }

    /// The outcome counts so far.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// The plan so far.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The plan and the counts, for the summary.
    pub fn into_parts(self) -> (Plan, Counts) {
        (self.plan, self.counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::okta::models::TokenStatus;
    use crate::seed::{
        AccessCode, AesKey, PrivateId, PublicId, RowError, RowProblem, Seed, SerialNumber, ValidRow,
    };
    use crate::upload::decide::Prior;
    use crate::upload::preflight::Present;

    fn row() -> ValidRow {
        ValidRow {
            line: 1,
            seed: Seed {
                serial: SerialNumber::parse("7886622").unwrap(),
                public_id: PublicId::parse("ccccccijgibu").unwrap(),
                private_id: PrivateId::parse("b74be6169486").unwrap(),
                aes_key: AesKey::parse("1fcc6d8ce39bf1604e0b17f3e0a11067").unwrap(),
                access_code: AccessCode::parse("").unwrap(),
            },
            warnings: Vec::new(),
        }
    }

    fn upload() -> Decision<'static> {
        Decision::Upload {
            row: row(),
            was_in_doubt: false,
            prior: Prior::default(),
        }
    }

    fn failed() -> RowResult {
        RowResult::Failed {
            attempts: 6,
            reason: "unreachable".into(),
            request_id: None,
        }
    }

    #[test]
    fn the_first_pass_invalid_count_is_planned_and_invalid_decisions_are_not_counted_again() {
        let mut t = Tally::new(3);
        t.decided(&Decision::Invalid(RowError {
            file: "seeds.csv".into(),
            line: 2,
            field: None,
            serial: None,
            problem: RowProblem::NulBytes,
        }));
        t.decided(&Decision::Skipped);
        assert_eq!(t.plan().invalid, 3);
        assert_eq!(t.counts(), &Counts::default());
    }

    #[test]
    fn each_decision_lands_in_its_plan_column() {
        let present = Present {
            id: "ykk1".into(),
            status: TokenStatus::Active,
            created: None,
        };
        let mut t = Tally::new(0);
        t.decided(&Decision::Excluded);
        t.decided(&Decision::AlreadyPresent {
            row: row(),
            serial: "000007886622".into(),
            present: &present,
            was_in_doubt: true,
            prior: Prior {
                intent_at: None,
                retried_rejected: true,
            },
        });
        t.decided(&upload());
        t.decided(&upload());
        let p = t.plan();
        assert_eq!(
            (p.excluded, p.already_present, p.to_upload, p.done_before),
            (1, 1, 2, 0)
        );
        assert_eq!(p.retried_rejected, 1, "a retried row is counted apart too");
        assert_eq!(t.counts(), &Counts::default(), "a plan is not an outcome");
    }

    #[test]
    fn a_row_done_before_counts_in_the_plan_and_in_the_outcomes() {
        let mut t = Tally::new(0);
        t.decided(&Decision::DoneBefore);
        assert_eq!(t.plan().done_before, 1);
        assert_eq!(t.counts().done_before, 1);
    }

    #[test]
    fn a_finished_upload_adds_its_outcome_retries_and_lookups() {
        let mut t = Tally::new(0);
        t.finished(&Done {
            serial: "000000000001".into(),
            result: failed(),
            retries: 5,
            lookups: 2,
        });
        t.settled(&RowResult::Invalid {
            field: None,
            reason: "bad".into(),
        });
        let (_, c) = t.into_parts();
        assert_eq!(
            (c.failed, c.invalid, c.retries, c.in_doubt_lookups, c.uploaded),
            (1, 1, 5, 2, 0)
        );
    }
}
