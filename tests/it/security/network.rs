//! Finding 8: a proxy in the environment got the emulator's token (loopback went through it), and
//! a private CA (or a TLS-inspecting proxy's) could not be trusted at all.

use crate::helpers::{assert_exit, spawn_emulator, ykprov_against, TestDir};
use crate::seeds;
use okta_emulator::{EmulatorConfig, Endpoint};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A "proxy" that only counts the connections it is offered.
async fn counting_listener() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            drop(conn);
        }
    });
    (url, seen)
}

#[tokio::test]
async fn a_loopback_org_never_goes_through_the_environment_proxy() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let (proxy, seen) = counting_listener().await;
    let dir = TestDir::new();
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(7_700_000, 2)));
    let mut cmd = ykprov_against(&emu, &["upload", file.to_str().unwrap()]);
    for var in [
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "ALL_PROXY",
        "https_proxy",
        "http_proxy",
        "all_proxy",
    ] {
        cmd.env(var, &proxy);
    }
    cmd.env_remove("NO_PROXY").env_remove("no_proxy");
    let out = cmd.output().await.unwrap();
    assert_exit(&out, 0);
    assert_eq!(
        seen.load(Ordering::SeqCst),
        0,
        "the proxy was offered a connection"
    );
    assert_eq!(emu.log().count(Endpoint::UploadToken), 2);
}

#[test]
fn config_show_names_the_proxy_without_its_password() {
    let out = crate::helpers::bin()
        .args(["config", "show", "--org", "https://acme.okta.com"])
        .env("HOME", "/nonexistent")
        .env("YKPROV_STATE_DIR", crate::helpers::private_state())
        .env("OKTA_CLIENT_TOKEN", "00token")
        .env("OKTA_CLIENT_PROXY_HOST", "proxy.corp.example")
        .env("OKTA_CLIENT_PROXY_PORT", "3128")
        .env("OKTA_CLIENT_PROXY_USERNAME", "svc")
        .env("OKTA_CLIENT_PROXY_PASSWORD", "pr0xy-pa55")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("proxy"))
        .unwrap_or_default();
    assert!(
        line.contains("http://proxy.corp.example:3128 (user svc)"),
        "{stdout}"
    );
    assert!(line.ends_with("OKTA_CLIENT_PROXY_*"), "{stdout}");
    assert!(!stdout.contains("pr0xy-pa55"));
}
