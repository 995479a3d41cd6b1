//! What earlier runs of ours already spent of the window a run starts in.
//!
//! Okta counts a bucket's requests per window, whoever sends them. A run that starts (or resumes)
//! inside the window of an earlier run of ours must count that run's requests against `--share`
//! too, or the two together take twice their share and drain the bucket that the org's other
//! integrations share. The earlier sends come from the journal being resumed (its intent times)
//! and from the ledger's record of our other runs on the org; this module only decides how many
//! of them fall in the current window, from times passed in. After the first window a run counts
//! only its own requests (`Windows`), and a neighbour integration's requests are the header
//! gate's business, not ours.

use chrono::{DateTime, TimeDelta, Utc};
use std::time::Duration;

/// Okta's rate-limit windows are a minute long; assumed wherever the bucket's window is not known:
/// by the pace before the headers show it, by the carry when no earlier run learned it, by the
/// report's per-window chart when the run recorded none. Too long a guess only counts a few more
/// earlier requests (the run waits a little more); too short a one could let the run overspend,
/// so the guess errs long.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(60);

/// `requests` sent by an earlier run of ours, the last of them at `latest` (a journal intent's
/// time, or the end of a second the ledger counted requests in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// When the last of them left, at the latest.
    pub latest: DateTime<Utc>,
    /// How many.
    pub requests: u64,
}

/// What a run inherits from earlier runs of ours on the same org: their sends, newest last or in
/// any order, and the window length one of them learned (`None`: [`DEFAULT_WINDOW`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Carry {
    /// Earlier sends (only those of the last window length matter).
    pub sent: Vec<Sent>,
    /// The bucket's window length as an earlier run learned it.
    pub window: Option<Duration>,
}

impl Carry {
    /// How many of the current window's requests these earlier sends spent, as
    /// [`spent_in_window`] counts them with this carry's window length.
    pub fn spent(&self, left: Duration, now: DateTime<Utc>) -> u64 {
        spent_in_window(&self.sent, self.window.unwrap_or(DEFAULT_WINDOW), left, now)
    }
}

/// How many requests of the window current at `now` earlier runs of ours already sent: those
/// sent since the window could have started. The window is `window` long and has at least `left`
/// to run (zero when unknown), so it started no earlier than `now + left - window`. Sends after
/// `now` (a clock stepped back) count too: in doubt, a request is counted, since counting one
/// too many costs a short wait and one too few can cost the org's other integrations a 429.
pub fn spent_in_window(earlier: &[Sent], window: Duration, left: Duration, now: DateTime<Utc>) -> u64 {
    let back = TimeDelta::from_std(window.saturating_sub(left)).unwrap_or(TimeDelta::MAX);
    let since = now.checked_sub_signed(back).unwrap_or(DateTime::<Utc>::MIN_UTC);
    earlier
        .iter()
        .filter(|s| s.latest >= since)
        .map(|s| s.requests)
        .sum()
}

/// How long a [`SendLog`] remembers: longer than any window a later run looks back over.
const KEPT_SECS: i64 = 300;

/// The requests one run sent to a bucket, per second of the wall clock, kept for the
/// [`Carry`] of the next run (the ledger stores them when the run ends). Only the last few
/// minutes are kept: no later run looks back further than one window.
#[derive(Debug, Default)]
pub struct SendLog {
    // (epoch second, requests sent in it), oldest first.
    seconds: std::collections::VecDeque<(i64, u64)>,
}

impl SendLog {
    /// Counts a request sent at `now`.
    pub fn note(&mut self, now: DateTime<Utc>) {
        let second = now.timestamp();
        match self.seconds.back_mut() {
            Some((s, n)) if *s == second => *n += 1,
            _ => self.seconds.push_back((second, 1)),
        }
        while self.seconds.front().is_some_and(|(s, _)| *s < second - KEPT_SECS) {
            self.seconds.pop_front();
        }
    }

    /// The sends remembered, each second's requests as sent by its end.
    pub fn sent(&self) -> Vec<Sent> {
        self.seconds
            .iter()
            .filter_map(|&(s, n)| {
                Some(Sent {
                    latest: DateTime::from_timestamp(s.checked_add(1)?, 0)?,
                    requests: n,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(1_700_000_000_000 + ms).expect("in range")
    }

    fn sent(ms: i64, requests: u64) -> Sent {
        Sent {
            latest: at(ms),
            requests,
        }
    }

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn only_sends_within_the_last_window_length_are_spent() {
        let earlier = [sent(-90_000, 40), sent(-59_000, 7), sent(-1_000, 3)];
        assert_eq!(spent_in_window(&earlier, MIN, Duration::ZERO, at(0)), 10);
        assert_eq!(spent_in_window(&[], MIN, Duration::ZERO, at(0)), 0);
    }

    #[test]
    fn the_time_left_in_the_window_moves_its_start_later() {
        // 20 s left of a 60 s window: it started 40 s ago, so a send 50 s ago was in the last one.
        let earlier = [sent(-50_000, 5), sent(-39_000, 2), sent(-100, 1)];
        let left = Duration::from_secs(20);
        assert_eq!(spent_in_window(&earlier, MIN, left, at(0)), 3);
    }

    #[test]
    fn a_send_at_the_windows_possible_start_or_after_now_counts() {
        let earlier = [sent(-10_000, 4), sent(5_000, 2)];
        let ten = Duration::from_secs(10);
        assert_eq!(spent_in_window(&earlier, ten, Duration::ZERO, at(0)), 6);
    }

    #[test]
    fn more_time_left_than_the_window_counts_only_what_is_not_in_the_past() {
        let earlier = [sent(-1, 4), sent(0, 1)];
        assert_eq!(spent_in_window(&earlier, MIN, 2 * MIN, at(0)), 1);
    }

    #[test]
    fn a_carry_without_a_learned_window_assumes_oktas_minute() {
        let carry = Carry {
            sent: vec![sent(-59_000, 2), sent(-61_000, 9)],
            window: None,
        };
        assert_eq!(carry.spent(Duration::ZERO, at(0)), 2);
        let short = Carry {
            window: Some(Duration::from_secs(5)),
            ..carry
        };
        assert_eq!(short.spent(Duration::ZERO, at(0)), 0);
    }

    #[test]
    fn the_send_log_counts_per_second_and_forgets_what_no_window_reaches() {
        let mut log = SendLog::default();
        for ms in [0, 100, 999, 1_000, 400_000] {
            log.note(at(ms));
        }
        // Only the second of 400 s in remains: the first second is more than five minutes older.
        assert_eq!(log.sent(), vec![sent(401_000, 1)]);
        let mut log = SendLog::default();
        for ms in [0, 100, 999, 1_000] {
            log.note(at(ms));
        }
        assert_eq!(log.sent(), vec![sent(1_000, 3), sent(2_000, 1)]);
    }
}
