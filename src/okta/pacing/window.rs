//! What a pacer learns of its bucket's windows from the answers it sees: the limit, the window's
//! length, and where the current window really started on our own clock.
//!
//! Okta's `X-Rate-Limit-Reset` and `Date` have whole seconds, and nothing makes a window start on
//! a whole second, so a client that trusts them to the second can lose up to a second per window.
//! The real boundary shows in the answers themselves: the first answer counted in a new window
//! has `Remaining` back up (and, for windows of a second or more, a later `Reset`). The boundary
//! lies after the last request the server counted in the old window was sent and no later than
//! that first new answer arrived, so a wait timed from that arrival is never early. The length
//! comes from how far `Reset` moves from window to window (whole seconds, as Okta's per-minute
//! windows are; a shorter window keeps the safe one-second estimate).
//!
//! Everything here is pure: times are passed in, so sequences of headers are unit-tested without
//! sleeping.

use super::headers::RateHeaders;
use std::time::Duration;
use tokio::time::Instant;

/// One answer, as the pacer saw it.
#[derive(Debug, Clone, Copy)]
pub struct Sighting {
    /// Its rate-limit headers.
    pub headers: RateHeaders,
    /// When its request left.
    pub sent: Instant,
    /// When the answer arrived.
    pub received: Instant,
    /// Other requests of the bucket still out when it arrived.
    pub in_flight: usize,
}

/// Where the current window started on our clock: after `after` (when known) and no later than
/// `by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Start {
    /// The last request counted in the previous window was sent then.
    pub after: Option<Instant>,
    /// The first answer counted in this window arrived then.
    pub by: Instant,
}

/// What one answer told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// No rate headers (or a concurrency 429): nothing learned.
    Nothing,
    /// The first answer with headers.
    First,
    /// Another answer in the current window.
    Same,
    /// A late answer from the previous window.
    Late,
    /// The first answer of a new window.
    NewWindow,
}

#[derive(Debug, Clone, Copy)]
struct Current {
    reset: Option<u64>,
    lowest: u64,
    ours: u64,
    // Requests earlier runs of ours sent in this window (the run's first window only).
    carried: u64,
    last_sent: Instant,
    // The earliest time the headers alone prove the window over: received + (Reset - Date).
    over_by: Option<Instant>,
}

/// The learned state of one bucket's windows.
#[derive(Debug, Default)]
pub struct Windows {
    limit: Option<u64>,
    length: Option<Duration>,
    estimated: bool,
    current: Option<Current>,
    previous_reset: Option<u64>,
    start: Option<Start>,
    // The most requests seen in flight at once: answers can arrive out of order, lifting
    // `Remaining` by up to that many without a new window.
    slack: u64,
}

impl Windows {
    /// Nothing known yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bucket's limit per window.
    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// The window's length: learned from a move of `Reset`, or estimated from the first answer.
    pub fn length(&self) -> Option<Duration> {
        self.length
    }

    /// Whether the length is only an estimate (no move of `Reset` seen yet).
    pub fn is_estimated(&self) -> bool {
        self.estimated
    }

    /// Where the current window started, once a boundary has been seen.
    pub fn start(&self) -> Option<Start> {
        self.start
    }

    /// Our answers counted in the current window.
    pub fn ours(&self) -> u64 {
        self.current.map_or(0, |c| c.ours)
    }

    /// Whether an answer with these headers was counted in a window that is already over.
    pub fn is_past(&self, h: &RateHeaders) -> bool {
        matches!((h.reset, self.current.and_then(|c| c.reset)), (Some(r), Some(c)) if r < c)
    }

    /// Learns from one answer.
    pub fn observe(&mut self, s: &Sighting) -> Seen {
        let h = s.headers;
        let Some(limit) = h.limit.filter(|&n| n > 0) else {
            return Seen::Nothing;
        };
        self.limit = Some(limit);
        self.slack = self.slack.max(s.in_flight as u64 + 1);
        let remaining = h.remaining.unwrap_or(limit);
        let fresh = Current {
            reset: h.reset,
            lowest: remaining,
            ours: 1,
            carried: 0,
            last_sent: s.sent,
            over_by: h.until_reset().map(|d| s.received + d),
        };
        let Some(cur) = self.current.as_mut() else {
            self.current = Some(fresh);
            self.estimate_length(&h);
            return Seen::First;
        };
        match (h.reset, cur.reset) {
            (Some(r), Some(c)) if r < c => {
                // Counted in the previous window: the boundary came after it was sent.
                if self.previous_reset == Some(r) {
                    if let Some(start) = self.start.as_mut() {
                        start.after = Some(start.after.map_or(s.sent, |a| a.max(s.sent)));
                    }
                }
                return Seen::Late;
            }
            (Some(r), Some(c)) if r > c => {
                let moved = Duration::from_secs(r - c);
                // Keep the smallest move: a quiet spell can skip whole windows.
                if self.estimated || self.length.map_or(true, |w| moved < w) {
                    self.length = Some(moved);
                    self.estimated = false;
                }
            }
            // `Remaining` jumped back up with the same `Reset`: a window shorter than a second.
            _ if remaining > cur.lowest.saturating_add(self.slack) => {}
            _ => {
                cur.lowest = cur.lowest.min(remaining);
                cur.ours += 1;
                cur.last_sent = cur.last_sent.max(s.sent);
                cur.over_by = match (cur.over_by, fresh.over_by) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                return Seen::Same;
            }
        }
        self.start = Some(Start {
            after: Some(cur.last_sent),
            by: s.received,
        });
        self.previous_reset = cur.reset;
        *cur = fresh;
        Seen::NewWindow
    }

    /// First sight: the time left in this window is a lower bound of its length. `Date` is
    /// rounded down and `Reset` up to whole seconds, so take one off.
    fn estimate_length(&mut self, h: &RateHeaders) {
        if self.length.is_some() {
            return;
        }
        let left = h
            .until_reset()
            .unwrap_or(Duration::from_secs(61))
            .saturating_sub(Duration::from_secs(1));
        self.length = Some(left.clamp(Duration::from_secs(1), Duration::from_secs(60)));
        self.estimated = true;
    }

    /// When the current window is surely over: its observed start plus its length (to the
    /// millisecond, once both are known), or what the whole-second headers prove, whichever is
    /// sooner. Never early: the start is taken at its latest possible instant.
    pub fn over_by(&self) -> Option<Instant> {
        let precise = self.precise_end();
        let coarse = self.current.and_then(|c| c.over_by);
        match (precise, coarse) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The current window's end from its observed start, when the start and length are known.
    pub fn precise_end(&self) -> Option<Instant> {
        match (self.start, self.length, self.estimated) {
            (Some(start), Some(w), false) => Some(start.by + w),
            _ => None,
        }
    }

    /// Counts a request whose answer never came (lost connection, timeout) in the current window:
    /// the server may well have counted it, and a budget that forgot it would let lost answers
    /// push a window past `--share`.
    pub fn count_unanswered(&mut self) {
        if let Some(cur) = self.current.as_mut() {
            cur.ours += 1;
        }
    }

    /// Counts `requests` that earlier runs of ours sent in the current window (see
    /// [`carry`](super::carry)); a new window starts from zero again.
    pub fn carry(&mut self, requests: u64) {
        if let Some(cur) = self.current.as_mut() {
            cur.carried = requests;
        }
    }

    /// What earlier runs of ours spent of the current window.
    pub fn carried(&self) -> u64 {
        self.current.map_or(0, |c| c.carried)
    }

    /// Whether our requests in this window (answered and in flight, and in the first window
    /// those of earlier runs of ours) have used `share` of it.
    pub fn budget_spent(&self, share: f64, in_flight: usize) -> bool {
        let Some(limit) = self.limit else {
            return false;
        };
        let budget = ((limit as f64) * share.clamp(0.0, 1.0)).floor().max(1.0) as u64;
        self.ours() + self.carried() + in_flight as u64 >= budget
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers to a client on our clock, from `t0`.
    struct Run {
        t0: Instant,
        w: Windows,
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn hdr(limit: u64, remaining: u64, reset: u64, date: u64) -> RateHeaders {
        RateHeaders {
            limit: Some(limit),
            remaining: Some(remaining),
            reset: Some(reset),
            date: Some(date),
        }
    }

    impl Run {
        fn new() -> Self {
            Run {
                t0: Instant::now(),
                w: Windows::new(),
            }
        }

        fn at(&self, millis: u64) -> Instant {
            self.t0 + ms(millis)
        }

        /// An answer to a request sent at `sent_ms`, back 1 ms later.
        fn answer(&mut self, sent_ms: u64, h: RateHeaders) -> Seen {
            let s = Sighting {
                headers: h,
                sent: self.at(sent_ms),
                received: self.at(sent_ms + 1),
                in_flight: 0,
            };
            self.w.observe(&s)
        }
    }

    /// Windows of 1 s starting 333 ms after whole seconds (server time = t0 + 1,000.000 s), 10
    /// requests allowed: the headers say Reset 1,002 for the window [1,000.333, 1,001.333).
    fn phased_second(run: &mut Run, from_ms: u64, to_ms: u64, step: u64) -> Vec<Seen> {
        let mut used: std::collections::HashMap<u64, u64> = Default::default();
        (from_ms..to_ms)
            .step_by(step as usize)
            .map(|t| {
                // The server counts the request when it arrives, half a millisecond after sending.
                let server_ms = 1_000_000 + t;
                let k = (server_ms - 333) / 1000;
                let n = used.entry(k).or_default();
                *n += 1;
                let end_ms = k * 1000 + 333 + 1000;
                let reset = end_ms.div_ceil(1000);
                run.answer(t, hdr(10, 10 - *n, reset, server_ms / 1000))
            })
            .collect()
    }

    #[test]
    fn a_window_start_is_bracketed_between_the_last_old_request_and_the_first_new_answer() {
        let mut run = Run::new();
        // Requests every 100 ms from server time 1,000.050: the boundary is at 1,000.333.
        let seen = phased_second(&mut run, 50, 1_400, 100);
        assert_eq!(seen[0], Seen::First);
        assert_eq!(seen[2], Seen::Same, "250 ms: still the first window");
        assert_eq!(seen[3], Seen::NewWindow, "350 ms: Remaining is back up");
        // The next boundary, 1,001.333, is seen at 1,350 ms.
        assert_eq!(seen[13], Seen::NewWindow);
        let start = run.w.start().unwrap();
        assert_eq!(start.after, Some(run.at(1_250)));
        assert_eq!(start.by, run.at(1_351));
        assert_eq!(run.w.length(), Some(Duration::from_secs(1)));
        assert!(!run.w.is_estimated());
        // The window is over by 2,351 ms (true end 2,333); the headers alone (Reset 1,003, Date
        // 1,001 on the answer received at 1,351 ms) only prove it over by 3,351 ms.
        assert_eq!(run.w.precise_end(), Some(run.at(2_351)));
        assert_eq!(run.w.over_by(), Some(run.at(2_351)));
    }

    #[test]
    fn before_a_boundary_is_seen_only_the_whole_second_headers_bound_the_window() {
        let mut run = Run::new();
        // One answer at server time 1,000.100: Reset 1,001 (the window ends 1,000.333), Date 1,000.
        phased_second(&mut run, 100, 101, 1);
        assert_eq!(run.w.precise_end(), None);
        assert_eq!(run.w.over_by(), Some(run.at(1_101)), "received + (Reset - Date)");
        assert!(run.w.is_estimated());
        assert_eq!(run.w.length(), Some(Duration::from_secs(1)), "clamped estimate");
    }

    #[test]
    fn answers_out_of_order_do_not_fake_a_new_window() {
        let mut run = Run::new();
        let (sent, received) = (run.at(10), run.at(30));
        let late = |remaining, in_flight| Sighting {
            headers: hdr(100, remaining, 1_060, 1_000),
            sent,
            received,
            in_flight,
        };
        let (a, b, c) = (late(50, 2), late(48, 1), late(49, 0));
        assert_eq!(run.w.observe(&a), Seen::First);
        assert_eq!(run.w.observe(&b), Seen::Same);
        assert_eq!(run.w.observe(&c), Seen::Same, "one up, with requests in flight");
        assert_eq!(run.w.ours(), 3);
        let jump = late(99, 0);
        assert_eq!(
            run.w.observe(&jump),
            Seen::NewWindow,
            "same Reset, but Remaining jumped"
        );
        assert_eq!(run.w.ours(), 1);
    }

    #[test]
    fn a_late_answer_from_the_old_window_narrows_the_start_and_counts_nowhere() {
        let mut run = Run::new();
        assert_eq!(run.answer(0, hdr(100, 5, 1_060, 1_000)), Seen::First);
        assert_eq!(run.answer(20, hdr(100, 99, 1_120, 1_060)), Seen::NewWindow);
        let straggler = Sighting {
            headers: hdr(100, 4, 1_060, 1_059),
            sent: run.at(15),
            received: run.at(40),
            in_flight: 0,
        };
        assert_eq!(run.w.observe(&straggler), Seen::Late);
        let start = run.w.start().unwrap();
        assert_eq!((start.after, start.by), (Some(run.at(15)), run.at(21)));
        assert_eq!(run.w.ours(), 1);
    }

    #[test]
    fn the_length_is_the_smallest_move_of_reset_and_a_skipped_window_does_not_lengthen_it() {
        let mut run = Run::new();
        // First sight 21 s before the reset (rounded): a 20 s estimate.
        run.answer(0, hdr(600, 500, 1_000_021, 1_000_000));
        assert_eq!(run.w.length(), Some(Duration::from_secs(20)));
        assert!(run.w.is_estimated());
        run.answer(21_000, hdr(600, 599, 1_000_081, 1_000_021));
        assert_eq!(run.w.length(), Some(Duration::from_secs(60)));
        run.answer(150_000, hdr(600, 599, 1_000_201, 1_000_150));
        assert_eq!(run.w.length(), Some(Duration::from_secs(60)));
    }

    #[test]
    fn concurrency_429s_and_headerless_answers_teach_nothing() {
        let mut run = Run::new();
        assert_eq!(run.answer(0, hdr(0, 0, 1_001, 1_000)), Seen::Nothing);
        assert_eq!(run.answer(0, RateHeaders::default()), Seen::Nothing);
        assert_eq!(run.w.limit(), None);
    }

    #[test]
    fn the_budget_counts_our_answers_in_this_window_and_what_is_in_flight() {
        let mut run = Run::new();
        assert!(!run.w.budget_spent(0.5, 100), "nothing known: no budget");
        for t in 0..4 {
            run.answer(t, hdr(10, 9 - t, 1_060, 1_000));
        }
        assert!(!run.w.budget_spent(0.5, 0));
        assert!(
            run.w.budget_spent(0.5, 1),
            "4 answered + 1 in flight = half of 10"
        );
        run.answer(10, hdr(10, 9, 1_120, 1_060));
        assert!(!run.w.budget_spent(0.5, 3), "a new window, a new budget");
        assert!(run.w.budget_spent(0.01, 0), "at least one request per window");
    }

    #[test]
    fn a_lost_answer_still_counts_against_this_windows_budget() {
        let mut run = Run::new();
        for t in 0..4 {
            run.answer(t, hdr(10, 9 - t, 1_060, 1_000));
        }
        assert!(!run.w.budget_spent(0.5, 0));
        run.w.count_unanswered();
        assert_eq!(run.w.ours(), 5);
        assert!(run.w.budget_spent(0.5, 0), "4 answered + 1 lost = half of 10");
    }

    #[test]
    fn earlier_runs_sends_count_in_the_first_window_only() {
        let mut run = Run::new();
        run.answer(0, hdr(10, 9, 1_060, 1_000));
        run.w.carry(3);
        assert!(!run.w.budget_spent(0.5, 0), "1 ours + 3 earlier < 5");
        assert!(run.w.budget_spent(0.5, 1), "1 ours + 3 earlier + 1 in flight = 5");
        run.answer(10, hdr(10, 9, 1_120, 1_060));
        assert_eq!(run.w.carried(), 0);
        assert!(!run.w.budget_spent(0.5, 3), "a new window: only our own requests");
    }
}
