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
    /// 401; 403 on an auth or scope problem (`E0000005`, `E0000006`, a challenge); a 400 or 401
    /// refusing the DPoP proof (`invalid_dpop_proof`, `use_dpop_nonce`); or the token endpoint
    /// refusing the app: stop the run. Never a row's outcome.
    #[error("{}", unauthorized_text(self))]
    Unauthorized {
        /// HTTP status.
        status: u16,
        /// `errorCode`, the `error` from `WWW-Authenticate`, or the token endpoint's `error`.
        code: String,
        /// `X-Okta-Request-Id`.
        request_id: Option<String>,
        /// The scope the access token lacks (`insufficient_scope`, or `invalid_scope` at the
        /// token endpoint).
        scope: Option<String>,
        /// The token endpoint's `error_description`.
        detail: Option<String>,
        /// Okta's clock minus ours in seconds, from the answers' `Date` (a refused DPoP proof is
        /// most often a skewed clock).
        // i32: 68 years either way, and it keeps the error small enough to return by value.
        clock_offset: Option<i32>,
        /// Which credential was refused and where it came from (`the SSWS token from
        /// OKTA_CLIENT_TOKEN`), filled in by the client that knows; `None` from code that does not.
        credential: Option<Box<String>>,
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

/// Whether a refusal is about the request's DPoP proof or session rather than the credential.
fn is_proof_problem(code: &str) -> bool {
    matches!(code, "invalid_dpop_proof" | "use_dpop_nonce" | "E0000005")
}

/// What a refused DPoP proof asks the operator to check, starting with the clock.
fn proof_text(status: u16, code: &str, request: &str, clock_offset: Option<i32>) -> String {
    let clock = match clock_offset {
        Some(s) if s.abs() >= 2 => format!(
            "this machine's clock is {} s {} Okta's (from its Date header): fix the time (NTP)",
            s.abs(),
            if s > 0 { "behind" } else { "ahead of" }
        ),
        Some(_) => "this machine's clock agrees with Okta's Date header to a second or two".into(),
        None => "this machine's clock (no Date header from Okta to compare with)".into(),
    };
    format!(
        "Okta refused the request's DPoP proof (HTTP {status} {code}{request}): check {clock}; whether the app requires DPoP (its \"Require Demonstrating Proof of Possession\" setting, and OKTA_CLIENT_DPOP); and that OKTA_CLIENT_PRIVATEKEY and OKTA_CLIENT_KID are the key registered for the app"
    )
}

fn unauthorized_text(e: &ApiError) -> String {
    let ApiError::Unauthorized {
        status,
        code,
        request_id,
        scope,
        detail,
        clock_offset,
        credential,
    } = e
    else {
        return String::new();
    };
    let status = *status;
    let request = request_id
        .as_ref()
        .map(|r| format!(", request {r}"))
        .unwrap_or_default();
    if let Some(scope) = scope {
        return format!(
            "the app lacks scope {scope} (HTTP {status} {code}{request}): grant it on the app's Okta API Scopes tab"
        );
    }
    if let Some(detail) = detail {
        return format!(
            "Okta's token endpoint refused the app (HTTP {status} {code}: {detail}{request}): check the client id, and the key and kid registered for it"
        );
    }
    if is_proof_problem(code) {
        return proof_text(status, code, &request, *clock_offset);
    }
    match credential {
        Some(which) => format!(
            "Okta refused the credentials: {which} (HTTP {status} {code}{request}): check that it is current and that its admin may manage factors"
        ),
        None => format!(
            "Okta refused the credentials (HTTP {status} {code}{request}): check the API token (OKTA_CLIENT_TOKEN or okta.yaml) or the OAuth app settings, and the admin's permissions"
        ),
    }
}

impl ApiError {
    /// The error with everything the server (or the transport) said passed through
    /// [`crate::secret::scrub`]: the request's own `secrets` redacted, control and bidi characters
    /// removed. A server that echoes its input must not put a seed in the journal or on stderr.
    pub fn scrubbed(self, secrets: &[&str]) -> ApiError {
        let s = |t: String| crate::secret::scrub(&t, secrets);
        match self {
            ApiError::RateLimited {
                wait,
                concurrency,
                request_id,
            } => ApiError::RateLimited {
                wait,
                concurrency,
                request_id: s(request_id),
            },
            ApiError::Unreachable { reason } => ApiError::Unreachable { reason: s(reason) },
            ApiError::InDoubt {
                reason,
                status,
                request_id,
            } => ApiError::InDoubt {
                reason: s(reason),
                status,
                request_id: request_id.map(s),
            },
            ApiError::Unauthorized {
                status,
                code,
                request_id,
                scope,
                detail,
                clock_offset,
                credential,
            } => ApiError::Unauthorized {
                status,
                code: s(code),
                request_id: request_id.map(s),
                scope: scope.map(s),
                detail: detail.map(s),
                clock_offset,
                credential,
            },
            ApiError::Rejected {
                status,
                body,
                request_id,
            } => ApiError::Rejected {
                status,
                body: Box::new(body.scrubbed(secrets)),
                request_id: request_id.map(s),
            },
            ApiError::Protocol { reason } => ApiError::Protocol { reason: s(reason) },
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn unauthorized(scope: Option<&str>, detail: Option<&str>) -> String {
        ApiError::Unauthorized {
            status: 403,
            code: "insufficient_scope".into(),
            request_id: Some("req1".into()),
            scope: scope.map(str::to_string),
            detail: detail.map(str::to_string),
            clock_offset: None,
            credential: None,
        }
        .to_string()
    }

    fn refused_proof(code: &str, clock_offset: Option<i32>) -> String {
        ApiError::Unauthorized {
            status: 400,
            code: code.into(),
            request_id: Some("req2".into()),
            scope: None,
            detail: None,
            clock_offset,
            credential: None,
        }
        .to_string()
    }

    #[test]
    fn a_refused_proof_says_to_check_the_clock_the_dpop_setting_and_the_key() {
        let msg = refused_proof("invalid_dpop_proof", Some(-300));
        assert!(
            msg.contains("DPoP proof") && msg.contains("request req2"),
            "{msg}"
        );
        assert!(msg.contains("300 s ahead of Okta's"), "{msg}");
        assert!(msg.contains("Require Demonstrating Proof of Possession"), "{msg}");
        assert!(
            msg.contains("OKTA_CLIENT_PRIVATEKEY") && msg.contains("OKTA_CLIENT_KID"),
            "{msg}"
        );
        assert!(refused_proof("E0000005", Some(45)).contains("45 s behind Okta's"));
        assert!(refused_proof("use_dpop_nonce", Some(1)).contains("agrees with Okta's Date"));
        assert!(refused_proof("use_dpop_nonce", None).contains("no Date header"));
    }

    #[test]
    fn a_missing_scope_is_named_not_generic() {
        let msg = unauthorized(Some("okta.users.manage"), None);
        assert!(msg.starts_with("the app lacks scope okta.users.manage"), "{msg}");
        assert!(msg.contains("request req1"), "{msg}");
        let msg = unauthorized(None, Some("The client_assertion is invalid."));
        assert!(
            msg.contains("token endpoint refused the app") && msg.contains("is invalid"),
            "{msg}"
        );
        assert!(unauthorized(None, None).contains("OKTA_CLIENT_TOKEN"));
    }
}
