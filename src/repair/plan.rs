//! The plan: a pure function from a reconciliation and the seed rows that may be uploaded to at
//! most one action per serial. `missing` → upload; `revoked` (only history records) → upload
//! again; `blocked` → with `reissue_blocked`, delete then upload, else held. Everything else is
//! held or fine, never touched: no ACTIVE token is ever deleted (stale ones included), no row that
//! does not validate is acted on, and no token is touched that exactly one uploadable seed row
//! does not account for.

use crate::journal::repair::RepairAction;
use crate::reconcile::diff::{Category, InvalidRow, Item, Reconciliation};
use crate::reconcile::output::place;
use crate::seed::{Serial, SerialNumber};
use serde::Serialize;
use std::collections::HashMap;

/// What the plan is allowed to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Delete BLOCKED tokens and upload their seeds again.
    pub reissue_blocked: bool,
}

/// The seed rows a repair may upload: per serial, the one row that [`crate::seed::FileReport`]
/// allows (repeats and conflicting rows excluded), and how many files hold such a row.
#[derive(Debug, Clone, Default)]
pub struct SeedIndex {
    files: Vec<String>,
    rows: HashMap<Serial, SeedRow>,
}

#[derive(Debug, Clone, Copy)]
struct SeedRow {
    file: usize,
    line: u64,
    rows: u32,
}

impl SeedIndex {
    /// Records that `file` may upload `serial` from `line` (the first such row wins the place).
    pub fn add(&mut self, file: &str, serial: Serial, line: u64) {
        let file = match self.files.iter().position(|f| f == file) {
            Some(i) => i,
            None => {
                self.files.push(file.to_string());
                self.files.len() - 1
            }
        };
        self.rows
            .entry(serial)
            .and_modify(|r| r.rows += 1)
            .or_insert(SeedRow { file, line, rows: 1 });
    }

    /// The file and line to upload `serial` from, and how many uploadable rows name it.
    fn get(&self, serial: &Serial) -> Option<(&str, u64, u32)> {
        let r = self.rows.get(serial)?;
        Some((self.files.get(r.file)?.as_str(), r.line, r.rows))
    }
}

/// One serial's action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    /// 12-digit serial.
    pub serial: Serial,
    /// What to do.
    pub action: RepairAction,
    /// The token it acts on: the BLOCKED one for a reissue.
    pub token_id: Option<String>,
    /// The seed file holding the seed to upload.
    pub file: String,
    /// Its line.
    pub line: u64,
    /// Why, in a sentence (never a secret).
    pub reason: String,
}

/// Why a serial is left alone though it is not fine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hold {
    /// BLOCKED, and reissuing blocked keys was not asked for.
    Blocked,
    /// ACTIVE but unused for long: an ACTIVE token is never deleted.
    Stale,
    /// A status ykprov does not know.
    UnknownStatus,
    /// In Okta, in no seed file.
    NotInFiles,
    /// A seed row that does not validate.
    InvalidRow,
    /// An invalid row (or a conflicting one) names the serial too.
    NamedByInvalidRow,
    /// More than one uploadable row (in several files) holds the serial.
    SeveralSeedRows,
    /// No row of the serial may be uploaded (all repeats or conflicting).
    NoUploadableRow,
    /// Okta listed the token without an id.
    NoTokenId,
}

impl Hold {
    /// Its name in plans and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Hold::Blocked => "blocked",
            Hold::Stale => "stale",
            Hold::UnknownStatus => "unknown_status",
            Hold::NotInFiles => "not_in_files",
            Hold::InvalidRow => "invalid_row",
            Hold::NamedByInvalidRow => "named_by_invalid_row",
            Hold::SeveralSeedRows => "several_seed_rows",
            Hold::NoUploadableRow => "no_uploadable_row",
            Hold::NoTokenId => "no_token_id",
        }
    }
}

/// A serial (or an invalid row) left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Held {
    /// 12-digit serial, when there is a readable one.
    pub serial: Option<Serial>,
    /// Why it is held.
    pub hold: Hold,
    /// Okta's status, when Okta has a record.
    pub status: Option<String>,
    /// Seed file and line.
    pub place: Option<String>,
    /// Why, in a sentence.
    pub reason: String,
}

/// The whole plan, serials sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The actions, by serial.
    pub actions: Vec<Action>,
    /// Serials and rows left alone that are not fine, by serial; invalid rows last.
    pub held: Vec<Held>,
    /// Serials that need nothing (UNASSIGNED or ACTIVE).
    pub fine: u64,
}

impl Plan {
    /// Actions of one kind.
    pub fn count(&self, action: RepairAction) -> u64 {
        self.actions.iter().filter(|a| a.action == action).count() as u64
    }

    /// Held serials of one kind.
    pub fn held(&self, hold: Hold) -> u64 {
        self.held.iter().filter(|h| h.hold == hold).count() as u64
    }

    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Marks the uploads that finish a reissue an earlier repair began (its token deleted, the
    /// seed not uploaded yet), so the plan says so.
    pub fn mark_unfinished_reissues(&mut self, unfinished: &HashMap<Serial, String>) {
        for a in &mut self.actions {
            if a.action == RepairAction::Reissue {
                continue;
            }
            if let Some(id) = unfinished.get(&a.serial) {
                a.reason = format!(
                    "finishes a reissue: an earlier repair deleted token {id}; {}",
                    a.reason
                );
            }
        }
    }
}

/// What to do about one serial.
enum Decision {
    Act(Action),
    Hold(Hold, String),
    Fine,
}

/// Plans the repair of a reconciliation, given the seed rows that may be uploaded.
pub fn plan(rec: &Reconciliation, seeds: &SeedIndex, opts: &PlanOptions) -> Plan {
    let named = named_by_invalid(&rec.invalid);
    let mut plan = Plan::default();
    for item in &rec.items {
        match decide(item, seeds, &named, opts) {
            Decision::Act(a) => plan.actions.push(a),
            Decision::Hold(hold, reason) => plan.held.push(Held {
                serial: Some(item.serial.clone()),
                hold,
                status: item.status.clone(),
                place: place(item),
                reason,
            }),
            Decision::Fine => plan.fine += 1,
        }
    }
    plan.held.extend(rec.invalid.iter().map(|bad| Held {
        serial: serial_of(bad),
        hold: Hold::InvalidRow,
        status: None,
        place: Some(format!("{}:{}", bad.file, bad.line)),
        reason: format!(
            "the row does not validate ({}: {}); fix it",
            bad.field.as_deref().unwrap_or("row"),
            bad.reason
        ),
    }));
    plan
}

fn serial_of(bad: &InvalidRow) -> Option<Serial> {
    let raw = bad.serial.as_deref()?;
    SerialNumber::parse(raw).ok().map(Serial::from)
}

/// The serials invalid rows name (cross-row conflicts included), with the first such row.
fn named_by_invalid(invalid: &[InvalidRow]) -> HashMap<Serial, String> {
    let mut named = HashMap::new();
    for bad in invalid {
        if let Some(s) = serial_of(bad) {
            named
                .entry(s)
                .or_insert_with(|| format!("{}:{}", bad.file, bad.line));
        }
    }
    named
}

fn decide(item: &Item, seeds: &SeedIndex, named: &HashMap<Serial, String>, opts: &PlanOptions) -> Decision {
    let token = item.token_id.as_deref().unwrap_or("-");
    let (action, why) = match item.category {
        Category::Active | Category::Unassigned => return Decision::Fine,
        Category::Stale => {
            let since = item.last_verified.as_deref().unwrap_or("long ago");
            let reason = format!("ACTIVE, unused since {since}; an ACTIVE token is never touched");
            return Decision::Hold(Hold::Stale, reason);
        }
        Category::Other => {
            let status = item.status.as_deref().unwrap_or("-");
            let reason = format!("status {status} is unknown to ykprov; left alone");
            return Decision::Hold(Hold::UnknownStatus, reason);
        }
        Category::Unexpected | Category::Invalid => {
            let reason = "no seed file accounts for this token; left alone".to_string();
            return Decision::Hold(Hold::NotInFiles, reason);
        }
        Category::Blocked if !opts.reissue_blocked => {
            let reason = format!("token {token} is BLOCKED (its user was deactivated); pass --reissue-blocked to delete it and upload the seed again");
            return Decision::Hold(Hold::Blocked, reason);
        }
        Category::Missing => (RepairAction::Upload, "Okta has no record of it".to_string()),
        Category::Revoked => {
            let mut records = item.history.clone();
            records.extend(item.status.clone());
            let reason = format!(
                "Okta has only history records ({}); as Okta's KB says, upload the seed again",
                records.join(", ")
            );
            (RepairAction::Reupload, reason)
        }
        Category::Blocked => {
            let reason = format!("token {token} is BLOCKED (its user was deactivated): delete it, then upload the seed again so the key is UNASSIGNED for its next user");
            (RepairAction::Reissue, reason)
        }
    };
    if let Some(at) = named.get(&item.serial) {
        let reason = format!("an invalid or conflicting row names this serial ({at}); fix it first");
        return Decision::Hold(Hold::NamedByInvalidRow, reason);
    }
    let Some((file, line, rows)) = seeds.get(&item.serial) else {
        let reason = "no row of it may be uploaded (repeats or conflicting rows only)".to_string();
        return Decision::Hold(Hold::NoUploadableRow, reason);
    };
    if rows > 1 {
        let reason = format!("{rows} seed rows in different files hold this serial; repair uploads only a seed exactly one row accounts for");
        return Decision::Hold(Hold::SeveralSeedRows, reason);
    }
    if action == RepairAction::Reissue && item.token_id.is_none() {
        return Decision::Hold(Hold::NoTokenId, "Okta listed it without a token id".into());
    }
    Decision::Act(Action {
        serial: item.serial.clone(),
        action,
        token_id: if action == RepairAction::Reissue {
            item.token_id.clone()
        } else {
            None
        },
        file: file.to_string(),
        line,
        reason: format!("{file}:{line}: {why}"),
    })
}

#[cfg(test)]
mod tests;
