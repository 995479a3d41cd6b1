//! Okta-style fixed-window rate limits: the [`RateLimit`] setting and its `600/60s` parser, and
//! the limiter that keeps one counter per [`Bucket`] (Okta's buckets by default: one for the
//! whole token path).
//!
//! By default a window opens with the first request after the previous one ended, so it is never
//! aligned to wall-clock minutes (Okta's are not) and a client that starts late loses nothing.
//! With a phase ([`BucketLimits::phase`], `--window-phase`) windows run on a fixed grid offset
//! from whole seconds, as a server's own clock would run them: a client that waits for the
//! whole-second `X-Rate-Limit-Reset` then loses the rest of that second. Time is passed in as a
//! duration since the Unix epoch so the limiter can be tested without sleeping. The concurrency
//! limit is not a rate: the request log counts requests in flight (`log`).

use super::log::Endpoint;
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

/// Which counter a request is charged to. By default these are Okta's own buckets for the paths
/// the emulator serves, as the rate-limit table generated from Okta's code maps them
/// (terraform-provider-okta `rate_limit_lines.go`): one counter per bucket, whatever the method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Bucket {
    /// `/api/v1`, Okta's catch-all: the whole token path (list, get by id, upload, delete) and
    /// every path without a bucket of its own.
    ApiV1,
    /// `/api/v1/users` and everything under it (users, their factors, lifecycle). Okta splits a
    /// few user calls finer (`GET /api/v1/users/{id}`); the emulator does not.
    Users,
    /// `POST /oauth2/v1/token`.
    OAuthToken,
    /// GETs on the token path, only when split off with `--get-rate-limit` (not Okta's layout).
    TokensGet,
    /// Uploads, only when split off with `--post-rate-limit` (not Okta's layout).
    TokensPost,
}

impl Bucket {
    /// Okta's bucket for a path, whatever the method. Kept apart from the client's own
    /// `okta::pacing::bucket_of` on purpose: the emulator is the witness, not a copy.
    pub fn of_path(path: &str) -> Bucket {
        let under = |prefix: &str| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        if path == "/oauth2/v1/token" {
            Bucket::OAuthToken
        } else if under("/api/v1/users") {
            Bucket::Users
        } else {
            Bucket::ApiV1
        }
    }
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
    phase: Option<Duration>,
    window_start: Option<Duration>,
    seq: u64,
    used: u32,
}

impl FixedWindow {
    /// An empty window with this limit. Without a `phase` a window opens with the first request
    /// after the previous one ended; with one, windows run on a fixed grid: each starts `phase`
    /// after a whole multiple of the window length since the Unix epoch (reduced modulo the
    /// window), whether or not anyone is sending.
    pub fn new(limit: RateLimit, phase: Option<Duration>) -> Self {
        FixedWindow {
            limit,
            phase,
            window_start: None,
            seq: 0,
            used: 0,
        }
    }

    /// The start of the window holding `now` on the grid, and its number.
    fn grid_start(&self, phase: Duration, now: Duration) -> (Duration, u64) {
        let w = self.limit.window.as_nanos().max(1);
        let p = phase.as_nanos() % w;
        let k = now.as_nanos().saturating_sub(p) / w;
        let start = k * w + p;
        let secs = u64::try_from(start / 1_000_000_000).unwrap_or(u64::MAX);
        let nanos = u32::try_from(start % 1_000_000_000).unwrap_or(0);
        (Duration::new(secs, nanos), u64::try_from(k).unwrap_or(u64::MAX))
    }

    /// Charges one request at `now` (time since the Unix epoch): the window's number (distinct
    /// per window of this bucket) and the decision.
    pub fn check(&mut self, now: Duration) -> (u64, Decision) {
        let start = match (self.phase, self.window_start) {
            (Some(phase), current) => {
                let (start, k) = self.grid_start(phase, now);
                if current != Some(start) {
                    self.window_start = Some(start);
                    self.seq = k;
                    self.used = 0;
                }
                start
            }
            (None, Some(start)) if now < start + self.limit.window => start,
            (None, _) => {
                self.window_start = Some(now);
                self.seq += 1;
                self.used = 0;
                now
            }
        };
        let end = start + self.limit.window;
        // Round up so a client waiting until `reset` is never early.
        let reset = end.as_secs() + u64::from(end.subsec_nanos() > 0);
        let decision = if self.used >= self.limit.limit {
            Decision::Reject(RateHeaders {
                limit: self.limit.limit,
                remaining: 0,
                reset,
            })
        } else {
            self.used += 1;
            Decision::Allow(RateHeaders {
                limit: self.limit.limit,
                remaining: self.limit.limit - self.used,
                reset,
            })
        };
        (self.seq, decision)
    }
}

/// The limit of each bucket (`None` = unlimited, no headers) and where windows start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BucketLimits {
    /// [`Bucket::ApiV1`]: the whole token path.
    pub api: Option<RateLimit>,
    /// [`Bucket::Users`].
    pub users: Option<RateLimit>,
    /// [`Bucket::OAuthToken`].
    pub oauth: Option<RateLimit>,
    /// Splits token-path GETs into [`Bucket::TokensGet`] with this limit.
    pub split_get: Option<RateLimit>,
    /// Splits uploads into [`Bucket::TokensPost`] with this limit.
    pub split_post: Option<RateLimit>,
    /// Windows on a fixed grid at this phase (see [`FixedWindow::new`]).
    pub phase: Option<Duration>,
}

/// What a request was charged: its bucket, the window it fell in, and the decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Charge {
    /// The bucket.
    pub bucket: Bucket,
    /// The window's number within that bucket.
    pub window: u64,
    /// Serve or refuse.
    pub decision: Decision,
}

type Window = Option<Mutex<FixedWindow>>;

/// Every bucket's window. Each sits behind its own std `Mutex`, held only to bump a counter.
pub struct Limits {
    api: Window,
    users: Window,
    oauth: Window,
    get: Window,
    post: Window,
}

impl Limits {
    /// The windows for these limits.
    pub fn new(limits: BucketLimits) -> Self {
        let w = |l: Option<RateLimit>| l.map(|l| Mutex::new(FixedWindow::new(l, limits.phase)));
        Limits {
            api: w(limits.api),
            users: w(limits.users),
            oauth: w(limits.oauth),
            get: w(limits.split_get),
            post: w(limits.split_post),
        }
    }

    /// The bucket a request to `endpoint` at `path` is charged to.
    pub fn bucket(&self, endpoint: Endpoint, path: &str) -> Bucket {
        match endpoint {
            Endpoint::ListTokens | Endpoint::GetToken if self.get.is_some() => Bucket::TokensGet,
            Endpoint::UploadToken if self.post.is_some() => Bucket::TokensPost,
            _ => Bucket::of_path(path),
        }
    }

    /// Charges one request now; `None` when its bucket is unlimited.
    pub fn check(&self, endpoint: Endpoint, path: &str) -> Option<Charge> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        self.check_at(endpoint, path, now)
    }

    /// [`Limits::check`] at a given time since the Unix epoch (tests).
    pub fn check_at(&self, endpoint: Endpoint, path: &str, now: Duration) -> Option<Charge> {
        let bucket = self.bucket(endpoint, path);
        let window = match bucket {
            Bucket::ApiV1 => &self.api,
            Bucket::Users => &self.users,
            Bucket::OAuthToken => &self.oauth,
            Bucket::TokensGet => &self.get,
            Bucket::TokensPost => &self.post,
        };
        let (window, decision) = window
            .as_ref()?
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .check(now);
        Some(Charge {
            bucket,
            window,
            decision,
        })
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
        let mut w = FixedWindow::new(RateLimit::new(3, Duration::from_secs(60)), None);
        let t0 = 1_700_000_000.5;
        let remaining: Vec<_> = (0..3)
            .map(|i| match w.check(secs(t0 + f64::from(i))).1 {
                Decision::Allow(h) => h.remaining,
                Decision::Reject(_) => panic!("rejected early"),
            })
            .collect();
        assert_eq!(remaining, [2, 1, 0]);
        let (_, Decision::Reject(h)) = w.check(secs(t0 + 59.0)) else {
            panic!("allowed over the limit")
        };
        assert_eq!((h.limit, h.remaining), (3, 0));
        assert_eq!(h.reset, 1_700_000_061, "window end rounded up to whole seconds");
        // A new window opens once the old one is over.
        assert!(matches!(
            w.check(secs(t0 + 60.0)),
            (2, Decision::Allow(RateHeaders { remaining: 2, .. }))
        ));
    }

    #[test]
    fn short_windows_work_for_benches() {
        let mut w = FixedWindow::new(RateLimit::new(100, Duration::from_secs(1)), None);
        let allowed = (0..250)
            .filter(|i| matches!(w.check(secs(10.0 + f64::from(*i) * 0.001)).1, Decision::Allow(_)))
            .count();
        assert_eq!(allowed, 100, "250 requests in 250 ms: one window");
        assert!(matches!(w.check(secs(11.0)).1, Decision::Allow(_)));
    }

    fn remaining(d: Decision) -> Option<u32> {
        match d {
            Decision::Allow(h) => Some(h.remaining),
            Decision::Reject(_) => None,
        }
    }

    #[test]
    fn a_phase_puts_windows_on_a_grid_offset_from_whole_seconds() {
        let mut w = FixedWindow::new(
            RateLimit::new(2, Duration::from_secs(1)),
            Some(Duration::from_millis(333)),
        );
        // 100.200 lies in the window [99.333, 100.333): its end rounds up to Reset 101.
        let (k, d) = w.check(secs(100.2));
        assert_eq!((remaining(d), k), (Some(1), 99));
        let Decision::Allow(h) = w.check(secs(100.3)).1 else {
            panic!("second request refused")
        };
        assert_eq!((h.remaining, h.reset), (0, 101));
        assert_eq!(remaining(w.check(secs(100.33)).1), None, "window spent");
        // The next window opens at 100.333 whether or not anyone waited for it.
        let (k, d) = w.check(secs(100.334));
        assert_eq!((remaining(d), k), (Some(1), 100));
    }

    #[test]
    fn a_phase_longer_than_the_window_is_taken_modulo_and_long_windows_use_the_grid_too() {
        let mut w = FixedWindow::new(
            RateLimit::new(10, Duration::from_secs(5)),
            Some(Duration::from_millis(5_777)),
        );
        // Phase 5.777 s on a 5 s grid is 0.777 s: windows [100.777, 105.777), [105.777, ...).
        let Decision::Allow(h) = w.check(secs(105.0)).1 else {
            panic!("refused")
        };
        assert_eq!(h.reset, 106);
        assert_eq!(w.check(secs(105.7)).0, w.check(secs(101.0)).0);
        let Decision::Allow(h) = w.check(secs(105.8)).1 else {
            panic!("refused")
        };
        assert_eq!((h.remaining, h.reset), (9, 111));
    }

    #[test]
    fn without_a_phase_windows_are_numbered_as_they_open() {
        let mut w = FixedWindow::new(RateLimit::new(5, Duration::from_secs(1)), None);
        assert_eq!(w.check(secs(10.5)).0, 1);
        assert_eq!(w.check(secs(11.4)).0, 1);
        assert_eq!(
            w.check(secs(11.5)).0,
            2,
            "a window opens with the first request after"
        );
    }

    #[test]
    fn the_token_path_is_one_bucket_whatever_the_method_unless_split() {
        let t = "/api/v1/org/factors/yubikey_token/tokens";
        assert_eq!(Bucket::of_path(t), Bucket::ApiV1);
        assert_eq!(Bucket::of_path(&format!("{t}/ykk1")), Bucket::ApiV1);
        assert_eq!(Bucket::of_path("/api/v1/users/00u1/factors"), Bucket::Users);
        assert_eq!(Bucket::of_path("/api/v1/users"), Bucket::Users);
        assert_eq!(Bucket::of_path("/api/v1/usersx"), Bucket::ApiV1);
        assert_eq!(Bucket::of_path("/oauth2/v1/token"), Bucket::OAuthToken);
        assert_eq!(Bucket::of_path("/nowhere"), Bucket::ApiV1);

        let one = Limits::new(BucketLimits {
            api: Some(RateLimit::new(3, Duration::from_secs(60))),
            ..BucketLimits::default()
        });
        let now = secs(1_000.0);
        let charged: Vec<_> = [
            (Endpoint::ListTokens, t.to_string()),
            (Endpoint::UploadToken, t.to_string()),
            (Endpoint::DeleteToken, format!("{t}/ykk1")),
            (Endpoint::GetToken, format!("{t}/ykk1")),
        ]
        .iter()
        .map(|(e, p)| {
            one.check_at(*e, p, now)
                .map(|c| (c.bucket, remaining(c.decision)))
        })
        .collect();
        assert_eq!(
            charged,
            [
                Some((Bucket::ApiV1, Some(2))),
                Some((Bucket::ApiV1, Some(1))),
                Some((Bucket::ApiV1, Some(0))),
                Some((Bucket::ApiV1, None)),
            ]
        );
        assert_eq!(one.check_at(Endpoint::GetUser, "/api/v1/users/00u1", now), None);

        let split = Limits::new(BucketLimits {
            api: Some(RateLimit::new(3, Duration::from_secs(60))),
            split_get: Some(RateLimit::new(5, Duration::from_secs(60))),
            ..BucketLimits::default()
        });
        assert_eq!(split.bucket(Endpoint::ListTokens, t), Bucket::TokensGet);
        assert_eq!(split.bucket(Endpoint::UploadToken, t), Bucket::ApiV1);
    }
}
