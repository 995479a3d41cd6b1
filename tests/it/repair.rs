//! `ykprov repair` against the emulator, under its default reading and under `soft-delete` (a
//! deleted token stays listed as REVOKED). The emulator's request log is the witness: writes are
//! counted per endpoint and per serial, never timed.

use crate::helpers::{assert_exit, ykprov_against, TestDir};
use crate::seeds;
use crate::upload::client_for;
use okta_emulator::quirks::Quirks;
use okta_emulator::{self as emulator, EmulatorConfig, EmulatorHandle, Endpoint};
use std::path::PathBuf;
use std::process::Stdio;
use tokio::sync::watch;
use ykprov::demo::rehearse::Rehearsal;
use ykprov::journal::repair::{replay_repair, DeleteIntent};
use ykprov::journal::{Entry, Header, Journal};
use ykprov::okta::pacing::RateSetting;
use ykprov::okta::OktaClient;
use ykprov::repair::{self, RepairAction, RepairOptions, RepairSummary};
use ykprov::secret::Secret;
use ykprov::seed::{AccessCode, AesKey, PrivateId, PublicId, Seed, Serial, SerialNumber};

/// Runs a scenario under the emulator's default reading and under `soft-delete`.
macro_rules! both_readings {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn default_reading() {
                super::$name(false).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn soft_delete() {
                super::$name(true).await
            }
        }
    };
}

fn seed_of(r: &seeds::Row) -> Seed {
    Seed {
        serial: SerialNumber::new(r.serial).unwrap(),
        public_id: PublicId::parse(&r.public_id).unwrap(),
        private_id: PrivateId::parse(&r.private_id).unwrap(),
        aes_key: AesKey::parse(&r.aes_key).unwrap(),
        access_code: AccessCode::parse("").unwrap(),
    }
}

fn config(soft: bool, users: u32) -> EmulatorConfig {
    let quirks = if soft {
        Quirks::parse_all(["soft-delete"]).unwrap()
    } else {
        Quirks::default()
    };
    EmulatorConfig {
        quirks,
        users,
        ..EmulatorConfig::default()
    }
}

/// Ten keys in the file. Keys 0-8 are uploaded; users enroll keys 0-2; key 2's user leaves (so
/// it is BLOCKED); an admin deletes key 8 (missing, or revoked under soft-delete); key 9 was never
/// uploaded (missing).
struct Scene {
    emu: EmulatorHandle,
    dir: TestDir,
    file: PathBuf,
    rows: Vec<seeds::Row>,
    admin: Rehearsal,
}

impl Scene {
    async fn new(soft: bool, first: u32) -> Scene {
        Scene::with(config(soft, 10), first).await
    }

    async fn with(config: EmulatorConfig, first: u32) -> Scene {
        let emu = emulator::spawn(config).await.unwrap();
        let dir = TestDir::new();
        let rows = seeds::rows(first, 10);
        let client = client_for(&emu, RateSetting::Auto { share: 1.0 });
        for r in &rows[..9] {
            client.upload(&seed_of(r)).await.unwrap();
        }
        let admin = Rehearsal::new(&emu.url(), &Secret::new(emu.token())).unwrap();
        let users = emu.users();
        for (i, r) in rows[..3].iter().enumerate() {
            admin.enroll(&users[i].id, &seed_of(r), 1).await.unwrap();
        }
        admin.deactivate_user(&users[2].id).await.unwrap();
        let t8 = admin
            .token_of(&Serial::from(rows[8].serial))
            .await
            .unwrap()
            .unwrap();
        admin.delete_token(&t8.id).await.unwrap();
        let file = dir.write("seeds.csv", seeds::csv(&rows));
        Scene {
            emu,
            dir,
            file,
            rows,
            admin,
        }
    }

    fn serial(&self, i: usize) -> Serial {
        Serial::from(self.rows[i].serial)
    }

    fn client(&self) -> OktaClient {
        client_for(&self.emu, RateSetting::Auto { share: 1.0 })
    }

    fn options(&self, reissue_blocked: bool) -> RepairOptions {
        RepairOptions {
            reissue_blocked,
            restore: [self.serial(8)].into(),
            rate: RateSetting::Auto { share: 1.0 },
            quiet: true,
            ..RepairOptions::new(vec![self.file.clone()])
        }
    }

    /// Writes sent so far: (POSTs, DELETEs) on the token path.
    fn writes(&self) -> (u64, u64) {
        let log = self.emu.log();
        (log.count(Endpoint::UploadToken), log.count(Endpoint::DeleteToken))
    }

    fn stored(&self, i: usize) -> u32 {
        let log = self.emu.log();
        log.stored_per_serial
            .get(self.serial(i).as_str())
            .copied()
            .unwrap_or(0)
    }

    /// The serial's live record's status, as the emulator holds it.
    fn live_status(&self, i: usize) -> Option<String> {
        crate::helpers::client_tokens(&self.emu)
            .into_iter()
            .filter(|t| t.serial_padded() == Some(self.serial(i)) && t.status.is_live())
            .map(|t| t.status.to_string())
            .next()
    }

    /// The real binary, with no terminal on stdin.
    fn repair(&self, args: &[&str]) -> tokio::process::Command {
        // The admin deleted key 8 after it was uploaded: naming it with --restore is what lets
        // a repair upload it again (tests/it/lifecycle shows it held without).
        let eight = self.serial(8);
        let mut all = vec!["repair", self.file.to_str().unwrap(), "--restore", eight.as_str()];
        all.extend_from_slice(args);
        let mut cmd = ykprov_against(&self.emu, &all);
        cmd.stdin(Stdio::null());
        cmd
    }
}

async fn apply(s: &Scene, o: &RepairOptions) -> RepairSummary {
    let client = s.client();
    let prepared = repair::prepare(o, &client).await.unwrap();
    let (_tx, mut rx) = watch::channel(false);
    repair::apply(o, &prepared, &client, &mut rx).await.unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn dry_run_sends_no_write(soft: bool) {
    let s = Scene::new(soft, 900_000).await;
    let before = s.writes();
    let out = s
        .repair(&["--dry-run", "--reissue-blocked", "--format", "json"])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 1);
    assert_eq!(s.writes(), before, "a dry run sends no write");
    assert!(!s
        .dir
        .path()
        .join("seeds.csv.ykprov-repair-journal.jsonl")
        .exists());
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let c = &doc["counts"];
    let (upload, reupload) = if soft { (1, 1) } else { (2, 0) };
    assert_eq!(
        (
            c["upload"].as_u64(),
            c["reupload"].as_u64(),
            c["reissue"].as_u64()
        ),
        (Some(upload), Some(reupload), Some(1)),
        "{doc:#}"
    );
    assert_eq!((c["writes"].as_u64(), c["fine"].as_u64()), (Some(4), Some(7)));
    assert_eq!(doc["dryRun"], true);
    assert_eq!(doc["plan"]["actions"][0]["serial"], s.serial(2).as_str());
    // Without --reissue-blocked the blocked key is held, with why, in the text plan.
    let out = s.repair(&["--dry-run"]).output().await.unwrap();
    assert_exit(&out, 1);
    let text = stdout(&out);
    assert!(text.contains("reissue         0"), "{text}");
    assert!(
        text.contains(&format!("held      {}  blocked: token", s.serial(2))),
        "{text}"
    );
    assert_eq!(s.writes(), before);
}
both_readings!(dry_run_sends_no_write);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_a_terminal_it_refuses_without_yes_and_sends_nothing() {
    let s = Scene::new(false, 901_000).await;
    let before = s.writes();
    let out = s.repair(&["--reissue-blocked"]).output().await.unwrap();
    assert_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: refusing to apply 3 change(s)")
            && stderr.contains("nothing was sent")
            && stderr.contains("--yes"),
        "{stderr}"
    );
    assert_eq!(s.writes(), before);
}

async fn each_action_is_carried_out_and_a_second_run_sends_nothing(soft: bool) {
    let s = Scene::new(soft, 902_000).await;
    let (posts, deletes) = s.writes();
    let report = s.dir.path().join("repair.html");
    let out = s
        .repair(&["--yes", "--reissue-blocked", "--report", report.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("repair finished") && text.contains("3 done (1 token(s) deleted)"),
        "{text}"
    );
    assert_eq!(s.writes(), (posts + 3, deletes + 1), "three uploads, one delete");
    for (i, stored) in [(0, 1), (1, 1), (2, 2), (3, 1), (8, 2), (9, 1)] {
        assert_eq!(s.stored(i), stored, "key {i}");
    }
    for (i, status) in [
        (0, "ACTIVE"),
        (1, "ACTIVE"),
        (2, "UNASSIGNED"),
        (8, "UNASSIGNED"),
        (9, "UNASSIGNED"),
    ] {
        assert_eq!(s.live_status(i).as_deref(), Some(status), "key {i}");
    }
    let history = s.emu.tokens().iter().filter(|t| !t.status.is_live()).count();
    assert_eq!(
        history,
        if soft { 2 } else { 0 },
        "soft-deleted records stay as REVOKED"
    );
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(
        html.contains(r#"<section id="repairs"><h2>Repairs</h2>"#),
        "a Repairs section"
    );
    assert!(html.contains(r#"id="chart-repairs""#) && html.contains(r#"id="repair-done">3<"#));
    // The top cards count the delete beside the uploads, and the verdict comes before them.
    assert!(
        html.contains(r#"id="count-tokens-deleted" style="--c:#b71c1c"><b>1</b>"#),
        "the delete is a top card"
    );
    let verdict = html.find(r#"<section id="verdict""#).expect("a verdict banner");
    assert!(verdict < html.find(r#"<section id="outcomes">"#).unwrap());
    assert!(html.contains("1 token(s) deleted"), "the changes line");
    // The second run plans nothing and sends nothing.
    let again = s.repair(&["--yes", "--reissue-blocked"]).output().await.unwrap();
    assert_exit(&again, 0);
    assert!(
        stdout(&again).starts_with("repair plan for"),
        "{}",
        stdout(&again)
    );
    assert!(stdout(&again).contains("nothing to repair"));
    assert_eq!(
        s.writes(),
        (posts + 3, deletes + 1),
        "a finished repair sends no write"
    );
    let md = s.dir.path().join("again.md");
    let out = s
        .repair(&["--dry-run", "--report", md.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
}
both_readings!(each_action_is_carried_out_and_a_second_run_sends_nothing);

async fn without_reissue_blocked_the_blocked_key_and_an_invalid_row_are_left_and_reported(soft: bool) {
    let s = Scene::new(soft, 903_000).await;
    let mut text = seeds::csv(&s.rows);
    text.push_str(&seeds::row(903_050).bad_key().line());
    text.push('\n');
    std::fs::write(&s.file, text).unwrap();
    let (posts, deletes) = s.writes();
    let json = s.dir.path().join("r.json");
    let out = s
        .repair(&["--yes", "--report", json.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 1);
    assert_eq!(
        s.writes(),
        (posts + 2, deletes),
        "the two uploads only; no delete"
    );
    assert_eq!(s.live_status(2).as_deref(), Some("BLOCKED"));
    assert!(
        !s.emu.log().posts_per_serial.contains_key("000000903050"),
        "an invalid row is never sent"
    );
    let text = stdout(&out);
    assert!(text.contains("\nafter the repair:\nreconciliation of"), "{text}");
    assert!(text.contains("blocked           1  <- action needed"), "{text}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["repairs"]["states"]["done"], 2, "{report:#}");
    assert_eq!(report["repairs"]["rows"].as_array().map(Vec::len), Some(2));
}
both_readings!(without_reissue_blocked_the_blocked_key_and_an_invalid_row_are_left_and_reported);

async fn a_key_enrolled_between_plan_and_apply_is_left_alone_and_never_deleted(soft: bool) {
    let s = Scene::new(soft, 904_000).await;
    let o = s.options(true);
    let client = s.client();
    let prepared = repair::prepare(&o, &client).await.unwrap();
    let planned: Vec<_> = prepared.plan.actions.iter().map(|a| a.action).collect();
    assert_eq!(planned.len(), 3, "{:?}", prepared.plan);
    // Meanwhile: key 9 is uploaded and enrolled; key 2's blocked token is deleted, the key
    // uploaded again and enrolled by another user.
    let users = s.emu.users();
    client.upload(&seed_of(&s.rows[9])).await.unwrap();
    s.admin
        .enroll(&users[3].id, &seed_of(&s.rows[9]), 2)
        .await
        .unwrap();
    let blocked = prepared
        .plan
        .actions
        .iter()
        .find(|a| a.action == RepairAction::Reissue)
        .unwrap();
    s.admin
        .delete_token(blocked.token_id.as_deref().unwrap())
        .await
        .unwrap();
    client.upload(&seed_of(&s.rows[2])).await.unwrap();
    s.admin
        .enroll(&users[4].id, &seed_of(&s.rows[2]), 5)
        .await
        .unwrap();
    let ids_before: Vec<String> = s.emu.tokens().iter().map(|t| t.id.clone()).collect();
    let (posts, deletes) = s.writes();
    let (_tx, mut rx) = watch::channel(false);
    let summary = repair::apply(&o, &prepared, &client, &mut rx).await.unwrap();
    let c = &summary.counts;
    assert_eq!(
        (c.done, c.skipped, c.failed, c.deleted),
        (1, 2, 0, 0),
        "{summary:#?}"
    );
    assert_eq!(
        s.writes(),
        (posts + 1, deletes),
        "key 8's upload only: no DELETE at all"
    );
    for i in [0, 1, 2, 9] {
        assert_eq!(s.live_status(i).as_deref(), Some("ACTIVE"), "key {i}");
    }
    let ids_after: Vec<String> = s.emu.tokens().iter().map(|t| t.id.clone()).collect();
    assert!(
        ids_before.iter().all(|id| ids_after.contains(id)),
        "no token was deleted"
    );
    let reasons: Vec<&str> = summary
        .not_done
        .iter()
        .filter_map(|f| match &f.end {
            repair::worker::End::Skipped { reason, .. } => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    // The deleted token is gone, or (soft-delete) only history now: either way not BLOCKED.
    let gone = if soft {
        "is REVOKED now, no longer BLOCKED"
    } else {
        "no longer in Okta"
    };
    assert!(reasons.iter().any(|r| r.contains(gone)), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("is ACTIVE")), "{reasons:?}");
}
both_readings!(a_key_enrolled_between_plan_and_apply_is_left_alone_and_never_deleted);

async fn lost_answers_on_deletes_and_uploads_are_settled_by_lookup(soft: bool) {
    let s = Scene::new(soft, 905_000).await;
    let (posts, deletes) = s.writes();
    // From now on every upload and delete is committed and its answer lost.
    s.emu.set_faults(0.0, 1.0);
    let summary = apply(&s, &s.options(true)).await;
    s.emu.set_faults(0.0, 0.0);
    let c = &summary.counts;
    assert_eq!((c.done, c.deleted, c.failed), (3, 1, 0), "{summary:#?}");
    assert_eq!(c.lookups, 4, "one lookup per lost answer");
    assert_eq!(s.writes(), (posts + 3, deletes + 1), "nothing re-sent blindly");
    assert_eq!(s.emu.log().dropped_after_commit, 4);
    for (i, stored) in [(2, 2), (8, 2), (9, 1)] {
        assert_eq!(s.stored(i), stored, "key {i} stored once by the repair");
    }
    let replay = replay_repair(&summary.journal).unwrap();
    assert!(replay.uploads_in_doubt.is_empty() && replay.deletes_in_doubt.is_empty());
    assert!(replay.reissues_unfinished.is_empty());
    let after = repair::prepare(&s.options(true), &s.client())
        .await
        .unwrap()
        .before;
    assert!(!after.needs_action(), "{:?}", after.reconciliation.counts);
}
both_readings!(lost_answers_on_deletes_and_uploads_are_settled_by_lookup);

async fn a_delete_in_doubt_is_settled_from_the_inventory_and_the_reissue_finished(soft: bool) {
    let s = Scene::new(soft, 906_000).await;
    let o = s.options(false);
    let blocked = s.admin.token_of(&s.serial(2)).await.unwrap().unwrap();
    // An earlier repair sent the DELETE and was killed before its answer; the delete landed.
    let journal = Journal::create(
        &o.journal_path(),
        Header {
            run_id: "crashed".into(),
            tool_version: "0".into(),
            operator: "test".into(),
            okta_identity: None,
            org: s.emu.url(),
            input: s.file.display().to_string(),
            input_sha256: String::new(),
            sealed: None,
            options: serde_json::json!({"command": "repair"}),
            started: chrono::Utc::now(),
            resumed: false,
        },
    )
    .unwrap();
    let intent = DeleteIntent {
        serial: s.serial(2),
        token_id: blocked.id.clone(),
        attempt: 1,
        at: chrono::Utc::now(),
    };
    journal.append(&Entry::DeleteIntent(intent)).unwrap();
    s.admin.delete_token(&blocked.id).await.unwrap();
    let (posts, deletes) = s.writes();
    let client = s.client();
    let prepared = repair::prepare(&o, &client).await.unwrap();
    assert_eq!(prepared.doubts.deleted, [(s.serial(2), blocked.id.clone())]);
    let finishing = prepared
        .plan
        .actions
        .iter()
        .find(|a| a.serial == s.serial(2))
        .unwrap();
    assert!(
        finishing.reason.starts_with("finishes a reissue"),
        "{}",
        finishing.reason
    );
    let (_tx, mut rx) = watch::channel(false);
    let summary = repair::apply(&o, &prepared, &client, &mut rx).await.unwrap();
    assert_eq!(
        (summary.counts.done, summary.counts.settled),
        (3, 1),
        "{summary:#?}"
    );
    assert_eq!(s.writes(), (posts + 3, deletes), "the delete is not sent again");
    assert_eq!(s.live_status(2).as_deref(), Some("UNASSIGNED"));
    let replay = replay_repair(&o.journal_path()).unwrap();
    assert!(replay.deletes_in_doubt.is_empty() && replay.reissues_unfinished.is_empty());
}
both_readings!(a_delete_in_doubt_is_settled_from_the_inventory_and_the_reissue_finished);

mod bucket;
mod resume;
