//! Reading Okta's `WWW-Authenticate` challenges: whether a 401/403 is an authentication problem,
//! which code to report, and the scope an `insufficient_scope` answer names.

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
}
