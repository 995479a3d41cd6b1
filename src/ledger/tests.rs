use super::record::{ManifestRow, Observation, UnknownSerials};
use super::*;
use crate::lifecycle::{RetireReason, Retirement};
use crate::seed::Serial;
use chrono::TimeZone;

const ORG: &str = "https://acme.okta.com";

fn t(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0).unwrap()
}

fn fresh() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&dir.path().join("state/ledger.sqlite3")).unwrap();
    (dir, ledger)
}

fn row(serial: u32, line: u64) -> ManifestRow {
    ManifestRow {
        serial: serial.into(),
        public_id: Some(format!("cccc{serial:08}")),
        file: "seeds.csv".into(),
        file_sha256: "ab".repeat(32),
        line,
    }
}

fn retirement() -> Retirement {
    Retirement {
        reason: RetireReason::Stolen,
        ticket: Some("INC-1".into()),
        note: None,
        at: t(3),
        operator: "ops@host".into(),
    }
}

fn seen(serial: u32, status: Option<&str>, user: Option<&str>) -> Observation {
    Observation {
        serial: serial.into(),
        status: status.map(str::to_string),
        token_id: status.map(|_| format!("ykk{serial}")),
        user_id: user.map(str::to_string),
        login: None,
    }
}

#[test]
fn a_new_ledger_is_private_marked_as_ours_and_at_the_current_version() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, ledger) = fresh();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(ledger.path()), 0o600);
    assert_eq!(mode(&dir.path().join("state")), 0o700);
    let app: i64 = ledger
        .conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    let version: i64 = ledger
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!((app, version), (schema::APPLICATION_ID, schema::CURRENT_VERSION));
    let mode: String = ledger
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn reopening_keeps_the_events_and_does_not_migrate_again() {
    let (_dir, mut ledger) = fresh();
    ledger
        .record_manifest(ORG, &[row(1, 2), row(2, 3)], t(1))
        .unwrap();
    let path = ledger.path().to_path_buf();
    drop(ledger);
    let again = Ledger::open(&path).unwrap();
    assert_eq!(again.known_keys(ORG).unwrap().len(), 2);
    assert_eq!(again.verify().unwrap().events, 2);
}

#[test]
fn the_chain_links_every_event_and_verify_accepts_it() {
    let (_dir, mut ledger) = fresh();
    ledger
        .record_manifest(ORG, &[row(1, 2), row(2, 3)], t(1))
        .unwrap();
    ledger.retire(ORG, &[Serial::from(1u32)], &retirement()).unwrap();
    let v = ledger.verify().unwrap();
    assert_eq!((v.events, v.first_broken), (3, None));
    let links: Vec<(String, String)> = ledger
        .conn
        .prepare("SELECT prev_hash, hash FROM events ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(links[0].0, chain::GENESIS);
    assert_eq!(links[1].0, links[0].1);
    assert_eq!(links[2].0, links[1].1);
}

#[test]
fn an_edited_event_is_named_by_verify() {
    let (_dir, mut ledger) = fresh();
    ledger
        .record_manifest(ORG, &[row(1, 2), row(2, 3), row(3, 4)], t(1))
        .unwrap();
    // The triggers stop an accidental UPDATE; a deliberate edit drops them first.
    let err = ledger
        .conn
        .execute("UPDATE events SET serial = '000000000009' WHERE id = 2", []);
    assert!(err.is_err(), "the append-only trigger refuses an update");
    ledger
        .conn
        .execute_batch(
            "DROP TRIGGER events_are_append_only_update; UPDATE events SET payload = replace(payload, 'seeds.csv', 'other.csv') WHERE id = 2;",
        )
        .unwrap();
    let v = ledger.verify().unwrap();
    let broken = v.first_broken.unwrap();
    assert_eq!((v.events, broken.id), (1, 2));
    assert!(broken.problem.contains("edited"), "{}", broken.problem);
}

#[test]
fn a_removed_event_is_named_by_verify() {
    let (_dir, mut ledger) = fresh();
    ledger
        .record_manifest(ORG, &[row(1, 2), row(2, 3), row(3, 4)], t(1))
        .unwrap();
    ledger
        .conn
        .execute_batch("DROP TRIGGER events_are_append_only_delete; DELETE FROM events WHERE id = 2;")
        .unwrap();
    assert_eq!(ledger.verify().unwrap().first_broken.unwrap().id, 2);
}

#[test]
fn retiring_an_unknown_serial_records_nothing_and_names_it() {
    let (_dir, mut ledger) = fresh();
    ledger.record_manifest(ORG, &[row(1, 2)], t(1)).unwrap();
    let err = ledger
        .retire(ORG, &[1u32.into(), 77u32.into()], &retirement())
        .unwrap_err();
    let unknown = err.downcast_ref::<UnknownSerials>().unwrap();
    assert_eq!(unknown.serials, vec![Serial::from(77u32)]);
    assert!(err.to_string().contains("000000000077"), "{err}");
    assert!(ledger.facts(ORG).unwrap().retired.is_empty());
    assert_eq!(ledger.verify().unwrap().events, 1);
}

#[test]
fn retire_then_unretire_shows_in_the_facts_and_the_history() {
    let (_dir, mut ledger) = fresh();
    ledger
        .record_manifest(ORG, &[row(1, 2), row(2, 3)], t(1))
        .unwrap();
    ledger
        .retire("https://ACME.okta.com/", &[1u32.into()], &retirement())
        .unwrap();
    let facts = ledger.facts(ORG).unwrap();
    assert_eq!(facts.retirement(&1u32.into()), Some(&retirement()));
    assert!(facts.retirement(&2u32.into()).is_none());
    assert!(ledger.facts("https://other.okta.com").unwrap().retired.is_empty());
    assert!(ledger
        .unretire(ORG, &1u32.into(), "INC-2", "ops@host", t(4))
        .unwrap());
    assert!(!ledger
        .unretire(ORG, &1u32.into(), "INC-2", "ops@host", t(4))
        .unwrap());
    assert!(ledger.facts(ORG).unwrap().retired.is_empty());
    let kinds: Vec<String> = ledger
        .history(None, &1u32.into())
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["key_recorded", "retired", "unretired"]);
}

#[test]
fn the_manifest_records_a_key_again_only_when_it_moved() {
    let (_dir, mut ledger) = fresh();
    assert_eq!(
        ledger
            .record_manifest(ORG, &[row(1, 2), row(2, 3)], t(1))
            .unwrap(),
        2
    );
    assert_eq!(
        ledger
            .record_manifest(ORG, &[row(1, 2), row(2, 3)], t(2))
            .unwrap(),
        0
    );
    assert_eq!(
        ledger
            .record_manifest(ORG, &[row(1, 2), row(2, 9)], t(2))
            .unwrap(),
        1
    );
    let keys = ledger.known_keys(ORG).unwrap();
    assert_eq!(keys.iter().map(|k| k.line).collect::<Vec<_>>(), [2, 9]);
    assert!(ledger.known_keys("https://other.okta.com").unwrap().is_empty());
}

#[test]
fn observations_record_only_changes_and_a_record_gone() {
    let (_dir, mut ledger) = fresh();
    let first = [seen(1, Some("UNASSIGNED"), None), seen(2, None, None)];
    assert_eq!(ledger.record_observations(ORG, first.clone(), t(1)).unwrap(), 1);
    assert_eq!(ledger.record_observations(ORG, first.clone(), t(2)).unwrap(), 0);
    let enrolled = [seen(1, Some("ACTIVE"), Some("00u1"))];
    assert_eq!(ledger.record_observations(ORG, enrolled, t(3)).unwrap(), 1);
    assert_eq!(
        ledger
            .record_observations(ORG, [seen(1, None, None)], t(4))
            .unwrap(),
        1
    );
    assert_eq!(
        ledger
            .record_observations(ORG, [seen(1, None, None)], t(5))
            .unwrap(),
        0
    );
    let kinds: Vec<String> = ledger
        .history(Some(ORG), &1u32.into())
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["status_changed", "status_changed", "gone"]);
}

fn write_journal(dir: &Path) -> PathBuf {
    let lines = [
        r#"{"type":"header","run_id":"r1","tool_version":"0.1.0","operator":"ops@host","org":"https://ACME.okta.com/","input":"seeds.csv","input_sha256":"aa","options":{},"started":"2026-11-01T10:00:00.000Z"}"#,
        r#"{"type":"intent","serial":"000000000001","line":2,"attempt":1,"at":"2026-11-01T10:00:01.000Z"}"#,
        r#"{"type":"outcome","serial":"000000000001","line":2,"result":"uploaded","token_id":"ykk1","request_id":null,"at":"2026-11-01T10:00:02.000Z"}"#,
        r#"{"type":"outcome","serial":"000000000002","line":3,"result":"already_present","status":"ACTIVE","token_id":"ykk2","at":"2026-11-01T10:00:03.000Z"}"#,
        r#"{"type":"outcome","serial":"000000000003","line":4,"result":"rej"#,
    ];
    let path = dir.join("seeds.csv.ykprov-journal.jsonl");
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}

#[test]
fn an_imported_journal_gives_the_manifest_and_uploads_and_a_second_import_adds_nothing() {
    let (dir, mut ledger) = fresh();
    let journal = write_journal(dir.path());
    let before = std::fs::read(&journal).unwrap();
    let first = ledger.ingest_journal(&journal).unwrap();
    assert_eq!((first.lines, first.unreadable), (5, 1));
    let facts = ledger.facts(ORG).unwrap();
    assert_eq!(
        facts.uploaded_at(&1u32.into()),
        Some(Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 2).unwrap())
    );
    assert!(
        facts.uploaded_at(&2u32.into()).is_none(),
        "already present is not an upload by us"
    );
    let keys = ledger.known_keys(ORG).unwrap();
    assert_eq!(
        keys.iter()
            .map(|k| (k.serial.to_string(), k.line))
            .collect::<Vec<_>>(),
        [("000000000001".to_string(), 2), ("000000000002".to_string(), 3)]
    );
    let events = ledger.verify().unwrap().events;
    assert_eq!(ledger.ingest_journal(&journal).unwrap().events, 0);
    assert_eq!(ledger.verify().unwrap().events, events);
    assert_eq!(
        std::fs::read(&journal).unwrap(),
        before,
        "the journal is never changed"
    );
}

#[test]
fn catch_up_ingests_what_a_killed_run_journaled() {
    let (dir, mut ledger) = fresh();
    let journal = dir.path().join("seeds.csv.ykprov-journal.jsonl");
    let run = record::RunStart {
        command: "upload",
        journal: journal.clone(),
        files: vec!["seeds.csv".into()],
        operator: "ops@host".into(),
        okta_identity: Some("admin@acme.example (SSWS token)".into()),
    };
    ledger.record_run_start(ORG, &run, t(1)).unwrap();
    assert_eq!(ledger.catch_up(ORG).unwrap(), 0, "no journal yet");
    write_journal(dir.path());
    assert!(ledger.catch_up(ORG).unwrap() > 0);
    assert!(ledger.facts(ORG).unwrap().uploaded_at(&1u32.into()).is_some());
    assert_eq!(ledger.catch_up(ORG).unwrap(), 0, "nothing new");
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite3");
    std::fs::write(&path, "serial,aes\n1,2\n").unwrap();
    set_mode(&path, 0o600);
    let err = Ledger::open(&path).err().unwrap();
    assert!(format!("{err:#}").contains("not an SQLite file"), "{err:#}");
    assert_eq!(std::fs::read(&path).unwrap(), b"serial,aes\n1,2\n");
}

#[test]
fn another_programs_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE t (x); PRAGMA user_version = 1;")
        .unwrap();
    drop(conn);
    set_mode(&path, 0o600);
    let err = Ledger::open(&path).err().unwrap();
    assert!(format!("{err:#}").contains("not a ykprov ledger"), "{err:#}");
}

#[test]
fn a_ledger_from_a_newer_ykprov_is_refused() {
    let (_dir, ledger) = fresh();
    ledger
        .conn
        .pragma_update(None, "user_version", schema::CURRENT_VERSION + 1)
        .unwrap();
    let path = ledger.path().to_path_buf();
    drop(ledger);
    let err = Ledger::open(&path).err().unwrap();
    assert!(format!("{err:#}").contains("newer ykprov"), "{err:#}");
}

#[test]
fn a_ledger_missing_its_tables_is_refused() {
    let (_dir, ledger) = fresh();
    ledger.conn.execute_batch("DROP TABLE retirements").unwrap();
    let path = ledger.path().to_path_buf();
    drop(ledger);
    let err = Ledger::open(&path).err().unwrap();
    assert!(format!("{err:#}").contains("no `retirements` table"), "{err:#}");
}

#[test]
fn a_symlink_is_refused() {
    let (dir, ledger) = fresh();
    let link = dir.path().join("link.sqlite3");
    std::os::unix::fs::symlink(ledger.path(), &link).unwrap();
    let err = Ledger::open(&link).err().unwrap();
    assert!(format!("{err:#}").contains("symbolic link"), "{err:#}");
}

#[test]
fn a_group_writable_ledger_is_refused() {
    let (_dir, ledger) = fresh();
    let path = ledger.path().to_path_buf();
    drop(ledger);
    set_mode(&path, 0o620);
    let err = Ledger::open(&path).err().unwrap();
    assert!(
        format!("{err:#}").contains("writable by group or others"),
        "{err:#}"
    );
}

#[test]
fn a_ledger_whose_folder_cannot_be_made_is_a_clear_error() {
    // A regular file where the folder should be: even root cannot create the ledger there.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("state"), "x").unwrap();
    let err = Ledger::open(&dir.path().join("state/ykprov/ledger.sqlite3"))
        .err()
        .unwrap();
    let msg = format!("{err:#}");
    assert!(msg.contains("ledger") && msg.contains("state/ykprov"), "{msg}");
}

#[test]
fn the_default_path_follows_xdg_then_home() {
    use std::ffi::OsStr;
    assert_eq!(
        default_path(Some(OsStr::new("/s")), Some(OsStr::new("/h"))),
        Some(PathBuf::from("/s/ykprov/ledger.sqlite3"))
    );
    assert_eq!(
        default_path(Some(OsStr::new("relative")), Some(OsStr::new("/h"))),
        Some(PathBuf::from("/h/.local/state/ykprov/ledger.sqlite3"))
    );
    assert_eq!(default_path(None, None), None);
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_key_we_uploaded_and_find_missing_at_the_first_reconciliation_is_gone() {
    let (dir, mut ledger) = fresh();
    let journal = write_journal(dir.path());
    ledger.ingest_journal(&journal).unwrap();
    let first = [seen(1, None, None), seen(2, None, None)];
    assert_eq!(
        ledger.record_observations(ORG, first.clone(), t(1)).unwrap(),
        1,
        "only the upload we know of"
    );
    let h = ledger.history(Some(ORG), &1u32.into()).unwrap();
    let last = h.last().unwrap();
    assert_eq!(
        (last.kind.as_str(), last.payload["from"].as_str()),
        ("gone", Some("UPLOADED"))
    );
}

#[test]
fn a_repair_journal_brings_its_plan_deletes_and_uploads() {
    use crate::journal::repair::{DeleteOutcome, DeleteResult, Planned, RepairAction};
    use crate::journal::{Entry, RowResult};
    let (dir, mut ledger) = fresh();
    let header = std::fs::read_to_string(write_journal(dir.path())).unwrap();
    let header = header.lines().next().unwrap().to_string();
    let entries = [
        Entry::Planned(Planned {
            serial: 5u32.into(),
            action: RepairAction::Reissue,
            token_id: Some("ykk5".into()),
            file: "seeds.csv".into(),
            line: 6,
            reason: "BLOCKED: its user was deactivated".into(),
            at: t(1),
        }),
        Entry::DeleteOutcome(DeleteOutcome {
            serial: 5u32.into(),
            token_id: "ykk5".into(),
            result: DeleteResult::Deleted {
                request_id: None,
                confirmed_by_lookup: false,
            },
            at: t(2),
        }),
        Entry::Outcome {
            serial: Some(5u32.into()),
            line: 6,
            result: RowResult::Uploaded {
                token_id: "ykk6".into(),
                request_id: None,
                confirmed_by_lookup: false,
            },
            at: t(3),
        },
    ];
    let mut text = header + "\n";
    for e in &entries {
        text.push_str(&serde_json::to_string(e).unwrap());
        text.push('\n');
    }
    let path = dir.path().join("seeds.csv.ykprov-repair-journal.jsonl");
    std::fs::write(&path, text).unwrap();
    ledger.ingest_journal(&path).unwrap();
    let kinds: Vec<String> = ledger
        .history(Some(ORG), &5u32.into())
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "repair_planned",
            "token_deleted",
            "key_recorded",
            "upload_outcome"
        ]
    );
    assert_eq!(ledger.facts(ORG).unwrap().uploaded_at(&5u32.into()), Some(t(3)));
}
