//! The binary against refusals that are not about a row: a DPoP proof refused mid-run stops the
//! run with exit 2 and no row `rejected`, and the next run finishes the file with every key
//! stored once; a journal whose rows were wrongly journaled `rejected` is finished by
//! `--retry-rejected`.

use super::{assert_nothing_rejected, emulator_reading, EC};
use crate::helpers::{assert_exit, ykprov_against, TestDir};
use crate::seeds;
use okta_emulator::{EmulatorHandle, Endpoint};
use std::path::Path;
use ykprov::demo::rehearse::Rehearsal;
use ykprov::journal::{Entry, RowResult};
use ykprov::secret::Secret;
use ykprov::seed::Serial;

/// Uploads in flight at once.
const CONCURRENCY: usize = 4;

/// `ykprov upload FILE --journal JOURNAL` as the quirks' DPoP-bound OAuth app.
async fn upload_as_app(emu: &EmulatorHandle, file: &Path, journal: &Path) -> std::process::Output {
    let mut cmd = ykprov_against(
        emu,
        &[
            "upload",
            file.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
            "--concurrency",
            &CONCURRENCY.to_string(),
        ],
    );
    cmd.env_remove("OKTA_CLIENT_TOKEN")
        .env("OKTA_CLIENT_AUTHORIZATIONMODE", "PrivateKey")
        .env("OKTA_CLIENT_CLIENTID", "0oa-quirks")
        .env("OKTA_CLIENT_PRIVATEKEY", EC)
        .env("OKTA_CLIENT_DPOP", "true");
    cmd.output().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proof_refused_mid_run_exits_2_and_the_next_run_stores_every_key_once() {
    for quirk in ["dpop-error=400", "dpop-error=403", "dpop-api-nonce"] {
        let emu = emulator_reading(&[quirk]).await;
        emu.set_faults(0.0, 0.0);
        let dir = TestDir::new();
        let (first, n) = (960_000, 30);
        let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(first, n)));
        let journal = dir.path().join("j.jsonl");
        emu.stale_dpop_proofs_after(Some(10));
        let out = upload_as_app(&emu, &file, &journal).await;
        assert_exit(&out, 2);
        let stderr = String::from_utf8_lossy(&out.stderr);
        for hint in [
            "DPoP proof",
            "clock",
            "Require Demonstrating Proof of Possession",
            "OKTA_CLIENT_KID",
        ] {
            assert!(
                stderr.contains(hint),
                "{quirk}: the message names {hint}: {stderr}"
            );
        }
        assert_nothing_rejected(&journal, quirk);
        let stored = emu.tokens().len();
        assert!(
            stored < n as usize,
            "{quirk}: it stopped before the end ({stored} stored)"
        );
        // Once proofs are refused, only the rows already in flight are sent, each at most three
        // times (as it was, with the nonce, with a fresh token): never a new row.
        let refused = emu
            .log()
            .entries_for(Endpoint::UploadToken)
            .filter(|e| e.status != Some(200))
            .count();
        assert!(
            (1..=3 * CONCURRENCY).contains(&refused),
            "{quirk}: {refused} refused uploads"
        );
        let sent = emu.log().count(Endpoint::UploadToken);

        emu.stale_dpop_proofs_after(None);
        let out = upload_as_app(&emu, &file, &journal).await;
        assert_exit(&out, 0);
        assert_nothing_rejected(&journal, quirk);
        let log = emu.log();
        assert!(log.count(Endpoint::UploadToken) > sent, "{quirk}");
        for s in first..first + n {
            let serial = Serial::from(s);
            let key = serial.as_str();
            assert_eq!(
                log.stored_per_serial.get(key),
                Some(&1),
                "{quirk}: serial {s} stored once"
            );
            assert_eq!(
                log.posts_per_serial.get(key),
                Some(&1),
                "{quirk}: serial {s} posted once"
            );
        }
        assert_eq!(emu.tokens().len(), n as usize, "{quirk}");
    }
}

/// The journal, with the outcomes of `serials` replaced by what earlier versions wrote for a
/// refused DPoP proof.
fn mark_rejected(journal: &Path, serials: &[Serial]) {
    let text = std::fs::read_to_string(journal).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        let mut entry: Entry = serde_json::from_str(line).unwrap();
        if let Entry::Outcome {
            serial: Some(s),
            result,
            ..
        } = &mut entry
        {
            if serials.contains(s) {
                *result = RowResult::Rejected {
                    http_status: 400,
                    error_code: "invalid_dpop_proof".into(),
                    error_summary: String::new(),
                    error_causes: Vec::new(),
                    request_id: None,
                };
            }
        }
        out.push_str(&serde_json::to_string(&entry).unwrap());
        out.push('\n');
    }
    std::fs::write(journal, out).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_rejected_resends_wrongly_rejected_rows_after_the_lookup() {
    let emu = emulator_reading(&["soft-delete"]).await;
    emu.set_faults(0.0, 0.0);
    let dir = TestDir::new();
    let first = 970_000;
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(first, 6)));
    let journal = dir.path().join("j.jsonl");
    assert_exit(&upload_as_app(&emu, &file, &journal).await, 0);
    // Rows 4 and 5 never reached Okta (their keys are revoked: only history is left); row 3 did.
    let admin = Rehearsal::new(&emu.url(), &Secret::new(emu.token())).unwrap();
    for s in [first + 4, first + 5] {
        let t = admin.token_of(&Serial::from(s)).await.unwrap().unwrap();
        admin.delete_token(&t.id).await.unwrap();
    }
    let wrongly: Vec<Serial> = (3..6).map(|k| Serial::from(first + k)).collect();
    mark_rejected(&journal, &wrongly);

    let posts = || emu.log().count(Endpoint::UploadToken);
    let before = posts();
    let out = upload_as_app(&emu, &file, &journal).await;
    assert_exit(&out, 0);
    assert_eq!(posts(), before, "without the flag a rejected row is done");

    let mut cmd = ykprov_against(
        &emu,
        &[
            "upload",
            file.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
            "--retry-rejected",
        ],
    );
    let out = cmd.output().await.unwrap();
    assert_exit(&out, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said = format!("{stdout}{stderr}");
    assert!(
        said.contains("3 row(s) journaled as rejected by an earlier run were tried again"),
        "{said}"
    );
    assert!(said.contains("2 uploaded, 1 already present"), "{said}");
    assert_eq!(posts(), before + 2, "only the two keys Okta lacks are sent");
    let log = emu.log();
    for k in 0..6 {
        let twice = k >= 4;
        let key = Serial::from(first + k);
        let expect = if twice { 2 } else { 1 };
        assert_eq!(
            log.stored_per_serial.get(key.as_str()),
            Some(&expect),
            "serial {key}"
        );
    }
    let outcomes = ykprov::journal::replay(&journal).unwrap().outcomes;
    for key in &wrongly {
        let result = outcomes.get(key).unwrap();
        assert!(!matches!(result, RowResult::Rejected { .. }), "{key}: {result:?}");
    }
}
