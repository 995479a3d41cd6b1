//! The server itself: its state file, hostile requests, shutdown and the `emulate` command.

use super::*;

#[tokio::test]
async fn state_file_survives_a_restart() {
    let dir = TestDir::new();
    let path = dir.path().join("emu-state.json");
    let config = || EmulatorConfig {
        state_file: Some(path.clone()),
        users: 2,
        ..Default::default()
    };
    let api = Api::start(config()).await;
    let user = api.emu.users()[0].id.clone();
    api.upload_ok(5).await;
    assert_eq!(
        api.enroll(&user, &otp_for(5, 1, 0)).await.status(),
        StatusCode::OK
    );
    api.upload_ok(6).await;
    let before = api.emu.tokens();
    api.emu.shutdown().await.unwrap();
    assert!(path.exists());

    let api = Api::start(config()).await;
    let after = api.emu.tokens();
    assert_eq!(after.len(), 2);
    assert_eq!(
        after.iter().map(|t| (&t.id, &t.status)).collect::<Vec<_>>(),
        before.iter().map(|t| (&t.id, &t.status)).collect::<Vec<_>>()
    );
    assert_eq!(api.emu.users()[0].id, user);
    // Counters survived too: the old OTP is still a replay after unenrolling.
    let fid = api
        .get(&format!("/api/v1/users/{user}/factors"))
        .await
        .json::<Vec<Value>>()
        .await
        .unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    api.req(Method::DELETE, &format!("/api/v1/users/{user}/factors/{fid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(api.enroll(&user, &otp_for(5, 1, 0)).await).await.1,
        "E0000082"
    );
    api.emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn hostile_requests_get_4xx_never_a_crash() {
    let api = Api::start(EmulatorConfig::default()).await;
    api.upload_ok(1).await;
    let queries = [
        "limit=abc",
        "limit=99999999999999999999",
        "limit=",
        "sortBy=evil",
        "sortOrder=sideways",
        "forDownload=maybe",
        "filter=",
        "filter=%22",
        "filter=((((",
        "after=%FF",
        "after=3a",
        "filter=status%20eq%20%22%FF%22",
        "%",
        "&&&=&=",
        "expand=everything",
    ];
    for q in queries {
        let r = api.get(&format!("{TOKENS_PATH}?{q}")).await;
        assert!(
            r.status().is_success() || r.status().is_client_error(),
            "{q}: {}",
            r.status()
        );
    }
    let huge = "x".repeat(3 * 1024 * 1024);
    let r = api
        .req(Method::POST, TOKENS_PATH)
        .body(huge)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let r = api
        .req(Method::POST, "/api/v1/users/%00/factors")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let r = api
        .req(Method::POST, TOKENS_PATH)
        .body(deep)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await.1, "E0000003");
    // Still serving.
    assert_eq!(api.get(TOKENS_PATH).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn shutdown_is_graceful_and_frees_the_port() {
    let api = Api::start(EmulatorConfig::default()).await;
    let url = api.emu.url();
    api.upload_ok(1).await;
    api.emu.shutdown().await.unwrap();
    assert!(api.http.get(format!("{url}{TOKENS_PATH}")).send().await.is_err());
}

#[test]
fn emulate_refuses_a_non_loopback_bind_without_allow_remote() {
    crate::helpers::bin()
        .args(["emulate", "--bind", "0.0.0.0:0"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--allow-remote"));
}

#[test]
fn emulate_has_no_token_flag() {
    crate::helpers::bin()
        .args(["emulate", "--token", "00abc"])
        .assert()
        .failure();
}
