//! The real binary: exit codes, the fatal-error format, kill -9 and resume, and no secret in
//! anything it prints.

use crate::helpers::{assert_exit, bin, ykprov_against, TestDir};
use crate::seeds;
use okta_emulator::{self as emulator, EmulatorConfig, EmulatorHandle, Endpoint};
use std::time::Duration;

fn upload_cmd(emu: &EmulatorHandle, args: &[&str]) -> tokio::process::Command {
    let mut cmd = ykprov_against(emu, &["upload"]);
    cmd.args(args);
    cmd
}

#[test]
fn help_lists_every_command() {
    let out = bin().arg("--help").assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    for cmd in ["validate", "upload", "reconcile", "export", "emulate"] {
        assert!(text.contains(cmd), "--help lacks {cmd}");
    }
}

#[test]
fn plain_http_to_a_real_host_is_refused_with_exit_2() {
    let dir = TestDir::new();
    let file = dir.write("s.csv", seeds::csv(&seeds::rows(1, 2)));
    let out = bin()
        .args(["upload", file.to_str().unwrap(), "--org", "http://acme.okta.com"])
        .env("OKTA_CLIENT_TOKEN", "00secret-token-value")
        .env("HOME", "/nonexistent")
        .env("YKPROV_STATE_DIR", crate::helpers::private_state())
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("is readable by other users"),
        "the seed file's mode is warned about: {stderr}"
    );
    assert!(
        stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("error: refusing plain http"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("error:").count(), 1, "printed once");
    assert!(!stderr.contains("00secret-token-value"));
}

#[test]
fn missing_token_is_a_fatal_error_naming_the_variable() {
    let dir = TestDir::new();
    let file = dir.write("s.csv", seeds::csv(&seeds::rows(1, 2)));
    bin()
        .args(["upload", file.to_str().unwrap(), "--org", "https://acme.okta.com"])
        .env_remove("OKTA_CLIENT_TOKEN")
        .env("HOME", "/nonexistent")
        .env("YKPROV_STATE_DIR", crate::helpers::private_state())
        .current_dir(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("OKTA_CLIENT_TOKEN"));
}

#[test]
fn unreachable_org_is_exit_2_with_one_message() {
    let dir = TestDir::new();
    let file = dir.write("s.csv", seeds::csv(&seeds::rows(1, 2)));
    // Port 9 on loopback: nothing listens there.
    let out = bin()
        .args([
            "upload",
            file.to_str().unwrap(),
            "--org",
            "http://127.0.0.1:9",
            "--connect-timeout",
            "2",
        ])
        .env("OKTA_CLIENT_TOKEN", "00tok")
        .env("HOME", "/nonexistent")
        .env("YKPROV_STATE_DIR", crate::helpers::private_state())
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("error: cannot list the tokens already in Okta"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_prints_no_secret_and_exits_0_then_1_for_rejected_rows() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let rows = seeds::rows(70_000, 10);
    let file = dir.write("s.csv", seeds::csv(&rows));
    let out = upload_cmd(&emu, &[file.to_str().unwrap(), "-v"])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("10 uploaded"), "{all}");
    for r in &rows {
        for s in r.secrets() {
            assert!(!all.contains(&s), "a secret was printed");
        }
    }
    assert!(!all.contains(&emu.token()), "the API token was printed");
    // A second file reusing a public id is rejected by Okta (duplicate public id): exit 1.
    let mut clash = seeds::row(70_100);
    clash.public_id = rows[0].public_id.clone();
    let file2 = dir.write("clash.csv", seeds::csv(&[clash]));
    let out = upload_cmd(&emu, &[file2.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 rejected"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_several_moments_then_resume_stores_each_serial_exactly_once() {
    let config = EmulatorConfig {
        latency: Duration::from_millis(10),
        ..EmulatorConfig::default()
    };
    let emu = emulator::spawn(config).await.unwrap();
    let dir = TestDir::new();
    let n = 120u32;
    let file = dir.write("s.csv", seeds::csv(&seeds::rows(80_000, n)));
    let path = file.to_str().unwrap().to_string();
    for kill_after in [5u64, 30, 70] {
        let mut child = upload_cmd(&emu, &[&path, "--concurrency", "4"]).spawn().unwrap();
        for _ in 0..3000 {
            if emu.log().count(Endpoint::UploadToken) >= kill_after {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        child.kill().await.unwrap(); // SIGKILL
    }
    let out = upload_cmd(&emu, &[&path, "--resume"]).output().await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let log = emu.log();
    for s in 80_000..80_000 + n {
        assert_eq!(
            log.stored_per_serial.get(&format!("{s:012}")),
            Some(&1),
            "serial {s}"
        );
    }
    let replay = ykprov::journal::replay(&ykprov::journal::default_path(&file)).unwrap();
    assert_eq!(
        replay.outcomes.len(),
        n as usize,
        "the journal accounts for every row"
    );
    assert!(replay.in_doubt.is_empty());
    assert!(
        replay.unreadable_lines.len() <= 3,
        "at most one torn line per kill"
    );
}
