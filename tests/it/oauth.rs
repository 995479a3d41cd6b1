//! OAuth for service apps against the emulator: `private_key_jwt` with RS256 and ES256, token
//! caching and refresh, scopes, DPoP with a nonce, redirects and foreign `Link`s, and no secret
//! in anything the tool prints or writes.

use crate::helpers::TestDir;
use crate::seeds;
use crate::upload::{client_for, options};
use std::path::Path;
use std::time::Duration;
use tokio::sync::watch;
use ykprov::emulator::oauth::OAuthClient;
use ykprov::emulator::{self, EmulatorConfig, EmulatorHandle, Endpoint};
use ykprov::okta::config::{Credential, OAuthSettings};
use ykprov::okta::inventory::Via;
use ykprov::okta::oauth::{READ_SCOPES, UPLOAD_SCOPES};
use ykprov::okta::pacing::RateSetting;
use ykprov::okta::{ApiError, ClientConfig, OktaClient};
use ykprov::reconcile::diff::{Category, Scope};
use ykprov::reconcile::{reconcile, ReconcileOptions};
use ykprov::secret::Secret;
use ykprov::upload::upload;

const RSA: &str = include_str!("../fixtures/keys/test-rsa.pem");
const RSA_PUB: &str = include_str!("../fixtures/keys/test-rsa.pub.pem");
const EC: &str = include_str!("../fixtures/keys/test-ec.pem");
const EC_PUB: &str = include_str!("../fixtures/keys/test-ec.pub.pem");
const READ: &str = "okta.users.read";
const MANAGE: &str = "okta.users.manage";

fn key_path(name: &str) -> String {
    format!("{}/tests/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn app(id: &str, public: &str, granted: &[&str]) -> OAuthClient {
    OAuthClient {
        client_id: id.to_string(),
        public_key_pem: public.to_string(),
        scopes: granted.iter().map(|s| s.to_string()).collect(),
    }
}

async fn emulator_with(apps: Vec<OAuthClient>, tweak: impl FnOnce(&mut EmulatorConfig)) -> EmulatorHandle {
    let mut cfg = EmulatorConfig {
        oauth_clients: apps,
        ..EmulatorConfig::default()
    };
    tweak(&mut cfg);
    emulator::spawn(cfg).await.unwrap()
}

fn settings(id: &str, pem: &str) -> OAuthSettings {
    OAuthSettings {
        client_id: id.to_string(),
        scopes: None,
        private_key: Secret::new(pem.to_string()),
        kid: Some("test-kid".into()),
        dpop: false,
    }
}

fn oauth_client(url: &str, s: OAuthSettings, scopes: &[&str]) -> OktaClient {
    let mut cfg = ClientConfig::with_credential(url.parse().unwrap(), Credential::PrivateKey(s), scopes);
    cfg.rate = RateSetting::Auto { share: 1.0 };
    cfg.timeout = Duration::from_secs(5);
    OktaClient::new(cfg).unwrap()
}

fn reconcile_opts(file: &Path) -> ReconcileOptions {
    ReconcileOptions {
        files: vec![file.to_path_buf()],
        format: ykprov::seed::SeedFormat::Auto,
        via: Via::Pages,
        scope: Scope::File,
        stale_after: chrono::Duration::days(90),
        expand_user: false,
        fail_on: vec![Category::Missing, Category::Blocked, Category::Invalid],
        unseal: Default::default(),
        facts: Default::default(),
    }
}

async fn upload_with(client: OktaClient, file: &Path) -> ykprov::upload::UploadSummary {
    let (_tx, rx) = watch::channel(false);
    upload(&options(file), client, rx).await.expect("upload runs")
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_refreshed_before_it_expires() {
    let emu = emulator_with(vec![app("0oa", EC_PUB, &[READ])], |c| {
        c.access_token_lifetime = Duration::from_secs(1);
    })
    .await;
    let client = oauth_client(&emu.url(), settings("0oa", EC), READ_SCOPES);
    let url = client.list_url(20, None, false);
    client.list_page(url.clone()).await.unwrap();
    client.list_page(url.clone()).await.unwrap();
    assert_eq!(emu.log().count(Endpoint::OAuthToken), 1, "cached while fresh");
    // The client refreshes a fifth of the lifetime early (0.8 s), so this call never sees a 401.
    tokio::time::sleep(Duration::from_millis(900)).await;
    client.list_page(url).await.unwrap();
    let log = emu.log();
    assert_eq!(log.count(Endpoint::OAuthToken), 2);
    assert_eq!(log.served_401, 0);
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
async fn a_read_only_app_cannot_upload_and_the_binary_says_which_scope_is_missing() {
    let emu = emulator_with(vec![app("0oa-ro", RSA_PUB, &[READ])], |_| {}).await;
    let dir = TestDir::new();
    let file = dir.write("s.csv", seeds::csv(&seeds::rows(830_000, 3)));
    let key = key_path("test-rsa.pem");
    let out = crate::helpers::private_binary()
        .args([
            "upload",
            file.to_str().unwrap(),
            "--authorization-mode",
            "PrivateKey",
        ])
        .args(["--client-id", "0oa-ro", "--private-key", &key])
        .env("OKTA_CLIENT_ORGURL", emu.url())
        .env("HOME", "/nonexistent")
        .env_remove("OKTA_CLIENT_TOKEN")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the app lacks scope okta.users.manage"),
        "{stderr}"
    );
    assert!(
        stderr.contains("request_id="),
        "the failed call's X-Okta-Request-Id is logged: {stderr}"
    );
    assert!(emu.tokens().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_without_manage_gets_403_insufficient_scope_reported_by_name() {
    let emu = emulator_with(vec![app("0oa", EC_PUB, &[READ, MANAGE])], |_| {}).await;
    let dir = TestDir::new();
    let file = dir.write("s.csv", seeds::csv(&seeds::rows(840_000, 3)));
    // Configured for reads only: upload requests okta.users.read and its POSTs get 403.
    let mut s = settings("0oa", EC);
    s.scopes = Some(vec![READ.to_string()]);
    let summary = upload_with(oauth_client(&emu.url(), s, UPLOAD_SCOPES), &file).await;
    let fatal = summary.fatal.expect("a missing scope stops the run");
    assert!(fatal.contains("the app lacks scope okta.users.manage"), "{fatal}");
    assert_eq!(summary.counts.uploaded, 0);
    assert!(emu.log().entries.iter().any(|e| e.status == Some(403)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_answers_a_missing_scope_as_okta_does() {
    use ykprov::okta::oauth::{client_assertion, AssertionClaims, SigningKey, ASSERTION_TYPE};
    let emu = emulator_with(vec![app("0oa", EC_PUB, &[READ, MANAGE])], |_| {}).await;
    let token_url: reqwest::Url = format!("{}/oauth2/v1/token", emu.url()).parse().unwrap();
    let key = SigningKey::from_pem(&Secret::new(EC.into())).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let http = reqwest::Client::new();
    let exchange = |claims: AssertionClaims, scope: &'static str| {
        let jwt = client_assertion(&key, &claims, None).unwrap();
        http.post(token_url.clone()).form(&[
            ("grant_type", "client_credentials"),
            ("scope", scope),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", jwt.expose().as_str()),
        ])
    };
    let answer: serde_json::Value = exchange(AssertionClaims::new("0oa", &token_url, now), MANAGE)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["expires_in"], 3600);
    assert_eq!(answer["scope"], MANAGE);
    let token = answer["access_token"].as_str().unwrap();
    // okta.users.manage does not imply okta.users.read.
    let r = http
        .get(format!("{}{}", emu.url(), ykprov::okta::models::TOKENS_PATH))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_string();
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(challenge.contains("error=\"insufficient_scope\""), "{challenge}");
    assert!(challenge.contains("scope=\"okta.users.read\""), "{challenge}");
    assert!(r.bytes().await.unwrap().is_empty(), "empty body, as Okta");
    // Bad assertions: wrong audience, wrong issuer's key, replayed jti, too long-lived.
    let mut wrong_aud = AssertionClaims::new("0oa", &token_url, now);
    wrong_aud.aud = "https://elsewhere.example/oauth2/v1/token".into();
    let mut unknown = AssertionClaims::new("0oa-other", &token_url, now);
    unknown.sub = "0oa-other".into();
    let mut long = AssertionClaims::new("0oa", &token_url, now);
    long.exp = now + 7200;
    let mut sub = AssertionClaims::new("0oa", &token_url, now);
    sub.sub = "someone-else".into();
    for claims in [wrong_aud, unknown, long, sub] {
        let r = exchange(claims, READ).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client");
    }
    let replay = AssertionClaims::new("0oa", &token_url, now);
    assert_eq!(exchange(replay.clone(), READ).send().await.unwrap().status(), 200);
    assert_eq!(exchange(replay, READ).send().await.unwrap().status(), 401);
    let r = exchange(AssertionClaims::new("0oa", &token_url, now), "okta.groups.read")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_scope");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_requiring_dpop_gets_proofs_with_the_nonce_and_every_call_is_bound() {
    let emu = emulator_with(vec![app("0oa", RSA_PUB, &[READ, MANAGE])], |c| {
        c.require_dpop = true
    })
    .await;
    let dir = TestDir::new();
    let file = dir.write("s.csv", seeds::csv(&seeds::rows(850_000, 6)));
    let summary = upload_with(
        oauth_client(&emu.url(), settings("0oa", RSA), UPLOAD_SCOPES),
        &file,
    )
    .await;
    assert_eq!(summary.counts.uploaded, 6, "{:?}", summary.fatal);
    let log = emu.log();
    // No proof → invalid_dpop_proof; proof without nonce → use_dpop_nonce; then the token.
    assert_eq!(log.count(Endpoint::OAuthToken), 3);
    assert_eq!(emu.access_tokens_issued(), 1);
    assert_eq!(log.served_401, 0);
    // Configured DPoP skips the first refusal; reads are bound too.
    let mut s = settings("0oa", RSA);
    s.dpop = true;
    let client = oauth_client(&emu.url(), s, READ_SCOPES);
    let r = reconcile(&reconcile_opts(&file), &client).await.unwrap();
    assert!(!r.needs_action());
    assert_eq!(emu.log().count(Endpoint::OAuthToken), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dpop_token_without_a_valid_proof_is_refused() {
    let emu = emulator_with(vec![app("0oa", EC_PUB, &[READ])], |c| c.require_dpop = true).await;
    let mut s = settings("0oa", EC);
    s.dpop = true;
    let client = oauth_client(&emu.url(), s, READ_SCOPES);
    client.list_page(client.list_url(20, None, false)).await.unwrap();
    let token = emu.access_tokens().pop().unwrap();
    let url = format!("{}{}", emu.url(), ykprov::okta::models::TOKENS_PATH);
    let http = reqwest::Client::new();
    for auth in [format!("Bearer {token}"), format!("DPoP {token}")] {
        let r = http.get(&url).header("authorization", auth).send().await.unwrap();
        assert_eq!(r.status(), 401);
    }
}

/// A server that answers every path with `answer`, and counts requests carrying credentials.
async fn hostile(
    answer: fn(&str) -> axum::response::Response,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicU32>) {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    let with_auth = Arc::new(AtomicU32::new(0));
    let counter = with_auth.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let base2 = base.clone();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let counter = counter.clone();
        let base = base2.clone();
        async move {
            if req.headers().contains_key("authorization") {
                counter.fetch_add(1, Ordering::SeqCst);
            }
            if req.uri().path() == "/oauth2/v1/token" {
                use axum::response::IntoResponse;
                return axum::Json(serde_json::json!({"token_type":"Bearer","expires_in":3600,"access_token":"t0k","scope":READ}))
                    .into_response();
            }
            answer(&base)
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, with_auth)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_never_followed_with_either_credential() {
    use axum::response::IntoResponse;
    use std::sync::atomic::Ordering;
    let (elsewhere, hits) = hostile(|_| axum::http::StatusCode::OK.into_response()).await;
    // The org redirects every call to `elsewhere`.
    let target = format!("{elsewhere}/steal");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let org = format!("http://{}", listener.local_addr().unwrap());
    let t2 = target.clone();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let t = t2.clone();
        async move {
            if req.uri().path() == "/oauth2/v1/token" {
                return axum::Json(serde_json::json!({"token_type":"Bearer","expires_in":3600,"access_token":"t0k","scope":READ}))
                    .into_response();
            }
            axum::response::Redirect::temporary(&t).into_response()
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    let ssws = OktaClient::new(ClientConfig::new(
        org.parse().unwrap(),
        Secret::new("00tok".into()),
    ))
    .unwrap();
    let oauth = oauth_client(&org, settings("0oa", EC), READ_SCOPES);
    for client in [ssws, oauth] {
        let err = client
            .list_page(client.list_url(20, None, false))
            .await
            .unwrap_err();
        assert!(matches!(err, ApiError::Rejected { status: 307, .. }), "{err}");
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "no credential reached the redirect target"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_next_link_to_another_origin_is_refused_with_oauth_too() {
    use axum::response::IntoResponse;
    let (org, _) = hostile(|_| {
        (
            [("link", "<https://evil.example.com/steal?after=1>; rel=\"next\"")],
            axum::Json(serde_json::json!([])),
        )
            .into_response()
    })
    .await;
    let client = oauth_client(&org, settings("0oa", EC), READ_SCOPES);
    let err = client
        .list_page(client.list_url(20, None, false))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("refusing to send the credential there"),
        "{err}"
    );
}

/// Every line of a PEM's body (any of them appearing would leak part of the key).
fn pem_lines(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 16)
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_appears_in_output_logs_journal_exports_or_reports() {
    let emu = emulator_with(vec![app("0oa-leak", RSA_PUB, &[READ, MANAGE])], |_| {}).await;
    let dir = TestDir::new();
    let rows = seeds::rows(860_000, 8);
    dir.write("s.csv", seeds::csv(&rows));
    let ssws_rows = seeds::rows(870_000, 4);
    let ssws_file = dir.write("t.csv", seeds::csv(&ssws_rows));
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let oauth_env = |cmd: &mut tokio::process::Command| {
        cmd.env("OKTA_CLIENT_ORGURL", emu.url())
            .env("OKTA_CLIENT_AUTHORIZATIONMODE", "PrivateKey")
            .env("OKTA_CLIENT_CLIENTID", "0oa-leak")
            .env("OKTA_CLIENT_PRIVATEKEY", RSA)
            .env("OKTA_CLIENT_KID", "kid-1")
            // The SSWS token is set too: config show must redact it, OAuth must not send it.
            .env("OKTA_CLIENT_TOKEN", emu.token())
            .env("HOME", "/nonexistent")
            .env("RUST_LOG", "trace")
            .current_dir(dir.path());
    };
    let runs: Vec<Vec<String>> = vec![
        vec![
            "upload".into(),
            d("s.csv"),
            "-v".into(),
            "--report".into(),
            d("upload.html"),
        ],
        vec![
            "reconcile".into(),
            d("s.csv"),
            "--format".into(),
            "json".into(),
            "--out".into(),
            d("r.json"),
        ],
        vec!["reconcile".into(), d("s.csv"), "--report".into(), d("r.md")],
        vec![
            "export".into(),
            "--out".into(),
            d("export.csv"),
            "--expand-user".into(),
        ],
        vec!["config".into(), "show".into()],
    ];
    let mut printed = String::new();
    for args in &runs {
        let mut cmd = crate::helpers::private_binary();
        cmd.args(args);
        oauth_env(&mut cmd);
        let out = cmd.output().await.unwrap();
        assert!(
            out.status.code() == Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        printed.push_str(&String::from_utf8_lossy(&out.stdout));
        printed.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    // SSWS mode, with the same checks.
    let out = crate::helpers::private_binary()
        .args(["upload", ssws_file.to_str().unwrap(), "-v"])
        .env("OKTA_CLIENT_ORGURL", emu.url())
        .env("OKTA_CLIENT_TOKEN", emu.token())
        .env("HOME", "/nonexistent")
        .env("RUST_LOG", "trace")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    printed.push_str(&String::from_utf8_lossy(&out.stdout));
    printed.push_str(&String::from_utf8_lossy(&out.stderr));
    assert!(printed.contains("[redacted]"), "config show ran");
    assert!(emu.tokens().len() == 12);
    let mut written = String::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n != "s.csv" && n != "t.csv") {
            written.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        }
    }
    assert!(
        written.contains("860000") || written.contains("000000860000"),
        "files were written"
    );
    let mut secrets: Vec<String> = rows.iter().chain(&ssws_rows).flat_map(|r| r.secrets()).collect();
    secrets.push(emu.token());
    secrets.extend(pem_lines(RSA));
    let access = emu.access_tokens();
    assert!(access.len() >= 4, "each OAuth command got a token");
    secrets.extend(access);
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        assert!(
            !printed.contains(s.as_str()),
            "a secret was printed: {}…",
            &s[..4]
        );
        assert!(
            !written.contains(s.as_str()),
            "a secret was written to a file: {}…",
            &s[..4]
        );
    }
}

#[test]
fn config_show_prints_each_setting_with_its_source_and_redacts_secrets() {
    let dir = TestDir::new();
    dir.write(
        "okta.yaml",
        "okta:\n  client:\n    orgUrl: https://yaml.okta.com\n    authorizationMode: PrivateKey\n    clientId: yaml-client\n    scopes:\n      - okta.users.read\n    token: 00yaml-ssws-token-value\n",
    );
    let out = crate::helpers::bin()
        .args(["config", "show", "--client-id", "flag-client"])
        .current_dir(dir.path())
        .env("HOME", "/nonexistent")
        .env("OKTA_CLIENT_PRIVATEKEY", EC)
        .env("OKTA_CLIENT_KID", "env-kid")
        .env_remove("OKTA_CLIENT_ORGURL")
        .env_remove("OKTA_CLIENT_TOKEN")
        .env_remove("OKTA_CLIENT_AUTHORIZATIONMODE")
        .env_remove("OKTA_CLIENT_CLIENTID")
        .env_remove("OKTA_CLIENT_SCOPES")
        .env_remove("OKTA_CLIENT_DPOP")
        .assert()
        .success()
        .get_output()
        .clone();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} line in {text}"))
            .to_string()
    };
    assert!(line("orgUrl").contains("https://yaml.okta.com") && line("orgUrl").ends_with("okta.yaml"));
    assert!(line("authorizationMode").contains("PrivateKey"));
    assert!(line("clientId").contains("flag-client") && line("clientId").ends_with("--client-id"));
    assert!(line("scopes").contains("okta.users.read"));
    assert!(line("token").contains("[redacted]"));
    assert!(
        line("privateKey").contains("[redacted] (ES256 key)")
            && line("privateKey").ends_with("OKTA_CLIENT_PRIVATEKEY")
    );
    assert!(line("kid").contains("env-kid"));
    assert!(line("dpop").contains("false") && line("dpop").ends_with("default"));
    let all = format!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(!all.contains("00yaml-ssws-token-value"));
    for l in pem_lines(EC) {
        assert!(!all.contains(&l));
    }
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
