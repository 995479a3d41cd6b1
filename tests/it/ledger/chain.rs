//! The evidence: `ledger verify` names an edited event, and old journals are imported once and
//! never changed.

use super::{run, stdout, uploaded};
use crate::helpers::{assert_exit, TestDir};
use okta_emulator::{self as emulator, EmulatorConfig};
use ykprov::ledger::Ledger;
use ykprov::seed::Serial;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_the_first_edited_event() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let ledger = dir.path().join("ledger.sqlite3");
    uploaded(&emu, &dir, &ledger, 740_000, 4).await;
    let ok = run(&emu, &ledger, &["ledger", "verify"]).await;
    assert_exit(&ok, 0);
    assert!(stdout(&ok).contains("chain intact"), "{}", stdout(&ok));

    // Someone rewrites an upload's outcome: the triggers are dropped, the row edited.
    let conn = rusqlite::Connection::open(&ledger).unwrap();
    let id: i64 = conn
        .query_row(
            "SELECT min(id) FROM events WHERE kind = 'upload_outcome'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute_batch("DROP TRIGGER events_are_append_only_update")
        .unwrap();
    conn.execute(
        "UPDATE events SET payload = replace(payload, 'uploaded', 'rejected') WHERE id = ?1",
        [id],
    )
    .unwrap();
    drop(conn);
    let out = run(&emu, &ledger, &["ledger", "verify", "--format", "json"]).await;
    assert_exit(&out, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["intact"], false);
    assert_eq!(v["firstBroken"]["id"], id);
    assert_eq!(v["events"], id - 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_journals_are_imported_once_and_left_unchanged() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    // The rollout ran with another ledger (or before there was one); only its journal is here.
    let elsewhere = dir.path().join("elsewhere.sqlite3");
    let file = uploaded(&emu, &dir, &elsewhere, 750_000, 5).await;
    std::fs::remove_file(&file).unwrap();
    let journal = dir.path().join("seeds.csv.ykprov-journal.jsonl");
    let before = std::fs::read(&journal).unwrap();
    let ledger = dir.path().join("ledger.sqlite3");

    let first = run(
        &emu,
        &ledger,
        &["ledger", "import", journal.to_str().unwrap(), "--format", "json"],
    )
    .await;
    assert_exit(&first, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&first)).unwrap();
    let added = v["imported"][0]["events"].as_u64().unwrap();
    assert_eq!(
        added,
        1 + 5 + 5 + 1,
        "a run, 5 keys, 5 outcomes, its summary: {v}"
    );
    let again = run(
        &emu,
        &ledger,
        &["ledger", "import", journal.to_str().unwrap(), "--format", "json"],
    )
    .await;
    assert_exit(&again, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_eq!(v["imported"][0]["events"], 0, "{v}");
    assert_eq!(std::fs::read(&journal).unwrap(), before);

    let l = Ledger::open(&ledger).unwrap();
    let facts = l.facts(&emu.url()).unwrap();
    assert_eq!(facts.uploaded.len(), 5);
    assert!(facts.uploaded_at(&Serial::from(750_004u32)).is_some());
    assert_eq!(l.known_keys(&emu.url()).unwrap().len(), 5);
    // The imported keys reconcile without their file.
    let out = run(&emu, &ledger, &["reconcile", "--format", "json"]).await;
    assert_exit(&out, 0);
    assert_eq!(l.verify().unwrap().first_broken, None);
}
