//! The Okta client: one `reqwest::Client`, the org URL, the credential, and a pacer per Okta
//! rate-limit bucket (chosen from each request's path by
//! [`bucket_of`](crate::okta::pacing::bucket_of)).
//! Each method makes exactly one paced attempt and classifies the answer into [`ApiError`]; the
//! retry policy belongs to the caller (uploads must never be retried blindly), except for reads,
//! which [`OktaClient::read_with_retries`] may repeat safely.
//!
//! This file builds the client and holds the calls on one token; the rest is split by concern:
//! `send` (one paced, authorized attempt and the classification of its answer), `challenge`
//! (reading `WWW-Authenticate` and DPoP refusals), `clock` (Okta's clock against ours), `paging`
//! (list URLs, pages, following `Link: rel="next"`), `retry` (which reads may be repeated, and the
//! backoff), `raw` (the probe's unclassified reads), `by_id` (GET and DELETE of one token) and
//! `users` (a user, their factors, and the unenroll).

mod by_id;
mod challenge;
mod clock;
mod paging;
mod raw;
mod retry;
mod send;
mod transport;
mod users;

pub use by_id::{DeleteError, Deleted, E_TOKEN_ASSIGNED};
pub use paging::{next_link, Download, Page, MAX_PAGES};
pub use raw::RawAnswer;
pub use retry::backoff;
pub use users::{Factor, OktaUser, Unenrolled, UserProfile, UserStatus};

use super::config::Credential;
use super::error::ApiError;
use super::models::{UploadRequest, YubikeyToken, TOKENS_PATH};
use super::oauth::OAuthSession;
use super::pacing::{Bucket, Pacer, Pacers, RateSetting};
use crate::secret::Secret;
use crate::seed::{Seed, SerialNumber};
use reqwest::{Method, Url};
use send::request_id;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

/// How to reach and authenticate to the org.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `https://example.okta.com` (http only for loopback).
    pub org: Url,
    /// The credential: an SSWS token or an OAuth service app.
    pub credential: Credential,
    /// The OAuth scopes the command needs (ignored for SSWS).
    pub scopes: Vec<String>,
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// The pace of the token path's bucket (Okta's `/api/v1`): lists, lookups, uploads and
    /// deletes all draw on it, so `--share` (or `--rate N/min`) caps them together. Other
    /// buckets learn their limits at the same share.
    pub rate: RateSetting,
    /// The longest wait after a 429.
    pub max_backoff: Duration,
    /// The most pages one listing follows before it stops with an error (an endless chain of
    /// new cursors); [`MAX_PAGES`] by default, lowered by tests.
    pub max_pages: usize,
    /// Proxy and extra trusted CAs.
    pub network: super::config::network::Network,
    /// Where the org and the credential came from, so a refusal or an unreachable org names what
    /// to fix; `None` for clients built by hand (tests, the demo).
    pub provenance: Option<super::config::Provenance>,
}

impl ClientConfig {
    /// How long to wait for a connection, the default of `--connect-timeout`.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    /// How long to wait for a whole request, the default of `--timeout`.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

    /// Conservative defaults for an org URL and SSWS token.
    pub fn new(org: Url, token: Secret<String>) -> Self {
        Self::with_credential(org, Credential::Ssws(token), &[])
    }

    /// Conservative defaults for an org URL and any credential; `scopes` are what the command
    /// needs when the credential is an OAuth app (least privilege).
    pub fn with_credential(org: Url, credential: Credential, scopes: &[&str]) -> Self {
        ClientConfig {
            org,
            credential,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            timeout: Self::DEFAULT_TIMEOUT,
            rate: RateSetting::DEFAULT,
            max_backoff: Duration::from_secs(120),
            max_pages: MAX_PAGES,
            network: Default::default(),
            provenance: None,
        }
    }
}

/// Counters of what the client saw, for summaries and reports.
#[derive(Debug, Default)]
pub struct ClientStats {
    /// Requests sent.
    pub requests: AtomicU64,
    /// 429s for the rate limit.
    pub rate_limited: AtomicU64,
    /// 429s for the concurrency limit.
    pub concurrency_limited: AtomicU64,
}

/// How requests are authorized.
enum Auth {
    /// `SSWS <token>`, built once.
    Ssws(Secret<String>),
    /// Bearer or DPoP access tokens from the token endpoint (boxed: it is large, and built once).
    OAuth(Box<OAuthSession>),
}

struct Inner {
    http: reqwest::Client,
    org: Url,
    auth: Auth,
    pacers: Pacers,
    stats: ClientStats,
    clock: clock::ServerClock,
    max_backoff: Duration,
    max_pages: usize,
    provenance: Option<super::config::Provenance>,
}

/// A cheap-to-clone handle to the client.
#[derive(Clone)]
pub struct OktaClient {
    inner: Arc<Inner>,
}

/// A successful answer with its request id.
#[derive(Debug)]
pub struct Answer<T> {
    /// The parsed body.
    pub value: T,
    /// `X-Okta-Request-Id`.
    pub request_id: Option<String>,
}

/// Whether `url` may be used without TLS: only loopback hosts (the emulator).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Checks an org URL: https, or http on a loopback host; no path, query or credentials.
pub fn check_org_url(url: &Url) -> anyhow::Result<()> {
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(url) => {}
        "http" => anyhow::bail!("refusing plain http to {url}: Okta needs https:// (http is allowed only for loopback, e.g. the emulator)"),
        other => anyhow::bail!("unsupported scheme {other}:// in org URL {url}; expected https://"),
    }
    if !url.username().is_empty() || url.password().is_some() {
        anyhow::bail!("the org URL must not contain credentials");
    }
    if url.host().is_none() {
        anyhow::bail!("the org URL {url} has no host");
    }
    Ok(())
}

impl OktaClient {
    /// Builds the client. Redirects are never followed, so the credential cannot leak to
    /// another host.
    pub fn new(config: ClientConfig) -> anyhow::Result<Self> {
        check_org_url(&config.org)?;
        let http = transport::http_client(&config)?;
        let mut org = config.org;
        org.set_path("");
        org.set_query(None);
        let auth = match &config.credential {
            Credential::Ssws(token) => Auth::Ssws(Secret::new(format!("SSWS {}", token.expose()))),
            Credential::PrivateKey(settings) => {
                let needed: Vec<&str> = config.scopes.iter().map(String::as_str).collect();
                Auth::OAuth(Box::new(OAuthSession::new(
                    http.clone(),
                    &org,
                    settings,
                    &needed,
                )?))
            }
        };
        Ok(OktaClient {
            inner: Arc::new(Inner {
                http,
                org,
                auth,
                pacers: Pacers::new(config.rate),
                stats: ClientStats::default(),
                clock: clock::ServerClock::default(),
                max_backoff: config.max_backoff,
                max_pages: config.max_pages,
                provenance: config.provenance,
            }),
        })
    }

    /// The org URL.
    pub fn org(&self) -> &Url {
        &self.inner.org
    }

    /// Where the org and the credential came from, when the client was built by `connect`.
    pub fn provenance(&self) -> Option<&super::config::Provenance> {
        self.inner.provenance.as_ref()
    }

    /// The pacer of a bucket.
    pub fn pacer(&self, bucket: Bucket) -> &Pacer {
        self.inner.pacers.get(bucket)
    }

    /// The pacer of the token path's bucket, whose pace the summary and progress bar show.
    pub fn token_pacer(&self) -> &Pacer {
        self.pacer(Bucket::ApiV1)
    }

    /// Okta's clock minus ours, from the latest answer's `Date` (a lower bound: `Date` is whole
    /// seconds, stamped before the answer left); `None` before any answer carried one.
    pub fn server_clock_offset(&self) -> Option<chrono::Duration> {
        self.inner.clock.offset()
    }

    fn clock_offset_secs(&self) -> Option<i32> {
        self.server_clock_offset()
            .and_then(|d| i32::try_from(d.num_seconds()).ok())
    }

    /// What the client has seen so far.
    pub fn stats(&self) -> &ClientStats {
        &self.inner.stats
    }

    fn tokens_url(&self) -> Url {
        let mut url = self.inner.org.clone();
        url.set_path(TOKENS_PATH);
        url
    }

    /// Uploads one seed: one attempt, paced on the token path's bucket.
    pub async fn upload(&self, seed: &Seed) -> Result<Answer<YubikeyToken>, ApiError> {
        // Sized up front so no reallocation leaves an unwiped copy of the seed behind.
        let mut body = zeroize::Zeroizing::new(Vec::with_capacity(512));
        serde_json::to_writer(&mut *body, &UploadRequest::from_seed(seed)).map_err(|e| {
            ApiError::Protocol {
                reason: format!("cannot encode request: {e}"),
            }
        })?;
        let (map, bytes) = self
            .send_secret(
                Method::POST,
                self.tokens_url(),
                Some(body),
                "application/json",
                &seed.secret_values(),
            )
            .await?;
        let request_id = request_id(&map);
        match serde_json::from_slice::<YubikeyToken>(&bytes) {
            Ok(token) if !token.id.is_empty() => Ok(Answer {
                value: token,
                request_id,
            }),
            // A 2xx we cannot read may still mean the key was stored: the caller must look it up.
            _ => Err(ApiError::InDoubt {
                reason: "HTTP 200 without a token id".into(),
                status: Some(200),
                request_id,
            }),
        }
    }

    /// Looks a serial's live record up with `filter=profile.serial eq "…"`; tries the 12-digit
    /// form, then the plain form, because Okta's expectation is unconfirmed. Records that are
    /// history (REVOKED, DELETED, INACTIVE) are not the key's state and are passed over.
    pub async fn find_by_serial(&self, serial: SerialNumber) -> Result<Option<YubikeyToken>, ApiError> {
        let padded = crate::seed::Serial::from(serial);
        for form in [padded.to_string(), serial.to_string()] {
            let mut url = self.tokens_url();
            url.query_pairs_mut()
                .append_pair("filter", &format!("profile.serial eq \"{form}\""));
            let page = self.list_page(url).await?;
            if let Some(token) = page
                .items
                .into_iter()
                .find(|t| t.serial_padded().as_ref() == Some(&padded) && t.status.is_live())
            {
                return Ok(Some(token));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_refused_except_for_loopback() {
        assert!(check_org_url(&Url::parse("https://acme.okta.com").unwrap()).is_ok());
        assert!(check_org_url(&Url::parse("http://127.0.0.1:8080").unwrap()).is_ok());
        assert!(check_org_url(&Url::parse("http://localhost:1").unwrap()).is_ok());
        assert!(check_org_url(&Url::parse("http://[::1]:1").unwrap()).is_ok());
        let err = check_org_url(&Url::parse("http://acme.okta.com").unwrap()).unwrap_err();
        assert!(err.to_string().contains("https://"), "{err}");
        assert!(check_org_url(&Url::parse("https://u:p@acme.okta.com").unwrap()).is_err());
    }
}
