//! Disk and environment faults, through the real binary: a journal folder that cannot exist, a
//! report that hits a file-size limit (a full disk, as far as `write(2)` can tell), a seed file
//! changed during the run, and an org that is unreachable, unresolvable or not speaking TLS.
//! Each gives exit 2, exactly one `error:` line, and no half-written journal or report.

use crate::helpers::{assert_exit, TestDir};
use crate::seeds;
use okta_emulator::{self as emulator, EmulatorConfig, Endpoint};
use std::path::Path;
use std::process::Output;
use std::time::Duration;

fn ykprov(args: &[&str], org: &str, token: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_ykprov"));
    cmd.args(args)
        .env("OKTA_CLIENT_ORGURL", org)
        .env("OKTA_CLIENT_TOKEN", token)
        .env("HOME", "/nonexistent")
        .env("YKPROV_LEDGER", crate::helpers::private_ledger())
        .env("YKPROV_STATE_DIR", crate::helpers::private_state())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// Exit 2, one `error:` line that contains `want`, no panic, no token; returns the message.
fn assert_one_fatal(out: &Output, want: &str, token: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "one message: {stderr}");
    assert!(errors[0].contains(want), "wanted {want:?}: {}", errors[0]);
    assert!(!stderr.contains(token) && !String::from_utf8_lossy(&out.stdout).contains(token));
    errors[0].to_string()
}

/// No file in `dir` other than `keep`: no journal, report or temporary file left behind.
fn assert_only(dir: &Path, keep: &[&str]) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, keep, "files left in {}", dir.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_under_a_regular_file_is_one_error_before_any_post() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let file = dir.write("s.csv", seeds::csv(&seeds::rows(1_000, 3)));
    dir.write("file.txt", "not a folder");
    // Root ignores permission bits, so force ENOTDIR instead: a "folder" that is a file.
    let journal = dir.path().join("file.txt/journal.jsonl");
    let out = ykprov(
        &[
            "upload",
            file.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
        ],
        &emu.url(),
        &emu.token(),
    )
    .output()
    .await
    .unwrap();
    assert_one_fatal(&out, "journal", &emu.token());
    assert_eq!(
        emu.log().count(Endpoint::UploadToken),
        0,
        "nothing sent without a journal"
    );
    assert_only(dir.path(), &["file.txt", "s.csv"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_that_cannot_be_written_leaves_no_half_file() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let file = dir.write("s.csv", seeds::csv(&seeds::rows(2_000, 300)));
    let journal = dir.path().join("j.jsonl");
    let out = ykprov(
        &[
            "upload",
            file.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
            "-q",
        ],
        &emu.url(),
        &emu.token(),
    )
    .output()
    .await
    .unwrap();
    assert_exit(&out, 0);
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    // A 16 KiB file-size limit (SIGXFSZ ignored, so write(2) fails with EFBIG): the disk is
    // "full" part-way through the report, which is far larger than that.
    for name in ["audit.html", "audit.csv", "audit.json", "audit.md"] {
        let target = reports.join(name);
        let script = format!(
            "trap '' XFSZ; ulimit -f 16; exec \"$0\" report --journal '{}' --out '{}'",
            journal.display(),
            target.display()
        );
        let out = tokio::process::Command::new("bash")
            .args(["-c", &script, env!("CARGO_BIN_EXE_ykprov")])
            .env("HOME", "/nonexistent")
            .env("YKPROV_LEDGER", crate::helpers::private_ledger())
            .env("YKPROV_STATE_DIR", crate::helpers::private_state())
            .output()
            .await
            .unwrap();
        let msg = assert_one_fatal(&out, "cannot write", &emu.token());
        assert!(msg.contains(name), "{msg}");
        assert_only(&reports, &[]);
    }
    // Without the limit the same report is written whole.
    let target = reports.join("audit.html");
    let out = ykprov(
        &[
            "report",
            "--journal",
            journal.to_str().unwrap(),
            "--out",
            target.to_str().unwrap(),
        ],
        &emu.url(),
        &emu.token(),
    )
    .output()
    .await
    .unwrap();
    assert_exit(&out, 0);
    assert!(
        std::fs::metadata(&target).unwrap().len() > 16 * 1024,
        "the limit was really hit"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_file_changed_during_the_upload_stops_it_and_the_journal_stays_whole() {
    let config = EmulatorConfig {
        latency: Duration::from_millis(20),
        ..EmulatorConfig::default()
    };
    let emu = emulator::spawn(config).await.unwrap();
    let dir = TestDir::new();
    let rows = seeds::rows(3_000, 60);
    let file = dir.write("s.csv", seeds::csv(&rows));
    let child = ykprov(
        &["upload", file.to_str().unwrap(), "--concurrency", "2"],
        &emu.url(),
        &emu.token(),
    )
    .spawn()
    .unwrap();
    for _ in 0..5000 {
        if emu.log().count(Endpoint::UploadToken) >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // An operator appends a key while the upload runs.
    let mut text = seeds::csv(&rows);
    text.push_str(&seeds::row(3_100).line());
    text.push('\n');
    std::fs::write(&file, text).unwrap();
    let out = child.wait_with_output().await.unwrap();
    assert_one_fatal(&out, "changed during the upload", &emu.token());
    let replay = ykprov::journal::replay(&ykprov::journal::default_path(&file)).unwrap();
    assert!(replay.unreadable_lines.is_empty());
    assert!(replay.in_doubt.is_empty(), "every intent has its outcome");
    let log = emu.log();
    for (serial, n) in &log.stored_per_serial {
        assert_eq!(*n, 1, "{serial}");
        assert!(
            replay.outcomes.contains_key(serial.as_str()),
            "{serial} stored but not journaled"
        );
    }
    assert_eq!(replay.outcomes.len(), log.stored_per_serial.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_unresolvable_and_non_tls_orgs_are_one_error_each() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    // A port nobody listens on: bind, note it, close.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let tls_to_plain = emu.url().replacen("http://", "https://", 1);
    let cases = [
        (
            format!("http://127.0.0.1:{closed}"),
            "cannot list the tokens already in Okta",
        ),
        (
            "https://nonexistent.invalid".to_string(),
            "cannot list the tokens already in Okta",
        ),
        (tls_to_plain, "cannot list the tokens already in Okta"),
    ];
    for (org, want) in cases {
        let dir = TestDir::new();
        let file = dir.write("s.csv", seeds::csv(&seeds::rows(4_000, 2)));
        let out = ykprov(
            &[
                "upload",
                file.to_str().unwrap(),
                "--connect-timeout",
                "3",
                "--timeout",
                "5",
            ],
            &org,
            "00env-test-token",
        )
        .output()
        .await
        .unwrap();
        let msg = assert_one_fatal(&out, want, "00env-test-token");
        assert!(msg.len() < 400, "short: {msg}");
        // The journal's lock file is never deleted: it holds nothing once its process has ended.
        assert_only(dir.path(), &["s.csv", "s.csv.ykprov-journal.jsonl.lock"]);
        // reconcile and export say the same.
        for args in [vec!["reconcile", file.to_str().unwrap()], vec!["export"]] {
            let mut a = args.clone();
            a.extend(["--connect-timeout", "3", "--timeout", "5"]);
            let out = ykprov(&a, &org, "00env-test-token").output().await.unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{org} {a:?}: {stderr}");
            assert_eq!(
                stderr.lines().filter(|l| l.starts_with("error: ")).count(),
                1,
                "{stderr}"
            );
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
    }
    assert_eq!(emu.log().count(Endpoint::UploadToken), 0);
}
