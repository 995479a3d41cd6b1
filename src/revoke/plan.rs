//! The revoke plan: a pure function from the serials named, what Okta lists for each (a fresh
//! listing with users) and what ykprov knows about them, to what each needs. A live ACTIVE token
//! is unenrolled from its user, then deleted; a live UNASSIGNED or BLOCKED one is deleted; a key
//! Okta keeps only history of is already safe; a serial Okta has never heard of, and ykprov never
//! uploaded, is unknown (the command refuses it before anything is sent or recorded).

use crate::lifecycle::Facts;
use crate::okta::inventory::RemoteToken;
use crate::okta::models::TokenStatus;
use crate::seed::Serial;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One write a revoke makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// `DELETE /api/v1/users/{id}/factors/{fid}`: the user's YubiKey factor.
    Unenroll,
    /// `DELETE …/tokens/{id}`: the token itself.
    Delete,
}

impl Step {
    /// Its name in plans and journals.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Unenroll => "unenroll",
            Step::Delete => "delete",
        }
    }
}

/// A serial whose live record the revoke acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// 12-digit serial.
    pub serial: Serial,
    /// The live token.
    pub token_id: String,
    /// Its status when planned.
    pub status: String,
    /// Its user (ACTIVE and BLOCKED tokens).
    pub user_id: Option<String>,
    /// The user's login, when Okta embedded it.
    pub login: Option<String>,
    /// The writes expected, in order. Each is re-checked against Okta just before it is sent.
    pub steps: Vec<Step>,
}

impl Target {
    /// The steps in words: `unenroll, delete`.
    pub fn steps_text(&self) -> String {
        let names: Vec<&str> = self.steps.iter().map(|s| s.as_str()).collect();
        names.join(", ")
    }
}

/// A serial the revoke leaves alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Left {
    /// 12-digit serial.
    pub serial: Serial,
    /// Why, in a sentence.
    pub reason: String,
    /// Whether a person must act (a live record in a status ykprov does not know).
    pub action_needed: bool,
}

/// The plan, in the order the serials were named.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// Serials with a live record to remove.
    pub targets: Vec<Target>,
    /// Serials with nothing to do in Okta, or that cannot be acted on.
    pub left: Vec<Left>,
    /// Serials Okta has no record of and ykprov never uploaded: refused, nothing done.
    pub unknown: Vec<Serial>,
}

impl Plan {
    /// The number of writes the plan expects (what the confirmation counts).
    pub fn writes(&self) -> usize {
        self.targets.iter().map(|t| t.steps.len()).sum()
    }
}

/// Plans the revoke of `serials`, given each serial's records in Okta (all of them, history
/// included) and the facts.
pub fn plan(serials: &[Serial], records: &HashMap<Serial, Vec<RemoteToken>>, facts: &Facts) -> Plan {
    let mut plan = Plan::default();
    let mut seen = std::collections::HashSet::new();
    for serial in serials.iter().filter(|s| seen.insert(*s)) {
        let records = records.get(serial).map(Vec::as_slice).unwrap_or_default();
        let live = records.iter().find(|t| t.status.is_live());
        let Some(t) = live else {
            if records.is_empty() && facts.uploaded_at(serial).is_none() {
                plan.unknown.push(serial.clone());
            } else {
                plan.left.push(Left {
                    serial: serial.clone(),
                    reason: "Okta has no live record of it (only history, or none): nobody can enroll it"
                        .into(),
                    action_needed: false,
                });
            }
            continue;
        };
        let steps = match t.status {
            TokenStatus::Active => vec![Step::Unenroll, Step::Delete],
            TokenStatus::Unassigned | TokenStatus::Blocked => vec![Step::Delete],
            _ => {
                plan.left.push(Left {
                    serial: serial.clone(),
                    reason: format!(
                        "token {} is {}, a status ykprov does not know; left alone: check it in the Admin Console",
                        t.id, t.status
                    ),
                    action_needed: true,
                });
                continue;
            }
        };
        plan.targets.push(Target {
            serial: serial.clone(),
            token_id: t.id.clone(),
            status: t.status.to_string(),
            user_id: t.user_id.clone(),
            login: t.login.clone(),
            steps,
        });
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(serial: u32, id: &str, status: &str) -> RemoteToken {
        RemoteToken {
            user_id: (status != "UNASSIGNED").then(|| "00u1".to_string()),
            ..RemoteToken::listed(serial, id, status)
        }
    }

    fn records(tokens: Vec<RemoteToken>) -> HashMap<Serial, Vec<RemoteToken>> {
        let mut map: HashMap<Serial, Vec<RemoteToken>> = HashMap::new();
        for t in tokens {
            map.entry(t.serial.clone()).or_default().push(t);
        }
        map
    }

    #[test]
    fn each_live_status_gets_its_steps() {
        let r = records(vec![
            token(1, "ykk1", "ACTIVE"),
            token(2, "ykk2", "UNASSIGNED"),
            token(3, "ykk3old", "REVOKED"),
            token(3, "ykk3", "BLOCKED"),
        ]);
        let p = plan(&[1u32.into(), 2u32.into(), 3u32.into()], &r, &Facts::default());
        let got: Vec<(&str, String)> = p
            .targets
            .iter()
            .map(|t| (t.token_id.as_str(), t.steps_text()))
            .collect();
        assert_eq!(
            got,
            [
                ("ykk1", "unenroll, delete".to_string()),
                ("ykk2", "delete".to_string()),
                ("ykk3", "delete".to_string()),
            ]
        );
        assert_eq!(p.writes(), 4);
        assert!(p.left.is_empty() && p.unknown.is_empty());
    }

    #[test]
    fn history_alone_is_already_safe_and_an_unheard_of_serial_is_unknown() {
        let r = records(vec![token(4, "ykk4", "REVOKED")]);
        let mut facts = Facts::default();
        facts.uploaded.insert(5u32.into(), chrono::Utc::now());
        let p = plan(&[4u32.into(), 5u32.into(), 6u32.into(), 6u32.into()], &r, &facts);
        assert!(p.targets.is_empty());
        let left: Vec<&str> = p.left.iter().map(|l| l.serial.as_str()).collect();
        assert_eq!(left, ["000000000004", "000000000005"]);
        assert!(p.left.iter().all(|l| !l.action_needed));
        assert_eq!(p.unknown, [Serial::from(6u32)], "named twice, listed once");
    }

    #[test]
    fn a_live_status_ykprov_does_not_know_is_left_as_action_needed() {
        let r = records(vec![token(7, "ykk7", "QUARANTINED")]);
        let p = plan(&[7u32.into()], &r, &Facts::default());
        assert!(p.targets.is_empty());
        assert!(p.left[0].action_needed && p.left[0].reason.contains("QUARANTINED"));
    }
}
