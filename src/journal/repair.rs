//! The lines a repair adds to the journal, beside upload's intents and outcomes (a repair's
//! uploads are journaled exactly as `upload` journals them): the plan of each run, an intent
//! before each DELETE and its outcome after, and the actions skipped because their target changed.
//! [`replay_repair`] reads them back into what a resumed repair must settle.

use super::{okta_time_serde, read_entries, Entry, RowResult};
use crate::seed::Serial;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// What a repair does for one serial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepairAction {
    /// In a seed file, no record in Okta: upload its seed.
    Upload,
    /// Only history records (REVOKED, DELETED, INACTIVE): upload its seed again, as Okta's KB says.
    Reupload,
    /// BLOCKED (its user was deactivated): delete the token, then upload the seed again, so the
    /// key is UNASSIGNED for its next user.
    Reissue,
}

impl RepairAction {
    /// Every action, in report order.
    pub const ALL: [RepairAction; 3] = [
        RepairAction::Upload,
        RepairAction::Reupload,
        RepairAction::Reissue,
    ];

    /// Its name in journals, plans and reports (its serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            RepairAction::Upload => "upload",
            RepairAction::Reupload => "reupload",
            RepairAction::Reissue => "reissue",
        }
    }
}

impl std::fmt::Display for RepairAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One action of a repair run's plan, journaled before the run's first write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Planned {
    /// 12-digit serial.
    pub serial: Serial,
    /// What will be done.
    pub action: RepairAction,
    /// The token acted on (the BLOCKED one, for a reissue).
    pub token_id: Option<String>,
    /// The seed file that holds the seed.
    pub file: String,
    /// Its line.
    pub line: u64,
    /// Why, in a sentence.
    pub reason: String,
    /// When.
    #[serde(with = "okta_time_serde")]
    pub at: DateTime<Utc>,
}

/// A DELETE is about to leave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeleteIntent {
    /// 12-digit serial.
    pub serial: Serial,
    /// The token to delete.
    pub token_id: String,
    /// 1-based attempt.
    pub attempt: u32,
    /// When.
    #[serde(with = "okta_time_serde")]
    pub at: DateTime<Utc>,
}

/// What became of a DELETE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum DeleteResult {
    /// Okta deleted it (204), or a lookup after a lost answer found it gone.
    Deleted {
        /// `X-Okta-Request-Id` of the DELETE.
        request_id: Option<String>,
        /// The answer was lost, and a lookup confirmed the delete.
        #[serde(default)]
        confirmed_by_lookup: bool,
    },
    /// Okta answered 404: the token was already gone.
    AlreadyGone,
    /// Okta refused (403 `E0000102` while assigned, or another 4xx): final for this run.
    Refused {
        /// HTTP status.
        http_status: u16,
        /// `errorCode`.
        error_code: String,
        /// `X-Okta-Request-Id`.
        request_id: Option<String>,
    },
    /// No usable answer after the retries; the next repair looks again.
    Failed {
        /// Attempts made.
        attempts: u32,
        /// The last error.
        reason: String,
    },
}

impl DeleteResult {
    /// Whether the token is gone, so the reissue may go on to the upload.
    pub fn is_gone(&self) -> bool {
        matches!(self, DeleteResult::Deleted { .. } | DeleteResult::AlreadyGone)
    }
}

/// The outcome of a DELETE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeleteOutcome {
    /// 12-digit serial.
    pub serial: Serial,
    /// The token.
    pub token_id: String,
    /// What happened.
    #[serde(flatten)]
    pub result: DeleteResult,
    /// When.
    #[serde(with = "okta_time_serde")]
    pub at: DateTime<Utc>,
}

/// Why a planned action was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipCause {
    /// The re-check just before acting found the target changed (a user enrolled the key, someone
    /// uploaded or deleted it): nothing is done, and the next repair decides afresh.
    TargetChanged,
    /// The re-check itself failed: nothing is done, and the next repair tries again.
    CheckFailed,
}

/// A planned action that was not taken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    /// 12-digit serial.
    pub serial: Serial,
    /// The action planned.
    pub action: RepairAction,
    /// Target changed, or the check failed.
    pub cause: SkipCause,
    /// What the re-check found.
    pub reason: String,
    /// When.
    #[serde(with = "okta_time_serde")]
    pub at: DateTime<Utc>,
}

/// What a repair journal says about earlier runs.
#[derive(Debug, Default)]
pub struct RepairReplay {
    /// Serials whose upload left and has no outcome, with the first unanswered intent's time (only
    /// a record created after it can be that upload's).
    pub uploads_in_doubt: HashMap<Serial, DateTime<Utc>>,
    /// Serials whose DELETE left and has no outcome, with the token id.
    pub deletes_in_doubt: HashMap<Serial, String>,
    /// Serials whose token an earlier run deleted and whose seed no later run uploaded: a reissue
    /// the next repair finishes (with the deleted token's id).
    pub reissues_unfinished: HashMap<Serial, String>,
    /// Lines that could not be read.
    pub unreadable_lines: Vec<u64>,
    /// Whether every unreadable line was torn by a crash.
    pub only_torn_by_crashes: bool,
}

/// Replays a repair journal.
pub fn replay_repair(path: &Path) -> anyhow::Result<RepairReplay> {
    let (entries, bad) = read_entries(path)?;
    let mut r = RepairReplay {
        unreadable_lines: bad.lines,
        only_torn_by_crashes: bad.all_torn_by_crashes,
        ..RepairReplay::default()
    };
    for entry in entries {
        r.add(entry);
    }
    Ok(r)
}

impl RepairReplay {
    fn add(&mut self, entry: Entry) {
        match entry {
            Entry::Intent { serial, at, .. } => {
                self.uploads_in_doubt.entry(serial).or_insert(at);
            }
            Entry::Outcome {
                serial: Some(serial),
                result,
                ..
            } => {
                self.uploads_in_doubt.remove(&serial);
                if matches!(
                    result,
                    RowResult::Uploaded { .. } | RowResult::AlreadyPresent { .. }
                ) {
                    self.reissues_unfinished.remove(&serial);
                }
            }
            Entry::DeleteIntent(d) => {
                self.deletes_in_doubt.insert(d.serial, d.token_id);
            }
            Entry::DeleteOutcome(d) => {
                self.deletes_in_doubt.remove(&d.serial);
                if d.result.is_gone() {
                    self.reissues_unfinished.insert(d.serial, d.token_id);
                }
            }
            Entry::Header(_)
            | Entry::Outcome { serial: None, .. }
            | Entry::Summary { .. }
            | Entry::Planned(_)
            | Entry::Skipped(_)
            | Entry::Revoke(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Header, Journal};

    fn at() -> DateTime<Utc> {
        "2026-12-01T10:00:00Z".parse().unwrap()
    }

    fn header() -> Header {
        Header {
            org: "http://127.0.0.1:1".into(),
            input: "s.csv".into(),
            options: serde_json::json!({"command": "repair"}),
            started: at(),
            ..Header::sample()
        }
    }

    fn delete_intent(serial: &str, id: &str) -> Entry {
        Entry::DeleteIntent(DeleteIntent {
            serial: serial.into(),
            token_id: id.into(),
            attempt: 1,
            at: at(),
        })
    }

    fn delete_outcome(serial: &str, id: &str, result: DeleteResult) -> Entry {
        Entry::DeleteOutcome(DeleteOutcome {
            serial: serial.into(),
            token_id: id.into(),
            result,
            at: at(),
        })
    }

    #[test]
    fn repair_lines_round_trip_with_their_type_tags() {
        let entries = [
            Entry::Planned(Planned {
                serial: "000000000001".into(),
                action: RepairAction::Reissue,
                token_id: Some("ykk1".into()),
                file: "s.csv".into(),
                line: 1,
                reason: "blocked".into(),
                at: at(),
            }),
            delete_intent("000000000001", "ykk1"),
            delete_outcome(
                "000000000001",
                "ykk1",
                DeleteResult::Deleted {
                    request_id: Some("req".into()),
                    confirmed_by_lookup: true,
                },
            ),
            Entry::Skipped(Skipped {
                serial: "000000000002".into(),
                action: RepairAction::Upload,
                cause: SkipCause::TargetChanged,
                reason: "enrolled".into(),
                at: at(),
            }),
        ];
        let tags = ["planned", "delete_intent", "delete_outcome", "skipped"];
        for (e, tag) in entries.iter().zip(tags) {
            let text = serde_json::to_string(e).unwrap();
            assert!(text.starts_with(&format!("{{\"type\":\"{tag}\"")), "{text}");
            assert_eq!(&serde_json::from_str::<Entry>(&text).unwrap(), e, "{text}");
        }
        let outcome = serde_json::to_string(&entries[2]).unwrap();
        assert!(outcome.contains("\"result\":\"deleted\""), "{outcome}");
    }

    #[test]
    fn replay_finds_deletes_in_doubt_and_reissues_a_later_run_must_finish() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let j = Journal::create(&path, header()).unwrap();
        // Serial 1: deleted, upload never sent. Serial 2: delete sent, no answer.
        // Serial 3: deleted and uploaded again. Serial 4: upload sent, no answer.
        let gone = || DeleteResult::Deleted {
            request_id: None,
            confirmed_by_lookup: false,
        };
        for e in [
            delete_intent("000000000001", "ykk1"),
            delete_outcome("000000000001", "ykk1", gone()),
            delete_intent("000000000002", "ykk2"),
            delete_intent("000000000003", "ykk3"),
            delete_outcome("000000000003", "ykk3", DeleteResult::AlreadyGone),
            Entry::Outcome {
                serial: Some("000000000003".into()),
                line: 3,
                result: RowResult::Uploaded {
                    token_id: "ykknew".into(),
                    request_id: None,
                    confirmed_by_lookup: false,
                },
                at: at(),
            },
            Entry::Intent {
                serial: "000000000004".into(),
                line: 4,
                attempt: 1,
                at: at(),
            },
        ] {
            j.append(&e).unwrap();
        }
        let r = replay_repair(&path).unwrap();
        assert_eq!(
            r.reissues_unfinished,
            HashMap::from([("000000000001".into(), "ykk1".to_string())])
        );
        assert_eq!(
            r.deletes_in_doubt,
            HashMap::from([("000000000002".into(), "ykk2".to_string())])
        );
        assert_eq!(r.uploads_in_doubt, HashMap::from([("000000000004".into(), at())]));
        assert!(r.unreadable_lines.is_empty());
    }

    #[test]
    fn a_refused_delete_leaves_no_reissue_to_finish() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let j = Journal::create(&path, header()).unwrap();
        j.append(&delete_intent("000000000001", "ykk1")).unwrap();
        let refused = DeleteResult::Refused {
            http_status: 403,
            error_code: "E0000102".into(),
            request_id: None,
        };
        j.append(&delete_outcome("000000000001", "ykk1", refused))
            .unwrap();
        let r = replay_repair(&path).unwrap();
        assert!(r.reissues_unfinished.is_empty() && r.deletes_in_doubt.is_empty());
    }
}
