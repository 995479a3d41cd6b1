//! Okta-style fixed-window rate limits: the [`RateLimit`] setting and its `600/60s` parser, and
//! the limiter that keeps one counter per [`Bucket`].
//!
//! A window opens with the first request after the previous one ended (so windows are not
//! aligned to wall-clock minutes, as Okta's are not). Time is passed in as a duration since the
//! Unix epoch so the limiter can be tested without sleeping. The concurrency limit is not a rate:
//! the request log counts requests in flight (`log`).

use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A fixed-window rate limit: at most `limit` requests per `window`, per bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: u32,
    /// Window length.
    pub window: Duration,
}

impl RateLimit {
    /// `limit` requests per `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimit { limit, window }
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}ms", self.limit, self.window.as_millis())
    }
}

/// Why a `--rate-limit` or duration value was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not `N/DURATION`.
    #[error("expected LIMIT/WINDOW, e.g. 600/60s or 100/1s")]
    RateShape,
    /// The limit is not a positive integer.
    #[error("the limit must be a positive integer")]
    RateLimitValue,
    /// A window of zero would divide nothing.
    #[error("the window must be longer than zero")]
    ZeroWindow,
    /// Not a number followed by ms, s or m.
    #[error("expected a duration such as 5ms, 1s or 2m")]
    Duration,
}

impl FromStr for RateLimit {
    type Err = ParseError;

    /// Parses `600/60s`, `100/1s`, `50/500ms` (a bare number of seconds is accepted too).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (limit, window) = s.trim().split_once('/').ok_or(ParseError::RateShape)?;
        let limit: u32 = limit.trim().parse().map_err(|_| ParseError::RateLimitValue)?;
        if limit == 0 {
            return Err(ParseError::RateLimitValue);
        }
        let window = parse_duration(window)?;
        if window.is_zero() {
            return Err(ParseError::ZeroWindow);
        }
        Ok(RateLimit { limit, window })
    }
}

/// Parses `0`, `5ms`, `1s`, `1.5s`, `2m`; a bare number means seconds.
pub fn parse_duration(s: &str) -> Result<Duration, ParseError> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let value: f64 = num.parse().map_err(|_| ParseError::Duration)?;
    let secs = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        _ => return Err(ParseError::Duration),
    };
    // try_from rejects NaN, negatives and absurdly large values instead of panicking.
    Duration::try_from_secs_f64(secs).map_err(|_| ParseError::Duration)
}

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

    #[test]
    fn rate_limit_parses_okta_style_windows() {
        assert_eq!(
            "600/60s".parse::<RateLimit>().unwrap(),
            RateLimit::new(600, Duration::from_secs(60))
        );
        assert_eq!(
            "100/1s".parse::<RateLimit>().unwrap(),
            RateLimit::new(100, Duration::from_secs(1))
        );
        assert_eq!(
            "5/250ms".parse::<RateLimit>().unwrap().window,
            Duration::from_millis(250)
        );
        assert_eq!(
            "600/1m".parse::<RateLimit>().unwrap().window,
            Duration::from_secs(60)
        );
    }

    #[test]
    fn bad_rate_limits_are_refused() {
        assert_eq!("600".parse::<RateLimit>(), Err(ParseError::RateShape));
        assert_eq!("0/1s".parse::<RateLimit>(), Err(ParseError::RateLimitValue));
        assert_eq!("x/1s".parse::<RateLimit>(), Err(ParseError::RateLimitValue));
        assert_eq!("10/0s".parse::<RateLimit>(), Err(ParseError::ZeroWindow));
        assert_eq!("10/1h".parse::<RateLimit>(), Err(ParseError::Duration));
    }

    #[test]
    fn durations_accept_ms_s_m_and_bare_seconds() {
        assert_eq!(parse_duration("5ms").unwrap(), Duration::from_millis(5));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("1e400").is_err());
    }

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
