//! One paced, authorized attempt: wait for the pacer of the request's bucket (`bucket_of` its
//! path), put the credential (and a DPoP proof) on the request, read a capped body, note the
//! server's clock, and classify the answer into [`ApiError`]. With OAuth, a refused credential or
//! proof is answered once with the server's DPoP nonce, or once with a fresh access token, before
//! it is returned.

use super::challenge::{auth_code, dpop_nonce, dpop_problem, is_auth_problem, missing_scope};
use super::{Auth, OktaClient};
use crate::okta::error::ApiError;
use crate::okta::models::{headers, ErrorBody};
use crate::okta::oauth::DPOP_HEADER;
use crate::okta::pacing::{bucket_of, Pacer, RateHeaders};
use crate::secret::Secret;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, StatusCode, Url};
use std::sync::atomic::Ordering;
use std::time::Duration;
use zeroize::Zeroizing;

/// The largest response body read into memory (a hostile server cannot exhaust memory).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// `X-Okta-Request-Id`, logged with every failure so Okta support can find the call.
pub(super) fn request_id(map: &HeaderMap) -> Option<String> {
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
    if text.contains("UnknownIssuer") || text.contains("invalid peer certificate") {
        text.push_str(
            "; the server's TLS certificate is not trusted by this machine: if a private CA or a TLS-inspecting proxy is in the way, trust its CA certificate with --ca-file CA.pem or SSL_CERT_FILE (certificate checks cannot be turned off)",
        );
    }
    text
}

/// A failed attempt: the error, the access token it carried (to drop it before a retry) and the
/// server's `DPoP-Nonce` when it asked for one.
struct Failed {
    error: ApiError,
    used: Option<Secret<String>>,
    nonce: Option<String>,
}

impl From<ApiError> for Failed {
    fn from(error: ApiError) -> Self {
        Failed {
            error,
            used: None,
            nonce: None,
        }
    }
}

/// What may still be tried after a refused credential: each once, in this order.
#[derive(Default)]
struct Recovery {
    nonce_sent: bool,
    refreshed: bool,
}

impl OktaClient {
    /// Sends one paced request and classifies the answer. The body is returned on 2xx. With
    /// OAuth, a refused credential or proof (a 401, a 403 `E0000005`/`E0000006`, a 400 or 401 with
    /// `invalid_dpop_proof` or `use_dpop_nonce`) is answered once with the server's `DPoP-Nonce`
    /// when it sent one (as Okta's Python SDK does), else once with a fresh access token; Okta
    /// processed nothing, so a resend is safe. The request id of every failed call is logged.
    pub(super) async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        accept: &'static str,
    ) -> Result<(HeaderMap, Vec<u8>), ApiError> {
        self.send_secret(method, url, body.map(Zeroizing::new), accept, &[])
            .await
    }

    /// [`Self::send`] for a body that holds `secrets` (an upload's seed): our copies of the body
    /// are wiped when dropped, and a refusal is scrubbed of the secrets (a server may echo them)
    /// before it is logged or returned.
    pub(super) async fn send_secret(
        &self,
        method: Method,
        url: Url,
        body: Option<Zeroizing<Vec<u8>>>,
        accept: &'static str,
        secrets: &[&str],
    ) -> Result<(HeaderMap, Vec<u8>), ApiError> {
        let mut recovery = Recovery::default();
        loop {
            // reqwest takes its own copy of the body; that one cannot be wiped (docs/security.md).
            let attempt_body = body.as_ref().map(|b| b.to_vec());
            let mut failed = match self
                .send_once(method.clone(), url.clone(), attempt_body, accept)
                .await
            {
                Ok(answer) => return Ok(answer),
                Err(f) => f,
            };
            failed.error = failed.error.scrubbed(secrets);
            let retry = self.recover(&failed, &mut recovery).await;
            if retry {
                tracing::debug!(%method, path = url.path(), error = %failed.error, "refused; retrying once");
            } else {
                let error = self.explain(failed.error);
                log_failure(&method, &url, &error);
                return Err(error);
            }
        }
    }

    /// The error with what the operator needs to fix it, when the client knows where its settings
    /// came from: the refused credential's kind and source, or the unreachable org URL's source.
    fn explain(&self, mut error: ApiError) -> ApiError {
        let Some(p) = &self.inner.provenance else {
            return error;
        };
        match &mut error {
            ApiError::Unauthorized { credential, .. } if credential.is_none() => {
                *credential = Some(Box::new(p.credential()));
            }
            ApiError::Unreachable { reason } => {
                // reqwest names the whole request URL; the org URL below says it shorter.
                let transport = reason
                    .strip_prefix("error sending request for url (")
                    .and_then(|r| r.split_once("): "))
                    .map_or(reason.as_str(), |(_, rest)| rest);
                *reason = format!(
                    "{} (the org URL from {}): {reason}; check the URL, and this machine's DNS, network and proxy",
                    self.inner.org, p.org_source, reason = transport
                );
            }
            _ => {}
        }
        error
    }

    /// Whether a refused OAuth request is worth one more send, and prepares it: the server's
    /// nonce goes in the next proof, or the access token is dropped so the next send gets a new
    /// one. A missing scope is not retried (a new token has the same scopes), nor a refusal at
    /// the token endpoint itself (no token was used).
    async fn recover(&self, failed: &Failed, recovery: &mut Recovery) -> bool {
        let Auth::OAuth(session) = &self.inner.auth else {
            return false;
        };
        let (ApiError::Unauthorized { scope: None, .. }, Some(used)) = (&failed.error, &failed.used) else {
            return false;
        };
        if let (Some(nonce), false) = (&failed.nonce, recovery.nonce_sent) {
            session.set_api_nonce(nonce.clone());
            recovery.nonce_sent = true;
            return true;
        }
        if recovery.refreshed {
            return false;
        }
        session.invalidate(used).await;
        recovery.refreshed = true;
        true
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
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        accept: &'static str,
    ) -> Result<(HeaderMap, Vec<u8>), Failed> {
        let pacer = self.pacer(bucket_of(&method, url.path()));
        let (status, map, bytes, used) = self.attempt(method, url, body, accept).await?;
        let rate = RateHeaders::from_headers(&map);
        let nonce = dpop_nonce(&map);
        self.classify(status, map, bytes, &rate, pacer)
            .map_err(|error| Failed { error, used, nonce })
    }

    /// One paced, authorized request and its raw answer, whatever the status; the pacer of its
    /// bucket has seen its headers. `Err` only when no answer came (or the credential could not be
    /// put on it). The probe reads answers this way; everything else goes through [`Self::send`].
    pub(super) async fn attempt(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        accept: &'static str,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>, Option<Secret<String>>), ApiError> {
        let pacer = self.pacer(bucket_of(&method, url.path()));
        pacer.until_ready().await;
        // Authorize after pacing, so a DPoP proof's `iat` is fresh. A failed token request still
        // counts as the probe's answer, or the requests waiting for the first answer would wait
        // forever.
        let (auth, proof, used) = match self.authorization(&method, &url).await {
            Ok(a) => a,
            Err(e) => {
                pacer.note_answer();
                return Err(e);
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
        let ticket = pacer.begin();
        let (status, map, bytes) = self.receive(req).await?;
        self.inner.clock.observe(&map);
        ticket.finish(&RateHeaders::from_headers(&map));
        Ok((status, map, bytes, used))
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
        // Control and bidi characters go before any caller logs or stores the text.
        let body = serde_json::from_slice::<ErrorBody>(&bytes)
            .unwrap_or_default()
            .scrubbed(&[]);
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
                    pacer.after_429(rate, self.inner.max_backoff)
                };
                Err(ApiError::RateLimited {
                    wait,
                    concurrency,
                    request_id: request_id.unwrap_or_default(),
                })
            }
            400 | 401 if dpop_problem(code, &bytes, &map).is_some() => Err(ApiError::Unauthorized {
                status: code,
                code: dpop_problem(code, &bytes, &map).unwrap_or_default().to_string(),
                request_id,
                scope: None,
                detail: None,
                clock_offset: self.clock_offset_secs(),
                credential: None,
            }),
            401 | 403 if is_auth_problem(code, &body, &map) => Err(ApiError::Unauthorized {
                status: code,
                code: auth_code(&body, &map),
                request_id,
                scope: missing_scope(&map),
                detail: None,
                clock_offset: self.clock_offset_secs(),
                credential: None,
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
}

/// Puts the request id of a failed call in the log: 429s and transient failures at debug (they
/// are retried and counted), refusals at warn.
fn log_failure(method: &Method, url: &Url, e: &ApiError) {
    let request_id = e.request_id().unwrap_or("-");
    let path = url.path();
    match e {
        // A refused credential stops the run and is printed once, by the command that stops.
        ApiError::RateLimited { .. }
        | ApiError::InDoubt { .. }
        | ApiError::Unreachable { .. }
        | ApiError::Unauthorized { .. } => {
            tracing::debug!(%method, path, request_id, error = %e, "call failed")
        }
        _ => tracing::warn!(%method, path, request_id, error = %e, "call failed"),
    }
}
