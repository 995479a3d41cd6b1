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
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-28T00:00:00Z".parse().unwrap()
    }

    fn opts(scope: Scope) -> DiffOptions {
        DiffOptions {
            scope,
            stale_after: Duration::days(90),
            now: now(),
        }
    }

    fn local(serial: u32) -> LocalRow {
        LocalRow {
            serial: serial.into(),
            file: "s.csv".into(),
            line: u64::from(serial),
        }
    }

    fn remote(serial: u32, status: &str, days_since_use: Option<i64>) -> RemoteToken {
        RemoteToken {
            serial: serial.into(),
            id: format!("ykk{serial}"),
            status: TokenStatus::parse(status),
            created: Some(now() - Duration::days(400)),
            activated: None,
            last_verified: days_since_use.map(|d| now() - Duration::days(d)),
            user_id: None,
            login: None,
        }
    }

    #[test]
    fn a_live_record_wins_over_history_and_the_history_is_kept() {
        let mut old = remote(1, "REVOKED", None);
        old.id = "ykkold".into();
        let mut again = remote(1, "UNASSIGNED", None);
        again.created = Some(now() - Duration::days(1));
        let rec = diff(
            &[local(1)],
            &[old, again],
            vec![],
            &opts(Scope::File),
            &Facts::default(),
        );
        let item = &rec.items[0];
        assert_eq!(item.category, Category::Unassigned);
        assert_eq!(item.token_id.as_deref(), Some("ykk1"));
        assert_eq!(item.history, ["REVOKED"]);
        assert_eq!(rec.count(&Category::Removed), 0);
    }

    #[test]
    fn a_serial_with_only_history_is_removed_and_shown_by_its_newest_record() {
        let mut older = remote(2, "DELETED", None);
        older.id = "ykkolder".into();
        older.created = Some(now() - Duration::days(500));
        let newer = remote(2, "REVOKED", None);
        let rec = diff(
            &[local(2)],
            &[newer, older],
            vec![],
            &opts(Scope::Org),
            &Facts::default(),
        );
        assert_eq!(rec.items.len(), 1, "one item per serial, however many records");
        let item = &rec.items[0];
        assert_eq!(item.category, Category::Removed);
        assert_eq!(item.status.as_deref(), Some("REVOKED"));
        assert_eq!(item.history, ["DELETED"]);
        let advice = item.advice().unwrap();
        assert!(advice.contains("uploaded on 2025-"), "{advice}");
        assert!(advice.contains("repair --restore 2"), "{advice}");
    }

    #[test]
    fn every_status_lands_in_its_category() {
        let l: Vec<_> = (1..=8).map(local).collect();
        let r = vec![
            remote(1, "UNASSIGNED", None),
            remote(2, "ACTIVE", Some(3)),
            remote(3, "BLOCKED", None),
            remote(4, "REVOKED", None),
            remote(5, "DELETED", None),
            remote(6, "QUARANTINED", None),
            remote(7, "ACTIVE", Some(91)),
        ];
        let rec = diff(&l, &r, vec![], &opts(Scope::File), &Facts::default());
        let cat = |s: u32| {
            rec.items
                .iter()
                .find(|i| i.serial == Serial::from(s))
                .unwrap()
                .category
                .clone()
        };
        assert_eq!(cat(1), Category::Unassigned);
        assert_eq!(cat(2), Category::Active);
        assert_eq!(cat(3), Category::Blocked);
        assert_eq!(cat(4), Category::Removed);
        assert_eq!(cat(5), Category::Removed);
        assert_eq!(cat(6), Category::Other);
        assert_eq!(cat(7), Category::Stale);
        assert_eq!(cat(8), Category::Missing);
        assert_eq!(
            rec.items
                .iter()
                .find(|i| i.serial.ends_with("06"))
                .unwrap()
                .status
                .as_deref(),
            Some("QUARANTINED")
        );
    }

    #[test]
    fn tokens_in_no_file_appear_only_with_org_scope() {
        let r = vec![remote(1, "UNASSIGNED", None), remote(9, "ACTIVE", Some(1))];
        let file = diff(&[local(1)], &r, vec![], &opts(Scope::File), &Facts::default());
        assert_eq!(file.count(&Category::Unexpected), 0);
        assert_eq!(file.items.len(), 1);
        let org = diff(&[local(1)], &r, vec![], &opts(Scope::Org), &Facts::default());
        assert_eq!(org.count(&Category::Unexpected), 1);
        assert_eq!(
            org.of(&Category::Unexpected).next().unwrap().serial,
            "000000000009"
        );
    }

    #[test]
    fn a_serial_in_no_file_is_unexpected_only_with_a_live_record() {
        let mut again = remote(10, "ACTIVE", Some(1));
        again.id = "ykknew".into();
        let r = vec![
            remote(9, "REVOKED", None),
            remote(10, "REVOKED", None),
            again,
            remote(11, "DELETED", None),
        ];
        let org = diff(&[], &r, vec![], &opts(Scope::Org), &Facts::default());
        let unexpected: Vec<_> = org.of(&Category::Unexpected).map(|i| i.serial.as_str()).collect();
        assert_eq!(
            unexpected,
            ["000000000010"],
            "history alone is not a token in Okta"
        );
        assert_eq!(org.items.len(), 1);
        assert_eq!(org.items[0].history, ["REVOKED"]);
    }

    #[test]
    fn output_is_sorted_by_serial_and_each_serial_appears_once() {
        let l = vec![local(30), local(2), local(30), local(10)];
        let rec = diff(&l, &[], vec![], &opts(Scope::File), &Facts::default());
        let serials: Vec<_> = rec.items.iter().map(|i| i.serial.as_str()).collect();
        assert_eq!(serials, ["000000000002", "000000000010", "000000000030"]);
        assert_eq!(rec.count(&Category::Missing), 3);
    }

    #[test]
    fn staleness_falls_back_to_activation_then_creation() {
        let mut t = remote(1, "ACTIVE", None);
        t.activated = Some(now() - Duration::days(10));
        let rec = diff(&[local(1)], &[t], vec![], &opts(Scope::File), &Facts::default());
        assert_eq!(rec.items[0].category, Category::Active);
    }

    #[test]
    fn invalid_rows_are_counted() {
        let bad = InvalidRow {
            file: "s.csv".into(),
            line: 3,
            serial: None,
            field: Some("AES key".into()),
            reason: "x".into(),
        };
        let rec = diff(&[], &[], vec![bad], &opts(Scope::File), &Facts::default());
        assert_eq!(rec.count(&Category::Invalid), 1);
    }

    fn retired(serial: u32) -> Facts {
        let mut facts = Facts::default();
        facts.retired.insert(
            serial.into(),
            crate::lifecycle::Retirement {
                reason: RetireReason::Stolen,
                ticket: Some("INC-1".into()),
                note: None,
                at: now(),
                operator: "admin@host".into(),
            },
        );
        facts
    }

    #[test]
    fn a_retired_key_is_fine_without_a_live_record_and_action_needed_with_one() {
        let facts = retired(1);
        for status in ["REVOKED", "DELETED"] {
            let rec = diff(
                &[local(1)],
                &[remote(1, status, None)],
                vec![],
                &opts(Scope::File),
                &facts,
            );
            assert_eq!(rec.items[0].category, Category::Retired, "{status}");
        }
        let gone = diff(&[local(1)], &[], vec![], &opts(Scope::File), &facts);
        assert_eq!(gone.items[0].category, Category::Retired, "no record at all");
        for status in ["UNASSIGNED", "ACTIVE", "BLOCKED"] {
            let rec = diff(
                &[local(1)],
                &[remote(1, status, Some(1))],
                vec![],
                &opts(Scope::File),
                &facts,
            );
            let item = &rec.items[0];
            assert_eq!(item.category, Category::RetiredLive, "{status}");
            assert_eq!(rec.count(&Category::RetiredLive), 1);
            let advice = item.advice().unwrap();
            assert_eq!(
                advice,
                "retired (stolen) but still enrollable in Okta: run `ykprov revoke 1`"
            );
        }
    }

    #[test]
    fn a_retired_key_in_no_file_is_still_action_needed_with_org_scope() {
        let rec = diff(
            &[],
            &[remote(1, "UNASSIGNED", None)],
            vec![],
            &opts(Scope::Org),
            &retired(1),
        );
        assert_eq!(rec.items[0].category, Category::RetiredLive);
    }

    #[test]
    fn a_key_uploaded_before_and_gone_now_is_removed_and_one_never_uploaded_is_missing() {
        let mut facts = Facts::default();
        facts.uploaded.insert(1.into(), now() - Duration::days(3));
        let rec = diff(&[local(1), local(2)], &[], vec![], &opts(Scope::File), &facts);
        assert_eq!(rec.items[0].category, Category::Removed);
        assert_eq!(
            rec.items[0].lifecycle.as_ref().unwrap().uploaded.as_deref(),
            Some("2026-11-25T00:00:00.000Z")
        );
        assert!(rec.items[0].advice().unwrap().contains("uploaded on 2026-11-25"));
        assert_eq!(rec.items[1].category, Category::Missing);
        assert_eq!(rec.count(&Category::Missing), 1);
        assert_eq!(rec.count(&Category::Removed), 1);
    }

    #[test]
    fn an_uploaded_key_with_a_live_record_keeps_its_status_category() {
        let mut facts = Facts::default();
        facts.uploaded.insert(1.into(), now() - Duration::days(3));
        let rec = diff(
            &[local(1)],
            &[remote(1, "BLOCKED", None)],
            vec![],
            &opts(Scope::File),
            &facts,
        );
        assert_eq!(rec.items[0].category, Category::Blocked);
        assert!(rec.items[0].lifecycle.is_none());
    }
}
