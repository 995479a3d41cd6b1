//! Pacing: a `governor` limiter spaces requests evenly (GCRA, burst of one, so nothing bunches at
//! a window start), and a gate driven by Okta's `X-Rate-Limit-*` headers holds every worker when
//! the window is nearly spent or a 429 arrives. Each Okta bucket (reads, writes) has its own pacer.
//!
//! In `auto` mode the rate is learned from the headers: `X-Rate-Limit-Limit` per window, the window
//! length from how far `X-Rate-Limit-Reset` moves between windows (first estimated from
//! `Reset - Date`), times `--share`. Times are computed against the server's `Date`, never the
//! local wall clock, so clock skew cannot make us early.

use governor::{clock::DefaultClock, state::InMemoryState, state::NotKeyed, Quota, RateLimiter};
use rand::Rng;
use reqwest::header::HeaderMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::models::headers;

type Limiter = RateLimiter<NotKeyed, InMemoryState, DefaultClock>;

/// How fast to go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateSetting {
    /// Learn the limit from the headers and use this share of it (0 < share ≤ 1).
    Auto {
        /// Fraction of the bucket's limit.
        share: f64,
    },
    /// A fixed number of requests per minute.
    PerMinute(u32),
}

/// Okta's rate-limit headers of one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateHeaders {
    /// `X-Rate-Limit-Limit` (0 on a concurrency 429).
    pub limit: Option<u64>,
    /// `X-Rate-Limit-Remaining`.
    pub remaining: Option<u64>,
    /// `X-Rate-Limit-Reset`, epoch seconds.
    pub reset: Option<u64>,
    /// The response's `Date`, epoch seconds.
    pub date: Option<u64>,
}

fn min_header(map: &HeaderMap, name: &str) -> Option<u64> {
    // A proxy may repeat or fold the header; like Okta's Python SDK, take the smallest value.
    map.get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|v| v.trim().parse::<u64>().ok())
        .min()
}

impl RateHeaders {
    /// Reads the headers; absent or garbled values are `None`.
    pub fn from_headers(map: &HeaderMap) -> Self {
        let date = map
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs());
        RateHeaders {
            limit: min_header(map, headers::RATE_LIMIT),
            remaining: min_header(map, headers::RATE_REMAINING),
            reset: min_header(map, headers::RATE_RESET),
            date,
        }
    }

    /// Okta's concurrency signal: limit and remaining both 0.
    pub fn is_concurrency_limit(&self) -> bool {
        self.limit == Some(0) && self.remaining == Some(0)
    }

    /// Seconds until the window resets, measured on the server's clock (`Reset - Date`), or on
    /// ours when `Date` is missing.
    pub fn until_reset(&self) -> Option<Duration> {
        let reset = self.reset?;
        let now = self.date.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
        Some(Duration::from_secs(reset.saturating_sub(now)))
    }

    /// How long to wait after a 429: `Reset - Date + 1 s` (as the Okta SDKs do), capped.
    pub fn backoff_after_429(&self, cap: Duration) -> Duration {
        match self.until_reset() {
            Some(d) => (d + Duration::from_secs(1)).min(cap),
            None => Duration::from_secs(1).max(cap / 8).min(cap),
        }
    }
}

/// A burst of two: enough to make up for timers that wake a worker a little late (with a burst of
/// one, every late wake-up is lost for good: 3 to 7% at 100 requests a second), too small to
/// bunch requests at a window start. The 2% margin and the header gate absorb it at window edges.
const BURST: NonZeroU32 = match NonZeroU32::new(2) {
    Some(n) => n,
    None => NonZeroU32::MIN,
};

/// A governor quota of `per_second` requests per second with a burst of two.
pub fn quota(per_second: f64) -> Quota {
    let per_second = per_second.clamp(0.01, 1_000_000.0);
    let period = Duration::from_secs_f64(1.0 / per_second).max(Duration::from_nanos(1));
    // Cannot fail: the period is at least one nanosecond.
    Quota::with_period(period)
        .expect("non-zero period")
        .allow_burst(BURST)
}

/// Whether the gate should close: the requests already in flight could use up what is left.
pub fn gate_should_close(h: &RateHeaders, in_flight: usize) -> bool {
    match (h.limit, h.remaining) {
        (Some(limit), Some(remaining)) if limit > 0 => remaining <= in_flight as u64,
        _ => false,
    }
}

/// The largest share of a bucket's limit ever planned on.
pub const MAX_SHARE: f64 = 0.98;

#[derive(Debug)]
struct Learned {
    limit: Option<u64>,
    window: Option<Duration>,
    window_estimated: bool,
    last_reset: Option<u64>,
    // When we first saw the current window's Reset: a window start known to within one request
    // spacing, far finer than the headers' whole seconds.
    window_seen: Option<Instant>,
    per_second: f64,
}

impl Learned {
    fn new() -> Self {
        Learned {
            limit: None,
            window: None,
            window_estimated: false,
            last_reset: None,
            window_seen: None,
            per_second: 0.0,
        }
    }

    /// How long until the current window resets: from our own sighting of its start when the
    /// window length is known (millisecond precision), else from `Reset - Date` (whole seconds).
    fn until_reset(&self, h: &RateHeaders, now: Instant) -> Option<Duration> {
        let coarse = h.until_reset()?;
        match (self.window_seen, self.window, self.window_estimated) {
            (Some(seen), Some(w), false) if h.reset == self.last_reset => {
                let precise = (seen + w)
                    .saturating_duration_since(now)
                    .max(Duration::from_millis(10));
                Some(precise.min(coarse + Duration::from_secs(1)))
            }
            _ => Some(coarse),
        }
    }

    /// Jitter for the gate: up to 250 ms, but never more than a twentieth of the window.
    fn jitter_cap(&self) -> Duration {
        let w = self.window.unwrap_or(Duration::from_secs(60));
        Duration::from_millis(250).min(w / 20)
    }
}

/// Paces one Okta bucket. Shared by all workers through an `Arc`.
pub struct Pacer {
    setting: RateSetting,
    // None until a limit is known in auto mode: a server that sends no rate headers is not
    // throttled at all (the concurrency bound still applies).
    limiter: RwLock<Option<Arc<Limiter>>>,
    learned: Mutex<Learned>,
    // std Mutex: held only to read or set an Instant, never across an await.
    blocked_until: Mutex<Option<Instant>>,
    // In auto mode the first request goes alone: its answer tells the pace, and a burst of
    // `--concurrency` requests before anything is known could overrun a short first window.
    probe_sent: AtomicBool,
    answered: AtomicBool,
}

impl Pacer {
    /// A pacer for one bucket.
    pub fn new(setting: RateSetting) -> Self {
        let per_second = match setting {
            RateSetting::Auto { .. } => 0.0,
            RateSetting::PerMinute(n) => f64::from(n.max(1)) / 60.0,
        };
        let limiter = (per_second > 0.0).then(|| Arc::new(RateLimiter::direct(quota(per_second))));
        Pacer {
            setting,
            limiter: RwLock::new(limiter),
            learned: Mutex::new(Learned {
                per_second,
                ..Learned::new()
            }),
            blocked_until: Mutex::new(None),
            probe_sent: AtomicBool::new(false),
            answered: AtomicBool::new(false),
        }
    }

    /// The pace in use, requests per minute.
    pub fn per_minute(&self) -> f64 {
        self.learned.lock().map(|l| l.per_second * 60.0).unwrap_or(0.0)
    }

    /// The bucket's limit and window as learned from the headers, if known.
    pub fn learned_limit(&self) -> Option<(u64, Duration)> {
        let l = self.learned.lock().ok()?;
        Some((l.limit?, l.window?))
    }

    /// Waits until a request may be sent: first the header gate, then the limiter.
    pub async fn until_ready(&self) {
        if matches!(self.setting, RateSetting::Auto { .. }) {
            while !self.answered.load(Ordering::Acquire) && self.probe_sent.swap(true, Ordering::AcqRel) {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        loop {
            let wait = self.gate_wait();
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
                continue;
            }
            let limiter = self
                .limiter
                .read()
                .map(|l| l.clone())
                .unwrap_or_else(|e| e.into_inner().clone());
            if let Some(limiter) = limiter {
                // No jitter here: governor adds it to every wait, which lowers the pace itself.
                // Stampedes are prevented where they happen, at the gate (`hold_for`).
                limiter.until_ready().await;
            }
            // The gate may have closed while we waited for the limiter.
            if self.gate_wait().is_zero() {
                return;
            }
        }
    }

    fn gate_wait(&self) -> Duration {
        let guard = self.blocked_until.lock().unwrap_or_else(|e| e.into_inner());
        guard
            .map(|t| t.saturating_duration_since(Instant::now()))
            .unwrap_or_default()
    }

    /// Holds every worker for `wait` plus jitter (so they do not stampede when it opens).
    pub fn hold_for(&self, wait: Duration) {
        let cap = self
            .learned
            .lock()
            .map(|l| l.jitter_cap())
            .unwrap_or(Duration::from_millis(250));
        let jitter = Duration::from_millis(rand::thread_rng().gen_range(0..=cap.as_millis() as u64));
        let until = Instant::now() + wait + jitter;
        tracing::debug!(wait_ms = (wait + jitter).as_millis() as u64, "pacing gate closed");
        let mut guard = self.blocked_until.lock().unwrap_or_else(|e| e.into_inner());
        if guard.map_or(true, |t| t < until) {
            *guard = Some(until);
        }
    }

    /// Records that a request came back (answered or failed), releasing the requests that wait
    /// for the first answer.
    pub fn note_answer(&self) {
        self.answered.store(true, Ordering::Release);
    }

    /// Learns from one response's headers; `in_flight` is how many requests are still out.
    pub fn observe(&self, h: &RateHeaders, in_flight: usize) {
        if h.is_concurrency_limit() {
            return;
        }
        let share = match self.setting {
            RateSetting::Auto { share } => share,
            RateSetting::PerMinute(_) => 1.0,
        };
        let now = Instant::now();
        let (new_rate, gate) = {
            let mut l = self.learned.lock().unwrap_or_else(|e| e.into_inner());
            let new_rate = learn(&mut l, h, share, now);
            let gate = if gate_should_close(h, in_flight) {
                l.until_reset(h, now)
            } else {
                None
            };
            (new_rate, gate)
        };
        if let Some(wait) = gate {
            self.hold_for(wait);
        }
        let (RateSetting::Auto { .. }, Some(per_second)) = (self.setting, new_rate) else {
            return;
        };
        tracing::debug!(
            pace = %crate::progress::per_minute(per_second * 60.0),
            "pace learned from the rate-limit headers"
        );
        if let Ok(mut limiter) = self.limiter.write() {
            *limiter = Some(Arc::new(RateLimiter::direct(quota(per_second))));
        }
    }
}

/// Updates what is known of the bucket; returns a new rate when it changed noticeably.
fn learn(l: &mut Learned, h: &RateHeaders, share: f64, now: Instant) -> Option<f64> {
    let limit = h.limit.filter(|&n| n > 0)?;
    l.limit = Some(limit);
    if let Some(reset) = h.reset {
        match l.last_reset {
            Some(prev) if reset > prev => {
                // The reset moved: the window is at most this long. Keep the smallest move seen
                // (a quiet spell can skip whole windows).
                let moved = Duration::from_secs(reset - prev);
                l.window_seen = Some(now);
                if l.window_estimated || l.window.map_or(true, |w| moved < w) {
                    l.window = Some(moved);
                    l.window_estimated = false;
                }
            }
            None if l.window.is_none() => {
                // First sight: the time left in this window is a lower bound of its length.
                // `Date` is rounded down and `Reset` up to whole seconds, so take one off.
                let left = h
                    .until_reset()
                    .unwrap_or(Duration::from_secs(61))
                    .saturating_sub(Duration::from_secs(1));
                l.window = Some(left.clamp(Duration::from_secs(1), Duration::from_secs(60)));
                l.window_estimated = true;
            }
            _ => {}
        }
        l.last_reset = Some(l.last_reset.map_or(reset, |p| p.max(reset)));
    }
    let window = l.window.unwrap_or(Duration::from_secs(60)).as_secs_f64();
    // Never plan on the last 2% of a window: network and clock jitter move a few requests
    // across window edges, and a 429 costs far more than the margin.
    // While the window's length is only estimated (until its reset first moves), go 10% slower:
    // the estimate comes from whole-second headers, and a blind first window must not run dry.
    let caution = if l.window_estimated { 0.9 } else { 1.0 };
    let per_second = limit as f64 * share.min(MAX_SHARE) * caution / window;
    let changed = l.per_second == 0.0 || (per_second - l.per_second).abs() > l.per_second * 0.01;
    l.per_second = per_second;
    changed.then_some(per_second)
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn reset_is_measured_against_the_servers_date_not_the_local_clock() {
        let h = RateHeaders::from_headers(&headers(&[
            ("x-rate-limit-limit", "600"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "1609459230"),
            ("date", "Fri, 01 Jan 2021 00:00:00 GMT"),
        ]));
        assert_eq!(h.date, Some(1609459200));
        assert_eq!(h.until_reset(), Some(Duration::from_secs(30)));
        assert_eq!(
            h.backoff_after_429(Duration::from_secs(120)),
            Duration::from_secs(31)
        );
        assert_eq!(
            h.backoff_after_429(Duration::from_secs(10)),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn repeated_or_folded_headers_take_the_smallest_value() {
        let h = RateHeaders::from_headers(&headers(&[
            ("x-rate-limit-remaining", "40, 12"),
            ("x-rate-limit-remaining", "30"),
            ("x-rate-limit-limit", "garbage"),
        ]));
        assert_eq!(h.remaining, Some(12));
        assert_eq!(h.limit, None);
    }

    #[test]
    fn concurrency_429_is_recognised_by_zero_limit_and_remaining() {
        let h = RateHeaders {
            limit: Some(0),
            remaining: Some(0),
            ..Default::default()
        };
        assert!(h.is_concurrency_limit());
        assert!(!gate_should_close(&h, 10));
    }

    #[test]
    fn gate_closes_only_when_in_flight_requests_could_spend_the_rest() {
        let h = |remaining| RateHeaders {
            limit: Some(100),
            remaining: Some(remaining),
            ..Default::default()
        };
        assert!(!gate_should_close(&h(5), 4));
        assert!(gate_should_close(&h(4), 4));
        assert!(gate_should_close(&h(0), 0));
    }

    #[test]
    fn auto_rate_learns_limit_and_window_from_reset_moves() {
        let mut l = Learned::new();
        let now = Instant::now();
        let h = |reset, date| RateHeaders {
            limit: Some(600),
            remaining: Some(500),
            reset: Some(reset),
            date: Some(date),
        };
        // First sight 21 s before the reset (rounded): estimate a 20 s window, and go 10% slower
        // while it is only an estimate.
        assert_eq!(learn(&mut l, &h(1_000_021, 1_000_000), 0.5, now), Some(13.5));
        // The reset moves by 60 s: a 60 s window, so 600 × 0.5 / 60 = 5 per second.
        assert_eq!(learn(&mut l, &h(1_000_081, 1_000_021), 0.5, now), Some(5.0));
        // A quiet spell that skips a window does not lengthen it.
        assert_eq!(learn(&mut l, &h(1_000_201, 1_000_150), 0.5, now), None);
        assert_eq!(l.window, Some(Duration::from_secs(60)));
    }

    #[test]
    fn quota_allows_a_burst_of_two_and_no_more() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::direct_with_clock(quota(10.0), clock.clone());
        assert!(limiter.check().is_ok());
        assert!(limiter.check().is_ok());
        assert!(
            limiter.check().is_err(),
            "a third request at the same instant must wait"
        );
        clock.advance(Duration::from_millis(100));
        assert!(limiter.check().is_ok());
        assert!(limiter.check().is_err());
        // After a long idle spell, still only two requests may go at once.
        clock.advance(Duration::from_secs(60));
        assert!(limiter.check().is_ok());
        assert!(limiter.check().is_ok());
        assert!(limiter.check().is_err());
    }

    #[test]
    fn a_late_worker_catches_up_within_the_burst() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::direct_with_clock(quota(100.0), clock.clone());
        let mut sent = 0;
        // 2.1 s in steps of 10.5 ms: a timer that oversleeps by half a millisecond every time.
        // With a burst of one this sends 200 (5% lost); the burst of two keeps the pace.
        for _ in 0..200 {
            while limiter.check().is_ok() {
                sent += 1;
            }
            clock.advance(Duration::from_micros(10_500));
        }
        assert!((209..=212).contains(&sent), "sent {sent} in 2.1 s at 100/s");
    }

    #[test]
    fn once_a_window_start_is_seen_the_gate_waits_to_the_millisecond_not_the_second() {
        let mut l = Learned::new();
        let t0 = Instant::now();
        let h = |reset, date| RateHeaders {
            limit: Some(100),
            remaining: Some(0),
            reset: Some(reset),
            date: Some(date),
        };
        learn(&mut l, &h(1_000_001, 1_000_000), 1.0, t0);
        // Before the window's length is known, the headers' whole seconds are all there is.
        assert_eq!(
            l.until_reset(&h(1_000_001, 1_000_000), t0),
            Some(Duration::from_secs(1))
        );
        learn(
            &mut l,
            &h(1_000_002, 1_000_001),
            1.0,
            t0 + Duration::from_millis(400),
        );
        assert_eq!(l.window, Some(Duration::from_secs(1)));
        // 700 ms after the new window was first seen, 300 ms are left; the headers say "1 s".
        let left = l.until_reset(&h(1_000_002, 1_000_001), t0 + Duration::from_millis(1100));
        assert_eq!(left, Some(Duration::from_millis(300)));
        assert_eq!(l.jitter_cap(), Duration::from_millis(50));
    }
}
