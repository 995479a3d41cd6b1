//! Faults at scale, reduced for `cargo test` (the full 10,000-row run is `scripts/soak`): 600
//! rows with 10% 5xx, 5% dropped-after-commit, latency jitter, a concurrency limit of 3 against
//! `--concurrency 8`, rate limits, and a competing client that keeps hammering the token bucket.
//! Afterwards every serial is stored exactly once and the journal accounts for every row.

use crate::helpers::TestDir;
use crate::seeds;
use crate::upload::{client_for, options};
use okta_emulator::{self as emulator, EmulatorConfig, RateLimit};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use ykprov::okta::pacing::RateSetting;
use ykprov::upload::upload;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn six_hundred_rows_under_every_fault_land_exactly_once() {
    let n = 600u32;
    let first = 5_000_000u32;
    let config = EmulatorConfig {
        fail_rate: 0.1,
        drop_after_commit_rate: 0.05,
        latency: Duration::from_millis(2),
        latency_jitter: Duration::from_millis(5),
        concurrency_limit: Some(3),
        // One bucket for the whole token path, as on Okta, with the room of the two 200/s
        // buckets (GET, POST) this test had before the buckets were merged.
        api_limit: Some(RateLimit::new(400, Duration::from_secs(1))),
        fault_seed: 9,
        ..EmulatorConfig::default()
    };
    let emu = emulator::spawn(config).await.unwrap();
    let dir = TestDir::new();
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(first, n)));

    // The competitor: another tool on the same org listing tokens and posting junk (a 400 that
    // still counts against the bucket) at up to a quarter of the bucket, until the upload is
    // over (bounded either way).
    let stop = Arc::new(AtomicBool::new(false));
    let competing = Arc::new(AtomicU64::new(0));
    let competitor = {
        let (stop, competing) = (stop.clone(), competing.clone());
        let (url, token) = (emu.url(), emu.token());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let tokens = format!("{url}{}", ykprov::okta::models::TOKENS_PATH);
            for i in 0..20_000u32 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let req = if i % 2 == 0 {
                    http.get(format!("{tokens}?limit=20"))
                } else {
                    http.post(&tokens)
                        .body("{}")
                        .header("content-type", "application/json")
                };
                let _ = req.header("authorization", format!("SSWS {token}")).send().await;
                competing.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };

    let mut o = options(&file);
    o.concurrency = 8;
    o.max_attempts = 12;
    let (_tx, rx) = watch::channel(false);
    let client = client_for(&emu, RateSetting::Auto { share: 1.0 });
    let s = upload(&o, client, rx).await.expect("upload runs");
    stop.store(true, Ordering::SeqCst);
    competitor.await.unwrap();

    let log = emu.log();
    eprintln!(
        "soak(600): uploaded {} retries {} in-doubt lookups {} 429s seen {}+{} (client) / {} served, \
         injected 5xx {}, dropped {}, competing requests {}",
        s.counts.uploaded,
        s.counts.retries,
        s.counts.in_doubt_lookups,
        s.counts.rate_limited,
        s.counts.concurrency_limited,
        log.served_429,
        log.failed,
        log.dropped_after_commit,
        competing.load(Ordering::Relaxed)
    );
    assert!(
        log.failed > 0 && log.dropped_after_commit > 0,
        "faults were injected"
    );
    assert!(competing.load(Ordering::Relaxed) > 0, "the competitor ran");
    assert!(s.is_clean(), "{s:?}");
    assert_eq!(s.counts.uploaded, u64::from(n));
    crate::helpers::assert_each_stored_once(&emu, first, n);
    assert_eq!(log.stored_per_serial.len(), n as usize, "nothing else stored");
    let replay = ykprov::journal::replay(s.journal.as_ref().unwrap()).unwrap();
    assert_eq!(
        replay.outcomes.len(),
        n as usize,
        "the journal accounts for every row"
    );
    assert!(replay.in_doubt.is_empty() && replay.unreadable_lines.is_empty());
    assert!(replay
        .outcomes
        .values()
        .all(|r| matches!(r, ykprov::journal::RowResult::Uploaded { .. })));
}
