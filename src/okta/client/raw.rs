//! Raw reads for `ykprov probe`: one paced, authorized GET whose answer is returned as Okta sent
//! it (status, headers, body), whatever the status, so the probe can report what a refusal looked
//! like; the URLs the probe asks for; and what the token endpoint said about the app. Nothing
//! here retries: the probe counts every GET it sends.

use super::challenge::{auth_code, dpop_problem, is_auth_problem, missing_scope, www_authenticate_error};
use super::clock::sample;
use super::send::request_id;
use super::{Auth, OktaClient};
use crate::okta::error::ApiError;
use crate::okta::models::ErrorBody;
use crate::okta::oauth::TokenFacts;
use crate::okta::pacing::{bucket_of, RateHeaders};
use reqwest::header::HeaderMap;
use reqwest::{Method, Url};
use std::time::SystemTime;

/// One answer, as received.
#[derive(Debug)]
pub struct RawAnswer {
    /// HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body (capped like every answer the client reads).
    pub body: Vec<u8>,
}

impl RawAnswer {
    /// A response header as text, when present and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `X-Okta-Request-Id`.
    pub fn request_id(&self) -> Option<String> {
        request_id(&self.headers)
    }

    fn error_body(&self) -> ErrorBody {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }

    /// A refusal's code: Okta's `errorCode`, else the `error` of `WWW-Authenticate`; `None` on
    /// success or when the answer names none.
    pub fn error_code(&self) -> Option<String> {
        if self.status < 400 {
            return None;
        }
        Some(self.error_body().error_code)
            .filter(|c| !c.is_empty())
            .or_else(|| www_authenticate_error(&self.headers))
    }

    /// The refusal of the credential or its DPoP proof, classified as every other call would be:
    /// a 400 or 401 with `invalid_dpop_proof` or `use_dpop_nonce`, a 401, or a 403 about
    /// authentication or a missing scope. `None` for any other answer.
    pub fn auth_refusal(&self) -> Option<ApiError> {
        let body = self.error_body();
        // The answer was just received, so its `Date` against now is the clock's offset.
        let clock_offset =
            sample(&self.headers, SystemTime::now()).and_then(|ms| i32::try_from(ms / 1000).ok());
        if let Some(problem) = dpop_problem(self.status, &self.body, &self.headers) {
            return Some(ApiError::Unauthorized {
                status: self.status,
                code: problem.to_string(),
                request_id: self.request_id(),
                scope: None,
                detail: None,
                clock_offset,
                credential: None,
            });
        }
        (matches!(self.status, 401 | 403) && is_auth_problem(self.status, &body, &self.headers)).then(|| {
            ApiError::Unauthorized {
                status: self.status,
                code: auth_code(&body, &self.headers),
                request_id: self.request_id(),
                scope: missing_scope(&self.headers),
                detail: None,
                clock_offset,
                credential: None,
            }
        })
    }
}

impl OktaClient {
    /// One GET on the token path, paced on its bucket like every other read, with no retry. Any
    /// HTTP status is an `Ok` answer; a rate 429 also holds the pacer until the reset, as it
    /// would for any call. `Err` when nothing usable came back (unreachable, timeout, connection
    /// lost, or the token endpoint refused the app).
    pub async fn get_raw(&self, url: Url, accept: &'static str) -> Result<RawAnswer, ApiError> {
        let bucket = bucket_of(&Method::GET, url.path());
        let (status, headers, body, _) = self.attempt(Method::GET, url, None, accept).await?;
        let rate = RateHeaders::from_headers(&headers);
        if status.as_u16() == 429 && !rate.is_concurrency_limit() {
            self.pacer(bucket).after_429(&rate, self.inner.max_backoff);
        }
        Ok(RawAnswer {
            status: status.as_u16(),
            headers,
            body,
        })
    }

    /// The token list with exactly these query pairs (in this order).
    pub fn tokens_url_with(&self, query: &[(&str, &str)]) -> Url {
        let mut url = self.tokens_url();
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// `GET .../tokens/{id}`, with `id` as one escaped path segment.
    pub fn token_url(&self, id: &str) -> Url {
        let mut url = self.tokens_url();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.push(id);
        }
        url
    }

    /// What the token endpoint has said about the app; `None` with an SSWS token.
    pub fn oauth_facts(&self) -> Option<TokenFacts> {
        match &self.inner.auth {
            Auth::Ssws(_) => None,
            Auth::OAuth(session) => Some(session.facts()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::okta::ClientConfig;
    use crate::secret::Secret;

    fn client() -> OktaClient {
        let cfg = ClientConfig::new(
            Url::parse("https://acme.okta.com").unwrap(),
            Secret::new("t".into()),
        );
        OktaClient::new(cfg).unwrap()
    }

    fn answer(status: u16, headers: &[(&'static str, &'static str)], body: &[u8]) -> RawAnswer {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, reqwest::header::HeaderValue::from_static(v));
        }
        RawAnswer {
            status,
            headers: map,
            body: body.to_vec(),
        }
    }

    #[test]
    fn a_refused_proof_is_an_auth_refusal_as_on_every_other_call() {
        let proof = answer(
            400,
            &[(
                "www-authenticate",
                "DPoP algs=\"ES256\", error=\"invalid_dpop_proof\"",
            )],
            b"",
        );
        assert!(matches!(
            proof.auth_refusal(),
            Some(ApiError::Unauthorized { status: 400, ref code, .. }) if code == "invalid_dpop_proof"
        ));
        let session = answer(
            403,
            &[],
            br#"{"errorCode":"E0000005","errorSummary":"Invalid session"}"#,
        );
        assert!(matches!(
            session.auth_refusal(),
            Some(ApiError::Unauthorized { status: 403, .. })
        ));
        let limit = answer(
            400,
            &[],
            br#"{"errorCode":"E0000001","errorCauses":[{"errorSummary":"limit"}]}"#,
        );
        assert!(
            limit.auth_refusal().is_none(),
            "a refused limit is the probe's finding"
        );
    }

    #[test]
    fn probe_urls_keep_the_query_in_order_and_escape_the_id() {
        let c = client();
        assert_eq!(
            c.tokens_url_with(&[("forDownload", "true")]).as_str(),
            "https://acme.okta.com/api/v1/org/factors/yubikey_token/tokens?forDownload=true"
        );
        assert_eq!(
            c.tokens_url_with(&[]).as_str(),
            "https://acme.okta.com/api/v1/org/factors/yubikey_token/tokens"
        );
        assert_eq!(
            c.token_url("ykk1/../x").as_str(),
            "https://acme.okta.com/api/v1/org/factors/yubikey_token/tokens/ykk1%2F..%2Fx"
        );
        assert!(c.oauth_facts().is_none());
    }
}
