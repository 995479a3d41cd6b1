//! The lines a revoke adds to the journal, beside the token DELETE's intent and outcome (shared
//! with repair): the plan of each run, an intent before each unenroll (`DELETE
//! /api/v1/users/{id}/factors/{fid}`) and its outcome after, and each serial's end. A revoke plans
//! from Okta's state every run, so a resumed revoke needs nothing from these lines to be exactly
//! once; they are the record of what was done, and why.

use super::okta_time_serde;
use crate::seed::Serial;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One revoke line (the journal's `type` is `revoke`, this enum's `step` says which).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum RevokeLine {
    /// What the run means to do for a serial, before its first write.
    Planned {
        /// 12-digit serial.
        serial: Serial,
        /// The live token found, if any.
        token_id: Option<String>,
        /// Its status.
        status: Option<String>,
        /// Its user, for an ACTIVE token.
        user_id: Option<String>,
        /// The steps, in words (`unenroll, delete`).
        steps: String,
        /// When.
        #[serde(with = "okta_time_serde")]
        at: DateTime<Utc>,
    },
    /// An unenroll is about to leave.
    UnenrollIntent {
        /// 12-digit serial.
        serial: Serial,
        /// The user.
        user_id: String,
        /// The user's YubiKey factor.
        factor_id: String,
        /// 1-based attempt.
        attempt: u32,
        /// When.
        #[serde(with = "okta_time_serde")]
        at: DateTime<Utc>,
    },
    /// What became of an unenroll.
    UnenrollOutcome {
        /// 12-digit serial.
        serial: Serial,
        /// The user.
        user_id: String,
        /// The factor.
        factor_id: String,
        /// What happened.
        #[serde(flatten)]
        result: UnenrollResult,
        /// When.
        #[serde(with = "okta_time_serde")]
        at: DateTime<Utc>,
    },
    /// A serial's end in this run.
    End {
        /// 12-digit serial.
        serial: Serial,
        /// How it ended.
        outcome: RevokeOutcome,
        /// Why, in a sentence (never a secret).
        reason: String,
        /// When.
        #[serde(with = "okta_time_serde")]
        at: DateTime<Utc>,
    },
}

/// What became of an unenroll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum UnenrollResult {
    /// Okta answered 204, or a lookup after a lost answer found the factor gone.
    Unenrolled {
        /// `X-Okta-Request-Id`.
        request_id: Option<String>,
        /// The answer was lost, and a lookup confirmed it.
        #[serde(default)]
        confirmed_by_lookup: bool,
    },
    /// Okta answered 404: the factor was already gone.
    AlreadyGone,
    /// Okta refused it (a deactivated user is 400): final for this run.
    Refused {
        /// HTTP status.
        http_status: u16,
        /// `errorCode`.
        error_code: String,
        /// `X-Okta-Request-Id`.
        request_id: Option<String>,
    },
    /// No usable answer after the retries; the next revoke looks again.
    Failed {
        /// Attempts made.
        attempts: u32,
        /// The last error.
        reason: String,
    },
}

impl UnenrollResult {
    /// Whether the factor is gone, so the revoke may go on.
    pub fn is_gone(&self) -> bool {
        matches!(
            self,
            UnenrollResult::Unenrolled { .. } | UnenrollResult::AlreadyGone
        )
    }
}

/// How a serial's revoke ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokeOutcome {
    /// Okta has no live record of the key any more: nobody can enroll it.
    Revoked,
    /// Okta had no live record before this run: nothing to do.
    AlreadySafe,
    /// Okta refused to remove a live record (403 `E0000102`), or left one: whoever holds the key
    /// can still enroll it. A person must act.
    ActionNeeded,
    /// A write failed (no usable answer, or a refusal); the next revoke tries again.
    Failed,
}

impl RevokeOutcome {
    /// Its name in journals and output.
    pub fn as_str(self) -> &'static str {
        match self {
            RevokeOutcome::Revoked => "revoked",
            RevokeOutcome::AlreadySafe => "already_safe",
            RevokeOutcome::ActionNeeded => "action_needed",
            RevokeOutcome::Failed => "failed",
        }
    }
}

impl std::fmt::Display for RevokeOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Entry;

    #[test]
    fn revoke_lines_round_trip_inside_the_journal_entry() {
        let at = chrono::Utc::now().trunc_subsecs(3);
        for line in [
            RevokeLine::UnenrollOutcome {
                serial: 31000004u32.into(),
                user_id: "00u1".into(),
                factor_id: "ykf1".into(),
                result: UnenrollResult::Unenrolled {
                    request_id: Some("r1".into()),
                    confirmed_by_lookup: true,
                },
                at,
            },
            RevokeLine::End {
                serial: 31000004u32.into(),
                outcome: RevokeOutcome::ActionNeeded,
                reason: "refused".into(),
                at,
            },
        ] {
            let entry = Entry::Revoke(line);
            let text = serde_json::to_string(&entry).unwrap();
            assert!(text.starts_with(r#"{"type":"revoke","step":"#), "{text}");
            assert_eq!(serde_json::from_str::<Entry>(&text).unwrap(), entry);
        }
    }

    use chrono::SubsecRound;
}
