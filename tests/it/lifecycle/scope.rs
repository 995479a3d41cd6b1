//! An OAuth app whose token lacks `okta.users.manage`: the revoke reads (token list, user's
//! factors) but its unenroll is refused; the run stops, names the scope, and sends nothing more.

use super::seed_of;
use crate::helpers::TestDir;
use crate::seeds;
use crate::upload::client_for;
use okta_emulator::oauth::OAuthClient;
use okta_emulator::{self as emulator, EmulatorConfig, Endpoint};
use std::time::Duration;
use tokio::sync::watch;
use ykprov::demo::rehearse::Rehearsal;
use ykprov::journal::revoke::RevokeOutcome;
use ykprov::lifecycle::RetireReason;
use ykprov::okta::config::{Credential, OAuthSettings};
use ykprov::okta::oauth::UPLOAD_SCOPES;
use ykprov::okta::pacing::RateSetting;
use ykprov::okta::{ClientConfig, OktaClient};
use ykprov::revoke::{self, RevokeOptions};
use ykprov::secret::Secret;
use ykprov::seed::Serial;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_without_the_manage_scope_stops_the_revoke_naming_it() {
    let cfg = EmulatorConfig {
        users: 1,
        oauth_clients: vec![OAuthClient {
            client_id: "0oa-revoke".into(),
            public_key_pem: fixture("test-ec.pub.pem"),
            scopes: vec!["okta.users.read".into(), "okta.users.manage".into()],
        }],
        ..EmulatorConfig::default()
    };
    let emu = emulator::spawn(cfg).await.unwrap();
    let row = &seeds::rows(39_000_000, 1)[0];
    client_for(&emu, RateSetting::Auto { share: 1.0 })
        .upload(&seed_of(row))
        .await
        .unwrap();
    let admin = Rehearsal::new(&emu.url(), &Secret::new(emu.token())).unwrap();
    admin.enroll(&emu.users()[0].id, &seed_of(row), 1).await.unwrap();
    // The app is configured to ask for reads only, as a least-privilege okta.yaml might.
    let settings = OAuthSettings {
        client_id: "0oa-revoke".into(),
        scopes: Some(vec!["okta.users.read".into()]),
        private_key: Secret::new(fixture("test-ec.pem")),
        kid: Some("test-kid".into()),
        dpop: false,
    };
    let mut cc = ClientConfig::with_credential(
        emu.url().parse().unwrap(),
        Credential::PrivateKey(settings),
        UPLOAD_SCOPES,
    );
    cc.rate = RateSetting::Auto { share: 1.0 };
    cc.timeout = Duration::from_secs(5);
    let client = OktaClient::new(cc).unwrap();
    let dir = TestDir::new();
    let mut o = RevokeOptions::new(vec![Serial::from(row.serial)], RetireReason::Lost);
    o.journal = dir.path().join("revoke.jsonl");
    let plan = revoke::prepare(&o, &client).await.unwrap();
    assert_eq!(plan.writes(), 2, "the reads work: {plan:#?}");
    let (_tx, mut rx) = watch::channel(false);
    let summary = revoke::apply(&o, &plan, &client, &mut rx).await.unwrap();
    let fatal = summary.fatal.clone().expect("a missing scope stops the run");
    assert!(fatal.contains("the app lacks scope okta.users.manage"), "{fatal}");
    assert_eq!(
        summary.count(RevokeOutcome::Failed),
        0,
        "never a serial's outcome"
    );
    assert_eq!(
        emu.log().count(Endpoint::DeleteToken),
        0,
        "nothing sent after the refusal"
    );
}
