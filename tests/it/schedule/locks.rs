//! Two writers on one journal or one org: the second exits 2 at once, naming the first, and the
//! emulator sees nothing of it.

use crate::helpers::{assert_exit, private_state, spawn_emulator, ykprov_against, TestDir};
use crate::seeds;
use okta_emulator::{EmulatorConfig, EmulatorHandle};
use std::path::Path;
use std::time::Duration;
use ykprov::lock::{self, Holder};

fn holder() -> Holder {
    Holder::this_process("upload", "tester@here".into())
}

fn requests(emu: &EmulatorHandle) -> usize {
    emu.log().entries.len()
}

#[tokio::test]
async fn an_upload_on_a_held_journal_exits_2_naming_the_holder_and_sends_nothing() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(31_000_001, 3)));
    let journal = dir.path().join("j.jsonl");
    let held = lock::acquire(&lock::journal_lock_path(&journal), "the journal", &holder()).unwrap();
    let args = [
        "upload",
        file.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
    ];
    let out = ykprov_against(&emu, &args).output().await.unwrap();
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    let pid = format!("pid {}", std::process::id());
    assert!(
        err.contains("is in use by another ykprov run") && err.contains(&pid),
        "{err}"
    );
    assert_eq!(requests(&emu), 0, "nothing reached Okta");
    drop(held);
    let out = ykprov_against(&emu, &args).output().await.unwrap();
    assert_exit(&out, 0);
    assert_eq!(emu.tokens().len(), 3);
}

#[tokio::test]
async fn a_second_writer_on_a_held_org_exits_2_but_a_reconcile_runs() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(31_000_001, 2)));
    let held = lock::acquire(
        &lock::org_lock_path(&private_state(), &emu.url()),
        "the org",
        &holder(),
    )
    .unwrap();
    let (f, revoke_journal) = (file.to_str().unwrap(), dir.path().join("revoke.jsonl"));
    for args in [
        vec!["upload", f],
        vec!["repair", f, "--yes"],
        vec![
            "revoke",
            "31000001",
            "--reason",
            "lost",
            "--yes",
            "--journal",
            revoke_journal.to_str().unwrap(),
        ],
    ] {
        let out = ykprov_against(&emu, &args).output().await.unwrap();
        assert_exit(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("the org http://127.0.0.1") && err.contains("`ykprov upload`"),
            "{err}"
        );
    }
    assert_eq!(requests(&emu), 0, "no writer reached Okta");
    let out = ykprov_against(&emu, &["reconcile", file.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 1); // the keys are missing: a read-only command took no org lock
    drop(held);
}

/// Waits (bounded) until `path` names the process `pid`: the first run holds its lock.
async fn wait_for_holder(path: &Path, pid: u32) {
    let needle = format!("\"pid\":{pid}");
    for _ in 0..600 {
        if std::fs::read_to_string(path).is_ok_and(|t| t.contains(&needle)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the first run never took its lock");
}

#[tokio::test]
async fn two_real_runs_on_one_journal_the_second_exits_2_and_nothing_is_doubled() {
    let emu = spawn_emulator(EmulatorConfig {
        latency: Duration::from_millis(150),
        ..EmulatorConfig::default()
    })
    .await;
    let dir = TestDir::new();
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(31_000_001, 12)));
    let f = file.to_str().unwrap();
    let first = ykprov_against(&emu, &["upload", f, "--concurrency", "1"])
        .spawn()
        .unwrap();
    let pid = first.id().unwrap();
    let journal = ykprov::journal::default_path(&file);
    wait_for_holder(&lock::journal_lock_path(&journal), pid).await;
    let second = ykprov_against(&emu, &["upload", f]).output().await.unwrap();
    let first = first.wait_with_output().await.unwrap();
    assert_exit(&second, 2);
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains(&format!("pid {pid}")), "{err}");
    assert_exit(&first, 0);
    let log = emu.log();
    assert_eq!(log.stored_per_serial.len(), 12);
    assert!(
        log.posts_per_serial.values().all(|&n| n == 1),
        "{:?}",
        log.posts_per_serial
    );
}
