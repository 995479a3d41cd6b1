//! Okta's wire format as the emulator writes it, from Okta's documented examples
//! (`tests/fixtures/okta/`: `token-upload.json`, `token-get.json`, `tokens-list.json`, the
//! `error-*.json` bodies and the rate-limit header blocks), not from the client's models: the
//! emulator is a witness of the format, so it must not share the client's serde types. The
//! fixture tests compare these answers with the documents key by key.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The token collection (`uploadYubikeyOtpTokenSeed`, `listYubikeyOtpTokens`).
pub const TOKENS_PATH: &str = "/api/v1/org/factors/yubikey_token/tokens";

/// The response headers Okta documents on every answer.
pub mod headers {
    /// Okta's id of the request.
    pub const REQUEST_ID: &str = "x-okta-request-id";
    /// The bucket's ceiling (0 on a concurrency 429).
    pub const RATE_LIMIT: &str = "x-rate-limit-limit";
    /// Requests left in the window.
    pub const RATE_REMAINING: &str = "x-rate-limit-remaining";
    /// When the window resets, epoch seconds.
    pub const RATE_RESET: &str = "x-rate-limit-reset";
}

/// Okta's timestamps, `2020-01-10T23:04:10.000Z` (milliseconds, `Z`), as in every example.
pub mod okta_time {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Formats a timestamp as Okta's examples show it.
    pub fn format(t: &DateTime<Utc>) -> String {
        t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }

    /// Parses an RFC 3339 timestamp (what a `filter` literal or a snapshot holds).
    pub fn parse(s: &str) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// serde for a timestamp that is always present.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(t))
    }

    /// serde for a timestamp that is always present.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let raw = String::deserialize(d)?;
        parse(&raw).ok_or_else(|| serde::de::Error::custom("not an RFC 3339 timestamp"))
    }

    /// serde for a timestamp that may be absent (`activated` before enrollment).
    pub mod option {
        use super::*;

        /// Writes the timestamp; `None` is skipped by the field's `skip_serializing_if`.
        pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&format(t)),
                None => s.serialize_none(),
            }
        }

        /// Reads the timestamp; null or absent is `None`.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
            match Option::<String>::deserialize(d)? {
                None => Ok(None),
                Some(raw) => parse(&raw)
                    .map(Some)
                    .ok_or_else(|| serde::de::Error::custom("not an RFC 3339 timestamp")),
            }
        }
    }
}

/// The statuses the emulator gives a token (Okta documents more; it never produces them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TokenStatus {
    /// Uploaded, not enrolled (`token-upload.json`).
    Unassigned,
    /// Enrolled by a user (`token-get.json`).
    Active,
    /// Its user is deactivated or suspended.
    Blocked,
    /// Unenrolled, or revoked in the Admin Console.
    Revoked,
}

impl TokenStatus {
    /// Whether the record is the key's current one: a REVOKED record is history that Okta may
    /// keep listing while the serial can be uploaded again.
    pub fn is_live(self) -> bool {
        self != TokenStatus::Revoked
    }

    /// Okta's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenStatus::Unassigned => "UNASSIGNED",
            TokenStatus::Active => "ACTIVE",
            TokenStatus::Blocked => "BLOCKED",
            TokenStatus::Revoked => "REVOKED",
        }
    }
}

impl fmt::Display for TokenStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `hints` of a link: the methods it allows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hints {
    /// `GET`, `DELETE`, …
    pub allow: Vec<String>,
}

/// One entry of `_links`: an absolute `href` and its `hints`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Absolute URL.
    pub href: String,
    /// Allowed methods.
    pub hints: Hints,
}

impl Link {
    /// A link allowing `methods`.
    pub fn new(href: String, methods: &[&str]) -> Link {
        Link {
            href,
            hints: Hints {
                allow: methods.iter().map(|m| m.to_string()).collect(),
            },
        }
    }
}

/// `profile` of a token: the serial, zero-padded to 12 digits in every example.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenProfile {
    /// `000007886622`.
    pub serial: String,
}

/// A YubiKey token as the examples show it, keys in the examples' order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    /// `ykk…`.
    pub id: String,
    /// Upload time.
    #[serde(with = "okta_time")]
    pub created: DateTime<Utc>,
    /// Enrollment time: absent from the UNASSIGNED example, present in the ACTIVE one.
    #[serde(default, with = "okta_time::option", skip_serializing_if = "Option::is_none")]
    pub activated: Option<DateTime<Utc>>,
    /// Last verification; equals `created` before the first use, as in the upload example.
    #[serde(with = "okta_time")]
    pub last_verified: DateTime<Utc>,
    /// Last change.
    #[serde(with = "okta_time")]
    pub last_updated: DateTime<Utc>,
    /// Status.
    pub status: TokenStatus,
    /// The serial.
    pub profile: TokenProfile,
    /// `_embedded.user`, only with `expand=user` on an assigned token.
    #[serde(rename = "_embedded", default, skip_serializing_if = "Option::is_none")]
    pub embedded: Option<serde_json::Value>,
    /// `self`, and `user` and `deactivate` once assigned.
    #[serde(rename = "_links")]
    pub links: BTreeMap<String, Link>,
}

/// One entry of `errorCauses`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorCause {
    /// The cause, `field: why`.
    pub error_summary: String,
}

/// Okta's error body (`error-*.json`): every documented key always present, `errorCauses`
/// empty when there is none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// `E0000001` etc.
    pub error_code: String,
    /// Human text.
    pub error_summary: String,
    /// The code again, as in every example.
    pub error_link: String,
    /// A fresh id per error (`oae…`).
    pub error_id: String,
    /// Per-field causes.
    pub error_causes: Vec<ErrorCause>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Okta's upload answer (tests/fixtures/okta/README.md names the source).
    const UPLOADED: &str = include_str!("../../../tests/fixtures/okta/token-upload.json");
    /// Okta's GET-by-id example of an ACTIVE token.
    const ACTIVE: &str = include_str!("../../../tests/fixtures/okta/token-get.json");
    const ERROR: &str = include_str!("../../../tests/fixtures/okta/error-400-E0000001-causes.json");

    /// The object keys of a JSON value, recursively, as `a.b.c` paths (arrays by their first
    /// element), with each leaf's JSON type.
    fn keys(v: &Value, at: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    keys(v, &format!("{at}.{k}"), out);
                }
            }
            Value::Array(a) => match a.first() {
                Some(first) => keys(first, &format!("{at}[0]"), out),
                None => out.push(format!("{at}: empty array")),
            },
            Value::String(_) => out.push(format!("{at}: string")),
            Value::Number(_) => out.push(format!("{at}: number")),
            Value::Bool(_) => out.push(format!("{at}: boolean")),
            Value::Null => out.push(format!("{at}: null")),
        }
    }

    /// Parses a documented example into the emulator's type and writes it back: the same keys
    /// with the same types, and the same values, so nothing the emulator writes is missing or renamed.
    fn round_trips<T: Serialize + serde::de::DeserializeOwned>(doc: &str) {
        let doc: Value = serde_json::from_str(doc).unwrap();
        let ours: T = serde_json::from_value(doc.clone()).unwrap();
        let back = serde_json::to_value(&ours).unwrap();
        let (mut want, mut got) = (Vec::new(), Vec::new());
        keys(&doc, "$", &mut want);
        keys(&back, "$", &mut got);
        assert_eq!(got, want);
        assert_eq!(back, doc);
    }

    #[test]
    fn the_token_type_writes_exactly_the_documented_examples() {
        round_trips::<Token>(UPLOADED);
        round_trips::<Token>(ACTIVE);
        let t: Token = serde_json::from_str(ACTIVE).unwrap();
        assert_eq!(
            (t.status, t.profile.serial.as_str()),
            (TokenStatus::Active, "000009508427")
        );
        assert_eq!(okta_time::format(&t.created), "2020-06-09T23:42:05.000Z");
    }

    #[test]
    fn the_error_type_writes_exactly_the_documented_example() {
        round_trips::<ErrorBody>(ERROR);
    }
}
