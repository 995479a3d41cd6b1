//! The report's tests: the fixed journal and reconciliation every snapshot renders (the
//! snapshots of each format are in `tests/`), how the report joins them, a no-secrets scan of
//! every format, and a 100,000-row run.

mod json;
mod text;

use super::*;
use crate::journal::{Entry, Header, Journal, RowResult};
use crate::okta::inventory::Via;
use crate::reconcile::diff::{Category, InvalidRow, Item, Reconciliation, Scope};
use chrono::{DateTime, Utc};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().expect("fixed timestamp")
}

fn header() -> Header {
    Header {
        run_id: "0123456789abcdef".into(),
        tool_version: "0.1.0".into(),
        operator: "alice@provisioner".into(),
        okta_identity: Some("alice.admin@acme.example (SSWS token)".into()),
        org: "https://acme.okta.com".into(),
        input: "seeds.csv".into(),
        input_sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
        sealed: None,
        options: serde_json::json!({
            "rate": {"mode": "fixed", "per_minute": 120}, "concurrency": 4, "max_attempts": 6,
            "skip_invalid": true, "last_wins": false, "format": "yubico",
        }),
        started: t("2026-11-20T10:00:00Z"),
        resumed: false,
    }
}

fn intent(serial: u32, attempt: u32, at: &str) -> Entry {
    Entry::Intent {
        serial: serial.into(),
        line: u64::from(serial),
        attempt,
        at: t(at),
    }
}

fn outcome(serial: Option<u32>, line: u64, result: RowResult, at: &str) -> Entry {
    Entry::Outcome {
        serial: serial.map(Serial::from),
        line,
        result,
        at: t(at),
    }
}

/// The fixed run: two uploads (one settled by a lookup after a retry), one already present,
/// one rejected (with a formula-like cause), one failed, one invalid row, and one request with
/// no outcome (in doubt).
#[allow(clippy::too_many_lines)] // a fixture: one journal, entry by entry
fn entries() -> Vec<Entry> {
    vec![
        intent(1, 1, "2026-11-20T10:00:01Z"),
        outcome(
            Some(1),
            1,
            RowResult::Uploaded {
                token_id: "ykk1".into(),
                request_id: Some("req-1".into()),
                confirmed_by_lookup: false,
            },
            "2026-11-20T10:00:01.400Z",
        ),
        intent(2, 1, "2026-11-20T10:00:01.500Z"),
        intent(2, 2, "2026-11-20T10:00:03Z"),
        outcome(
            Some(2),
            2,
            RowResult::Uploaded {
                token_id: "ykk2".into(),
                request_id: None,
                confirmed_by_lookup: true,
            },
            "2026-11-20T10:00:04Z",
        ),
        outcome(
            Some(3),
            3,
            RowResult::AlreadyPresent {
                status: "ACTIVE".into(),
                token_id: "ykk3".into(),
            },
            "2026-11-20T10:00:04Z",
        ),
        intent(4, 1, "2026-11-20T10:00:04.500Z"),
        outcome(
            Some(4),
            4,
            RowResult::Rejected {
                http_status: 400,
                error_code: "E0000001".into(),
                error_summary: "Api validation failed: factorProfile".into(),
                error_causes: vec!["=cmd|' /C calc'!A0".into(), "serial number is invalid".into()],
                request_id: Some("req-4".into()),
            },
            "2026-11-20T10:00:05Z",
        ),
        intent(5, 1, "2026-11-20T10:00:05Z"),
        intent(5, 2, "2026-11-20T10:00:06Z"),
        outcome(
            Some(5),
            5,
            RowResult::Failed {
                attempts: 2,
                reason: "HTTP 503 <Service Unavailable>".into(),
                request_id: Some("req-5".into()),
            },
            "2026-11-20T10:00:07Z",
        ),
        outcome(
            None,
            7,
            RowResult::Invalid {
                field: Some("AES key".into()),
                reason: "must be 32 hex digits".into(),
            },
            "2026-11-20T10:00:00.100Z",
        ),
        intent(6, 1, "2026-11-20T10:00:08Z"),
        Entry::Summary {
            counts: crate::journal::Counts {
                uploaded: 2,
                already_present: 1,
                rejected: 1,
                failed: 1,
                invalid: 1,
                rate_limited: 2,
                retries: 2,
                in_doubt_lookups: 1,
                ..Default::default()
            },
            interrupted: false,
            window: None,
            elapsed_secs: 9.0,
            pace_per_minute: 120.0,
            at: t("2026-11-20T10:00:09Z"),
        },
    ]
}

fn item(serial: u32, category: Category, status: Option<&str>, login: Option<&str>) -> Item {
    Item {
        serial: serial.into(),
        category,
        status: status.map(str::to_string),
        token_id: status.map(|_| format!("ykk{serial}")),
        user_id: login.map(|_| format!("00u{serial}")),
        login: login.map(str::to_string),
        last_verified: None,
        file: Some("seeds.csv".into()),
        line: Some(u64::from(serial)),
        history: Vec::new(),
        lifecycle: None,
    }
}

fn reconcile_result() -> ReconcileResult {
    let items = vec![
        item(1, Category::Unassigned, Some("UNASSIGNED"), None),
        item(2, Category::Active, Some("ACTIVE"), Some("bob@acme.example")),
        item(3, Category::Blocked, Some("BLOCKED"), Some("carol@acme.example")),
        item(4, Category::Missing, None, None),
        item(5, Category::Missing, None, None),
        item(8, Category::Revoked, Some("REVOKED"), None),
    ];
    let mut counts: std::collections::BTreeMap<String, u64> =
        Category::ALL.iter().map(|c| (c.name().to_string(), 0)).collect();
    for i in &items {
        *counts.entry(i.category.name().into()).or_default() += 1;
    }
    counts.insert("invalid".into(), 1);
    ReconcileResult {
        tool_version: "0.1.0".into(),
        generated_at: "2026-11-20T11:00:00.000Z".into(),
        org: "https://acme.okta.com".into(),
        files: vec!["seeds.csv".into()],
        file_info: vec![crate::reconcile::FileInfo {
            path: "seeds.csv".into(),
            sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            valid: 7,
            invalid: 1,
        }],
        via: Via::Download,
        scope: Scope::File,
        stale_after_days: 90,
        fail_on: vec![Category::Missing, Category::Blocked, Category::Invalid],
        okta_tokens: 4,
        reconciliation: Reconciliation {
            counts,
            items,
            invalid: vec![InvalidRow {
                file: "seeds.csv".into(),
                line: 7,
                serial: None,
                field: Some("AES key".into()),
                reason: "must be 32 hex digits".into(),
            }],
        },
    }
}

/// Writes the journal with the real writer and builds the report; paths and "now" pinned.
fn fixed_report() -> AuditReport {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload.jsonl");
    let j = Journal::create(&path, header()).unwrap();
    for e in entries() {
        j.append(&e).unwrap();
    }
    let mut r = build(&[path], Some(&reconcile_result())).unwrap();
    r.generated_at = "2026-11-20T12:00:00.000Z".into();
    r.journals = vec!["upload.jsonl".into()];
    for run in &mut r.runs {
        run.journal = "upload.jsonl".into();
    }
    r
}

fn text(r: &AuditReport, f: ReportFormat) -> String {
    String::from_utf8(render(r, f).unwrap()).unwrap()
}

#[test]
fn report_joins_journal_outcomes_with_the_reconciliation() {
    let r = fixed_report();
    assert_eq!(
        r.outcomes,
        OutcomeCounts {
            uploaded: 2,
            already_present: 1,
            rejected: 1,
            failed: 1,
            invalid: 1,
            in_doubt: 1,
        }
    );
    assert_eq!(r.anomalies.confirmed_by_lookup, ["000000000002"]);
    assert_eq!(r.anomalies.in_doubt, ["000000000006"]);
    assert_eq!(r.anomalies.retried.len(), 2);
    assert_eq!(r.runs[0].requests.counts.iter().sum::<u64>(), 7);
    assert_eq!(r.runs[0].pace_per_minute, Some(120.0));
    let blocked = r
        .rows
        .iter()
        .find(|x| x.serial.as_deref() == Some("000000000003"))
        .unwrap();
    assert_eq!(
        blocked.status.as_deref(),
        Some("BLOCKED"),
        "Okta's current status wins"
    );
    assert_eq!(blocked.user.as_deref(), Some("carol@acme.example"));
    assert!(
        r.rows
            .iter()
            .any(|x| x.serial.as_deref() == Some("000000000008") && x.outcome.is_none()),
        "serials only the reconciliation knows get a row"
    );
    assert!(
        r.rows.last().unwrap().serial.is_none(),
        "rows without a serial come last"
    );
}

#[test]
fn json_round_trips() {
    let r = fixed_report();
    let back: AuditReport = serde_json::from_slice(&render(&r, ReportFormat::Json).unwrap()).unwrap();
    assert_eq!(back, r);
}

/// Fake seed rows with known secrets: `(serial, private id, AES key, access code)`.
const SEEDS: [(u32, &str, &str, &str); 3] = [
    (
        11,
        "a1b2c3d4e5f6",
        "00112233445566778899aabbccddeeff",
        "0a0b0c0d0e0f",
    ),
    (
        12,
        "f6e5d4c3b2a1",
        "ffeeddccbbaa99887766554433221100",
        "1a1b1c1d1e1f",
    ),
    // A bad row: the AES key is one digit short, so its error message is what the report shows.
    (
        13,
        "abcdefabcdef",
        "fedcba9876543210fedcba987654321",
        "2a2b2c2d2e2f",
    ),
];

#[test]
fn no_report_format_contains_a_seed_secret() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = dir.path().join("seeds.csv");
    let text: String = SEEDS
        .iter()
        .map(|(s, p, k, a)| {
            format!(
                "{s},vvccccccccb{},{p},{k},{a},2026-11-28T10:00:00,\n",
                ['b', 'c', 'd'][*s as usize - 11]
            )
        })
        .collect();
    std::fs::write(&seeds, text).unwrap();
    // The invalid row's outcome is journaled exactly as upload does: the validator's message.
    let validation = crate::seed::validate_file(
        &seeds,
        &crate::seed::ValidationOptions {
            format: crate::seed::SeedFormat::Auto,
            last_wins: false,
        },
    )
    .unwrap();
    assert_eq!(validation.errors.len(), 1, "{validation:?}");
    let journal = dir.path().join("j.jsonl");
    let j = Journal::create(&journal, header()).unwrap();
    for e in &validation.errors {
        j.append(&Entry::Outcome {
            serial: e.serial.as_deref().map(Serial::from),
            line: e.line,
            result: RowResult::Invalid {
                field: e.field.map(|f| f.name().to_string()),
                reason: e.problem.to_string(),
            },
            at: t("2026-11-20T10:00:00Z"),
        })
        .unwrap();
    }
    for (s, ..) in &SEEDS[..2] {
        j.append(&intent(*s, 1, "2026-11-20T10:00:01Z")).unwrap();
        j.append(&outcome(
            Some(*s),
            u64::from(*s),
            RowResult::Uploaded {
                token_id: format!("ykk{s}"),
                request_id: Some(format!("req{s}")),
                confirmed_by_lookup: false,
            },
            "2026-11-20T10:00:02Z",
        ))
        .unwrap();
    }
    let report = build(&[journal], Some(&reconcile_result())).unwrap();
    for format in [
        ReportFormat::Html,
        ReportFormat::Md,
        ReportFormat::Csv,
        ReportFormat::Json,
    ] {
        let out = dir.path().join("report.out");
        write(&report, &out, format).unwrap();
        let body = std::fs::read_to_string(&out).unwrap().to_ascii_lowercase();
        assert!(body.contains("000000000011"), "{format:?} lists the serials");
        for (_, private_id, key, access) in SEEDS {
            for secret in [private_id, key, access] {
                assert!(!body.contains(secret), "{format:?} report leaks {secret}");
            }
            // A long enough piece of a key is a leak too.
            assert!(
                !body.contains(&key[..16]),
                "{format:?} report leaks part of {key}"
            );
        }
    }
}

#[test]
fn a_hundred_thousand_rows_make_a_usable_html_and_a_complete_csv() {
    const N: u32 = 100_000;
    let mut acc_entries = vec![Entry::Header(header())];
    let start = t("2026-11-20T10:00:00Z");
    for s in 1..=N {
        let at = start + chrono::Duration::milliseconds(i64::from(s) * 500);
        acc_entries.push(Entry::Intent {
            serial: Serial::from(s),
            line: u64::from(s),
            attempt: 1,
            at,
        });
        let result = if s % 1000 == 0 {
            RowResult::Rejected {
                http_status: 400,
                error_code: "E0000001".into(),
                error_summary: "Api validation failed".into(),
                error_causes: vec![],
                request_id: None,
            }
        } else {
            RowResult::Uploaded {
                token_id: format!("ykk{s}"),
                request_id: Some(format!("req{s}")),
                confirmed_by_lookup: s % 7 == 0,
            }
        };
        acc_entries.push(Entry::Outcome {
            serial: Some(Serial::from(s)),
            line: u64::from(s),
            result,
            at,
        });
    }
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("big.jsonl");
    let mut text = String::new();
    for e in &acc_entries {
        text.push_str(&serde_json::to_string(e).unwrap());
        text.push('\n');
    }
    std::fs::write(&journal, text).unwrap();
    let report = build(&[journal], None).unwrap();
    assert_eq!(report.outcomes.uploaded, u64::from(N - N / 1000));
    assert!(report.runs[0].requests.counts.len() <= 61);

    let html = String::from_utf8(render(&report, ReportFormat::Html).unwrap()).unwrap();
    eprintln!("HTML for {N} rows: {} bytes", html.len());
    assert!(html.len() < 5_000_000, "HTML is {} bytes", html.len());
    assert!(html.contains(&format!("Showing {TABLE_ROWS} of {}", N - N / 1000)));
    assert!(
        html.contains("<details><summary>uploaded (99900)"),
        "big groups start collapsed"
    );
    assert!(html.contains("<details><summary>rejected (100)"));
    assert!(html.matches("<tr>").count() < 1_000, "tables are cut");

    let csv = render(&report, ReportFormat::Csv).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    assert_eq!(reader.records().count(), N as usize, "the CSV has every row");
}

/// The fixed reconciliation with its items replaced.
fn reconciliation_of(items: Vec<Item>) -> ReconcileResult {
    let mut r = reconcile_result();
    let mut counts: std::collections::BTreeMap<String, u64> =
        Category::ALL.iter().map(|c| (c.name().to_string(), 0)).collect();
    for i in &items {
        *counts.entry(i.category.name().into()).or_default() += 1;
    }
    r.reconciliation = Reconciliation {
        counts,
        items,
        invalid: Vec::new(),
    };
    r
}

#[test]
fn a_clean_reconciliation_says_nothing_needs_action() {
    let rec = reconciliation_of(vec![item(
        1,
        Category::Active,
        Some("ACTIVE"),
        Some("bob@acme.example"),
    )]);
    let r = build(&[], Some(&rec)).unwrap();
    let html = text(&r, ReportFormat::Html);
    assert!(
        html.contains(r#"<section id="verdict" class="verdict ok"><h2>Nothing needs action.</h2>"#),
        "{html}"
    );
    assert!(text(&r, ReportFormat::Md).contains("**Nothing needs action.**"));
}

#[test]
fn a_retired_live_key_gets_revoke_and_a_removed_one_only_retire_never_an_upload() {
    let mut stolen = item(9, Category::RetiredLive, Some("ACTIVE"), Some("eve@acme.example"));
    stolen.lifecycle = Some(crate::reconcile::diff::Lifecycle {
        retired: Some(crate::lifecycle::RetireReason::Stolen),
        ticket: None,
        uploaded: None,
    });
    let removed = item(8, Category::Removed, None, None);
    let r = build(&[], Some(&reconciliation_of(vec![stolen, removed]))).unwrap();
    let actions = view::actions(&r);
    let commands: Vec<&str> = actions.iter().filter_map(|a| a.command.as_deref()).collect();
    assert_eq!(
        commands,
        [
            "ykprov revoke --reason stolen --org https://acme.okta.com 000000000009",
            "ykprov retire --reason <lost|stolen|destroyed|returned|other> --org https://acme.okta.com 000000000008",
        ]
    );
    assert!(commands
        .iter()
        .all(|c| !c.contains("--restore") && !c.contains(" repair")));
}

#[test]
fn a_journal_alone_points_failed_uploads_at_the_resuming_upload() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload.jsonl");
    let j = Journal::create(&path, header()).unwrap();
    for e in entries() {
        j.append(&e).unwrap();
    }
    let r = build(&[path], None).unwrap();
    let actions = view::actions(&r);
    let keys: Vec<&str> = actions.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "verdict-failed",
            "verdict-in-doubt",
            "verdict-rejected",
            "verdict-invalid-rows"
        ]
    );
    assert_eq!(
        actions[0].command.as_deref(),
        Some("ykprov upload --org https://acme.okta.com seeds.csv")
    );
}

#[test]
fn deletes_unenrolls_and_revokes_are_counted_apart_from_uploads() {
    use crate::journal::repair::{DeleteOutcome, DeleteResult};
    use crate::journal::revoke::{RevokeLine, RevokeOutcome, UnenrollResult};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("revoke.jsonl");
    let j = Journal::create(&path, header()).unwrap();
    let at = t("2026-11-20T10:00:01Z");
    let delete = |serial: u32, result| {
        Entry::DeleteOutcome(DeleteOutcome {
            serial: serial.into(),
            token_id: format!("ykk{serial}"),
            result,
            at,
        })
    };
    let gone = DeleteResult::AlreadyGone;
    let deleted = || DeleteResult::Deleted {
        request_id: None,
        confirmed_by_lookup: false,
    };
    for e in [
        Entry::Revoke(RevokeLine::UnenrollOutcome {
            serial: 1u32.into(),
            user_id: "00u1".into(),
            factor_id: "ykf1".into(),
            result: UnenrollResult::Unenrolled {
                request_id: None,
                confirmed_by_lookup: false,
            },
            at,
        }),
        delete(1, deleted()),
        delete(2, deleted()),
        delete(3, gone),
        Entry::Revoke(RevokeLine::End {
            serial: 1u32.into(),
            outcome: RevokeOutcome::Revoked,
            reason: "gone".into(),
            at,
        }),
    ] {
        j.append(&e).unwrap();
    }
    let r = build(&[path], None).unwrap();
    assert_eq!(
        (
            r.changes.tokens_deleted,
            r.changes.factors_unenrolled,
            r.changes.keys_revoked
        ),
        (2, 1, 1),
        "a 404 deleted nothing"
    );
    assert_eq!(
        view::changes_line(&r),
        "Changes in Okta: 0 uploaded, 2 token(s) deleted, 1 factor(s) unenrolled, 1 key(s) revoked."
    );
    let html = text(&r, ReportFormat::Html);
    assert!(html.contains(r#"id="count-tokens-deleted" style="--c:#b71c1c"><b>2</b>"#));
}
