//! No false green from the ledger (issue 21): a reconcile from the ledger alone against a listing
//! with no token at all, while the ledger knows keys of the org, warns and exits 1, and the
//! ledger keeps its last statuses instead of marking every key gone.

use super::{run, uploaded};
use crate::helpers::{assert_exit, TestDir};
use okta_emulator::{self as emulator, EmulatorConfig};
use ykprov::demo::rehearse::Rehearsal;
use ykprov::ledger::Ledger;
use ykprov::secret::Secret;
use ykprov::seed::Serial;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_listing_of_a_known_org_warns_exits_1_and_records_nothing_gone() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let ledger = dir.path().join("ledger.sqlite3");
    uploaded(&emu, &dir, &ledger, 780_000, 3).await;
    let admin = Rehearsal::new(&emu.url(), &Secret::new(emu.token())).unwrap();
    let serials: Vec<Serial> = (780_000..780_003u32).map(Serial::from).collect();
    for s in &serials {
        let t = admin.token_of(s).await.unwrap().unwrap();
        admin.delete_token(&t.id).await.unwrap();
    }
    let out = run(&emu, &ledger, &["reconcile", "--format", "json"]).await;
    assert_exit(&out, 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Okta lists no YubiKey token") && stderr.contains("knows 3 key(s)"),
        "{stderr}"
    );
    let l = Ledger::open(&ledger).unwrap();
    for s in &serials {
        let kinds: Vec<String> = l.history(None, s).unwrap().into_iter().map(|e| e.kind).collect();
        assert!(!kinds.iter().any(|k| k == "gone"), "{s:?}: {kinds:?}");
    }
}
