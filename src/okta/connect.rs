//! `connect`: the one way every command builds its Okta client, from the connection flags, the
//! environment (`OKTA_CLIENT_*`) and okta.yaml, in the Okta SDKs' order of precedence.

use super::pacing::RateSetting;
use super::{config, ClientConfig, OktaClient};
use std::time::Duration;

/// What a command asks of the connection.
#[derive(Debug, Clone)]
pub struct ConnectSettings {
    /// The connection flags as given (all optional; env and okta.yaml fill the rest).
    pub flags: config::Flags,
    /// Time to wait for a connection.
    pub connect_timeout: Duration,
    /// Time to wait for a whole request.
    pub timeout: Duration,
    /// The pace of the token path's bucket (everything the command sends to it).
    pub rate: RateSetting,
    /// The scopes the command needs (least privilege): only `okta.users.read` for reads.
    pub scopes: &'static [&'static str],
}

impl ConnectSettings {
    /// Settings for a command that only reads: Okta's default share of the bucket, read scopes.
    pub fn read_only(flags: config::Flags, connect_timeout: Duration, timeout: Duration) -> Self {
        ConnectSettings {
            flags,
            connect_timeout,
            timeout,
            rate: RateSetting::DEFAULT,
            scopes: super::oauth::READ_SCOPES,
        }
    }
}

/// Builds the client: resolves the org and credential, then applies the timeouts and the pace.
pub fn connect(settings: &ConnectSettings) -> anyhow::Result<OktaClient> {
    let env = |k: &str| std::env::var(k).ok();
    let conn = config::resolve(&settings.flags, &env, &config::yaml_paths())?;
    tracing::debug!(org = %conn.org, org_source = %conn.org_source, credential_source = %conn.credential_source, "connection");
    for warning in connection_warnings(&conn.org, &conn.org_source, &conn.credential_source) {
        tracing::warn!("{warning}");
    }
    let provenance = conn.provenance();
    let mut cfg = ClientConfig::with_credential(conn.org, conn.credential, settings.scopes);
    cfg.provenance = Some(provenance);
    cfg.connect_timeout = settings.connect_timeout.max(Duration::from_secs(1));
    cfg.timeout = settings.timeout.max(Duration::from_secs(1));
    cfg.rate = settings.rate;
    cfg.network = conn.network;
    OktaClient::new(cfg)
}

/// The registrable domains Okta serves orgs from (custom domains exist too, so another host is
/// only warned about).
const OKTA_DOMAINS: &[&str] = &[
    "okta.com",
    "oktapreview.com",
    "okta-emea.com",
    "okta-gov.com",
    "okta.mil",
    "trexcloud.com",
];

/// Where a setting's source lives: the command line, the environment, or one okta.yaml.
fn origin(source: &str) -> &str {
    if source.starts_with("--") {
        "flags"
    } else if source.starts_with("OKTA_CLIENT_") {
        "environment"
    } else {
        // `./okta.yaml`, or `./okta.yaml (file key.pem)` for a key read from a file it names.
        source.split(" (file ").next().unwrap_or(source)
    }
}

/// Whether `host` is one of Okta's own domains or a subdomain of one.
pub fn is_okta_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    OKTA_DOMAINS
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

/// What to tell the operator before anything is sent: an org and a credential from different
/// places (a planted `./okta.yaml` that sets only `orgUrl` sends the real token elsewhere), and an
/// org outside Okta's domains.
pub fn connection_warnings(org: &reqwest::Url, org_source: &str, credential_source: &str) -> Vec<String> {
    let mut out = Vec::new();
    if origin(org_source) != origin(credential_source) && origin(org_source) != "flags" {
        out.push(format!(
            "org from {org_source}, credential from {credential_source}: check that {org} is your org before going on"
        ));
    }
    let host = org.host_str().unwrap_or_default();
    if !super::client::is_loopback(org) && !is_okta_host(host) {
        out.push(format!(
            "{host} is not an Okta domain ({}); make sure it is your org's custom domain",
            OKTA_DOMAINS.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn okta_hosts_are_recognised_and_lookalikes_are_not() {
        assert!(is_okta_host("acme.okta.com"));
        assert!(is_okta_host("acme.oktapreview.com."));
        assert!(!is_okta_host("acme.okta.com.evil.example"));
        assert!(!is_okta_host("evilokta.com"));
    }

    #[test]
    fn an_org_from_another_source_than_the_token_is_named() {
        let org = reqwest::Url::parse("https://acme.okta.com").unwrap();
        let w = connection_warnings(&org, "./okta.yaml", "OKTA_CLIENT_TOKEN");
        assert_eq!(w.len(), 1);
        assert!(
            w[0].starts_with("org from ./okta.yaml, credential from OKTA_CLIENT_TOKEN"),
            "{w:?}"
        );
        assert!(connection_warnings(&org, "--org", "OKTA_CLIENT_TOKEN").is_empty());
        assert!(connection_warnings(&org, "OKTA_CLIENT_ORGURL", "OKTA_CLIENT_TOKEN").is_empty());
        assert!(connection_warnings(&org, "./okta.yaml", "./okta.yaml (file key.pem)").is_empty());
        let elsewhere = reqwest::Url::parse("https://capture.example").unwrap();
        assert_eq!(
            connection_warnings(&elsewhere, "--org", "OKTA_CLIENT_TOKEN").len(),
            1
        );
    }
}
