//! Crashes: SIGKILL the real binary at 10 random moments of one upload, resuming each time. The
//! moments come from a seeded RNG; the seed is printed, and `YKPROV_CRASH_SEED=N` replays a run.
//! The end state is exactly once, and the journal has no line that stops a resume (lines torn by
//! a kill are tolerated and reported).

use crate::helpers::TestDir;
use crate::seeds;
use okta_emulator::{self as emulator, EmulatorConfig, EmulatorHandle, Endpoint};
use rand::{Rng, SeedableRng};
use std::time::Duration;

fn upload_cmd(emu: &EmulatorHandle, file: &str) -> tokio::process::Command {
    crate::helpers::ykprov_against(emu, &["upload", file, "--concurrency", "4", "-q"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_seeded_kills_then_resume_store_each_serial_exactly_once() {
    let seed: u64 = std::env::var("YKPROV_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::process::id() as u64 ^ 0x9e37_79b9);
    eprintln!("crash test seed {seed} (replay with YKPROV_CRASH_SEED={seed})");
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    let config = EmulatorConfig {
        latency: Duration::from_millis(3),
        latency_jitter: Duration::from_millis(4),
        drop_after_commit_rate: 0.02,
        fault_seed: seed,
        ..EmulatorConfig::default()
    };
    let emu = emulator::spawn(config).await.unwrap();
    let dir = TestDir::new();
    let n = 300u32;
    let first = 6_000_000u32;
    let file = dir.write("s.csv", seeds::csv(&seeds::rows(first, n)));
    let path = file.to_str().unwrap().to_string();
    // Ten moments, as numbers of POSTs seen by the emulator, plus a random delay after each.
    let mut moments: Vec<u64> = (0..10).map(|_| rng.gen_range(1..u64::from(n) - 20)).collect();
    moments.sort_unstable();
    let mut kills = 0;
    for at in moments {
        let delay = Duration::from_micros(rng.gen_range(0..5_000));
        let mut child = upload_cmd(&emu, &path).spawn().unwrap();
        let mut exited = None;
        for _ in 0..5_000 {
            if emu.log().count(Endpoint::UploadToken) >= at {
                break;
            }
            if let Some(status) = child.try_wait().unwrap() {
                exited = Some(status);
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(delay).await;
        if exited.is_none() && child.try_wait().unwrap().is_none() {
            child.kill().await.unwrap(); // SIGKILL
            kills += 1;
        }
        // Every journal the kills leave behind can be resumed from.
        let replay = ykprov::journal::replay(&ykprov::journal::default_path(&file)).unwrap();
        assert!(
            replay.only_torn_by_crashes,
            "seed {seed}: a corrupt line that is not a torn last line"
        );
    }
    eprintln!("seed {seed}: {kills} kills landed mid-run");
    let out = upload_cmd(&emu, &path).arg("--resume").output().await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "seed {seed}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let log = emu.log();
    for s in first..first + n {
        assert_eq!(
            log.stored_per_serial.get(&format!("{s:012}")),
            Some(&1),
            "seed {seed}: serial {s}"
        );
    }
    assert_eq!(log.stored_per_serial.len(), n as usize);
    let replay = ykprov::journal::replay(&ykprov::journal::default_path(&file)).unwrap();
    assert_eq!(
        replay.outcomes.len(),
        n as usize,
        "seed {seed}: the journal accounts for every row"
    );
    assert!(replay.in_doubt.is_empty(), "seed {seed}");
    assert!(replay.only_torn_by_crashes, "seed {seed}");
    assert!(
        replay.unreadable_lines.len() <= kills,
        "seed {seed}: at most one torn line per kill"
    );
    assert!(replay.outcomes.values().all(|r| r.is_final()), "seed {seed}");
}
