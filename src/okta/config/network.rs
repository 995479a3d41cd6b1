//! How requests reach the org: an explicit proxy as the Okta SDKs configure one
//! (`okta.client.proxy.{host,port,username,password}` in okta.yaml, `OKTA_CLIENT_PROXY_*` in the
//! environment), and extra trusted CA certificates (`--ca-file`, else `SSL_CERT_FILE`) for a
//! private CA or a TLS-inspecting proxy. There is deliberately no way to turn certificate checks
//! off.

use crate::secret::Secret;
use serde::Deserialize;
use std::path::PathBuf;

/// Environment variables of the SDKs' proxy settings.
pub const ENV_PROXY_HOST: &str = "OKTA_CLIENT_PROXY_HOST";
/// The proxy's port.
pub const ENV_PROXY_PORT: &str = "OKTA_CLIENT_PROXY_PORT";
/// The proxy's user name.
pub const ENV_PROXY_USERNAME: &str = "OKTA_CLIENT_PROXY_USERNAME";
/// The proxy's password.
pub const ENV_PROXY_PASSWORD: &str = "OKTA_CLIENT_PROXY_PASSWORD";
/// The conventional variable naming a PEM bundle of CA certificates to trust.
pub const ENV_CA_FILE: &str = "SSL_CERT_FILE";

/// An explicit HTTP proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySetting {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// User name for basic authentication, if any.
    pub username: Option<String>,
    /// Password for basic authentication, if any.
    pub password: Option<Secret<String>>,
}

impl ProxySetting {
    /// `http://host:port`, never with the credentials.
    pub fn url(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }
}

/// The network settings a client is built with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Network {
    /// An explicit proxy; `None` leaves `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` to decide.
    pub proxy: Option<ProxySetting>,
    /// PEM files of CA certificates trusted besides the system's and the bundled roots.
    pub ca_files: Vec<PathBuf>,
}

/// `okta.client.proxy` in okta.yaml.
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct YamlProxy {
    pub(super) host: Option<String>,
    pub(super) port: Option<u16>,
    pub(super) username: Option<String>,
    pub(super) password: Option<Secret<String>>,
}

/// The proxy from its parts, wherever each came from; a host without a port is an error.
pub(super) fn proxy_from(
    host: Option<String>,
    port: Option<String>,
    username: Option<String>,
    password: Option<Secret<String>>,
    source: &str,
) -> anyhow::Result<Option<ProxySetting>> {
    let Some(host) = host.filter(|h| !h.trim().is_empty()) else {
        return Ok(None);
    };
    let port = port
        .ok_or_else(|| anyhow::anyhow!("the proxy host from {source} has no port"))?
        .trim()
        .parse::<u16>()
        .map_err(|_| anyhow::anyhow!("the proxy port from {source} is not a port number"))?;
    Ok(Some(ProxySetting {
        host: host.trim().to_string(),
        port,
        username: username.filter(|u| !u.is_empty()),
        password,
    }))
}

/// A proxy URL from `HTTPS_PROXY`/`HTTP_PROXY` without its user info, for showing.
pub fn without_credentials(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let had = !u.username().is_empty() || u.password().is_some();
            let _ = u.set_username("");
            let _ = u.set_password(None);
            let shown = u.to_string();
            if had {
                format!("{shown} (credentials hidden)")
            } else {
                shown
            }
        }
        Err(_) => "(not a URL)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_needs_a_host_and_a_port() {
        assert_eq!(
            proxy_from(None, Some("8080".into()), None, None, "x").unwrap(),
            None
        );
        let p = proxy_from(Some("proxy.corp".into()), Some("3128".into()), None, None, "x")
            .unwrap()
            .unwrap();
        assert_eq!(p.url(), "http://proxy.corp:3128");
        assert!(proxy_from(Some("proxy.corp".into()), None, None, None, "x").is_err());
        assert!(proxy_from(Some("proxy.corp".into()), Some("x".into()), None, None, "x").is_err());
    }

    #[test]
    fn proxy_credentials_are_never_shown() {
        let shown = without_credentials("http://user:pa55@proxy.corp:3128");
        assert!(!shown.contains("pa55") && !shown.contains("user"), "{shown}");
        assert!(shown.contains("proxy.corp:3128") && shown.contains("hidden"));
    }
}
