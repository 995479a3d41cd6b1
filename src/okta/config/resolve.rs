//! From gathered [`Settings`] to a complete [`Connection`]: the org must be a URL and the mode's
//! credential must be whole; every refusal says where to put what is missing.

use super::{gather, AuthMode, Connection, Credential, Flags, OAuthSettings, Settings};
use super::{ENV_CLIENT_ID, ENV_MODE, ENV_ORG, ENV_PRIVATE_KEY, ENV_TOKEN};
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

impl Settings {
    /// Checks that the settings are complete for their mode and builds the [`Connection`].
    pub fn connection(mut self) -> anyhow::Result<Connection> {
        let Some(org) = self.org.take() else {
            anyhow::bail!("no Okta org given: use --org https://YOUR-ORG.okta.com, set {ENV_ORG}, or put okta.client.orgUrl in okta.yaml")
        };
        let url = Url::parse(org.value.trim())
            .with_context(|| format!("the org URL from {} is not a URL", org.source))?;
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
        Ok((Credential::Ssws(token.value), token.source))
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
