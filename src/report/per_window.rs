//! A run's requests per Okta rate-limit window against the share of a window it was allowed:
//! what the report's request chart shows. Okta counts a bucket per window, so a second that
//! ran fast inside a window that stayed within its share is no overrun, and a per-second chart
//! against a per-minute line says otherwise; this view counts what Okta counts.
//!
//! The window's length is the one the run learned from Okta's headers (the journal's summary);
//! a run that did not record one (older journals, a run ended in its first window) is drawn
//! against Okta's minute. Windows are aligned on whole multiples of their length since the
//! epoch: Okta does not say where its windows start, so a window drawn here may straddle two of
//! Okta's.

use super::{RateSeries, Run};
use crate::okta::models::okta_time;
use crate::okta::pacing::carry::DEFAULT_WINDOW;

/// A run's requests, window by window.
#[derive(Debug, Clone, PartialEq)]
pub struct PerWindow {
    /// The window's length, seconds.
    pub window_secs: u64,
    /// Whether the run learned it (else Okta's minute is assumed).
    pub learned: bool,
    /// The start of the first bar, epoch seconds.
    pub start: Option<i64>,
    /// Each bar's width, seconds: one window, or a wider bucket of a long run's series.
    pub bar_secs: u64,
    /// Requests in each window; for bars wider than a window, the average per window.
    pub counts: Vec<f64>,
    /// The run's share of one window, in requests, when known.
    pub allowed: Option<f64>,
}

/// The run's requests per window and its share of one.
pub fn of(run: &Run) -> PerWindow {
    let (window_secs, learned) = match run.window {
        Some(w) => (w.secs.max(1), true),
        None => (DEFAULT_WINDOW.as_secs(), false),
    };
    let share = run
        .header
        .options
        .pointer("/rate/share")
        .and_then(serde_json::Value::as_f64);
    let allowed = match (run.window, share) {
        (Some(w), Some(share)) => Some((w.limit as f64 * share.clamp(0.0, 1.0)).floor()),
        _ => run.pace_per_minute.map(|p| p * window_secs as f64 / 60.0),
    };
    let (start, bar_secs, counts) = regroup(&run.requests, window_secs);
    PerWindow {
        window_secs,
        learned,
        start,
        bar_secs,
        counts,
        allowed,
    }
}

/// Regroups a series into windows of `window` seconds aligned on the epoch; a series whose
/// buckets are wider than a window keeps its buckets, each as its average per window. A bucket
/// counts in the window it starts in.
pub fn regroup(series: &RateSeries, window: u64) -> (Option<i64>, u64, Vec<f64>) {
    let bucket = series.bucket_secs.max(1);
    let start = series
        .start
        .as_deref()
        .and_then(okta_time::parse)
        .map(|t| t.timestamp());
    let Some(start) = start.filter(|_| !series.counts.is_empty()) else {
        return (None, window, Vec::new());
    };
    if bucket > window {
        let per_window = window as f64 / bucket as f64;
        let counts = series.counts.iter().map(|&n| n as f64 * per_window).collect();
        return (Some(start), bucket, counts);
    }
    let w = i64::try_from(window).unwrap_or(i64::MAX);
    let first = start.div_euclid(w);
    let mut counts: Vec<f64> = Vec::new();
    for (i, &n) in series.counts.iter().enumerate() {
        let at = start.saturating_add((i as i64).saturating_mul(bucket as i64));
        let k = usize::try_from(at.div_euclid(w) - first).unwrap_or(0);
        if counts.len() <= k {
            counts.resize(k + 1, 0.0);
        }
        counts[k] += n as f64;
    }
    (Some(first * w), window, counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Header, RateWindow};

    fn series(start: &str, bucket_secs: u64, counts: &[u64]) -> RateSeries {
        RateSeries {
            start: Some(start.into()),
            bucket_secs,
            counts: counts.to_vec(),
        }
    }

    #[test]
    fn one_second_buckets_add_up_per_window_aligned_on_the_epoch() {
        // 10:00:58 to 10:01:02: two seconds in one minute, three in the next.
        let s = series("2026-12-06T10:00:58.000Z", 1, &[20, 20, 5, 5, 5]);
        let (start, bar, counts) = regroup(&s, 60);
        assert_eq!(bar, 60);
        assert_eq!(counts, vec![40.0, 15.0]);
        let minute = okta_time::parse("2026-12-06T10:00:00Z").unwrap().timestamp();
        assert_eq!(start, Some(minute));
    }

    #[test]
    fn buckets_wider_than_a_window_become_averages_per_window() {
        let s = series("2026-12-06T10:00:00.000Z", 120, &[600, 300]);
        let (_, bar, counts) = regroup(&s, 60);
        assert_eq!(bar, 120);
        assert_eq!(counts, vec![300.0, 150.0]);
    }

    fn run(options: serde_json::Value, window: Option<RateWindow>, pace: Option<f64>) -> Run {
        Run {
            header: Header {
                options,
                started: okta_time::parse("2026-12-06T10:00:00Z").unwrap(),
                ..Header::sample()
            },
            journal: "j.jsonl".into(),
            ended: None,
            interrupted: None,
            counts: None,
            pace_per_minute: pace,
            window,
            requests: series("2026-12-06T10:00:00.000Z", 1, &[3, 4]),
        }
    }

    #[test]
    fn the_line_is_the_share_of_the_learned_window_or_the_pace_over_a_minute() {
        let auto = serde_json::json!({"rate": {"mode": "auto", "share": 0.5}});
        let learned = Some(RateWindow { secs: 8, limit: 301 });
        let v = of(&run(auto.clone(), learned, Some(1_128.0)));
        assert_eq!((v.window_secs, v.learned, v.allowed), (8, true, Some(150.0)));
        assert_eq!(v.counts, vec![7.0]);
        let v = of(&run(auto, None, Some(300.0)));
        assert_eq!((v.window_secs, v.learned, v.allowed), (60, false, Some(300.0)));
        let fixed = serde_json::json!({"rate": {"mode": "fixed", "per_minute": 120}});
        let v = of(&run(fixed, learned, Some(120.0)));
        assert_eq!(v.allowed, Some(16.0), "120 a minute is 16 per 8 s window");
    }

    #[test]
    fn an_empty_series_has_no_bars() {
        let s = RateSeries {
            start: None,
            bucket_secs: 1,
            counts: Vec::new(),
        };
        assert_eq!(regroup(&s, 60), (None, 60, Vec::new()));
    }
}
