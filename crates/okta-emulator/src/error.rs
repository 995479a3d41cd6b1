//! Okta's error responses: status, `errorCode`, summary and causes, rendered as Okta's JSON body.
//! Handlers return `Result<_, ApiError>`; the messages never contain a secret value.

use super::wire::{ErrorBody, ErrorCause};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An Okta API error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// `E0000001` etc.
    pub code: &'static str,
    /// `errorSummary`.
    pub summary: String,
    /// `errorCauses[].errorSummary`.
    pub causes: Vec<String>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, summary: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            summary: summary.into(),
            causes: Vec::new(),
        }
    }

    /// 400 `E0000001`, one cause per problem.
    pub fn validation(causes: Vec<String>) -> Self {
        let summary = format!(
            "Api validation failed: {}",
            causes.first().map_or("", String::as_str)
        );
        ApiError {
            causes,
            ..ApiError::new(StatusCode::BAD_REQUEST, "E0000001", summary)
        }
    }

    /// 400 `E0000003`.
    pub fn malformed_body() -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "E0000003",
            "The request body was not well-formed.",
        )
    }

    /// 400 `E0000031`.
    pub fn bad_filter(cause: String) -> Self {
        ApiError {
            causes: vec![cause],
            ..ApiError::new(StatusCode::BAD_REQUEST, "E0000031", "Invalid search criteria.")
        }
    }

    /// 400 `E0000037`, Okta's answer to a query parameter sent twice (reported by an Okta
    /// engineer in okta-sdk-nodejs#439's fix).
    pub fn type_mismatch(cause: String) -> Self {
        ApiError {
            causes: vec![cause],
            ..ApiError::new(StatusCode::BAD_REQUEST, "E0000037", "Type mismatch exception")
        }
    }

    /// 401 `E0000011`.
    pub fn unauthorized() -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "E0000011", "Invalid token provided")
    }

    /// 403 `E0000005`, as one report shows for a stale DPoP proof (the `dpop-error=403` quirk).
    pub fn invalid_session() -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "E0000005", "Invalid session")
    }

    /// 404 `E0000007`.
    pub fn not_found(what: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "E0000007",
            format!("Not found: Resource not found: {what}"),
        )
    }

    /// 405 `E0000022`.
    pub fn method_not_allowed() -> Self {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "E0000022",
            "The endpoint does not support the provided HTTP method",
        )
    }

    /// 403 `E0000102`.
    pub fn yubikey_assigned() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "E0000102",
            "Invalid yubikey state exception. YubiKey cannot be deleted while assigned to an user. \
             Please deactivate YubiKey using reset MFA and try again",
        )
    }

    /// 403 `E0000068`.
    pub fn invalid_passcode(cause: String) -> Self {
        ApiError {
            causes: vec![cause],
            ..ApiError::new(StatusCode::FORBIDDEN, "E0000068", "Invalid Passcode/Answer")
        }
    }

    /// 403 `E0000082`.
    pub fn passcode_reused() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "E0000082",
            "Each code can only be used once. Please wait for a new code and try again.",
        )
    }

    /// 429 `E0000047`.
    pub fn rate_limited() -> Self {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "E0000047",
            "API call exceeded rate limit due to too many requests.",
        )
    }

    /// 413 for bodies over the limit (Okta's code for this is not published; E0000001 is closest).
    pub fn too_large() -> Self {
        ApiError {
            causes: vec!["body: the request body is too large".into()],
            ..ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "E0000001",
                "Api validation failed: body",
            )
        }
    }

    /// 500 `E0000009`.
    pub fn internal() -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "E0000009",
            "Internal Server Error",
        )
    }

    /// 503 `E0000010`.
    pub fn unavailable() -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "E0000010",
            "Service is in read only mode",
        )
    }

    /// The JSON body, with a fresh `errorId`.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error_code: self.code.to_string(),
            error_summary: self.summary.clone(),
            error_link: self.code.to_string(),
            error_id: super::users::new_id("oae"),
            error_causes: self
                .causes
                .iter()
                .map(|c| ErrorCause {
                    error_summary: c.clone(),
                })
                .collect(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}
