//! Raw reads for `ykprov probe`: one paced, authorized GET whose answer is returned as Okta sent
//! it (status, headers, body), whatever the status, so the probe can report what a refusal looked
//! like; the URLs the probe asks for; and what the token endpoint said about the app. Nothing
//! here retries: the probe counts every GET it sends.

use super::{Auth, Bucket, OktaClient};
use crate::okta::error::ApiError;
use crate::okta::oauth::TokenFacts;
use crate::okta::pacing::RateHeaders;
use reqwest::header::HeaderMap;
use reqwest::{Method, Url};

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
}

impl OktaClient {
    /// One GET on the token path, paced on its bucket like every other read, with no retry. Any
    /// HTTP status is an `Ok` answer; a rate 429 also holds the pacer until the reset, as it
    /// would for any call. `Err` when nothing usable came back (unreachable, timeout, connection
    /// lost, or the token endpoint refused the app).
    pub async fn get_raw(&self, url: Url, accept: &'static str) -> Result<RawAnswer, ApiError> {
        let (status, headers, body, _) = self
            .attempt(Bucket::Read, Method::GET, url, None, accept)
            .await?;
        let rate = RateHeaders::from_headers(&headers);
        if status.as_u16() == 429 && !rate.is_concurrency_limit() {
            self.pacer(Bucket::Read)
                .hold_for(rate.backoff_after_429(self.inner.max_backoff));
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
        let cfg = ClientConfig::new(Url::parse("https://acme.okta.com").unwrap(), Secret::new("t".into()));
        OktaClient::new(cfg).unwrap()
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
