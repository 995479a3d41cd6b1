//! `ykprov probe` against tiny servers that read the contract otherwise than the emulator: one
//! refusing `limit` above 200 (the spec's maximum) while ignoring `forDownload`, `filter` and
//! `expand` and sending no rate-limit headers, and one answering 503 after the first page. Their
//! own counters are the witness: only GETs, one retry per check, never more than 25.

use crate::probe::{ssws_client, started};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use ykprov::okta::models::TOKENS_PATH;
use ykprov::okta::probe::{self, CheckState, Format};

/// How the fake org misreads the contract.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Refuses `limit` above 200 (the spec's maximum), ignores `forDownload`, `filter` and
    /// `expand`, sends no rate-limit headers, and knows a status ykprov does not.
    Strict,
    /// Lists page 1, then answers every other GET 503.
    Failing,
}

struct Fake {
    mode: Mode,
    gets: AtomicU32,
    others: AtomicU32,
}

fn fake_tokens(base: &str) -> Value {
    json!([
        {"id": "ykkfake000000000001", "status": "ACTIVE", "profile": {"serial": "000007200001"},
         "_links": {"user": {"href": format!("{base}/api/v1/users/00ufake0000000000001")}}},
        {"id": "ykkfake000000000002", "status": "UNASSIGNED", "profile": {"serial": "000007200002"}},
        {"id": "ykkfake000000000003", "status": "QUARANTINED", "profile": {"serial": "000007200003"}},
    ])
}

async fn fake_list(State(f): State<Arc<Fake>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let n = f.gets.fetch_add(1, Ordering::SeqCst);
    if f.mode == Mode::Failing && n > 0 {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let limit: u32 = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(20);
    if limit > 200 {
        let body = json!({"errorCode": "E0000001", "errorSummary": "Api validation failed: limit", "errorCauses": []});
        return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    axum::Json(fake_tokens("https://fake.example")).into_response()
}

async fn fake_get(State(f): State<Arc<Fake>>) -> Response {
    f.gets.fetch_add(1, Ordering::SeqCst);
    if f.mode == Mode::Failing {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    axum::Json(fake_tokens("https://fake.example")[1].clone()).into_response()
}

async fn fake_other(State(f): State<Arc<Fake>>) -> StatusCode {
    f.others.fetch_add(1, Ordering::SeqCst);
    StatusCode::METHOD_NOT_ALLOWED
}

async fn spawn_fake(mode: Mode) -> (String, Arc<Fake>) {
    let fake = Arc::new(Fake {
        mode,
        gets: AtomicU32::new(0),
        others: AtomicU32::new(0),
    });
    let app = Router::new()
        .route(TOKENS_PATH, get(fake_list).fallback(fake_other))
        .route(
            &format!("{TOKENS_PATH}/{{id}}"),
            get(fake_get).fallback(fake_other),
        )
        .fallback(fake_other)
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, fake)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strict_org_refusing_limit_1000_and_ignoring_parameters_is_reported_check_by_check() {
    let (url, fake) = spawn_fake(Mode::Strict).await;
    let report = probe::probe(&ssws_client(&url, "fake-token"), started())
        .await
        .unwrap();
    assert_eq!(fake.gets.load(Ordering::SeqCst), report.gets);
    assert_eq!(fake.others.load(Ordering::SeqCst), 0, "nothing but GETs");
    let limits = report.page_limit.facts.as_ref().unwrap();
    assert_eq!(limits.largest_accepted, Some(200));
    assert_eq!(limits.tries[2].status, Some(400));
    assert_eq!(limits.tries[2].error_code.as_deref(), Some("E0000001"));
    assert_eq!(
        report.page_limit.state,
        CheckState::Passed,
        "ykprov's pages use 200"
    );
    assert_eq!(
        report.page_limit.summary,
        "largest accepted: 200 (limit=20 → 3 tokens; 200 → 3 tokens; 1000 → HTTP 400 E0000001)"
    );
    assert_eq!(report.download.state, CheckState::Finding);
    assert_eq!(
        report.download.summary,
        "forDownload=true answered application/json, not UTF-8 CSV: ykprov falls back to the JSON pages"
    );
    assert_eq!(report.serial_filter.state, CheckState::Finding);
    assert!(
        report
            .serial_filter
            .summary
            .contains("4 tokens with another serial came back too"),
        "{}",
        report.serial_filter.summary
    );
    assert_eq!(report.expand_user.state, CheckState::Finding);
    assert_eq!(report.rate_limits.state, CheckState::Finding);
    assert_eq!(report.bucket.state, CheckState::Skipped);
    assert_eq!(report.statuses.state, CheckState::Finding);
    assert!(report
        .statuses
        .summary
        .ends_with("statuses ykprov does not know: QUARANTINED (treated as live)"));
    let text = String::from_utf8(probe::render(&report, Format::Text).unwrap()).unwrap();
    for word in [
        "000007200001",
        "7200001",
        "00ufake0000000000001",
        "ykkfake000000000001",
        "fake-token",
    ] {
        assert!(!text.contains(word), "{word} in\n{text}");
    }
    let shown = text
        .replace(&url, "ORG")
        .replace(env!("CARGO_PKG_VERSION"), "VERSION");
    insta::assert_snapshot!(shown, @r"
    ykprov VERSION probe of ORG (SSWS token), 2026-12-01 09:00:00 UTC
    8 GETs (at most 25), no write

    finding  rate limits    8 of 8 answers lacked X-Rate-Limit-* or Date: ykprov cannot learn the pace; use --rate N/min
    skipped  bucket         cannot tell whether list and get-by-id share a bucket: no X-Rate-Limit-Remaining on the list, get and list answers
    passed   page limit     largest accepted: 200 (limit=20 → 3 tokens; 200 → 3 tokens; 1000 → HTTP 400 E0000001)
    finding  download       forDownload=true answered application/json, not UTF-8 CSV: ykprov falls back to the JSON pages
    finding  serial filter  a padded serial from page 1 found it; its unpadded form found it: 4 tokens with another serial came back too (the filter was ignored?)
    finding  expand=user    expand=user accepted but embedded no user (0 of 1 assigned tokens): logins will be missing
    finding  statuses       3 tokens (all): ACTIVE 1, QUARANTINED 1, UNASSIGNED 1; statuses ykprov does not know: QUARANTINED (treated as live)

    calls (resets in = X-Rate-Limit-Reset minus Date):
      #  request                                      status        limit  remaining  resets in
      1  list, limit=20                               200           -      -          -
      2  get by id (a token from page 1)              200           -      -          -
      3  list, limit=200                              200           -      -          -
      4  list, limit=1000                             400 E0000001  -      -          -
      5  download, forDownload=true                   200           -      -          -
      6  list, filter on a padded serial from page 1  200           -      -          -
      7  list, filter on the same serial unpadded     200           -      -          -
      8  list, limit=200, expand=user                 200           -      -          -

    6 checks need attention: rate limits (finding), bucket (skipped), download (finding), serial filter (finding), expand=user (finding), statuses (finding)
    ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_answering_503_gets_one_retry_per_check_and_never_more_than_25_gets() {
    let (url, fake) = spawn_fake(Mode::Failing).await;
    let report = probe::probe(&ssws_client(&url, "fake-token"), started())
        .await
        .unwrap();
    let gets = fake.gets.load(Ordering::SeqCst);
    assert_eq!(gets, report.gets);
    assert_eq!(gets, 1 + 2 * 7, "page 1, then seven calls tried twice");
    assert!(gets <= probe::MAX_GETS);
    for check in [
        &report.page_limit.state,
        &report.download.state,
        &report.serial_filter.state,
        &report.expand_user.state,
    ] {
        assert_eq!(*check, CheckState::Failed);
    }
    assert!(report.needs_attention());
}
