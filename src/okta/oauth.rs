//! OAuth 2.0 client credentials with `private_key_jwt`, the way Okta's SDKs do it for API Services
//! apps: sign a short client assertion with the app's private key (RS256 or ES256), exchange it at
//! `{org}/oauth2/v1/token` for an hour-long access token, cache it, refresh it before it expires
//! and once after a 401, and bind it with DPoP when the app requires it (or when configured).
//!
//! Every secret here (the private key, the assertion, the access token, the DPoP key) lives in a
//! [`Secret`] and is exposed only where it goes on the wire. This module does not decide scopes;
//! the commands pass what they need ([`READ_SCOPES`], [`UPLOAD_SCOPES`]).

use super::config::OAuthSettings;
use super::error::ApiError;
use super::models::headers;
use crate::secret::Secret;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::header::{HeaderMap, ACCEPT};
use reqwest::{Method, Url};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

/// The app's private key (RSA for RS256, EC P-256 for ES256), kept as PEM text in a [`Secret`];
/// the `jsonwebtoken` key is built only for the moment of signing.
#[derive(Debug, Clone)]
pub struct SigningKey {
    alg: Algorithm,
    pem: Secret<String>,
}

impl SigningKey {
    /// Reads a PEM private key: RSA (PKCS#1 or PKCS#8) → RS256, EC P-256 PKCS#8 → ES256, EC P-384
    /// → ES384. Checks it by signing once, so a bad key fails at start, not at the first call.
    pub fn from_pem(pem: &Secret<String>) -> anyhow::Result<Self> {
        for alg in [Algorithm::RS256, Algorithm::ES256, Algorithm::ES384] {
            let key = SigningKey {
                alg,
                pem: pem.clone(),
            };
            if key.sign(&Header::new(alg), &serde_json::json!({})).is_ok() {
                return Ok(key);
            }
        }
        let hint = if pem.expose().contains("BEGIN EC PRIVATE KEY") {
            "; convert the SEC1 EC key with `openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.p8`"
        } else if pem.expose().contains("ENCRYPTED") {
            "; encrypted keys are not supported"
        } else {
            ""
        };
        anyhow::bail!("the private key is not an unencrypted RSA or EC (P-256/P-384) PEM key{hint}")
    }

    /// `RS256`, `ES256` or `ES384`.
    pub fn alg_name(&self) -> &'static str {
        match self.alg {
            Algorithm::RS256 => "RS256",
            Algorithm::ES384 => "ES384",
            _ => "ES256",
        }
    }

    /// The JWS algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    fn encoding_key(&self) -> jsonwebtoken::errors::Result<EncodingKey> {
        match self.alg {
            Algorithm::RS256 => EncodingKey::from_rsa_pem(self.pem.expose().as_bytes()),
            _ => EncodingKey::from_ec_pem(self.pem.expose().as_bytes()),
        }
    }

    /// Signs `claims` under `header` (whose `alg` is replaced by the key's).
    pub fn sign<T: Serialize>(&self, header: &Header, claims: &T) -> anyhow::Result<Secret<String>> {
        let mut header = header.clone();
        header.alg = self.alg;
        let key = self
            .encoding_key()
            .map_err(|e| anyhow::anyhow!("cannot use the private key: {e}"))?;
        let jwt = jsonwebtoken::encode(&header, claims, &key)
            .map_err(|e| anyhow::anyhow!("cannot sign with the private key: {e}"))?;
        Ok(Secret::new(jwt))
    }
}

/// The claims of a `private_key_jwt` client assertion.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AssertionClaims {
    /// The client id.
    pub iss: String,
    /// The client id again.
    pub sub: String,
    /// The token URL.
    pub aud: String,
    /// Issued at (epoch seconds).
    pub iat: u64,
    /// Expiry (epoch seconds), at most an hour after `iat`.
    pub exp: u64,
    /// A unique id against replay.
    pub jti: String,
}

impl AssertionClaims {
    /// Claims for `client_id` at `token_url`, issued at `now` (epoch seconds).
    pub fn new(client_id: &str, token_url: &Url, now: u64) -> Self {
        AssertionClaims {
            iss: client_id.to_string(),
            sub: client_id.to_string(),
            aud: token_url.to_string(),
            iat: now,
            exp: now + ASSERTION_LIFETIME.as_secs(),
            jti: random_id(),
        }
    }
}

/// Signs a client assertion with a `kid` header when one is configured.
pub fn client_assertion(
    key: &SigningKey,
    claims: &AssertionClaims,
    kid: Option<&str>,
) -> anyhow::Result<Secret<String>> {
    let mut header = Header::new(key.algorithm());
    header.kid = kid.map(str::to_string);
    key.sign(&header, claims)
}

/// The claims of a DPoP proof (RFC 9449).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DpopClaims {
    /// The HTTP method.
    pub htm: String,
    /// The request URL without query or fragment.
    pub htu: String,
    /// Issued at (epoch seconds).
    pub iat: u64,
    /// Unique per proof.
    pub jti: String,
    /// The server's nonce, when it asked for one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub nonce: Option<String>,
    /// base64url(SHA-256(access token)), on resource requests.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ath: Option<String>,
}

/// `htu` for a URL: scheme, host, port and path only.
pub fn htu(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

/// The DPoP key: an ephemeral EC P-256 key made for this process (cheap to generate, unlike RSA).
pub struct DpopKey {
    key: SigningKey,
    jwk: jsonwebtoken::jwk::Jwk,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DpopKey([redacted])")
    }
}

impl DpopKey {
    /// Generates a new P-256 key.
    pub fn generate() -> anyhow::Result<Self> {
        use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| anyhow::anyhow!("cannot generate a DPoP key"))?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|_| anyhow::anyhow!("cannot read the generated DPoP key"))?;
        // Uncompressed point: 0x04 ‖ x (32 bytes) ‖ y (32 bytes).
        let point = pair.public_key().as_ref();
        if point.len() != 65 {
            anyhow::bail!("unexpected P-256 public key length {}", point.len());
        }
        let jwk = serde_json::from_value(serde_json::json!({
            "kty": "EC",
            "crv": "P-256",
            "x": B64.encode(&point[1..33]),
            "y": B64.encode(&point[33..65]),
        }))?;
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref())
        );
        Ok(DpopKey {
            key: SigningKey {
                alg: Algorithm::ES256,
                pem: Secret::new(pem),
            },
            jwk,
        })
    }

    /// A proof for one request.
    pub fn proof(
        &self,
        method: &Method,
        url: &Url,
        nonce: Option<&str>,
        access_token: Option<&Secret<String>>,
    ) -> anyhow::Result<Secret<String>> {
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(self.jwk.clone());
        let claims = DpopClaims {
            htm: method.as_str().to_string(),
            htu: htu(url),
            iat: now_secs(),
            jti: random_id(),
            nonce: nonce.map(str::to_string),
            ath: access_token.map(|t| sha256_b64(t.expose())),
        };
        self.key.sign(&header, &claims)
    }
}

/// The RFC 7638 thumbprint of a public JWK (EC or RSA), to bind tokens to a DPoP key.
pub fn jwk_thumbprint(jwk: &jsonwebtoken::jwk::Jwk) -> Option<String> {
    let v = serde_json::to_value(jwk).ok()?;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let canonical = match s("kty")?.as_str() {
        "EC" => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            s("crv")?,
            s("x")?,
            s("y")?
        ),
        "RSA" => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, s("e")?, s("n")?),
        _ => return None,
    };
    Some(sha256_b64(&canonical))
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

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    token_type: String,
    #[serde(default)]
    expires_in: u64,
    access_token: Option<Secret<String>>,
}

#[derive(Deserialize, Default)]
struct OAuthErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
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
    // A tokio Mutex so concurrent callers wait for one token request instead of each sending one.
    cached: tokio::sync::Mutex<Option<Cached>>,
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
            scopes,
            dpop: Mutex::new(dpop),
            nonce: Mutex::new(None),
            cached: tokio::sync::Mutex::new(None),
        })
    }

    /// The scopes this session requests.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
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
            let proof = key
                .proof(method, url, None, Some(&token))
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

    /// Forgets the cached token if it is still `used` (after a 401), so the next call gets a new one.
    pub async fn invalidate(&self, used: &Secret<String>) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| c.token == *used) {
            *cached = None;
        }
    }

    /// One token exchange, with at most one switch to DPoP and one nonce retry (a few rounds).
    async fn fetch(&self) -> Result<Cached, ApiError> {
        let mut rounds = 0;
        loop {
            rounds += 1;
            let key = self.dpop_key();
            let nonce = self.nonce.lock().unwrap_or_else(PoisonError::into_inner).clone();
            let (status, map, bytes) = self.token_request(key.as_deref(), nonce.as_deref()).await?;
            let request_id = map
                .get(headers::REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            if status.is_success() {
                let answer: TokenAnswer = serde_json::from_slice(&bytes).map_err(|_| ApiError::Protocol {
                    reason: "the token endpoint's answer is not a token response".into(),
                })?;
                let token = answer.access_token.ok_or_else(|| ApiError::Protocol {
                    reason: "the token endpoint's answer has no access_token".into(),
                })?;
                let lifetime = Duration::from_secs(answer.expires_in.max(1));
                // Refresh a little early: a fifth of the lifetime, at most a minute.
                let margin = (lifetime / 5).min(Duration::from_secs(60));
                let dpop = answer.token_type.eq_ignore_ascii_case("dpop");
                tracing::debug!(scopes = %self.scopes.join(" "), dpop, expires_in = answer.expires_in, "got an access token");
                return Ok(Cached {
                    token,
                    dpop,
                    refresh_at: Instant::now() + lifetime - margin,
                });
            }
            let body: OAuthErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
            let server_nonce = map
                .get(DPOP_NONCE_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            match body.error.as_str() {
                "use_dpop_nonce" if rounds < 4 && server_nonce.is_some() => {
                    tracing::debug!("the token endpoint asked for a DPoP nonce");
                    *self.nonce.lock().unwrap_or_else(PoisonError::into_inner) = server_nonce;
                    if key.is_none() {
                        self.enable_dpop()?;
                    }
                }
                "invalid_dpop_proof" if rounds < 4 && key.is_none() => {
                    tracing::info!("the app requires DPoP; switching to DPoP-bound tokens");
                    self.enable_dpop()?;
                }
                _ => return Err(self.refusal(status.as_u16(), body, request_id)),
            }
        }
    }

    fn enable_dpop(&self) -> Result<(), ApiError> {
        let key = DpopKey::generate().map_err(|e| ApiError::Protocol {
            reason: format!("{e:#}"),
        })?;
        *self.dpop.lock().unwrap_or_else(PoisonError::into_inner) = Some(std::sync::Arc::new(key));
        Ok(())
    }

    fn refusal(&self, status: u16, body: OAuthErrorBody, request_id: Option<String>) -> ApiError {
        let code = if body.error.is_empty() {
            format!("HTTP {status}")
        } else {
            body.error
        };
        let scope = (code == "invalid_scope").then(|| {
            let named: Vec<&str> = self
                .scopes
                .iter()
                .filter(|s| body.error_description.contains(s.as_str()))
                .map(String::as_str)
                .collect();
            if named.is_empty() {
                self.scopes.join(" ")
            } else {
                named.join(" ")
            }
        });
        tracing::warn!(request_id = request_id.as_deref().unwrap_or("-"), error = %code, status, "the token endpoint refused the request");
        ApiError::Unauthorized {
            status,
            code,
            request_id,
            scope,
            detail: Some(body.error_description).filter(|d| !d.is_empty()),
        }
    }

    async fn token_request(
        &self,
        dpop: Option<&DpopKey>,
        nonce: Option<&str>,
    ) -> Result<(reqwest::StatusCode, HeaderMap, Vec<u8>), ApiError> {
        let protocol = |e: anyhow::Error| ApiError::Protocol {
            reason: format!("{e:#}"),
        };
        let claims = AssertionClaims::new(&self.client_id, &self.token_url, now_secs());
        let assertion = client_assertion(&self.key, &claims, self.kid.as_deref()).map_err(protocol)?;
        let scope = self.scopes.join(" ");
        let form = Secret::new(
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("grant_type", "client_credentials")
                .append_pair("scope", &scope)
                .append_pair("client_assertion_type", ASSERTION_TYPE)
                .append_pair("client_assertion", assertion.expose())
                .finish(),
        );
        let mut req = self
            .http
            .post(self.token_url.clone())
            .header(ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form.expose().clone());
        if let Some(key) = dpop {
            let proof = key
                .proof(&Method::POST, &self.token_url, nonce, None)
                .map_err(protocol)?;
            let mut value =
                reqwest::header::HeaderValue::from_str(proof.expose()).map_err(|_| ApiError::Protocol {
                    reason: "the DPoP proof is not a valid header".into(),
                })?;
            value.set_sensitive(true);
            req = req.header(DPOP_HEADER, value);
        }
        // Whatever happens to the token request, the API call itself was not sent: `Unreachable`
        // lets the caller retry it (with backoff) without an in-doubt lookup.
        let not_sent = |what: String| ApiError::Unreachable {
            reason: format!("{what} at {} (the API call was not sent)", self.token_url),
        };
        let resp = req
            .send()
            .await
            .map_err(|e| not_sent(format!("token request failed: {e}")))?;
        let status = resp.status();
        let map = resp.headers().clone();
        if status.as_u16() == 429 || status.is_server_error() {
            let id = map
                .get(headers::REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            return Err(not_sent(format!(
                "token endpoint answered HTTP {status} (request {id})"
            )));
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| not_sent(format!("token answer lost: {e}")))?;
        Ok((status, map, bytes.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    const RSA: &str = include_str!("../../tests/fixtures/keys/test-rsa.pem");
    const RSA_PUB: &str = include_str!("../../tests/fixtures/keys/test-rsa.pub.pem");
    const EC: &str = include_str!("../../tests/fixtures/keys/test-ec.pem");
    const EC_PUB: &str = include_str!("../../tests/fixtures/keys/test-ec.pub.pem");

    fn verify(jwt: &str, alg: Algorithm, public: &str, aud: &str) -> (Header, AssertionClaims) {
        let key = match alg {
            Algorithm::RS256 => DecodingKey::from_rsa_pem(public.as_bytes()).unwrap(),
            _ => DecodingKey::from_ec_pem(public.as_bytes()).unwrap(),
        };
        let mut v = Validation::new(alg);
        v.set_audience(&[aud]);
        let data = jsonwebtoken::decode::<AssertionClaims>(jwt, &key, &v).unwrap();
        (data.header, data.claims)
    }

    #[test]
    fn key_algorithm_is_detected_from_the_pem() {
        let rsa = SigningKey::from_pem(&Secret::new(RSA.into())).unwrap();
        assert_eq!(rsa.alg_name(), "RS256");
        let ec = SigningKey::from_pem(&Secret::new(EC.into())).unwrap();
        assert_eq!(ec.alg_name(), "ES256");
        let err = SigningKey::from_pem(&Secret::new("not a key".into())).unwrap_err();
        assert!(err.to_string().contains("RSA or EC"));
    }

    #[test]
    fn assertion_claims_follow_okta_private_key_jwt() {
        let url = Url::parse("https://acme.okta.com/oauth2/v1/token").unwrap();
        for (pem, public, alg) in [(RSA, RSA_PUB, Algorithm::RS256), (EC, EC_PUB, Algorithm::ES256)] {
            let key = SigningKey::from_pem(&Secret::new(pem.into())).unwrap();
            let claims = AssertionClaims::new("0oaclient", &url, now_secs());
            let jwt = client_assertion(&key, &claims, Some("kid-1")).unwrap();
            let (header, got) = verify(jwt.expose(), alg, public, url.as_str());
            assert_eq!(header.alg, alg);
            assert_eq!(header.kid.as_deref(), Some("kid-1"));
            assert_eq!(got.iss, "0oaclient");
            assert_eq!(got.sub, "0oaclient");
            assert_eq!(got.aud, "https://acme.okta.com/oauth2/v1/token");
            assert!(got.exp > got.iat && got.exp - got.iat <= 3600);
            assert!(got.jti.len() >= 16);
        }
        let a = AssertionClaims::new("c", &url, 1);
        let b = AssertionClaims::new("c", &url, 1);
        assert_ne!(a.jti, b.jti, "jti is unique");
    }

    #[test]
    fn dpop_proof_carries_jwk_htm_htu_and_ath() {
        let key = DpopKey::generate().unwrap();
        let url = Url::parse("https://acme.okta.com/api/v1/x?limit=2#f").unwrap();
        let token = Secret::new("access-token".to_string());
        let proof = key.proof(&Method::GET, &url, Some("n1"), Some(&token)).unwrap();
        let header = jsonwebtoken::decode_header(proof.expose()).unwrap();
        assert_eq!(header.typ.as_deref(), Some("dpop+jwt"));
        assert_eq!(header.alg, Algorithm::ES256);
        let jwk = header.jwk.unwrap();
        assert!(jwk_thumbprint(&jwk).is_some());
        let mut v = Validation::new(Algorithm::ES256);
        v.required_spec_claims.clear();
        v.validate_exp = false;
        let claims =
            jsonwebtoken::decode::<DpopClaims>(proof.expose(), &DecodingKey::from_jwk(&jwk).unwrap(), &v)
                .unwrap()
                .claims;
        assert_eq!(claims.htm, "GET");
        assert_eq!(claims.htu, "https://acme.okta.com/api/v1/x");
        assert_eq!(claims.nonce.as_deref(), Some("n1"));
        assert_eq!(claims.ath, Some(sha256_b64("access-token")));
    }

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
