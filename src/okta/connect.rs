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
            rate: RateSetting::Auto { share: 0.5 },
            scopes: super::oauth::READ_SCOPES,
        }
    }
}

/// Builds the client: resolves the org and credential, then applies the timeouts and the pace.
pub fn connect(settings: &ConnectSettings) -> anyhow::Result<OktaClient> {
    let env = |k: &str| std::env::var(k).ok();
    let conn = config::resolve(&settings.flags, &env, &config::yaml_paths())?;
    tracing::debug!(org = %conn.org, org_source = %conn.org_source, credential_source = %conn.credential_source, "connection");
    let mut cfg = ClientConfig::with_credential(conn.org, conn.credential, settings.scopes);
    cfg.connect_timeout = settings.connect_timeout.max(Duration::from_secs(1));
    cfg.timeout = settings.timeout.max(Duration::from_secs(1));
    cfg.rate = settings.rate;
    OktaClient::new(cfg)
}
