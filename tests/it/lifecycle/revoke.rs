//! `ykprov revoke` (the real binary, and the domain in process) against the emulator: every write
//! exactly once from the emulator's log, even when every committed write loses its answer, under
//! every reading; refusals said loudly; the confirmation, the dry run, unknown serials; a refused
//! credential; kill -9 then resume.

use super::{every_reading, seed_of, Reading, Scene};
use crate::helpers::{assert_exit, ykprov_against, TestDir};
use crate::seeds;
use crate::upload::client_for;
use okta_emulator::{self as emulator, Endpoint};
use std::process::Stdio;
use tokio::sync::watch;
use ykprov::demo::rehearse::Rehearsal;
use ykprov::journal::revoke::RevokeOutcome;
use ykprov::lifecycle::RetireReason;
use ykprov::okta::pacing::RateSetting;
use ykprov::revoke::{self, RevokeOptions};
use ykprov::secret::Secret;

fn revoke_cmd(s: &Scene, serials: &[String], extra: &[&str]) -> tokio::process::Command {
    let journal = s.dir.path().join("revoke.jsonl");
    let mut args: Vec<&str> = vec!["revoke"];
    args.extend(serials.iter().map(String::as_str));
    args.extend(["--reason", "stolen", "--ticket", "INC-19", "--journal"]);
    args.push(journal.to_str().unwrap());
    args.extend_from_slice(extra);
    let mut cmd = ykprov_against(&s.emu, &args);
    cmd.stdin(Stdio::null());
    cmd
}

/// Keys 0 (ACTIVE), 1 (UNASSIGNED) and 2 (BLOCKED) revoked while every committed write loses its
/// answer: each unenroll and delete is sent once and settled by reading back, never re-sent.
async fn revoke_active_unassigned_and_blocked_keys_with_lost_answers(r: Reading) {
    let s = Scene::new(r, 31_000_000).await;
    let setup_deletes = s.emu.log().count(Endpoint::DeleteToken);
    s.emu.set_faults(0.0, 1.0);
    let serials = [s.arg(0), s.arg(1), s.arg(2)];
    let out = revoke_cmd(&s, &serials, &["--yes", "--format", "json"])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let outcome = |i: usize| {
        let serial = s.serial(i);
        doc["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["serial"] == serial.as_str())
            .map(|e| e["outcome"].as_str().unwrap().to_string())
            .unwrap()
    };
    // The ACTIVE key: one unenroll (its answer lost, confirmed by listing the factors).
    assert_eq!(s.emu.log().count(Endpoint::DeleteFactor), 1, "{r:?}");
    assert_eq!(
        s.answered(Endpoint::DeleteFactor, None),
        1,
        "{r:?}: the unenroll's answer was lost"
    );
    let key0_deleted = !r.unenroll_revokes;
    let deletes = 2 + u64::from(key0_deleted);
    assert_eq!(
        s.emu.log().count(Endpoint::DeleteToken) - setup_deletes,
        deletes,
        "{r:?}: one DELETE per live token"
    );
    let refused = s.answered(Endpoint::DeleteToken, Some(403));
    let expect_refused = if r.delete_refused {
        1 + usize::from(key0_deleted)
    } else {
        0
    };
    assert_eq!(refused, expect_refused, "{r:?}");
    assert_eq!(
        s.answered(Endpoint::DeleteToken, Some(404)),
        0,
        "{r:?}: nothing re-sent blindly"
    );
    // The never-enrolled key is gone whatever the reading.
    assert_eq!(s.live_status(1), None, "{r:?}");
    assert_eq!(outcome(1), "revoked");
    if r.delete_refused {
        assert_exit(&out, 1);
        assert_eq!(s.live_status(2).as_deref(), Some("BLOCKED"));
        assert_eq!(outcome(2), "action_needed");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("CAN STILL BE ENROLLED by whoever holds it"),
            "{stderr}"
        );
        let reason = doc["results"].to_string();
        assert!(reason.contains("403 E0000102"), "{reason}");
    } else {
        assert_exit(&out, 0);
        assert_eq!(s.live_status(2), None, "{r:?}");
        assert_eq!(outcome(2), "revoked");
    }
    let key0_live = r.delete_refused && !r.unenroll_revokes;
    assert_eq!(
        s.live_status(0).as_deref(),
        key0_live.then_some("UNASSIGNED"),
        "{r:?}"
    );
    assert_eq!(outcome(0), if key0_live { "action_needed" } else { "revoked" });
    assert_eq!(
        s.live_status(3).as_deref(),
        Some("ACTIVE"),
        "a key not named is never touched"
    );
    // A second revoke sends nothing it sent before: the plan is made from what Okta lists now.
    let before = (
        s.emu.log().count(Endpoint::DeleteFactor),
        s.emu.log().count(Endpoint::DeleteToken),
    );
    s.emu.set_faults(0.0, 0.0);
    let again = revoke_cmd(&s, &serials, &["--yes"]).output().await.unwrap();
    assert_exit(&again, if r.delete_refused { 1 } else { 0 });
    let after = (
        s.emu.log().count(Endpoint::DeleteFactor),
        s.emu.log().count(Endpoint::DeleteToken),
    );
    assert_eq!(after.0, before.0, "{r:?}: never a second unenroll");
    assert_eq!(
        after.1 - before.1,
        expect_refused as u64,
        "{r:?}: only the refused deletes are tried again"
    );
}
every_reading!(revoke_active_unassigned_and_blocked_keys_with_lost_answers);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_comes_first_and_nothing_is_sent_without_consent_or_for_an_unknown_serial() {
    let r = Reading {
        soft: false,
        unenroll_revokes: false,
        delete_refused: false,
    };
    let s = Scene::new(r, 32_000_000).await;
    let base = s.emu.log().count(Endpoint::DeleteToken);
    let writes = || {
        let log = s.emu.log();
        log.count(Endpoint::DeleteFactor) + log.count(Endpoint::DeleteToken) - base
    };
    let serials = [s.arg(0), s.arg(2)];
    let dry = revoke_cmd(&s, &serials, &["--dry-run"]).output().await.unwrap();
    assert_exit(&dry, 1);
    let text = String::from_utf8_lossy(&dry.stdout);
    assert!(
        text.starts_with(&format!("revoke plan for {}", s.emu.url())),
        "{text}"
    );
    assert!(
        text.contains("ACTIVE") && text.contains("unenroll, delete"),
        "{text}"
    );
    assert!(text.contains("3 write(s) for 2 key(s)"), "{text}");
    let no_tty = revoke_cmd(&s, &serials, &[]).output().await.unwrap();
    assert_exit(&no_tty, 2);
    assert!(String::from_utf8_lossy(&no_tty.stderr).contains("without a terminal to confirm on"));
    let unknown = revoke_cmd(&s, &[s.arg(0), "99999999".into()], &["--yes"])
        .output()
        .await
        .unwrap();
    assert_exit(&unknown, 2);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown serial(s) 99999999"));
    assert_eq!(
        writes(),
        0,
        "a dry run, a refusal to confirm and an unknown serial send nothing"
    );
    assert!(
        !s.dir.path().join("revoke.jsonl").exists(),
        "nor journal anything"
    );
    // Keys 4 (uploaded, then deleted by an admin) and 5 (in the file only) are known to ykprov
    // through the facts (the ledger): they need nothing in Okta.
    let client = client_for(&s.emu, RateSetting::Auto { share: 1.0 });
    let mut o = RevokeOptions::new(vec![s.serial(4), s.serial(5)], RetireReason::Destroyed);
    o.journal = s.dir.path().join("revoke.jsonl");
    o.facts.uploaded.insert(s.serial(4), chrono::Utc::now());
    o.facts.uploaded.insert(s.serial(5), chrono::Utc::now());
    let plan = revoke::prepare(&o, &client).await.unwrap();
    assert!(plan.targets.is_empty() && plan.unknown.is_empty(), "{plan:#?}");
    assert_eq!(plan.left.len(), 2);
}

/// A refused credential mid-revoke stops every task (never a serial's outcome) and names the
/// scope a revoke needs; the same revoke with a good credential finishes, each write once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_credential_stops_the_revoke_names_the_scope_and_the_next_run_finishes() {
    let mut cfg = Reading {
        soft: false,
        unenroll_revokes: false,
        delete_refused: false,
    }
    .config(0);
    cfg.latency = std::time::Duration::from_millis(5);
    let emu = emulator::spawn(cfg).await.unwrap();
    let rows = seeds::rows(33_000_000, 20);
    let client = client_for(&emu, RateSetting::Auto { share: 1.0 });
    for r in &rows {
        client.upload(&seed_of(r)).await.unwrap();
    }
    let serials: Vec<_> = rows
        .iter()
        .map(|r| ykprov::seed::Serial::from(r.serial))
        .collect();
    let dir = TestDir::new();
    let mut o = RevokeOptions::new(serials, RetireReason::Returned);
    o.journal = dir.path().join("revoke.jsonl");
    let plan = revoke::prepare(&o, &client).await.unwrap();
    assert_eq!(plan.writes(), 20);
    let run = {
        let (o, client, plan) = (o.clone(), client.clone(), plan.clone());
        tokio::spawn(async move {
            let (_tx, mut rx) = watch::channel(false);
            revoke::apply(&o, &plan, &client, &mut rx).await.unwrap()
        })
    };
    for _ in 0..5_000 {
        if emu.log().count(Endpoint::DeleteToken) >= 4 || run.is_finished() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let good = emu.token();
    emu.set_token("revoked-mid-run");
    let summary = run.await.unwrap();
    let fatal = summary.fatal.clone().expect("a refused credential stops the run");
    assert!(fatal.contains("okta.users.manage"), "{fatal}");
    assert_eq!(
        summary.count(RevokeOutcome::Failed),
        0,
        "never a serial's outcome: {summary:#?}"
    );
    assert!(summary.not_started > 0, "{summary:#?}");
    emu.set_token(&good);
    let client = client_for(&emu, RateSetting::Auto { share: 1.0 });
    let plan = revoke::prepare(&o, &client).await.unwrap();
    let (_tx, mut rx) = watch::channel(false);
    let second = revoke::apply(&o, &plan, &client, &mut rx).await.unwrap();
    assert!(second.is_clean(), "{second:#?}");
    assert_eq!(
        emu.log()
            .entries_for(Endpoint::DeleteToken)
            .filter(|e| e.status == Some(204))
            .count(),
        20,
        "each token deleted once"
    );
    assert!(emu.tokens().iter().all(|t| !t.status.is_live()));
}

/// 24 enrolled keys revoked by the real binary, killed three times mid-run, then resumed: every
/// factor unenrolled once and every token deleted once, none re-sent after a crash.
async fn kill_9_mid_revoke_then_resume(r: Reading) {
    let n = 24usize;
    let mut cfg = r.config(n as u32);
    cfg.latency = std::time::Duration::from_millis(3);
    cfg.latency_jitter = std::time::Duration::from_millis(4);
    let emu = emulator::spawn(cfg).await.unwrap();
    let rows = seeds::rows(34_000_000, n as u32);
    let client = client_for(&emu, RateSetting::Auto { share: 1.0 });
    let admin = Rehearsal::new(&emu.url(), &Secret::new(emu.token())).unwrap();
    let users = emu.users();
    for (i, row) in rows.iter().enumerate() {
        client.upload(&seed_of(row)).await.unwrap();
        admin.enroll(&users[i].id, &seed_of(row), 1).await.unwrap();
    }
    let dir = TestDir::new();
    let journal = dir.path().join("revoke.jsonl");
    let mut args: Vec<String> = vec!["revoke".into()];
    args.extend(rows.iter().map(|r| r.serial.to_string()));
    args.extend(
        [
            "--reason",
            "lost",
            "--yes",
            "-q",
            "--concurrency",
            "4",
            "--journal",
        ]
        .map(String::from),
    );
    args.push(journal.to_str().unwrap().into());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let cmd = || {
        let mut c = ykprov_against(&emu, &argv);
        c.stdin(Stdio::null());
        c
    };
    let writes = || {
        let log = emu.log();
        log.count(Endpoint::DeleteFactor) + log.count(Endpoint::DeleteToken)
    };
    let mut kills = 0;
    for at in [4u64, 16, 28] {
        let mut child = cmd().spawn().unwrap();
        for _ in 0..5_000 {
            if writes() >= at || child.try_wait().unwrap().is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().await.unwrap(); // SIGKILL
            kills += 1;
        }
    }
    assert!(kills >= 2, "the kills landed mid-run ({kills})");
    let out = cmd().output().await.unwrap();
    assert_exit(
        &out,
        if r.delete_refused && !r.unenroll_revokes {
            1
        } else {
            0
        },
    );
    let log = emu.log();
    let ok = |e: Endpoint, status: u16| log.entries_for(e).filter(|x| x.status == Some(status)).count();
    assert_eq!(
        ok(Endpoint::DeleteFactor, 204),
        n,
        "{r:?}: each factor unenrolled once"
    );
    assert_eq!(
        ok(Endpoint::DeleteFactor, 404),
        0,
        "{r:?}: no unenroll re-sent after it landed"
    );
    let expected_deletes = if r.unenroll_revokes || r.delete_refused {
        0
    } else {
        n
    };
    assert_eq!(ok(Endpoint::DeleteToken, 204), expected_deletes, "{r:?}");
    assert_eq!(
        ok(Endpoint::DeleteToken, 404),
        0,
        "{r:?}: no delete re-sent after it landed"
    );
    let replay = ykprov::journal::read_entries(&journal).unwrap();
    assert!(
        replay.1.all_torn_by_crashes,
        "{r:?}: a kill leaves at most a torn last line"
    );
}
every_reading!(kill_9_mid_revoke_then_resume);
