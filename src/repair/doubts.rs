//! What earlier repair runs left in doubt (a request sent, no outcome journaled: a crash or a
//! `kill -9`), settled by the fresh inventory the plan is made from, so no request is needed and
//! nothing is re-sent blindly. An upload in doubt whose serial Okta now lists was uploaded; a
//! delete in doubt whose token is no longer the serial's live record was deleted. Pure, so each
//! rule is a unit test.

use crate::journal::repair::{DeleteOutcome, DeleteResult, RepairReplay};
use crate::journal::{Entry, RowResult};
use crate::reconcile::diff::{Category, Item, Reconciliation};
use crate::seed::Serial;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The journal lines that settle earlier doubts, and the reissues still to finish.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Doubts {
    /// Uploads in doubt that landed: serial, the token Okta lists, the seed line.
    pub uploaded: Vec<(Serial, String, u64)>,
    /// Deletes in doubt that landed: serial, token id.
    pub deleted: Vec<(Serial, String)>,
    /// Reissues whose delete is done and whose upload is not: serial, the deleted token.
    pub unfinished: HashMap<Serial, String>,
}

fn is_live(item: &Item) -> bool {
    !matches!(item.category, Category::Missing | Category::Revoked)
}

/// Settles `replay`'s doubts against the reconciliation.
pub fn settle(replay: &RepairReplay, rec: &Reconciliation) -> Doubts {
    let items: HashMap<&Serial, &Item> = rec.items.iter().map(|i| (&i.serial, i)).collect();
    let mut d = Doubts::default();
    let mut uploads: Vec<&Serial> = replay.uploads_in_doubt.iter().collect();
    uploads.sort();
    for serial in uploads {
        if let Some(item) = items.get(serial).filter(|i| is_live(i)) {
            let token = item.token_id.clone().unwrap_or_default();
            d.uploaded.push((serial.clone(), token, item.line.unwrap_or(0)));
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
        let uploads = self.uploaded.iter().map(|(serial, token, line)| Entry::Outcome {
            serial: Some(serial.clone()),
            line: *line,
            result: RowResult::Uploaded {
                token_id: token.clone(),
                request_id: None,
                confirmed_by_lookup: true,
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
    use crate::okta::models::TokenStatus;
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
            .map(|&(s, id, status)| RemoteToken {
                serial: s.into(),
                id: id.into(),
                status: TokenStatus::parse(status),
                created: None,
                activated: None,
                last_verified: None,
                user_id: None,
                login: None,
            })
            .collect();
        let opts = DiffOptions {
            scope: Scope::File,
            stale_after: chrono::Duration::days(90),
            now: Utc::now(),
        };
        diff(&local, &remote, vec![], &opts)
    }

    #[test]
    fn an_upload_in_doubt_that_okta_lists_was_uploaded_and_one_it_does_not_stays_to_do() {
        let mut replay = RepairReplay::default();
        replay
            .uploads_in_doubt
            .extend(["000000000001".into(), "000000000002".into()]);
        let d = settle(
            &replay,
            &rec(&[1, 2], &[(1, "ykknew", "UNASSIGNED"), (2, "ykkold", "REVOKED")]),
        );
        assert_eq!(d.uploaded, [("000000000001".into(), "ykknew".to_string(), 1)]);
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
        let d = settle(&replay, &r);
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
        let d = settle(&replay, &rec(&[1, 2], &[(1, "ykknew", "UNASSIGNED")]));
        assert_eq!(
            d.unfinished,
            HashMap::from([("000000000002".into(), "ykkold2".to_string())])
        );
        assert!(d.is_empty(), "nothing in doubt to journal");
    }
}
