//! The calls on a user and their factors (§7 of the contract notes, and its Addendum 2):
//! `GET /api/v1/users/{id}` (the user's status, read before a BLOCKED key is reissued),
//! `GET /api/v1/users/{id}/factors` (find the YubiKey factor whose `credentialId` is a serial)
//! and `DELETE /api/v1/users/{id}/factors/{factorId}` (unenroll: Okta's "reset MFA" for that
//! factor, scope `okta.users.manage`). All three draw on Okta's `/api/v1/users` bucket, which
//! [`bucket_of`](crate::okta::pacing::bucket_of) picks from the path. One paced attempt each;
//! the caller owns the retry policy, since an unenroll whose answer was lost must be looked up,
//! not blindly re-sent.

use super::send::request_id;
use super::OktaClient;
use crate::okta::error::ApiError;
use crate::seed::Serial;
use reqwest::{Method, Url};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A user's status, as Okta spells it; statuses this version does not know are kept as-is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum UserStatus {
    /// Can sign in and enroll factors.
    Active,
    /// Deactivated: their YubiKey tokens are BLOCKED.
    Deprovisioned,
    /// Suspended: cannot sign in, may come back.
    Suspended,
    /// Any other (STAGED, PROVISIONED, RECOVERY, LOCKED_OUT, PASSWORD_EXPIRED, …).
    Other(String),
}

impl UserStatus {
    /// Okta's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            UserStatus::Active => "ACTIVE",
            UserStatus::Deprovisioned => "DEPROVISIONED",
            UserStatus::Suspended => "SUSPENDED",
            UserStatus::Other(s) => s,
        }
    }

    /// Whether the user left: deactivated (DEPROVISIONED). Only then does a BLOCKED key say
    /// nothing but "its user was deactivated".
    pub fn is_deactivated(&self) -> bool {
        *self == UserStatus::Deprovisioned
    }
}

impl From<String> for UserStatus {
    fn from(s: String) -> Self {
        match s.to_ascii_uppercase().as_str() {
            "ACTIVE" => UserStatus::Active,
            "DEPROVISIONED" => UserStatus::Deprovisioned,
            "SUSPENDED" => UserStatus::Suspended,
            _ => UserStatus::Other(s),
        }
    }
}

impl From<UserStatus> for String {
    fn from(s: UserStatus) -> Self {
        s.as_str().to_string()
    }
}

impl std::fmt::Display for UserStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The part of an Okta user ykprov reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OktaUser {
    /// `00u…`.
    pub id: String,
    /// Status.
    pub status: UserStatus,
    /// Profile (only `login` is read).
    #[serde(default)]
    pub profile: UserProfile,
}

/// A user's profile, as far as ykprov reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct UserProfile {
    /// The login (an email address, usually).
    #[serde(default)]
    pub login: Option<String>,
}

/// One of a user's factors, as far as ykprov reads it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Factor {
    /// `ykf…` for a YubiKey.
    pub id: String,
    /// `token:hardware` for a YubiKey OTP.
    #[serde(default)]
    pub factor_type: String,
    /// `YUBICO` for a YubiKey OTP.
    #[serde(default)]
    pub provider: String,
    /// Factor status (ACTIVE, …).
    #[serde(default)]
    pub status: Option<String>,
    /// `credentialId` is the key's 12-digit serial; other fields kept as strings or dropped.
    #[serde(default)]
    pub profile: BTreeMap<String, serde_json::Value>,
}

impl Factor {
    /// Whether this is the YubiKey OTP factor of `serial`: `token:hardware`, `YUBICO`, and a
    /// `credentialId` that is the serial (compared in Okta's 12-digit form).
    pub fn is_yubikey_of(&self, serial: &Serial) -> bool {
        let credential = self.profile.get("credentialId").and_then(|v| match v {
            serde_json::Value::String(s) => crate::seed::SerialNumber::parse(s).ok(),
            serde_json::Value::Number(n) => n
                .as_u64()
                .and_then(|n| crate::seed::SerialNumber::parse(&n.to_string()).ok()),
            _ => None,
        });
        self.factor_type.eq_ignore_ascii_case("token:hardware")
            && self.provider.eq_ignore_ascii_case("YUBICO")
            && credential.map(Serial::from).as_ref() == Some(serial)
    }
}

/// What an unenroll did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unenrolled {
    /// Okta answered 204.
    Now {
        /// `X-Okta-Request-Id`.
        request_id: Option<String>,
    },
    /// Okta answered 404: the factor (or the user) is not there any more.
    AlreadyGone,
}

impl OktaClient {
    fn users_url(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.org.clone();
        url.set_path("/api/v1/users");
        if let Ok(mut path) = url.path_segments_mut() {
            path.extend(segments);
        }
        url
    }

    /// One user: `None` when Okta answers 404. Paced on the `/api/v1/users` bucket.
    pub async fn get_user(&self, id: &str) -> Result<Option<OktaUser>, ApiError> {
        let answer = self
            .send(Method::GET, self.users_url(&[id]), None, "application/json")
            .await;
        match answer {
            Ok((_, bytes)) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| ApiError::Protocol {
                    reason: format!("a user that is not a JSON user: {e}"),
                }),
            Err(ApiError::Rejected { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A user's enrolled factors; empty when Okta answers 404 (no such user any more).
    pub async fn list_factors(&self, user_id: &str) -> Result<Vec<Factor>, ApiError> {
        let url = self.users_url(&[user_id, "factors"]);
        match self.send(Method::GET, url, None, "application/json").await {
            Ok((_, bytes)) => serde_json::from_slice(&bytes).map_err(|e| ApiError::Protocol {
                reason: format!("a factor list that is not a JSON array of factors: {e}"),
            }),
            Err(ApiError::Rejected { status: 404, .. }) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Unenrolls one factor (`okta.users.manage`): one attempt. A refusal (400 for a
    /// deactivated user, 403 …) comes back as [`ApiError::Rejected`]; a missing scope as
    /// [`ApiError::Unauthorized`] naming it when Okta does.
    pub async fn unenroll_factor(&self, user_id: &str, factor_id: &str) -> Result<Unenrolled, ApiError> {
        let url = self.users_url(&[user_id, "factors", factor_id]);
        match self.send(Method::DELETE, url, None, "application/json").await {
            Ok((map, _)) => Ok(Unenrolled::Now {
                request_id: request_id(&map),
            }),
            Err(ApiError::Rejected { status: 404, .. }) => Ok(Unenrolled::AlreadyGone),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factor(json: serde_json::Value) -> Factor {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_yubikey_factor_is_matched_by_its_credential_id_in_any_padding() {
        let serial = Serial::from(crate::seed::SerialNumber::parse("31000004").unwrap());
        let f = factor(serde_json::json!({
            "id": "ykf1", "factorType": "token:hardware", "provider": "YUBICO",
            "profile": {"credentialId": "000031000004"}
        }));
        assert!(f.is_yubikey_of(&serial));
        let unpadded = factor(serde_json::json!({
            "id": "ykf1", "factorType": "token:hardware", "provider": "YUBICO",
            "profile": {"credentialId": "31000004"}
        }));
        assert!(unpadded.is_yubikey_of(&serial));
        let other = factor(serde_json::json!({
            "id": "ykf2", "factorType": "token:hardware", "provider": "YUBICO",
            "profile": {"credentialId": "000031000005"}
        }));
        assert!(!other.is_yubikey_of(&serial));
        let totp = factor(serde_json::json!({
            "id": "uft1", "factorType": "token:software:totp", "provider": "GOOGLE",
            "profile": {"credentialId": "000031000004"}
        }));
        assert!(
            !totp.is_yubikey_of(&serial),
            "only a YUBICO token:hardware factor"
        );
    }

    #[test]
    fn user_statuses_parse_and_unknown_ones_are_kept() {
        let u: OktaUser = serde_json::from_value(serde_json::json!({
            "id": "00u1", "status": "DEPROVISIONED", "profile": {"login": "a@example.com"}
        }))
        .unwrap();
        assert!(u.status.is_deactivated());
        assert_eq!(u.profile.login.as_deref(), Some("a@example.com"));
        assert_eq!(UserStatus::from("SUSPENDED".to_string()), UserStatus::Suspended);
        let staged = UserStatus::from("STAGED".to_string());
        assert_eq!(staged.as_str(), "STAGED");
        assert!(!staged.is_deactivated() && !UserStatus::Active.is_deactivated());
    }
}
