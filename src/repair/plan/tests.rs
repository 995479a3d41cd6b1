//! One test per rule of the plan, on reconciliations built by the real diff.

use super::*;
use crate::lifecycle::{Facts, RetireReason, Retirement};
use crate::okta::client::UserStatus;
use crate::okta::inventory::RemoteToken;
use crate::okta::models::TokenStatus;
use crate::reconcile::diff::{diff, DiffOptions, LocalRow, Scope};
use chrono::{DateTime, Duration, Utc};

fn now() -> DateTime<Utc> {
    "2026-12-01T00:00:00Z".parse().unwrap()
}

fn local(serial: u32) -> LocalRow {
    LocalRow {
        serial: serial.into(),
        file: "s.csv".into(),
        line: u64::from(serial),
    }
}

fn token(serial: u32, status: &str) -> RemoteToken {
    RemoteToken {
        created: Some(now() - Duration::days(30)),
        last_verified: Some(now() - Duration::days(1)),
        // A BLOCKED token keeps its user (Okta's KB); `Case::plan` reads them as deactivated.
        user_id: (status == "BLOCKED").then(|| format!("00u{serial}")),
        ..RemoteToken::listed(
            serial,
            &format!("ykk{serial}{}", status.to_ascii_lowercase()),
            status,
        )
    }
}

fn invalid(line: u64, serial: Option<&str>) -> InvalidRow {
    InvalidRow {
        file: "s.csv".into(),
        line,
        serial: serial.map(str::to_string),
        field: Some("AES key".into()),
        reason: "has 31 characters, expected 32 hex".into(),
    }
}

/// The facts of one test: seed rows (every local row uploadable unless removed), Okta's tokens,
/// invalid rows.
struct Case {
    local: Vec<LocalRow>,
    remote: Vec<RemoteToken>,
    invalid: Vec<InvalidRow>,
    seeds: SeedIndex,
    scope: Scope,
    opts: PlanOptions,
    facts: Facts,
}

impl Case {
    fn new(serials: &[u32], remote: Vec<RemoteToken>) -> Self {
        let local: Vec<LocalRow> = serials.iter().copied().map(local).collect();
        let mut seeds = SeedIndex::default();
        // As the reader does: a repeated row in one file is not uploadable.
        let mut seen = std::collections::HashSet::new();
        for row in local.iter().filter(|r| seen.insert(r.serial.clone())) {
            seeds.add(&row.file, row.serial.clone(), row.line);
        }
        Case {
            local,
            remote,
            invalid: Vec::new(),
            seeds,
            scope: Scope::File,
            opts: PlanOptions::default(),
            facts: Facts::default(),
        }
    }

    /// Names serials with `--restore`.
    fn restore(mut self, serials: &[u32]) -> Self {
        self.opts.restore.extend(serials.iter().map(|&s| Serial::from(s)));
        self
    }

    /// The plan, every BLOCKED token's user read as deactivated unless the case says otherwise.
    fn plan(&self, reissue_blocked: bool) -> Plan {
        let mut opts = self.opts.clone();
        opts.reissue_blocked = reissue_blocked;
        for t in self.remote.iter().filter(|t| t.status == TokenStatus::Blocked) {
            if let Some(u) = &t.user_id {
                opts.users.entry(u.clone()).or_insert(UserStatus::Deprovisioned);
            }
        }
        let rec = diff(
            &self.local,
            &self.remote,
            self.invalid.clone(),
            &DiffOptions {
                scope: self.scope,
                stale_after: Duration::days(90),
                now: now(),
            },
            &self.facts,
        );
        plan(&rec, &self.seeds, &opts)
    }
}

fn only_action(p: &Plan) -> &Action {
    assert_eq!(p.actions.len(), 1, "{p:#?}");
    &p.actions[0]
}

fn only_hold(p: &Plan) -> Hold {
    assert!(p.actions.is_empty(), "{p:#?}");
    assert_eq!(p.held.len(), 1, "{p:#?}");
    p.held[0].hold
}

#[test]
fn a_missing_serial_is_uploaded_from_its_row() {
    let p = Case::new(&[7], vec![]).plan(false);
    let a = only_action(&p);
    assert_eq!(
        (a.action, a.serial.as_str()),
        (RepairAction::Upload, "000000000007")
    );
    assert_eq!(
        (a.file.as_str(), a.line, a.token_id.as_deref()),
        ("s.csv", 7, None)
    );
    assert!(a.reason.starts_with("s.csv:7: "), "{}", a.reason);
}

#[test]
fn a_serial_with_only_history_records_is_held_as_removed() {
    let p = Case::new(&[3], vec![token(3, "REVOKED")]).plan(true);
    assert_eq!(only_hold(&p), Hold::Removed);
    assert!(
        p.held[0].reason.contains("repair --restore 3"),
        "{}",
        p.held[0].reason
    );
}

#[test]
fn a_key_uploaded_before_and_gone_now_is_held_as_removed_not_uploaded() {
    let mut case = Case::new(&[3], vec![]);
    case.facts
        .uploaded
        .insert(3u32.into(), now() - Duration::days(10));
    let p = case.plan(true);
    assert_eq!(only_hold(&p), Hold::Removed);
    assert!(
        p.held[0].reason.contains("uploaded on 2026-11-21"),
        "{}",
        p.held[0].reason
    );
    let restored = Case { ..case }.restore(&[3]).plan(false);
    assert_eq!(only_action(&restored).action, RepairAction::Upload);
}

#[test]
fn a_removed_serial_named_with_restore_is_uploaded_again() {
    let mut older = token(3, "DELETED");
    older.created = Some(now() - Duration::days(60));
    let p = Case::new(&[3], vec![older, token(3, "REVOKED")])
        .restore(&[3])
        .plan(false);
    let a = only_action(&p);
    assert_eq!(a.action, RepairAction::Reupload);
    assert!(a.reason.contains("DELETED, REVOKED"), "{}", a.reason);
}

#[test]
fn a_blocked_token_is_only_reported_without_reissue_blocked() {
    let p = Case::new(&[4], vec![token(4, "BLOCKED")]).plan(false);
    assert_eq!(only_hold(&p), Hold::Blocked);
    assert_eq!(p.held[0].status.as_deref(), Some("BLOCKED"));
    assert!(
        p.held[0].reason.contains("--reissue-blocked"),
        "{}",
        p.held[0].reason
    );
}

#[test]
fn a_blocked_token_is_deleted_then_uploaded_with_reissue_blocked() {
    let p = Case::new(&[4], vec![token(4, "BLOCKED")]).plan(true);
    let a = only_action(&p);
    assert_eq!(a.action, RepairAction::Reissue);
    assert_eq!(a.token_id.as_deref(), Some("ykk4blocked"));
}

#[test]
fn an_active_token_is_never_touched_even_with_reissue_blocked() {
    for status in ["ACTIVE", "UNASSIGNED"] {
        let p = Case::new(&[5], vec![token(5, status)]).plan(true);
        assert!(p.actions.is_empty() && p.held.is_empty(), "{status}: {p:#?}");
        assert_eq!(p.fine, 1);
    }
}

#[test]
fn a_stale_active_token_is_held_never_deleted() {
    let mut stale = token(6, "ACTIVE");
    stale.last_verified = Some(now() - Duration::days(400));
    let p = Case::new(&[6], vec![stale]).plan(true);
    assert_eq!(only_hold(&p), Hold::Stale);
}

#[test]
fn a_status_ykprov_does_not_know_is_held() {
    let p = Case::new(&[8], vec![token(8, "QUARANTINED")]).plan(true);
    assert_eq!(only_hold(&p), Hold::UnknownStatus);
}

#[test]
fn a_token_no_seed_file_accounts_for_is_never_touched() {
    let mut case = Case::new(
        &[1],
        vec![token(1, "UNASSIGNED"), token(9, "BLOCKED"), token(10, "REVOKED")],
    );
    case.scope = Scope::Org;
    let p = case.plan(true);
    assert!(p.actions.is_empty(), "{p:#?}");
    // Serial 10 has only history: it is not present, so not unexpected either (the token-history
    // rule); the BLOCKED one in no file is held.
    assert_eq!(p.held(Hold::NotInFiles), 1);
    assert_eq!(
        p.held[0].serial.as_ref().map(|s| s.as_str()),
        Some("000000000009")
    );
}

#[test]
fn a_serial_whose_rows_may_not_be_uploaded_is_never_touched() {
    let mut case = Case::new(&[2], vec![]);
    case.seeds = SeedIndex::default();
    assert_eq!(only_hold(&case.plan(true)), Hold::NoUploadableRow);
}

#[test]
fn an_invalid_row_is_reported_and_never_acted_on() {
    let mut case = Case::new(&[], vec![token(11, "BLOCKED")]);
    case.invalid = vec![invalid(11, Some("11")), invalid(12, None)];
    let p = case.plan(true);
    assert!(p.actions.is_empty(), "{p:#?}");
    assert_eq!(p.held(Hold::InvalidRow), 2);
    assert_eq!(p.held[0].serial.as_deref(), Some("000000000011"));
    assert_eq!(p.held[1].serial, None);
    assert!(p.held[0].reason.contains("AES key"), "{}", p.held[0].reason);
}

#[test]
fn a_valid_row_whose_serial_an_invalid_row_also_names_is_not_acted_on() {
    let mut case = Case::new(&[13], vec![token(13, "BLOCKED")]);
    case.invalid = vec![invalid(40, Some("0013"))];
    let p = case.plan(true);
    assert!(p.actions.is_empty(), "{p:#?}");
    assert_eq!(p.held(Hold::NamedByInvalidRow), 1);
    assert!(p.held[0].reason.contains("s.csv:40"), "{}", p.held[0].reason);
}

#[test]
fn a_serial_held_by_rows_in_two_files_is_not_acted_on() {
    let mut case = Case::new(&[14], vec![]);
    case.seeds.add("other.csv", 14u32.into(), 3);
    assert_eq!(only_hold(&case.plan(false)), Hold::SeveralSeedRows);
}

#[test]
fn each_serial_gets_at_most_one_action_and_the_plan_is_sorted() {
    let remote = vec![token(30, "BLOCKED"), token(20, "REVOKED"), token(30, "REVOKED")];
    let p = Case::new(&[30, 10, 20, 30], remote).restore(&[20]).plan(true);
    let got: Vec<_> = p.actions.iter().map(|a| (a.serial.as_str(), a.action)).collect();
    assert_eq!(
        got,
        [
            ("000000000010", RepairAction::Upload),
            ("000000000020", RepairAction::Reupload),
            ("000000000030", RepairAction::Reissue),
        ]
    );
    assert_eq!(
        (p.count(RepairAction::Upload), p.count(RepairAction::Reissue)),
        (1, 1)
    );
}

#[test]
fn an_upload_that_finishes_an_earlier_reissue_says_so() {
    let mut p = Case::new(&[15, 16], vec![token(16, "REVOKED")])
        .restore(&[16])
        .plan(false);
    p.mark_unfinished_reissues(&HashMap::from([("000000000016".into(), "ykkold".to_string())]));
    assert!(
        !p.actions[0].reason.contains("finishes"),
        "{}",
        p.actions[0].reason
    );
    assert!(
        p.actions[1]
            .reason
            .starts_with("finishes a reissue: an earlier repair deleted token ykkold"),
        "{}",
        p.actions[1].reason
    );
}

fn retire(case: &mut Case, serial: u32) {
    case.facts.retired.insert(
        serial.into(),
        Retirement {
            reason: RetireReason::Stolen,
            ticket: None,
            note: None,
            at: now(),
            operator: "admin@host".into(),
        },
    );
}

#[test]
fn a_retired_key_is_never_uploaded_or_reissued_even_when_named() {
    for remote in [vec![], vec![token(7, "REVOKED")]] {
        let mut case = Case::new(&[7], remote).restore(&[7]);
        retire(&mut case, 7);
        case.opts.serials.insert(7u32.into());
        let p = case.plan(true);
        assert!(p.actions.is_empty() && p.held.is_empty(), "{p:#?}");
        assert_eq!(p.fine, 1, "retired and not in Okta is as it should be");
    }
}

#[test]
fn a_retired_key_okta_still_lists_live_is_held_as_action_needed() {
    for status in ["UNASSIGNED", "BLOCKED", "ACTIVE"] {
        let mut case = Case::new(&[7], vec![token(7, status)]);
        retire(&mut case, 7);
        case.opts.serials.insert(7u32.into());
        let p = case.plan(true);
        assert_eq!(only_hold(&p), Hold::RetiredLive, "{status}");
        assert!(
            p.held[0].reason.contains("ykprov revoke 7"),
            "{}",
            p.held[0].reason
        );
    }
}

#[test]
fn a_blocked_key_of_an_active_user_is_held_unless_named_with_serial() {
    for status in [UserStatus::Suspended, UserStatus::Other("STAGED".into())] {
        let mut case = Case::new(&[4], vec![token(4, "BLOCKED")]);
        case.opts.users.insert("00u4".into(), status.clone());
        assert_eq!(only_hold(&case.plan(true)), Hold::BlockedActiveUser, "{status}");
    }
    let mut case = Case::new(&[4], vec![token(4, "BLOCKED")]);
    case.opts.users.insert("00u4".into(), UserStatus::Active);
    let p = case.plan(true);
    assert_eq!(only_hold(&p), Hold::BlockedActiveUser);
    assert!(
        p.held[0].reason.contains("a factor reset? the key may be lost"),
        "{}",
        p.held[0].reason
    );
    case.opts.serials.insert(4u32.into());
    assert_eq!(only_action(&case.plan(true)).action, RepairAction::Reissue);
}

#[test]
fn a_blocked_key_whose_user_could_not_be_read_is_held() {
    let mut blocked = token(4, "BLOCKED");
    blocked.user_id = None;
    let p = Case::new(&[4], vec![blocked]).plan(true);
    assert_eq!(only_hold(&p), Hold::BlockedUserUnknown);
}

#[test]
fn a_blocked_key_of_a_deactivated_user_is_reissued_and_says_why() {
    let p = Case::new(&[4], vec![token(4, "BLOCKED")]).plan(true);
    let a = only_action(&p);
    assert_eq!(a.action, RepairAction::Reissue);
    assert!(a.reason.contains("00u4 is DEPROVISIONED"), "{}", a.reason);
}

#[test]
fn an_excluded_serial_is_never_planned_even_when_named() {
    let mut case = Case::new(&[1, 2, 3], vec![]);
    case.opts.serials.extend([1u32.into(), 2u32.into()]);
    case.opts.exclude.insert(2u32.into());
    let p = case.plan(false);
    let planned: Vec<&str> = p.actions.iter().map(|a| a.serial.as_str()).collect();
    assert_eq!(planned, ["000000000001"], "{p:#?}");
}

#[test]
fn serial_narrows_the_plan_to_the_named_serials() {
    let mut case = Case::new(&[1, 2, 3], vec![token(3, "BLOCKED")]);
    case.invalid = vec![invalid(40, Some("9")), invalid(41, Some("2"))];
    case.opts.serials.insert(2u32.into());
    let p = case.plan(true);
    assert!(p.actions.is_empty(), "{p:#?}");
    assert_eq!(p.held(Hold::NamedByInvalidRow), 1);
    assert_eq!(
        p.held(Hold::InvalidRow),
        1,
        "only the invalid row naming serial 2"
    );
}
