//! Finding 5: a core dump during a run held every AES key and the token. While a run is in
//! flight its core size limit is 0, even when started with an unlimited one; and the systemd unit
//! says so too.

use crate::helpers::{spawn_emulator, TestDir};
use crate::seeds;
use okta_emulator::EmulatorConfig;
use std::time::Duration;

#[tokio::test]
async fn a_run_in_flight_has_a_core_size_limit_of_zero() {
    let emu = spawn_emulator(EmulatorConfig {
        latency: Duration::from_millis(400),
        ..EmulatorConfig::default()
    })
    .await;
    let dir = TestDir::new();
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(7_500_000, 3)));
    // Start it the way a shell with `ulimit -c unlimited` would (raising the soft limit only).
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -S -c \"$(ulimit -H -c)\"; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_ykprov"))
        .args(["upload", file.to_str().unwrap(), "--concurrency", "1"])
        .env("OKTA_CLIENT_ORGURL", emu.url())
        .env("OKTA_CLIENT_TOKEN", emu.token())
        .env("HOME", "/nonexistent")
        .env("YKPROV_LEDGER", crate::helpers::private_ledger())
        .env("YKPROV_STATE_DIR", crate::helpers::private_state())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    // In flight: the emulator has seen its first request, the run is far from done.
    for _ in 0..400 {
        if !emu.log().entries.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        !emu.log().entries.is_empty(),
        "the run never reached the emulator"
    );
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let status = child.try_wait().unwrap();
    assert!(status.is_none(), "the run ended before its limits were read");
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap()
        .split_whitespace()
        .skip(4)
        .take(2)
        .collect::<Vec<_>>();
    assert_eq!(core, ["0", "0"], "{limits}");
    child.wait().await.unwrap();
}

#[test]
fn the_systemd_unit_turns_core_dumps_off() {
    let unit = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/systemd/ykprov-reconcile.service"),
    )
    .unwrap();
    assert!(unit.lines().any(|l| l.trim() == "LimitCORE=0"), "{unit}");
}
