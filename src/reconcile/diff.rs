//! The reconciliation itself: a pure function from what the seed files say, what Okta holds and
//! what people decided about keys ([`Facts`]) to categories. No I/O, so every rule is unit-tested
//! directly.
//!
//! The seed files are a record of what was programmed, not the desired state of Okta: a key an
//! admin retired is `retired` (action needed only while Okta still has a live, enrollable record
//! of it), and a key that was uploaded and is gone now (no record, or only history) is `removed`,
//! held for a person to decide. Only a key never uploaded is `missing`.

use crate::lifecycle::{Facts, RetireReason};
use crate::okta::inventory::RemoteToken;
use crate::okta::models::{okta_time, TokenStatus};
use crate::seed::Serial;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// A valid row of a seed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalRow {
    /// 12-digit serial.
    pub serial: Serial,
    /// Seed file.
    pub file: String,
    /// Line in it.
    pub line: u64,
}

/// An invalid row of a seed file (from the validator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidRow {
    /// Seed file.
    pub file: String,
    /// Line.
    pub line: u64,
    /// Serial, if readable.
    pub serial: Option<String>,
    /// Field at fault.
    pub field: Option<String>,
    /// Why (never a secret).
    pub reason: String,
}

/// Which tokens to account for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Only serials in the files.
    #[default]
    File,
    /// Also tokens in Okta that no file accounts for.
    Org,
}

/// Where a serial stands.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Uploaded, not enrolled.
    Unassigned,
    /// Enrolled and in use.
    Active,
    /// Assigned to a user who is no longer active.
    Blocked,
    /// REVOKED, DELETED or INACTIVE only. The diff now reports such a key as [`Category::Removed`]
    /// (or `retired`); the name stays so reconciliations written by older versions still read.
    Revoked,
    /// A status this version does not know; shown as-is.
    Other,
    /// In a file, not in Okta: needs upload.
    Missing,
    /// In Okta, in no file (`--scope org`).
    Unexpected,
    /// ACTIVE but not used for longer than `--stale-after`.
    Stale,
    /// An invalid row in a file.
    Invalid,
    /// Retired by an admin, and Okta has no live record: as it should be.
    Retired,
    /// Retired by an admin, but Okta still has a live record: whoever holds the key can enroll
    /// it. Action needed: `ykprov revoke`.
    RetiredLive,
    /// Uploaded once (the facts say so, or Okta keeps only history records of it) and gone
    /// now: someone removed it. Held for a person: `ykprov retire`, or `repair --restore`.
    Removed,
}

/// The name used in output and on the command line (`--fail-on retired_live`), so clap can show
/// a default list of categories from a constant.
impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Category {
    /// Name used in output.
    pub fn name(&self) -> &'static str {
        match self {
            Category::Unassigned => "unassigned",
            Category::Active => "active",
            Category::Blocked => "blocked",
            Category::Revoked => "revoked",
            Category::Other => "other",
            Category::Missing => "missing",
            Category::Unexpected => "unexpected",
            Category::Stale => "stale",
            Category::Invalid => "invalid",
            Category::Retired => "retired",
            Category::RetiredLive => "retired_live",
            Category::Removed => "removed",
        }
    }

    /// Every category, in report order.
    pub const ALL: [Category; 12] = [
        Category::RetiredLive,
        Category::Missing,
        Category::Removed,
        Category::Blocked,
        Category::Revoked,
        Category::Stale,
        Category::Unexpected,
        Category::Other,
        Category::Invalid,
        Category::Active,
        Category::Unassigned,
        Category::Retired,
    ];
}

impl Category {
    /// Whether it exists only because of what people decided ([`Facts`]): `retired`,
    /// `retired_live`, `removed`.
    pub fn is_lifecycle(&self) -> bool {
        matches!(
            self,
            Category::Retired | Category::RetiredLive | Category::Removed
        )
    }

    /// The categories a count table shows, in report order: every one, except a lifecycle
    /// category with nothing in it (so a reconciliation without such keys reads as it always did).
    pub fn shown(count: impl Fn(&Category) -> u64) -> Vec<Category> {
        Category::ALL
            .into_iter()
            .filter(|c| !c.is_lifecycle() || count(c) > 0)
            .collect()
    }
}

/// One serial's line in the reconciliation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// 12-digit serial.
    pub serial: Serial,
    /// Where it stands.
    pub category: Category,
    /// Okta's status, as Okta spells it.
    pub status: Option<String>,
    /// Token id.
    pub token_id: Option<String>,
    /// Assigned user id.
    pub user_id: Option<String>,
    /// Assigned user's login.
    pub login: Option<String>,
    /// Last use.
    pub last_verified: Option<String>,
    /// Seed file and line, when in a file.
    pub file: Option<String>,
    /// Line in the file.
    pub line: Option<u64>,
    /// Okta's statuses of the serial's other records (history such as REVOKED), oldest first;
    /// with a live record, they say the key was uploaded again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<String>,
    /// What people decided or ykprov did with the key beyond Okta's list, when it matters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Lifecycle>,
}

/// The facts behind a `retired`, `retired_live` or `removed` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lifecycle {
    /// Why an admin retired it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired: Option<RetireReason>,
    /// The retirement's ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// When it was first uploaded (the facts, else its oldest record in Okta), Okta's time format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uploaded: Option<String>,
}

impl Item {
    /// What a person should know or do about the item, when its category calls for words: the
    /// lifecycle categories name the command that settles them.
    pub fn advice(&self) -> Option<String> {
        let life = self.lifecycle.as_ref();
        let reason = life
            .and_then(|l| l.retired)
            .map_or_else(|| "retired".to_string(), |r| format!("retired ({r})"));
        match self.category {
            Category::RetiredLive => Some(format!(
                "{reason} but still enrollable in Okta: run `ykprov revoke {}`",
                self.serial.trim_start_matches('0')
            )),
            Category::Retired => Some(format!("{reason}; Okta has no live record")),
            Category::Removed => {
                let when = life
                    .and_then(|l| l.uploaded.as_deref())
                    .map(|d| format!(" on {}", d.get(..10).unwrap_or(d)))
                    .unwrap_or_default();
                Some(format!(
                    "removed in Okta after it was uploaded{when}; if that was deliberate, `ykprov retire`; to upload it again, `repair --restore {}`",
                    self.serial.trim_start_matches('0')
                ))
            }
            _ => None,
        }
    }
}

/// Knobs of the diff.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// File or org scope.
    pub scope: Scope,
    /// ACTIVE tokens unused for longer than this are stale.
    pub stale_after: Duration,
    /// "Now", for staleness (a parameter so tests are deterministic).
    pub now: DateTime<Utc>,
}

/// The result: items sorted by serial, plus counts per category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reconciliation {
    /// Counts per category name (every category present, zero or not).
    pub counts: BTreeMap<String, u64>,
    /// Every serial, sorted.
    pub items: Vec<Item>,
    /// Invalid rows.
    pub invalid: Vec<InvalidRow>,
}

impl Reconciliation {
    /// Items of one category.
    pub fn of(&self, c: &Category) -> impl Iterator<Item = &Item> + '_ {
        let c = c.clone();
        self.items.iter().filter(move |i| i.category == c)
    }

    /// The count of one category.
    pub fn count(&self, c: &Category) -> u64 {
        self.counts.get(c.name()).copied().unwrap_or(0)
    }
}

fn category_of(t: &RemoteToken, opts: &DiffOptions) -> Category {
    match &t.status {
        TokenStatus::Unassigned => Category::Unassigned,
        TokenStatus::Active => {
            let used = t.last_verified.or(t.activated).or(t.created);
            match used {
                Some(at) if opts.now - at > opts.stale_after => Category::Stale,
                _ => Category::Active,
            }
        }
        TokenStatus::Blocked => Category::Blocked,
        // Only history: `apply_facts` makes it `removed` (or `retired`).
        TokenStatus::Revoked | TokenStatus::Deleted | TokenStatus::Inactive => Category::Revoked,
        TokenStatus::Other(_) => Category::Other,
    }
}

/// A serial's records: the one that says where it stands, and the rest (history).
struct Records<'a> {
    current: &'a RemoteToken,
    history: Vec<&'a RemoteToken>,
}

/// The record that stands for a serial: its live one (UNASSIGNED, ACTIVE, BLOCKED or a status we
/// do not know); with none, the newest of its history. Okta keeps at most one live record per
/// serial; should a list repeat one, the first wins.
fn current_of<'a>(records: &[&'a RemoteToken]) -> Option<Records<'a>> {
    let live = records.iter().position(|t| t.status.is_live());
    let pick = live.or_else(|| (0..records.len()).max_by_key(|&i| (records[i].created, i)))?;
    let mut history: Vec<&RemoteToken> = records
        .iter()
        .enumerate()
        .filter(|&(i, t)| i != pick && !(live.is_some() && t.status.is_live()))
        .map(|(_, t)| *t)
        .collect();
    history.sort_by_key(|t| t.created);
    Some(Records {
        current: records[pick],
        history,
    })
}

/// Joins the files' rows with Okta's tokens on the 12-digit serial.
pub fn diff(
    local: &[LocalRow],
    remote: &[RemoteToken],
    invalid: Vec<InvalidRow>,
    opts: &DiffOptions,
    facts: &Facts,
) -> Reconciliation {
    let mut by_serial: HashMap<&str, Vec<&RemoteToken>> = HashMap::with_capacity(remote.len());
    for t in remote {
        by_serial.entry(t.serial.as_str()).or_default().push(t);
    }
    let records = |serial: &str| by_serial.get(serial).and_then(|r| current_of(r));
    let mut items = Vec::with_capacity(local.len());
    let mut seen = std::collections::HashSet::with_capacity(local.len());
    for row in local {
        if !seen.insert(row.serial.as_str()) {
            continue;
        }
        let records = records(&row.serial);
        let mut item = item_for(&row.serial, records.as_ref(), opts);
        item.file = Some(row.file.clone());
        item.line = Some(row.line);
        apply_facts(&mut item, records.as_ref(), facts);
        items.push(item);
    }
    if opts.scope == Scope::Org {
        for t in remote {
            if !seen.insert(t.serial.as_str()) {
                continue;
            }
            let records = records(&t.serial);
            // History is not state: a serial whose records are all history is not in Okta any
            // more, so no file needs to account for it.
            if records.as_ref().is_some_and(|r| r.current.status.is_live()) {
                let mut item = item_for(&t.serial, records.as_ref(), opts);
                item.category = Category::Unexpected;
                // A retired key in no file is still one Okta must not let anyone enroll.
                apply_facts(&mut item, records.as_ref(), facts);
                items.push(item);
            }
        }
    }
    items.sort_by(|a, b| a.serial.cmp(&b.serial));
    let mut counts: BTreeMap<String, u64> = Category::ALL.iter().map(|c| (c.name().to_string(), 0)).collect();
    for i in &items {
        *counts.entry(i.category.name().to_string()).or_default() += 1;
    }
    counts.insert(Category::Invalid.name().into(), invalid.len() as u64);
    Reconciliation {
        counts,
        items,
        invalid,
    }
}

/// Turns an item into `retired`, `retired_live` or `removed` when the facts (or Okta's history)
/// say a person decided, or removed, the key; any other item is left as Okta's list has it.
fn apply_facts(item: &mut Item, records: Option<&Records<'_>>, facts: &Facts) {
    let live = records.is_some_and(|r| r.current.status.is_live());
    if let Some(r) = facts.retirement(&item.serial) {
        item.category = if live {
            Category::RetiredLive
        } else {
            Category::Retired
        };
        item.lifecycle = Some(Lifecycle {
            retired: Some(r.reason),
            ticket: r.ticket.clone(),
            uploaded: facts.uploaded_at(&item.serial).map(|t| okta_time::format(&t)),
        });
        return;
    }
    let uploaded = facts.uploaded_at(&item.serial).or_else(|| {
        let r = records?;
        r.history
            .iter()
            .chain([&r.current])
            .filter_map(|t| t.created)
            .min()
    });
    let gone = matches!(item.category, Category::Missing | Category::Revoked);
    if gone && (records.is_some() || facts.uploaded_at(&item.serial).is_some()) {
        item.category = Category::Removed;
        item.lifecycle = Some(Lifecycle {
            retired: None,
            ticket: None,
            uploaded: uploaded.map(|t| okta_time::format(&t)),
        });
    }
}

fn item_for(serial: &Serial, records: Option<&Records<'_>>, opts: &DiffOptions) -> Item {
    let Some(Records { current: t, history }) = records else {
        return Item {
            serial: serial.clone(),
            category: Category::Missing,
            status: None,
            token_id: None,
            user_id: None,
            login: None,
            last_verified: None,
            file: None,
            line: None,
            history: Vec::new(),
            lifecycle: None,
        };
    };
    Item {
        serial: serial.clone(),
        category: category_of(t, opts),
        status: Some(t.status.to_string()),
        token_id: Some(t.id.clone()),
        user_id: t.user_id.clone(),
        login: t.login.clone(),
        last_verified: t
            .last_verified
            .as_ref()
            .map(crate::okta::models::okta_time::format),
        file: None,
        line: None,
        history: history.iter().map(|h| h.status.to_string()).collect(),
        lifecycle: None,
    }
}

#[cfg(test)]
mod tests;
