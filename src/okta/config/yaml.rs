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
    pub(super) proxy: Option<super::network::YamlProxy>,
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

/// The most an okta.yaml may hold; the SDKs' files are a few hundred bytes.
const MAX_YAML_BYTES: u64 = 1 << 20;

/// The deepest nesting accepted: okta.yaml is three levels deep, and a parser recursing into a
/// hostile file 100k levels deep could exhaust the stack.
const MAX_YAML_DEPTH: usize = 32;

/// The `okta.client` section of one okta.yaml; `None` when the file does not exist. The file
/// decides where the credential is sent, so one that another user could have written is refused
/// ([`check_trusted`]).
pub(super) fn read_yaml(path: &Path) -> anyhow::Result<Option<YamlClient>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    check_trusted(path, &file)?;
    let text = read_capped(path, file)?;
    warn_if_shared(path);
    if nesting_depth(text.expose()) > MAX_YAML_DEPTH {
        anyhow::bail!(
            "{} is nested more than {MAX_YAML_DEPTH} levels deep; okta.yaml needs three",
            path.display()
        );
    }
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

/// At most [`MAX_YAML_BYTES`] of the file, whatever it is (a FIFO or `/dev/zero` too).
fn read_capped(path: &Path, file: std::fs::File) -> anyhow::Result<Secret<String>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    file.take(MAX_YAML_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let bytes = Secret::new(bytes);
    if bytes.expose().len() as u64 > MAX_YAML_BYTES {
        anyhow::bail!(
            "{} is larger than {} KiB; refusing to read it as okta.yaml",
            path.display(),
            MAX_YAML_BYTES / 1024
        );
    }
    let text = std::str::from_utf8(bytes.expose())
        .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", path.display()))?;
    Ok(Secret::new(text.to_string()))
}

/// The deepest nesting of flow collections (`[`, `{`) or indentation levels, counted cheaply
/// before the parser sees the text.
fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for c in text.chars() {
        match c {
            '[' | '{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let indent = text
        .lines()
        .map(|l| l.len() - l.trim_start_matches([' ', '-']).len())
        .max()
        .unwrap_or(0);
    // Two columns per level is the narrowest indentation YAML writers use.
    deepest.max(indent / 2)
}

/// Refuses an okta.yaml that is not a regular file owned by this user, or that the group, other
/// users or another owner of its folder could have replaced: such a file could point the token
/// and the seeds at another host.
pub(super) fn check_trusted(path: &Path, file: &std::fs::File) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = file
            .metadata()
            .with_context(|| format!("cannot read {}", path.display()))?;
        if !meta.is_file() {
            anyhow::bail!("refusing {}: not a regular file", path.display());
        }
        let me = crate::hardening::euid();
        let refuse = |what: &str| -> anyhow::Result<()> {
            anyhow::bail!(
                "refusing {}: {what}, so another user could have written it and redirected the credential; fix its owner and mode (chmod 600, folder not group- or world-writable) or remove it",
                path.display()
            )
        };
        if meta.uid() != me {
            return refuse(&format!(
                "it is owned by uid {}, not by you (uid {me})",
                meta.uid()
            ));
        }
        if meta.mode() & 0o022 != 0 {
            return refuse(&format!(
                "it is writable by group or others (mode {:o})",
                meta.mode() & 0o777
            ));
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let d = std::fs::metadata(&dir)
            .with_context(|| format!("cannot inspect the folder of {}", path.display()))?;
        if d.uid() != me {
            return refuse(&format!(
                "its folder is owned by uid {}, not by you (uid {me})",
                d.uid()
            ));
        }
        if d.mode() & 0o022 != 0 {
            return refuse(&format!(
                "its folder is writable by group or others (mode {:o})",
                d.mode() & 0o777
            ));
        }
    }
    Ok(())
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

/// The okta.yaml files in precedence order (`./okta.yaml` spelled so in messages and sources).
pub fn yaml_paths() -> Vec<PathBuf> {
    let mut paths = vec![PathBuf::from("./okta.yaml")];
    if let Some(home) = std::env::var_os("HOME") {
        paths.push(PathBuf::from(home).join(".okta").join("okta.yaml"));
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str, mode: u32) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join("okta.yaml");
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    #[test]
    fn a_group_writable_okta_yaml_is_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "okta:\n  client:\n    orgUrl: https://evil.example\n",
            0o664,
        );
        let err = format!("{:#}", read_yaml(&p).unwrap_err());
        assert!(
            err.contains("refusing") && err.contains(&p.display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn an_okta_yaml_in_a_world_writable_folder_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "okta:\n  client:\n    orgUrl: https://evil.example\n",
            0o600,
        );
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = format!("{:#}", read_yaml(&p).unwrap_err());
        assert!(err.contains("folder is writable"), "{err}");
    }

    #[test]
    fn a_private_okta_yaml_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "okta:\n  client:\n    orgUrl: https://a.okta.com\n",
            0o600,
        );
        assert_eq!(
            read_yaml(&p).unwrap().unwrap().org_url.as_deref(),
            Some("https://a.okta.com")
        );
    }

    #[test]
    fn deep_or_huge_yaml_is_refused_before_parsing() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), &"[".repeat(100_000), 0o600);
        assert!(format!("{:#}", read_yaml(&p).unwrap_err()).contains("nested"));
        let p = write(dir.path(), &"#".repeat(2 << 20), 0o600);
        assert!(format!("{:#}", read_yaml(&p).unwrap_err()).contains("larger than"));
    }
}
