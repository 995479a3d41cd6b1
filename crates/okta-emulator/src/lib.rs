//! A local emulator of Okta's YubiKey token API, faithful enough for the official SDKs and
//! hostile enough (rate limits, concurrency limit, latency, 5xx, dropped connections) to prove a
//! client. It backs `ykprov emulate`, the integration tests and `ykprov demo`.
//!
//! # Layout
//!
//! - [`config`]: [`EmulatorConfig`]; [`RateLimit`] lives with the limiter in [`rate_limit`].
//! - [`server`]: the accept loop (`serve(listener, router, header_read_timeout, shutdown)`), able
//!   to drop a connection.
//! - `layers`: request log, concurrency, rate limits, auth, faults: the path every request takes.
//! - `routes`: the endpoints; [`views`] renders stored objects; [`error`] renders Okta errors.
//! - [`state`]: tokens, users and enrollments with their indexes, and the `--state` snapshot.
//! - [`attr`]: the token attributes that [`filter`] and [`pagination`] (the list's `filter`,
//!   `sortBy`, cursors and `Link` headers) both name.
//! - [`rate_limit`], [`faults`], [`log`], [`auth`], [`otp`], [`users`]: one concept each.
//! - [`wire`]: Okta's JSON shapes and headers, and [`fields`]: the upload's four fields, both
//!   written from Okta's documented examples, sharing nothing with the client.
//!
//! - [`quirks`]: the other readings of unconfirmed contract points (`--quirk`).
//! - [`oauth`]: `/oauth2/v1/token` for service apps (`private_key_jwt`, DPoP) and scope checks.
//!
//! It does not emulate anything else of Okta (groups, apps, sessions, user-facing OAuth).

pub mod attr;
pub mod auth;
pub mod config;
pub mod error;
pub mod faults;
pub mod fields;
pub mod filter;
mod layers;
pub mod log;
pub mod oauth;
pub mod otp;
pub mod pagination;
pub mod quirks;
pub mod rate_limit;
mod routes;
pub mod server;
pub mod state;
pub mod users;
pub mod views;
pub mod wire;

pub use config::EmulatorConfig;
pub use log::{Endpoint, LogEntry, RequestLog};
pub use rate_limit::RateLimit;
pub use users::{User, UserStatus};

use anyhow::Context;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// What every handler and layer shares.
pub(crate) struct Shared {
    base_url: String,
    auth: auth::Auth,
    oauth: oauth::OAuthServer,
    store: Mutex<state::Store>,
    limits: rate_limit::Limits,
    concurrency_limit: Option<u32>,
    faults: faults::Faults,
    recorder: log::Recorder,
    max_page_size: u32,
    quirks: quirks::Quirks,
}

/// A running emulator. Dropping it stops the server without saving; call
/// [`EmulatorHandle::shutdown`] to stop gracefully and save `--state`.
pub struct EmulatorHandle {
    url: String,
    shared: Arc<Shared>,
    state_file: Option<PathBuf>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// A fresh API token in Okta's shape (`00` and 40 base-62 characters).
fn generate_token() -> String {
    format!("00{}", users::random_chars(40))
}

/// Starts an emulator on `config.bind` (port 0 picks one) and returns once it accepts connections.
pub async fn spawn(config: EmulatorConfig) -> anyhow::Result<EmulatorHandle> {
    config.validate()?;
    let mut store = match &config.state_file {
        Some(path) if path.exists() => state::Store::load(path)?,
        _ => state::Store::default(),
    };
    if store.users().is_empty() {
        let users = match &config.users_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("failed to read users file {}", path.display()))?;
                users::parse_file(&text, state::now())
                    .map_err(|e| anyhow::anyhow!("users file {}: {e}", path.display()))?
            }
            None => users::generate(config.users, state::now()),
        };
        store.add_users(users);
    }
    let listener = TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("failed to listen on {}", config.bind))?;
    let addr = listener
        .local_addr()
        .context("failed to read the bound address")?;
    let url = format!("http://{addr}");
    let shared = Arc::new(Shared {
        base_url: url.clone(),
        auth: auth::Auth::new(config.token.clone().unwrap_or_else(generate_token)),
        oauth: oauth::OAuthServer::new(
            &config.oauth_clients,
            config.access_token_lifetime,
            config.require_dpop,
        )?
        .with_dpop_quirks(config.quirks.dpop_api_nonce, config.quirks.dpop_stale_after),
        store: Mutex::new(store),
        limits: rate_limit::Limits::new(config.bucket_limits()),
        concurrency_limit: config.concurrency_limit,
        faults: faults::Faults::new(
            config.latency,
            config.latency_jitter,
            config.fail_rate,
            config.drop_after_commit_rate,
            config.fault_seed,
        ),
        recorder: log::Recorder::default(),
        max_page_size: config.max_page_size,
        quirks: config.quirks.clone(),
    });
    let router = routes::router(shared.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server::serve(
        listener,
        router,
        config.header_read_timeout,
        async {
            // A dropped sender (handle dropped) also stops the server.
            let _ = stopped.await;
        },
    ));
    Ok(EmulatorHandle {
        url,
        shared,
        state_file: config.state_file,
        stop: Some(stop),
        task: Some(task),
    })
}

impl EmulatorHandle {
    /// The base URL, `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The SSWS token it accepts.
    pub fn token(&self) -> String {
        self.shared.auth.token()
    }

    /// Replaces the accepted token; the old one gets 401 from now on.
    pub fn set_token(&self, token: &str) {
        self.shared.auth.set_token(token);
    }

    /// Expires every access token issued so far: their next use gets 401.
    pub fn expire_access_tokens(&self) {
        self.shared.oauth.expire_all();
    }

    /// The access tokens issued so far (tests check that none is ever printed or written).
    pub fn access_tokens(&self) -> Vec<String> {
        self.shared.oauth.issued_tokens()
    }

    /// Makes DPoP proofs go stale mid-run: after `n` more DPoP-bound API calls, every proof is
    /// refused (answered as `dpop-error` says), whatever token it binds; `None` ends that.
    pub fn stale_dpop_proofs_after(&self, n: Option<u64>) {
        self.shared.oauth.stale_proofs_after(n);
    }

    /// How many access tokens `/oauth2/v1/token` has issued.
    pub fn access_tokens_issued(&self) -> usize {
        self.shared.oauth.issued_count()
    }

    /// Changes the injected failure rates (clamped to 0..=1) while running.
    pub fn set_faults(&self, fail_rate: f64, drop_after_commit_rate: f64) {
        self.shared.faults.set_rates(fail_rate, drop_after_commit_rate);
    }

    /// Answers the next `times` uploads of `serial` with a 500 or 503 before storing anything,
    /// whatever the failure rate (zero ends that): one row driven to `--max-attempts`. `serial`
    /// is Okta's 12-digit form (`000007886622`); other forms are padded.
    pub fn fail_uploads_of(&self, serial: &str, times: u32) {
        let padded = match fields::SerialNumber::parse(serial) {
            Ok(n) => n.padded(),
            Err(_) => serial.to_string(),
        };
        self.shared.faults.fail_serial(&padded, times);
    }

    /// A snapshot of the request log.
    pub fn log(&self) -> RequestLog {
        self.shared.recorder.snapshot()
    }

    fn store(&self) -> std::sync::MutexGuard<'_, state::Store> {
        self.shared.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A snapshot of the stored tokens as the API shows them, in upload order.
    pub fn tokens(&self) -> Vec<wire::Token> {
        let store = self.store();
        store.all().map(|t| views::token(&self.url, t, None)).collect()
    }

    /// The users, in creation order.
    pub fn users(&self) -> Vec<User> {
        self.store().users()
    }

    /// Enrolls the YubiKey that typed `pass_code` (see [`otp::generate`]) as `user_id`'s factor, over
    /// HTTP exactly as a client would (so it shows in the log and obeys limits and faults).
    /// Returns the factor id (`ykf…`).
    pub async fn enroll(&self, user_id: &str, pass_code: &str) -> anyhow::Result<String> {
        let body = serde_json::json!({
            "factorType": "token:hardware",
            "provider": "YUBICO",
            "verify": { "passCode": pass_code },
        });
        let factor = self
            .call(
                reqwest::Method::POST,
                &format!("/api/v1/users/{user_id}/factors"),
                Some(body),
            )
            .await?;
        factor["id"]
            .as_str()
            .map(str::to_string)
            .context("the enrollment answer has no factor id")
    }

    /// Test aid: marks a user's ACTIVE token BLOCKED while the user stays ACTIVE, the state a
    /// factor reset may leave behind (Okta's behaviour there is unconfirmed; see the contract
    /// notes' Addendum 2). Returns whether a token was changed.
    pub fn block_token_of_active_user(&self, token_id: &str) -> bool {
        self.store().block_keeping_user(token_id, state::now())
    }

    /// Test aid: suspends an ACTIVE user (`GET /api/v1/users/{id}` then says `SUSPENDED`).
    /// Whether one was changed.
    pub fn suspend_user(&self, user_id: &str) -> bool {
        self.store().suspend_user(user_id, state::now())
    }

    /// Deactivates a user over HTTP (`lifecycle/deactivate`); their tokens become BLOCKED.
    pub async fn deactivate_user(&self, user_id: &str) -> anyhow::Result<()> {
        let path = format!("/api/v1/users/{user_id}/lifecycle/deactivate");
        self.call(reqwest::Method::POST, &path, None).await.map(|_| ())
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> anyhow::Result<serde_json::Value> {
        let mut request = reqwest::Client::new()
            .request(method, format!("{}{path}", self.url))
            .header("Authorization", format!("SSWS {}", self.token()));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("request to {path} failed"))?;
        let status = response.status();
        let value: serde_json::Value = response.json().await.unwrap_or_default();
        if !status.is_success() {
            anyhow::bail!(
                "{path}: {status} {} {}",
                value["errorCode"].as_str().unwrap_or_default(),
                value["errorSummary"].as_str().unwrap_or_default()
            );
        }
        Ok(value)
    }

    /// Stops accepting, lets in-flight requests finish (bounded), and saves the state file.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.context("the emulator's server task failed")?;
        }
        if let Some(path) = &self.state_file {
            self.store().save(path)?;
        }
        Ok(())
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
