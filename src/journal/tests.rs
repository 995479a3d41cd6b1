//! Journal tests: replay (done, failed, in doubt), torn and damaged lines, duplicates, privacy,
//! and the outcome names.

use super::*;
use std::fs::OpenOptions;

impl Header {
    /// A plain run's header for tests: an upload of `seeds.csv` to `https://x.okta.com`, started
    /// now (tests change what they look at).
    pub(crate) fn sample() -> Header {
        Header {
            run_id: "r1".into(),
            tool_version: "0.1.0".into(),
            operator: "admin@host".into(),
            okta_identity: None,
            org: "https://x.okta.com".into(),
            input: "seeds.csv".into(),
            input_sha256: "ab".into(),
            sealed: None,
            options: serde_json::json!({"concurrency": 4}),
            started: Utc::now(),
            resumed: false,
        }
    }
}

fn header() -> Header {
    Header::sample()
}

fn outcome(serial: &str, result: RowResult) -> Entry {
    Entry::Outcome {
        serial: Some(serial.into()),
        line: 1,
        result,
        at: Utc::now(),
    }
}

fn intent(serial: &str) -> Entry {
    Entry::Intent {
        serial: serial.into(),
        line: 1,
        attempt: 1,
        at: Utc::now(),
    }
}

#[test]
fn replay_separates_done_failed_and_in_doubt_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let j = Journal::create(&path, header()).unwrap();
    j.append(&intent("000000000001")).unwrap();
    j.append(&outcome(
        "000000000001",
        RowResult::Uploaded {
            token_id: "ykk1".into(),
            request_id: None,
            confirmed_by_lookup: false,
        },
    ))
    .unwrap();
    j.append(&intent("000000000002")).unwrap();
    j.append(&outcome(
        "000000000003",
        RowResult::Failed {
            attempts: 6,
            reason: "x".into(),
            request_id: None,
        },
    ))
    .unwrap();
    let r = replay(&path).unwrap();
    assert!(r.is_done("000000000001"));
    assert!(!r.is_done("000000000002"));
    assert!(r.in_doubt.contains("000000000002"));
    assert!(
        !r.is_done("000000000003"),
        "failed rows are retried by the next run"
    );
    assert!(r.unreadable_lines.is_empty());
}

#[test]
fn torn_last_line_is_tolerated_and_mended_on_resume() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let j = Journal::create(&path, header()).unwrap();
    j.append(&intent("000000000001")).unwrap();
    drop(j);
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(b"{\"type\":\"outcome\",\"ser").unwrap();
    let r = replay(&path).unwrap();
    assert_eq!(r.unreadable_lines, vec![3]);
    assert!(r.only_torn_by_crashes);
    assert!(r.in_doubt.contains("000000000001"));
    let j = Journal::resume(&path, header()).unwrap();
    j.append(&outcome(
        "000000000001",
        RowResult::AlreadyPresent {
            status: "UNASSIGNED".into(),
            token_id: "ykk1".into(),
        },
    ))
    .unwrap();
    let r = replay(&path).unwrap();
    assert!(r.is_done("000000000001"));
    assert_eq!(r.headers.len(), 2);
    assert_eq!(
        r.unreadable_lines,
        vec![3],
        "the torn line stays, on a line of its own"
    );
}

#[test]
fn garbage_in_the_middle_is_damage_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let j = Journal::create(&path, header()).unwrap();
    j.append(&intent("000000000001")).unwrap();
    drop(j);
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(b"garbage\n").unwrap();
    drop(f);
    let j = Journal::resume(&path, header()).unwrap();
    drop(j);
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(b"more garbage\n{\"type\":\"intent\",\"serial\":\"000000000002\",\"line\":2,\"attempt\":1,\"at\":\"2026-01-01T00:00:00.000Z\"}\n").unwrap();
    let r = replay(&path).unwrap();
    assert_eq!(r.unreadable_lines, vec![3, 5]);
    assert!(!r.only_torn_by_crashes);
}

#[test]
fn duplicate_outcomes_keep_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let j = Journal::create(&path, header()).unwrap();
    j.append(&outcome(
        "000000000001",
        RowResult::Failed {
            attempts: 6,
            reason: "x".into(),
            request_id: None,
        },
    ))
    .unwrap();
    j.append(&outcome(
        "000000000001",
        RowResult::Uploaded {
            token_id: "ykk1".into(),
            request_id: None,
            confirmed_by_lookup: true,
        },
    ))
    .unwrap();
    assert!(replay(&path).unwrap().is_done("000000000001"));
}

#[cfg(unix)]
#[test]
fn journal_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    Journal::create(&path, header()).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(
        Journal::create(&path, header()).is_err(),
        "never overwrites an existing journal"
    );
}

#[test]
fn outcome_names_are_their_serde_names_and_the_journal_tags() {
    for kind in OutcomeKind::ALL {
        assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
    }
    for line in [
        r#"{"result":"uploaded","token_id":"ykk1","request_id":null}"#,
        r#"{"result":"already_present","status":"ACTIVE","token_id":"ykk1"}"#,
        r#"{"result":"rejected","http_status":400,"error_code":"E0000001","error_summary":"bad","error_causes":[],"request_id":null}"#,
        r#"{"result":"failed","attempts":2,"reason":"503","request_id":null}"#,
        r#"{"result":"invalid","field":null,"reason":"short"}"#,
    ] {
        let r: RowResult = serde_json::from_str(line).unwrap();
        assert_eq!(serde_json::to_value(&r).unwrap()["result"], r.kind());
    }
}

#[test]
fn a_header_written_before_the_okta_identity_was_recorded_still_reads() {
    let old = r#"{"type":"header","run_id":"r","tool_version":"0.1.0","operator":"root@vm","org":"https://x.okta.com","input":"s.csv","input_sha256":"ab","options":{},"started":"2026-01-01T00:00:00.000Z","resumed":false}"#;
    let Entry::Header(h) = serde_json::from_str::<Entry>(old).unwrap() else {
        panic!("a header");
    };
    assert_eq!((h.operator.as_str(), h.okta_identity), ("root@vm", None));
    let mut with = header();
    with.okta_identity = Some("admin@acme.example (SSWS token)".into());
    let text = serde_json::to_string(&Entry::Header(with.clone())).unwrap();
    assert!(
        text.contains(r#""okta_identity":"admin@acme.example (SSWS token)""#),
        "{text}"
    );
    let Entry::Header(back) = serde_json::from_str::<Entry>(&text).unwrap() else {
        panic!("a header");
    };
    assert_eq!(back.okta_identity, with.okta_identity);
}
