//! The share is kept across runs (issue 21): a run started inside the window of an earlier run
//! of ours counts that run's requests against `--share` in its first window, whether they come
//! from the journal it resumes or from the ledger's record of a run on another file; and a
//! neighbour integration using the rest of the bucket never meets a 429. The emulator's request
//! log is the witness: requests per emulator window, counted as the server counted them.

use crate::helpers::{assert_each_stored_once, assert_exit, private_ledger, ykprov_against, TestDir};
use crate::pacing::token_windows;
use crate::seeds;
use crate::upload::{client_for, options};
use okta_emulator::rate_limit::Bucket;
use okta_emulator::{self as emulator, EmulatorConfig, EmulatorHandle, RateLimit};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use ykprov::okta::pacing::RateSetting;
use ykprov::upload::upload;

/// 300 requests per 8 s window at `--share 0.5`: 150 a window, and 2% of the limit over it is 156.
const LIMIT: u32 = 300;
const MOST: u64 = 150 + 6;

async fn emulator_of(limit: u32, window: Duration) -> EmulatorHandle {
    emulator::spawn(EmulatorConfig {
        latency: Duration::from_millis(1),
        ..EmulatorConfig::default().with_rate_limit(RateLimit::new(limit, window))
    })
    .await
    .unwrap()
}

fn token_requests(emu: &EmulatorHandle) -> u64 {
    token_windows(emu).iter().sum()
}

/// `ykprov upload FILE --share 0.5 --concurrency 8` with `ledger`, which must exit 0.
async fn upload_binary(emu: &EmulatorHandle, file: &Path, ledger: &Path) {
    let out = ykprov_against(
        emu,
        &[
            "upload",
            file.to_str().unwrap(),
            "--share",
            "0.5",
            "--concurrency",
            "8",
        ],
    )
    .env("YKPROV_LEDGER", ledger)
    .output()
    .await
    .unwrap();
    assert_exit(&out, 0);
}

/// The first window must hold requests of both runs, or the test would prove nothing.
fn assert_shared_and_within(windows: &[u64], first_run: u64) {
    assert!(
        windows.first().is_some_and(|&n| n > first_run),
        "the second run did not start inside the first run's window ({first_run} requests): {windows:?}"
    );
    let busiest = windows.iter().copied().max().unwrap_or(0);
    assert!(
        busiest <= MOST,
        "a window held {busiest} requests, more than share × limit + 2%: {windows:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_resumed_inside_an_interrupted_runs_window_keeps_the_window_within_the_share() {
    let emu = emulator_of(LIMIT, Duration::from_secs(8)).await;
    let dir = TestDir::new();
    let (first, n) = (63_000_000, 260);
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(first, n)));
    let mut o = options(&file);
    o.rate = RateSetting::Auto { share: 0.5 };
    o.concurrency = 8;
    // The first run is interrupted (as by Ctrl-C) once it has sent 60 requests: it leaves only
    // its journal, no record in the ledger.
    let (stop, rx) = watch::channel(false);
    let run = tokio::spawn({
        let (o, client) = (o.clone(), client_for(&emu, o.rate));
        async move { upload(&o, client, rx).await.expect("upload runs") }
    });
    while token_requests(&emu) < 60 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.send(true).unwrap();
    let interrupted = run.await.unwrap();
    assert!(interrupted.interrupted, "{interrupted:?}");
    let sent_first = token_requests(&emu);
    upload_binary(&emu, &file, &private_ledger()).await;
    assert_shared_and_within(&token_windows(&emu), sent_first);
    assert_each_stored_once(&emu, first, n);
    // The report's chart counts per window, against the share of the window the run learned.
    let report = dir.path().join("report.html");
    ykprov::report::write_upload_report(&report, &ykprov::journal::default_path(&file)).unwrap();
    let html = std::fs::read_to_string(&report).unwrap();
    // 150 is half of the learned limit (the pace alone would give another figure).
    assert!(html.contains("share of a window: 150<"), "{html}");
    assert!(html.contains("Requests per Okta window"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_on_another_file_counts_what_the_ledger_recorded_of_the_last_one() {
    let emu = emulator_of(LIMIT, Duration::from_secs(8)).await;
    let dir = TestDir::new();
    let ledger = private_ledger();
    let a = dir.write("a.csv", seeds::csv(&seeds::rows(64_000_000, 70)));
    let b = dir.write("b.csv", seeds::csv(&seeds::rows(64_100_000, 200)));
    upload_binary(&emu, &a, &ledger).await;
    let sent_first = token_requests(&emu);
    upload_binary(&emu, &b, &ledger).await;
    assert_shared_and_within(&token_windows(&emu), sent_first);
    assert_each_stored_once(&emu, 64_100_000, 200);
}

/// Another integration of the org, sending `per_window` GETs evenly through each `window` to the
/// token path's bucket until told to stop; returns what it sent and how many 429s it met.
async fn neighbour(
    org: String,
    token: String,
    per_window: u32,
    window: Duration,
    mut stop: watch::Receiver<bool>,
) -> (u64, u64) {
    let http = reqwest::Client::new();
    let url = format!("{org}/api/v1/org/factors/yubikey_token/tokens?limit=1");
    let auth = format!("SSWS {token}");
    let (sent, limited) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut tick = tokio::time::interval(window / per_window);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut tasks = tokio::task::JoinSet::new();
    while !*stop.borrow() {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        let (http, url, auth, sent, limited) = (
            http.clone(),
            url.clone(),
            auth.clone(),
            sent.clone(),
            limited.clone(),
        );
        tasks.spawn(async move {
            sent.fetch_add(1, Ordering::SeqCst);
            let answer = http.get(&url).header("Authorization", &auth).send().await;
            if answer.is_ok_and(|a| a.status() == 429) {
                limited.fetch_add(1, Ordering::SeqCst);
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    (sent.load(Ordering::SeqCst), limited.load(Ordering::SeqCst))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_neighbour_using_the_rest_of_the_bucket_meets_no_429() {
    let window = Duration::from_secs(2);
    let emu = emulator_of(200, window).await;
    let (stop, rx) = watch::channel(false);
    let load = tokio::spawn(neighbour(
        emu.url().to_string(),
        emu.token().to_string(),
        100,
        window,
        rx,
    ));
    // The neighbour is already sending when the run starts.
    while token_requests(&emu) < 20 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let dir = TestDir::new();
    let (first, n) = (65_000_000, 300);
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(first, n)));
    let mut o = options(&file);
    o.rate = RateSetting::Auto { share: 0.5 };
    o.concurrency = 8;
    o.max_attempts = 12;
    let (_tx, quiet) = watch::channel(false);
    let s = upload(&o, client_for(&emu, o.rate), quiet)
        .await
        .expect("upload runs");
    stop.send(true).unwrap();
    let (sent, limited) = load.await.unwrap();
    let windows = token_windows(&emu);
    assert_eq!(s.counts.uploaded, u64::from(n), "{s:?}");
    assert!(windows.len() >= 4, "the run spans windows: {windows:?}");
    assert!(sent >= 250, "the neighbour kept sending: {sent}");
    assert_eq!(
        limited,
        0,
        "the neighbour met 429s: {windows:?} {}",
        by_method(&emu)
    );
    assert_eq!(emu.log().served_429, 0, "{windows:?}");
    assert_each_stored_once(&emu, first, n);
}

/// The nightly reconcile, an export and a probe spend the same bucket as the writer that may
/// follow them: their requests are in the ledger's record of sends, so the next run's first
/// window counts them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_read_only_command_records_its_requests_for_the_next_run() {
    let emu = emulator::spawn(EmulatorConfig {
        max_page_size: 2,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let dir = TestDir::new();
    let file = dir.write("a.csv", seeds::csv(&seeds::rows(65_000_000, 12)));
    // The tokens go in with a ledger of their own, so each command's are the only sends below.
    upload_binary(&emu, &file, &private_ledger()).await;
    let file = file.to_str().unwrap();
    for (args, least) in [
        (vec!["reconcile", "--via", "pages", file], 6),
        (vec!["export", "--via", "pages", "-o", "-"], 6),
        (vec!["probe"], 3),
    ] {
        let before = token_requests(&emu);
        let ledger = private_ledger();
        let out = ykprov_against(&emu, &args)
            .env("YKPROV_LEDGER", &ledger)
            .output()
            .await
            .unwrap();
        assert!(
            out.status.code().is_some_and(|c| c < 2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let sent = token_requests(&emu) - before;
        assert!(
            sent >= least,
            "{args:?}: 12 tokens in pages of 2, saw {sent} requests"
        );
        assert_eq!(
            recorded_reads(&emu, &ledger),
            sent,
            "the ledger's record of {args:?}'s requests"
        );
    }
}

/// The requests a ledger holds for the org from the last minutes, as a writer's first window sees
/// them.
fn recorded_reads(emu: &EmulatorHandle, ledger: &Path) -> u64 {
    use ykprov::ledger::{sends::SendSource, Ledger};
    let carry = Ledger::open(ledger)
        .unwrap()
        .earlier_sends(&emu.url(), SendSource::Reads("upload"), chrono::Utc::now())
        .unwrap();
    carry.sent.iter().map(|s| s.requests).sum()
}

/// Per window of the token bucket: its first and last request's time and the GETs and POSTs in it.
fn by_method(emu: &EmulatorHandle) -> String {
    use std::collections::BTreeMap;
    let log = emu.log();
    let mut w: BTreeMap<u64, (u128, u128, u64, u64, Vec<u16>)> = BTreeMap::new();
    for e in &log.entries {
        let Some(win) = e.window.filter(|w| w.bucket == Bucket::ApiV1) else {
            continue;
        };
        let t = e.at.as_millis();
        let x = w.entry(win.seq).or_insert((t, t, 0, 0, Vec::new()));
        x.1 = t;
        if e.method == "GET" {
            x.2 += 1
        } else {
            x.3 += 1
        }
        if e.status == Some(429) {
            x.4.push(0)
        }
    }
    format!("{w:?}")
}
