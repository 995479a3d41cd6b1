//! Okta-style fixed-window rate limits, one counter per bucket, and the concurrency gate.
//!
//! A window opens with the first request after the previous one ended (so windows are not
//! aligned to wall-clock minutes, as Okta's are not). Time is passed in as a duration since the
//! Unix epoch so the limiter can be tested without sleeping.

use super::config::RateLimit;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Which counter a request is charged to. GETs and POSTs on the token path are separate buckets,
/// as Okta may bucket by method; everything else shares one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Bucket {
    /// GET on `/api/v1/org/factors/yubikey_token/tokens[/{id}]`.
    TokensGet,
    /// POST on `/api/v1/org/factors/yubikey_token/tokens`.
    TokensPost,
    /// Everything else.
    Other,
}

/// The three `X-Rate-Limit-*` values for one response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateHeaders {
    /// Ceiling (0 for a concurrency 429).
    pub limit: u32,
    /// Requests left in the window.
    pub remaining: u32,
    /// When the window resets, epoch seconds.
    pub reset: u64,
}

/// The decision for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Serve it; put these headers on the response.
    Allow(RateHeaders),
    /// Answer 429 `E0000047` with these headers.
    Reject(RateHeaders),
}

/// One bucket's fixed window.
#[derive(Debug)]
pub struct FixedWindow {
    limit: RateLimit,
    window_start: Option<Duration>,
    used: u32,
}

impl FixedWindow {
    /// An empty window with this limit.
    pub fn new(limit: RateLimit) -> Self {
        FixedWindow {
            limit,
            window_start: None,
            used: 0,
        }
    }

    /// Charges one request at `now` (time since the Unix epoch).
    pub fn check(&mut self, now: Duration) -> Decision {
        let start = match self.window_start {
            Some(start) if now < start + self.limit.window => start,
            _ => {
                self.window_start = Some(now);
                self.used = 0;
                now
            }
        };
        let end = start + self.limit.window;
        // Round up so a client waiting until `reset` is never early.
        let reset = end.as_secs() + u64::from(end.subsec_nanos() > 0);
        if self.used >= self.limit.limit {
            return Decision::Reject(RateHeaders {
                limit: self.limit.limit,
                remaining: 0,
                reset,
            });
        }
        self.used += 1;
        Decision::Allow(RateHeaders {
            limit: self.limit.limit,
            remaining: self.limit.limit - self.used,
            reset,
        })
    }
}

/// The three buckets' windows. Each sits behind its own std `Mutex`, held only to bump a counter.
pub struct Limits {
    get: Option<Mutex<FixedWindow>>,
    post: Option<Mutex<FixedWindow>>,
    other: Option<Mutex<FixedWindow>>,
}

impl Limits {
    /// Limits per bucket; `None` means unlimited (and no rate headers).
    pub fn new(get: Option<RateLimit>, post: Option<RateLimit>, other: Option<RateLimit>) -> Self {
        let w = |l: Option<RateLimit>| l.map(|l| Mutex::new(FixedWindow::new(l)));
        Limits {
            get: w(get),
            post: w(post),
            other: w(other),
        }
    }

    /// Charges one request to `bucket` now; `None` when that bucket is unlimited.
    pub fn check(&self, bucket: Bucket) -> Option<Decision> {
        let window = match bucket {
            Bucket::TokensGet => &self.get,
            Bucket::TokensPost => &self.post,
            Bucket::Other => &self.other,
        };
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        window
            .as_ref()
            .map(|w| w.lock().unwrap_or_else(PoisonError::into_inner).check(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn window_allows_limit_then_rejects_until_reset() {
        let mut w = FixedWindow::new(RateLimit::new(3, Duration::from_secs(60)));
        let t0 = 1_700_000_000.5;
        let remaining: Vec<_> = (0..3)
            .map(|i| match w.check(secs(t0 + f64::from(i))) {
                Decision::Allow(h) => h.remaining,
                Decision::Reject(_) => panic!("rejected early"),
            })
            .collect();
        assert_eq!(remaining, [2, 1, 0]);
        let Decision::Reject(h) = w.check(secs(t0 + 59.0)) else {
            panic!("allowed over the limit")
        };
        assert_eq!((h.limit, h.remaining), (3, 0));
        assert_eq!(h.reset, 1_700_000_061, "window end rounded up to whole seconds");
        // A new window opens once the old one is over.
        assert!(matches!(
            w.check(secs(t0 + 60.0)),
            Decision::Allow(RateHeaders { remaining: 2, .. })
        ));
    }

    #[test]
    fn short_windows_work_for_benches() {
        let mut w = FixedWindow::new(RateLimit::new(100, Duration::from_secs(1)));
        let allowed = (0..250)
            .filter(|i| matches!(w.check(secs(10.0 + f64::from(*i) * 0.001)), Decision::Allow(_)))
            .count();
        assert_eq!(allowed, 100, "250 requests in 250 ms: one window");
        assert!(matches!(w.check(secs(11.0)), Decision::Allow(_)));
    }
}
