//! The report's "Repairs" section, from the lines `ykprov repair` journals: each run's plan, its
//! DELETE outcomes, the outcomes of its uploads and the actions it skipped. One row per serial
//! (a later run's plan for a serial replaces an earlier one's row), so a resumed repair reads as
//! one story: planned, then done, skipped (and why), failed, or not finished.

use crate::journal::repair::{DeleteOutcome, DeleteResult, Planned, RepairAction, SkipCause, Skipped};
use crate::journal::RowResult;
use crate::okta::models::okta_time;
use crate::seed::Serial;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where one planned action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepairState {
    /// Planned, and no outcome journaled yet (interrupted, or still in doubt).
    Pending,
    /// The seed is in Okta again.
    Done,
    /// Left alone: its target changed since the plan.
    Skipped,
    /// Tried and failed (or could not be checked); the next repair tries again.
    Failed,
}

impl RepairState {
    /// Every state, in report order.
    pub const ALL: [RepairState; 4] = [
        RepairState::Done,
        RepairState::Skipped,
        RepairState::Failed,
        RepairState::Pending,
    ];

    /// Its name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            RepairState::Pending => "not finished",
            RepairState::Done => "done",
            RepairState::Skipped => "skipped",
            RepairState::Failed => "failed",
        }
    }
}

/// One serial's repair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepairRow {
    /// 12-digit serial.
    pub serial: Serial,
    /// The action planned.
    pub action: RepairAction,
    /// Where it ended.
    pub state: RepairState,
    /// The token deleted (a reissue), when one was.
    pub deleted_token: Option<String>,
    /// The token uploaded, when done.
    pub token_id: Option<String>,
    /// The seed file and line.
    pub place: String,
    /// Why it was planned, and what happened.
    pub detail: String,
    /// The run that planned it.
    pub run_id: Option<String>,
    /// When it was planned.
    pub at: String,
}

/// The Repairs section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Repairs {
    /// Actions planned, by action (`upload`, `reupload`, `reissue`).
    pub planned: BTreeMap<String, u64>,
    /// Rows per state.
    pub states: BTreeMap<String, u64>,
    /// One row per serial, sorted by serial.
    pub rows: Vec<RepairRow>,
}

impl Repairs {
    /// The number of rows in a state.
    pub fn count(&self, state: RepairState) -> u64 {
        self.states.get(state.as_str()).copied().unwrap_or(0)
    }
}

/// The section being read from journals.
#[derive(Debug, Default)]
pub(super) struct RepairsAcc {
    rows: BTreeMap<Serial, RepairRow>,
}

impl RepairsAcc {
    pub(super) fn planned(&mut self, p: Planned, run_id: Option<String>) {
        let row = RepairRow {
            serial: p.serial.clone(),
            action: p.action,
            state: RepairState::Pending,
            deleted_token: None,
            token_id: None,
            place: format!("{}:{}", p.file, p.line),
            detail: p.reason,
            run_id,
            at: okta_time::format(&p.at),
        };
        self.rows.insert(p.serial, row);
    }

    fn pending(&mut self, serial: &Serial) -> Option<&mut RepairRow> {
        self.rows
            .get_mut(serial)
            .filter(|r| r.state == RepairState::Pending)
    }

    fn end(row: &mut RepairRow, state: RepairState, what: &str) {
        row.state = state;
        row.detail = format!("{what} (planned because {})", row.detail);
    }

    pub(super) fn deleted(&mut self, d: &DeleteOutcome) {
        let Some(row) = self.pending(&d.serial) else {
            return;
        };
        match &d.result {
            DeleteResult::Deleted { .. } | DeleteResult::AlreadyGone => {
                row.deleted_token = Some(d.token_id.clone());
            }
            DeleteResult::Refused {
                http_status,
                error_code,
                ..
            } => {
                let what = format!(
                    "Okta refused to delete token {} (HTTP {http_status} {error_code})",
                    d.token_id
                );
                Self::end(row, RepairState::Failed, &what);
            }
            DeleteResult::Failed { reason, .. } => {
                let what = format!("deleting token {} failed: {reason}", d.token_id);
                Self::end(row, RepairState::Failed, &what);
            }
        }
    }

    pub(super) fn uploaded(&mut self, serial: &Serial, result: &RowResult) {
        let Some(row) = self.pending(serial) else {
            return;
        };
        let (state, what) = match result {
            RowResult::Uploaded { token_id, .. } => {
                row.token_id = Some(token_id.clone());
                (RepairState::Done, format!("uploaded as token {token_id}"))
            }
            RowResult::AlreadyPresent { status, token_id } => (
                RepairState::Skipped,
                format!("Okta already held token {token_id} ({status})"),
            ),
            RowResult::Rejected { error_code, .. } => (
                RepairState::Failed,
                format!("Okta refused the upload ({error_code})"),
            ),
            RowResult::Failed { reason, .. } | RowResult::Invalid { reason, .. } => {
                (RepairState::Failed, format!("the upload failed: {reason}"))
            }
        };
        Self::end(row, state, &what);
    }

    pub(super) fn skipped(&mut self, s: &Skipped) {
        let Some(row) = self.pending(&s.serial) else {
            return;
        };
        let state = match s.cause {
            SkipCause::TargetChanged => RepairState::Skipped,
            SkipCause::CheckFailed => RepairState::Failed,
        };
        Self::end(row, state, &s.reason);
    }

    /// The section, when any repair was journaled.
    pub(super) fn into_section(self) -> Option<Repairs> {
        if self.rows.is_empty() {
            return None;
        }
        let mut r = Repairs::default();
        for a in RepairAction::ALL {
            r.planned.insert(a.as_str().to_string(), 0);
        }
        for s in RepairState::ALL {
            r.states.insert(s.as_str().to_string(), 0);
        }
        for row in self.rows.into_values() {
            *r.planned.entry(row.action.as_str().to_string()).or_default() += 1;
            *r.states.entry(row.state.as_str().to_string()).or_default() += 1;
            r.rows.push(row);
        }
        Some(r)
    }
}
