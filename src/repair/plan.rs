//! The plan: a pure function from a reconciliation and the seed rows that may be uploaded to at
//! most one action per serial. Automation never undoes an admin: only a key never uploaded
//! (`missing`) is uploaded without asking; a `removed` key (uploaded once, gone or only history
//! now) is held unless a person names it with `--restore`; a retired key is never uploaded or
//! reissued (one Okta still lets someone enroll is held as `retired_live`: `ykprov revoke` makes
//! it safe); a BLOCKED key is reissued (deleted, then uploaded again) only with `reissue_blocked`
//! and only when its user, as Okta lists the user now, was deactivated, or when a person names it
//! with `--serial`. Everything else is held or fine, never touched: no ACTIVE token is ever
//! deleted (stale ones included), no row that does not validate is acted on, and no token is
//! touched that exactly one uploadable seed row does not account for.

use crate::journal::repair::RepairAction;
use crate::okta::client::UserStatus;
use crate::reconcile::diff::{Category, InvalidRow, Item, Reconciliation};
use crate::reconcile::output::place;
use crate::seed::{Serial, SerialNumber};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// What the plan is allowed to do, and what it knows beyond the reconciliation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Delete BLOCKED tokens of deactivated users and upload their seeds again.
    pub reissue_blocked: bool,
    /// `--restore`: removed keys a person asked to upload again.
    pub restore: BTreeSet<Serial>,
    /// `--serial`: only these serials are planned, and a BLOCKED one among them is reissued
    /// (with `reissue_blocked`) whatever its user's status: the admin knows better.
    pub serials: BTreeSet<Serial>,
    /// `--exclude-serial`: never planned, whatever else names them.
    pub exclude: BTreeSet<Serial>,
    /// The status of each BLOCKED key's user, read from Okta (`GET /api/v1/users/{id}`).
    pub users: HashMap<String, UserStatus>,
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
    /// Uploaded once, gone (or only history) now: someone removed it. `--restore` uploads it.
    Removed,
    /// Retired, but Okta still has a live record: `ykprov revoke` makes it safe.
    RetiredLive,
    /// BLOCKED, but its user is not deactivated: a factor reset? The key may be lost.
    BlockedActiveUser,
    /// BLOCKED, and its user could not be read (no user id, or Okta has no such user).
    BlockedUserUnknown,
    /// Applying a pinned plan: the target changed since the plan was made (or the fresh listing
    /// calls for another action), so the approved action is not sent.
    ChangedSincePlan,
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
            Hold::Removed => "removed",
            Hold::RetiredLive => "retired_live",
            Hold::BlockedActiveUser => "blocked_active_user",
            Hold::BlockedUserUnknown => "blocked_user_unknown",
            Hold::ChangedSincePlan => "changed_since_plan",
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
    let wanted = |s: Option<&Serial>| {
        (opts.serials.is_empty() || s.is_some_and(|s| opts.serials.contains(s)))
            && !s.is_some_and(|s| opts.exclude.contains(s))
    };
    for item in rec.items.iter().filter(|i| wanted(Some(&i.serial))) {
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
    plan.held.extend(
        rec.invalid
            .iter()
            .filter(|bad| wanted(serial_of(bad).as_ref()))
            .map(|bad| Held {
                serial: serial_of(bad),
                hold: Hold::InvalidRow,
                status: None,
                place: Some(format!("{}:{}", bad.file, bad.line)),
                reason: format!(
                    "the row does not validate ({}: {}); fix it",
                    bad.field.as_deref().unwrap_or("row"),
                    bad.reason
                ),
            }),
    );
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

/// A BLOCKED key under `reissue_blocked`: reissued when its user was deactivated (as Okta lists
/// the user now) or when a person named it; else held, since a BLOCKED key of an active user is
/// not "a leaver's key" but maybe a lost one.
fn blocked(item: &Item, opts: &PlanOptions) -> Result<String, Decision> {
    let token = item.token_id.as_deref().unwrap_or("-");
    if opts.serials.contains(&item.serial) {
        return Ok(format!("token {token} is BLOCKED and was named with --serial: delete it, then upload the seed again so the key is UNASSIGNED for its next user"));
    }
    let user = item.user_id.as_deref();
    match user.and_then(|u| opts.users.get(u)) {
        Some(status) if status.is_deactivated() => Ok(format!(
            "token {token} is BLOCKED and its user {} is {status} (deactivated): delete it, then upload the seed again so the key is UNASSIGNED for its next user",
            user.unwrap_or("-")
        )),
        Some(status) => Err(Decision::Hold(
            Hold::BlockedActiveUser,
            format!(
                "token {token} is BLOCKED but its user {} is {status}: a factor reset? the key may be lost; `ykprov retire` it, or `repair --reissue-blocked --serial {}` if you know better",
                user.unwrap_or("-"),
                item.serial.trim_start_matches('0')
            ),
        )),
        None => Err(Decision::Hold(
            Hold::BlockedUserUnknown,
            format!("token {token} is BLOCKED and its user could not be read; left alone (name it with --serial to reissue it)"),
        )),
    }
}

/// The lifecycle categories: what people decided (or removed) is never undone without a name.
fn lifecycle(item: &Item, opts: &PlanOptions) -> Result<(RepairAction, String), Decision> {
    let advice = item.advice().unwrap_or_default();
    match item.category {
        Category::Retired => Err(Decision::Fine),
        Category::RetiredLive => Err(Decision::Hold(Hold::RetiredLive, advice)),
        _ if !opts.restore.contains(&item.serial) => Err(Decision::Hold(Hold::Removed, advice)),
        _ if item.status.is_none() => Ok((
            RepairAction::Upload,
            "removed in Okta, and named with --restore: upload it again".to_string(),
        )),
        _ => {
            let mut records = item.history.clone();
            records.extend(item.status.clone());
            let reason = format!(
                "Okta has only history records ({}), and it was named with --restore: upload the seed again",
                records.join(", ")
            );
            Ok((RepairAction::Reupload, reason))
        }
    }
}

fn decide(item: &Item, seeds: &SeedIndex, named: &HashMap<Serial, String>, opts: &PlanOptions) -> Decision {
    let token = item.token_id.as_deref().unwrap_or("-");
    let (action, why) = match item.category {
        Category::Active | Category::Unassigned => return Decision::Fine,
        Category::Retired | Category::RetiredLive | Category::Removed | Category::Revoked => {
            match lifecycle(item, opts) {
                Ok(act) => act,
                Err(d) => return d,
            }
        }
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
            let reason = format!("token {token} is BLOCKED; pass --reissue-blocked to delete it and upload the seed again when its user was deactivated");
            return Decision::Hold(Hold::Blocked, reason);
        }
        Category::Missing => (
            RepairAction::Upload,
            "Okta has no record of it, and it was never uploaded".to_string(),
        ),
        Category::Blocked => match blocked(item, opts) {
            Ok(reason) => (RepairAction::Reissue, reason),
            Err(d) => return d,
        },
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
