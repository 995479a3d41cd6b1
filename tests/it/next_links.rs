//! `next` links that drop the request-shaping parameters (`--quirk next-drops-params`, as Okta's
//! do: okta/okta-sdk-nodejs#439): the client puts `expand`, `filter`, `forDownload` and `limit`
//! back, so users are shown on every page, pages keep their size and the export stays CSV. The
//! emulator refuses a parameter sent twice (400 `E0000037`), so putting one back when it is
//! already there would fail these tests too.

use crate::helpers::{assert_exit, ykprov_against, TestDir};
use crate::seeds;
use crate::upload::{client_for, options, run};
use okta_emulator::quirks::Quirks;
use okta_emulator::{self as emulator, EmulatorConfig, EmulatorHandle, Endpoint};
use std::collections::HashSet;
use ykprov::demo::rehearse::Rehearsal;
use ykprov::okta::inventory::{self, Via};
use ykprov::okta::pacing::RateSetting;
use ykprov::reconcile::diff::{Category, Scope};
use ykprov::reconcile::{reconcile, ReconcileOptions};
use ykprov::secret::Secret;
use ykprov::seed::{AccessCode, AesKey, PrivateId, PublicId, Seed, Serial, SerialNumber};

const FIRST: u32 = 710_000;
const KEYS: u32 = 450;
/// Every ninth key is enrolled, by its own user: 50 users, spread over the three pages.
const EVERY: u32 = 9;

fn seed_of(r: &seeds::Row) -> Seed {
    Seed {
        serial: SerialNumber::parse(&r.serial.to_string()).unwrap(),
        public_id: PublicId::parse(&r.public_id).unwrap(),
        private_id: PrivateId::parse(&r.private_id).unwrap(),
        aes_key: AesKey::parse(&r.aes_key).unwrap(),
        access_code: AccessCode::parse("").unwrap(),
    }
}

/// 450 keys uploaded under `quirks`, every ninth enrolled; the file and the enrolled serials.
async fn fleet(quirks: &[&str], dir: &TestDir) -> (EmulatorHandle, std::path::PathBuf, HashSet<Serial>) {
    let emu = emulator::spawn(EmulatorConfig {
        users: KEYS / EVERY,
        quirks: Quirks::parse_all(quirks.iter().copied()).expect("known quirks"),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let rows = seeds::rows(FIRST, KEYS);
    let file = dir.write("seeds.csv", seeds::csv(&rows));
    let mut o = options(&file);
    o.concurrency = 8;
    assert!(run(&emu, &o).await.is_clean());
    let admin = Rehearsal::new(&emu.url(), &Secret::new(emu.token())).unwrap();
    let users = emu.users();
    let mut enrolled = HashSet::new();
    for (i, r) in rows.iter().step_by(EVERY as usize).enumerate() {
        admin.enroll(&users[i].id, &seed_of(r), 1).await.unwrap();
        enrolled.insert(Serial::from(r.serial));
    }
    // The enrolled keys sit on every page of 200 (the list is in upload order).
    let pages: HashSet<usize> = emu
        .tokens()
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            let serial = t.profile.serial.parse::<u32>().ok();
            serial.is_some_and(|s| enrolled.contains(&Serial::from(s)))
        })
        .map(|(i, _)| i / 200)
        .collect();
    assert_eq!(pages, HashSet::from([0, 1, 2]));
    (emu, file, enrolled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_with_expand_user_shows_users_on_every_page_when_next_drops_params() {
    for quirks in [&["next-drops-params"][..], &[]] {
        let dir = TestDir::new();
        let (emu, file, enrolled) = fleet(quirks, &dir).await;
        let client = client_for(&emu, RateSetting::Auto { share: 1.0 });
        for via in [Via::Pages, Via::Download] {
            let before = emu.log().count(Endpoint::ListTokens);
            let o = ReconcileOptions {
                via,
                scope: Scope::File,
                expand_user: true,
                ..ReconcileOptions::new(vec![file.clone()])
            };
            let r = reconcile(&o, &client).await.unwrap();
            let what = format!("{quirks:?} {via:?}");
            assert_eq!(
                emu.log().count(Endpoint::ListTokens) - before,
                3,
                "{what}: pages of 200 + 200 + 50, `limit` kept on every page"
            );
            let rec = &r.reconciliation;
            let enrolled_count = enrolled.len() as u64;
            assert_eq!(rec.count(&Category::Active), enrolled_count, "{what}");
            assert_eq!(
                rec.count(&Category::Unassigned),
                u64::from(KEYS) - enrolled_count,
                "{what}"
            );
            for item in rec.of(&Category::Active) {
                assert!(enrolled.contains(&item.serial), "{what}: {}", item.serial);
                assert!(
                    item.login.as_deref().is_some_and(|l| l.contains('@')),
                    "{what}: {} has no user: `expand=user` was lost on its page",
                    item.serial
                );
            }
        }
        // A filtered listing keeps its filter on every page.
        let active = inventory::fetch(&client, Via::Pages, Some("status eq \"ACTIVE\""), true)
            .await
            .unwrap();
        assert_eq!(active.len(), enrolled.len(), "{quirks:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_with_expand_user_writes_every_login_when_next_drops_params() {
    let dir = TestDir::new();
    let (emu, _, enrolled) = fleet(&["next-drops-params"], &dir).await;
    for via in ["download", "pages"] {
        let csv_path = dir.path().join(format!("tokens-{via}.csv"));
        let out = ykprov_against(
            &emu,
            &[
                "export",
                "--out",
                csv_path.to_str().unwrap(),
                "--expand-user",
                "--via",
                via,
            ],
        )
        .output()
        .await
        .unwrap();
        assert_exit(&out, 0);
        let csv = std::fs::read_to_string(&csv_path).unwrap();
        assert_eq!(csv.lines().count(), 1 + KEYS as usize, "{via}");
        let with_login = csv.lines().filter(|l| l.contains('@')).count();
        assert_eq!(with_login, enrolled.len(), "{via}: {csv}");
    }
}
