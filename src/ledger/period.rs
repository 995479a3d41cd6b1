//! What the ledger says about one org over a period: the activity in it (uploaded, enrolled by
//! whom, blocked, revoked, removed, retired, repaired), each key's lifecycle state at its end, and
//! the runs that are the evidence (journals and their SHA-256s). The audit report renders it.

use super::chain::{stored, StoredEvent};
use super::{normalise_org, time_text, Ledger};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The period's facts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    /// The org.
    pub org: String,
    /// Start (inclusive).
    pub since: String,
    /// End (exclusive).
    pub until: String,
    /// What happened, oldest first.
    pub activity: Vec<Activity>,
    /// Keys by lifecycle state at the end of the period.
    pub inventory: BTreeMap<String, u64>,
    /// The runs in the period and their evidence.
    pub runs: Vec<StoredEvent>,
}

/// One thing that happened to a key.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    /// When.
    pub at: String,
    /// The serial.
    pub serial: String,
    /// `uploaded`, `enrolled`, `blocked`, `revoked`, `removed`, `retired`, `unretired`,
    /// `repair_planned`, `token_deleted`.
    pub what: &'static str,
    /// Who or why: the user, the reason and ticket, the operator.
    pub detail: String,
}

impl Ledger {
    /// The period `[since, until)` of an org.
    pub fn period(&self, org: &str, since: DateTime<Utc>, until: DateTime<Utc>) -> anyhow::Result<Period> {
        let org = normalise_org(org)?;
        let (since, until) = (time_text(&since), time_text(&until));
        let mut stmt = self.conn.prepare(
            "SELECT id, org, serial, kind, at, payload FROM events WHERE org = ?1 AND at < ?2 ORDER BY id",
        )?;
        let events = stmt.query_map(rusqlite::params![org, until], stored)?;
        let mut state: HashMap<String, &'static str> = HashMap::new();
        let (mut activity, mut runs) = (Vec::new(), Vec::new());
        for e in events {
            let e = e?;
            if let Some(serial) = &e.serial {
                track(&mut state, serial, &e);
            }
            if e.at < since {
                continue;
            }
            match (&e.serial, what(&e)) {
                (Some(serial), Some(what)) => activity.push(Activity {
                    at: e.at.clone(),
                    serial: serial.clone(),
                    what,
                    detail: detail(&e),
                }),
                (None, _)
                    if matches!(
                        e.kind.as_str(),
                        "run_started" | "journal_run" | "journal_ingested"
                    ) =>
                {
                    runs.push(e)
                }
                _ => {}
            }
        }
        let mut inventory = BTreeMap::new();
        for s in state.values() {
            *inventory.entry((*s).to_string()).or_default() += 1;
        }
        Ok(Period {
            org,
            since,
            until,
            activity,
            inventory,
            runs,
        })
    }
}

/// The activity an event is, if it is one the audit reports.
fn what(e: &StoredEvent) -> Option<&'static str> {
    let status = e.payload["status"].as_str().unwrap_or("");
    Some(match e.kind.as_str() {
        "upload_outcome" if e.payload["result"] == "uploaded" => "uploaded",
        "status_changed" => match status {
            "ACTIVE" => "enrolled",
            "BLOCKED" => "blocked",
            "REVOKED" | "DELETED" | "INACTIVE" => "revoked",
            _ => return None,
        },
        "gone" => "removed",
        "retired" => "retired",
        "unretired" => "unretired",
        "repair_planned" => "repair_planned",
        "token_deleted" => "token_deleted",
        _ => return None,
    })
}

/// Each key's lifecycle state as the events so far say it.
fn track(state: &mut HashMap<String, &'static str>, serial: &str, e: &StoredEvent) {
    let current = state.get(serial).copied();
    let next = match e.kind.as_str() {
        "key_recorded" => current.unwrap_or("in stock"),
        "upload_outcome" if e.payload["result"] == "uploaded" && current != Some("retired") => "uploaded",
        "status_changed" if current != Some("retired") => match e.payload["status"].as_str().unwrap_or("") {
            "UNASSIGNED" => "unassigned",
            "ACTIVE" => "enrolled",
            "BLOCKED" => "blocked",
            "REVOKED" | "DELETED" | "INACTIVE" => "revoked",
            _ => "other",
        },
        "gone" if current != Some("retired") => "removed",
        "retired" => "retired",
        "unretired" => "in stock",
        _ => return,
    };
    state.insert(serial.to_string(), next);
}

fn detail(e: &StoredEvent) -> String {
    let p = &e.payload;
    let s = |k: &str| p[k].as_str().unwrap_or("").to_string();
    match e.kind.as_str() {
        "status_changed" => [s("login"), s("userId")]
            .into_iter()
            .find(|v| !v.is_empty())
            .map(|u| format!("by {u}"))
            .unwrap_or_default(),
        "retired" => {
            let ticket = p["ticket"]
                .as_str()
                .map(|t| format!(", ticket {t}"))
                .unwrap_or_default();
            format!("{} by {}{ticket}", s("reason"), s("operator"))
        }
        "unretired" => format!("by {}, ticket {}", s("operator"), s("ticket")),
        "upload_outcome" => s("tokenId"),
        "repair_planned" => format!("{}: {}", s("action"), s("reason")),
        "token_deleted" => format!(
            "{} {}",
            s("tokenId"),
            p["result"]["result"].as_str().unwrap_or("")
        ),
        _ => String::new(),
    }
}
