//! Recording and reading back: reconcile from the ledger equals reconcile from the files, retire
//! then history, and a ledger that cannot be written stops upload before any request.

use super::{run, stdout, uploaded};
use crate::helpers::{assert_exit, TestDir};
use crate::seeds;
use okta_emulator::{self as emulator, EmulatorConfig};
use std::collections::BTreeMap;
use ykprov::demo::rehearse::Rehearsal;
use ykprov::ledger::Ledger;
use ykprov::lifecycle::RetireReason;
use ykprov::secret::Secret;
use ykprov::seed::{AccessCode, AesKey, PrivateId, PublicId, Seed, Serial, SerialNumber};

fn seed_of(r: &seeds::Row) -> Seed {
    Seed {
        serial: SerialNumber::parse(&r.serial.to_string()).unwrap(),
        public_id: PublicId::parse(&r.public_id).unwrap(),
        private_id: PrivateId::parse(&r.private_id).unwrap(),
        aes_key: AesKey::parse(&r.aes_key).unwrap(),
        access_code: AccessCode::parse("").unwrap(),
    }
}

/// serial -> (category, status) of a `reconcile --format json` document.
fn categories(json: &str) -> BTreeMap<String, (String, Option<String>)> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["reconciliation"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["serial"].as_str().unwrap().to_string(),
                (
                    i["category"].as_str().unwrap().to_string(),
                    i["status"].as_str().map(str::to_string),
                ),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_from_the_ledger_alone_equals_reconcile_from_the_files() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let ledger = dir.path().join("state/ledger.sqlite3");
    let rows = seeds::rows(710_000, 12);
    let file = uploaded(&emu, &dir, &ledger, 710_000, 12).await;
    let admin = Rehearsal::new(&emu.url(), &Secret::new(emu.token())).unwrap();
    let users = emu.users();
    for (i, r) in rows.iter().take(2).enumerate() {
        admin.enroll(&users[i].id, &seed_of(r), 1).await.unwrap();
    }
    admin.deactivate_user(&users[1].id).await.unwrap();
    let gone = admin
        .token_of(&Serial::from(rows[11].serial))
        .await
        .unwrap()
        .unwrap();
    admin.delete_token(&gone.id).await.unwrap();

    let from_files = run(
        &emu,
        &ledger,
        &["reconcile", file.to_str().unwrap(), "--format", "json"],
    )
    .await;
    assert_exit(&from_files, 1);
    // The seed file is gone: the server that reconciles holds no seed.
    std::fs::remove_file(&file).unwrap();
    let from_ledger = run(&emu, &ledger, &["reconcile", "--format", "json"]).await;
    assert_exit(&from_ledger, 1);
    let (a, b) = (
        categories(&stdout(&from_files)),
        categories(&stdout(&from_ledger)),
    );
    assert_eq!(a.len(), 12);
    assert_eq!(a, b);
    let count = |c: &str| a.values().filter(|(cat, _)| cat == c).count();
    assert_eq!(
        (
            count("active"),
            count("blocked"),
            count("removed"),
            count("unassigned")
        ),
        (1, 1, 1, 9)
    );

    // What the reconciliations saw is in the history: enrolled by whom, then gone.
    let enrolled = Serial::from(rows[0].serial);
    let h = run(&emu, &ledger, &["history", enrolled.as_str(), "--format", "json"]).await;
    assert_exit(&h, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&h)).unwrap();
    let kinds: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["key_recorded", "upload_outcome", "status_changed"], "{v}");
    let seen = &v["events"][2]["payload"];
    assert_eq!(
        (seen["status"].as_str(), seen["userId"].as_str()),
        (Some("ACTIVE"), Some(users[0].id.as_str()))
    );
    let l = Ledger::open(&ledger).unwrap();
    let missing = l.history(None, &Serial::from(rows[11].serial)).unwrap();
    assert_eq!(missing.last().unwrap().kind, "gone");
    // The second reconciliation saw no change, so it recorded nothing new.
    let changes = l
        .history(None, &enrolled)
        .unwrap()
        .iter()
        .filter(|e| e.kind == "status_changed")
        .count();
    assert_eq!(changes, 1);
    assert_eq!(l.facts(&emu.url()).unwrap().uploaded.len(), 12);
    assert_eq!(l.verify().unwrap().first_broken, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retire_is_all_or_nothing_and_shows_in_history_and_the_facts() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let ledger = dir.path().join("ledger.sqlite3");
    uploaded(&emu, &dir, &ledger, 720_000, 3).await;
    let requests = emu.log().entries.len();
    let org = emu.url();

    let out = run(
        &emu,
        &ledger,
        &["retire", "720000", "729999", "--reason", "stolen", "--org", &org],
    )
    .await;
    assert_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("000000729999") && !stderr.contains("000000720000"),
        "{stderr}"
    );
    assert!(Ledger::open(&ledger)
        .unwrap()
        .facts(&org)
        .unwrap()
        .retired
        .is_empty());

    let out = run(
        &emu,
        &ledger,
        &[
            "retire",
            "720000",
            "720001",
            "--reason",
            "stolen",
            "--ticket",
            "INC-1",
            "--note",
            "bag taken",
        ],
    )
    .await;
    assert_exit(&out, 0);
    let facts = Ledger::open(&ledger).unwrap().facts(&org).unwrap();
    let r = facts.retirement(&Serial::from(720_000u32)).unwrap();
    assert_eq!(
        (r.reason, r.ticket.as_deref(), r.note.as_deref()),
        (RetireReason::Stolen, Some("INC-1"), Some("bag taken"))
    );
    assert_eq!(facts.retired.len(), 2);

    let out = run(&emu, &ledger, &["unretire", "720001", "--ticket", "INC-2"]).await;
    assert_exit(&out, 0);
    let h = run(&emu, &ledger, &["history", "720001"]).await;
    assert_exit(&h, 0);
    let text = stdout(&h);
    let retired = text.find("retired ").unwrap();
    let unretired = text.find("unretired").unwrap();
    assert!(
        retired < unretired && text.contains("stolen by") && text.contains("ticket INC-2"),
        "{text}"
    );
    assert_eq!(
        Ledger::open(&ledger).unwrap().facts(&org).unwrap().retired.len(),
        1
    );
    assert_eq!(
        emu.log().entries.len(),
        requests,
        "retire, unretire and history send nothing to Okta"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ledger_that_cannot_be_used_stops_upload_and_repair_before_any_request() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(730_000, 3)));
    // A regular file where the ledger's folder should be: not even root can create it.
    let blocker = dir.write("not-a-folder", "x");
    let unusable = blocker.join("ledger.sqlite3");
    let shared = dir.path().join("shared.sqlite3");
    Ledger::open(&shared).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o660)).unwrap();
    for (ledger, want) in [
        (&unusable, "not-a-folder/ledger.sqlite3"),
        (&shared, "writable by group or others"),
    ] {
        for cmd in [
            &["upload", file.to_str().unwrap()][..],
            &["repair", file.to_str().unwrap(), "--yes"][..],
        ] {
            let out = run(&emu, ledger, cmd).await;
            assert_exit(&out, 2);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains(want), "{cmd:?}: {stderr}");
        }
    }
    assert_eq!(emu.log().entries.len(), 0, "not one request reached Okta");
    assert!(!dir.path().join("seeds.csv.ykprov-journal.jsonl").exists());
}
