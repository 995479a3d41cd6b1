//! How the emulator refuses an OAuth API call: an unknown or expired token (401 `invalid_token`),
//! a missing scope (403, empty body, `insufficient_scope`), and a bad or stale DPoP proof, whose
//! shape follows the `dpop-error` quirk (401 by default, 400 with an OAuth body, or 403
//! `E0000005`), or a missing nonce under `dpop-api-nonce` (`use_dpop_nonce` and `DPoP-Nonce`).

use crate::error::ApiError;
use crate::quirks::DpopError;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Why an API call was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Denial {
    /// Unknown, expired or misused access token: 401.
    InvalidToken {
        /// The scheme used (`Bearer` or `DPoP`), echoed in the challenge.
        dpop: bool,
        /// Why.
        description: &'static str,
    },
    /// The token lacks the endpoint's scope: 403, empty body, `insufficient_scope`.
    Scope {
        /// The scheme used.
        dpop: bool,
        /// The missing scope.
        scope: &'static str,
    },
    /// A bad, missing or stale DPoP proof on an API call: `invalid_dpop_proof`.
    DpopProof(String),
    /// A DPoP proof without the server's nonce, under `dpop-api-nonce`: `use_dpop_nonce`.
    UseNonce,
}

/// How the refusal is to be shaped, from the quirks and the server's state.
#[derive(Debug, Clone, Copy)]
pub struct Shape<'a> {
    /// The emulator's URL (the challenge's `realm`).
    pub base_url: &'a str,
    /// The request's path (the challenge's `resource`).
    pub path: &'a str,
    /// `dpop-error`.
    pub dpop_error: DpopError,
    /// The server's DPoP nonce.
    pub nonce: &'a str,
    /// The scope the endpoint requires (the DPoP challenge's `scope`).
    pub scope: Option<&'a str>,
}

fn with_header(mut response: Response, name: HeaderName, value: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, v);
    }
    response
}

/// A DPoP challenge on an API call, with the parameters Okta's carries besides `algs` and the
/// error (`authorization_uri`, `realm`, `scope`, `resource`: okta-sdk-nodejs#453 quotes one,
/// tests/fixtures/okta/dpop-invalid-proof.headers.json).
fn dpop_challenge(shape: &Shape<'_>, error: &str, description: &str) -> String {
    let base = shape.base_url;
    let scope = shape
        .scope
        .map(|s| format!(" scope=\"{s}\","))
        .unwrap_or_default();
    format!(
        "DPoP algs=\"RS256 ES256\", authorization_uri=\"{base}/oauth2/v1/authorize\", realm=\"{base}\",{scope} error=\"{error}\", error_description=\"{}\", resource=\"{}\"",
        description.replace('"', "'"),
        shape.path
    )
}

impl Denial {
    /// The response Okta gives.
    pub fn into_response(self, shape: Shape<'_>) -> Response {
        let Shape { base_url, path, .. } = shape;
        let challenge = |dpop: bool, rest: String| {
            let scheme = if dpop { "DPoP" } else { "Bearer" };
            format!(
                "{scheme} authorization_uri=\"{base_url}/oauth2/v1/authorize\", realm=\"{base_url}\", {rest}"
            )
        };
        let www = axum::http::header::WWW_AUTHENTICATE;
        match self {
            Denial::InvalidToken { dpop, description } => with_header(
                ApiError::unauthorized().into_response(),
                www,
                &challenge(
                    dpop,
                    format!("error=\"invalid_token\", error_description=\"{description}\""),
                ),
            ),
            Denial::Scope { dpop, scope } => with_header(
                StatusCode::FORBIDDEN.into_response(),
                www,
                &challenge(
                    dpop,
                    format!("scope=\"{scope}\", error=\"insufficient_scope\", error_description=\"The access token provided does not contain the required scopes.\", resource=\"{path}\""),
                ),
            ),
            Denial::DpopProof(why) => bad_proof(&shape, &why),
            Denial::UseNonce => {
                let status = match shape.dpop_error {
                    DpopError::BadRequest => StatusCode::BAD_REQUEST,
                    DpopError::Unauthorized | DpopError::Forbidden => StatusCode::UNAUTHORIZED,
                };
                let r = with_header(
                    status.into_response(),
                    www,
                    &dpop_challenge(&shape, "use_dpop_nonce", "Resource server requires nonce in DPoP proof."),
                );
                with_header(r, HeaderName::from_static("dpop-nonce"), shape.nonce)
            }
        }
    }
}

/// A bad or stale proof, in the shape `dpop-error` asks for.
fn bad_proof(shape: &Shape<'_>, why: &str) -> Response {
    let www = axum::http::header::WWW_AUTHENTICATE;
    match shape.dpop_error {
        DpopError::Unauthorized => with_header(
            StatusCode::UNAUTHORIZED.into_response(),
            www,
            &dpop_challenge(shape, "invalid_dpop_proof", why),
        ),
        DpopError::BadRequest => {
            let body = serde_json::json!({"error": "invalid_dpop_proof", "error_description": why});
            with_header(
                (StatusCode::BAD_REQUEST, axum::Json(body)).into_response(),
                www,
                &dpop_challenge(shape, "invalid_dpop_proof", why),
            )
        }
        DpopError::Forbidden => ApiError::invalid_session().into_response(),
    }
}
