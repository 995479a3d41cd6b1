//! The middleware every request passes through, outermost first: request log and in-flight
//! tracking, concurrency limit, authentication, rate-limit window, latency and injected failures.
//! Every response leaves with `X-Okta-Request-Id`, `Date` and, when its bucket is limited, the
//! three `X-Rate-Limit-*` headers.

use super::error::ApiError;
use super::log::{Endpoint, LogEntry, Special, Window};
use super::rate_limit::{Decision, RateHeaders};
use super::server::ConnControl;
use super::wire::headers;
use super::Shared;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Records the request when it ends, however it ends (including a dropped connection).
struct Tracker {
    shared: Arc<Shared>,
    entry: Option<LogEntry>,
    entered: bool,
    special: Special,
    control: Option<ConnControl>,
}

impl Drop for Tracker {
    fn drop(&mut self) {
        if self.entered {
            self.shared.recorder.leave();
        }
        if let Some(entry) = self.entry.take() {
            let special = match (&self.control, entry.status) {
                (Some(c), None) if c.is_killed() => Special::Dropped,
                _ => self.special,
            };
            self.shared.recorder.finish(entry, special);
        }
    }
}

/// The outermost layer.
pub async fn edge(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let endpoint = Endpoint::classify(req.method(), req.uri().path());
    let mut tracker = Tracker {
        shared: shared.clone(),
        entry: Some(LogEntry {
            at: shared.recorder.elapsed(),
            method: req.method().to_string(),
            endpoint,
            status: None,
            window: None,
        }),
        entered: false,
        special: Special::None,
        control: req.extensions().get::<ConnControl>().cloned(),
    };
    let mut response = if shared.recorder.enter(shared.concurrency_limit) {
        tracker.entered = true;
        guarded(&shared, endpoint, req, next, &mut tracker).await
    } else {
        tracker.special = Special::Concurrency;
        let mut r = ApiError::rate_limited().into_response();
        // Okta: "The first two header values are always 0 for concurrent rate limit errors";
        // the reset is only a suggestion, so suggest the next second.
        set_rate_headers(
            &mut r,
            RateHeaders {
                limit: 0,
                remaining: 0,
                reset: epoch_secs() + 1,
            },
        );
        r
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&super::users::random_chars(27)) {
        h.insert(HeaderName::from_static(headers::REQUEST_ID), v);
    }
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(SystemTime::now())) {
        h.insert(axum::http::header::DATE, v);
    }
    if let Some(entry) = tracker.entry.as_mut() {
        entry.status = Some(response.status().as_u16());
    }
    response
}

async fn guarded(
    shared: &Shared,
    endpoint: Endpoint,
    req: Request,
    next: Next,
    tracker: &mut Tracker,
) -> Response {
    // Authentication first: a request without a valid credential must not spend anyone's rate
    // window (else anyone who can reach the port can starve the real client).
    let refusal = if endpoint == Endpoint::OAuthToken {
        // The token endpoint authenticates the client itself (the assertion), not a token.
        None
    } else {
        super::auth::refusal(shared, &req, endpoint)
    };
    if let Some(refusal) = refusal {
        return refusal;
    }
    let charge = shared.limits.check(endpoint, req.uri().path());
    if let (Some(c), Some(entry)) = (charge, tracker.entry.as_mut()) {
        entry.window = Some(Window {
            bucket: c.bucket,
            seq: c.window,
        });
    }
    let rate = match charge.map(|c| c.decision) {
        None => None,
        Some(Decision::Allow(h)) => Some(h),
        Some(Decision::Reject(h)) => {
            let mut r = ApiError::rate_limited().into_response();
            set_rate_headers(&mut r, h);
            return r;
        }
    };
    let mut response = {
        let delay = shared.faults.latency();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        match shared.faults.roll_failure() {
            Some(failure) => {
                tracker.special = Special::Injected;
                match failure {
                    super::faults::Failure::Internal => ApiError::internal().into_response(),
                    super::faults::Failure::Unavailable => ApiError::unavailable().into_response(),
                }
            }
            None => next.run(req).await,
        }
    };
    if let Some(h) = rate {
        set_rate_headers(&mut response, h);
    }
    response
}

fn set_rate_headers(r: &mut Response, h: RateHeaders) {
    let map = r.headers_mut();
    for (name, value) in [
        (headers::RATE_LIMIT, u64::from(h.limit)),
        (headers::RATE_REMAINING, u64::from(h.remaining)),
        (headers::RATE_RESET, h.reset),
    ] {
        map.insert(HeaderName::from_static(name), HeaderValue::from(value));
    }
}

fn epoch_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
