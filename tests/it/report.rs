//! Audit reports end to end: a real upload (with faults) and reconciliation against the emulator,
//! scanned for the seeds' secrets in every format; and the HTML report loaded in headless
//! Chromium by `scripts/browser-check` (skipped with a note when `chromium` is not installed, failed under `CI=true`).

use crate::helpers::TestDir;
use crate::seeds;
use crate::upload::{client_for, options, run};
use chrono::{DateTime, Duration, Utc};
use okta_emulator::{self as emulator, EmulatorConfig};
use std::path::{Path, PathBuf};
use ykprov::journal::{Counts, Entry, Header, Journal, RowResult};
use ykprov::okta::inventory::{RemoteToken, Via};
use ykprov::okta::models::TokenStatus;
use ykprov::okta::pacing::RateSetting;
use ykprov::reconcile::diff::{self, Category, DiffOptions, InvalidRow, LocalRow, Scope};
use ykprov::reconcile::{self, ReconcileOptions, ReconcileResult};
use ykprov::report::{self, AuditReport, ReportFormat};
use ykprov::seed::Serial;

const FORMATS: [(ReportFormat, &str); 4] = [
    (ReportFormat::Html, "html"),
    (ReportFormat::Md, "md"),
    (ReportFormat::Csv, "csv"),
    (ReportFormat::Json, "json"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_of_a_real_faulty_upload_name_serials_and_no_secret() {
    let config = EmulatorConfig {
        fail_rate: 0.1,
        drop_after_commit_rate: 0.1,
        fault_seed: 11,
        ..EmulatorConfig::default()
    };
    let emu = emulator::spawn(config).await.unwrap();
    let dir = TestDir::new();
    let mut rows = seeds::rows(30_000, 40);
    let bad = seeds::row(30_040).bad_key();
    rows.push(bad.clone());
    let file = dir.write("seeds.csv", seeds::csv(&rows));
    let mut o = options(&file);
    o.skip_invalid = true;
    o.max_attempts = 10;
    let s = run(&emu, &o).await;
    assert_eq!(s.counts.uploaded, 40, "{s:?}");
    let journal = s.journal.clone().unwrap();

    let client = client_for(&emu, RateSetting::Auto { share: 1.0 });
    let rec = reconcile::reconcile(
        &ReconcileOptions {
            files: vec![file.clone()],
            format: ykprov::seed::SeedFormat::Auto,
            via: Via::Pages,
            scope: Scope::Org,
            stale_after: Duration::days(90),
            expand_user: false,
            fail_on: vec![Category::Missing],
            unseal: Default::default(),
            facts: Default::default(),
            expect: Default::default(),
        },
        &client,
    )
    .await
    .unwrap();

    // Through the JSON file, as `ykprov report --reconcile` reads it.
    let rec_path = dir.path().join("reconcile.json");
    std::fs::write(&rec_path, serde_json::to_vec(&rec).unwrap()).unwrap();
    let rec = report::read_reconcile(&rec_path).unwrap();
    let built = report::build(std::slice::from_ref(&journal), Some(&rec)).unwrap();
    assert_eq!(built.outcomes.uploaded, 40);
    assert_eq!(built.outcomes.invalid, 1);
    assert_eq!(built.reconciliation.as_ref().unwrap().counts["unassigned"], 40);

    let secrets: Vec<String> = rows.iter().flat_map(|r| r.secrets()).collect();
    for (format, ext) in FORMATS {
        let out = dir.path().join(format!("report.{ext}"));
        report::write(&built, &out, format).unwrap();
        let body = std::fs::read_to_string(&out).unwrap().to_ascii_lowercase();
        assert!(body.contains("000000030000"), "{ext} names the serials");
        for secret in &secrets {
            assert!(
                !body.contains(&secret.to_ascii_lowercase()),
                "{ext} report leaks {secret}"
            );
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{ext} report is private");
        }
    }
    // The convenience entry points used by `upload --report` and `reconcile --report`.
    report::write_upload_report(&dir.path().join("u.md"), &journal).unwrap();
    report::write_reconcile_report(&dir.path().join("r.csv"), &rec).unwrap();
    assert!(report::write_upload_report(&dir.path().join("u.txt"), &journal).is_err());
}

#[test]
fn report_command_writes_the_format_of_the_extension() {
    let dir = TestDir::new();
    let journal = sample_journal(dir.path());
    let out = dir.path().join("audit.csv");
    crate::helpers::bin()
        .args(["report", "--journal"])
        .arg(&journal)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("serial,line,outcome,"));
    crate::helpers::bin()
        .args(["report", "--out"])
        .arg(dir.path().join("x.html"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("nothing to report"));
}

fn t0() -> DateTime<Utc> {
    "2026-11-20T09:30:00Z".parse().unwrap()
}

/// A realistic run: 240 rows paced at 120/min, a pause for 429s, a few rejects, retries,
/// answers settled by lookup, two invalid rows and one request left in doubt.
fn sample_journal(dir: &Path) -> PathBuf {
    let path = dir.join("seeds.csv.ykprov-journal.jsonl");
    let header = Header {
        run_id: "7c1f0e5a9b3d2841".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        operator: "alice@provisioning-01".into(),
        okta_identity: None,
        org: "https://acme.okta.com".into(),
        input: "yubikeys-2026-11.csv".into(),
        input_sha256: "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b".into(),
        sealed: None,
        options: serde_json::json!({"rate": {"mode": "fixed", "per_minute": 120}, "concurrency": 4,
            "max_attempts": 6, "skip_invalid": true, "last_wins": false, "format": "yubico"}),
        started: t0(),
        resumed: false,
    };
    let j = Journal::create(&path, header).unwrap();
    let mut at = t0() + Duration::seconds(2);
    let mut counts = Counts::default();
    for s in 1..=240u32 {
        let serial = Serial::from(4_000_000 + s);
        // 120/min with a little jitter; 429s stop the run for 20 s after row 100.
        at += Duration::milliseconds(450 + i64::from(s % 5) * 25);
        if s == 100 {
            at += Duration::seconds(20);
            counts.rate_limited += 3;
        }
        if s == 240 {
            j.append(&Entry::Intent {
                serial,
                line: u64::from(s),
                attempt: 1,
                at,
            })
            .unwrap();
            break;
        }
        let retried = s % 45 == 0;
        j.append(&Entry::Intent {
            serial: serial.clone(),
            line: u64::from(s),
            attempt: 1,
            at,
        })
        .unwrap();
        if retried {
            at += Duration::milliseconds(900);
            j.append(&Entry::Intent {
                serial: serial.clone(),
                line: u64::from(s),
                attempt: 2,
                at,
            })
            .unwrap();
            counts.retries += 1;
        }
        let result = match s {
            s if s % 61 == 0 => RowResult::Rejected {
                http_status: 400,
                error_code: "E0000001".into(),
                error_summary: "Api validation failed: factorProfile".into(),
                error_causes: vec!["serialNumber: this serial is registered to another org".into()],
                request_id: Some(format!("Y5x{s:05}rq")),
            },
            s if s % 37 == 0 => RowResult::AlreadyPresent {
                status: "ACTIVE".into(),
                token_id: format!("ykk{s:05}pres"),
            },
            199 => RowResult::Failed {
                attempts: 6,
                reason: "HTTP 503 Service Unavailable".into(),
                request_id: Some("Y5x00199rq".into()),
            },
            s => RowResult::Uploaded {
                token_id: format!("ykk{s:05}a1b2c3"),
                request_id: Some(format!("Y5x{s:05}rq")),
                confirmed_by_lookup: retried,
            },
        };
        match &result {
            RowResult::Uploaded { .. } => counts.uploaded += 1,
            RowResult::AlreadyPresent { .. } => counts.already_present += 1,
            RowResult::Rejected { .. } => counts.rejected += 1,
            RowResult::Failed { .. } => counts.failed += 1,
            RowResult::Invalid { .. } => counts.invalid += 1,
        }
        counts.in_doubt_lookups += u64::from(retried);
        j.append(&Entry::Outcome {
            serial: Some(serial),
            line: u64::from(s),
            result,
            at,
        })
        .unwrap();
    }
    for line in [241, 242] {
        j.append(&Entry::Outcome {
            serial: None,
            line,
            result: RowResult::Invalid {
                field: Some("AES key".into()),
                reason: "must be 32 hex digits, got 31".into(),
            },
            at,
        })
        .unwrap();
        counts.invalid += 1;
    }
    j.append(&Entry::Summary {
        counts,
        interrupted: false,
        elapsed_secs: (at - t0()).num_milliseconds() as f64 / 1000.0,
        pace_per_minute: 120.0,
        window: None,
        at: at + Duration::seconds(1),
    })
    .unwrap();
    path
}

/// Okta's side of the sample, through the real diff.
fn sample_reconciliation() -> ReconcileResult {
    let local: Vec<LocalRow> = (1..=240u32)
        .map(|s| LocalRow {
            serial: Serial::from(4_000_000 + s),
            file: "yubikeys-2026-11.csv".into(),
            line: u64::from(s),
        })
        .collect();
    let now: DateTime<Utc> = "2026-11-28T08:00:00Z".parse().unwrap();
    let remote: Vec<RemoteToken> = (1..=244u32)
        .filter(|s| s % 61 != 0 && *s != 199 && *s != 240)
        .map(|s| {
            let (status, used, login) = match s {
                s if s % 53 == 0 => ("BLOCKED", None, Some(format!("former.user{s}@acme.example"))),
                s if s % 67 == 0 => ("REVOKED", None, None),
                s if s % 29 == 0 => (
                    "ACTIVE",
                    Some(now - Duration::days(120)),
                    Some(format!("user{s}@acme.example")),
                ),
                s if s % 3 == 0 => (
                    "ACTIVE",
                    Some(now - Duration::days(2)),
                    Some(format!("user{s}@acme.example")),
                ),
                _ => ("UNASSIGNED", None, None),
            };
            RemoteToken {
                serial: Serial::from(4_000_000 + s),
                id: format!("ykk{s:05}a1b2c3"),
                status: TokenStatus::parse(status),
                created: Some(now - Duration::days(8)),
                activated: used,
                last_verified: used,
                user_id: login.as_ref().map(|_| format!("00u{s:05}")),
                login,
            }
        })
        .collect();
    let invalid = vec![241u64, 242]
        .into_iter()
        .map(|line| InvalidRow {
            file: "yubikeys-2026-11.csv".into(),
            line,
            serial: Some(format!("{}", 4_000_000 + line)),
            field: Some("AES key".into()),
            reason: "must be 32 hex digits, got 31".into(),
        })
        .collect();
    let rec = diff::diff(
        &local,
        &remote,
        invalid,
        &DiffOptions {
            scope: Scope::Org,
            stale_after: Duration::days(90),
            now,
        },
        &ykprov::lifecycle::Facts::default(),
    );
    ReconcileResult {
        tool_version: env!("CARGO_PKG_VERSION").into(),
        generated_at: "2026-11-28T08:00:00.000Z".into(),
        org: "https://acme.okta.com".into(),
        files: vec!["yubikeys-2026-11.csv".into()],
        file_info: vec![ykprov::reconcile::FileInfo {
            path: "yubikeys-2026-11.csv".into(),
            sha256: "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b".into(),
            valid: 240,
            invalid: 2,
        }],
        via: Via::Download,
        scope: Scope::Org,
        stale_after_days: 90,
        fail_on: vec![Category::Missing, Category::Blocked, Category::Invalid],
        okta_tokens: remote.len() as u64,
        reconciliation: rec,
    }
}

pub(crate) fn sample_report(dir: &Path) -> AuditReport {
    let journal = sample_journal(dir);
    let mut r = report::build(&[journal], Some(&sample_reconciliation())).unwrap();
    r.generated_at = "2026-11-28T08:05:00.000Z".into();
    r.journals = vec!["yubikeys-2026-11.csv.ykprov-journal.jsonl".into()];
    for run in &mut r.runs {
        run.journal = r.journals[0].clone();
    }
    r
}

/// Renders the sample in headless Chromium and checks the page. The screenshot goes to
/// `target/report-sample/`, or to `$YKPROV_SCREENSHOT` (e.g. docs/report-screenshot.png).
#[test]
fn html_report_renders_in_a_real_browser() {
    if crate::helpers::require_tool("chromium", "html_report_renders_in_a_real_browser").is_none() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out_dir = root.join("target/report-sample");
    std::fs::create_dir_all(&out_dir).unwrap();
    let work = TestDir::new();
    let r = sample_report(work.path());
    let html = out_dir.join("report.html");
    report::write(&r, &html, ReportFormat::Html).unwrap();
    let shot = std::env::var_os("YKPROV_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| out_dir.join("report.png"));
    let o = &r.outcomes;
    let rec = r.reconciliation.as_ref().unwrap();
    let expect = [
        format!("count-uploaded={}", o.uploaded),
        format!("count-rejected={}", o.rejected),
        format!("count-in_doubt={}", o.in_doubt),
        format!("category-missing={}", rec.counts["missing"]),
        format!("category-blocked={}", rec.counts["blocked"]),
        format!("anomaly-rate-limited={}", r.anomalies.rate_limited),
    ];
    let status = std::process::Command::new(root.join("scripts/browser-check"))
        .arg(&html)
        .arg(&shot)
        .args(&expect)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "scripts/browser-check failed on {}",
        html.display()
    );
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "a real screenshot"
    );
}
