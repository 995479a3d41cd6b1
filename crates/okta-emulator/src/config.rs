//! The emulator's settings: [`EmulatorConfig`] for the library. A rate limit's own type and
//! parser live with the limiter in [`super::rate_limit`]. Building a config from `ykprov emulate`
//! flags lives in the command layer, so tests can build configs directly.

use super::rate_limit::{BucketLimits, RateLimit};

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// Everything the emulator can be told. `Default` is what tests want: loopback on port 0, a
/// generated token, generous limits, no faults, no users file, nothing persisted.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// Where to listen; port 0 picks a free port.
    pub bind: SocketAddr,
    /// The SSWS token to accept; `None` generates one (read it back with `EmulatorHandle::token`).
    pub token: Option<String>,
    /// Okta's `/api/v1` bucket: one fixed window for every call on the token path (list, get,
    /// upload, delete) and any path without a bucket of its own (`None` = unlimited, no headers).
    pub api_limit: Option<RateLimit>,
    /// The `/api/v1/users` bucket (users, their factors, lifecycle).
    pub users_limit: Option<RateLimit>,
    /// The `/oauth2/v1/token` bucket.
    pub oauth_limit: Option<RateLimit>,
    /// Not Okta's layout: GETs on the token path get a bucket of their own with this limit
    /// (`--get-rate-limit`), for rehearsing a server that buckets by method.
    pub get_limit: Option<RateLimit>,
    /// Not Okta's layout: uploads get a bucket of their own with this limit (`--post-rate-limit`).
    pub post_limit: Option<RateLimit>,
    /// Windows on a fixed grid starting this long after whole multiples of their length since the
    /// epoch (`--window-phase`); `None`: a window opens with the first request after the last.
    pub window_phase: Option<Duration>,
    /// Requests in flight beyond this get a concurrency 429.
    pub concurrency_limit: Option<u32>,
    /// Added to every authenticated request before it is handled.
    pub latency: Duration,
    /// Uniform random extra latency in `0..=latency_jitter`.
    pub latency_jitter: Duration,
    /// Probability (0..=1) of a 500/503 before anything is stored.
    pub fail_rate: f64,
    /// Probability (0..=1) that an upload or a delete is committed and then its connection closed
    /// with no response.
    pub drop_after_commit_rate: f64,
    /// Seed of the fault generator, so a run's faults can be replayed.
    pub fault_seed: u64,
    /// Users to generate when the state file has none.
    pub users: u32,
    /// Users to load instead of generating them: one login per line, optionally
    /// `login,firstName,lastName`; blank lines and `#` comments ignored.
    pub users_file: Option<PathBuf>,
    /// JSON snapshot loaded at start (when it exists) and saved atomically at shutdown.
    pub state_file: Option<PathBuf>,
    /// The largest `limit` honoured for JSON lists (Okta: 200).
    pub max_page_size: u32,
    /// API Services apps that may get access tokens at `/oauth2/v1/token` (`private_key_jwt`).
    pub oauth_clients: Vec<super::oauth::OAuthClient>,
    /// Lifetime of issued access tokens (Okta: fixed at one hour).
    pub access_token_lifetime: Duration,
    /// Refuse token requests without a DPoP proof, as an app with "Require DPoP" does.
    pub require_dpop: bool,
    /// Readings of the unconfirmed contract points other than the default (`--quirk`).
    pub quirks: super::quirks::Quirks,
    /// How long a client may take to send a request's headers before the connection is dropped.
    pub header_read_timeout: Duration,
}

impl EmulatorConfig {
    /// Users generated when the state has none (`ykprov emulate --users`).
    pub const DEFAULT_USERS: u32 = 5;
    /// Lifetime of issued access tokens: Okta's is one hour.
    pub const DEFAULT_ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        let generous = Some(RateLimit::new(100_000, Duration::from_secs(60)));
        EmulatorConfig {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            token: None,
            api_limit: generous,
            users_limit: generous,
            oauth_limit: generous,
            get_limit: None,
            post_limit: None,
            window_phase: None,
            concurrency_limit: None,
            latency: Duration::ZERO,
            latency_jitter: Duration::ZERO,
            fail_rate: 0.0,
            drop_after_commit_rate: 0.0,
            fault_seed: 0,
            users: Self::DEFAULT_USERS,
            users_file: None,
            state_file: None,
            max_page_size: 200,
            oauth_clients: Vec::new(),
            access_token_lifetime: Self::DEFAULT_ACCESS_TOKEN_LIFETIME,
            require_dpop: false,
            quirks: super::quirks::Quirks::default(),
            header_read_timeout: Duration::from_secs(30),
        }
    }
}

impl EmulatorConfig {
    /// Turns every rate limit off (benchmarks).
    pub fn without_rate_limits(mut self) -> Self {
        self.api_limit = None;
        self.users_limit = None;
        self.oauth_limit = None;
        self.get_limit = None;
        self.post_limit = None;
        self
    }

    /// Sets the same limit on each of Okta's buckets, as `--rate-limit` does (and removes any
    /// split of the token path).
    pub fn with_rate_limit(mut self, limit: RateLimit) -> Self {
        self.api_limit = Some(limit);
        self.users_limit = Some(limit);
        self.oauth_limit = Some(limit);
        self.get_limit = None;
        self.post_limit = None;
        self
    }

    /// The limits as the limiter takes them.
    pub fn bucket_limits(&self) -> BucketLimits {
        BucketLimits {
            api: self.api_limit,
            users: self.users_limit,
            oauth: self.oauth_limit,
            split_get: self.get_limit,
            split_post: self.post_limit,
            phase: self.window_phase,
        }
    }

    /// Checks values that the types cannot, naming every problem.
    pub fn validate(&self) -> anyhow::Result<()> {
        let mut problems = Vec::new();
        for (name, rate) in [
            ("fail rate", self.fail_rate),
            ("drop-after-commit rate", self.drop_after_commit_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                problems.push(format!("{name} must be between 0 and 1"));
            }
        }
        if self.concurrency_limit == Some(0) {
            problems.push("concurrency limit must be at least 1".to_string());
        }
        if self.max_page_size == 0 {
            problems.push("max page size must be at least 1".to_string());
        }
        if let Some(t) = &self.token {
            if t.trim().is_empty() || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
                problems.push("the token must be non-empty and contain no whitespace".to_string());
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            anyhow::bail!("invalid emulator settings: {}", problems.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_names_every_problem() {
        let cfg = EmulatorConfig {
            fail_rate: 2.0,
            concurrency_limit: Some(0),
            ..EmulatorConfig::default()
        };
        let msg = cfg.validate().unwrap_err().to_string();
        assert!(msg.contains("fail rate"), "{msg}");
        assert!(msg.contains("concurrency"), "{msg}");
    }
}
