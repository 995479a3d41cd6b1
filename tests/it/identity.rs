//! Issue 23: the Okta identity behind the credential, recorded beside the OS operator. A real
//! upload against the emulator looks it up once, before its first write, and the journal header,
//! the ledger's run and the report all name the emulator's admin. A token that may not read users
//! (403) is recorded as unknown and does not stop anything; a refused token (401) is fatal.

use crate::helpers::{assert_exit, spawn_emulator, ykprov_against, TestDir};
use crate::seeds;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use okta_emulator::{EmulatorConfig, Endpoint};
use std::time::Duration;
use ykprov::okta::{identity, ApiError, ClientConfig, OktaClient};
use ykprov::secret::Secret;

/// The login the emulator's one API token belongs to.
const ADMIN: &str = "admin@emulator.example (SSWS token)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_records_the_admin_behind_the_token_in_journal_ledger_and_report() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(610_000, 3)));
    let (report, ledger) = (dir.path().join("report.json"), dir.path().join("ledger.sqlite3"));
    let out = ykprov_against(&emu, &["upload", file.to_str().unwrap()])
        .args([
            "--report",
            report.to_str().unwrap(),
            "--ledger",
            ledger.to_str().unwrap(),
        ])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);

    // Looked up once, before the first write.
    let log = emu.log();
    assert_eq!(log.count(Endpoint::GetUser), 1, "one GET /api/v1/users/me");
    let order: Vec<Endpoint> = log
        .entries
        .iter()
        .map(|e| e.endpoint)
        .filter(|e| matches!(e, Endpoint::GetUser | Endpoint::UploadToken))
        .collect();
    assert_eq!(order.first(), Some(&Endpoint::GetUser), "{order:?}");

    let journal = std::fs::read_to_string(dir.path().join("seeds.csv.ykprov-journal.jsonl")).unwrap();
    let header: serde_json::Value = serde_json::from_str(journal.lines().next().unwrap()).unwrap();
    assert_eq!(header["okta_identity"], ADMIN, "{header}");
    assert!(
        header["operator"].as_str().unwrap().contains('@'),
        "the OS operator stays beside it"
    );

    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(report["runs"][0]["oktaIdentity"], ADMIN);

    let db = rusqlite::Connection::open(&ledger).unwrap();
    // The upload looks its identity up after the seed file's checks, so the ledger has it from the
    // journal header (`journal_run`); repair and revoke also put it in `run_started`.
    let payloads: Vec<serde_json::Value> = db
        .prepare("SELECT payload FROM events WHERE kind = 'journal_run' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|p| serde_json::from_str(&p.unwrap()).unwrap())
        .collect();
    assert_eq!(payloads.len(), 1, "the run's journal header: {payloads:?}");
    assert_eq!(payloads[0]["oktaIdentity"], ADMIN, "{}", payloads[0]);
    // A repair (of a key the file gained) records it in its run's start as well.
    let more = dir.write("more.csv", seeds::csv(&seeds::rows(610_000, 4)));
    let out = ykprov_against(&emu, &["repair", more.to_str().unwrap(), "--yes"])
        .args(["--ledger", ledger.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    let started: Vec<serde_json::Value> = db
        .prepare("SELECT payload FROM events WHERE kind = 'run_started' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|p| serde_json::from_str(&p.unwrap()).unwrap())
        .collect();
    let repair = started
        .iter()
        .find(|p| p["command"] == "repair")
        .expect("the repair's start");
    assert_eq!(repair["oktaIdentity"], ADMIN, "{repair}");
    let token = emu.token();
    for text in [journal, String::from_utf8_lossy(&out.stderr).into_owned()] {
        assert!(!text.contains(token.as_str()), "the token never appears");
    }
}

/// A fake Okta whose `GET /api/v1/users/me` answers `status` with Okta's error body for it.
async fn users_me_answering(status: StatusCode) -> String {
    let (code, summary) = match status {
        StatusCode::FORBIDDEN => (
            "E0000006",
            "You do not have permission to perform the requested action",
        ),
        _ => ("E0000011", "Invalid token provided"),
    };
    let body = serde_json::json!({
        "errorCode": code, "errorSummary": summary, "errorLink": code, "errorId": "oae1", "errorCauses": []
    })
    .to_string();
    let app = Router::new().route(
        "/api/v1/users/me",
        get(move || {
            let body = body.clone();
            async move { (status, [("content-type", "application/json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn client(url: &str) -> OktaClient {
    let mut cfg = ClientConfig::new(url.parse().unwrap(), Secret::new("00identity-test-token".into()));
    cfg.timeout = Duration::from_secs(20);
    OktaClient::new(cfg).unwrap()
}

#[tokio::test]
async fn a_token_that_may_not_read_users_is_recorded_as_unknown_and_a_refused_one_is_fatal() {
    let forbidden = client(&users_me_answering(StatusCode::FORBIDDEN).await);
    let who = identity::recorded(&forbidden)
        .await
        .expect("a 403 does not stop the run");
    assert!(
        who.starts_with("unknown (GET /api/v1/users/me refused: HTTP 403 E0000006"),
        "{who}"
    );
    let refused = client(&users_me_answering(StatusCode::UNAUTHORIZED).await);
    let err = identity::recorded(&refused).await.unwrap_err();
    assert!(
        matches!(err, ApiError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
}
