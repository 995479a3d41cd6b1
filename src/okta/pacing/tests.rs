//! The pacer's unit tests: the limiter's quota on a fake clock, and the pacer itself on a paused
//! tokio runtime.

use super::*;
use carry::{Carry, Sent};
use governor::clock::FakeRelativeClock;
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
    let concurrency = RateHeaders {
        limit: Some(0),
        remaining: Some(0),
        ..Default::default()
    };
    assert!(!gate_should_close(&concurrency, 10));
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

// The pacer on a paused runtime: every sleep advances tokio's clock at once, so these tests take
// milliseconds and their counts do not depend on the machine's load.

const DATE: u64 = 1_700_000_000;

fn hdr(limit: u64, remaining: u64, reset_in: u64) -> RateHeaders {
    RateHeaders {
        limit: Some(limit),
        remaining: Some(remaining),
        reset: Some(DATE + reset_in),
        date: Some(DATE),
    }
}

/// Lets every task that can run, run (on a paused clock, no time passes).
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn the_gate_holds_the_next_request_until_the_headers_prove_the_window_over() {
    let p = Pacer::new(RateSetting::Auto { share: 1.0 });
    p.until_ready().await;
    p.begin().finish(&hdr(10, 0, 5));
    let t0 = Instant::now();
    p.until_ready().await;
    let waited = t0.elapsed();
    // Reset - Date = 5 s on the server's clock, plus at most a twentieth of the 4 s estimate.
    assert!(waited >= Duration::from_secs(5), "{waited:?}");
    assert!(waited <= Duration::from_millis(5_200), "{waited:?}");
}

#[tokio::test(start_paused = true)]
async fn a_rate_429_holds_every_worker_for_reset_minus_date_plus_a_second() {
    let p = Arc::new(Pacer::new(RateSetting::Auto { share: 1.0 }));
    p.until_ready().await;
    p.begin().finish(&hdr(100, 99, 10));
    let wait = p.after_429(&hdr(100, 0, 10), Duration::from_secs(30));
    assert_eq!(
        wait,
        Duration::from_secs(11),
        "no window start seen: the SDKs' wait"
    );
    let t0 = Instant::now();
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let p = p.clone();
            tokio::spawn(async move {
                p.until_ready().await;
                Instant::now()
            })
        })
        .collect();
    for w in workers {
        let released = w.await.expect("worker") - t0;
        assert!(released >= wait, "released after {released:?}");
        assert!(released <= wait + Duration::from_millis(400), "{released:?}");
    }
    // The cap wins over a far reset.
    assert_eq!(
        p.after_429(&hdr(100, 0, 600), Duration::from_secs(30)),
        Duration::from_secs(30)
    );
}

#[tokio::test(start_paused = true)]
async fn in_auto_mode_the_first_request_goes_alone_until_its_answer() {
    let p = Arc::new(Pacer::new(RateSetting::Auto { share: 1.0 }));
    p.until_ready().await;
    let probe = p.begin();
    let released = Arc::new(AtomicUsize::new(0));
    for _ in 0..3 {
        let (p, released) = (p.clone(), released.clone());
        tokio::spawn(async move {
            p.until_ready().await;
            released.fetch_add(1, Ordering::SeqCst);
        });
    }
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(released.load(Ordering::SeqCst), 0, "an hour later, still waiting");
    probe.finish(&hdr(6000, 5999, 60));
    settle().await;
    assert_eq!(released.load(Ordering::SeqCst), 2, "a burst of two at once");
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        released.load(Ordering::SeqCst),
        3,
        "the third at the learned pace"
    );
}

#[tokio::test(start_paused = true)]
async fn a_probe_without_an_answer_releases_the_others_and_a_fixed_pace_needs_no_probe() {
    let p = Arc::new(Pacer::new(RateSetting::Auto { share: 1.0 }));
    p.until_ready().await;
    let probe = p.begin();
    let waiter = {
        let p = p.clone();
        tokio::spawn(async move { p.until_ready().await })
    };
    settle().await;
    assert!(!waiter.is_finished());
    drop(probe);
    settle().await;
    assert!(waiter.is_finished(), "a lost answer is an answer too");
    let fixed = Pacer::new(RateSetting::PerMinute(60));
    fixed.until_ready().await;
    fixed.until_ready().await;
    let t0 = Instant::now();
    fixed.until_ready().await;
    assert_eq!(
        t0.elapsed(),
        Duration::from_secs(1),
        "a burst of two, then one a second"
    );
}

/// One simulated Okta bucket on tokio's clock: `limit` requests per window of `window_ms`,
/// windows starting `phase_ms` after the server's whole seconds, answers with whole-second
/// `Reset` and `Date`; it counts what each window received, as the server would. `others`
/// requests of other integrations land at each window's start, as on a shared org.
struct Bucket {
    t0: Instant,
    epoch_ms: u64,
    limit: u64,
    window_ms: u64,
    phase_ms: u64,
    others: u64,
    used: std::collections::BTreeMap<u64, u64>,
}

impl Bucket {
    fn new(limit: u64, window_ms: u64, phase_ms: u64) -> Self {
        Bucket {
            t0: Instant::now(),
            // 50 ms past a whole second when the run starts.
            epoch_ms: DATE * 1000 + 50,
            limit,
            window_ms,
            phase_ms,
            others: 0,
            used: Default::default(),
        }
    }

    fn with_others(mut self, others: u64) -> Self {
        self.others = others;
        self
    }

    /// Counts a request arriving now: its headers, and whether it is over the limit (a 429).
    fn arrive(&mut self) -> (RateHeaders, bool) {
        let ms = self.epoch_ms + self.t0.elapsed().as_millis() as u64;
        let k = (ms - self.phase_ms) / self.window_ms;
        let n = self.used.entry(k).or_insert(self.others);
        *n += 1;
        let end_ms = (k + 1) * self.window_ms + self.phase_ms;
        let h = RateHeaders {
            limit: Some(self.limit),
            remaining: Some(self.limit.saturating_sub(*n)),
            reset: Some(end_ms.div_ceil(1000)),
            date: Some(ms / 1000),
        };
        (h, *n > self.limit)
    }

    /// Our requests in each window, in order.
    fn windows(&self) -> Vec<u64> {
        self.used.values().map(|n| n - self.others).collect()
    }
}

/// `requests` requests through `pacer` by `workers` workers, each answered 1 ms after it is sent
/// (counted on arrival, half-way); a 429 is handled as the client does. Returns the 429s.
async fn drive(pacer: Arc<Pacer>, bucket: Arc<Mutex<Bucket>>, requests: usize, workers: usize) -> usize {
    let next = Arc::new(AtomicUsize::new(0));
    let limited = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let (p, b, next, limited) = (pacer.clone(), bucket.clone(), next.clone(), limited.clone());
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::SeqCst) < requests {
                    loop {
                        p.until_ready().await;
                        let ticket = p.begin();
                        tokio::time::sleep(Duration::from_micros(500)).await;
                        let (h, over) = b.lock().expect("bucket").arrive();
                        tokio::time::sleep(Duration::from_micros(500)).await;
                        ticket.finish(&h);
                        if !over {
                            break;
                        }
                        limited.fetch_add(1, Ordering::SeqCst);
                        p.after_429(&h, Duration::from_secs(60));
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("worker");
    }
    limited.load(Ordering::SeqCst)
}

#[tokio::test(start_paused = true)]
async fn a_run_sends_its_share_of_each_window_and_no_more() {
    let p = Arc::new(Pacer::new(RateSetting::Auto { share: 0.5 }));
    let b = Arc::new(Mutex::new(Bucket::new(40, 10_000, 0)));
    let limited = drive(p, b.clone(), 100, 8).await;
    let windows = b.lock().unwrap().windows();
    assert_eq!(limited, 0, "{windows:?}");
    assert!(windows.len() >= 5, "{windows:?}");
    assert!(windows.iter().all(|&n| n <= 20), "over half of 40: {windows:?}");
    let middle = &windows[1..windows.len() - 1];
    assert!(middle.iter().all(|&n| n >= 18), "a window left idle: {windows:?}");
}

/// The paused-time form of `tests/it/pacing.rs`'s old real-time check: `--share 1.0` against 1 s
/// windows that start 333 ms after whole seconds (so the whole-second `Reset` is 667 ms late),
/// on an org whose other integrations spend 20 of the 60 at each window's start. The gate closes
/// when `Remaining` runs out; once a boundary has been seen it reopens at the window's true end,
/// so every full window holds at least 80% of the 40 left to us and none more. A pacer that
/// waited for the whole-second reset would lose most of every other window. The first two
/// windows are left out: the first is partial, and the second is shortened by the first hold,
/// timed from the whole-second headers before any boundary is seen.
#[tokio::test(start_paused = true)]
async fn windows_that_start_off_the_second_are_learned_and_filled_without_a_429() {
    let p = Arc::new(Pacer::new(RateSetting::Auto { share: 1.0 }));
    let b = Arc::new(Mutex::new(Bucket::new(60, 1_000, 333).with_others(20)));
    let limited = drive(p.clone(), b.clone(), 400, 8).await;
    let windows = b.lock().unwrap().windows();
    assert_eq!(limited, 0, "{windows:?}");
    assert!(windows.len() >= 10, "{windows:?}");
    assert!(windows.iter().all(|&n| n <= 40), "{windows:?}");
    let middle = &windows[2..windows.len() - 1];
    assert!(middle.iter().all(|&n| n >= 32), "a window under 80%: {windows:?}");
    assert!(p.window_start().is_some(), "the phase was learned");
    assert_eq!(p.learned_limit(), Some((60, Duration::from_secs(1))));
}

/// A run resumed 1 s after an earlier run of ours sent 15 requests, inside the same 10 s window:
/// with those counted, the window holds half of 40 in all, not 15 plus a fresh half.
#[tokio::test(start_paused = true)]
async fn a_resumed_run_counts_what_the_earlier_run_sent_in_its_first_window() {
    let p = Arc::new(Pacer::new(RateSetting::Auto { share: 0.5 }));
    p.carry_in(Carry {
        sent: vec![Sent {
            latest: chrono::Utc::now() - chrono::TimeDelta::seconds(1),
            requests: 15,
        }],
        window: Some(Duration::from_secs(10)),
    });
    let b = Arc::new(Mutex::new(Bucket::new(40, 10_000, 0)));
    // The run starts 50 ms into the window the earlier run's requests were counted in.
    let first = (DATE * 1000 + 50) / 10_000;
    b.lock().unwrap().used.insert(first, 15);
    let limited = drive(p, b.clone(), 60, 8).await;
    let windows = b.lock().unwrap().windows();
    assert_eq!(limited, 0, "{windows:?}");
    assert!(windows.len() >= 3, "{windows:?}");
    assert!(
        (16..=20).contains(&windows[0]),
        "15 earlier + ours in the first window: {windows:?}"
    );
    assert!(windows[1..].iter().all(|&n| n <= 20), "{windows:?}");
}

/// Sends older than the window the run starts in are not ours to count.
#[tokio::test(start_paused = true)]
async fn sends_before_the_current_window_are_not_counted() {
    let p = Pacer::new(RateSetting::Auto { share: 0.5 });
    p.carry_in(Carry {
        sent: vec![Sent {
            latest: chrono::Utc::now() - chrono::TimeDelta::seconds(30),
            requests: 15,
        }],
        window: Some(Duration::from_secs(10)),
    });
    p.until_ready().await;
    p.begin().finish(&hdr(40, 39, 10));
    assert_eq!(p.carried(), 0);
}

#[test]
fn the_gate_keeps_two_percent_for_the_neighbours_or_what_the_share_leaves_them() {
    assert_eq!(reserve(600, 0.5), 12);
    assert_eq!(reserve(600, 0.99), 6);
    assert_eq!(reserve(600, 1.0), 0);
    assert_eq!(reserve(10, 0.5), 1, "rounded up");
}

/// At half the bucket, an answer with 2% of the window left closes the gate until the reset:
/// the rest is for the org's other integrations.
#[tokio::test(start_paused = true)]
async fn the_gate_closes_before_the_bucket_runs_dry() {
    let p = Pacer::new(RateSetting::Auto { share: 0.5 });
    p.until_ready().await;
    p.begin().finish(&hdr(100, 2, 5));
    let t0 = Instant::now();
    p.until_ready().await;
    assert!(t0.elapsed() >= Duration::from_secs(5), "{:?}", t0.elapsed());
    let full = Pacer::new(RateSetting::Auto { share: 1.0 });
    full.until_ready().await;
    full.begin().finish(&hdr(100, 2, 5));
    let t0 = Instant::now();
    full.until_ready().await;
    assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
}
