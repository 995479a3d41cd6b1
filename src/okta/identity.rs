//! Who a credential is, for `ykprov whoami`: the org and where its URL came from, the
//! credential's kind and source, and what Okta says about it. An SSWS token belongs to an admin,
//! read with `GET /api/v1/users/me`; an OAuth service app has no user, so its identity is its
//! client id and the scopes Okta granted, learned from one paced read of the token list (which
//! also proves the credential works). Nothing here holds or prints a secret.

use super::config::Provenance;
use super::{ApiError, OktaClient};
use serde::Serialize;

/// What `whoami` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// The org URL.
    pub org: String,
    /// Where the org URL came from (`--org`, `OKTA_CLIENT_ORGURL`, an okta.yaml path).
    pub org_source: String,
    /// `SSWS` or `OAuth`.
    pub credential_kind: String,
    /// Where the credential came from (the token's source, or the private key's).
    pub credential_source: String,
    /// The admin's login (SSWS only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    /// The admin's user id (SSWS only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The service app's client id (OAuth only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The scopes Okta granted, or those requested when its answer did not list them (OAuth
    /// only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

/// Asks Okta who the client's credential is. A refused credential is the client's
/// `ApiError::Unauthorized`, naming the credential and its source.
pub async fn whoami(client: &OktaClient) -> Result<Identity, ApiError> {
    let provenance = client.provenance().cloned().unwrap_or_default();
    let mut identity = Identity {
        org: client.org().to_string(),
        org_source: provenance.org_source.clone(),
        credential_kind: kind(&provenance, client).to_string(),
        credential_source: provenance.credential_source.clone(),
        login: None,
        user_id: None,
        client_id: provenance.client_id.clone(),
        scopes: None,
    };
    match client.oauth_facts() {
        None => {
            let me = client.get_user("me").await?.ok_or_else(|| ApiError::Protocol {
                reason: "Okta has no user behind this API token (GET /api/v1/users/me answered 404)".into(),
            })?;
            identity.login = me.profile.login.map(|l| crate::secret::scrub(&l, &[]));
            identity.user_id = Some(crate::secret::scrub(&me.id, &[]));
        }
        Some(_) => {
            // One read of the token list fetches an access token, so Okta says what it granted.
            client.list_page(client.list_url(1, None, false)).await?;
            let facts = client.oauth_facts().unwrap_or_default();
            identity.scopes = Some(facts.granted.unwrap_or(facts.requested));
        }
    }
    Ok(identity)
}

/// Who a run writes as, for its journal header, the ledger and reports: `LOGIN (SSWS token)` from
/// `GET /api/v1/users/me`, or `CLIENT_ID (OAuth client)` (no request: the client id is
/// configuration, and an access token has no user). Called once per run, before its first write.
/// A token that may not read users (403) or any other failure of this one read is recorded as
/// `unknown (why)` and the run goes on: who ran it is worth recording, not worth stopping for. A
/// refused credential (401) is the client's usual fatal [`ApiError::Unauthorized`].
pub async fn recorded(client: &OktaClient) -> Result<String, ApiError> {
    if client.oauth_facts().is_some() {
        let id = client.provenance().and_then(|p| p.client_id.clone());
        return Ok(match id {
            Some(id) => format!("{} (OAuth client)", crate::secret::scrub(&id, &[])),
            None => "unknown (an OAuth client whose client id was not given)".to_string(),
        });
    }
    match client.get_user("me").await {
        Ok(Some(me)) => {
            let who = me.profile.login.unwrap_or(me.id);
            Ok(format!("{} (SSWS token)", crate::secret::scrub(&who, &[])))
        }
        Ok(None) => Ok("unknown (GET /api/v1/users/me answered 404)".to_string()),
        Err(e @ ApiError::Unauthorized { status: 401, .. }) => Err(e),
        Err(e) => {
            tracing::warn!("cannot tell who the API token belongs to; recording it as unknown: {e}");
            Ok(format!("unknown ({})", unknown_reason(&e)))
        }
    }
}

/// Why the identity is unknown, in a few words for a journal header.
fn unknown_reason(e: &ApiError) -> String {
    match e {
        ApiError::Unauthorized { status, code, .. } => {
            format!("GET /api/v1/users/me refused: HTTP {status} {code}; the token may not read users")
        }
        other => format!("GET /api/v1/users/me failed: {other}"),
    }
}

/// The credential's kind, from where it came from or, for a client built by hand, its auth.
fn kind(provenance: &Provenance, client: &OktaClient) -> &'static str {
    match (provenance.kind, client.oauth_facts()) {
        ("", None) => "SSWS",
        ("", Some(_)) => "OAuth",
        (k, _) => k,
    }
}

/// How `whoami` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned `name  value` lines.
    Text,
    /// One JSON object, camelCase keys.
    Json,
}

/// The identity as text lines or a JSON object, ending with a newline.
pub fn render(identity: &Identity, format: Format) -> anyhow::Result<String> {
    if format == Format::Json {
        return Ok(serde_json::to_string_pretty(identity)? + "\n");
    }
    let mut out = String::new();
    let mut line = |name: &str, value: &str| out.push_str(&format!("{name:<12} {value}\n"));
    line("org", &format!("{} (from {})", identity.org, identity.org_source));
    line(
        "credential",
        &format!(
            "{} (from {})",
            identity.credential_kind, identity.credential_source
        ),
    );
    if let Some(login) = &identity.login {
        line("login", login);
    }
    if let Some(id) = &identity.user_id {
        line("userId", id);
    }
    if let Some(id) = &identity.client_id {
        line("clientId", id);
    }
    if let Some(scopes) = &identity.scopes {
        line("scopes", &scopes.join(" "));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin() -> Identity {
        Identity {
            org: "https://acme.okta.com/".into(),
            org_source: "--org".into(),
            credential_kind: "SSWS".into(),
            credential_source: "OKTA_CLIENT_TOKEN".into(),
            login: Some("admin@acme.example".into()),
            user_id: Some("00u1".into()),
            client_id: None,
            scopes: None,
        }
    }

    #[test]
    fn text_names_each_setting_with_its_source() {
        assert_eq!(
            render(&admin(), Format::Text).unwrap(),
            "org          https://acme.okta.com/ (from --org)\n\
             credential   SSWS (from OKTA_CLIENT_TOKEN)\n\
             login        admin@acme.example\n\
             userId       00u1\n"
        );
    }

    #[test]
    fn json_keys_are_camel_case_and_absent_facts_are_left_out() {
        let v: serde_json::Value = serde_json::from_str(&render(&admin(), Format::Json).unwrap()).unwrap();
        assert_eq!(v["orgSource"], "--org");
        assert_eq!(v["credentialKind"], "SSWS");
        assert_eq!(v["userId"], "00u1");
        assert!(v.get("clientId").is_none() && v.get("scopes").is_none());
    }
}
