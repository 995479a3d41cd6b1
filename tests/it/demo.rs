//! `ykprov demo` end to end, in-process, on a small file.

use crate::helpers::TestDir;
use clap::Parser;
use ykprov::{Cli, Outcome};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_runs_the_whole_pipeline_and_leaks_no_secret() {
    let dir = TestDir::new();
    let out = dir.path().join("demo");
    let cli = Cli::try_parse_from([
        "ykprov",
        "-q",
        "demo",
        "--rows",
        "40",
        "--seed",
        "3",
        "--dir",
        out.to_str().unwrap(),
    ])
    .unwrap();
    let outcome = ykprov::run(cli).await.expect("demo runs");
    assert_eq!(outcome, Outcome::Clean);
    let seeds = std::fs::read_to_string(out.join("FAKE-demo-seeds.csv")).unwrap();
    let secrets: Vec<String> = seeds
        .lines()
        .flat_map(|l| {
            l.split(',')
                .skip(2)
                .take(2)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|s| s.len() >= 12)
        .collect();
    assert!(secrets.len() >= 80);
    let reconcile: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("reconcile.json")).unwrap()).unwrap();
    // The reconciliation after the demo's repair: the departed user's key is back (UNASSIGNED);
    // the admin's deleted token is held as removed, the revoked stolen key is retired (the
    // ledger's record of the decision) and no longer live, and the invalid rows wait for a person.
    let counts = &reconcile["reconciliation"]["counts"];
    assert_eq!(
        (
            counts["missing"].as_u64(),
            counts["blocked"].as_u64(),
            counts["revoked"].as_u64(),
            counts["removed"].as_u64(),
            counts["retired"].as_u64(),
            counts["retired_live"].as_u64(),
            counts["invalid"].as_u64()
        ),
        (Some(0), Some(0), Some(0), Some(1), Some(1), Some(0), Some(5))
    );
    assert_eq!(
        (counts["active"].as_u64(), counts["unassigned"].as_u64()),
        (Some(6), Some(32)),
        "40 keys: 8 enrolled, one stolen and revoked, one whose user left"
    );
    let revoke_journal = out.join("ykprov-revoke-journal.jsonl");
    let (entries, _) = ykprov::journal::read_entries(&revoke_journal).unwrap();
    let steps: Vec<String> = entries
        .iter()
        .filter_map(|e| match e {
            ykprov::journal::Entry::Revoke(ykprov::journal::revoke::RevokeLine::UnenrollOutcome {
                ..
            }) => Some("unenrolled".to_string()),
            ykprov::journal::Entry::DeleteOutcome(d) => Some(
                format!("{:?}", d.result)
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            ),
            _ => None,
        })
        .collect();
    assert_eq!(
        steps,
        ["unenrolled", "Deleted"],
        "the stolen key: factor unenrolled, token deleted"
    );
    for name in ["report.html", "report.md", "report.json", "reconcile.md"] {
        assert!(out.join(name).is_file(), "{name} written");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<svg") && !html.contains("<script"));
    assert!(
        html.contains(r#"id="repair-done">1<"#),
        "the repair's one action is in the report"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["repairs"]["planned"]["reissue"], 1);
    assert_eq!(
        report["repairs"]["planned"]["upload"], 0,
        "the removed key is held, not uploaded"
    );
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() == "FAKE-demo-seeds.csv" {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{} contains a secret", path.display());
        }
    }
}
