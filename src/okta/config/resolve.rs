//! From gathered [`Settings`] to a complete [`Connection`]: the org must be a URL and the mode's
//! credential must be whole; every refusal says where to put what is missing.

use super::{gather, AuthMode, Connection, Credential, Flags, OAuthSettings, Settings};
use super::{ENV_CLIENT_ID, ENV_MODE, ENV_ORG, ENV_PRIVATE_KEY, ENV_TOKEN};
use crate::secret::Secret;
use anyhow::Context;
use reqwest::Url;
use std::path::PathBuf;

/// Resolves the connection from the flags, the environment and the okta.yaml files.
pub fn resolve(
    flags: &Flags,
    env: &dyn Fn(&str) -> Option<String>,
    yaml: &[PathBuf],
) -> anyhow::Result<Connection> {
    gather(flags, env, yaml)?.connection()
}

/// The org URL; a bare host (`acme.okta.com`) gets "did you mean `https://acme.okta.com`" rather
/// than the URL parser's "relative URL without a base".
fn parse_org(text: &str, source: &str) -> anyhow::Result<Url> {
    if !text.contains("://") {
        let host = text.trim_end_matches('/');
        let looks_like_host = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
        if looks_like_host {
            anyhow::bail!("the org URL `{host}` from {source} has no scheme: did you mean https://{host}");
        }
    }
    Url::parse(text).with_context(|| format!("the org URL from {source} is not a URL"))
}

/// The token without the whitespace around it (a trailing newline from `$(cat file)` or a file
/// saved by an editor) or an `SSWS ` prefix copied from a header: each is dropped with a warning
/// naming the source, never the token.
fn clean_token(token: Secret<String>, source: &str) -> Secret<String> {
    let raw = token.expose();
    let mut value = raw.trim();
    if value.len() != raw.len() {
        tracing::warn!(
            "the API token from {source} had whitespace around it (a trailing newline?); it was trimmed"
        );
    }
    // `get` rather than slicing: the token's fifth byte may fall inside a character.
    if let Some(rest) = value
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("ssws "))
        .and_then(|_| value.get(5..))
    {
        tracing::warn!("the API token from {source} starts with `SSWS `; that is the header's prefix, not part of the token, so it was dropped");
        value = rest.trim_start();
    }
    if value.len() == raw.len() {
        return token;
    }
    Secret::new(value.to_string())
}

impl Settings {
    /// Checks that the settings are complete for their mode and builds the [`Connection`].
    pub fn connection(mut self) -> anyhow::Result<Connection> {
        let Some(org) = self.org.take() else {
            anyhow::bail!("no Okta org given: use --org https://YOUR-ORG.okta.com, set {ENV_ORG}, or put okta.client.orgUrl in okta.yaml")
        };
        let url = parse_org(org.value.trim(), &org.source)?;
        let network = super::network::Network {
            proxy: self.proxy.take().map(|p| p.value),
            ca_files: self.ca_file.take().map(|c| c.value).into_iter().collect(),
        };
        let (credential, credential_source) = match self.mode.value {
            AuthMode::Ssws => self.ssws_credential()?,
            AuthMode::PrivateKey => self.oauth_credential()?,
        };
        Ok(Connection {
            org: url,
            org_source: org.source,
            credential,
            credential_source,
            network,
        })
    }

    /// The API token and where it came from.
    fn ssws_credential(self) -> anyhow::Result<(Credential, String)> {
        let Some(token) = self.token else {
            anyhow::bail!(
                "no API token: set {ENV_TOKEN} or put okta.client.token in okta.yaml (never on the command line); or use {ENV_MODE}=PrivateKey"
            )
        };
        let value = clean_token(token.value, &token.source);
        if value.expose().is_empty() {
            anyhow::bail!("the API token from {} is empty: set {ENV_TOKEN} or okta.client.token to the token Okta showed when it was created", token.source)
        }
        Ok((Credential::Ssws(value), token.source))
    }

    /// The service app's settings and where its key came from; names everything missing at once.
    fn oauth_credential(self) -> anyhow::Result<(Credential, String)> {
        let mut missing = Vec::new();
        if self.client_id.is_none() {
            missing.push(format!(
                "the client id ({ENV_CLIENT_ID}, okta.client.clientId or --client-id)"
            ));
        }
        if self.private_key.is_none() {
            missing.push(format!(
                "the private key ({ENV_PRIVATE_KEY}, okta.client.privateKey or --private-key PATH)"
            ));
        }
        let (Some(client_id), Some(key)) = (self.client_id, self.private_key) else {
            anyhow::bail!(
                "authorization mode PrivateKey (from {}) needs {}",
                self.mode.source,
                missing.join(" and ")
            )
        };
        let settings = OAuthSettings {
            client_id: client_id.value,
            scopes: self.scopes.map(|s| s.value),
            private_key: key.value,
            kid: self.kid.map(|k| k.value),
            dpop: self.dpop.value,
        };
        Ok((Credential::PrivateKey(settings), key.source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_host_gets_did_you_mean_and_a_url_is_taken_as_is() {
        let err = parse_org("acme.okta.com/", "OKTA_CLIENT_ORGURL").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the org URL `acme.okta.com` from OKTA_CLIENT_ORGURL has no scheme: did you mean https://acme.okta.com"
        );
        assert_eq!(
            parse_org("https://acme.okta.com", "--org").unwrap().as_str(),
            "https://acme.okta.com/"
        );
        let err = format!("{:#}", parse_org("not a url", "--org").unwrap_err());
        assert!(err.starts_with("the org URL from --org is not a URL"), "{err}");
    }

    #[test]
    fn whitespace_and_an_ssws_prefix_are_dropped_from_a_token() {
        let clean = |t: &str| clean_token(Secret::new(t.to_string()), "x").expose().clone();
        assert_eq!(clean("00abc\n"), "00abc");
        assert_eq!(clean("SSWS 00abc"), "00abc");
        assert_eq!(clean(" ssws  00abc\r\n"), "00abc");
        assert_eq!(clean("00abc"), "00abc");
        // A multi-byte character where the prefix would end must not panic.
        assert_eq!(clean("SSWé00"), "SSWé00");
    }
}
