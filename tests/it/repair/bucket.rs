//! `ykprov repair` against Okta's bucket layout (the emulator's default): the token path's GETs
//! (the listing, each re-check, each read-back), DELETEs and POSTs draw on one budget, so
//! `--share` caps them together. Counted per window by the emulator, never timed.

use super::*;
use okta_emulator::rate_limit::Bucket;
use okta_emulator::RateLimit;
use std::time::Duration;

/// Ten BLOCKED keys reissued (GET, DELETE, GET, POST each) and ten missing ones uploaded (GET,
/// POST), at half of a 60-per-second bucket: after the setup, no window of the token path holds
/// more than 30 + 2% of 60, and no request is refused with a 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repair_s_reads_deletes_and_uploads_share_one_bucket_budget() {
    let limit = 60;
    let cfg = EmulatorConfig {
        users: 10,
        latency: Duration::from_millis(1),
        ..EmulatorConfig::default().with_rate_limit(RateLimit::new(limit, Duration::from_secs(1)))
    };
    let emu = emulator::spawn(cfg).await.unwrap();
    let dir = TestDir::new();
    let rows = seeds::rows(910_000, 20);
    let setup = client_for(&emu, RateSetting::Auto { share: 0.5 });
    let admin = Rehearsal::new(&emu.url(), &Secret::new(emu.token())).unwrap();
    let users = emu.users();
    for (i, r) in rows[..10].iter().enumerate() {
        setup.upload(&seed_of(r)).await.unwrap();
        admin.enroll(&users[i].id, &seed_of(r), 1).await.unwrap();
        admin.deactivate_user(&users[i].id).await.unwrap();
    }
    let last_setup_window = token_windows(&emu).last().map(|(seq, _)| *seq).unwrap_or(0);
    let file = dir.write("seeds.csv", seeds::csv(&rows));
    let o = RepairOptions {
        reissue_blocked: true,
        rate: RateSetting::Auto { share: 0.5 },
        quiet: true,
        ..RepairOptions::new(vec![file])
    };
    let client = client_for(&emu, o.rate);
    let prepared = repair::prepare(&o, &client).await.unwrap();
    let (_tx, mut rx) = watch::channel(false);
    let summary = repair::apply(&o, &prepared, &client, &mut rx).await.unwrap();
    let c = &summary.counts;
    assert_eq!((c.done, c.deleted, c.failed), (20, 10, 0), "{summary:#?}");
    let log = emu.log();
    assert_eq!(log.served_429, 0);
    assert_eq!(log.count(Endpoint::DeleteToken), 10);
    let repair_windows: Vec<u64> = token_windows(&emu)
        .into_iter()
        .filter(|(seq, _)| *seq > last_setup_window)
        .map(|(_, n)| n)
        .collect();
    assert!(
        repair_windows.iter().sum::<u64>() >= 40,
        "the re-checks, deletes and uploads ran in windows after the setup: {repair_windows:?}"
    );
    let cap = u64::from(limit) / 2 + u64::from(limit) / 50;
    assert!(
        repair_windows.iter().all(|&n| n <= cap),
        "a window held more than share × limit + 2% ({cap}): {repair_windows:?}"
    );
}

/// The token path's windows, in order: (window number, requests).
fn token_windows(emu: &EmulatorHandle) -> Vec<(u64, u64)> {
    emu.log()
        .per_window()
        .into_iter()
        .filter(|(w, _)| w.bucket == Bucket::ApiV1)
        .map(|(w, n)| (w.seq, n))
        .collect()
}
