//! A key's lifecycle as people decide it, apart from what Okta lists: which serials an admin
//! retired (and why), and which ones ykprov is known to have uploaded. The ledger produces these
//! facts; reconcile, repair and revoke read them, so automation never undoes an admin's decision.
//!
//! Plain data and pure helpers only: no I/O, no clock (times are passed in).

use crate::seed::Serial;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// Why a key left service. The admin's words, recorded with the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RetireReason {
    /// The holder lost it.
    Lost,
    /// It was stolen: whoever holds it must not be able to enroll it.
    Stolen,
    /// Physically destroyed.
    Destroyed,
    /// Handed back (a leaver, a swap).
    Returned,
    /// Anything else; the note says what.
    Other,
}

impl RetireReason {
    /// Every reason, in the order help text lists them.
    pub const ALL: [RetireReason; 5] = [
        RetireReason::Lost,
        RetireReason::Stolen,
        RetireReason::Destroyed,
        RetireReason::Returned,
        RetireReason::Other,
    ];

    /// The word used on the command line, in the ledger and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            RetireReason::Lost => "lost",
            RetireReason::Stolen => "stolen",
            RetireReason::Destroyed => "destroyed",
            RetireReason::Returned => "returned",
            RetireReason::Other => "other",
        }
    }
}

impl fmt::Display for RetireReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RetireReason {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RetireReason::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let names: Vec<_> = RetireReason::ALL.iter().map(|r| r.as_str()).collect();
                format!("unknown reason {s:?}: expected one of {}", names.join(", "))
            })
    }
}

/// An admin's decision that a key is out of service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Retirement {
    /// Why.
    pub reason: RetireReason,
    /// The change or incident ticket, if given.
    pub ticket: Option<String>,
    /// Free text (never a secret: the command refuses nothing, but it is the admin's words).
    pub note: Option<String>,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// Who recorded it (OS user and host).
    pub operator: String,
}

/// What the ledger (or, without one, the journals) knows about one org's keys beyond Okta's list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Serials an admin retired and has not unretired.
    pub retired: HashMap<Serial, Retirement>,
    /// Serials ykprov is known to have uploaded to this org, with the time of the first upload.
    pub uploaded: HashMap<Serial, DateTime<Utc>>,
}

impl Facts {
    /// The retirement in force for a serial, if any.
    pub fn retirement(&self, serial: &Serial) -> Option<&Retirement> {
        self.retired.get(serial)
    }

    /// When ykprov first uploaded the serial to this org, if it ever did.
    pub fn uploaded_at(&self, serial: &Serial) -> Option<DateTime<Utc>> {
        self.uploaded.get(serial).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_parse_case_insensitively_and_print_back() {
        for r in RetireReason::ALL {
            assert_eq!(r.as_str().to_uppercase().parse::<RetireReason>(), Ok(r));
            assert_eq!(r.to_string(), r.as_str());
        }
    }

    #[test]
    fn an_unknown_reason_names_the_choices() {
        let err = "misplaced".parse::<RetireReason>().unwrap_err();
        assert!(err.contains("lost, stolen, destroyed, returned, other"), "{err}");
    }
}
