//! The arguments of `ykprov emulate`: where the emulator listens, its token, and how closely it
//! plays Okta (rate limits, latency, failures, the readings of contract points Okta leaves open).

use super::Rate;
use clap::Args;
use okta_emulator::config::EmulatorConfig;
use okta_emulator::rate_limit::parse_duration;
use std::path::PathBuf;
use std::time::Duration;

/// `ykprov emulate`.
///
/// The API token is generated and printed at start, unless --token-file or the environment
/// variable YKPROV_EMULATOR_TOKEN gives one (never a flag, so it does not show in `ps`).
#[derive(Debug, Args, Clone)]
pub struct EmulateArgs {
    /// Address to listen on. Only loopback unless --allow-remote.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: std::net::SocketAddr,
    /// Allow a non-loopback --bind address.
    #[arg(long)]
    pub allow_remote: bool,
    /// Read the API token to accept from this file (first line, trimmed).
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// Load this JSON state at start (if it exists) and save it atomically at shutdown.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Users to generate when the state has none.
    #[arg(long, default_value_t = EmulatorConfig::DEFAULT_USERS, conflicts_with = "users_file")]
    pub users: u32,
    /// Load users from a file instead: one `login[,firstName,lastName]` per line.
    #[arg(long, value_name = "PATH")]
    pub users_file: Option<PathBuf>,
    /// Fixed-window limit of each of Okta's buckets: /api/v1 (the whole token path: list, get,
    /// upload, delete), /api/v1/users, /oauth2/v1/token. A rate as everywhere in ykprov (`10/s`,
    /// `600/min`, `1000/h`), or with the window's length (`600/60s`, `50/500ms`).
    #[arg(long, default_value = "600/60s", value_name = "N/WINDOW")]
    pub rate_limit: Rate,
    /// Gives GETs on the token path a bucket of their own with this limit (not Okta's layout,
    /// which has one bucket for the token path; for rehearsing a server that buckets by method).
    #[arg(long, value_name = "N/WINDOW")]
    pub get_rate_limit: Option<Rate>,
    /// Gives token uploads a bucket of their own with this limit (not Okta's layout).
    #[arg(long, value_name = "N/WINDOW")]
    pub post_rate_limit: Option<Rate>,
    /// Run windows on a fixed clock, each starting MS milliseconds after a whole multiple of its
    /// length since the epoch (taken modulo the window). Without it a window opens with the first
    /// request after the previous one ended.
    #[arg(long, value_name = "MS")]
    pub window_phase: Option<u64>,
    /// No rate limits at all (benchmarks); overrides are ignored.
    #[arg(long, conflicts_with_all = ["get_rate_limit", "post_rate_limit"])]
    pub no_rate_limit: bool,
    /// Requests in flight beyond this get 429 with X-Rate-Limit-Limit 0 (0 = no limit).
    #[arg(long, default_value_t = 75)]
    pub concurrency_limit: u32,
    /// Fixed delay added to every authenticated request (e.g. 5ms).
    #[arg(long, default_value = "0", value_parser = parse_duration)]
    pub latency: Duration,
    /// Random extra delay, uniform in 0..=this.
    #[arg(long, default_value = "0", value_parser = parse_duration)]
    pub latency_jitter: Duration,
    /// Probability (0..1) of a 500/503 before anything is stored.
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Probability (0..1) that an upload or delete is committed and its connection closed with no
    /// response.
    #[arg(long, default_value_t = 0.0)]
    pub drop_after_commit_rate: f64,
    /// Seed for the fault generator, so a run's faults repeat.
    #[arg(long, default_value_t = 0)]
    pub fault_seed: u64,
    /// An API Services app allowed at /oauth2/v1/token: its client id and public key PEM file
    /// (repeatable).
    #[arg(long, value_name = "CLIENT_ID=KEY.pem")]
    pub oauth_client: Vec<String>,
    /// Scopes granted to every --oauth-client app (space or comma separated).
    #[arg(
        long,
        default_value = "okta.users.read okta.users.manage",
        value_name = "SCOPES"
    )]
    pub oauth_scopes: String,
    /// Lifetime of issued access tokens (Okta: 1 h).
    #[arg(long, default_value = "3600s", value_parser = parse_duration)]
    pub access_token_lifetime: Duration,
    /// Require DPoP-bound tokens, as an app with "Require DPoP" does.
    #[arg(long)]
    pub require_dpop: bool,
    /// Serve another reading of a contract point Okta does not document (repeatable):
    /// `soft-delete`, `limit-max-200`, `csv-columns=okta-report|bom|unpadded`,
    /// `dpop-error=400|403`, `dpop-api-nonce`, `dpop-stale-after=N`, `next-drops-params` (see
    /// docs/emulator.md).
    #[arg(long, value_name = "NAME[=VALUE]")]
    pub quirk: Vec<String>,
}
