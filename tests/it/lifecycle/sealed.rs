//! A repair of a sealed seed file decrypts it once: the plan, the apply's second pass and the
//! closing reconciliation all read the one copy in memory (counted by the seed reader).

use crate::helpers::{assert_exit, bin, spawn_emulator, TestDir};
use crate::seeds;
use crate::upload::client_for;
use age::secrecy::ExposeSecret;
use okta_emulator::EmulatorConfig;
use tokio::sync::watch;
use ykprov::okta::pacing::RateSetting;
use ykprov::repair::{self, RepairOptions};
use ykprov::seed::sealed::decryptions_of;
use ykprov::seed::UnsealOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repair_and_its_closing_reconciliation_decrypt_a_sealed_file_once() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let id = age::x25519::Identity::generate();
    let key = dir.write("key.txt", format!("{}\n", id.to_string().expose_secret()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let plain = dir.write("seeds.csv", seeds::csv(&seeds::rows(38_000_000, 4)));
    let recipient = id.to_public().to_string();
    let out = bin()
        .arg("seal")
        .arg(&plain)
        .args(["--recipient", &recipient])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    std::fs::remove_file(&plain).unwrap();
    let sealed = dir.path().join("seeds.csv.age");
    let o = RepairOptions {
        rate: RateSetting::Auto { share: 1.0 },
        quiet: true,
        unseal: UnsealOptions {
            identities: vec![key],
            ..UnsealOptions::default()
        },
        ..RepairOptions::new(vec![sealed.clone()])
    };
    let client = client_for(&emu, RateSetting::Auto { share: 1.0 });
    let prepared = repair::prepare(&o, &client).await.unwrap();
    let (_tx, mut rx) = watch::channel(false);
    let summary = repair::apply(&o, &prepared, &client, &mut rx).await.unwrap();
    assert_eq!(summary.counts.done, 4, "{summary:#?}");
    let after = repair::reconcile_after(&o, &prepared, &client).await.unwrap();
    assert!(!after.needs_action(), "{:?}", after.reconciliation.counts);
    assert_eq!(
        decryptions_of(&sealed),
        1,
        "one decryption for the plan, the apply and the reconciliation after"
    );
}
