//! Injected faults: 5xx before storing, a connection dropped after the commit, latency.

use super::*;

#[tokio::test]
async fn fail_rate_answers_5xx_before_storing_and_can_be_changed_mid_run() {
    let api = Api::start(EmulatorConfig {
        fail_rate: 1.0,
        fault_seed: 9,
        ..Default::default()
    })
    .await;
    let mut seen = HashSet::new();
    for s in 1..=20 {
        let r = api.upload(s).await;
        assert!(r.headers().contains_key("x-okta-request-id"));
        let (status, code, _) = error_code(r).await;
        seen.insert((status.as_u16(), code));
    }
    assert_eq!(
        seen,
        HashSet::from([(500, "E0000009".to_string()), (503, "E0000010".to_string())])
    );
    assert!(api.emu.tokens().is_empty(), "nothing stored");
    assert!(api.emu.log().posts_per_serial.is_empty());
    api.emu.set_faults(0.0, 0.0);
    api.upload_ok(1).await;
    let log = api.emu.log();
    assert_eq!((log.failed, log.count(Endpoint::UploadToken)), (20, 21));
}

#[tokio::test]
async fn drop_after_commit_stores_the_token_and_closes_the_connection_without_a_response() {
    let api = Api::start(EmulatorConfig {
        drop_after_commit_rate: 1.0,
        ..Default::default()
    })
    .await;
    let sent = api
        .req(Method::POST, TOKENS_PATH)
        .json(&seed_body(77))
        .send()
        .await;
    let err = sent.expect_err("no response must arrive");
    assert!(
        !err.is_timeout(),
        "the connection is closed, not left hanging: {err:#}"
    );
    assert!(
        err.is_request() || err.is_connect() || err.to_string().contains("connection"),
        "{err:#}"
    );
    // It was committed: the token is there, and a naive retry meets a duplicate.
    assert_eq!(api.emu.tokens().len(), 1);
    api.emu.set_faults(0.0, 0.0);
    let (_, code, _) = error_code(api.upload(77).await).await;
    assert_eq!(code, "E0000001");
    let found: Vec<YubikeyToken> = api
        .get(&format!(
            "{TOKENS_PATH}?filter={}",
            urlencode(r#"profile.serial eq "77""#)
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let log = api.emu.log();
    assert_eq!(log.dropped_after_commit, 1);
    assert_eq!(log.posts_per_serial["000000000077"], 2);
    assert_eq!(log.stored_per_serial["000000000077"], 1);
    let statuses: Vec<_> = log.entries_for(Endpoint::UploadToken).map(|e| e.status).collect();
    assert_eq!(statuses, [None, Some(400)]);
}

#[tokio::test]
async fn latency_delays_requests_and_is_visible_in_the_log() {
    let api = Api::start(EmulatorConfig {
        latency: Duration::from_millis(40),
        latency_jitter: Duration::from_millis(10),
        ..Default::default()
    })
    .await;
    let started = std::time::Instant::now();
    for _ in 0..3 {
        assert_eq!(api.get(TOKENS_PATH).await.status(), StatusCode::OK);
    }
    assert!(started.elapsed() >= Duration::from_millis(120));
    let log = api.emu.log();
    let at: Vec<_> = log.entries.iter().map(|e| e.at).collect();
    assert!(
        at.windows(2).all(|w| w[1] - w[0] >= Duration::from_millis(40)),
        "{at:?}"
    );
}
