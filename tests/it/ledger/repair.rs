//! What a repair records: the state before, its run and journal, the state after.

use super::{run, uploaded};
use crate::helpers::{assert_exit, TestDir};
use okta_emulator::{self as emulator, EmulatorConfig};
use ykprov::demo::rehearse::Rehearsal;
use ykprov::ledger::Ledger;
use ykprov::secret::Secret;
use ykprov::seed::Serial;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repair_records_the_state_before_its_run_and_the_state_after() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let ledger = dir.path().join("ledger.sqlite3");
    let file = uploaded(&emu, &dir, &ledger, 770_000, 3).await;
    let serial = Serial::from(770_002u32);
    let admin = Rehearsal::new(&emu.url(), &Secret::new(emu.token())).unwrap();
    let token = admin.token_of(&serial).await.unwrap().unwrap();
    admin.delete_token(&token.id).await.unwrap();

    // The ledger knows it was uploaded, so the admin's delete is held (`removed`) until a person
    // names the key.
    let held = run(&emu, &ledger, &["repair", file.to_str().unwrap(), "--yes"]).await;
    assert_exit(&held, 1);
    let out = run(
        &emu,
        &ledger,
        &["repair", file.to_str().unwrap(), "--yes", "--restore", "770002"],
    )
    .await;
    assert_exit(&out, 0);
    let l = Ledger::open(&ledger).unwrap();
    let events = l.history(None, &serial).unwrap();
    let h: Vec<(String, Option<String>)> = events
        .iter()
        .map(|e| (e.kind.clone(), e.payload["status"].as_str().map(str::to_string)))
        .collect();
    let when: Vec<(i64, &str, &str)> = events
        .iter()
        .map(|e| (e.id, e.kind.as_str(), e.at.as_str()))
        .collect();
    let kinds: Vec<&str> = h.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "key_recorded",
            "upload_outcome",
            "gone",
            "repair_planned",
            "upload_outcome",
            "status_changed"
        ],
        "{h:?} {when:?}"
    );
    assert_eq!(
        h[5].1.as_deref(),
        Some("UNASSIGNED"),
        "the state after the repair"
    );
    let runs = l.orgs().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(l.verify().unwrap().first_broken, None);
}
