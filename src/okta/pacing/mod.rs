//! Pacing: one [`Pacer`] per Okta rate-limit bucket ([`bucket_of`] picks it from the request's
//! path: the whole token path is one bucket). A `governor` limiter spaces requests evenly (GCRA,
//! burst of two, so nothing bunches at a window start), and a gate driven by Okta's
//! `X-Rate-Limit-*` headers holds every worker of the bucket when the window is nearly spent, when
//! the run has sent its share of this window, or when a 429 arrives.
//!
//! A run's first window also counts what earlier runs of ours sent in it ([`carry`]: the
//! journal being resumed, the ledger's record of our other runs on the org), so that a resumed
//! run does not spend the share twice; later windows count only the run's own requests. The gate
//! keeps a small reserve of each window (2% of the limit, less when `--share` leaves less) so that
//! ours are never the requests that run the bucket dry for the org's other integrations.
//!
//! In `auto` mode the rate is learned from the headers: `X-Rate-Limit-Limit` per window, the
//! window's length from how far `X-Rate-Limit-Reset` moves (first estimated from `Reset - Date`),
//! times `--share`. Where a window really starts is learned from the answers (`window`): the
//! first answer of a new window has `Remaining` back up. Waits for a new window are timed from that
//! sighting, to the millisecond and never early, or from the whole-second headers against the
//! server's `Date` until a boundary has been seen, so clock skew cannot make us early.
//!
//! Time is tokio's: every instant is a [`tokio::time::Instant`], every wait a tokio sleep (the
//! limiter's too, through [`TokioClock`]), and the requests held for the first answer wait on a
//! [`Notify`]. So a test on a paused runtime (`tokio::time::pause`) drives the gate, the 429 hold,
//! the first request alone, the share of each window and the learning of the window's phase in
//! milliseconds, with no real clock involved (`tests.rs`).

mod bucket;
pub mod carry;
mod headers;
pub mod window;

pub use bucket::{bucket_of, Bucket, Pacers};
pub use headers::RateHeaders;

use carry::{Carry, SendLog, Sent};
use governor::middleware::NoOpMiddleware;
use governor::{clock::Clock, state::InMemoryState, state::NotKeyed, Quota, RateLimiter};
use rand::Rng;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;
use window::{Seen, Sighting, Windows};

type Limiter = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Duration>>;

/// governor's clock on tokio's time: the time since the limiter was made, so a paused runtime
/// pauses the limiter too.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    origin: Instant,
}

impl TokioClock {
    /// A clock starting now.
    pub fn new() -> Self {
        TokioClock {
            origin: Instant::now(),
        }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TokioClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}

fn limiter(per_second: f64) -> Arc<Limiter> {
    Arc::new(RateLimiter::direct_with_clock(
        quota(per_second),
        TokioClock::new(),
    ))
}

/// How fast to go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateSetting {
    /// Learn the limit from the headers and use this share of it (0 < share ≤ 1).
    Auto {
        /// Fraction of the bucket's limit.
        share: f64,
    },
    /// A fixed number of requests per minute for everything the bucket's pacer sends.
    PerMinute(u32),
}

impl RateSetting {
    /// Okta's default share of a bucket for one token, the default of `--share` (read by clap
    /// from here, so `--help`, the demo and the code cannot disagree).
    pub const DEFAULT_SHARE: f64 = 0.5;
    /// `--rate auto` at [`Self::DEFAULT_SHARE`]: the default pace of every command.
    pub const DEFAULT: RateSetting = RateSetting::Auto {
        share: Self::DEFAULT_SHARE,
    };
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

/// Whether the gate should close: the requests already in flight (and the [`reserve`] the
/// caller adds to them) could use up what is left.
pub fn gate_should_close(h: &RateHeaders, in_flight: usize) -> bool {
    match (h.limit, h.remaining) {
        (Some(limit), Some(remaining)) if limit > 0 => remaining <= in_flight as u64,
        _ => false,
    }
}

/// What the gate leaves of each window to the org's other integrations: 2% of the limit, or
/// what `--share` leaves them when that is less (nothing at `--share 1`).
pub fn reserve(limit: u64, share: f64) -> usize {
    // Less a hair, so that float noise (1 - 0.99 is not 0.01) does not round a whole one up.
    (limit as f64 * (1.0 - share).clamp(0.0, 0.02) - 1e-9)
        .ceil()
        .max(0.0) as usize
}

/// The part of its share a run plans on: network and timer jitter move a few requests across
/// window edges, and a 429 costs far more than the margin. At `--share 1` it leaves 2% of the
/// bucket unplanned; below, 2% of the run's own share, so that a neighbour using exactly the rest
/// of the bucket is not left to the gate alone.
pub const MAX_SHARE: f64 = 0.98;

/// The pace, requests per second, for what is known of the windows; `None` before a limit is.
pub fn pace(windows: &Windows, share: f64) -> Option<f64> {
    let limit = windows.limit()?;
    let window = windows.length().unwrap_or(carry::DEFAULT_WINDOW).as_secs_f64();
    Some(limit as f64 * share.clamp(0.0, 1.0) * MAX_SHARE / window)
}

/// The shortest hold: a wait computed as zero or less still lets the new window's first answer in.
const MIN_HOLD: Duration = Duration::from_millis(10);

struct State {
    windows: Windows,
    per_second: f64,
}

impl State {
    /// Jitter for a hold: a wait timed from a seen boundary is exact, so its jitter only spreads
    /// workers (up to 10 ms, never above 1% of the window); a wait from whole-second headers
    /// keeps up to 250 ms (never above a twentieth of the window).
    fn jitter_cap(&self, precise: bool) -> Duration {
        let w = self.windows.length().unwrap_or(Duration::from_secs(60));
        if precise {
            Duration::from_millis(10).min(w / 100)
        } else {
            Duration::from_millis(250).min(w / 20)
        }
    }
}

/// Paces one Okta bucket. Shared by all workers through the client.
pub struct Pacer {
    setting: RateSetting,
    // None until a limit is known in auto mode: a server that sends no rate headers is not
    // throttled at all (the concurrency bound still applies).
    limiter: RwLock<Option<Arc<Limiter>>>,
    // std Mutex: held only to update or read what is known, never across an await.
    state: Mutex<State>,
    blocked_until: Mutex<Option<Instant>>,
    in_flight: AtomicUsize,
    // In auto mode the first request goes alone: its answer tells the pace, and a burst of
    // `--concurrency` requests before anything is known could overrun a short first window.
    probe_sent: AtomicBool,
    answered: AtomicBool,
    first_answer: Notify,
    // What earlier runs of ours sent, until the first answer tells where the window stands.
    carry: Mutex<Option<Carry>>,
    // What this run sent, for the next run's carry.
    sends: Mutex<SendLog>,
}

/// One request of a bucket in flight; [`Ticket::finish`] hands its answer's headers back.
/// Dropping it unfinished (no answer: an error, a cancelled request) counts it in the current
/// window's budget, since the server may have counted it.
pub struct Ticket<'a> {
    pacer: &'a Pacer,
    sent: Instant,
    finished: bool,
}

impl Pacer {
    /// A pacer for one bucket.
    pub fn new(setting: RateSetting) -> Self {
        let per_second = match setting {
            RateSetting::Auto { .. } => 0.0,
            RateSetting::PerMinute(n) => f64::from(n.max(1)) / 60.0,
        };
        let limiter = (per_second > 0.0).then(|| limiter(per_second));
        Pacer {
            setting,
            limiter: RwLock::new(limiter),
            state: Mutex::new(State {
                windows: Windows::new(),
                per_second,
            }),
            blocked_until: Mutex::new(None),
            in_flight: AtomicUsize::new(0),
            probe_sent: AtomicBool::new(false),
            answered: AtomicBool::new(false),
            first_answer: Notify::new(),
            carry: Mutex::new(None),
            sends: Mutex::new(SendLog::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // What is known stays usable even if a holder panicked.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The share of each window this run may use (auto mode only: a fixed pace is its own cap).
    fn share(&self) -> Option<f64> {
        match self.setting {
            RateSetting::Auto { share } => Some(share),
            RateSetting::PerMinute(_) => None,
        }
    }

    /// Hands the pacer what earlier runs of ours sent to this bucket: counted against `--share`
    /// in the run's first window, once its first answer says how much of the window is left.
    pub fn carry_in(&self, carry: Carry) {
        *self.carry.lock().unwrap_or_else(|e| e.into_inner()) = Some(carry);
    }

    /// What this run sent in its last few minutes, per second (for the ledger, so that the next
    /// run can count them).
    pub fn recent_sends(&self) -> Vec<Sent> {
        self.sends.lock().unwrap_or_else(|e| e.into_inner()).sent()
    }

    /// What earlier runs of ours were found to have spent of the run's first window.
    pub fn carried(&self) -> u64 {
        self.state().windows.carried()
    }

    /// The pace in use, requests per minute.
    pub fn per_minute(&self) -> f64 {
        self.state().per_second * 60.0
    }

    /// The bucket's limit and window as learned from the headers, if known.
    pub fn learned_limit(&self) -> Option<(u64, Duration)> {
        let s = self.state();
        Some((s.windows.limit()?, s.windows.length()?))
    }

    /// The bucket's window length, once a move of `Reset` has shown it (not the first answer's
    /// estimate, which is only a lower bound).
    pub fn window_length(&self) -> Option<Duration> {
        let s = self.state();
        s.windows.length().filter(|_| !s.windows.is_estimated())
    }

    /// Where the current window started, once a boundary has been seen.
    pub fn window_start(&self) -> Option<window::Start> {
        self.state().windows.start()
    }

    /// Waits until a request may be sent: the first answer (auto mode), the header gate, the
    /// limiter, then this window's share.
    pub async fn until_ready(&self) {
        if self.share().is_some() {
            self.until_first_answer().await;
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
                // No jitter here: jitter on every wait lowers the pace itself. Stampedes are
                // prevented where they happen, at the gate (`hold_until`).
                while let Err(not_until) = limiter.check() {
                    tokio::time::sleep(not_until.wait_time_from(limiter.clock().now())).await;
                }
            }
            if let Some(over) = self.share_spent(Instant::now()) {
                self.hold_until(over, true);
                continue;
            }
            // The gate may have closed while we waited for the limiter.
            if self.gate_wait().is_zero() {
                return;
            }
        }
    }

    /// The first request goes alone: the first caller sends it, the others wait until an answer
    /// (or a failure) is noted.
    async fn until_first_answer(&self) {
        loop {
            let notified = self.first_answer.notified();
            tokio::pin!(notified);
            // Registered before the checks, so an answer noted in between still wakes us.
            notified.as_mut().enable();
            if self.answered.load(Ordering::Acquire) || !self.probe_sent.swap(true, Ordering::AcqRel) {
                return;
            }
            notified.await;
        }
    }

    /// When this window is over, if the run has already sent its share of it (`--share` caps
    /// everything sent to the bucket: uploads, lookups and listings together).
    fn share_spent(&self, now: Instant) -> Option<Instant> {
        let share = self.share()?;
        let s = self.state();
        let in_flight = self.in_flight.load(Ordering::SeqCst);
        let over = s.windows.over_by().filter(|&t| t > now)?;
        // The budget leaves the same margin as the pace: at `--share 0.5` beside a neighbour
        // using the other half, a window's first requests (the lone probe, the listing) and
        // timer jitter must not add up to the whole bucket.
        s.windows
            .budget_spent(share.clamp(0.0, 1.0) * MAX_SHARE, in_flight)
            .then_some(over)
    }

    fn gate_wait(&self) -> Duration {
        let guard = self.blocked_until.lock().unwrap_or_else(|e| e.into_inner());
        guard
            .map(|t| t.saturating_duration_since(Instant::now()))
            .unwrap_or_default()
    }

    /// Holds every worker for `wait` plus jitter (so they do not stampede when it opens).
    pub fn hold_for(&self, wait: Duration) {
        self.hold_until(Instant::now() + wait, false);
    }

    /// Holds every worker until `until` plus jitter; `precise` when `until` comes from a seen
    /// window boundary rather than whole-second headers.
    fn hold_until(&self, until: Instant, precise: bool) {
        let cap = self.state().jitter_cap(precise);
        let jitter = Duration::from_millis(rand::thread_rng().gen_range(0..=cap.as_millis() as u64));
        let until = until.max(Instant::now() + MIN_HOLD) + jitter;
        tracing::debug!(
            wait_ms = until.saturating_duration_since(Instant::now()).as_millis() as u64,
            precise,
            "pacing gate closed"
        );
        let mut guard = self.blocked_until.lock().unwrap_or_else(|e| e.into_inner());
        if guard.map_or(true, |t| t < until) {
            *guard = Some(until);
        }
    }

    /// Closes the gate after a rate-limit 429 and returns the wait: until the window's end when
    /// its start has been seen (to the millisecond), else `Reset - Date + 1 s` as the Okta SDKs
    /// do; at most `cap`.
    pub fn after_429(&self, h: &RateHeaders, cap: Duration) -> Duration {
        let now = Instant::now();
        let precise = {
            let s = self.state();
            if s.windows.is_past(h) {
                // A straggler from a window already over: the current one is open.
                return Duration::ZERO;
            }
            s.windows.precise_end().filter(|&t| t > now)
        };
        match precise {
            Some(end) => {
                let end = end.min(now + cap);
                self.hold_until(end, true);
                end - now
            }
            None => {
                let wait = h.backoff_after_429(cap);
                self.hold_for(wait);
                wait
            }
        }
    }

    /// Records that a request came back or failed before it was sent, releasing the requests
    /// that wait for the first answer.
    pub fn note_answer(&self) {
        if !self.answered.swap(true, Ordering::AcqRel) {
            self.first_answer.notify_waiters();
        }
    }

    /// Marks a request as sent: keep the ticket until its answer.
    pub fn begin(&self) -> Ticket<'_> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.sends
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .note(chrono::Utc::now());
        Ticket {
            pacer: self,
            sent: Instant::now(),
            finished: false,
        }
    }

    /// Learns from one answer's headers.
    fn observe(&self, h: &RateHeaders, sent: Instant) {
        let received = Instant::now();
        let in_flight = self.in_flight.load(Ordering::SeqCst);
        let (new_rate, gate) = {
            let mut s = self.state();
            let seen = s.windows.observe(&Sighting {
                headers: *h,
                sent,
                received,
                in_flight,
            });
            if seen == Seen::Nothing || seen == Seen::Late {
                return;
            }
            if seen == Seen::First {
                self.apply_carry(&mut s.windows, h);
            }
            let reserve = match (self.share(), h.limit) {
                (Some(share), Some(limit)) => reserve(limit, share),
                _ => 0,
            };
            let gate = gate_should_close(h, in_flight + reserve)
                .then(|| (s.windows.over_by(), s.windows.precise_end().is_some()));
            let rate = self.share().and_then(|share| pace(&s.windows, share));
            let changed =
                rate.filter(|&r| s.per_second == 0.0 || (r - s.per_second).abs() > s.per_second * 0.01);
            if let Some(r) = changed {
                s.per_second = r;
            }
            (changed, gate)
        };
        if let Some((over, precise)) = gate {
            match over {
                Some(t) => self.hold_until(t, precise),
                None => self.hold_for(MIN_HOLD),
            }
        }
        if let Some(per_second) = new_rate {
            tracing::debug!(
                pace = %crate::progress::per_minute(per_second * 60.0),
                "pace learned from the rate-limit headers"
            );
            if let Ok(mut slot) = self.limiter.write() {
                *slot = Some(limiter(per_second));
            }
        }
    }
}

impl Pacer {
    /// At the first answer: counts what earlier runs of ours sent in the window it was counted
    /// in. `Reset` is rounded up and `Date` down, so the window has at least `Reset - Date - 2 s`
    /// left.
    fn apply_carry(&self, windows: &mut Windows, h: &RateHeaders) {
        let Some(carry) = self.carry.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return;
        };
        let left = h
            .until_reset()
            .unwrap_or_default()
            .saturating_sub(Duration::from_secs(2));
        let spent = carry.spent(left, chrono::Utc::now());
        if spent > 0 {
            tracing::debug!(spent, "earlier runs of ours already spent part of this window");
        }
        windows.carry(spent);
    }
}

impl Ticket<'_> {
    /// Hands the answer's rate-limit headers to the pacer.
    pub fn finish(mut self, h: &RateHeaders) {
        self.finished = true;
        // Out of flight first: the gate compares `Remaining` with the *other* requests out.
        self.pacer.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.pacer.observe(h, self.sent);
        self.pacer.note_answer();
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.pacer.in_flight.fetch_sub(1, Ordering::SeqCst);
            self.pacer.state().windows.count_unanswered();
            self.pacer.note_answer();
        }
    }
}

#[cfg(test)]
mod tests;
