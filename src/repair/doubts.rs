//! What earlier repair runs left in doubt (a request sent, no outcome journaled: a crash or a
//! `kill -9`), settled by the fresh inventory the plan is made from, so no request is needed and
//! nothing is re-sent blindly. An upload in doubt whose serial Okta now lists live was uploaded,
//! if the record was created after the upload's first intent (upload's rule,
//! [`policy::is_answer_to`]); an older one means the key was already present. A delete in doubt
//! whose token is no longer the serial's live record was deleted. Pure, so each rule is a unit
//! test.

use crate::journal::repair::{DeleteOutcome, DeleteResult, RepairReplay};
use crate::journal::{Entry, RowResult};
use crate::reconcile::diff::{Category, Item, Reconciliation};
use crate::seed::Serial;
use crate::upload::policy;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

/// One upload in doubt that Okta's listing settles: the serial has a live record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landed {
    /// 12-digit serial.
    pub serial: Serial,
    /// The live record's id.
    pub token_id: String,
    /// Its status.
    pub status: String,
    /// The seed line.
    pub line: u64,
    /// Created after the upload's first intent: the upload's own record. Otherwise the key was
    /// already present (someone else's upload), and it is journaled so.
    pub answered: bool,
}

/// The journal lines that settle earlier doubts, and the reissues still to finish.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Doubts {
    /// Uploads in doubt whose serial Okta lists live.
    pub uploaded: Vec<Landed>,
    /// Deletes in doubt that landed: serial, token id.
    pub deleted: Vec<(Serial, String)>,
    /// Reissues whose delete is done and whose upload is not: serial, the deleted token.
    pub unfinished: HashMap<Serial, String>,
}

fn is_live(item: &Item) -> bool {
    !matches!(
        item.category,
        Category::Missing | Category::Revoked | Category::Removed | Category::Retired
    )
}

/// What Okta's clock and listing say about live records: when each serial's was created (our
/// inventory keeps it; the diff's items do not), and Okta's clock minus ours.
#[derive(Debug, Default)]
pub struct Created {
    /// The live record's `created`, by serial.
    pub at: HashMap<Serial, Option<DateTime<Utc>>>,
    /// Okta's clock minus ours, when measured.
    pub offset: Option<Duration>,
}

/// Settles `replay`'s doubts against the reconciliation.
pub fn settle(replay: &RepairReplay, rec: &Reconciliation, created: &Created) -> Doubts {
    let items: HashMap<&Serial, &Item> = rec.items.iter().map(|i| (&i.serial, i)).collect();
    let mut d = Doubts::default();
    let mut uploads: Vec<(&Serial, &DateTime<Utc>)> = replay.uploads_in_doubt.iter().collect();
    uploads.sort();
    for (serial, intent) in uploads {
        if let Some(item) = items.get(serial).filter(|i| is_live(i)) {
            let at = created.at.get(serial).copied().flatten();
            d.uploaded.push(Landed {
                serial: serial.clone(),
                token_id: item.token_id.clone().unwrap_or_default(),
                status: item.status.clone().unwrap_or_default(),
                line: item.line.unwrap_or(0),
                answered: policy::is_answer_to(at, Some(*intent), created.offset),
            });
        }
    }
    let mut deletes: Vec<(&Serial, &String)> = replay.deletes_in_doubt.iter().collect();
    deletes.sort();
    for (serial, id) in deletes {
        // A serial no file names any more cannot be told apart from "not listed": leave it.
        let Some(item) = items.get(serial) else {
            continue;
        };
        let still_there = is_live(item) && item.token_id.as_ref() == Some(id);
        if !still_there {
            d.deleted.push((serial.clone(), id.clone()));
        }
    }
    let deleted = d.deleted.iter().map(|(s, id)| (s, id));
    for (serial, id) in replay.reissues_unfinished.iter().chain(deleted) {
        if items.get(serial).is_some_and(|i| !is_live(i)) {
            d.unfinished.insert(serial.clone(), id.clone());
        }
    }
    d
}

impl Doubts {
    /// Whether there is nothing to journal.
    pub fn is_empty(&self) -> bool {
        self.uploaded.is_empty() && self.deleted.is_empty()
    }

    /// The journal lines that close the doubts.
    pub fn entries(&self, at: DateTime<Utc>) -> Vec<Entry> {
        let uploads = self.uploaded.iter().map(|l| Entry::Outcome {
            serial: Some(l.serial.clone()),
            line: l.line,
            result: if l.answered {
                RowResult::Uploaded {
                    token_id: l.token_id.clone(),
                    request_id: None,
                    confirmed_by_lookup: true,
                }
            } else {
                RowResult::AlreadyPresent {
                    status: l.status.clone(),
                    token_id: l.token_id.clone(),
                }
            },
            at,
        });
        let deletes = self.deleted.iter().map(|(serial, id)| {
            Entry::DeleteOutcome(DeleteOutcome {
                serial: serial.clone(),
                token_id: id.clone(),
                result: DeleteResult::Deleted {
                    request_id: None,
                    confirmed_by_lookup: true,
                },
                at,
            })
        });
        deletes.chain(uploads).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::okta::inventory::RemoteToken;
    use crate::reconcile::diff::{diff, DiffOptions, LocalRow, Scope};

    fn rec(serials: &[u32], tokens: &[(u32, &str, &str)]) -> Reconciliation {
        let local: Vec<LocalRow> = serials
            .iter()
            .map(|&s| LocalRow {
                serial: s.into(),
                file: "s.csv".into(),
                line: u64::from(s),
            })
            .collect();
        let remote: Vec<RemoteToken> = tokens
            .iter()
            .map(|&(s, id, status)| RemoteToken::listed(s, id, status))
            .collect();
        let opts = DiffOptions {
            scope: Scope::File,
            stale_after: chrono::Duration::days(90),
            now: Utc::now(),
        };
        diff(
            &local,
            &remote,
            vec![],
            &opts,
            &crate::lifecycle::Facts::default(),
        )
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn an_upload_in_doubt_that_okta_lists_was_uploaded_and_one_it_does_not_stays_to_do() {
        let mut replay = RepairReplay::default();
        let intent = at("2026-12-01T10:00:00Z");
        replay
            .uploads_in_doubt
            .extend([("000000000001".into(), intent), ("000000000002".into(), intent)]);
        let created = Created {
            at: HashMap::from([("000000000001".into(), Some(at("2026-12-01T10:00:00.200Z")))]),
            offset: None,
        };
        let d = settle(
            &replay,
            &rec(&[1, 2], &[(1, "ykknew", "UNASSIGNED"), (2, "ykkold", "REVOKED")]),
            &created,
        );
        let landed: Vec<(&str, &str, bool)> = d
            .uploaded
            .iter()
            .map(|l| (l.serial.as_str(), l.token_id.as_str(), l.answered))
            .collect();
        assert_eq!(landed, [("000000000001", "ykknew", true)]);
        let lines = d.entries(Utc::now());
        assert!(
            matches!(
                &lines[..],
                [Entry::Outcome {
                    result: RowResult::Uploaded {
                        confirmed_by_lookup: true,
                        ..
                    },
                    ..
                }]
            ),
            "{lines:?}"
        );
    }

    #[test]
    fn a_live_record_older_than_the_upload_in_doubt_means_already_present_not_uploaded() {
        let mut replay = RepairReplay::default();
        replay
            .uploads_in_doubt
            .insert("000000000001".into(), at("2026-12-01T10:00:00Z"));
        let created = Created {
            at: HashMap::from([("000000000001".into(), Some(at("2026-12-01T09:58:00Z")))]),
            offset: None,
        };
        let d = settle(&replay, &rec(&[1], &[(1, "ykkother", "ACTIVE")]), &created);
        assert!(!d.uploaded[0].answered);
        let lines = d.entries(Utc::now());
        assert!(
            matches!(&lines[..], [Entry::Outcome { result: RowResult::AlreadyPresent { token_id, .. }, .. }] if token_id == "ykkother"),
            "{lines:?}"
        );
        // Okta's clock 3 minutes behind ours: the same record is the upload's.
        let behind = Created {
            offset: Some(Duration::minutes(-3)),
            ..created
        };
        let d = settle(&replay, &rec(&[1], &[(1, "ykkother", "ACTIVE")]), &behind);
        assert!(d.uploaded[0].answered);
    }

    #[test]
    fn a_delete_in_doubt_landed_when_its_token_is_gone_or_only_history() {
        let mut replay = RepairReplay::default();
        for (s, id) in [
            ("000000000001", "ykk1"),
            ("000000000002", "ykk2"),
            ("000000000003", "ykk3"),
        ] {
            replay.deletes_in_doubt.insert(s.into(), id.into());
        }
        let r = rec(&[1, 2, 3], &[(2, "ykk2", "REVOKED"), (3, "ykk3", "BLOCKED")]);
        let d = settle(&replay, &r, &Created::default());
        let deleted: Vec<&str> = d.deleted.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(
            deleted,
            ["000000000001", "000000000002"],
            "serial 3 is still BLOCKED: not deleted"
        );
        assert_eq!(d.unfinished.len(), 2, "both still need their upload");
        assert!(d
            .entries(Utc::now())
            .iter()
            .all(|e| matches!(e, Entry::DeleteOutcome(_))));
    }

    #[test]
    fn a_reissue_whose_serial_is_live_again_is_finished() {
        let mut replay = RepairReplay::default();
        replay
            .reissues_unfinished
            .insert("000000000001".into(), "ykkold".into());
        replay
            .reissues_unfinished
            .insert("000000000002".into(), "ykkold2".into());
        let d = settle(
            &replay,
            &rec(&[1, 2], &[(1, "ykknew", "UNASSIGNED")]),
            &Created::default(),
        );
        assert_eq!(
            d.unfinished,
            HashMap::from([("000000000002".into(), "ykkold2".to_string())])
        );
        assert!(d.is_empty(), "nothing in doubt to journal");
    }
}
