//! No false green: an empty seed file, a file that is not the one pinned, or an output that
//! cannot be written stops `upload`, `reconcile` and `repair` with exit 2 before any request.

use crate::helpers::{assert_exit, spawn_emulator, ykprov_against, TestDir};
use crate::seeds;
use okta_emulator::EmulatorConfig;

/// Runs `args` for each of the three commands (the file first) and expects exit 2, a message
/// containing `want`, and nothing sent.
async fn each_refuses(file: &str, extra: &[&str], want: &str) {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    for command in [
        vec!["upload", file],
        vec!["reconcile", file],
        vec!["repair", file, "--yes"],
    ] {
        let mut args = command.clone();
        args.extend(extra);
        let out = ykprov_against(&emu, &args).output().await.unwrap();
        assert_exit(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{}: {err}", command[0]);
        assert!(!err.contains(".ykprov-"), "no temporary file is named: {err}");
    }
    assert_eq!(emu.log().entries.len(), 0, "nothing was sent");
}

#[tokio::test]
async fn an_empty_seed_file_exits_2_naming_it() {
    let dir = TestDir::new();
    let file = dir.write("empty.csv", "");
    let f = file.to_str().unwrap();
    each_refuses(f, &[], &format!("{f} has no seed rows")).await;
}

#[tokio::test]
async fn a_file_that_is_not_the_pinned_one_exits_2_before_any_request() {
    let dir = TestDir::new();
    let file = dir.write("s.csv", seeds::csv(&seeds::rows(31_000_001, 3)));
    let f = file.to_str().unwrap();
    each_refuses(f, &["--expect-rows", "4"], "--expect-rows 4").await;
    let zeros = "0".repeat(64);
    each_refuses(f, &["--expect-sha256", &zeros], "--expect-sha256").await;
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let sha = ykprov::seed::sha256_file(&file).unwrap();
    let out = ykprov_against(
        &emu,
        &["upload", f, "--expect-rows", "3", "--expect-sha256", &sha],
    )
    .output()
    .await
    .unwrap();
    assert_exit(&out, 0);
    assert_eq!(emu.tokens().len(), 3);
}

#[tokio::test]
async fn an_unwritable_report_folder_exits_2_before_any_request_naming_the_report() {
    let dir = TestDir::new();
    let file = dir.write("s.csv", seeds::csv(&seeds::rows(31_000_001, 2)));
    let reports = dir.path().join("reports");
    if ykprov::hardening::euid() == 0 {
        // Root ignores permission bits: a "folder" that is a file cannot hold a report either.
        std::fs::write(&reports, "a file").unwrap();
    } else {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir(&reports).unwrap();
        std::fs::set_permissions(&reports, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    let report = reports.join("run.html");
    let r = report.to_str().unwrap();
    each_refuses(file.to_str().unwrap(), &["--report", r], &format!("--report {r}")).await;
}
