//! Finding 4: a journal another user planted (a symlink to a file of the operator's, or a file
//! of forged outcome lines without a header) is refused with exit 2, never appended to, and
//! nothing is sent.

use crate::helpers::{assert_exit, spawn_emulator, ykprov_against, TestDir};
use crate::seeds;
use okta_emulator::{EmulatorConfig, Endpoint};

/// An empty file of the operator's that a symlink at the journal path points to.
fn victim_behind_link(dir: &TestDir, journal: &str) -> std::path::PathBuf {
    let victim = dir.write("victim.txt", "");
    std::os::unix::fs::symlink(&victim, dir.path().join(journal)).unwrap();
    victim
}

/// `ykprov upload seeds` against `emu`.
async fn upload(emu: &okta_emulator::EmulatorHandle, seeds: &std::path::Path) -> std::process::Output {
    ykprov_against(emu, &["upload", seeds.to_str().unwrap()])
        .output()
        .await
        .unwrap()
}

/// Exit 2, the link's target still empty, nothing uploaded.
fn refused_the_link(
    out: &std::process::Output,
    victim: &std::path::Path,
    emu: &okta_emulator::EmulatorHandle,
) {
    assert_exit(out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(
        std::fs::read(victim).unwrap().len(),
        0,
        "the link's target gained lines"
    );
    assert_eq!(emu.log().count(Endpoint::UploadToken), 0);
}

#[tokio::test]
async fn upload_refuses_a_symlinked_journal_and_leaves_its_target_alone() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let seeds = dir.write("seeds.csv", seeds::csv(&seeds::rows(7_100_000, 3)));
    let victim = victim_behind_link(&dir, "seeds.csv.ykprov-journal.jsonl");
    refused_the_link(&upload(&emu, &seeds).await, &victim, &emu);
}

#[tokio::test]
async fn upload_refuses_forged_outcomes_without_a_header() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let rows = seeds::rows(7_100_100, 2);
    let seeds = dir.write("seeds.csv", seeds::csv(&rows));
    // A private file, as the attacker can make one in a folder they may write to.
    let journal = dir.path().join("seeds.csv.ykprov-journal.jsonl");
    let forged = format!(
        "{{\"type\":\"outcome\",\"serial\":\"{:012}\",\"line\":1,\"result\":\"uploaded\",\"token_id\":\"ykkforged\",\"request_id\":null,\"at\":\"2026-01-01T00:00:00.000Z\"}}\n",
        rows[0].serial
    );
    std::fs::write(&journal, &forged).unwrap();
    std::fs::set_permissions(&journal, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let out = upload(&emu, &seeds).await;
    assert_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("run header"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&journal).unwrap(), forged, "appended to");
    assert_eq!(emu.log().count(Endpoint::UploadToken), 0);
}

#[tokio::test]
async fn upload_refuses_a_journal_others_may_write() {
    use std::os::unix::fs::PermissionsExt;
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let seeds = dir.write("seeds.csv", seeds::csv(&seeds::rows(7_100_200, 2)));
    let out = upload(&emu, &seeds).await;
    assert_exit(&out, 0);
    let journal = dir.path().join("seeds.csv.ykprov-journal.jsonl");
    std::fs::set_permissions(&journal, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = upload(&emu, &seeds).await;
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("mode 666"));
}

#[tokio::test]
async fn repair_refuses_a_symlinked_journal_and_leaves_its_target_alone() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let seeds = dir.write("seeds.csv", seeds::csv(&seeds::rows(7_100_300, 2)));
    let victim = victim_behind_link(&dir, "seeds.csv.ykprov-repair-journal.jsonl");
    let out = ykprov_against(&emu, &["repair", seeds.to_str().unwrap(), "--yes"])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    refused_the_link(&out, &victim, &emu);
}
