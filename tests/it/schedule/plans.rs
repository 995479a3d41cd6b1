//! Pinned plans: `repair --dry-run --plan-out` writes the plan an approver reviews, and
//! `repair --plan` applies exactly that plan: nothing outside it, an action whose target changed
//! since is skipped with its reason, and an edited plan or one for another org is refused with
//! exit 2 before any write. The emulator's request log is the witness.

use crate::helpers::{assert_exit, spawn_emulator, ykprov_against, TestDir};
use crate::seeds;
use okta_emulator::{EmulatorConfig, EmulatorHandle, Endpoint};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use ykprov::seed::Serial;

/// The folder every run against `emu` works in, with the ledger they share, as on an admin's
/// machine: a revoke without `--journal` writes `./ykprov-revoke-journal.jsonl` here (never in the
/// source tree), and later runs know what earlier ones did. Keyed by the emulator's generated
/// token and address, so no other test's runs share it.
fn workdir(emu: &EmulatorHandle) -> PathBuf {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (emu.token(), emu.url(), std::process::id()).hash(&mut h);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("plans")
        .join(format!("{:016x}", h.finish()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn run(emu: &EmulatorHandle, args: &[&str]) -> std::process::Output {
    let cwd = workdir(emu);
    let mut cmd = ykprov_against(emu, args);
    cmd.stdin(Stdio::null())
        .current_dir(&cwd)
        .env("YKPROV_LEDGER", cwd.join("ledger.sqlite3"));
    cmd.output().await.unwrap()
}

fn posts(emu: &EmulatorHandle) -> u64 {
    emu.log().count(Endpoint::UploadToken)
}

fn stored(emu: &EmulatorHandle, serial: u32) -> u32 {
    let log = emu.log();
    let s = Serial::from(serial);
    log.stored_per_serial.get(s.as_str()).copied().unwrap_or(0)
}

/// Three keys never uploaded, planned (three uploads) into `plan.json`; nothing is sent.
async fn planned(emu: &EmulatorHandle, dir: &TestDir, first: u32) -> (PathBuf, PathBuf) {
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(first, 3)));
    let plan = dir.path().join("plan.json");
    let out = run(
        emu,
        &[
            "repair",
            file.to_str().unwrap(),
            "--dry-run",
            "--plan-out",
            plan.to_str().unwrap(),
        ],
    )
    .await;
    assert_exit(&out, 1);
    assert_eq!(posts(emu), 0, "a dry run sends no write");
    (file, plan)
}

fn apply_args<'a>(file: &'a Path, plan: &'a Path) -> [&'a str; 5] {
    [
        "repair",
        file.to_str().unwrap(),
        "--plan",
        plan.to_str().unwrap(),
        "--yes",
    ]
}

#[tokio::test]
async fn the_plan_file_names_the_org_listing_time_and_each_action_and_is_private() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let (_, plan) = planned(&emu, &dir, 41_000_001).await;
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&plan).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&plan).unwrap()).unwrap();
    assert_eq!(doc["command"], "repair");
    assert_eq!(
        doc["org"].as_str().unwrap().trim_end_matches('/'),
        emu.url().trim_end_matches('/')
    );
    assert!(
        doc["listedAt"].is_string() && doc["sha256"].as_str().unwrap().len() == 64,
        "{doc}"
    );
    let actions = doc["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 3, "{doc}");
    assert_eq!(actions[0]["serial"], Serial::from(41_000_001).as_str());
    assert_eq!(actions[0]["action"], "upload");
    assert!(
        actions[0]["tokenId"].is_null() && actions[0]["status"].is_null(),
        "{doc}"
    );
}

#[tokio::test]
async fn an_unchanged_plan_does_exactly_its_writes_and_nothing_outside_it() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let (file, plan) = planned(&emu, &dir, 42_000_001).await;
    // A fourth key joins the file after the plan: not approved, so not uploaded.
    dir.write("seeds.csv", seeds::csv(&seeds::rows(42_000_001, 4)));
    let out = run(&emu, &apply_args(&file, &plan)).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{out:?}"
    );
    assert_eq!(posts(&emu), 3, "{text}");
    for s in 42_000_001..42_000_004 {
        assert_eq!(stored(&emu, s), 1, "key {s}");
    }
    assert_eq!(
        stored(&emu, 42_000_004),
        0,
        "the key outside the plan is never uploaded"
    );
}

#[tokio::test]
async fn a_target_changed_since_the_plan_is_skipped_with_its_reason() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let (file, plan) = planned(&emu, &dir, 43_000_001).await;
    // Meanwhile someone uploads the second key: the plan's upload of it no longer applies.
    let one = dir.write("one.csv", seeds::csv(&seeds::rows(43_000_002, 1)));
    assert_exit(&run(&emu, &["upload", one.to_str().unwrap()]).await, 0);
    assert_eq!(posts(&emu), 1);
    let out = run(&emu, &apply_args(&file, &plan)).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("changed_since_plan") && text.contains("changed since the plan"),
        "{text}"
    );
    assert_eq!(posts(&emu), 3, "the two unchanged uploads only: {text}");
    assert_eq!(
        stored(&emu, 43_000_002),
        1,
        "the changed key is not written again"
    );
}

#[tokio::test]
async fn an_edited_plan_is_refused_with_exit_2_and_no_write() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let (file, plan) = planned(&emu, &dir, 44_000_001).await;
    let text = std::fs::read_to_string(&plan).unwrap();
    for edited in [
        text.replacen("044000001", "044000009", 1),
        text.replacen("\"upload\"", "\"reissue\"", 1),
    ] {
        assert_ne!(edited, text);
        std::fs::write(&plan, &edited).unwrap();
        let out = run(&emu, &apply_args(&file, &plan)).await;
        assert_exit(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("edited"), "{err}");
        assert_eq!(posts(&emu), 0, "no write");
    }
}

#[tokio::test]
async fn a_plan_for_another_org_is_refused_with_exit_2_and_no_write() {
    let (a, b) = (
        spawn_emulator(EmulatorConfig::default()).await,
        spawn_emulator(EmulatorConfig::default()).await,
    );
    let dir = TestDir::new();
    let (file, plan) = planned(&a, &dir, 45_000_001).await;
    let out = run(&b, &apply_args(&file, &plan)).await;
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("a plan for"), "{err}");
    assert_eq!(b.log().entries.len(), 0, "nothing was sent to the other org");
}

#[tokio::test]
async fn serials_from_narrows_repair_to_the_serials_in_the_file() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(46_000_001, 3)));
    let list = dir.write("serials.txt", "# INC-4711\n46000002  # the one to fix\n\n");
    let args = [
        "repair",
        file.to_str().unwrap(),
        "--serials-from",
        list.to_str().unwrap(),
        "--yes",
    ];
    let out = run(&emu, &args).await;
    // Keys 1 and 3 are still missing afterwards: something needs action.
    assert_exit(&out, 1);
    assert_eq!(posts(&emu), 1);
    assert_eq!(stored(&emu, 46_000_002), 1);
    let bad = dir.write("bad.txt", "46000002\nnot-a-serial\n");
    let args = [
        "repair",
        file.to_str().unwrap(),
        "--serials-from",
        bad.to_str().unwrap(),
        "--yes",
    ];
    let out = run(&emu, &args).await;
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--serials-from") && err.contains("line 2"), "{err}");
    assert_eq!(posts(&emu), 1, "nothing more was sent");
}

#[tokio::test]
async fn revoke_takes_its_serials_from_a_file_too() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(47_000_001, 2)));
    assert_exit(&run(&emu, &["upload", file.to_str().unwrap()]).await, 0);
    let list = dir.write("serials.txt", "47000001\n");
    let args = [
        "revoke",
        "--serials-from",
        list.to_str().unwrap(),
        "--reason",
        "lost",
        "--dry-run",
    ];
    let out = run(&emu, &args).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("47000001") && !text.contains("47000002"), "{text}");
    assert_eq!(posts(&emu), 2, "the dry run sent no write");
}

#[tokio::test]
async fn revoke_applies_its_pinned_plan_and_refuses_an_edited_one_or_a_repair_plan() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(48_000_001, 3)));
    assert_exit(&run(&emu, &["upload", file.to_str().unwrap()]).await, 0);
    let plan = dir.path().join("revoke-plan.json");
    let p = plan.to_str().unwrap();
    let dry = [
        "revoke",
        "48000001",
        "48000002",
        "--reason",
        "lost",
        "--dry-run",
        "--plan-out",
        p,
    ];
    assert_exit(&run(&emu, &dry).await, 1);
    let deletes = || emu.log().count(Endpoint::DeleteToken);
    assert_eq!(deletes(), 0);
    // Meanwhile key 2 is revoked by another run: the plan's delete of it has nothing left to do.
    assert_exit(
        &run(&emu, &["revoke", "48000002", "--reason", "lost", "--yes"]).await,
        0,
    );
    assert_eq!(deletes(), 1);
    let text = std::fs::read_to_string(&plan).unwrap();
    std::fs::write(&plan, text.replacen("048000001", "048000003", 1)).unwrap();
    let apply = ["revoke", "--plan", p, "--reason", "lost", "--yes"];
    let out = run(&emu, &apply).await;
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("edited"));
    std::fs::write(&plan, &text).unwrap();
    let out = run(&emu, &apply).await;
    assert_exit(&out, 0);
    assert_eq!(deletes(), 2, "key 1's delete only");
    // A repair plan (made on a clean emulator; the command is checked before the org).
    let other = spawn_emulator(EmulatorConfig::default()).await;
    let other_dir = TestDir::new();
    let (_, repair_plan) = planned(&other, &other_dir, 48_000_010).await;
    let rp = repair_plan.to_str().unwrap();
    let out = run(&emu, &["revoke", "--plan", rp, "--reason", "lost", "--yes"]).await;
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not of `revoke`"), "{err}");
}
