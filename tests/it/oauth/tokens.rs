//! Access tokens of `private_key_jwt` apps: both algorithms, SSWS beside them, refresh, a 401,
//! and a failing token endpoint.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_key_rs256_and_es256_upload_then_reconcile_with_one_token_each() {
    for (alg, pem, public) in [("rs256", RSA, RSA_PUB), ("es256", EC, EC_PUB)] {
        let id = format!("0oa-{alg}");
        let emu = emulator_with(vec![app(&id, public, &[READ, MANAGE])], |_| {}).await;
        let dir = TestDir::new();
        let file = dir.write("s.csv", seeds::csv(&seeds::rows(810_000, 12)));
        let s = upload_with(oauth_client(&emu.url(), settings(&id, pem), UPLOAD_SCOPES), &file).await;
        assert_eq!(s.counts.uploaded, 12, "{alg}: {:?}", s.fatal);
        assert_eq!(emu.tokens().len(), 12);
        let client = oauth_client(&emu.url(), settings(&id, pem), READ_SCOPES);
        let r = reconcile(&reconcile_opts(&file), &client).await.unwrap();
        assert!(!r.needs_action(), "{alg}: a clean upload reconciles clean");
        let log = emu.log();
        assert_eq!(
            log.count(Endpoint::OAuthToken),
            2,
            "{alg}: one token per client, cached"
        );
        assert_eq!(log.served_401, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssws_and_private_key_work_side_by_side() {
    let emu = emulator_with(vec![app("0oa-ec", EC_PUB, &[READ])], |_| {}).await;
    let dir = TestDir::new();
    let file = dir.write("s.csv", seeds::csv(&seeds::rows(820_000, 5)));
    let s = upload_with(client_for(&emu, RateSetting::Auto { share: 1.0 }), &file).await;
    assert_eq!(s.counts.uploaded, 5);
    // A read-only app is enough for reconcile: it asks for okta.users.read alone.
    let client = oauth_client(&emu.url(), settings("0oa-ec", EC), READ_SCOPES);
    let r = reconcile(&reconcile_opts(&file), &client).await.unwrap();
    assert!(!r.needs_action());
}

/// Moves tokio's clock (the client's) ahead by `by` at once; the emulator's expiry runs on the
/// real clock, so its tokens stay valid.
async fn jump(by: Duration) {
    tokio::time::pause();
    tokio::time::advance(by).await;
    tokio::time::resume();
}

// One thread: tokio only pauses a current-thread runtime.
#[tokio::test]
async fn the_token_is_refreshed_before_it_expires() {
    let emu = emulator_with(vec![app("0oa", EC_PUB, &[READ])], |c| {
        c.access_token_lifetime = Duration::from_secs(100);
        // The emulator shares tokio's clock: the jumps below must not pass its header-read
        // timeout, or it drops the client's idle pooled connection mid-test.
        c.header_read_timeout = Duration::from_secs(3600);
    })
    .await;
    let client = oauth_client(&emu.url(), settings("0oa", EC), READ_SCOPES);
    let url = client.list_url(20, None, false);
    client.list_page(url.clone()).await.unwrap();
    client.list_page(url.clone()).await.unwrap();
    assert_eq!(emu.log().count(Endpoint::OAuthToken), 1, "cached while fresh");
    // The client refreshes a fifth of the lifetime early: at 80 s of 100.
    jump(Duration::from_secs(79)).await;
    client.list_page(url.clone()).await.unwrap();
    assert_eq!(emu.log().count(Endpoint::OAuthToken), 1, "still fresh at 79 s");
    jump(Duration::from_secs(2)).await;
    client.list_page(url).await.unwrap();
    let log = emu.log();
    assert_eq!(log.count(Endpoint::OAuthToken), 2, "refreshed at 81 s");
    assert_eq!(log.served_401, 0, "before it expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_gets_one_new_token_and_one_retry() {
    let emu = emulator_with(vec![app("0oa", RSA_PUB, &[READ])], |_| {}).await;
    let client = oauth_client(&emu.url(), settings("0oa", RSA), READ_SCOPES);
    let url = client.list_url(20, None, false);
    client.list_page(url.clone()).await.unwrap();
    emu.expire_access_tokens();
    client.list_page(url).await.unwrap();
    let log = emu.log();
    assert_eq!(log.served_401, 1);
    assert_eq!(log.count(Endpoint::OAuthToken), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_401_in_a_row_is_fatal_not_a_loop() {
    use axum::routing::{get, post};
    use axum::Router;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    let calls = Arc::new(AtomicU32::new(0));
    let c = calls.clone();
    let app = Router::new()
        .route(
            "/oauth2/v1/token",
            post(|| async {
                axum::Json(serde_json::json!({"token_type":"Bearer","expires_in":3600,"access_token":"tok","scope":READ}))
            }),
        )
        .route(
            ykprov::okta::models::TOKENS_PATH,
            get(move || {
                c.fetch_add(1, Ordering::SeqCst);
                async { (axum::http::StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({"errorCode":"E0000011"}))) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = oauth_client(&url, settings("0oa", EC), READ_SCOPES);
    let err = client
        .list_page(client.list_url(20, None, false))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Unauthorized { status: 401, .. }), "{err}");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "one retry with a new token, no more"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_failures_are_retried_and_every_serial_is_stored_once() {
    let emu = emulator_with(vec![app("0oa", EC_PUB, &[READ, MANAGE])], |c| {
        c.fail_rate = 0.3;
        c.fault_seed = 11;
        c.access_token_lifetime = Duration::from_secs(1);
    })
    .await;
    let dir = TestDir::new();
    let file = dir.write("s.csv", seeds::csv(&seeds::rows(880_000, 10)));
    let mut s = settings("0oa", EC);
    s.scopes = Some(vec![READ.into(), MANAGE.into()]);
    let summary = upload_with(oauth_client(&emu.url(), s, UPLOAD_SCOPES), &file).await;
    assert_eq!(summary.counts.uploaded, 10, "{:?}", summary.fatal);
    let log = emu.log();
    for n in 880_000..880_010 {
        assert_eq!(log.stored_per_serial.get(&format!("{n:012}")).copied(), Some(1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_token_endpoint_is_unreachable_not_a_refusal() {
    let emu = emulator_with(vec![app("0oa", EC_PUB, &[READ])], |_| {}).await;
    let client = oauth_client(&emu.url(), settings("0oa", EC), READ_SCOPES);
    emu.set_faults(1.0, 0.0);
    let err = client
        .list_page(client.list_url(20, None, false))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("the API call was not sent"), "{err}");
    emu.set_faults(0.0, 0.0);
    client.list_page(client.list_url(20, None, false)).await.unwrap();
}
