//! One test per rule of the diff, the lifecycle categories included.

use super::*;

fn now() -> DateTime<Utc> {
    "2026-11-28T00:00:00Z".parse().unwrap()
}

fn opts(scope: Scope) -> DiffOptions {
    DiffOptions {
        scope,
        stale_after: Duration::days(90),
        now: now(),
    }
}

fn local(serial: u32) -> LocalRow {
    LocalRow {
        serial: serial.into(),
        file: "s.csv".into(),
        line: u64::from(serial),
    }
}

fn remote(serial: u32, status: &str, days_since_use: Option<i64>) -> RemoteToken {
    RemoteToken {
        created: Some(now() - Duration::days(400)),
        last_verified: days_since_use.map(|d| now() - Duration::days(d)),
        ..RemoteToken::listed(serial, &format!("ykk{serial}"), status)
    }
}

#[test]
fn a_live_record_wins_over_history_and_the_history_is_kept() {
    let mut old = remote(1, "REVOKED", None);
    old.id = "ykkold".into();
    let mut again = remote(1, "UNASSIGNED", None);
    again.created = Some(now() - Duration::days(1));
    let rec = diff(
        &[local(1)],
        &[old, again],
        vec![],
        &opts(Scope::File),
        &Facts::default(),
    );
    let item = &rec.items[0];
    assert_eq!(item.category, Category::Unassigned);
    assert_eq!(item.token_id.as_deref(), Some("ykk1"));
    assert_eq!(item.history, ["REVOKED"]);
    assert_eq!(rec.count(&Category::Removed), 0);
}

#[test]
fn a_serial_with_only_history_is_removed_and_shown_by_its_newest_record() {
    let mut older = remote(2, "DELETED", None);
    older.id = "ykkolder".into();
    older.created = Some(now() - Duration::days(500));
    let newer = remote(2, "REVOKED", None);
    let rec = diff(
        &[local(2)],
        &[newer, older],
        vec![],
        &opts(Scope::Org),
        &Facts::default(),
    );
    assert_eq!(rec.items.len(), 1, "one item per serial, however many records");
    let item = &rec.items[0];
    assert_eq!(item.category, Category::Removed);
    assert_eq!(item.status.as_deref(), Some("REVOKED"));
    assert_eq!(item.history, ["DELETED"]);
    let advice = item.advice().unwrap();
    assert!(advice.contains("uploaded on 2025-"), "{advice}");
    assert!(advice.contains("repair --restore 2"), "{advice}");
}

#[test]
fn every_status_lands_in_its_category() {
    let l: Vec<_> = (1..=8).map(local).collect();
    let r = vec![
        remote(1, "UNASSIGNED", None),
        remote(2, "ACTIVE", Some(3)),
        remote(3, "BLOCKED", None),
        remote(4, "REVOKED", None),
        remote(5, "DELETED", None),
        remote(6, "QUARANTINED", None),
        remote(7, "ACTIVE", Some(91)),
    ];
    let rec = diff(&l, &r, vec![], &opts(Scope::File), &Facts::default());
    let cat = |s: u32| {
        rec.items
            .iter()
            .find(|i| i.serial == Serial::from(s))
            .unwrap()
            .category
            .clone()
    };
    assert_eq!(cat(1), Category::Unassigned);
    assert_eq!(cat(2), Category::Active);
    assert_eq!(cat(3), Category::Blocked);
    assert_eq!(cat(4), Category::Removed);
    assert_eq!(cat(5), Category::Removed);
    assert_eq!(cat(6), Category::Other);
    assert_eq!(cat(7), Category::Stale);
    assert_eq!(cat(8), Category::Missing);
    assert_eq!(
        rec.items
            .iter()
            .find(|i| i.serial.ends_with("06"))
            .unwrap()
            .status
            .as_deref(),
        Some("QUARANTINED")
    );
}

#[test]
fn tokens_in_no_file_appear_only_with_org_scope() {
    let r = vec![remote(1, "UNASSIGNED", None), remote(9, "ACTIVE", Some(1))];
    let file = diff(&[local(1)], &r, vec![], &opts(Scope::File), &Facts::default());
    assert_eq!(file.count(&Category::Unexpected), 0);
    assert_eq!(file.items.len(), 1);
    let org = diff(&[local(1)], &r, vec![], &opts(Scope::Org), &Facts::default());
    assert_eq!(org.count(&Category::Unexpected), 1);
    assert_eq!(
        org.of(&Category::Unexpected).next().unwrap().serial,
        "000000000009"
    );
}

#[test]
fn a_serial_in_no_file_is_unexpected_only_with_a_live_record() {
    let mut again = remote(10, "ACTIVE", Some(1));
    again.id = "ykknew".into();
    let r = vec![
        remote(9, "REVOKED", None),
        remote(10, "REVOKED", None),
        again,
        remote(11, "DELETED", None),
    ];
    let org = diff(&[], &r, vec![], &opts(Scope::Org), &Facts::default());
    let unexpected: Vec<_> = org.of(&Category::Unexpected).map(|i| i.serial.as_str()).collect();
    assert_eq!(
        unexpected,
        ["000000000010"],
        "history alone is not a token in Okta"
    );
    assert_eq!(org.items.len(), 1);
    assert_eq!(org.items[0].history, ["REVOKED"]);
}

#[test]
fn output_is_sorted_by_serial_and_each_serial_appears_once() {
    let l = vec![local(30), local(2), local(30), local(10)];
    let rec = diff(&l, &[], vec![], &opts(Scope::File), &Facts::default());
    let serials: Vec<_> = rec.items.iter().map(|i| i.serial.as_str()).collect();
    assert_eq!(serials, ["000000000002", "000000000010", "000000000030"]);
    assert_eq!(rec.count(&Category::Missing), 3);
}

#[test]
fn staleness_falls_back_to_activation_then_creation() {
    let mut t = remote(1, "ACTIVE", None);
    t.activated = Some(now() - Duration::days(10));
    let rec = diff(&[local(1)], &[t], vec![], &opts(Scope::File), &Facts::default());
    assert_eq!(rec.items[0].category, Category::Active);
}

#[test]
fn invalid_rows_are_counted() {
    let bad = InvalidRow {
        file: "s.csv".into(),
        line: 3,
        serial: None,
        field: Some("AES key".into()),
        reason: "x".into(),
    };
    let rec = diff(&[], &[], vec![bad], &opts(Scope::File), &Facts::default());
    assert_eq!(rec.count(&Category::Invalid), 1);
}

fn retired(serial: u32) -> Facts {
    let mut facts = Facts::default();
    facts.retired.insert(
        serial.into(),
        crate::lifecycle::Retirement {
            reason: RetireReason::Stolen,
            ticket: Some("INC-1".into()),
            note: None,
            at: now(),
            operator: "admin@host".into(),
        },
    );
    facts
}

#[test]
fn a_retired_key_is_fine_without_a_live_record_and_action_needed_with_one() {
    let facts = retired(1);
    for status in ["REVOKED", "DELETED"] {
        let rec = diff(
            &[local(1)],
            &[remote(1, status, None)],
            vec![],
            &opts(Scope::File),
            &facts,
        );
        assert_eq!(rec.items[0].category, Category::Retired, "{status}");
    }
    let gone = diff(&[local(1)], &[], vec![], &opts(Scope::File), &facts);
    assert_eq!(gone.items[0].category, Category::Retired, "no record at all");
    for status in ["UNASSIGNED", "ACTIVE", "BLOCKED"] {
        let rec = diff(
            &[local(1)],
            &[remote(1, status, Some(1))],
            vec![],
            &opts(Scope::File),
            &facts,
        );
        let item = &rec.items[0];
        assert_eq!(item.category, Category::RetiredLive, "{status}");
        assert_eq!(rec.count(&Category::RetiredLive), 1);
        let advice = item.advice().unwrap();
        assert_eq!(
            advice,
            "retired (stolen) but still enrollable in Okta: run `ykprov revoke 1`"
        );
    }
}

#[test]
fn a_retired_key_in_no_file_is_still_action_needed_with_org_scope() {
    let rec = diff(
        &[],
        &[remote(1, "UNASSIGNED", None)],
        vec![],
        &opts(Scope::Org),
        &retired(1),
    );
    assert_eq!(rec.items[0].category, Category::RetiredLive);
}

#[test]
fn a_key_uploaded_before_and_gone_now_is_removed_and_one_never_uploaded_is_missing() {
    let mut facts = Facts::default();
    facts.uploaded.insert(1.into(), now() - Duration::days(3));
    let rec = diff(&[local(1), local(2)], &[], vec![], &opts(Scope::File), &facts);
    assert_eq!(rec.items[0].category, Category::Removed);
    assert_eq!(
        rec.items[0].lifecycle.as_ref().unwrap().uploaded.as_deref(),
        Some("2026-11-25T00:00:00.000Z")
    );
    assert!(rec.items[0].advice().unwrap().contains("uploaded on 2026-11-25"));
    assert_eq!(rec.items[1].category, Category::Missing);
    assert_eq!(rec.count(&Category::Missing), 1);
    assert_eq!(rec.count(&Category::Removed), 1);
}

#[test]
fn an_uploaded_key_with_a_live_record_keeps_its_status_category() {
    let mut facts = Facts::default();
    facts.uploaded.insert(1.into(), now() - Duration::days(3));
    let rec = diff(
        &[local(1)],
        &[remote(1, "BLOCKED", None)],
        vec![],
        &opts(Scope::File),
        &facts,
    );
    assert_eq!(rec.items[0].category, Category::Blocked);
    assert!(rec.items[0].lifecycle.is_none());
}
