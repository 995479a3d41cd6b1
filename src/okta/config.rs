//! Where the org URL and API token come from, following the Okta SDKs' convention so an admin's
//! existing setup works unchanged: `--org` or `OKTA_CLIENT_ORGURL`, token from `OKTA_CLIENT_TOKEN`,
//! then `./okta.yaml`, then `~/.okta/okta.yaml` (`okta.client.orgUrl`, `okta.client.token`).
//! The token is never taken from a flag: flags show up in `ps` and shell history.

use crate::secret::Secret;
use anyhow::Context;
use reqwest::Url;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Environment variable for the org URL.
pub const ENV_ORG: &str = "OKTA_CLIENT_ORGURL";
/// Environment variable for the API token.
pub const ENV_TOKEN: &str = "OKTA_CLIENT_TOKEN";

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

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct YamlClient {
    org_url: Option<String>,
    token: Option<Secret<String>>,
}

impl<'de> Deserialize<'de> for Secret<String> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

impl std::fmt::Debug for YamlClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YamlClient")
            .field("org_url", &self.org_url)
            .field("token", &self.token)
            .finish()
    }
}

/// The resolved connection settings, with where each came from.
#[derive(Debug)]
pub struct Connection {
    /// The org URL.
    pub org: Url,
    /// Where the org URL came from.
    pub org_source: String,
    /// The API token.
    pub token: Secret<String>,
    /// Where the token came from.
    pub token_source: String,
}

fn read_yaml(path: &Path) -> anyhow::Result<Option<YamlClient>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    warn_if_shared(path);
    // serde_norway's errors quote the offending line, which could hold the token: keep only the
    // position.
    let parsed: YamlFile = serde_norway::from_str(&text).map_err(|e| {
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

/// Resolves org and token from the flag, the environment and the okta.yaml files.
pub fn resolve(
    org_flag: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    yaml: &[PathBuf],
) -> anyhow::Result<Connection> {
    let mut files = Vec::new();
    for path in yaml {
        if let Some(client) = read_yaml(path)? {
            files.push((path.display().to_string(), client));
        }
    }
    let (org_raw, org_source) = if let Some(org) = org_flag {
        (org.to_string(), "--org".to_string())
    } else if let Some(org) = env(ENV_ORG).filter(|s| !s.is_empty()) {
        (org, ENV_ORG.to_string())
    } else if let Some((p, c)) = files.iter().find(|(_, c)| c.org_url.is_some()) {
        (c.org_url.clone().unwrap_or_default(), p.clone())
    } else {
        anyhow::bail!("no Okta org given: use --org https://YOUR-ORG.okta.com, set {ENV_ORG}, or put okta.client.orgUrl in okta.yaml")
    };
    let org =
        Url::parse(org_raw.trim()).with_context(|| format!("the org URL from {org_source} is not a URL"))?;
    let (token, token_source) = if let Some(t) = env(ENV_TOKEN).filter(|s| !s.is_empty()) {
        (Secret::new(t), ENV_TOKEN.to_string())
    } else if let Some((p, c)) = files.iter_mut().find(|(_, c)| c.token.is_some()) {
        (
            c.token.take().unwrap_or_else(|| Secret::new(String::new())),
            p.clone(),
        )
    } else {
        anyhow::bail!(
            "no API token: set {ENV_TOKEN} or put okta.client.token in okta.yaml (never on the command line)"
        )
    };
    Ok(Connection {
        org,
        org_source,
        token,
        token_source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn flag_beats_environment_and_yaml() {
        let env = |k: &str| match k {
            ENV_ORG => Some("https://env.okta.com".to_string()),
            ENV_TOKEN => Some("env-token".to_string()),
            _ => None,
        };
        let c = resolve(Some("https://flag.okta.com"), &env, &[]).unwrap();
        assert_eq!(c.org.as_str(), "https://flag.okta.com/");
        assert_eq!(c.token.expose(), "env-token");
        assert_eq!(c.token_source, ENV_TOKEN);
    }

    #[test]
    fn okta_yaml_supplies_org_and_token() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("okta.yaml");
        std::fs::write(
            &path,
            "okta:\n  client:\n    orgUrl: https://yaml.okta.com\n    token: yaml-token\n",
        )
        .unwrap();
        let c = resolve(None, &no_env, &[dir.path().join("missing.yaml"), path]).unwrap();
        assert_eq!(c.org.host_str(), Some("yaml.okta.com"));
        assert_eq!(c.token.expose(), "yaml-token");
        assert!(format!("{c:?}").contains("[redacted]"));
        assert!(!format!("{c:?}").contains("yaml-token"));
    }

    #[test]
    fn missing_token_says_where_to_put_it() {
        let err = resolve(Some("https://x.okta.com"), &no_env, &[]).unwrap_err();
        assert!(err.to_string().contains(ENV_TOKEN));
    }

    #[test]
    fn broken_yaml_error_does_not_quote_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("okta.yaml");
        std::fs::write(&path, "okta:\n  client:\n    token: [secret-token-value\n").unwrap();
        let err = resolve(None, &no_env, &[path]).unwrap_err();
        assert!(!format!("{err:#}").contains("secret-token-value"));
    }
}
