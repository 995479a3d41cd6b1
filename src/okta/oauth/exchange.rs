//! One exchange at the token endpoint: the signed client assertion (and DPoP proof) out, an
//! access token or a typed refusal back, with the DPoP switch and nonce round trips Okta asks for.

use super::{client_assertion, AssertionClaims, Cached, DpopKey, OAuthSession};
use super::{now_secs, ASSERTION_TYPE, DPOP_HEADER, DPOP_NONCE_HEADER};
use crate::okta::error::ApiError;
use crate::okta::models::headers;
use crate::secret::Secret;
use reqwest::header::{HeaderMap, ACCEPT};
use reqwest::Method;
use serde::Deserialize;
use std::sync::PoisonError;
use std::time::Duration;
use tokio::time::Instant;

/// A successful token endpoint answer (RFC 6749 §5.1).
#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    token_type: String,
    #[serde(default)]
    expires_in: u64,
    access_token: Option<Secret<String>>,
    /// The scopes granted, space separated (RFC 6749 §5.1: optional when as requested).
    #[serde(default)]
    scope: Option<String>,
}

/// A refusal from the token endpoint (RFC 6749 §5.2).
#[derive(Deserialize, Default)]
struct OAuthErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

impl OAuthSession {
    /// One token exchange, with at most one switch to DPoP and one nonce retry (a few rounds).
    pub(super) async fn fetch(&self) -> Result<Cached, ApiError> {
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
                self.note(|f| {
                    f.token_type = Some(answer.token_type.clone()).filter(|t| !t.is_empty());
                    f.granted = answer.scope.as_deref().map(crate::okta::config::split_scopes);
                });
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
                    self.note(|f| f.nonce_demanded = true);
                    *self.nonce.lock().unwrap_or_else(PoisonError::into_inner) = server_nonce;
                    if key.is_none() {
                        self.enable_dpop()?;
                    }
                }
                "invalid_dpop_proof" if rounds < 4 && key.is_none() => {
                    tracing::info!("the app requires DPoP; switching to DPoP-bound tokens");
                    self.note(|f| f.dpop_demanded = true);
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
            clock_offset: None,
            credential: None,
        }
    }

    /// The `client_credentials` form with a freshly signed assertion (a secret: it is a bearer
    /// credential until it expires).
    fn assertion_form(&self) -> Result<Secret<String>, ApiError> {
        let claims = AssertionClaims::new(&self.client_id, &self.token_url, now_secs());
        let assertion = client_assertion(&self.key, &claims, self.kid.as_deref()).map_err(protocol)?;
        let scope = self.scopes.join(" ");
        Ok(Secret::new(
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("grant_type", "client_credentials")
                .append_pair("scope", &scope)
                .append_pair("client_assertion_type", ASSERTION_TYPE)
                .append_pair("client_assertion", assertion.expose())
                .finish(),
        ))
    }

    async fn token_request(
        &self,
        dpop: Option<&DpopKey>,
        nonce: Option<&str>,
    ) -> Result<(reqwest::StatusCode, HeaderMap, Vec<u8>), ApiError> {
        let form = self.assertion_form()?;
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

/// Signing failures are ours, not the server's: report them as a protocol problem.
fn protocol(e: anyhow::Error) -> ApiError {
    ApiError::Protocol {
        reason: format!("{e:#}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Okta's documented token answers (tests/fixtures/okta/README.md names the sources).
    const BEARER: &str = include_str!("../../../tests/fixtures/okta/oauth-token.json");
    const DPOP: &str = include_str!("../../../tests/fixtures/okta/oauth-token-dpop.json");
    const USE_NONCE: &str = include_str!("../../../tests/fixtures/okta/dpop-use-nonce.json");

    #[test]
    fn oktas_documented_token_answers_parse_with_type_lifetime_token_and_scope() {
        let a: TokenAnswer = serde_json::from_str(BEARER).unwrap();
        assert_eq!((a.token_type.as_str(), a.expires_in), ("Bearer", 3600));
        assert_eq!(a.access_token.unwrap().expose(), "eyJraWQiOiJ.....UfThlJ7w");
        assert_eq!(a.scope.as_deref(), Some("okta.users.read"));
        let d: TokenAnswer = serde_json::from_str(DPOP).unwrap();
        assert_eq!((d.token_type.as_str(), d.expires_in), ("DPoP", 3600));
        assert!(d.access_token.is_some());
    }

    #[test]
    fn oktas_documented_dpop_challenge_body_parses_as_use_dpop_nonce() {
        let body: OAuthErrorBody = serde_json::from_str(USE_NONCE).unwrap();
        assert_eq!(body.error, "use_dpop_nonce");
        assert_eq!(
            body.error_description,
            "Authorization server requires nonce in DPoP proof."
        );
    }
}
