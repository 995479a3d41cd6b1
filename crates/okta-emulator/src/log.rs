//! The request log the tests read: counts per endpoint, 429s served, the highest number of
//! requests in flight, POSTs per serial, and one entry per request for pacing checks.

use super::rate_limit::Bucket;
use axum::http::Method;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Which operation a request was, from its method and path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Endpoint {
    /// `GET .../tokens`.
    ListTokens,
    /// `POST .../tokens`.
    UploadToken,
    /// `GET .../tokens/{id}`.
    GetToken,
    /// `DELETE .../tokens/{id}`.
    DeleteToken,
    /// `GET /api/v1/users/{id}`.
    GetUser,
    /// `POST /api/v1/users/{id}/factors`.
    EnrollFactor,
    /// `GET /api/v1/users/{id}/factors`.
    ListFactors,
    /// `GET /api/v1/users/{id}/factors/{fid}`.
    GetFactor,
    /// `DELETE /api/v1/users/{id}/factors/{fid}`.
    DeleteFactor,
    /// `POST /api/v1/users/{id}/lifecycle/deactivate`.
    DeactivateUser,
    /// `POST /oauth2/v1/token`.
    OAuthToken,
    /// Anything else (404/405).
    Other,
}

impl Endpoint {
    /// Classifies a request.
    pub fn classify(method: &Method, path: &str) -> Endpoint {
        let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        // `/tokens/` or `//`: no route matches an empty segment.
        if segs.iter().any(|s| s.is_empty()) {
            return Endpoint::Other;
        }
        let m = method.as_str();
        match (m, segs.as_slice()) {
            ("GET", ["api", "v1", "org", "factors", "yubikey_token", "tokens"]) => Endpoint::ListTokens,
            ("POST", ["api", "v1", "org", "factors", "yubikey_token", "tokens"]) => Endpoint::UploadToken,
            ("GET", ["api", "v1", "org", "factors", "yubikey_token", "tokens", _]) => Endpoint::GetToken,
            ("DELETE", ["api", "v1", "org", "factors", "yubikey_token", "tokens", _]) => {
                Endpoint::DeleteToken
            }
            ("GET", ["api", "v1", "users", _]) => Endpoint::GetUser,
            ("POST", ["api", "v1", "users", _, "factors"]) => Endpoint::EnrollFactor,
            ("GET", ["api", "v1", "users", _, "factors"]) => Endpoint::ListFactors,
            ("GET", ["api", "v1", "users", _, "factors", _]) => Endpoint::GetFactor,
            ("DELETE", ["api", "v1", "users", _, "factors", _]) => Endpoint::DeleteFactor,
            ("POST", ["api", "v1", "users", _, "lifecycle", "deactivate"]) => Endpoint::DeactivateUser,
            ("POST", ["oauth2", "v1", "token"]) => Endpoint::OAuthToken,
            _ => Endpoint::Other,
        }
    }
}

/// One request, as seen by the emulator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// When it arrived, since the emulator started.
    pub at: Duration,
    /// HTTP method.
    pub method: String,
    /// Operation.
    pub endpoint: Endpoint,
    /// Status sent; `None` when no response was sent (dropped after commit, or the client left).
    pub status: Option<u16>,
    /// The rate-limit window it was counted in (served or refused with a 429); `None` when its
    /// bucket is unlimited or it never reached the rate limit (a concurrency 429).
    pub window: Option<Window>,
}

/// One rate-limit window of one bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Window {
    /// The bucket.
    pub bucket: Bucket,
    /// The window's number within the bucket (see `rate_limit::FixedWindow::check`).
    pub seq: u64,
}

/// A snapshot of what the emulator has served.
#[derive(Clone, Debug, Default)]
pub struct RequestLog {
    /// Requests per operation (all outcomes).
    pub counts: HashMap<Endpoint, u64>,
    /// 429s served, rate limit and concurrency together.
    pub served_429: u64,
    /// The subset of `served_429` caused by the concurrency limit.
    pub served_concurrency_429: u64,
    /// 401s served.
    pub served_401: u64,
    /// Injected 500/503s.
    pub failed: u64,
    /// Uploads stored (and token deletes committed) and then answered by closing the connection.
    pub dropped_after_commit: u64,
    /// Highest number of requests in flight at once (rejected-for-concurrency ones excluded).
    pub max_in_flight: u32,
    /// Upload requests that reached the handler, by 12-digit serial (duplicates included;
    /// requests refused earlier by auth, limits or injected failures are not).
    pub posts_per_serial: HashMap<String, u32>,
    /// Uploads actually stored, by 12-digit serial (more than 1 only after a delete).
    pub stored_per_serial: HashMap<String, u32>,
    /// Uploads answered with a 5xx because a test asked for that serial to fail
    /// ([`super::EmulatorHandle::fail_uploads_of`]), by 12-digit serial; counted in `failed`
    /// too, not in `posts_per_serial`.
    pub failed_per_serial: HashMap<String, u32>,
    /// Every request in arrival order.
    pub entries: Vec<LogEntry>,
}

impl RequestLog {
    /// Requests to one operation.
    pub fn count(&self, endpoint: Endpoint) -> u64 {
        self.counts.get(&endpoint).copied().unwrap_or(0)
    }

    /// Entries for one operation.
    pub fn entries_for(&self, endpoint: Endpoint) -> impl Iterator<Item = &LogEntry> {
        self.entries.iter().filter(move |e| e.endpoint == endpoint)
    }

    /// How many requests arrived in each rate-limit window, 429s included: what the server
    /// counted, so a test can check a client's share of a bucket window by window.
    pub fn per_window(&self) -> std::collections::BTreeMap<Window, u64> {
        let mut counts = std::collections::BTreeMap::new();
        for w in self.entries.iter().filter_map(|e| e.window) {
            *counts.entry(w).or_default() += 1;
        }
        counts
    }
}

/// How a finished request should be counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    /// Nothing special.
    None,
    /// A concurrency 429.
    Concurrency,
    /// An injected 5xx.
    Injected,
    /// Dropped after commit.
    Dropped,
}

/// Collects the log. The mutex is held only to update counters, never across an await.
pub struct Recorder {
    started: Instant,
    in_flight: AtomicU32,
    max_in_flight: AtomicU32,
    log: Mutex<RequestLog>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            started: Instant::now(),
            in_flight: AtomicU32::new(0),
            max_in_flight: AtomicU32::new(0),
            log: Mutex::new(RequestLog::default()),
        }
    }
}

impl Recorder {
    fn lock(&self) -> MutexGuard<'_, RequestLog> {
        // Counters stay meaningful even if a holder panicked.
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Time since start, for entries.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Tries to take an in-flight slot; `false` (and nothing taken) when over `limit`.
    pub fn enter(&self, limit: Option<u32>) -> bool {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        if limit.is_some_and(|l| now > l) {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            return false;
        }
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        true
    }

    /// Releases a slot taken by [`Recorder::enter`].
    pub fn leave(&self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    /// Records a finished (or dropped) request.
    pub fn finish(&self, mut entry: LogEntry, special: Special) {
        let mut log = self.lock();
        *log.counts.entry(entry.endpoint).or_default() += 1;
        match entry.status {
            Some(429) => log.served_429 += 1,
            Some(401) => log.served_401 += 1,
            _ => {}
        }
        match special {
            Special::Concurrency => log.served_concurrency_429 += 1,
            Special::Injected => log.failed += 1,
            Special::Dropped => {
                log.dropped_after_commit += 1;
                entry.status = None;
            }
            Special::None => {}
        }
        log.entries.push(entry);
    }

    /// Counts an upload that reached the handler, and whether it was stored.
    pub fn upload(&self, serial: &str, stored: bool) {
        let mut log = self.lock();
        *log.posts_per_serial.entry(serial.to_string()).or_default() += 1;
        if stored {
            *log.stored_per_serial.entry(serial.to_string()).or_default() += 1;
        }
    }

    /// Counts an upload of `serial` answered with a 5xx by [`super::EmulatorHandle::fail_uploads_of`].
    pub fn serial_failure(&self, serial: &str) {
        let mut log = self.lock();
        log.failed += 1;
        *log.failed_per_serial.entry(serial.to_string()).or_default() += 1;
    }

    /// A copy of the log.
    pub fn snapshot(&self) -> RequestLog {
        let mut log = self.lock().clone();
        log.max_in_flight = self.max_in_flight.load(Ordering::SeqCst);
        log
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_classify_into_endpoints() {
        let t = "/api/v1/org/factors/yubikey_token/tokens";
        assert_eq!(Endpoint::classify(&Method::GET, t), Endpoint::ListTokens);
        assert_eq!(Endpoint::classify(&Method::POST, t), Endpoint::UploadToken);
        assert_eq!(
            Endpoint::classify(&Method::GET, &format!("{t}/ykk1")),
            Endpoint::GetToken
        );
        assert_eq!(Endpoint::classify(&Method::PUT, t), Endpoint::Other);
        assert_eq!(
            Endpoint::classify(&Method::GET, &format!("{t}/")),
            Endpoint::Other
        );
        assert_eq!(
            Endpoint::classify(&Method::POST, "/api/v1/users/00u1/lifecycle/deactivate"),
            Endpoint::DeactivateUser
        );
    }

    #[test]
    fn concurrency_gate_tracks_the_maximum() {
        let r = Recorder::default();
        assert!(r.enter(Some(2)) && r.enter(Some(2)));
        assert!(!r.enter(Some(2)));
        r.leave();
        assert!(r.enter(Some(2)));
        assert_eq!(r.snapshot().max_in_flight, 2);
    }
}
