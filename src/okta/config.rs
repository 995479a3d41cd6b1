//! Where the org URL and the credential come from, following the Okta SDKs' convention so an
//! admin's existing setup works unchanged: flags, then the `OKTA_CLIENT_*` environment, then
//! `./okta.yaml`, then `~/.okta/okta.yaml` (keys under `okta.client`).
//!
//! Two authorization modes, as in the SDKs: `SSWS` (an admin's API token, the default) and
//! `PrivateKey` (an API Services app: client id, a private key, optional `kid` and scopes; see
//! [`crate::okta::oauth`]). Secrets (the token, the private key) are never taken from a flag value:
//! flags show up in `ps` and shell history. `--private-key` takes a path only.

use crate::secret::Secret;
use anyhow::Context;
use reqwest::Url;
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// Environment variable for the org URL.
pub const ENV_ORG: &str = "OKTA_CLIENT_ORGURL";
/// Environment variable for the API token.
pub const ENV_TOKEN: &str = "OKTA_CLIENT_TOKEN";
/// Environment variable for the authorization mode (`SSWS` or `PrivateKey`).
pub const ENV_MODE: &str = "OKTA_CLIENT_AUTHORIZATIONMODE";
/// Environment variable for the OAuth client id.
pub const ENV_CLIENT_ID: &str = "OKTA_CLIENT_CLIENTID";
/// Environment variable for the OAuth scopes (comma or space separated).
pub const ENV_SCOPES: &str = "OKTA_CLIENT_SCOPES";
/// Environment variable for the private key: PEM text, or a path to a PEM file.
pub const ENV_PRIVATE_KEY: &str = "OKTA_CLIENT_PRIVATEKEY";
/// Environment variable for the key id (`kid`) registered with the app.
pub const ENV_KID: &str = "OKTA_CLIENT_KID";
/// Environment variable that turns DPoP on from the start (`true`/`false`).
pub const ENV_DPOP: &str = "OKTA_CLIENT_DPOP";

/// How the client authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// `Authorization: SSWS <API token>`.
    #[default]
    Ssws,
    /// OAuth 2.0 client credentials with `private_key_jwt`.
    PrivateKey,
}

impl std::str::FromStr for AuthMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            m if m.eq_ignore_ascii_case("ssws") => Ok(AuthMode::Ssws),
            m if m.eq_ignore_ascii_case("privatekey") => Ok(AuthMode::PrivateKey),
            other => Err(format!(
                "unknown authorization mode `{other}`: expected SSWS or PrivateKey"
            )),
        }
    }
}

impl fmt::Display for AuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthMode::Ssws => "SSWS",
            AuthMode::PrivateKey => "PrivateKey",
        })
    }
}

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
enum YamlScopes {
    List(Vec<String>),
    Text(String),
}

impl YamlScopes {
    fn into_vec(self) -> Vec<String> {
        match self {
            YamlScopes::List(v) => v.into_iter().flat_map(|s| split_scopes(&s)).collect(),
            YamlScopes::Text(s) => split_scopes(&s),
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct YamlClient {
    org_url: Option<String>,
    token: Option<Secret<String>>,
    authorization_mode: Option<String>,
    client_id: Option<String>,
    scopes: Option<YamlScopes>,
    private_key: Option<Secret<String>>,
    #[serde(alias = "privateKeyId")]
    kid: Option<String>,
    dpop: Option<bool>,
}

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

/// Splits `okta.users.read okta.users.manage` or `a,b` into scopes.
pub fn split_scopes(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A value and where it came from (`--org`, `OKTA_CLIENT_ORGURL`, `./okta.yaml`, `default`).
#[derive(Debug, Clone)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub source: String,
}

/// The connection flags, as given on the command line (all optional).
#[derive(Debug, Default, Clone)]
pub struct Flags {
    /// `--org`.
    pub org: Option<String>,
    /// `--authorization-mode`.
    pub mode: Option<AuthMode>,
    /// `--client-id`.
    pub client_id: Option<String>,
    /// `--scopes`.
    pub scopes: Option<String>,
    /// `--private-key` (a path; never the key itself).
    pub private_key: Option<PathBuf>,
    /// `--kid`.
    pub kid: Option<String>,
    /// `--dpop`.
    pub dpop: bool,
}

/// Everything found, before checking that it is complete: what `ykprov config show` prints.
#[derive(Debug)]
pub struct Settings {
    /// The org URL.
    pub org: Option<Sourced<String>>,
    /// The authorization mode (`SSWS` by default).
    pub mode: Sourced<AuthMode>,
    /// The SSWS API token.
    pub token: Option<Sourced<Secret<String>>>,
    /// The OAuth client id.
    pub client_id: Option<Sourced<String>>,
    /// The scopes the app may request; `None` lets each command ask for what it needs.
    pub scopes: Option<Sourced<Vec<String>>>,
    /// The private key, as PEM text (read from the file when a path was given).
    pub private_key: Option<Sourced<Secret<String>>>,
    /// The key id for the assertion's `kid` header.
    pub kid: Option<Sourced<String>>,
    /// Use DPoP from the first token request.
    pub dpop: Sourced<bool>,
}

/// The OAuth settings of a `PrivateKey` connection.
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    /// The service app's client id.
    pub client_id: String,
    /// Scopes configured for the app; `None` lets each command ask for what it needs.
    pub scopes: Option<Vec<String>>,
    /// PEM text of the private key (RSA or EC P-256).
    pub private_key: Secret<String>,
    /// The registered key id.
    pub kid: Option<String>,
    /// Send DPoP proofs from the first token request.
    pub dpop: bool,
}

/// The credential to authenticate with.
#[derive(Debug, Clone)]
pub enum Credential {
    /// An SSWS API token.
    Ssws(Secret<String>),
    /// An API Services app with `private_key_jwt`.
    PrivateKey(OAuthSettings),
}

/// The resolved, complete connection settings.
#[derive(Debug)]
pub struct Connection {
    /// The org URL.
    pub org: Url,
    /// Where the org URL came from.
    pub org_source: String,
    /// How to authenticate.
    pub credential: Credential,
    /// Where the credential came from (the token's, or the private key's source).
    pub credential_source: String,
}

fn read_yaml(path: &Path) -> anyhow::Result<Option<YamlClient>> {
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

/// The first of flag, environment, then each file that has the value.
fn pick<T>(
    flag: Option<(T, &str)>,
    env: Option<(T, &str)>,
    files: &[(String, YamlClient)],
    get: impl Fn(&YamlClient) -> Option<T>,
) -> Option<Sourced<T>> {
    let sourced = |(value, source): (T, &str)| Sourced {
        value,
        source: source.to_string(),
    };
    flag.map(sourced).or_else(|| env.map(sourced)).or_else(|| {
        files.iter().find_map(|(path, c)| {
            get(c).map(|value| Sourced {
                value,
                source: path.clone(),
            })
        })
    })
}

/// A PEM given inline, or a path to read it from (warning when the file is shared).
fn load_private_key(raw: Sourced<Secret<String>>) -> anyhow::Result<Sourced<Secret<String>>> {
    if raw.value.expose().contains("-----BEGIN") {
        // The SDKs allow a PEM with literal `\n` in an environment variable.
        return Ok(Sourced {
            value: Secret::new(raw.value.expose().replace("\\n", "\n")),
            source: raw.source,
        });
    }
    let path = PathBuf::from(raw.value.expose().trim());
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read the private key file {} (from {})",
            path.display(),
            raw.source
        )
    })?;
    warn_if_shared(&path);
    Ok(Sourced {
        value: Secret::new(text),
        source: format!("{} (file {})", raw.source, path.display()),
    })
}

/// Collects every setting from the flags, the environment and the okta.yaml files.
pub fn gather(
    flags: &Flags,
    env: &dyn Fn(&str) -> Option<String>,
    yaml: &[PathBuf],
) -> anyhow::Result<Settings> {
    let mut files = Vec::new();
    for path in yaml {
        if let Some(client) = read_yaml(path)? {
            files.push((path.display().to_string(), client));
        }
    }
    let env = |k: &'static str| env(k).filter(|s| !s.trim().is_empty()).map(|v| (v, k));
    let org = pick(
        flags.org.clone().map(|o| (o, "--org")),
        env(ENV_ORG),
        &files,
        |c| c.org_url.clone(),
    );
    let mode_text = pick(
        flags.mode.map(|m| (m.to_string(), "--authorization-mode")),
        env(ENV_MODE),
        &files,
        |c| c.authorization_mode.clone(),
    );
    let mode = match mode_text {
        Some(s) => Sourced {
            value: s
                .value
                .parse::<AuthMode>()
                .map_err(|e| anyhow::anyhow!("{e} (from {})", s.source))?,
            source: s.source,
        },
        None => Sourced {
            value: AuthMode::Ssws,
            source: "default".into(),
        },
    };
    let token = pick(
        None,
        env(ENV_TOKEN).map(|(v, k)| (Secret::new(v), k)),
        &files,
        |c| c.token.clone(),
    );
    let client_id = pick(
        flags.client_id.clone().map(|v| (v, "--client-id")),
        env(ENV_CLIENT_ID),
        &files,
        |c| c.client_id.clone(),
    );
    let scopes = pick(
        flags.scopes.as_deref().map(|v| (split_scopes(v), "--scopes")),
        env(ENV_SCOPES).map(|(v, k)| (split_scopes(&v), k)),
        &files,
        |c| c.scopes.clone().map(YamlScopes::into_vec),
    )
    .filter(|s| !s.value.is_empty());
    let private_key = pick(
        flags
            .private_key
            .as_ref()
            .map(|p| (Secret::new(p.display().to_string()), "--private-key")),
        env(ENV_PRIVATE_KEY).map(|(v, k)| (Secret::new(v), k)),
        &files,
        |c| c.private_key.clone(),
    );
    // Only read the key file when it will be used, so an SSWS setup with a stale path still works.
    let private_key = match private_key {
        Some(k) if mode.value == AuthMode::PrivateKey => Some(load_private_key(k)?),
        other => other,
    };
    let kid = pick(
        flags.kid.clone().map(|v| (v, "--kid")),
        env(ENV_KID),
        &files,
        |c| c.kid.clone(),
    );
    let dpop_text = pick(
        flags.dpop.then(|| ("true".to_string(), "--dpop")),
        env(ENV_DPOP),
        &files,
        |c| c.dpop.map(|b| b.to_string()),
    );
    let dpop = match dpop_text {
        Some(s) => Sourced {
            value: parse_bool(&s.value).with_context(|| format!("bad DPoP setting from {}", s.source))?,
            source: s.source,
        },
        None => Sourced {
            value: false,
            source: "default".into(),
        },
    };
    Ok(Settings {
        org,
        mode,
        token,
        client_id,
        scopes,
        private_key,
        kid,
        dpop,
    })
}

fn parse_bool(s: &str) -> anyhow::Result<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        other => anyhow::bail!("expected true or false, got `{other}`"),
    }
}

impl Settings {
    /// Checks that the settings are complete for their mode and builds the [`Connection`].
    pub fn connection(self) -> anyhow::Result<Connection> {
        let Some(org) = self.org else {
            anyhow::bail!("no Okta org given: use --org https://YOUR-ORG.okta.com, set {ENV_ORG}, or put okta.client.orgUrl in okta.yaml")
        };
        let url = Url::parse(org.value.trim())
            .with_context(|| format!("the org URL from {} is not a URL", org.source))?;
        let (credential, credential_source) = match self.mode.value {
            AuthMode::Ssws => {
                let Some(token) = self.token else {
                    anyhow::bail!(
                        "no API token: set {ENV_TOKEN} or put okta.client.token in okta.yaml (never on the command line); or use {ENV_MODE}=PrivateKey"
                    )
                };
                (Credential::Ssws(token.value), token.source)
            }
            AuthMode::PrivateKey => {
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
                (
                    Credential::PrivateKey(OAuthSettings {
                        client_id: client_id.value,
                        scopes: self.scopes.map(|s| s.value),
                        private_key: key.value,
                        kid: self.kid.map(|k| k.value),
                        dpop: self.dpop.value,
                    }),
                    key.source,
                )
            }
        };
        Ok(Connection {
            org: url,
            org_source: org.source,
            credential,
            credential_source,
        })
    }
}

/// Resolves the connection from the flags, the environment and the okta.yaml files.
pub fn resolve(
    flags: &Flags,
    env: &dyn Fn(&str) -> Option<String>,
    yaml: &[PathBuf],
) -> anyhow::Result<Connection> {
    gather(flags, env, yaml)?.connection()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn org_flag(org: &str) -> Flags {
        Flags {
            org: Some(org.to_string()),
            ..Flags::default()
        }
    }

    const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIfake\n-----END PRIVATE KEY-----\n";

    #[test]
    fn flag_beats_environment_and_yaml() {
        let env = |k: &str| match k {
            ENV_ORG => Some("https://env.okta.com".to_string()),
            ENV_TOKEN => Some("env-token".to_string()),
            _ => None,
        };
        let c = resolve(&org_flag("https://flag.okta.com"), &env, &[]).unwrap();
        assert_eq!(c.org.as_str(), "https://flag.okta.com/");
        let Credential::Ssws(token) = &c.credential else {
            panic!("not SSWS")
        };
        assert_eq!(token.expose(), "env-token");
        assert_eq!(c.credential_source, ENV_TOKEN);
        assert_eq!(c.org_source, "--org");
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
        let c = resolve(
            &Flags::default(),
            &no_env,
            &[dir.path().join("missing.yaml"), path],
        )
        .unwrap();
        assert_eq!(c.org.host_str(), Some("yaml.okta.com"));
        let Credential::Ssws(token) = &c.credential else {
            panic!("not SSWS")
        };
        assert_eq!(token.expose(), "yaml-token");
        assert!(format!("{c:?}").contains("[redacted]"));
        assert!(!format!("{c:?}").contains("yaml-token"));
    }

    #[test]
    fn missing_token_says_where_to_put_it() {
        let err = resolve(&org_flag("https://x.okta.com"), &no_env, &[]).unwrap_err();
        assert!(err.to_string().contains(ENV_TOKEN));
    }

    #[test]
    fn broken_yaml_error_does_not_quote_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("okta.yaml");
        std::fs::write(&path, "okta:\n  client:\n    token: [secret-token-value\n").unwrap();
        let err = resolve(&Flags::default(), &no_env, &[path]).unwrap_err();
        assert!(!format!("{err:#}").contains("secret-token-value"));
    }

    #[test]
    fn private_key_mode_takes_each_setting_from_the_highest_source() {
        let dir = tempfile::tempdir().unwrap();
        let local = dir.path().join("local.yaml");
        let home = dir.path().join("home.yaml");
        std::fs::write(
            &local,
            "okta:\n  client:\n    clientId: local-client\n    scopes:\n      - okta.users.read\n",
        )
        .unwrap();
        std::fs::write(
            &home,
            "okta:\n  client:\n    orgUrl: https://home.okta.com\n    authorizationMode: PrivateKey\n    clientId: home-client\n    kid: home-kid\n    scopes: okta.users.manage\n",
        )
        .unwrap();
        let env = |k: &str| match k {
            ENV_PRIVATE_KEY => Some(PEM.replace('\n', "\\n")),
            ENV_KID => Some("env-kid".into()),
            _ => None,
        };
        let flags = Flags {
            kid: Some("flag-kid".into()),
            ..Flags::default()
        };
        let s = gather(&flags, &env, &[local.clone(), home.clone()]).unwrap();
        assert_eq!(s.mode.value, AuthMode::PrivateKey);
        assert_eq!(s.mode.source, home.display().to_string());
        assert_eq!(s.client_id.as_ref().unwrap().value, "local-client");
        assert_eq!(s.scopes.as_ref().unwrap().value, ["okta.users.read"]);
        assert_eq!(s.kid.as_ref().unwrap().source, "--kid");
        let c = s.connection().unwrap();
        let Credential::PrivateKey(o) = c.credential else {
            panic!("not PrivateKey")
        };
        assert_eq!(o.kid.as_deref(), Some("flag-kid"));
        assert_eq!(
            o.private_key.expose(),
            PEM,
            "\\n in the environment becomes a newline"
        );
        assert_eq!(c.credential_source, ENV_PRIVATE_KEY);
        assert!(!o.dpop);
    }

    #[test]
    fn environment_beats_yaml_for_mode_scopes_and_dpop() {
        let dir = tempfile::tempdir().unwrap();
        let y = dir.path().join("okta.yaml");
        std::fs::write(
            &y,
            "okta:\n  client:\n    authorizationMode: SSWS\n    scopes: [a]\n    dpop: false\n",
        )
        .unwrap();
        let env = |k: &str| match k {
            ENV_MODE => Some("privatekey".into()),
            ENV_SCOPES => Some("okta.users.read,okta.users.manage".into()),
            ENV_DPOP => Some("true".into()),
            _ => None,
        };
        let s = gather(&Flags::default(), &env, &[y]).unwrap();
        assert_eq!(s.mode.value, AuthMode::PrivateKey);
        assert_eq!(s.scopes.unwrap().value, ["okta.users.read", "okta.users.manage"]);
        assert!(s.dpop.value);
        assert_eq!(s.dpop.source, ENV_DPOP);
    }

    #[test]
    fn private_key_path_is_read_and_named_in_the_source() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.pem");
        std::fs::write(&key, PEM).unwrap();
        let flags = Flags {
            org: Some("https://x.okta.com".into()),
            mode: Some(AuthMode::PrivateKey),
            client_id: Some("c".into()),
            private_key: Some(key.clone()),
            ..Flags::default()
        };
        let c = resolve(&flags, &no_env, &[]).unwrap();
        assert!(c.credential_source.contains(&key.display().to_string()));
        let Credential::PrivateKey(o) = c.credential else {
            panic!("not PrivateKey")
        };
        assert_eq!(o.private_key.expose(), PEM);
        assert!(o.scopes.is_none());
    }

    #[test]
    fn private_key_mode_names_what_is_missing() {
        let flags = Flags {
            org: Some("https://x.okta.com".into()),
            mode: Some(AuthMode::PrivateKey),
            ..Flags::default()
        };
        let err = resolve(&flags, &no_env, &[]).unwrap_err().to_string();
        assert!(
            err.contains(ENV_CLIENT_ID) && err.contains(ENV_PRIVATE_KEY),
            "{err}"
        );
    }

    #[test]
    fn unknown_mode_is_refused_with_its_source() {
        let env = |k: &str| (k == ENV_MODE).then(|| "Basic".to_string());
        let err = gather(&Flags::default(), &env, &[]).unwrap_err().to_string();
        assert!(err.contains("Basic") && err.contains(ENV_MODE), "{err}");
    }
}
