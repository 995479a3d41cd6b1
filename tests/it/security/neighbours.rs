//! Finding 10: what the docs promised and the code did not do. Plaintext seed files readable by
//! others are warned about by every command that reads them; the emulator never prints a token
//! the user chose and does not let unauthenticated requests spend the rate window.

use crate::helpers::{bin, spawn_emulator, TestDir};
use crate::seeds;
use okta_emulator::{EmulatorConfig, RateLimit};
use std::time::Duration;

#[test]
fn validate_warns_about_a_plaintext_seed_file_others_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TestDir::new();
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(7_800_000, 1)));
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = bin().arg("validate").arg(&file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("is readable by other users (mode 644)"),
        "{stderr}"
    );
}

#[tokio::test]
async fn unauthenticated_requests_do_not_spend_the_rate_window() {
    let emu =
        spawn_emulator(EmulatorConfig::default().with_rate_limit(RateLimit::new(3, Duration::from_secs(60))))
            .await;
    let http = reqwest::Client::new();
    let url = format!(
        "{}/api/v1/org/factors/yubikey_token/tokens",
        emu.url().trim_end_matches('/')
    );
    for _ in 0..5 {
        let r = http
            .get(&url)
            .header("Authorization", "SSWS not-the-token")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);
    }
    let r = http
        .get(&url)
        .header("Authorization", format!("SSWS {}", emu.token()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        200,
        "the real client was starved by unauthenticated calls"
    );
}

#[tokio::test]
async fn the_emulator_never_prints_a_token_the_user_chose() {
    let (mut child, seen) =
        crate::emulate_command::start(&[("YKPROV_EMULATOR_TOKEN", "00chosen-maybe-real-token")], &[]).await;
    let _ = child.kill().await;
    assert!(seen.contains("API token:"), "{seen}");
    assert!(!seen.contains("00chosen-maybe-real-token"), "{seen}");
}

#[tokio::test]
async fn the_emulator_drops_a_client_that_never_finishes_its_headers() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let emu = spawn_emulator(EmulatorConfig {
        header_read_timeout: Duration::from_millis(200),
        ..EmulatorConfig::default()
    })
    .await;
    let addr = emu
        .url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET /api/v1/org/factors/yubikey_token/tokens HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // The outer bound only keeps a broken emulator from hanging the suite.
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), conn.read_to_end(&mut rest)).await;
    assert!(
        read.is_ok(),
        "the connection was still open while its headers never ended"
    );
    assert!(!String::from_utf8_lossy(&rest).contains("200 OK"), "{rest:?}");
}
