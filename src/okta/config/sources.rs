//! Gathering each setting from the highest source that has it: a flag, then the `OKTA_CLIENT_*`
//! environment, then each okta.yaml in order. Nothing here checks that the result is complete;
//! that is `resolve`'s job, so `ykprov config show` can print a partial setup.

use super::key::load_private_key;
use super::network::{
    proxy_from, ProxySetting, ENV_CA_FILE, ENV_PROXY_HOST, ENV_PROXY_PASSWORD, ENV_PROXY_PORT,
    ENV_PROXY_USERNAME,
};
use super::yaml::{read_yaml, YamlClient, YamlScopes};
use super::{split_scopes, AuthMode, Flags, Settings, Sourced};
use super::{ENV_CLIENT_ID, ENV_DPOP, ENV_KID, ENV_MODE, ENV_ORG, ENV_PRIVATE_KEY, ENV_SCOPES, ENV_TOKEN};
use crate::secret::Secret;
use anyhow::Context;
use std::path::PathBuf;

/// Collects every setting from the flags, the environment and the okta.yaml files.
pub fn gather(
    flags: &Flags,
    env: &dyn Fn(&str) -> Option<String>,
    yaml: &[PathBuf],
) -> anyhow::Result<Settings> {
    let sources = Sources::read(env, yaml)?;
    let org = sources.pick(
        flags.org.clone().map(|o| (o, "--org")),
        sources.env(ENV_ORG),
        |c| c.org_url.clone(),
    );
    let mode = sources.mode(flags)?;
    let token = sources.pick(
        None,
        sources.env(ENV_TOKEN).map(|(v, k)| (Secret::new(v), k)),
        |c| c.token.clone(),
    );
    let client_id = sources.pick(
        flags.client_id.clone().map(|v| (v, "--client-id")),
        sources.env(ENV_CLIENT_ID),
        |c| c.client_id.clone(),
    );
    let scopes = sources.scopes(flags);
    let private_key = sources.private_key(flags, mode.value)?;
    let kid = sources.pick(
        flags.kid.clone().map(|v| (v, "--kid")),
        sources.env(ENV_KID),
        |c| c.kid.clone(),
    );
    let dpop = sources.dpop(flags)?;
    let proxy = sources.proxy()?;
    let ca_file = sources.pick(
        flags.ca_file.clone().map(|p| (p, "--ca-file")),
        sources.env(ENV_CA_FILE).map(|(v, k)| (PathBuf::from(v), k)),
        |_| None,
    );
    Ok(Settings {
        org,
        mode,
        token,
        client_id,
        scopes,
        private_key,
        kid,
        dpop,
        proxy,
        ca_file,
    })
}

/// The environment and the okta.yaml files that exist, in precedence order.
struct Sources<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    files: Vec<(String, YamlClient)>,
}

impl<'a> Sources<'a> {
    fn read(env: &'a dyn Fn(&str) -> Option<String>, yaml: &[PathBuf]) -> anyhow::Result<Self> {
        let mut files = Vec::new();
        for path in yaml {
            if let Some(client) = read_yaml(path)? {
                files.push((path.display().to_string(), client));
            }
        }
        Ok(Sources { env, files })
    }

    /// A non-blank environment variable, with its name as the source.
    fn env(&self, key: &'static str) -> Option<(String, &'static str)> {
        (self.env)(key).filter(|s| !s.trim().is_empty()).map(|v| (v, key))
    }

    /// The first of flag, environment, then each file that has the value.
    fn pick<T>(
        &self,
        flag: Option<(T, &str)>,
        env: Option<(T, &str)>,
        get: impl Fn(&YamlClient) -> Option<T>,
    ) -> Option<Sourced<T>> {
        let sourced = |(value, source): (T, &str)| Sourced {
            value,
            source: source.to_string(),
        };
        flag.map(sourced).or_else(|| env.map(sourced)).or_else(|| {
            self.files.iter().find_map(|(path, c)| {
                get(c).map(|value| Sourced {
                    value,
                    source: path.clone(),
                })
            })
        })
    }

    /// The authorization mode, `SSWS` by default; a bad value names where it came from.
    fn mode(&self, flags: &Flags) -> anyhow::Result<Sourced<AuthMode>> {
        let text = self.pick(
            flags.mode.map(|m| (m.to_string(), "--authorization-mode")),
            self.env(ENV_MODE),
            |c| c.authorization_mode.clone(),
        );
        let Some(s) = text else {
            return Ok(by_default(AuthMode::Ssws));
        };
        Ok(Sourced {
            value: s
                .value
                .parse::<AuthMode>()
                .map_err(|e| anyhow::anyhow!("{e} (from {})", s.source))?,
            source: s.source,
        })
    }

    /// The scopes, or `None` when no source names any.
    fn scopes(&self, flags: &Flags) -> Option<Sourced<Vec<String>>> {
        self.pick(
            flags.scopes.as_deref().map(|v| (split_scopes(v), "--scopes")),
            self.env(ENV_SCOPES).map(|(v, k)| (split_scopes(&v), k)),
            |c| c.scopes.clone().map(YamlScopes::into_vec),
        )
        .filter(|s| !s.value.is_empty())
    }

    /// The private key: as found, and read from its file only in `PrivateKey` mode, so an SSWS
    /// setup with a stale path still works.
    fn private_key(&self, flags: &Flags, mode: AuthMode) -> anyhow::Result<Option<Sourced<Secret<String>>>> {
        let found = self.pick(
            flags
                .private_key
                .as_ref()
                .map(|p| (Secret::new(p.display().to_string()), "--private-key")),
            self.env(ENV_PRIVATE_KEY).map(|(v, k)| (Secret::new(v), k)),
            |c| c.private_key.clone(),
        );
        match found {
            Some(k) if mode == AuthMode::PrivateKey => Ok(Some(load_private_key(k)?)),
            other => Ok(other),
        }
    }

    /// The SDKs' explicit proxy: all of it from the environment when `OKTA_CLIENT_PROXY_HOST` is
    /// set, else from the first okta.yaml that names a host.
    fn proxy(&self) -> anyhow::Result<Option<Sourced<ProxySetting>>> {
        if let Some((host, source)) = self.env(ENV_PROXY_HOST) {
            let value = proxy_from(
                Some(host),
                self.env(ENV_PROXY_PORT).map(|p| p.0),
                self.env(ENV_PROXY_USERNAME).map(|u| u.0),
                self.env(ENV_PROXY_PASSWORD).map(|p| Secret::new(p.0)),
                source,
            )?;
            return Ok(value.map(|value| Sourced {
                value,
                source: "OKTA_CLIENT_PROXY_*".into(),
            }));
        }
        for (path, client) in &self.files {
            let Some(p) = client.proxy.clone() else { continue };
            if let Some(value) = proxy_from(
                p.host,
                p.port.map(|n| n.to_string()),
                p.username,
                p.password,
                path,
            )? {
                return Ok(Some(Sourced {
                    value,
                    source: path.clone(),
                }));
            }
        }
        Ok(None)
    }

    /// Whether to use DPoP from the first token request, off by default.
    fn dpop(&self, flags: &Flags) -> anyhow::Result<Sourced<bool>> {
        let text = self.pick(
            flags.dpop.then(|| ("true".to_string(), "--dpop")),
            self.env(ENV_DPOP),
            |c| c.dpop.map(|b| b.to_string()),
        );
        let Some(s) = text else {
            return Ok(by_default(false));
        };
        Ok(Sourced {
            value: parse_bool(&s.value).with_context(|| format!("bad DPoP setting from {}", s.source))?,
            source: s.source,
        })
    }
}

/// A value no source gave.
fn by_default<T>(value: T) -> Sourced<T> {
    Sourced {
        value,
        source: "default".into(),
    }
}

fn parse_bool(s: &str) -> anyhow::Result<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        other => anyhow::bail!("expected true or false, got `{other}`"),
    }
}
