//! Serde models of Okta's YubiKey token API, as the client reads them (the emulator has its own).
//!
//! Deserialisation is tolerant (unknown fields ignored, unknown statuses kept as text) because
//! Okta adds fields and states over time; serialisation follows Okta's examples exactly.

use crate::seed::Seed;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// The token collection, relative to the org URL.
pub const TOKENS_PATH: &str = "/api/v1/org/factors/yubikey_token/tokens";

/// Response header names Okta uses.
pub mod headers {
    /// Okta's id for each request; log it for support.
    pub const REQUEST_ID: &str = "x-okta-request-id";
    /// The bucket's ceiling (0 on a concurrency 429).
    pub const RATE_LIMIT: &str = "x-rate-limit-limit";
    /// Requests left in the window.
    pub const RATE_REMAINING: &str = "x-rate-limit-remaining";
    /// When the window resets, epoch seconds.
    pub const RATE_RESET: &str = "x-rate-limit-reset";
}

/// Okta's timestamp format: `2020-01-10T23:04:10.000Z`.
pub mod okta_time {
    use super::*;

    /// Formats a timestamp as Okta does (milliseconds, `Z`).
    pub fn format(t: &DateTime<Utc>) -> String {
        t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }

    /// Parses an RFC 3339 timestamp, as Okta sends them.
    pub fn parse(s: &str) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// serde for `Option<DateTime<Utc>>` in Okta's format; unparseable values become `None`.
    pub mod option {
        use super::*;

        /// Serialises in Okta's format.
        pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&format(t)),
                None => s.serialize_none(),
            }
        }

        /// Deserialises tolerantly.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
            let raw: Option<String> = Option::deserialize(d)?;
            Ok(raw.as_deref().and_then(parse))
        }
    }
}

/// A token's status. Statuses Okta may add later are kept as text, never an error.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenStatus {
    /// Seed uploaded, not enrolled.
    Unassigned,
    /// Enrolled by a user.
    Active,
    /// Assigned to a user who is no longer active.
    Blocked,
    /// Revoked in the Admin Console.
    Revoked,
    /// Deleted.
    Deleted,
    /// Inactive.
    Inactive,
    /// Anything else Okta returns.
    Other(String),
}

impl TokenStatus {
    /// Whether a record in this status is the key's current one (UNASSIGNED, ACTIVE or BLOCKED).
    /// REVOKED, DELETED and INACTIVE records are history: Okta may keep listing them after the
    /// key was deleted, while the serial can be uploaded again. A status Okta adds later counts as
    /// live, so nothing is uploaded over a record we do not understand.
    pub fn is_live(&self) -> bool {
        !matches!(
            self,
            TokenStatus::Revoked | TokenStatus::Deleted | TokenStatus::Inactive
        )
    }

    /// Okta's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            TokenStatus::Unassigned => "UNASSIGNED",
            TokenStatus::Active => "ACTIVE",
            TokenStatus::Blocked => "BLOCKED",
            TokenStatus::Revoked => "REVOKED",
            TokenStatus::Deleted => "DELETED",
            TokenStatus::Inactive => "INACTIVE",
            TokenStatus::Other(s) => s,
        }
    }

    /// Parses Okta's spelling (case-insensitive); unknown values are kept.
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_uppercase().as_str() {
            "UNASSIGNED" => TokenStatus::Unassigned,
            "ACTIVE" => TokenStatus::Active,
            "BLOCKED" => TokenStatus::Blocked,
            "REVOKED" => TokenStatus::Revoked,
            "DELETED" => TokenStatus::Deleted,
            "INACTIVE" => TokenStatus::Inactive,
            _ => TokenStatus::Other(s.trim().to_string()),
        }
    }
}

impl fmt::Display for TokenStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TokenStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TokenStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(TokenStatus::parse(&String::deserialize(d)?))
    }
}

/// `hints` on a link.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hints {
    /// Allowed HTTP methods.
    #[serde(default)]
    pub allow: Vec<String>,
}

/// A HAL link (`HrefObject`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Absolute URL.
    pub href: String,
    /// Allowed methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hints: Option<Hints>,
}

/// The token's profile. In practice only `serial`, a 12-digit zero-padded string.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenProfile {
    /// Serial, zero-padded to 12 digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// Anything else Okta puts there.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// `UserFactorYubikeyOtpToken`: one uploaded YubiKey.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct YubikeyToken {
    /// Token id, `ykk…`.
    pub id: String,
    /// Upload time.
    #[serde(default, with = "okta_time::option", skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
    /// Enrollment time; only once enrolled.
    #[serde(default, with = "okta_time::option", skip_serializing_if = "Option::is_none")]
    pub activated: Option<DateTime<Utc>>,
    /// Last OTP verification (equals `created` before first use).
    #[serde(default, with = "okta_time::option", skip_serializing_if = "Option::is_none")]
    pub last_verified: Option<DateTime<Utc>>,
    /// Last change.
    #[serde(default, with = "okta_time::option", skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<DateTime<Utc>>,
    /// Status.
    pub status: TokenStatus,
    /// Profile (serial).
    #[serde(default)]
    pub profile: TokenProfile,
    /// `_embedded.user` with `expand=user`.
    #[serde(rename = "_embedded", default, skip_serializing_if = "Option::is_none")]
    pub embedded: Option<serde_json::Value>,
    /// `_links`: self, user, deactivate.
    #[serde(rename = "_links", default)]
    pub links: BTreeMap<String, Link>,
}

impl YubikeyToken {
    /// The serial as Okta stores it, normalised to 12 digits when it is numeric.
    pub fn serial_padded(&self) -> Option<crate::seed::Serial> {
        Some(crate::seed::Serial::from_okta(self.profile.serial.as_deref()?))
    }

    /// The assigned user's id, from `_embedded.user.id` or the `user` link.
    pub fn user_id(&self) -> Option<String> {
        if let Some(id) = self
            .embedded
            .as_ref()
            .and_then(|e| e.pointer("/user/id"))
            .and_then(|v| v.as_str())
        {
            return Some(id.to_string());
        }
        let href = &self.links.get("user")?.href;
        href.rsplit('/')
            .next()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    /// The assigned user's login, when `expand=user` embedded it.
    pub fn user_login(&self) -> Option<String> {
        self.embedded
            .as_ref()
            .and_then(|e| e.pointer("/user/profile/login"))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    }
}

/// The POST body. Built only from a validated `Seed`; `Debug` is not derived on purpose.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadRequest<'a> {
    serial_number: String,
    public_id: &'a str,
    private_id: &'a str,
    aes_key: &'a str,
}

impl<'a> UploadRequest<'a> {
    /// The body for one seed; the serial is sent unpadded, as in Okta's example.
    pub fn from_seed(seed: &'a Seed) -> Self {
        UploadRequest {
            serial_number: seed.serial.to_string(),
            public_id: seed.public_id.as_str(),
            private_id: seed.private_id.expose(),
            aes_key: seed.aes_key.expose(),
        }
    }
}

/// One entry of `errorCauses`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorCause {
    /// Human text; never branch on it.
    #[serde(default)]
    pub error_summary: String,
}

/// Okta's error body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// `E0000001` etc.: the only field to branch on.
    #[serde(default)]
    pub error_code: String,
    /// Human text.
    #[serde(default)]
    pub error_summary: String,
    /// Same as the code today.
    #[serde(default)]
    pub error_link: String,
    /// Okta's id for this error.
    #[serde(default)]
    pub error_id: String,
    /// Per-field causes.
    #[serde(default)]
    pub error_causes: Vec<ErrorCause>,
}

impl ErrorBody {
    /// Every field through [`crate::secret::scrub`] (see [`super::ApiError::scrubbed`]).
    pub fn scrubbed(self, secrets: &[&str]) -> ErrorBody {
        let s = |t: String| crate::secret::scrub(&t, secrets);
        ErrorBody {
            error_code: s(self.error_code),
            error_summary: s(self.error_summary),
            error_link: s(self.error_link),
            error_id: s(self.error_id),
            error_causes: self
                .error_causes
                .into_iter()
                .map(|c| ErrorCause {
                    error_summary: s(c.error_summary),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Okta's GET-by-id example, verbatim (tests/fixtures/okta/README.md names its source).
    const OKTA_EXAMPLE: &str = include_str!("../../tests/fixtures/okta/token-get.json");

    #[test]
    fn okta_example_token_parses_and_round_trips_in_oktas_format() {
        let t: YubikeyToken = serde_json::from_str(OKTA_EXAMPLE).unwrap();
        assert_eq!(t.status, TokenStatus::Active);
        assert_eq!(t.serial_padded().as_deref(), Some("000009508427"));
        assert_eq!(t.user_id().as_deref(), Some("00uu0x8sxTr9HcHOo0g3"));
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(json["created"], "2020-06-09T23:42:05.000Z");
    }

    #[test]
    fn unknown_status_is_kept_not_rejected() {
        let t: YubikeyToken =
            serde_json::from_str(r#"{"id":"ykk1","status":"QUARANTINED","extra":1}"#).unwrap();
        assert_eq!(t.status, TokenStatus::Other("QUARANTINED".into()));
        assert_eq!(t.status.to_string(), "QUARANTINED");
    }
}
