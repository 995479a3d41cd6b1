//! Where the org URL and the credential come from, following the Okta SDKs' convention so an
//! admin's existing setup works unchanged: flags, then the `OKTA_CLIENT_*` environment, then
//! `./okta.yaml`, then `~/.okta/okta.yaml` (keys under `okta.client`).
//!
//! Two authorization modes, as in the SDKs: `SSWS` (an admin's API token, the default) and
//! `PrivateKey` (an API Services app: client id, a private key, optional `kid` and scopes; see
//! [`crate::okta::oauth`]). Secrets (the token, the private key) are never taken from a flag value:
//! flags show up in `ps` and shell history. `--private-key` takes a path only.
//!
//! This file holds the settings' types; `yaml` reads okta.yaml, `sources` gathers each setting
//! from the highest source that has it ([`gather`]), and `resolve` checks that the result is
//! complete for its mode ([`Settings::connection`], [`resolve()`]).

mod jwk;
mod key;
pub mod network;
mod resolve;
mod sources;
mod yaml;

pub use resolve::resolve;
pub use sources::gather;
pub use yaml::{warn_if_shared, yaml_paths};

use crate::secret::Secret;
use reqwest::Url;
use std::fmt;
use std::path::PathBuf;

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
    /// `--ca-file`: extra CA certificates to trust (PEM).
    pub ca_file: Option<PathBuf>,
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
    /// An explicit proxy (the SDKs' `proxy` settings).
    pub proxy: Option<Sourced<network::ProxySetting>>,
    /// Extra CA certificates to trust (`--ca-file`, else `SSL_CERT_FILE`).
    pub ca_file: Option<Sourced<PathBuf>>,
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
    /// Proxy and trusted CAs.
    pub network: network::Network,
}

/// Where a client's org and credential came from, for messages that say what to fix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    /// Where the org URL came from (`--org`, `OKTA_CLIENT_ORGURL`, an okta.yaml path).
    pub org_source: String,
    /// The credential's kind: `SSWS` or `OAuth`.
    pub kind: &'static str,
    /// Where the credential came from (the token's source, or the private key's).
    pub credential_source: String,
    /// The OAuth app's client id; `None` for an SSWS token.
    pub client_id: Option<String>,
}

impl Provenance {
    /// The credential in words: `the SSWS API token from ./okta.yaml`, or `the OAuth app 0oa1
    /// (private key from OKTA_CLIENT_PRIVATEKEY)`.
    pub fn credential(&self) -> String {
        match &self.client_id {
            Some(id) => format!("the OAuth app {id} (private key from {})", self.credential_source),
            None => format!("the SSWS API token from {}", self.credential_source),
        }
    }
}

impl Connection {
    /// Where this connection's org and credential came from.
    pub fn provenance(&self) -> Provenance {
        let (kind, client_id) = match &self.credential {
            Credential::Ssws(_) => ("SSWS", None),
            Credential::PrivateKey(o) => ("OAuth", Some(o.client_id.clone())),
        };
        Provenance {
            org_source: self.org_source.clone(),
            kind,
            credential_source: self.credential_source.clone(),
            client_id,
        }
    }
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
    fn okta_yaml_proxy_keys_are_read_as_the_sdks_write_them_and_the_environment_wins() {
        let dir = tempfile::tempdir().unwrap();
        let y = dir.path().join("okta.yaml");
        std::fs::write(
            &y,
            "okta:\n  client:\n    proxy:\n      host: proxy.corp\n      port: 3128\n      username: svc\n      password: hunter2\n",
        )
        .unwrap();
        let s = gather(&Flags::default(), &no_env, std::slice::from_ref(&y)).unwrap();
        let p = s.proxy.unwrap();
        assert_eq!(p.value.url(), "http://proxy.corp:3128");
        assert_eq!(p.value.username.as_deref(), Some("svc"));
        assert_eq!(
            p.value.password.as_ref().map(|s| s.expose().as_str()),
            Some("hunter2")
        );
        assert!(!format!("{:?}", p.value).contains("hunter2"));
        let env = |k: &str| match k {
            network::ENV_PROXY_HOST => Some("other.corp".to_string()),
            network::ENV_PROXY_PORT => Some("8080".to_string()),
            _ => None,
        };
        let s = gather(&Flags::default(), &env, &[y]).unwrap();
        assert_eq!(s.proxy.unwrap().value.url(), "http://other.corp:8080");
    }

    #[test]
    fn unknown_mode_is_refused_with_its_source() {
        let env = |k: &str| (k == ENV_MODE).then(|| "Basic".to_string());
        let err = gather(&Flags::default(), &env, &[]).unwrap_err().to_string();
        assert!(err.contains("Basic") && err.contains(ENV_MODE), "{err}");
    }
}
