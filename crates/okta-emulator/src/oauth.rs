//! The emulator's org authorization server: `POST /oauth2/v1/token` for API Services apps using
//! `private_key_jwt`, the access tokens it issued, and the checks of `Bearer` and `DPoP` calls.
//!
//! Decisions (also in docs/emulator.md): the assertion must be signed by the key registered for
//! its `iss` (RS* for RSA keys, ES* for EC keys), with `sub` = `iss`, `aud` = this server's token
//! URL, an `exp` at most an hour ahead, and an unused `jti`; any failure is 401 `invalid_client`.
//! Asking for a scope the app was not granted is 400 `invalid_scope` naming it. Scopes are
//! enforced per endpoint with no implication: `okta.users.manage` does not grant reads. A DPoP
//! proof at the token endpoint must carry the server's nonce (400 `use_dpop_nonce` with a
//! `DPoP-Nonce` header otherwise); proofs on API calls need no nonce, as at Okta.

pub mod denial;
pub mod proof;

pub use denial::Denial;

use super::log::Endpoint;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use proof::{ProofClaims, ASSERTION_TYPE, SCOPE_MANAGE, SCOPE_READ, TOKEN_PATH};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// An API Services app the emulator knows: its public key and the scopes granted to it.
#[derive(Clone, Debug)]
pub struct OAuthClient {
    /// The client id (`iss` and `sub` of its assertions).
    pub client_id: String,
    /// Its public key, SPKI PEM (`-----BEGIN PUBLIC KEY-----`), RSA or EC.
    pub public_key_pem: String,
    /// Scopes granted to the app (what it may request).
    pub scopes: Vec<String>,
}

impl OAuthClient {
    /// A client granted both `okta.users.read` and `okta.users.manage`.
    pub fn new(client_id: &str, public_key_pem: &str) -> Self {
        OAuthClient {
            client_id: client_id.to_string(),
            public_key_pem: public_key_pem.to_string(),
            scopes: vec![SCOPE_READ.to_string(), SCOPE_MANAGE.to_string()],
        }
    }
}

/// The scope Okta requires for an endpoint (`None`: no route, the 404/405 answer decides).
pub fn required_scope(endpoint: Endpoint) -> Option<&'static str> {
    match endpoint {
        Endpoint::ListTokens
        | Endpoint::GetToken
        | Endpoint::GetUser
        | Endpoint::ListFactors
        | Endpoint::GetFactor => Some(SCOPE_READ),
        Endpoint::UploadToken
        | Endpoint::DeleteToken
        | Endpoint::EnrollFactor
        | Endpoint::DeleteFactor
        | Endpoint::DeactivateUser => Some(SCOPE_MANAGE),
        Endpoint::OAuthToken | Endpoint::Other => None,
    }
}

struct Registered {
    client_id: String,
    key: DecodingKey,
    rsa: bool,
    scopes: Vec<String>,
}

struct Issued {
    scopes: Vec<String>,
    expires: Instant,
    jkt: Option<String>,
}

/// An OAuth error at the token endpoint: `{"error", "error_description"}`.
struct TokenError {
    status: StatusCode,
    error: &'static str,
    description: String,
    nonce: Option<String>,
}

fn token_error(status: StatusCode, error: &'static str, description: impl Into<String>) -> TokenError {
    TokenError {
        status,
        error,
        description: description.into(),
        nonce: None,
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.error, "error_description": self.description });
        let mut r = (self.status, axum::Json(body)).into_response();
        if let Some(n) = self.nonce.and_then(|n| HeaderValue::from_str(&n).ok()) {
            r.headers_mut().insert(HeaderName::from_static("dpop-nonce"), n);
        }
        r
    }
}

/// The authorization server's state.
pub(crate) struct OAuthServer {
    clients: Vec<Registered>,
    lifetime: Duration,
    require_dpop: bool,
    nonce: String,
    issued: Mutex<HashMap<String, Issued>>,
    seen_jti: Mutex<HashSet<String>>,
    /// `dpop-api-nonce`: API proofs must carry `nonce`.
    api_nonce: bool,
    /// DPoP-bound API calls seen, and after how many every proof is stale (`u64::MAX`: never).
    dpop_calls: AtomicU64,
    stale_after: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Reads a JWT's payload without checking it (only to find which client's key to check it with).
fn peek_claims(jwt: &str) -> Option<serde_json::Value> {
    let payload = jwt.split('.').nth(1)?;
    serde_json::from_slice(&B64.decode(payload).ok()?).ok()
}

impl OAuthServer {
    /// Registers the clients; fails on a public key that does not parse.
    pub fn new(clients: &[OAuthClient], lifetime: Duration, require_dpop: bool) -> anyhow::Result<Self> {
        let mut registered = Vec::new();
        for c in clients {
            let pem = c.public_key_pem.as_bytes();
            let (key, rsa) = match DecodingKey::from_rsa_pem(pem) {
                Ok(k) => (k, true),
                Err(_) => (
                    DecodingKey::from_ec_pem(pem).map_err(|_| {
                        anyhow::anyhow!(
                            "the public key of OAuth client {} is not an RSA or EC public key PEM",
                            c.client_id
                        )
                    })?,
                    false,
                ),
            };
            registered.push(Registered {
                client_id: c.client_id.clone(),
                key,
                rsa,
                scopes: c.scopes.clone(),
            });
        }
        Ok(OAuthServer {
            clients: registered,
            lifetime: lifetime.max(Duration::from_secs(1)),
            require_dpop,
            nonce: super::users::random_chars(32),
            issued: Mutex::new(HashMap::new()),
            seen_jti: Mutex::new(HashSet::new()),
            api_nonce: false,
            dpop_calls: AtomicU64::new(0),
            stale_after: AtomicU64::new(u64::MAX),
        })
    }

    /// Applies the DPoP quirks: `dpop-api-nonce`, `dpop-stale-after=N`.
    pub fn with_dpop_quirks(mut self, api_nonce: bool, stale_after: Option<u64>) -> Self {
        self.api_nonce = api_nonce;
        self.stale_after = AtomicU64::new(stale_after.unwrap_or(u64::MAX));
        self
    }

    /// From the next `n` DPoP-bound API calls on, every proof is refused as stale (`None`: proofs
    /// are judged on their merits again).
    pub fn stale_proofs_after(&self, n: Option<u64>) {
        let at = n.map_or(u64::MAX, |n| {
            self.dpop_calls.load(Ordering::SeqCst).saturating_add(n)
        });
        self.stale_after.store(at, Ordering::SeqCst);
    }

    /// The server's DPoP nonce (one per run), for `use_dpop_nonce` answers.
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// Makes every issued access token expired (tests of refresh after a 401).
    pub fn expire_all(&self) {
        let now = Instant::now();
        for t in lock(&self.issued).values_mut() {
            t.expires = now;
        }
    }

    /// How many access tokens were issued.
    pub fn issued_count(&self) -> usize {
        lock(&self.issued).len()
    }

    /// The access tokens issued (for tests that check none is ever printed).
    pub fn issued_tokens(&self) -> Vec<String> {
        lock(&self.issued).keys().cloned().collect()
    }

    fn fresh_jti(&self, jti: &str) -> bool {
        !jti.is_empty() && lock(&self.seen_jti).insert(jti.to_string())
    }

    /// `POST /oauth2/v1/token`.
    pub fn token_endpoint(&self, base_url: &str, headers: &HeaderMap, body: &[u8]) -> Response {
        match self.exchange(base_url, headers, body) {
            Ok(answer) => {
                let mut r = axum::Json(answer).into_response();
                r.headers_mut().insert(
                    axum::http::header::CACHE_CONTROL,
                    HeaderValue::from_static("no-store"),
                );
                r
            }
            Err(e) => e.into_response(),
        }
    }

    fn exchange(
        &self,
        base_url: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<serde_json::Value, TokenError> {
        let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
        let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
        if field("grant_type") != "client_credentials" {
            return Err(token_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
            ));
        }
        let token_url = format!("{base_url}{TOKEN_PATH}");
        let client = self.authenticate(
            field("client_assertion_type"),
            field("client_assertion"),
            &token_url,
        )?;
        let jkt = self.token_request_dpop(headers, &token_url)?;
        let requested = proof::split_scopes(field("scope"));
        if requested.is_empty() {
            return Err(token_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "The authorization server resource does not have any configured default scopes, 'scope' must be provided.",
            ));
        }
        let refused: Vec<&str> = requested
            .iter()
            .filter(|s| !client.scopes.contains(s))
            .map(String::as_str)
            .collect();
        if !refused.is_empty() {
            return Err(token_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                format!(
                    "The following scopes are not granted to the client: {}",
                    refused.join(" ")
                ),
            ));
        }
        let token = super::users::random_chars(48);
        let dpop = jkt.is_some();
        lock(&self.issued).insert(
            token.clone(),
            Issued {
                scopes: requested.clone(),
                expires: Instant::now() + self.lifetime,
                jkt,
            },
        );
        Ok(serde_json::json!({
            "token_type": if dpop { "DPoP" } else { "Bearer" },
            "expires_in": self.lifetime.as_secs(),
            "access_token": token,
            "scope": requested.join(" "),
        }))
    }

    /// Checks the client assertion; returns the client it authenticates.
    fn authenticate(&self, kind: &str, assertion: &str, token_url: &str) -> Result<&Registered, TokenError> {
        let refuse = |why: &str| token_error(StatusCode::UNAUTHORIZED, "invalid_client", why);
        if kind != ASSERTION_TYPE || assertion.is_empty() {
            return Err(refuse(
                "Client authentication failed: a private_key_jwt client assertion is required.",
            ));
        }
        let iss = peek_claims(assertion)
            .and_then(|c| c.get("iss").and_then(|v| v.as_str()).map(str::to_string))
            .ok_or_else(|| refuse("The client_assertion is not a JWT with an iss claim."))?;
        let client = self
            .clients
            .iter()
            .find(|c| c.client_id == iss)
            .ok_or_else(|| refuse("The client_id is not registered."))?;
        let header = jsonwebtoken::decode_header(assertion)
            .map_err(|_| refuse("The client_assertion header is invalid."))?;
        let family_ok = match header.alg {
            Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 => client.rsa,
            Algorithm::ES256 | Algorithm::ES384 => !client.rsa,
            _ => false,
        };
        if !family_ok {
            return Err(refuse(
                "The client_assertion algorithm does not match the registered key.",
            ));
        }
        let mut v = Validation::new(header.alg);
        v.set_audience(&[token_url]);
        v.set_issuer(&[&client.client_id]);
        v.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
        v.sub = Some(client.client_id.clone());
        v.leeway = 5;
        let claims = jsonwebtoken::decode::<serde_json::Value>(assertion, &client.key, &v)
            .map_err(|e| refuse(&format!("The client_assertion is invalid: {e}.")))?
            .claims;
        let exp = claims.get("exp").and_then(|e| e.as_u64()).unwrap_or(u64::MAX);
        if exp > now_secs() + 3600 + 5 {
            return Err(refuse(
                "The client_assertion expires more than one hour in the future.",
            ));
        }
        let jti = claims.get("jti").and_then(|j| j.as_str()).unwrap_or_default();
        if !self.fresh_jti(jti) {
            return Err(refuse("The client_assertion jti is missing or was already used."));
        }
        Ok(client)
    }

    /// The DPoP proof of a token request: the key thumbprint to bind, `None` without DPoP.
    fn token_request_dpop(&self, headers: &HeaderMap, token_url: &str) -> Result<Option<String>, TokenError> {
        let invalid = |why: String| token_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof", why);
        let Some(proof) = headers.get("dpop").and_then(|v| v.to_str().ok()) else {
            return if self.require_dpop {
                Err(invalid("The DPoP proof JWT header is missing.".into()))
            } else {
                Ok(None)
            };
        };
        let (jkt, claims) = self
            .verify_proof(proof, "POST", token_url, None)
            .map_err(invalid)?;
        if claims.nonce.as_deref() != Some(self.nonce.as_str()) {
            return Err(TokenError {
                nonce: Some(self.nonce.clone()),
                ..token_error(
                    StatusCode::BAD_REQUEST,
                    "use_dpop_nonce",
                    "Authorization server requires nonce in DPoP proof.",
                )
            });
        }
        Ok(Some(jkt))
    }

    /// Verifies a DPoP proof ([`proof::verify`]) and that its `jti` is new. Returns the key's
    /// thumbprint and the claims.
    fn verify_proof(
        &self,
        proof: &str,
        method: &str,
        htu: &str,
        access_token: Option<&str>,
    ) -> Result<(String, ProofClaims), String> {
        let want = proof::Expected {
            method,
            url: htu,
            access_token,
            now: now_secs(),
        };
        let (jkt, claims) = proof::verify(proof, &want)?;
        if !self.fresh_jti(&claims.jti) {
            return Err("The DPoP proof jti is missing or was already used.".into());
        }
        Ok((jkt, claims))
    }

    /// Checks an OAuth API call (`Authorization: Bearer` or `DPoP`).
    pub fn check(
        &self,
        token: &str,
        dpop: bool,
        headers: &HeaderMap,
        method: &str,
        url: &str,
        endpoint: Endpoint,
    ) -> Result<(), Denial> {
        let invalid = |description| Denial::InvalidToken { dpop, description };
        let (scopes, jkt) = {
            let issued = lock(&self.issued);
            let t = issued.get(token).ok_or(invalid("The access token is invalid."))?;
            if Instant::now() >= t.expires {
                return Err(invalid("The access token is expired."));
            }
            (t.scopes.clone(), t.jkt.clone())
        };
        match (dpop, jkt) {
            (false, Some(_)) => return Err(invalid("The access token is DPoP-bound; use the DPoP scheme.")),
            (true, None) => return Err(invalid("The access token is not DPoP-bound.")),
            (true, Some(jkt)) => {
                let proof = headers
                    .get("dpop")
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| Denial::DpopProof("The DPoP proof JWT header is missing.".into()))?;
                let calls = self.dpop_calls.fetch_add(1, Ordering::SeqCst) + 1;
                let (got, claims) = self
                    .verify_proof(proof, method, url, Some(token))
                    .map_err(Denial::DpopProof)?;
                if got != jkt {
                    return Err(Denial::DpopProof(
                        "The DPoP proof key is not the token's key.".into(),
                    ));
                }
                if calls > self.stale_after.load(Ordering::SeqCst) {
                    return Err(Denial::DpopProof("The DPoP proof is stale.".into()));
                }
                if self.api_nonce && claims.nonce.as_deref() != Some(self.nonce.as_str()) {
                    return Err(Denial::UseNonce);
                }
            }
            (false, None) => {}
        }
        if let Some(scope) = required_scope(endpoint) {
            if !scopes.iter().any(|s| s == scope) {
                return Err(Denial::Scope { dpop, scope });
            }
        }
        Ok(())
    }
}
