//! OAuth 2.0 client credentials with `private_key_jwt`, the way Okta's SDKs do it for API Services
//! apps: sign a short client assertion with the app's private key (RS256 or ES256), exchange it at
//! `{org}/oauth2/v1/token` for an hour-long access token, cache it, refresh it before it expires
//! and once after a refusal, and bind it with DPoP when the app requires it (or when configured),
//! with the API's nonce in the proofs once it asks for one.
//!
//! Every secret here (the private key, the assertion, the access token, the DPoP key) lives in a
//! [`Secret`] and is exposed only where it goes on the wire. This module does not decide scopes;
//! the commands pass what they need ([`READ_SCOPES`], [`UPLOAD_SCOPES`]).
//!
//! Split by concern: `assertion` (the app's signing key and the client assertion), `dpop` (the
//! ephemeral key and per-request proofs) and `exchange` (the request to the token endpoint and
//! reading its answer); this file holds the session that caches the access token.

mod assertion;
mod dpop;
mod exchange;
mod facts;

pub use assertion::{client_assertion, AssertionClaims, SigningKey};
pub use dpop::{htu, jwk_thumbprint, DpopClaims, DpopKey};
pub use facts::TokenFacts;

use super::config::OAuthSettings;
use super::error::ApiError;
use crate::secret::Secret;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use reqwest::{Method, Url};
use sha2::{Digest, Sha256};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
// tokio's clock, so tests can move it (`tokio::time::advance`) instead of sleeping.
use tokio::time::Instant;

/// Read YubiKey tokens and user factors.
pub const SCOPE_READ: &str = "okta.users.read";
/// Upload tokens, enroll and delete factors.
pub const SCOPE_MANAGE: &str = "okta.users.manage";
/// What `reconcile` and `export` ask for.
pub const READ_SCOPES: &[&str] = &[SCOPE_READ];
/// What `upload` asks for: it lists (preflight, in-doubt lookups) and uploads.
pub const UPLOAD_SCOPES: &[&str] = &[SCOPE_READ, SCOPE_MANAGE];
/// The org authorization server's token endpoint.
pub const TOKEN_PATH: &str = "/oauth2/v1/token";
/// `client_assertion_type` for `private_key_jwt`.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// How long a client assertion is valid (Okta allows at most one hour).
pub const ASSERTION_LIFETIME: Duration = Duration::from_secs(300);
/// Header names.
pub const DPOP_HEADER: &str = "dpop";
/// The nonce header of `use_dpop_nonce` answers.
pub const DPOP_NONCE_HEADER: &str = "dpop-nonce";

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// A fresh random id for `jti`: 128 bits, base64url.
pub fn random_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    B64.encode(bytes)
}

/// base64url(SHA-256(text)): the DPoP `ath` of an access token.
pub fn sha256_b64(text: &str) -> String {
    B64.encode(Sha256::digest(text.as_bytes()))
}

/// A cached access token.
struct Cached {
    token: Secret<String>,
    dpop: bool,
    refresh_at: Instant,
}

/// What to put on one API request.
pub struct Authorization {
    /// `Bearer <token>` or `DPoP <token>`.
    pub header: Secret<String>,
    /// The `DPoP` proof header, for DPoP-bound tokens.
    pub proof: Option<Secret<String>>,
    token: Secret<String>,
}

impl Authorization {
    /// The access token this authorization carries (compare to invalidate after a 401).
    pub fn token(&self) -> &Secret<String> {
        &self.token
    }
}

/// The OAuth session of one client: the token cache, the DPoP key and nonce.
pub struct OAuthSession {
    http: reqwest::Client,
    token_url: Url,
    client_id: String,
    kid: Option<String>,
    key: SigningKey,
    scopes: Vec<String>,
    dpop: Mutex<Option<std::sync::Arc<DpopKey>>>,
    nonce: Mutex<Option<String>>,
    /// The API's own DPoP nonce, once it asked for one (RFC 9449 §9: it may differ from the token
    /// endpoint's).
    api_nonce: Mutex<Option<String>>,
    // A tokio Mutex so concurrent callers wait for one token request instead of each sending one.
    cached: tokio::sync::Mutex<Option<Cached>>,
    // std Mutex: set and copied, never held across an await.
    facts: Mutex<TokenFacts>,
}

impl std::fmt::Debug for OAuthSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSession")
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// The scopes to request: what the command needs, never more than configured. A configured list
/// without a needed scope is warned about; Okta's 403 then names the scope.
pub fn requested_scopes(needed: &[&str], configured: Option<&[String]>) -> Vec<String> {
    match configured {
        None => needed.iter().map(|s| s.to_string()).collect(),
        Some(conf) => {
            for s in needed {
                if !conf.iter().any(|c| c == s) {
                    tracing::warn!(
                        "the configured scopes ({}) lack {s}, which this command needs",
                        conf.join(" ")
                    );
                }
            }
            needed
                .iter()
                .filter(|s| conf.iter().any(|c| c == *s))
                .map(|s| s.to_string())
                .collect()
        }
    }
}

impl OAuthSession {
    /// A session for the org's token endpoint. `needed` are the command's scopes.
    pub fn new(
        http: reqwest::Client,
        org: &Url,
        settings: &OAuthSettings,
        needed: &[&str],
    ) -> anyhow::Result<Self> {
        let key = SigningKey::from_pem(&settings.private_key)?;
        let mut token_url = org.clone();
        token_url.set_path(TOKEN_PATH);
        let scopes = requested_scopes(needed, settings.scopes.as_deref());
        if scopes.is_empty() {
            anyhow::bail!(
                "no scope to request: the configured scopes include none of {}",
                needed.join(" ")
            );
        }
        let dpop = if settings.dpop {
            Some(std::sync::Arc::new(DpopKey::generate()?))
        } else {
            None
        };
        Ok(OAuthSession {
            http,
            token_url,
            client_id: settings.client_id.clone(),
            kid: settings.kid.clone(),
            key,
            dpop: Mutex::new(dpop),
            nonce: Mutex::new(None),
            api_nonce: Mutex::new(None),
            cached: tokio::sync::Mutex::new(None),
            facts: Mutex::new(TokenFacts {
                dpop_configured: settings.dpop,
                requested: scopes.clone(),
                ..TokenFacts::default()
            }),
            scopes,
        })
    }

    /// The scopes this session requests.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// What the token endpoint has said so far (for `ykprov probe`).
    pub fn facts(&self) -> TokenFacts {
        self.facts.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn note(&self, change: impl FnOnce(&mut TokenFacts)) {
        change(&mut self.facts.lock().unwrap_or_else(PoisonError::into_inner));
    }

    fn dpop_key(&self) -> Option<std::sync::Arc<DpopKey>> {
        self.dpop.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The headers for one API request, fetching or refreshing the token as needed.
    pub async fn authorize(&self, method: &Method, url: &Url) -> Result<Authorization, ApiError> {
        let (token, dpop) = {
            let mut cached = self.cached.lock().await;
            match cached.as_ref() {
                Some(c) if Instant::now() < c.refresh_at => {}
                _ => *cached = Some(self.fetch().await?),
            }
            let c = cached.as_ref().ok_or_else(|| ApiError::Protocol {
                reason: "no access token after a successful token request".into(),
            })?;
            (c.token.clone(), c.dpop)
        };
        if dpop {
            let key = self.dpop_key().ok_or_else(|| ApiError::Protocol {
                reason: "a DPoP token without a DPoP key".into(),
            })?;
            let nonce = self
                .api_nonce
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            let proof = key
                .proof(method, url, nonce.as_deref(), Some(&token))
                .map_err(|e| ApiError::Protocol {
                    reason: format!("{e:#}"),
                })?;
            Ok(Authorization {
                header: Secret::new(format!("DPoP {}", token.expose())),
                proof: Some(proof),
                token,
            })
        } else {
            Ok(Authorization {
                header: Secret::new(format!("Bearer {}", token.expose())),
                proof: None,
                token,
            })
        }
    }

    /// Puts the API's `DPoP-Nonce` in every later proof (after a `use_dpop_nonce` answer).
    pub fn set_api_nonce(&self, nonce: String) {
        *self.api_nonce.lock().unwrap_or_else(PoisonError::into_inner) = Some(nonce);
    }

    /// Forgets the cached token if it is still `used` (after a 401), so the next call gets a new one.
    pub async fn invalidate(&self, used: &Secret<String>) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| c.token == *used) {
            *cached = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requested_scopes_never_exceed_configuration() {
        assert_eq!(requested_scopes(READ_SCOPES, None), ["okta.users.read"]);
        let conf = vec!["okta.users.read".to_string(), "okta.users.manage".to_string()];
        assert_eq!(requested_scopes(READ_SCOPES, Some(&conf)), ["okta.users.read"]);
        let read_only = vec!["okta.users.read".to_string()];
        assert_eq!(
            requested_scopes(UPLOAD_SCOPES, Some(&read_only)),
            ["okta.users.read"]
        );
    }
}
