//! The client's error type. Its variants follow the caller's decisions (wait, retry, look up,
//! skip, stop), not transport details.

use super::models::ErrorBody;
use std::time::Duration;

/// What went wrong with one API call, classified for the caller.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 429: wait this long, then retry. `concurrency` when Okta signalled its in-flight limit
    /// (`X-Rate-Limit-Limit: 0`, `Remaining: 0`).
    #[error("rate limited by Okta (request {request_id}); retrying in {}s", wait.as_secs())]
    RateLimited {
        /// How long to wait before retrying (already includes the +1 s margin).
        wait: Duration,
        /// A concurrency 429 rather than a rate 429.
        concurrency: bool,
        /// `X-Okta-Request-Id` of the 429.
        request_id: String,
    },
    /// Nothing reached the server (connection refused, DNS): safe to retry anything.
    #[error("could not reach Okta: {reason}")]
    Unreachable {
        /// What the transport said.
        reason: String,
    },
    /// The request may or may not have been processed: a timeout, a 5xx, or a connection closed
    /// before the answer. A POST in this state must be checked before any retry.
    #[error("no usable answer from Okta ({reason}); the request may have been processed")]
    InDoubt {
        /// What happened.
        reason: String,
        /// The HTTP status when there was one.
        status: Option<u16>,
        /// `X-Okta-Request-Id` when there was one.
        request_id: Option<String>,
    },
    /// 401, or 403 on an auth or scope problem: stop the run.
    #[error("Okta refused the credentials ({status} {code}{}): check OKTA_CLIENT_TOKEN or okta.yaml and the admin's permissions", request_id.as_deref().map(|r| format!(", request {r}")).unwrap_or_default())]
    Unauthorized {
        /// HTTP status.
        status: u16,
        /// `errorCode`, or the `error` from `WWW-Authenticate`.
        code: String,
        /// `X-Okta-Request-Id`.
        request_id: Option<String>,
    },
    /// A definite refusal of this request (400, 403 E0000102, 404 …): do not retry it.
    #[error("Okta rejected the request: HTTP {status} {} {}", body.error_code, body.error_summary)]
    Rejected {
        /// HTTP status.
        status: u16,
        /// Okta's error body (causes included).
        body: Box<ErrorBody>,
        /// `X-Okta-Request-Id`.
        request_id: Option<String>,
    },
    /// The server answered something we cannot use (bad JSON, a token without an id, a foreign
    /// `Link`): stop with a clear message.
    #[error("unexpected answer from Okta: {reason}")]
    Protocol {
        /// What was wrong.
        reason: String,
    },
}

impl ApiError {
    /// The request id, when the server gave one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::RateLimited { request_id, .. } => Some(request_id),
            ApiError::InDoubt { request_id, .. }
            | ApiError::Unauthorized { request_id, .. }
            | ApiError::Rejected { request_id, .. } => request_id.as_deref(),
            ApiError::Unreachable { .. } | ApiError::Protocol { .. } => None,
        }
    }

    /// Whether a read-only request may simply be retried.
    pub fn is_retryable_read(&self) -> bool {
        matches!(
            self,
            ApiError::RateLimited { .. } | ApiError::Unreachable { .. } | ApiError::InDoubt { .. }
        )
    }
}
