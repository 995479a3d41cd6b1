//! Pacing against Okta's buckets (issue 13, parts 4 and 5), witnessed by the emulator's request
//! log: how many requests each rate-limit window received, as the server counted them. Every
//! assertion is a count.

use crate::helpers::TestDir;
use crate::seeds;
use crate::upload::{client_for, options};
use okta_emulator::rate_limit::Bucket;
use okta_emulator::{self as emulator, EmulatorConfig, EmulatorHandle, RateLimit};
use std::time::Duration;
use tokio::sync::watch;
use ykprov::okta::pacing::RateSetting;
use ykprov::upload::{upload, UploadSummary};

async fn upload_all(emu: &EmulatorHandle, first: u32, n: u32, share: f64) -> UploadSummary {
    let dir = TestDir::new();
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(first, n)));
    let mut o = options(&file);
    o.rate = RateSetting::Auto { share };
    o.concurrency = 8;
    o.max_attempts = 12;
    let (_tx, rx) = watch::channel(false);
    let s = upload(&o, client_for(emu, o.rate), rx)
        .await
        .expect("upload runs");
    assert_eq!(s.counts.uploaded, u64::from(n), "{s:?}");
    crate::helpers::assert_each_stored_once(emu, first, n);
    s
}

/// Requests per window of the token path's bucket, in window order.
pub(crate) fn token_windows(emu: &EmulatorHandle) -> Vec<u64> {
    emu.log()
        .per_window()
        .into_iter()
        .filter(|(w, _)| w.bucket == Bucket::ApiV1)
        .map(|(_, n)| n)
        .collect()
}

/// `--share 0.5` of an 800-per-2 s bucket, with 5% of upload answers lost (each one looked up):
/// uploads, lookups and the preflight listing together stay within 400 + 2% of 800 per window.
async fn share_caps_the_bucket(phase: Option<Duration>, first: u32) {
    let config = EmulatorConfig {
        drop_after_commit_rate: 0.05,
        fault_seed: 13,
        latency: Duration::from_millis(1),
        window_phase: phase,
        ..EmulatorConfig::default().with_rate_limit(RateLimit::new(800, Duration::from_secs(2)))
    };
    let emu = emulator::spawn(config).await.unwrap();
    let s = upload_all(&emu, first, 900, 0.5).await;
    let windows = token_windows(&emu);
    assert!(
        s.counts.in_doubt_lookups >= 10,
        "answers were lost and looked up: {s:?}"
    );
    assert!(windows.len() >= 3, "the run spans windows: {windows:?}");
    let busiest = windows.iter().copied().max().unwrap_or(0);
    assert!(
        busiest <= 416,
        "a window held {busiest} requests, more than share × limit + 2%: {windows:?}"
    );
    assert_eq!(emu.log().served_429, 0, "{windows:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_caps_uploads_and_lookups_together_in_each_window() {
    share_caps_the_bucket(None, 60_000_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_caps_each_window_when_windows_run_on_a_fixed_clock() {
    share_caps_the_bucket(Some(Duration::from_millis(777)), 61_000_000).await;
}

/// `--share 1.0` against 1 s windows that start 333 ms after whole seconds, so the whole-second
/// `X-Rate-Limit-Reset` is 667 ms late: no 429 and no window over the limit. How full each
/// window gets depends on this machine's timers, so it is not asserted here: the pacer's unit
/// tests on a paused clock (`okta::pacing::tests`) check that windows starting off the second are
/// learned and filled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_share_against_windows_that_start_off_the_second_gets_no_429() {
    let limit = 60;
    let config = EmulatorConfig {
        latency: Duration::from_millis(1),
        window_phase: Some(Duration::from_millis(333)),
        ..EmulatorConfig::default().with_rate_limit(RateLimit::new(limit, Duration::from_secs(1)))
    };
    let emu = emulator::spawn(config).await.unwrap();
    let s = upload_all(&emu, 62_000_000, 300, 1.0).await;
    let windows = token_windows(&emu);
    assert_eq!(emu.log().served_429, 0, "{windows:?}");
    assert_eq!(s.counts.rate_limited, 0, "{s:?}");
    assert!(windows.len() >= 5, "300 requests at 60 a window: {windows:?}");
    assert!(
        windows.iter().all(|&n| n <= u64::from(limit)),
        "a window over the limit: {windows:?}"
    );
}
