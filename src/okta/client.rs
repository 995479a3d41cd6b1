//! The Okta client: one `reqwest::Client`, the org URL, the credential, and a pacer per bucket.
//! Each method makes exactly one paced attempt and classifies the answer into [`ApiError`]; the
//! retry policy belongs to the caller (uploads must never be retried blindly), except for reads,
//! which [`OktaClient::read_with_retries`] may repeat safely.

use super::config::Credential;
use super::error::ApiError;
use super::models::{headers, ErrorBody, UploadRequest, YubikeyToken, TOKENS_PATH};
use super::oauth::{OAuthSession, DPOP_HEADER};
use super::pacing::{Pacer, RateHeaders, RateSetting};
use crate::secret::Secret;
use crate::seed::{Seed, SerialNumber};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LINK, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode, Url};
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The largest response body read into memory (a hostile server cannot exhaust memory).
const MAX_BODY: usize = 64 * 1024 * 1024;
/// The most pages followed in one listing by default; a longer chain is treated as a loop.
pub const MAX_PAGES: usize = 200_000;

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
    /// Pace for reads (the GET bucket).
    pub read_rate: RateSetting,
    /// Pace for writes (the POST bucket).
    pub write_rate: RateSetting,
    /// The longest wait after a 429.
    pub max_backoff: Duration,
    /// The most pages one listing follows before it stops with an error (an endless chain of
    /// new cursors); [`MAX_PAGES`] by default, lowered by tests.
    pub max_pages: usize,
}

impl ClientConfig {
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
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            read_rate: RateSetting::Auto { share: 0.5 },
            write_rate: RateSetting::Auto { share: 0.5 },
            max_backoff: Duration::from_secs(120),
            max_pages: MAX_PAGES,
        }
    }
}

/// Which Okta rate-limit bucket a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// GETs on the token path.
    Read,
    /// POSTs on the token path.
    Write,
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
    reads: Pacer,
    writes: Pacer,
    in_flight: AtomicUsize,
    stats: ClientStats,
    max_backoff: Duration,
    max_pages: usize,
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

/// One page of a listing.
#[derive(Debug)]
pub struct Page<T> {
    /// The items (tokens, or the CSV text of a download page).
    pub items: T,
    /// The `rel="next"` URL, already checked to be on the org's origin.
    pub next: Option<Url>,
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

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The `rel="next"` target among `Link` headers (one per header, or folded with commas).
pub fn next_link(map: &HeaderMap) -> Option<String> {
    for value in map.get_all(LINK).iter().filter_map(|v| v.to_str().ok()) {
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let target = pieces.next()?.trim();
            let is_next = pieces.any(|p| {
                let p = p.trim().replace(' ', "");
                p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
            });
            if is_next && target.starts_with('<') && target.ends_with('>') {
                return Some(target[1..target.len() - 1].to_string());
            }
        }
    }
    None
}

fn request_id(map: &HeaderMap) -> Option<String> {
    map.get(headers::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn error_reason(e: &reqwest::Error) -> String {
    // The full source chain says "connection refused" or "dns error"; the URL holds no secret.
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl OktaClient {
    /// Builds the client. Redirects are never followed, so the credential cannot leak to
    /// another host.
    pub fn new(config: ClientConfig) -> anyhow::Result<Self> {
        check_org_url(&config.org)?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("ykprov/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .build()?;
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
                reads: Pacer::new(config.read_rate),
                writes: Pacer::new(config.write_rate),
                in_flight: AtomicUsize::new(0),
                stats: ClientStats::default(),
                max_backoff: config.max_backoff,
                max_pages: config.max_pages,
            }),
        })
    }

    /// The org URL.
    pub fn org(&self) -> &Url {
        &self.inner.org
    }

    /// The pacer of a bucket.
    pub fn pacer(&self, bucket: Bucket) -> &Pacer {
        match bucket {
            Bucket::Read => &self.inner.reads,
            Bucket::Write => &self.inner.writes,
        }
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

    /// Sends one paced request and classifies the answer. The body is returned on 2xx. With
    /// OAuth, a 401 drops the cached access token and the request is sent once more with a new one
    /// (a 401 means nothing was processed). The request id of every failed call is logged.
    async fn send(
        &self,
        bucket: Bucket,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        accept: &'static str,
    ) -> Result<(HeaderMap, Vec<u8>), ApiError> {
        let mut retried_401 = false;
        loop {
            let result = self
                .send_once(bucket, method.clone(), url.clone(), body.clone(), accept)
                .await;
            match result {
                Err((e @ ApiError::Unauthorized { status: 401, .. }, Some(used)))
                    if !retried_401 && matches!(self.inner.auth, Auth::OAuth(_)) =>
                {
                    log_failure(&method, &url, &e);
                    if let Auth::OAuth(session) = &self.inner.auth {
                        session.invalidate(&used).await;
                    }
                    retried_401 = true;
                }
                Err((e, _)) => {
                    log_failure(&method, &url, &e);
                    return Err(e);
                }
                Ok(answer) => return Ok(answer),
            }
        }
    }

    /// The `Authorization` (and `DPoP`) headers for one request, and the access token used.
    async fn authorization(
        &self,
        method: &Method,
        url: &Url,
    ) -> Result<(HeaderValue, Option<HeaderValue>, Option<Secret<String>>), ApiError> {
        let sensitive = |s: &Secret<String>| {
            HeaderValue::from_str(s.expose())
                .map(|mut v| {
                    v.set_sensitive(true);
                    v
                })
                .map_err(|_| ApiError::Protocol {
                    reason: "the credential contains characters not allowed in a header".into(),
                })
        };
        match &self.inner.auth {
            Auth::Ssws(header) => Ok((sensitive(header)?, None, None)),
            Auth::OAuth(session) => {
                let a = session.authorize(method, url).await?;
                let proof = a.proof.as_ref().map(sensitive).transpose()?;
                Ok((sensitive(&a.header)?, proof, Some(a.token().clone())))
            }
        }
    }

    async fn send_once(
        &self,
        bucket: Bucket,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        accept: &'static str,
    ) -> Result<(HeaderMap, Vec<u8>), (ApiError, Option<Secret<String>>)> {
        let pacer = self.pacer(bucket);
        pacer.until_ready().await;
        // Authorize after pacing, so a DPoP proof's `iat` is fresh. A failed token request still
        // counts as the probe's answer, or the requests waiting for the first answer would wait
        // forever.
        let (auth, proof, used) = match self.authorization(&method, &url).await {
            Ok(a) => a,
            Err(e) => {
                pacer.note_answer();
                return Err((e, None));
            }
        };
        let mut req = self
            .inner
            .http
            .request(method, url)
            .header(ACCEPT, accept)
            .header(AUTHORIZATION, auth);
        if let Some(proof) = proof {
            req = req.header(DPOP_HEADER, proof);
        }
        if let Some(body) = body {
            req = req.header(CONTENT_TYPE, "application/json").body(body);
        }
        self.inner.stats.requests.fetch_add(1, Ordering::Relaxed);
        self.inner.in_flight.fetch_add(1, Ordering::SeqCst);
        let result = self.receive(req).await;
        pacer.note_answer();
        let in_flight = self.inner.in_flight.fetch_sub(1, Ordering::SeqCst) - 1;
        let (status, map, bytes) = result.map_err(|e| (e, None))?;
        let rate = RateHeaders::from_headers(&map);
        pacer.observe(&rate, in_flight);
        self.classify(status, map, bytes, &rate, pacer)
            .map_err(|e| (e, used))
    }

    async fn receive(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>), ApiError> {
        let mut resp = req.send().await.map_err(|e| {
            if e.is_connect() {
                ApiError::Unreachable {
                    reason: error_reason(&e),
                }
            } else {
                ApiError::InDoubt {
                    reason: error_reason(&e),
                    status: None,
                    request_id: None,
                }
            }
        })?;
        let status = resp.status();
        let map = resp.headers().clone();
        let mut bytes = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > MAX_BODY {
                        return Err(ApiError::Protocol {
                            reason: format!("response body larger than {MAX_BODY} bytes"),
                        });
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(ApiError::InDoubt {
                        reason: format!("connection lost while reading the answer: {}", error_reason(&e)),
                        status: Some(status.as_u16()),
                        request_id: request_id(&map),
                    })
                }
            }
        }
        Ok((status, map, bytes))
    }

    fn classify(
        &self,
        status: StatusCode,
        map: HeaderMap,
        bytes: Vec<u8>,
        rate: &RateHeaders,
        pacer: &Pacer,
    ) -> Result<(HeaderMap, Vec<u8>), ApiError> {
        if status.is_success() {
            return Ok((map, bytes));
        }
        let request_id = request_id(&map);
        let body: ErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
        let code = status.as_u16();
        match code {
            429 => {
                let concurrency = rate.is_concurrency_limit();
                let counter = if concurrency {
                    &self.inner.stats.concurrency_limited
                } else {
                    &self.inner.stats.rate_limited
                };
                counter.fetch_add(1, Ordering::Relaxed);
                let wait = if concurrency {
                    // Too many in flight org-wide: only this request backs off, briefly (the
                    // reset is only a suggestion here), while the caller lowers its concurrency.
                    // Holding every worker would stall the run on a busy org.
                    use rand::Rng;
                    Duration::from_millis(rand::thread_rng().gen_range(100..=300))
                } else {
                    let wait = rate.backoff_after_429(self.inner.max_backoff);
                    pacer.hold_for(wait);
                    wait
                };
                Err(ApiError::RateLimited {
                    wait,
                    concurrency,
                    request_id: request_id.unwrap_or_default(),
                })
            }
            401 | 403 if is_auth_problem(code, &body, &map) => Err(ApiError::Unauthorized {
                status: code,
                code: auth_code(&body, &map),
                request_id,
                scope: missing_scope(&map),
                detail: None,
            }),
            500..=599 => Err(ApiError::InDoubt {
                reason: format!("HTTP {code} {}", body.error_code).trim_end().to_string(),
                status: Some(code),
                request_id,
            }),
            _ => Err(ApiError::Rejected {
                status: code,
                body: Box::new(body),
                request_id,
            }),
        }
    }

    /// Uploads one seed: one attempt, paced on the write bucket.
    pub async fn upload(&self, seed: &Seed) -> Result<Answer<YubikeyToken>, ApiError> {
        let body = serde_json::to_vec(&UploadRequest::from_seed(seed)).map_err(|e| ApiError::Protocol {
            reason: format!("cannot encode request: {e}"),
        })?;
        let (map, bytes) = self
            .send(
                Bucket::Write,
                Method::POST,
                self.tokens_url(),
                Some(body),
                "application/json",
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

    /// Looks a serial up with `filter=profile.serial eq "…"`; tries the 12-digit form, then the
    /// plain form, because Okta's expectation is unconfirmed.
    pub async fn find_by_serial(&self, serial: SerialNumber) -> Result<Option<YubikeyToken>, ApiError> {
        for form in [serial.padded(), serial.to_string()] {
            let mut url = self.tokens_url();
            url.query_pairs_mut()
                .append_pair("filter", &format!("profile.serial eq \"{form}\""));
            let page = self.list_page(url).await?;
            if let Some(token) = page
                .items
                .into_iter()
                .find(|t| t.serial_padded().as_deref() == Some(&serial.padded()))
            {
                return Ok(Some(token));
            }
        }
        Ok(None)
    }

    /// The first URL of a JSON listing.
    pub fn list_url(&self, limit: u32, filter: Option<&str>, expand_user: bool) -> Url {
        let mut url = self.tokens_url();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("limit", &limit.to_string());
            if let Some(f) = filter {
                q.append_pair("filter", f);
            }
            if expand_user {
                q.append_pair("expand", "user");
            }
        }
        url
    }

    /// The first URL of the CSV export (`forDownload=true`).
    pub fn download_url(&self, limit: u32, filter: Option<&str>, expand_user: bool) -> Url {
        let mut url = self.list_url(limit, filter, expand_user);
        url.query_pairs_mut().append_pair("forDownload", "true");
        url
    }

    /// One page of the JSON listing.
    pub async fn list_page(&self, url: Url) -> Result<Page<Vec<YubikeyToken>>, ApiError> {
        let (map, bytes) = self
            .send(Bucket::Read, Method::GET, url, None, "application/json")
            .await?;
        let items: Vec<YubikeyToken> = serde_json::from_slice(&bytes).map_err(|e| ApiError::Protocol {
            reason: format!("token list is not a JSON array of tokens: {e}"),
        })?;
        Ok(Page {
            items,
            next: self.checked_next(&map)?,
        })
    }

    /// One page of the CSV export, as text.
    pub async fn download_page(&self, url: Url) -> Result<Page<String>, ApiError> {
        let (map, bytes) = self
            .send(Bucket::Read, Method::GET, url, None, "text/csv, */*")
            .await?;
        let text = String::from_utf8(bytes).map_err(|_| ApiError::Protocol {
            reason: "the CSV export is not UTF-8".into(),
        })?;
        Ok(Page {
            items: text,
            next: self.checked_next(&map)?,
        })
    }

    fn checked_next(&self, map: &HeaderMap) -> Result<Option<Url>, ApiError> {
        let Some(raw) = next_link(map) else {
            return Ok(None);
        };
        let url = Url::parse(&raw)
            .or_else(|_| self.inner.org.join(&raw))
            .map_err(|_| ApiError::Protocol {
                reason: "unreadable next-page link".into(),
            })?;
        if !same_origin(&url, &self.inner.org) {
            return Err(ApiError::Protocol {
                reason: format!(
                    "the next-page link points to {}, not the org {}; refusing to send the credential there",
                    url.origin().ascii_serialization(),
                    self.inner.org.origin().ascii_serialization()
                ),
            });
        }
        Ok(Some(url))
    }

    /// Follows `Link: rel="next"` from `first` to the end, calling `each` per page. Stops on a
    /// loop (a page pointing at an earlier one) or an endless chain.
    pub async fn walk<T, F, Fut>(
        &self,
        first: Url,
        fetch: F,
        mut each: impl FnMut(T) -> anyhow::Result<()>,
    ) -> anyhow::Result<usize>
    where
        F: Fn(Url) -> Fut,
        Fut: Future<Output = Result<Page<T>, ApiError>>,
    {
        let mut seen = std::collections::HashSet::new();
        let mut next = Some(first);
        let mut pages = 0;
        while let Some(url) = next.take() {
            if !seen.insert(url.to_string()) {
                anyhow::bail!("the token list's next-page links loop back to a page already read; stopping");
            }
            if pages >= self.inner.max_pages {
                anyhow::bail!(
                    "the token list has more than {} pages (an endless chain of next-page links?); stopping",
                    self.inner.max_pages
                );
            }
            let page = self.read_with_retries(|| fetch(url.clone())).await?;
            pages += 1;
            each(page.items)?;
            next = page.next;
        }
        Ok(pages)
    }

    /// Repeats a read while the error is safe to retry: 429s (waited out, up to 100 of them),
    /// and 5xx or timeouts (up to 8 attempts); a refused connection only 3 times, so an
    /// unreachable org fails fast.
    pub async fn read_with_retries<T, F, Fut>(&self, op: F) -> Result<T, ApiError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let mut attempt = 0u32;
        let mut limited = 0u32;
        loop {
            match op().await {
                Err(ApiError::RateLimited {
                    concurrency, wait, ..
                }) if limited < 100 => {
                    limited += 1;
                    // A rate 429 closed the pacer's gate for every request until the reset; a
                    // concurrency 429 backs off this request alone.
                    if concurrency {
                        tokio::time::sleep(wait).await;
                    }
                }
                Err(e @ ApiError::Unreachable { .. }) if attempt + 1 >= 3 => return Err(e),
                Err(e)
                    if e.is_retryable_read()
                        && !matches!(e, ApiError::RateLimited { .. })
                        && attempt + 1 < 8 =>
                {
                    attempt += 1;
                    tracing::debug!(error = %e, attempt, "retrying read");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                other => return other,
            }
        }
    }
}

/// Exponential backoff with full jitter: up to 50 ms × 2^attempt (100 ms, 200 ms, … 25.6 s),
/// capped at 30 s. The first retries are quick because a worker holds its concurrency slot while
/// it waits, and one-off 5xx answers are the common case; a real outage still backs off to
/// seconds within a few attempts.
pub fn backoff(attempt: u32) -> Duration {
    use rand::Rng;
    let cap = Duration::from_millis(50)
        .saturating_mul(1u32 << attempt.min(9))
        .min(Duration::from_secs(30));
    Duration::from_millis(rand::thread_rng().gen_range(10..=cap.as_millis().max(10) as u64))
}

/// A quoted parameter of `WWW-Authenticate` (`error="…"`, `scope="…"`), matched as a whole name.
fn www_authenticate_param(map: &HeaderMap, name: &str) -> Option<String> {
    let v = map.get(WWW_AUTHENTICATE)?.to_str().ok()?;
    let needle = format!("{name}=\"");
    let mut from = 0;
    while let Some(i) = v[from..].find(&needle) {
        let at = from + i;
        let boundary = at == 0 || matches!(v.as_bytes()[at - 1], b' ' | b',');
        let rest = &v[at + needle.len()..];
        if boundary {
            return Some(rest[..rest.find('"')?].to_string());
        }
        from = at + needle.len();
    }
    None
}

fn www_authenticate_error(map: &HeaderMap) -> Option<String> {
    www_authenticate_param(map, "error")
}

/// The scope named by an `insufficient_scope` challenge.
fn missing_scope(map: &HeaderMap) -> Option<String> {
    if www_authenticate_error(map).as_deref() != Some("insufficient_scope") {
        return None;
    }
    Some(www_authenticate_param(map, "scope").unwrap_or_else(|| "(not named by Okta)".into()))
}

/// Puts the request id of a failed call in the log: 429s and transient failures at debug (they
/// are retried and counted), refusals at warn.
fn log_failure(method: &Method, url: &Url, e: &ApiError) {
    let request_id = e.request_id().unwrap_or("-");
    let path = url.path();
    match e {
        ApiError::RateLimited { .. } | ApiError::InDoubt { .. } | ApiError::Unreachable { .. } => {
            tracing::debug!(%method, path, request_id, error = %e, "call failed")
        }
        _ => tracing::warn!(%method, path, request_id, error = %e, "call failed"),
    }
}

fn is_auth_problem(status: u16, body: &ErrorBody, map: &HeaderMap) -> bool {
    status == 401
        || www_authenticate_error(map).is_some()
        || matches!(body.error_code.as_str(), "E0000006" | "E0000005")
}

fn auth_code(body: &ErrorBody, map: &HeaderMap) -> String {
    if !body.error_code.is_empty() {
        return body.error_code.clone();
    }
    www_authenticate_error(map).unwrap_or_else(|| "no error code".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_is_found_in_separate_or_folded_headers() {
        let mut map = HeaderMap::new();
        map.append(
            LINK,
            HeaderValue::from_static("<https://x.okta.com/a?limit=2>; rel=\"self\""),
        );
        map.append(
            LINK,
            HeaderValue::from_static("<https://x.okta.com/a?after=b>; rel=\"next\""),
        );
        assert_eq!(next_link(&map).as_deref(), Some("https://x.okta.com/a?after=b"));
        let mut folded = HeaderMap::new();
        folded.append(
            LINK,
            HeaderValue::from_static("<https://x/a>; rel=\"self\", <https://x/b>; rel=\"next\""),
        );
        assert_eq!(next_link(&folded).as_deref(), Some("https://x/b"));
        assert_eq!(next_link(&HeaderMap::new()), None);
    }

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

    #[test]
    fn insufficient_scope_is_read_from_www_authenticate() {
        let mut map = HeaderMap::new();
        map.insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(
                "Bearer realm=\"x\", scope=\"okta.users.manage\", error=\"insufficient_scope\"",
            ),
        );
        let body = ErrorBody::default();
        assert!(is_auth_problem(403, &body, &map));
        assert_eq!(auth_code(&body, &map), "insufficient_scope");
        assert_eq!(missing_scope(&map).as_deref(), Some("okta.users.manage"));
        assert!(!is_auth_problem(
            403,
            &ErrorBody {
                error_code: "E0000102".into(),
                ..Default::default()
            },
            &HeaderMap::new()
        ));
    }

    #[test]
    fn backoff_grows_but_stays_capped() {
        for attempt in 1..20 {
            assert!(backoff(attempt) <= Duration::from_secs(30));
        }
    }
}
