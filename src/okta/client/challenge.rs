//! Reading Okta's `WWW-Authenticate` challenges: whether a 401/403 is an authentication problem,
//! which code to report, the scope an `insufficient_scope` answer names, and whether a 400/401
//! refuses the request's DPoP proof (`invalid_dpop_proof`, `use_dpop_nonce`, in the challenge or
//! in an OAuth-shaped body) rather than anything about the request itself.

use crate::okta::models::ErrorBody;
use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};

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

pub(super) fn www_authenticate_error(map: &HeaderMap) -> Option<String> {
    www_authenticate_param(map, "error")
}

/// The scope named by an `insufficient_scope` challenge.
pub(super) fn missing_scope(map: &HeaderMap) -> Option<String> {
    if www_authenticate_error(map).as_deref() != Some("insufficient_scope") {
        return None;
    }
    Some(www_authenticate_param(map, "scope").unwrap_or_else(|| "(not named by Okta)".into()))
}

/// The DPoP errors a resource server answers with (RFC 9449 §7.1, §9).
const DPOP_ERRORS: [&str; 2] = ["invalid_dpop_proof", "use_dpop_nonce"];

/// The server's `DPoP-Nonce`, when it sent one.
pub(super) fn dpop_nonce(map: &HeaderMap) -> Option<String> {
    map.get(crate::okta::oauth::DPOP_NONCE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
}

/// For a 400 or 401: the DPoP error it carries (`invalid_dpop_proof` or `use_dpop_nonce`), from
/// `WWW-Authenticate`, else from an OAuth-shaped body (`{"error": …}`); a bare `DPoP-Nonce` is
/// `use_dpop_nonce`, as Okta's Python SDK reads it, unless the body is Okta's own error (an
/// `errorCode`). `None`: not a DPoP refusal.
pub(super) fn dpop_problem(status: u16, bytes: &[u8], map: &HeaderMap) -> Option<&'static str> {
    if !matches!(status, 400 | 401) {
        return None;
    }
    let named = |e: &str| DPOP_ERRORS.iter().copied().find(|d| *d == e);
    if let Some(found) = www_authenticate_error(map).as_deref().and_then(named) {
        return Some(found);
    }
    let body: Option<serde_json::Value> = serde_json::from_slice(bytes).ok();
    let error = body
        .as_ref()
        .and_then(|b| b.get("error"))
        .and_then(|e| e.as_str());
    if let Some(found) = error.and_then(named) {
        return Some(found);
    }
    // A server may hand out a fresh nonce on any answer: beside an Okta error (`errorCode`,
    // say a duplicate serial), the nonce is not the reason for the refusal.
    let okta_error = body
        .as_ref()
        .and_then(|b| b.get("errorCode"))
        .is_some_and(|c| c.as_str().is_some_and(|c| !c.is_empty()));
    dpop_nonce(map).filter(|_| !okta_error).map(|_| "use_dpop_nonce")
}

pub(super) fn is_auth_problem(status: u16, body: &ErrorBody, map: &HeaderMap) -> bool {
    status == 401
        || www_authenticate_error(map).is_some()
        || matches!(body.error_code.as_str(), "E0000006" | "E0000005")
}

pub(super) fn auth_code(body: &ErrorBody, map: &HeaderMap) -> String {
    if !body.error_code.is_empty() {
        return body.error_code.clone();
    }
    www_authenticate_error(map).unwrap_or_else(|| "no error code".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    use reqwest::header::HeaderValue;

    fn challenge(value: &'static str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(WWW_AUTHENTICATE, HeaderValue::from_static(value));
        map
    }

    #[test]
    fn a_refused_dpop_proof_is_read_from_the_challenge_or_an_oauth_body() {
        let proof =
            challenge("DPoP algs=\"RS256 ES256\", error=\"invalid_dpop_proof\", error_description=\"x\"");
        assert_eq!(dpop_problem(400, b"", &proof), Some("invalid_dpop_proof"));
        assert_eq!(dpop_problem(401, b"", &proof), Some("invalid_dpop_proof"));
        assert_eq!(
            dpop_problem(403, b"", &proof),
            None,
            "403 is read by is_auth_problem"
        );
        let body = br#"{"error":"use_dpop_nonce","error_description":"nonce please"}"#;
        assert_eq!(dpop_problem(400, body, &HeaderMap::new()), Some("use_dpop_nonce"));
        let mut nonce = HeaderMap::new();
        nonce.insert("dpop-nonce", HeaderValue::from_static("n-1"));
        assert_eq!(dpop_problem(401, b"", &nonce), Some("use_dpop_nonce"));
        assert_eq!(dpop_nonce(&nonce).as_deref(), Some("n-1"));
    }

    #[test]
    fn a_400_about_the_row_is_not_a_dpop_refusal() {
        let okta = br#"{"errorCode":"E0000001","errorSummary":"Api validation failed: serialNumber","errorCauses":[{"errorSummary":"serialNumber: exists"}]}"#;
        assert_eq!(dpop_problem(400, okta, &HeaderMap::new()), None);
        let mut nonce = HeaderMap::new();
        nonce.insert("dpop-nonce", HeaderValue::from_static("n-2"));
        assert_eq!(
            dpop_problem(400, okta, &nonce),
            None,
            "a fresh nonce beside Okta's verdict"
        );
        let other = challenge("Bearer error=\"invalid_request\"");
        assert_eq!(dpop_problem(400, b"", &other), None);
        assert_eq!(
            dpop_problem(400, br#"{"error":"invalid_grant"}"#, &HeaderMap::new()),
            None
        );
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

    /// Okta's documented answers (tests/fixtures/okta/README.md names the sources).
    fn fixture(name: &str) -> serde_json::Value {
        let path = format!("{}/tests/fixtures/okta/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn oktas_documented_dpop_challenges_are_read_as_dpop_refusals() {
        // The token endpoint's: 400, an OAuth body and a `dpop-nonce` header.
        let doc = fixture("dpop-use-nonce.headers.json");
        let mut map = HeaderMap::new();
        for (k, v) in doc["headers"].as_object().unwrap() {
            let name = reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap();
            map.insert(name, HeaderValue::from_str(v.as_str().unwrap()).unwrap());
        }
        let body = fixture("dpop-use-nonce.json").to_string();
        let status = doc["status"].as_u64().unwrap() as u16;
        assert_eq!(
            dpop_problem(status, body.as_bytes(), &map),
            Some("use_dpop_nonce")
        );
        assert_eq!(
            dpop_nonce(&map).as_deref(),
            Some("8NLZUUhVawx1ns8AjrC4F6j8D2phvaw7")
        );
        // A resource server's, from an issue thread: only the `WWW-Authenticate` challenge.
        let doc = fixture("dpop-invalid-proof.headers.json");
        let mut map = HeaderMap::new();
        let value = doc["headers"]["www-authenticate"].as_str().unwrap();
        map.insert(WWW_AUTHENTICATE, HeaderValue::from_str(value).unwrap());
        assert_eq!(dpop_problem(400, b"", &map), Some("invalid_dpop_proof"));
        assert_eq!(dpop_problem(401, b"", &map), Some("invalid_dpop_proof"));
    }

    #[test]
    fn the_documented_insufficient_scope_challenge_names_the_missing_scope() {
        let doc = fixture("insufficient-scope.headers.json");
        let mut map = HeaderMap::new();
        let value = doc["headers"]["www-authenticate"].as_str().unwrap();
        map.insert(WWW_AUTHENTICATE, HeaderValue::from_str(value).unwrap());
        assert_eq!(missing_scope(&map).as_deref(), Some("okta.groups.read"));
        assert!(is_auth_problem(403, &ErrorBody::default(), &map));
    }

    #[test]
    fn oktas_documented_401_and_403_bodies_are_auth_problems_with_their_code() {
        for (name, status, code) in [
            ("error-401-E0000011.json", 401, "E0000011"),
            ("error-403-E0000006.json", 403, "E0000006"),
        ] {
            let body: ErrorBody = serde_json::from_value(fixture(name)).unwrap();
            assert!(is_auth_problem(status, &body, &HeaderMap::new()), "{name}");
            assert_eq!(auth_code(&body, &HeaderMap::new()), code, "{name}");
        }
    }
}
