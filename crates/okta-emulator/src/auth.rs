//! Who may call the API: Okta API tokens (`SSWS`), and OAuth access tokens (`Bearer`, or `DPoP`
//! with a proof) issued by the emulator's token endpoint, checked in [`super::oauth`].

use axum::http::HeaderMap;
use std::sync::{Mutex, PoisonError};

/// What the `Authorization` header carried.
#[derive(Debug, PartialEq, Eq)]
pub enum Credential<'a> {
    /// `SSWS <token>` (or `SSWS<token>`, as the Python SDK can send it).
    Ssws(&'a str),
    /// `Bearer <token>`: an OAuth access token.
    Bearer(&'a str),
    /// `DPoP <token>`: a DPoP-bound OAuth access token (with a `DPoP` proof header).
    Dpop(&'a str),
}

impl<'a> Credential<'a> {
    /// Reads the `Authorization` header; `None` when absent or unrecognised.
    pub fn from_headers(headers: &'a HeaderMap) -> Option<Credential<'a>> {
        let value = headers
            .get(axum::http::header::AUTHORIZATION)?
            .to_str()
            .ok()?
            .trim();
        let (scheme, rest) = value.split_at(value.find(' ').unwrap_or(value.len()));
        if scheme.eq_ignore_ascii_case("bearer") {
            return Some(Credential::Bearer(rest.trim()));
        }
        if scheme.eq_ignore_ascii_case("dpop") {
            return Some(Credential::Dpop(rest.trim()));
        }
        let prefix = value.get(..4)?;
        if prefix.eq_ignore_ascii_case("ssws") {
            let token = value.get(4..)?.trim();
            return (!token.is_empty()).then_some(Credential::Ssws(token));
        }
        None
    }
}

/// The accepted API token, which tests may rotate.
pub struct Auth {
    token: Mutex<String>,
}

impl Auth {
    /// Accepts `token`.
    pub fn new(token: String) -> Self {
        Auth {
            token: Mutex::new(token),
        }
    }

    /// The current token.
    pub fn token(&self) -> String {
        self.token.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Replaces the token; the old one gets 401 from now on.
    pub fn set_token(&self, token: &str) {
        *self.token.lock().unwrap_or_else(PoisonError::into_inner) = token.to_string();
    }

    /// Whether the request may proceed.
    pub fn allows(&self, headers: &HeaderMap) -> bool {
        match Credential::from_headers(headers) {
            Some(Credential::Ssws(given)) => {
                let expected = self.token.lock().unwrap_or_else(PoisonError::into_inner);
                constant_time_eq(given.as_bytes(), expected.as_bytes())
            }
            // OAuth tokens are checked by `refusal`, which knows the endpoint's scope.
            Some(Credential::Bearer(_)) | Some(Credential::Dpop(_)) | None => false,
        }
    }
}

/// The answer refusing a request, or `None` when it may proceed.
pub(crate) fn refusal(
    shared: &super::Shared,
    req: &axum::extract::Request,
    endpoint: super::log::Endpoint,
) -> Option<axum::response::Response> {
    use axum::response::IntoResponse;
    let headers = req.headers();
    let (token, dpop) = match Credential::from_headers(headers) {
        Some(Credential::Bearer(t)) => (t, false),
        Some(Credential::Dpop(t)) => (t, true),
        _ if shared.auth.allows(headers) => return None,
        _ => return Some(super::error::ApiError::unauthorized().into_response()),
    };
    let path = req.uri().path();
    let url = format!("{}{path}", shared.base_url);
    shared
        .oauth
        .check(token, dpop, headers, req.method().as_str(), &url, endpoint)
        .err()
        .map(|d| {
            d.into_response(super::oauth::denial::Shape {
                base_url: &shared.base_url,
                path,
                dpop_error: shared.quirks.dpop_error,
                nonce: shared.oauth.nonce(),
                scope: super::oauth::required_scope(endpoint),
            })
        })
}

/// Compares without an early exit, so response timing does not reveal a token prefix.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::AUTHORIZATION, v.parse().unwrap());
        h
    }

    #[test]
    fn ssws_with_or_without_space_is_accepted() {
        let auth = Auth::new("00abc".into());
        assert!(auth.allows(&headers("SSWS 00abc")));
        assert!(auth.allows(&headers("SSWS00abc")));
        assert!(auth.allows(&headers("ssws  00abc ")));
        assert!(!auth.allows(&headers("SSWS 00abd")));
        assert!(!auth.allows(&headers("SSWS")));
        assert!(!auth.allows(&headers("Bearer 00abc")));
        assert!(!auth.allows(&HeaderMap::new()));
    }

    #[test]
    fn bearer_and_dpop_schemes_are_told_apart() {
        assert_eq!(
            Credential::from_headers(&headers("Bearer abc")),
            Some(Credential::Bearer("abc"))
        );
        assert_eq!(
            Credential::from_headers(&headers("DPoP abc")),
            Some(Credential::Dpop("abc"))
        );
        assert_eq!(
            Credential::from_headers(&headers("dpop  abc")),
            Some(Credential::Dpop("abc"))
        );
    }

    #[test]
    fn scopes_follow_the_spec_with_no_implication() {
        use super::super::log::Endpoint;
        use super::super::oauth::required_scope;
        assert_eq!(required_scope(Endpoint::ListTokens), Some("okta.users.read"));
        assert_eq!(required_scope(Endpoint::GetToken), Some("okta.users.read"));
        assert_eq!(required_scope(Endpoint::UploadToken), Some("okta.users.manage"));
        assert_eq!(required_scope(Endpoint::DeleteToken), Some("okta.users.manage"));
        assert_eq!(required_scope(Endpoint::EnrollFactor), Some("okta.users.manage"));
        assert_eq!(required_scope(Endpoint::ListFactors), Some("okta.users.read"));
        assert_eq!(required_scope(Endpoint::OAuthToken), None);
    }

    #[test]
    fn rotation_revokes_the_old_token() {
        let auth = Auth::new("old".into());
        auth.set_token("new");
        assert!(!auth.allows(&headers("SSWS old")));
        assert!(auth.allows(&headers("SSWS new")));
    }
}
