//! The client against every reading of the contract the emulator can serve (`--quirk`): for each,
//! an upload with lost answers (in doubt) whose DPoP proofs go stale mid-run (the run stops, no
//! row rejected), a resume that finishes the file with every key stored once, keys revoked and
//! uploaded again, then reconcile and export by both inventory paths, which must agree. `doubt`:
//! uploads in doubt settled by lookups under each reading of history; `refused`: the binary
//! stopped by a refused proof (exit 2) and `--retry-rejected`.

mod doubt;
mod refused;

use crate::helpers::{init_test_log, TestDir};
use crate::seeds;
use okta_emulator::oauth::OAuthClient;
use okta_emulator::quirks::Quirks;
use okta_emulator::{self as emulator, EmulatorConfig, EmulatorHandle, Endpoint};
use std::path::Path;
use std::time::Duration;
use tokio::sync::watch;
use ykprov::demo::rehearse::Rehearsal;
use ykprov::okta::config::{Credential, OAuthSettings};
use ykprov::okta::inventory::{self, RemoteToken, Via};
use ykprov::okta::oauth::UPLOAD_SCOPES;
use ykprov::okta::pacing::RateSetting;
use ykprov::okta::{ClientConfig, OktaClient};
use ykprov::reconcile::diff::{Category, Scope};
use ykprov::reconcile::{reconcile, ReconcileOptions};
use ykprov::secret::Secret;
use ykprov::seed::Serial;
use ykprov::upload::{upload, UploadOptions, UploadSummary};

const EC: &str = include_str!("../../fixtures/keys/test-ec.pem");
const EC_PUB: &str = include_str!("../../fixtures/keys/test-ec.pub.pem");

/// Every reading, alone, and the export's and listing's together.
const READINGS: &[&[&str]] = &[
    &[],
    &["soft-delete"],
    &["limit-max-200"],
    &["csv-columns=okta-report"],
    &["csv-columns=bom"],
    &["csv-columns=unpadded"],
    &["dpop-error=400"],
    &["dpop-error=403"],
    &["dpop-api-nonce"],
    &["next-drops-params"],
    &[
        "soft-delete",
        "limit-max-200",
        "csv-columns=okta-report,bom,unpadded",
        "dpop-error=400",
        "dpop-api-nonce",
        "next-drops-params",
    ],
];

/// An emulator serving `quirks`, with an API Services app that requires DPoP, 15% of uploads
/// stored and then answered by a closed connection, and JSON pages of at most 7 tokens, so the
/// listings follow `next` links under every reading.
pub async fn emulator_reading(quirks: &[&str]) -> EmulatorHandle {
    init_test_log();
    let config = EmulatorConfig {
        oauth_clients: vec![OAuthClient::new("0oa-quirks", EC_PUB)],
        require_dpop: true,
        drop_after_commit_rate: 0.15,
        fault_seed: 11,
        max_page_size: 7,
        quirks: Quirks::parse_all(quirks.iter().copied()).expect("known quirks"),
        ..EmulatorConfig::default()
    };
    emulator::spawn(config).await.expect("emulator starts")
}

/// A DPoP-bound OAuth client of the app.
pub fn dpop_client(emu: &EmulatorHandle) -> OktaClient {
    let settings = OAuthSettings {
        client_id: "0oa-quirks".into(),
        scopes: None,
        private_key: Secret::new(EC.to_string()),
        kid: None,
        dpop: true,
    };
    let mut cfg = ClientConfig::with_credential(
        emu.url().parse().unwrap(),
        Credential::PrivateKey(settings),
        UPLOAD_SCOPES,
    );
    cfg.rate = RateSetting::Auto { share: 1.0 };
    cfg.timeout = Duration::from_secs(5);
    OktaClient::new(cfg).unwrap()
}

fn options(file: &Path, journal: &Path) -> UploadOptions {
    UploadOptions {
        journal: Some(journal.to_path_buf()),
        rate: RateSetting::Auto { share: 1.0 },
        max_attempts: 10,
        quiet: true,
        ..UploadOptions::new(file)
    }
}

async fn run(client: OktaClient, o: &UploadOptions) -> UploadSummary {
    let (_tx, rx) = watch::channel(false);
    upload(o, client, rx).await.expect("upload runs")
}

/// No row of the journal was ever journaled `rejected`.
fn assert_nothing_rejected(journal: &Path, what: &str) {
    let text = std::fs::read_to_string(journal).unwrap();
    assert!(!text.contains("\"result\":\"rejected\""), "{what}: {text}");
}

/// Each serial of `first..first+n` stored `times` times (with a default of once).
fn assert_stored(emu: &EmulatorHandle, first: u32, n: u32, times: impl Fn(u32) -> u32, what: &str) {
    let log = emu.log();
    for s in first..first + n {
        let stored = log.stored_per_serial.get(Serial::from(s).as_str()).copied();
        assert_eq!(stored, Some(times(s)), "{what}: serial {s}");
    }
}

/// The first upload's proofs go stale after a few calls: it stops (fatal, no row rejected,
/// nothing sent after the stop); the second finishes the file.
async fn upload_through_stale_proofs(emu: &EmulatorHandle, file: &Path, journal: &Path, what: &str) {
    emu.stale_dpop_proofs_after(Some(8));
    let o = options(file, journal);
    let stopped = run(dpop_client(emu), &o).await;
    let fatal = stopped
        .fatal
        .clone()
        .unwrap_or_else(|| panic!("{what}: {stopped:?}"));
    assert!(fatal.contains("DPoP proof"), "{what}: {fatal}");
    assert_eq!(stopped.counts.rejected, 0, "{what}");
    assert!(stopped.counts.uploaded < 20, "{what}: it stopped sending");
    assert_nothing_rejected(journal, what);
    let posts = emu.log().count(Endpoint::UploadToken);
    emu.stale_dpop_proofs_after(None);
    let done = run(dpop_client(emu), &o).await;
    assert!(done.is_clean(), "{what}: {done:?}");
    assert!(emu.log().count(Endpoint::UploadToken) > posts, "{what}");
    assert_nothing_rejected(journal, what);
}

fn sorted(mut t: Vec<RemoteToken>) -> Vec<RemoteToken> {
    t.sort_by(|a, b| a.id.cmp(&b.id));
    t
}

/// Both inventory paths give the same tokens, and the export is used, not fallen back from.
async fn assert_inventories_agree(emu: &EmulatorHandle, tokens: usize, what: &str) {
    let client = dpop_client(emu);
    for expand in [false, true] {
        // Answered lists only: under dpop-api-nonce a new client's first call is refused once.
        let listed = || {
            emu.log()
                .entries_for(Endpoint::ListTokens)
                .filter(|e| e.status == Some(200))
                .count()
        };
        let before = listed();
        let by_csv = inventory::fetch(&client, Via::Download, None, expand)
            .await
            .unwrap();
        assert_eq!(
            listed() - before,
            1,
            "{what}: one CSV page, no fallback to the JSON list"
        );
        let by_pages = inventory::fetch(&client, Via::Pages, None, expand).await.unwrap();
        assert_eq!(by_csv.len(), tokens, "{what}");
        assert_eq!(sorted(by_csv), sorted(by_pages), "{what}: expand={expand}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reading_uploads_resumes_reconciles_and_exports_alike() {
    for (k, quirks) in READINGS.iter().enumerate() {
        let what = format!("{quirks:?}");
        let first = 900_000 + 100 * k as u32;
        let emu = emulator_reading(quirks).await;
        let soft = quirks.contains(&"soft-delete");
        let dir = TestDir::new();
        let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(first, 20)));
        upload_through_stale_proofs(&emu, &file, &dir.path().join("a.jsonl"), &what).await;
        assert_stored(&emu, first, 20, |_| 1, &what);
        // Two keys are revoked, then the file is uploaded again: they come back, the rest are
        // already present.
        let admin = Rehearsal::new(&emu.url(), &Secret::new(emu.token())).unwrap();
        for s in [first + 3, first + 7] {
            let t = admin.token_of(&Serial::from(s)).await.unwrap().unwrap();
            admin.delete_token(&t.id).await.unwrap();
        }
        let again = run(dpop_client(&emu), &options(&file, &dir.path().join("b.jsonl"))).await;
        assert_eq!(
            (again.counts.uploaded, again.counts.already_present),
            (2, 18),
            "{what}: {again:?}"
        );
        let twice = |s| if s == first + 3 || s == first + 7 { 2 } else { 1 };
        assert_stored(&emu, first, 20, twice, &what);
        let records = if soft { 22 } else { 20 };
        assert_inventories_agree(&emu, records, &what).await;
        for via in [Via::Download, Via::Pages] {
            let o = ReconcileOptions {
                via,
                scope: Scope::Org,
                ..ReconcileOptions::new(vec![file.clone()])
            };
            let r = reconcile(&o, &dpop_client(&emu)).await.unwrap();
            let rec = &r.reconciliation;
            assert_eq!(rec.count(&Category::Unassigned), 20, "{what} {via:?}");
            assert!(!r.needs_action(), "{what} {via:?}");
            let with_history = rec.items.iter().filter(|i| !i.history.is_empty()).count();
            assert_eq!(with_history, if soft { 2 } else { 0 }, "{what} {via:?}");
        }
    }
}
