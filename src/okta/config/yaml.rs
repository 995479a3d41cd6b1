//! okta.yaml as the Okta SDKs write it (keys under `okta.client`), read without ever quoting a
//! line of it in an error (it may hold the token), and the files' places in precedence order.

use super::split_scopes;
use crate::secret::Secret;
use anyhow::Context;
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize)]
struct YamlFile {
    #[serde(default)]
    okta: YamlOkta,
}

#[derive(Debug, Default, Deserialize)]
struct YamlOkta {
    #[serde(default)]
    client: YamlClient,
}

/// `scopes` as the SDKs write it (a YAML list) or as a single string.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(super) enum YamlScopes {
    List(Vec<String>),
    Text(String),
}

impl YamlScopes {
    pub(super) fn into_vec(self) -> Vec<String> {
        match self {
            YamlScopes::List(v) => v.into_iter().flat_map(|s| split_scopes(&s)).collect(),
            YamlScopes::Text(s) => split_scopes(&s),
        }
    }
}

/// The `okta.client` keys this tool reads; the rest are ignored.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct YamlClient {
    pub(super) org_url: Option<String>,
    pub(super) token: Option<Secret<String>>,
    pub(super) authorization_mode: Option<String>,
    pub(super) client_id: Option<String>,
    pub(super) scopes: Option<YamlScopes>,
    pub(super) private_key: Option<Secret<String>>,
    #[serde(alias = "privateKeyId")]
    pub(super) kid: Option<String>,
    pub(super) dpop: Option<bool>,
}

// Secrets in okta.yaml go straight into a `Secret`, never through a printable `String` field.
impl<'de> Deserialize<'de> for Secret<String> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

impl fmt::Debug for YamlClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("YamlClient")
            .field("org_url", &self.org_url)
            .field("token", &self.token)
            .field("authorization_mode", &self.authorization_mode)
            .field("client_id", &self.client_id)
            .field("private_key", &self.private_key)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The `okta.client` section of one okta.yaml; `None` when the file does not exist.
pub(super) fn read_yaml(path: &Path) -> anyhow::Result<Option<YamlClient>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let text = Secret::new(text);
    warn_if_shared(path);
    // serde_norway's errors quote the offending line, which could hold the token: keep only the
    // position.
    let parsed: YamlFile = serde_norway::from_str(text.expose()).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!(" at line {}", l.line()))
            .unwrap_or_default();
        anyhow::anyhow!("{} is not valid okta.yaml{at}", path.display())
    })?;
    Ok(Some(parsed.okta.client))
}

/// Warns when a file holding secrets is readable by group or others.
pub fn warn_if_shared(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(
                    "{} is readable by other users (mode {:o}); run chmod 600 on it",
                    path.display(),
                    meta.permissions().mode() & 0o777
                );
            }
        }
    }
}

/// The okta.yaml files in precedence order.
pub fn yaml_paths() -> Vec<PathBuf> {
    let mut paths = vec![PathBuf::from("okta.yaml")];
    if let Some(home) = std::env::var_os("HOME") {
        paths.push(PathBuf::from(home).join(".okta").join("okta.yaml"));
    }
    paths
}
