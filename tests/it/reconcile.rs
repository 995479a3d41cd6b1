//! `ykprov reconcile` and `export` against the emulator, with tokens in every status.

use crate::helpers::{assert_exit, ykprov_against, TestDir};
use crate::seeds;
use crate::upload::{client_for, options, run};
use okta_emulator::{self as emulator, EmulatorConfig, EmulatorHandle};
use std::path::PathBuf;
use ykprov::demo::rehearse::Rehearsal;
use ykprov::okta::inventory::Via;
use ykprov::okta::pacing::RateSetting;
use ykprov::reconcile::diff::{Category, Scope};
use ykprov::reconcile::{reconcile, ReconcileOptions, ReconcileResult};
use ykprov::secret::Secret;
use ykprov::seed::SeedFormat;
use ykprov::seed::Serial;
use ykprov::seed::{AccessCode, AesKey, PrivateId, PublicId, Seed, SerialNumber};

fn seed_of(r: &seeds::Row) -> Seed {
    Seed {
        serial: SerialNumber::parse(&r.serial.to_string()).unwrap(),
        public_id: PublicId::parse(&r.public_id).unwrap(),
        private_id: PrivateId::parse(&r.private_id).unwrap(),
        aes_key: AesKey::parse(&r.aes_key).unwrap(),
        access_code: AccessCode::parse("").unwrap(),
    }
}

fn opts(files: Vec<PathBuf>, via: Via, scope: Scope) -> ReconcileOptions {
    ReconcileOptions {
        files,
        format: SeedFormat::Auto,
        via,
        scope,
        stale_after: chrono::Duration::days(90),
        expand_user: true,
        fail_on: vec![Category::Missing, Category::Blocked, Category::Invalid],
        unseal: Default::default(),
        facts: Default::default(),
        expect: Default::default(),
    }
}

/// 20 keys in the file, uploaded; 3 enrolled (one of whose users is then deactivated), one
/// deleted; 5 more uploaded from a file the reconciliation is not given; 1 invalid row.
async fn rollout(emu: &EmulatorHandle, dir: &TestDir) -> PathBuf {
    let rows = seeds::rows(500_000, 20);
    let file = dir.write("seeds.csv", seeds::csv(&rows));
    let mut o = options(&file);
    o.journal = Some(dir.path().join("a.jsonl"));
    run(emu, &o).await;
    let other = dir.write("other.csv", seeds::csv(&seeds::rows(600_000, 5)));
    let mut o = options(&other);
    o.journal = Some(dir.path().join("b.jsonl"));
    run(emu, &o).await;
    let admin = Rehearsal::new(&emu.url(), &Secret::new(emu.token())).unwrap();
    let users = emu.users();
    for (i, r) in rows.iter().take(3).enumerate() {
        admin.enroll(&users[i].id, &seed_of(r), 1).await.unwrap();
    }
    admin.deactivate_user(&users[2].id).await.unwrap();
    let deleted = admin
        .token_of(&Serial::from(rows[19].serial))
        .await
        .unwrap()
        .unwrap();
    admin.delete_token(&deleted.id).await.unwrap();
    // The reconciled file also has one broken row.
    let mut text = seeds::csv(&rows);
    text.push_str(&seeds::row(500_100).bad_key().line());
    text.push('\n');
    dir.write("seeds.csv", text)
}

fn ids(r: &ReconcileResult, c: Category) -> Vec<String> {
    r.reconciliation.of(&c).map(|i| i.serial.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_category_is_found_and_both_fetch_modes_agree() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let file = rollout(&emu, &dir).await;
    let client = client_for(&emu, RateSetting::Auto { share: 1.0 });
    let by_download = reconcile(&opts(vec![file.clone()], Via::Download, Scope::Org), &client)
        .await
        .unwrap();
    let by_pages = reconcile(&opts(vec![file.clone()], Via::Pages, Scope::Org), &client)
        .await
        .unwrap();
    assert_eq!(
        by_download.reconciliation, by_pages.reconciliation,
        "both --via modes give identical results"
    );
    let r = by_download;
    assert_eq!(r.reconciliation.count(&Category::Active), 2);
    assert_eq!(ids(&r, Category::Blocked), [format!("{:012}", 500_002)]);
    assert_eq!(ids(&r, Category::Missing), [format!("{:012}", 500_019)]);
    assert_eq!(r.reconciliation.count(&Category::Unassigned), 16);
    assert_eq!(r.reconciliation.count(&Category::Unexpected), 5);
    assert_eq!(r.reconciliation.count(&Category::Invalid), 1);
    assert!(r.needs_action());
    let active = r.reconciliation.of(&Category::Active).next().unwrap();
    assert!(active.user_id.as_deref().is_some_and(|u| u.starts_with("00u")));
    assert!(active.login.is_some(), "expand=user gives the login");
    // File scope leaves out the tokens no file accounts for.
    let file_scope = reconcile(&opts(vec![file.clone()], Via::Download, Scope::File), &client)
        .await
        .unwrap();
    assert_eq!(file_scope.reconciliation.count(&Category::Unexpected), 0);
    // Everything ACTIVE is stale with a zero threshold.
    let mut o = opts(vec![file], Via::Pages, Scope::File);
    o.stale_after = chrono::Duration::zero();
    let stale = reconcile(&o, &client).await.unwrap();
    assert_eq!(stale.reconciliation.count(&Category::Stale), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_walked_to_the_end() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(700_000, 450)));
    let mut o = options(&file);
    o.concurrency = 8;
    run(&emu, &o).await;
    let client = client_for(&emu, RateSetting::Auto { share: 1.0 });
    let before = emu.log().count(okta_emulator::Endpoint::ListTokens);
    let r = reconcile(&opts(vec![file], Via::Pages, Scope::File), &client)
        .await
        .unwrap();
    assert_eq!(r.reconciliation.count(&Category::Unassigned), 450);
    assert!(!r.needs_action());
    assert_eq!(
        emu.log().count(okta_emulator::Endpoint::ListTokens) - before,
        3,
        "200 + 200 + 50"
    );
}

/// A server whose CSV export fails in one of the ways Okta's might, and whose JSON list works:
/// reconcile falls back to the pages every time and finds the same inventory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_failure_of_the_export_but_a_refused_credential_falls_back_to_the_json_list() {
    use axum::response::{IntoResponse, Response};
    use axum::{extract::Query, extract::State, http::StatusCode, routing::get, Router};
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    #[derive(Clone, Copy, Debug)]
    enum Export {
        UnknownHeader,
        LimitRefused,
        ServerError,
        Json,
        RowWithoutId,
    }
    async fn tokens(
        State((export, hits)): State<(Export, Arc<AtomicU64>)>,
        Query(q): Query<HashMap<String, String>>,
    ) -> Response {
        if !q.contains_key("forDownload") {
            let token = serde_json::json!({"id": "ykk1", "status": "UNASSIGNED", "profile": {"serial": "000000000042"}});
            return axum::Json(serde_json::json!([token])).into_response();
        }
        hits.fetch_add(1, Ordering::SeqCst);
        let csv = |body: &'static str| ([("content-type", "text/csv")], body).into_response();
        match export {
            Export::UnknownHeader => csv("Key,State\nykk1,ACTIVE\n"),
            Export::RowWithoutId => csv("id,serial,status\n,000000000042,UNASSIGNED\n"),
            Export::Json => axum::Json(serde_json::json!([])).into_response(),
            Export::LimitRefused => (
                StatusCode::BAD_REQUEST,
                axum::Json(serde_json::json!({"errorCode": "E0000001", "errorSummary": "Api validation failed: limit", "errorCauses": [{"errorSummary": "limit"}]})),
            )
                .into_response(),
            Export::ServerError => (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(serde_json::json!({"errorCode": "E0000009"}))).into_response(),
        }
    }
    for export in [
        Export::UnknownHeader,
        Export::LimitRefused,
        Export::ServerError,
        Export::Json,
        Export::RowWithoutId,
    ] {
        let hits = Arc::new(AtomicU64::new(0));
        let app = Router::new()
            .route(ykprov::okta::models::TOKENS_PATH, get(tokens))
            .with_state((export, Arc::clone(&hits)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let mut cfg = ykprov::okta::ClientConfig::new(url.parse().unwrap(), Secret::new("t".into()));
        cfg.max_backoff = std::time::Duration::from_millis(20);
        let client = ykprov::okta::OktaClient::new(cfg).unwrap();
        let dir = TestDir::new();
        let file = dir.write("s.csv", seeds::csv(&[seeds::row(42)]));
        let r = reconcile(&opts(vec![file], Via::Download, Scope::File), &client)
            .await
            .unwrap_or_else(|e| panic!("{export:?}: {e:#}"));
        assert_eq!(r.reconciliation.count(&Category::Unassigned), 1, "{export:?}");
        assert!(
            hits.load(Ordering::SeqCst) >= 1,
            "{export:?}: the export was tried first"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_next_link_to_another_origin_is_refused() {
    use axum::{routing::get, Router};
    async fn tokens() -> axum::response::Response {
        use axum::response::IntoResponse;
        (
            [("link", "<https://evil.example.com/steal?after=1>; rel=\"next\"")],
            axum::Json(serde_json::json!([])),
        )
            .into_response()
    }
    let app = Router::new().route(ykprov::okta::models::TOKENS_PATH, get(tokens));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = ykprov::okta::OktaClient::new(ykprov::okta::ClientConfig::new(
        url.parse().unwrap(),
        Secret::new("t".into()),
    ))
    .unwrap();
    let dir = TestDir::new();
    let file = dir.write("s.csv", seeds::csv(&[seeds::row(42)]));
    let err = reconcile(&opts(vec![file], Via::Pages, Scope::File), &client)
        .await
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("refusing to send the credential there"),
        "{err:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_binary_exits_1_when_action_is_needed_and_writes_json() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let file = rollout(&emu, &dir).await;
    let out_path = dir.path().join("r.json");
    let out = ykprov_against(
        &emu,
        &[
            "reconcile",
            file.to_str().unwrap(),
            "--format",
            "json",
            "--out",
            out_path.to_str().unwrap(),
            "-q",
        ],
    )
    .output()
    .await
    .unwrap();
    assert_exit(&out, 1);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
    assert_eq!(json["reconciliation"]["counts"]["missing"], 1);
    assert_eq!(json["reconciliation"]["counts"]["blocked"], 1);
    // Only counting unassigned and active makes it clean.
    let out = ykprov_against(
        &emu,
        &["reconcile", file.to_str().unwrap(), "--fail-on", "revoked", "-q"],
    )
    .output()
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("missing") && text.contains("blocked"), "{text}");
    // export writes the inventory as CSV.
    let csv_path = dir.path().join("tokens.csv");
    let out = ykprov_against(
        &emu,
        &["export", "--out", csv_path.to_str().unwrap(), "--expand-user"],
    )
    .output()
    .await
    .unwrap();
    assert_exit(&out, 0);
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert!(csv.starts_with("serial,tokenId,status,created,activated,lastVerified,userId,login\n"));
    assert_eq!(csv.lines().count(), 1 + 24);
}
