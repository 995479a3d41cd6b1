//! `ykprov upload` against the emulator: happy path, re-runs, faults, 429s, interruptions and
//! crashes. The emulator's request log is the witness: every assertion is a count, never a time.

use crate::helpers::TestDir;
use crate::seeds;
use okta_emulator::{self as emulator, EmulatorConfig, EmulatorHandle, Endpoint, RateLimit};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::watch;
use ykprov::journal::{self, Entry, RowResult};
use ykprov::okta::pacing::RateSetting;
use ykprov::okta::{ClientConfig, OktaClient};
use ykprov::secret::Secret;
use ykprov::seed::Serial;
use ykprov::upload::{upload, UploadOptions, UploadSummary};

pub fn client_for(emu: &EmulatorHandle, rate: RateSetting) -> OktaClient {
    crate::helpers::init_test_log();
    let mut cfg = ClientConfig::new(emu.url().parse().unwrap(), Secret::new(emu.token()));
    cfg.rate = rate;
    cfg.timeout = Duration::from_secs(5);
    OktaClient::new(cfg).unwrap()
}

pub fn options(file: &Path) -> UploadOptions {
    UploadOptions {
        rate: RateSetting::Auto { share: 1.0 },
        quiet: true,
        ..UploadOptions::new(file)
    }
}

pub async fn run(emu: &EmulatorHandle, o: &UploadOptions) -> UploadSummary {
    let (_tx, rx) = watch::channel(false);
    upload(o, client_for(emu, o.rate), rx).await.expect("upload runs")
}

fn seed_file(dir: &TestDir, first: u32, n: u32) -> PathBuf {
    dir.write("seeds.csv", seeds::csv(&seeds::rows(first, n)))
}

/// Every serial of `first..first+n` stored exactly once, and nothing else.
fn assert_exactly_once(emu: &EmulatorHandle, first: u32, n: u32) {
    crate::helpers::assert_each_stored_once(emu, first, n);
    assert_eq!(emu.tokens().len(), n as usize);
}

/// The journal's last outcome per serial.
fn journal_outcomes(path: &Path) -> std::collections::HashMap<Serial, RowResult> {
    journal::replay(path).unwrap().outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn happy_path_uploads_every_row_once_and_journals_it() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let file = seed_file(&dir, 1000, 40);
    let s = run(&emu, &options(&file)).await;
    assert!(s.is_clean(), "{s:?}");
    assert_eq!(s.counts.uploaded, 40);
    assert_exactly_once(&emu, 1000, 40);
    let journal = s.journal.clone().unwrap();
    let outcomes = journal_outcomes(&journal);
    assert_eq!(outcomes.len(), 40);
    assert!(outcomes
        .values()
        .all(|r| matches!(r, RowResult::Uploaded { token_id, .. } if token_id.starts_with("ykk"))));
    let text = std::fs::read_to_string(&journal).unwrap();
    for r in seeds::rows(1000, 40) {
        for secret in r.secrets() {
            assert!(!text.contains(&secret), "journal leaks a secret");
        }
    }
    let log = emu.log();
    assert_eq!(log.count(Endpoint::UploadToken), 40);
    assert!(log.max_in_flight <= 4, "in flight {}", log.max_in_flight);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rerun_uploads_nothing_with_or_without_the_journal() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let file = seed_file(&dir, 2000, 20);
    run(&emu, &options(&file)).await;
    // Same journal: everything is done before.
    let again = run(&emu, &options(&file)).await;
    assert_eq!(again.counts.done_before, 20);
    assert_eq!(again.counts.uploaded, 0);
    // A fresh journal: the preflight finds every serial in Okta.
    let mut o = options(&file);
    o.journal = Some(dir.path().join("other.jsonl"));
    let fresh = run(&emu, &o).await;
    assert_eq!(fresh.counts.already_present, 20);
    assert!(fresh.is_clean());
    assert_eq!(
        emu.log().count(Endpoint::UploadToken),
        20,
        "no second POST for any serial"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_sends_no_post_and_plans_exactly() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let file = seed_file(&dir, 3000, 10);
    let mut first = options(&dir.write("part.csv", seeds::csv(&seeds::rows(3000, 4))));
    first.journal = Some(dir.path().join("part.jsonl"));
    run(&emu, &first).await;
    let mut o = options(&file);
    o.dry_run = true;
    let s = run(&emu, &o).await;
    assert_eq!((s.plan.to_upload, s.plan.already_present), (6, 4));
    assert_eq!(emu.log().count(Endpoint::UploadToken), 4);
    assert!(s.journal.is_none());
    assert!(
        !ykprov::journal::default_path(&file).exists(),
        "a dry run writes no journal"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_rows_stop_the_run_before_anything_is_sent() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let mut rows = seeds::rows(4000, 5);
    rows[2] = rows[2].clone().bad_key();
    let file = dir.write("seeds.csv", seeds::csv(&rows));
    let s = run(&emu, &options(&file)).await;
    assert!(s.stopped_for_invalid);
    assert_eq!(emu.log().entries.len(), 0, "not a single request");
    // With --skip-invalid the four valid rows go, and the bad one is journaled as invalid.
    let mut o = options(&file);
    o.skip_invalid = true;
    let s = run(&emu, &o).await;
    assert_eq!((s.counts.uploaded, s.counts.invalid), (4, 1));
    assert!(!s.is_clean());
    let text = std::fs::read_to_string(s.journal.unwrap()).unwrap();
    assert!(text.contains("\"result\":\"invalid\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_dropped_answers_still_store_each_serial_exactly_once() {
    let config = EmulatorConfig {
        fail_rate: 0.1,
        drop_after_commit_rate: 0.05,
        fault_seed: 7,
        ..EmulatorConfig::default()
    };
    let emu = emulator::spawn(config).await.unwrap();
    let dir = TestDir::new();
    let n = 2000;
    let file = seed_file(&dir, 10_000, n);
    let mut o = options(&file);
    o.concurrency = 8;
    o.max_attempts = 10;
    let s = run(&emu, &o).await;
    let log = emu.log();
    assert!(
        log.failed > 0 && log.dropped_after_commit > 0,
        "faults were injected: {} {}",
        log.failed,
        log.dropped_after_commit
    );
    assert_eq!(s.counts.uploaded, u64::from(n), "{s:?}");
    assert!(s.counts.in_doubt_lookups >= log.dropped_after_commit);
    assert_exactly_once(&emu, 10_000, n);
    for (serial, posts) in &log.posts_per_serial {
        assert!(
            *posts <= 1 || log.stored_per_serial.get(serial) == Some(&1),
            "serial {serial} POSTed {posts} times"
        );
    }
    let outcomes = journal_outcomes(s.journal.as_ref().unwrap());
    assert_eq!(outcomes.len(), n as usize, "the journal accounts for every row");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_429s_are_waited_out_and_every_row_lands() {
    let config = EmulatorConfig::default().with_rate_limit(RateLimit::new(10, Duration::from_secs(1)));
    let emu = emulator::spawn(config).await.unwrap();
    let dir = TestDir::new();
    let file = seed_file(&dir, 20_000, 30);
    let mut o = options(&file);
    o.concurrency = 8;
    let s = run(&emu, &o).await;
    assert_eq!(s.counts.uploaded, 30, "{s:?}");
    assert_exactly_once(&emu, 20_000, 30);
    assert_eq!(
        s.counts.rate_limited,
        emu.log().served_429 - emu.log().served_concurrency_429
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_429s_lower_the_requests_in_flight() {
    let config = EmulatorConfig {
        concurrency_limit: Some(2),
        latency: Duration::from_millis(20),
        ..EmulatorConfig::default()
    };
    let emu = emulator::spawn(config).await.unwrap();
    let dir = TestDir::new();
    let file = seed_file(&dir, 30_000, 60);
    let mut o = options(&file);
    o.concurrency = 8;
    let s = run(&emu, &o).await;
    assert_eq!(s.counts.uploaded, 60, "{s:?}");
    assert_exactly_once(&emu, 30_000, 60);
    let log = emu.log();
    assert!(log.served_concurrency_429 > 0);
    assert_eq!(s.counts.concurrency_limited, log.served_concurrency_429);
    assert!(log.max_in_flight <= 2);
}

/// Waits (bounded) until the emulator has seen `n` upload requests.
async fn wait_for_posts(emu: &EmulatorHandle, n: u64) {
    for _ in 0..2000 {
        if emu.log().count(Endpoint::UploadToken) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the emulator never saw {n} uploads");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_mid_run_stops_cleanly_and_a_resume_finishes_exactly_once() {
    let config = EmulatorConfig {
        latency: Duration::from_millis(5),
        ..EmulatorConfig::default()
    };
    let emu = emulator::spawn(config).await.unwrap();
    let token = emu.token();
    let dir = TestDir::new();
    let file = seed_file(&dir, 40_000, 80);
    let o = options(&file);
    let (_tx, rx) = watch::channel(false);
    let client = client_for(&emu, o.rate);
    let opts = o.clone();
    let task = tokio::spawn(async move { upload(&opts, client, rx).await });
    wait_for_posts(&emu, 10).await;
    emu.set_token("00revokedrevokedrevokedrevokedrevokedrevoked");
    let s = task.await.unwrap().unwrap();
    let fatal = s.fatal.clone().expect("a 401 is fatal");
    assert!(fatal.contains("refused the credentials"), "{fatal}");
    assert!(!fatal.contains(&token));
    let posts_at_stop = emu.log().count(Endpoint::UploadToken);
    assert!(posts_at_stop < 80, "it stopped sending");
    emu.set_token(&token);
    let s = run(&emu, &o).await;
    assert!(s.is_clean(), "{s:?}");
    assert_exactly_once(&emu, 40_000, 80);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_finishes_in_flight_uploads_and_resume_completes_the_rest() {
    let config = EmulatorConfig {
        latency: Duration::from_millis(5),
        ..EmulatorConfig::default()
    };
    let emu = emulator::spawn(config).await.unwrap();
    let dir = TestDir::new();
    let file = seed_file(&dir, 50_000, 80);
    let o = options(&file);
    let (tx, rx) = watch::channel(false);
    let client = client_for(&emu, o.rate);
    let opts = o.clone();
    let task = tokio::spawn(async move { upload(&opts, client, rx).await });
    wait_for_posts(&emu, 10).await;
    tx.send(true).unwrap();
    let s = task.await.unwrap().unwrap();
    assert!(s.interrupted);
    let journaled = journal_outcomes(s.journal.as_ref().unwrap()).len() as u64;
    assert_eq!(
        journaled,
        emu.tokens().len() as u64,
        "every upload that landed is journaled"
    );
    let replay = journal::replay(s.journal.as_ref().unwrap()).unwrap();
    assert!(
        replay.in_doubt.is_empty(),
        "in-flight uploads were allowed to finish"
    );
    let s = run(&emu, &o).await;
    assert!(s.is_clean());
    assert_eq!(s.counts.done_before, journaled);
    assert_exactly_once(&emu, 50_000, 80);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_for_another_file_is_refused() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let file = seed_file(&dir, 60_000, 3);
    let mut o = options(&file);
    o.journal = Some(dir.path().join("j.jsonl"));
    run(&emu, &o).await;
    std::fs::write(&file, seeds::csv(&seeds::rows(60_000, 4))).unwrap();
    let (_tx, rx) = watch::channel(false);
    let err = upload(&o, client_for(&emu, o.rate), rx).await.unwrap_err();
    assert!(
        format!("{err:#}").contains("different version of the seed file"),
        "{err:#}"
    );
}

#[test]
fn journal_lines_are_all_readable_json() {
    let e = Entry::Intent {
        serial: "000000000001".into(),
        line: 1,
        attempt: 1,
        at: chrono::Utc::now(),
    };
    let text = serde_json::to_string(&e).unwrap();
    assert!(text.starts_with("{\"type\":\"intent\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_whose_records_are_all_history_is_uploaded_again() {
    let config = EmulatorConfig {
        quirks: okta_emulator::quirks::Quirks::parse_all(["soft-delete"]).unwrap(),
        ..EmulatorConfig::default()
    };
    let emu = emulator::spawn(config).await.unwrap();
    let dir = TestDir::new();
    let file = seed_file(&dir, 7000, 5);
    run(&emu, &options(&file)).await;
    let admin = ykprov::demo::rehearse::Rehearsal::new(&emu.url(), &Secret::new(emu.token())).unwrap();
    for s in [7001u32, 7003] {
        let t = admin.token_of(&Serial::from(s)).await.unwrap().expect("uploaded");
        admin.delete_token(&t.id).await.unwrap();
    }
    assert_eq!(emu.tokens().len(), 5, "soft-deleted records stay listed");
    let mut o = options(&file);
    o.journal = Some(dir.path().join("second.jsonl"));
    let again = run(&emu, &o).await;
    assert_eq!(
        (again.counts.uploaded, again.counts.already_present),
        (2, 3),
        "{again:?}"
    );
    let log = emu.log();
    for (s, stored) in [(7000u32, 1), (7001, 2), (7002, 1), (7003, 2), (7004, 1)] {
        assert_eq!(
            log.stored_per_serial.get(Serial::from(s).as_str()),
            Some(&stored),
            "serial {s}"
        );
    }
    let statuses: Vec<String> = crate::helpers::client_tokens(&emu)
        .iter()
        .filter(|t| t.serial_padded() == Some(Serial::from(7001u32)))
        .map(|t| t.status.to_string())
        .collect();
    assert_eq!(statuses, ["REVOKED", "UNASSIGNED"]);
    for via in [
        ykprov::okta::inventory::Via::Pages,
        ykprov::okta::inventory::Via::Download,
    ] {
        let ro = ykprov::reconcile::ReconcileOptions {
            via,
            ..ykprov::reconcile::ReconcileOptions::new(vec![file.clone()])
        };
        let r = ykprov::reconcile::reconcile(&ro, &client_for(&emu, o.rate))
            .await
            .unwrap();
        let rec = &r.reconciliation;
        assert_eq!(
            rec.count(&ykprov::reconcile::diff::Category::Unassigned),
            5,
            "{via:?}"
        );
        assert_eq!(
            rec.count(&ykprov::reconcile::diff::Category::Revoked),
            0,
            "{via:?}"
        );
        let with_history: Vec<&str> = rec
            .items
            .iter()
            .filter(|i| !i.history.is_empty())
            .map(|i| i.serial.as_str())
            .collect();
        assert_eq!(with_history, ["000000007001", "000000007003"], "{via:?}");
    }
}
