//! `ykprov report --since`: the period's audit from the ledger alone.

use super::{run, uploaded};
use crate::helpers::{assert_exit, TestDir};
use crate::seeds;
use okta_emulator::{self as emulator, EmulatorConfig};
use ykprov::demo::rehearse::Rehearsal;
use ykprov::secret::Secret;
use ykprov::seed::{AccessCode, AesKey, PrivateId, PublicId, Seed, SerialNumber};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_period_report_counts_what_happened_and_the_state_at_its_end() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let ledger = dir.path().join("ledger.sqlite3");
    let rows = seeds::rows(760_000, 4);
    let file = uploaded(&emu, &dir, &ledger, 760_000, 4).await;
    let r = &rows[0];
    let seed = Seed {
        serial: SerialNumber::parse(&r.serial.to_string()).unwrap(),
        public_id: PublicId::parse(&r.public_id).unwrap(),
        private_id: PrivateId::parse(&r.private_id).unwrap(),
        aes_key: AesKey::parse(&r.aes_key).unwrap(),
        access_code: AccessCode::parse("").unwrap(),
    };
    let user = emu.users()[0].clone();
    let admin = Rehearsal::new(&emu.url(), &Secret::new(emu.token())).unwrap();
    admin.enroll(&user.id, &seed, 1).await.unwrap();
    assert_exit(
        &run(&emu, &ledger, &["reconcile", file.to_str().unwrap()]).await,
        0,
    );
    let retired = run(
        &emu,
        &ledger,
        &["retire", "760003", "--reason", "lost", "--ticket", "INC-9"],
    )
    .await;
    assert_exit(&retired, 0);

    let json = dir.path().join("audit.json");
    let out = run(
        &emu,
        &ledger,
        &["report", "--since", "2000-01-01", "--out", json.to_str().unwrap()],
    )
    .await;
    assert_exit(&out, 0);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let count = |what: &str| {
        v["activity"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["what"] == what)
            .count()
    };
    assert_eq!(
        (count("uploaded"), count("enrolled"), count("retired")),
        (4, 1, 1),
        "{v}"
    );
    let enrolled = v["activity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["what"] == "enrolled")
        .unwrap();
    assert_eq!(enrolled["detail"], format!("by {}", user.id));
    assert_eq!(
        v["inventory"],
        serde_json::json!({"enrolled": 1, "retired": 1, "unassigned": 2})
    );
    let ingested: Vec<&serde_json::Value> = v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "journal_ingested")
        .collect();
    assert_eq!(ingested.len(), 1);
    let journal = dir.path().join("seeds.csv.ykprov-journal.jsonl");
    assert_eq!(
        ingested[0]["payload"]["sha256"],
        ykprov::seed::sha256_file(&journal).unwrap()
    );

    // A period before anything happened is empty; Markdown and CSV render too.
    let md = dir.path().join("old.md");
    let out = run(
        &emu,
        &ledger,
        &[
            "report",
            "--since",
            "2001-01-01",
            "--until",
            "2001-12-31",
            "--out",
            md.to_str().unwrap(),
        ],
    )
    .await;
    assert_exit(&out, 0);
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(
        text.contains("| uploaded | 0 |") && text.contains("no secrets"),
        "{text}"
    );
    let csv = dir.path().join("audit.csv");
    assert_exit(
        &run(
            &emu,
            &ledger,
            &["report", "--since", "2000-01-01", "--out", csv.to_str().unwrap()],
        )
        .await,
        0,
    );
    assert_eq!(std::fs::read_to_string(&csv).unwrap().lines().count(), 1 + 6);
}
