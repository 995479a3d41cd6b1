//! `ykprov repair` stopped part-way: by `kill -9` of the real binary (then resumed), and by a
//! credential that may not delete (the run stops and names the scope).

use super::*;

/// 60 keys never uploaded, 20 whose users left: a repair of 100 writes, killed four times.
async fn kill_9_mid_repair_then_resume(soft: bool) {
    let mut cfg = config(soft, 20);
    cfg.latency = std::time::Duration::from_millis(3);
    cfg.latency_jitter = std::time::Duration::from_millis(4);
    let emu = emulator::spawn(cfg).await.unwrap();
    let dir = TestDir::new();
    let first = 907_000u32;
    let rows = seeds::rows(first, 80);
    let client = client_for(&emu, RateSetting::Auto { share: 1.0 });
    let admin = Rehearsal::new(&emu.url(), &Secret::new(emu.token())).unwrap();
    let users = emu.users();
    for (i, r) in rows[..20].iter().enumerate() {
        client.upload(&seed_of(r)).await.unwrap();
        admin.enroll(&users[i].id, &seed_of(r), 1).await.unwrap();
        admin.deactivate_user(&users[i].id).await.unwrap();
    }
    let file = dir.write("seeds.csv", seeds::csv(&rows));
    let path = file.to_str().unwrap().to_string();
    let repair_cmd = || {
        let mut c = ykprov_against(&emu, &["repair", &path, "--yes", "--reissue-blocked", "-q"]);
        c.stdin(Stdio::null());
        c
    };
    let writes = || {
        let log = emu.log();
        log.count(Endpoint::UploadToken) + log.count(Endpoint::DeleteToken)
    };
    let base = writes();
    let mut kills = 0;
    for at in [5u64, 30, 55, 80] {
        let mut child = repair_cmd().spawn().unwrap();
        for _ in 0..5_000 {
            if writes() >= base + at || child.try_wait().unwrap().is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().await.unwrap(); // SIGKILL
            kills += 1;
        }
        let replay = replay_repair(&dir.path().join("seeds.csv.ykprov-repair-journal.jsonl")).unwrap();
        assert!(
            replay.only_torn_by_crashes,
            "a kill leaves at most a torn last line"
        );
    }
    assert!(kills >= 2, "the kills landed mid-run ({kills})");
    let out = repair_cmd().output().await.unwrap();
    assert_exit(&out, 0);
    let log = emu.log();
    for (i, r) in rows.iter().enumerate() {
        let stored = log.stored_per_serial.get(Serial::from(r.serial).as_str());
        assert_eq!(stored, Some(&if i < 20 { 2 } else { 1 }), "key {i}");
    }
    let live: Vec<String> = emu
        .tokens()
        .iter()
        .filter(|t| t.status.is_live())
        .map(|t| t.status.to_string())
        .collect();
    assert_eq!(live.len(), 80);
    assert!(live.iter().all(|s| s == "UNASSIGNED"), "{live:?}");
    let deleted = log
        .entries_for(Endpoint::DeleteToken)
        .filter(|e| e.status == Some(204))
        .count();
    assert!(deleted <= 20, "each blocked token deleted once ({deleted} 204s)");
    let all_deletes = log.count(Endpoint::DeleteToken) as usize;
    assert!(
        all_deletes <= 20 + kills,
        "a DELETE is re-sent only when its token was still BLOCKED ({all_deletes})"
    );
    // The finished repair, run again, sends nothing.
    let before = writes();
    let out = repair_cmd().output().await.unwrap();
    assert_exit(&out, 0);
    assert_eq!(writes(), before);
}
both_readings!(kill_9_mid_repair_then_resume);

const EC: &str = include_str!("../../fixtures/keys/test-ec.pem");
const EC_PUB: &str = include_str!("../../fixtures/keys/test-ec.pub.pem");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_without_the_manage_scope_stops_the_repair_and_names_the_scope() {
    use okta_emulator::oauth::OAuthClient;
    use ykprov::okta::config::{Credential, OAuthSettings};
    use ykprov::okta::ClientConfig;
    let mut cfg = config(false, 10);
    cfg.oauth_clients = vec![OAuthClient {
        client_id: "0oa".into(),
        public_key_pem: EC_PUB.into(),
        scopes: vec!["okta.users.read".into(), "okta.users.manage".into()],
    }];
    let s = Scene::with(cfg, 908_000).await;
    // An app configured to ask for reads only: its DELETE gets 403 insufficient_scope.
    let settings = OAuthSettings {
        client_id: "0oa".into(),
        scopes: Some(vec!["okta.users.read".into()]),
        private_key: Secret::new(EC.to_string()),
        kid: Some("test-kid".into()),
        dpop: false,
    };
    let creds = Credential::PrivateKey(settings);
    let cc = ClientConfig::with_credential(
        s.emu.url().parse().unwrap(),
        creds,
        ykprov::okta::oauth::UPLOAD_SCOPES,
    );
    let client = OktaClient::new(cc).unwrap();
    let o = s.options(true);
    // Only the reissue: key 8 and 9 are restored first with the SSWS client.
    for i in [8, 9] {
        s.client().upload(&seed_of(&s.rows[i])).await.unwrap();
    }
    let prepared = repair::prepare(&o, &client).await.unwrap();
    let (_tx, mut rx) = watch::channel(false);
    let summary = repair::apply(&o, &prepared, &client, &mut rx).await.unwrap();
    let fatal = summary.fatal.clone().expect("a refused credential stops the run");
    assert!(fatal.contains("the app lacks scope okta.users.manage"), "{fatal}");
    assert_eq!(summary.counts.done, 0);
    assert_eq!(s.live_status(2).as_deref(), Some("BLOCKED"));
}

/// 30 keys to upload; the API token is revoked once a few have been sent. The refusal stops the
/// run for every task: no action starts after it, none gets the refusal as its outcome, and the
/// same repair with a good token finishes the rest, each key stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_credential_mid_repair_stops_every_task_and_the_next_run_finishes() {
    let mut cfg = config(false, 0);
    cfg.latency = std::time::Duration::from_millis(5);
    let emu = emulator::spawn(cfg).await.unwrap();
    let dir = TestDir::new();
    let rows = seeds::rows(909_000, 30);
    let file = dir.write("seeds.csv", seeds::csv(&rows));
    let o = RepairOptions {
        rate: RateSetting::Auto { share: 1.0 },
        quiet: true,
        ..RepairOptions::new(vec![file])
    };
    let client = client_for(&emu, RateSetting::Auto { share: 1.0 });
    let prepared = repair::prepare(&o, &client).await.unwrap();
    assert_eq!(prepared.plan.actions.len(), 30);
    let run = {
        let (o, client) = (o.clone(), client.clone());
        tokio::spawn(async move {
            let (_tx, mut rx) = watch::channel(false);
            repair::apply(&o, &prepared, &client, &mut rx).await.unwrap()
        })
    };
    for _ in 0..5_000 {
        if emu.log().count(Endpoint::UploadToken) >= 5 || run.is_finished() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let good = emu.token();
    emu.set_token("revoked-mid-run");
    let summary = run.await.unwrap();
    let fatal = summary.fatal.clone().expect("a refused credential stops the run");
    assert!(fatal.contains("refused the credentials"), "{fatal}");
    let c = &summary.counts;
    assert_eq!(
        (c.failed, c.skipped),
        (0, 0),
        "a refused credential is never an action's outcome: {c:?}"
    );
    assert!(c.done >= 5 && c.not_started > 0, "{c:?}");
    assert!(
        emu.log().served_401 <= o.concurrency as u64,
        "only requests already in flight met the refusal ({} 401s)",
        emu.log().served_401
    );
    emu.set_token(&good);
    let summary = apply_with(&o, &client_for(&emu, RateSetting::Auto { share: 1.0 })).await;
    assert!(summary.is_clean(), "{summary:#?}");
    let log = emu.log();
    for r in &rows {
        let stored = log.stored_per_serial.get(Serial::from(r.serial).as_str());
        assert_eq!(stored, Some(&1), "serial {} stored once", r.serial);
    }
}

async fn apply_with(o: &RepairOptions, client: &OktaClient) -> RepairSummary {
    let prepared = repair::prepare(o, client).await.unwrap();
    let (_tx, mut rx) = watch::channel(false);
    repair::apply(o, &prepared, client, &mut rx).await.unwrap()
}
