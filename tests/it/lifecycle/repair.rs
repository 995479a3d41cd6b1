//! `repair` and `reconcile` given the lifecycle facts (what the ledger will supply): automation
//! never undoes an admin.

use super::{every_reading, Reading, Scene};
use crate::upload::client_for;
use okta_emulator::Endpoint;
use tokio::sync::watch;
use ykprov::lifecycle::{Facts, RetireReason, Retirement};
use ykprov::okta::pacing::RateSetting;
use ykprov::reconcile::diff::Category;
use ykprov::repair::{self, Hold, RepairAction, RepairOptions};
use ykprov::revoke::{self, RevokeOptions};
use ykprov::seed::Serial;

fn retirement(reason: RetireReason) -> Retirement {
    Retirement {
        reason,
        ticket: Some("INC-19".into()),
        note: None,
        at: chrono::Utc::now(),
        operator: "admin@host".into(),
    }
}

fn options(s: &Scene, facts: Facts) -> RepairOptions {
    RepairOptions {
        reissue_blocked: true,
        rate: RateSetting::Auto { share: 1.0 },
        quiet: true,
        facts,
        ..RepairOptions::new(vec![s.file.clone()])
    }
}

/// Every write the emulator saw for a serial: uploads of it, and deletes (any token).
fn uploads_of(s: &Scene, serial: &Serial) -> u32 {
    s.emu
        .log()
        .posts_per_serial
        .get(serial.as_str())
        .copied()
        .unwrap_or(0)
}

/// Keys 2 (BLOCKED, its user deactivated) and 4 (deleted by an admin) retired: the repair plans
/// nothing for them and sends nothing for them; key 5 (never uploaded) is uploaded as before.
async fn retire_then_repair_sends_no_write_for_the_key(r: Reading) {
    let s = Scene::new(r, 35_000_000).await;
    let mut facts = Facts::default();
    facts
        .retired
        .insert(s.serial(2), retirement(RetireReason::Stolen));
    facts
        .retired
        .insert(s.serial(4), retirement(RetireReason::Destroyed));
    let o = options(&s, facts);
    let client = client_for(&s.emu, RateSetting::Auto { share: 1.0 });
    let prepared = repair::prepare(&o, &client).await.unwrap();
    let planned: Vec<(&str, RepairAction)> = prepared
        .plan
        .actions
        .iter()
        .map(|a| (a.serial.as_str(), a.action))
        .collect();
    assert_eq!(planned, [(s.serial(5).as_str(), RepairAction::Upload)], "{r:?}");
    assert_eq!(
        prepared.plan.held(Hold::RetiredLive),
        1,
        "the BLOCKED retired key is still live"
    );
    let rec = &prepared.before.reconciliation;
    assert_eq!(rec.count(&Category::RetiredLive), 1);
    assert_eq!(rec.count(&Category::Retired), 1);
    let deletes_before = s.emu.log().count(Endpoint::DeleteToken);
    let (_tx, mut rx) = watch::channel(false);
    let summary = repair::apply(&o, &prepared, &client, &mut rx).await.unwrap();
    assert_eq!(summary.counts.done, 1, "{summary:#?}");
    assert_eq!(
        s.emu.log().count(Endpoint::DeleteToken),
        deletes_before,
        "no delete"
    );
    assert_eq!(
        uploads_of(&s, &s.serial(2)),
        1,
        "key 2: only its first upload, long ago"
    );
    assert_eq!(uploads_of(&s, &s.serial(4)), 1, "key 4: never uploaded again");
    assert_eq!(uploads_of(&s, &s.serial(5)), 1);
    // Revoking the live retired key (the command's Okta half) leaves it `retired`, fine.
    let mut ro = RevokeOptions::new(vec![s.serial(2)], RetireReason::Stolen);
    ro.journal = s.dir.path().join("revoke.jsonl");
    let plan = revoke::prepare(&ro, &client).await.unwrap();
    let done = revoke::apply(&ro, &plan, &client, &mut rx).await.unwrap();
    let after = repair::reconcile_after(&o, &prepared, &client).await.unwrap();
    if r.delete_refused {
        assert_eq!(after.reconciliation.count(&Category::RetiredLive), 1, "{done:#?}");
        assert!(
            after.needs_action(),
            "a retired key Okta still lists live needs action"
        );
    } else {
        assert!(done.is_clean(), "{done:#?}");
        assert_eq!(after.reconciliation.count(&Category::Retired), 2);
        assert_eq!(after.reconciliation.count(&Category::RetiredLive), 0);
    }
}
every_reading!(retire_then_repair_sends_no_write_for_the_key);

/// Key 4, deleted by an admin after it was uploaded, is held as removed (whatever Okta keeps of
/// it) until a person names it with --restore; nothing else brings it back.
async fn a_removed_key_is_held_until_restored(r: Reading) {
    let s = Scene::new(r, 36_000_000).await;
    let mut facts = Facts::default();
    facts
        .uploaded
        .insert(s.serial(4), chrono::Utc::now() - chrono::Duration::days(2));
    let mut o = options(&s, facts);
    o.reissue_blocked = false;
    let client = client_for(&s.emu, RateSetting::Auto { share: 1.0 });
    let prepared = repair::prepare(&o, &client).await.unwrap();
    assert_eq!(prepared.plan.held(Hold::Removed), 1, "{:#?}", prepared.plan);
    let held = prepared
        .plan
        .held
        .iter()
        .find(|h| h.hold == Hold::Removed)
        .unwrap();
    assert!(
        held.reason.contains(&format!("repair --restore {}", s.arg(4))),
        "{}",
        held.reason
    );
    assert!(held.reason.contains("`ykprov retire`"), "{}", held.reason);
    assert!(prepared.before.needs_action(), "a removed key waits for a person");
    let (_tx, mut rx) = watch::channel(false);
    repair::apply(&o, &prepared, &client, &mut rx).await.unwrap();
    assert_eq!(uploads_of(&s, &s.serial(4)), 1, "{r:?}: held, not uploaded");
    o.restore.insert(s.serial(4));
    let prepared = repair::prepare(&o, &client).await.unwrap();
    let a = prepared
        .plan
        .actions
        .iter()
        .find(|a| a.serial == s.serial(4))
        .unwrap();
    let expected = if r.soft {
        RepairAction::Reupload
    } else {
        RepairAction::Upload
    };
    assert_eq!(a.action, expected);
    repair::apply(&o, &prepared, &client, &mut rx).await.unwrap();
    assert_eq!(
        s.emu.log().stored_per_serial.get(s.serial(4).as_str()),
        Some(&2),
        "restored once"
    );
}
every_reading!(a_removed_key_is_held_until_restored);

/// Key 3's user is ACTIVE but the key shows BLOCKED (what a factor reset may leave): with
/// --reissue-blocked it is held as blocked_active_user, while key 2 (its user deactivated, read
/// from Okta) is reissued; naming key 3 with --serial reissues it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_key_of_an_active_user_is_held_and_reissued_only_when_named() {
    let r = Reading {
        soft: false,
        unenroll_revokes: false,
        delete_refused: false,
    };
    let s = Scene::new(r, 37_000_000).await;
    let t3 = crate::helpers::client_tokens(&s.emu)
        .into_iter()
        .find(|t| t.serial_padded().as_ref() == Some(&s.serial(3)))
        .unwrap();
    assert!(s.emu.block_token_of_active_user(&t3.id));
    let mut o = options(&s, Facts::default());
    o.restore.insert(s.serial(4));
    let client = client_for(&s.emu, RateSetting::Auto { share: 1.0 });
    let users_before = s.emu.log().count(Endpoint::GetUser);
    let prepared = repair::prepare(&o, &client).await.unwrap();
    assert_eq!(
        s.emu.log().count(Endpoint::GetUser) - users_before,
        2,
        "each BLOCKED key's user read"
    );
    let held = prepared
        .plan
        .held
        .iter()
        .find(|h| h.hold == Hold::BlockedActiveUser)
        .unwrap();
    assert_eq!(held.serial.as_ref(), Some(&s.serial(3)));
    assert!(
        held.reason.contains("a factor reset? the key may be lost"),
        "{}",
        held.reason
    );
    let reissued: Vec<&Serial> = prepared
        .plan
        .actions
        .iter()
        .filter(|a| a.action == RepairAction::Reissue)
        .map(|a| &a.serial)
        .collect();
    assert_eq!(reissued, [&s.serial(2)]);
    // A suspended user may come back: not deactivated, so their BLOCKED key is held too.
    assert!(s.emu.suspend_user(&s.emu.users()[2].id));
    let prepared = repair::prepare(&o, &client).await.unwrap();
    let held = prepared
        .plan
        .held
        .iter()
        .find(|h| h.hold == Hold::BlockedActiveUser)
        .unwrap();
    assert!(held.reason.contains("is SUSPENDED"), "{}", held.reason);
    o.serials.insert(s.serial(3));
    let prepared = repair::prepare(&o, &client).await.unwrap();
    let only: Vec<(&Serial, RepairAction)> = prepared
        .plan
        .actions
        .iter()
        .map(|a| (&a.serial, a.action))
        .collect();
    assert_eq!(
        only,
        [(&s.serial(3), RepairAction::Reissue)],
        "--serial narrows, and knows better"
    );
    let (_tx, mut rx) = watch::channel(false);
    let summary = repair::apply(&o, &prepared, &client, &mut rx).await.unwrap();
    assert_eq!(
        (summary.counts.done, summary.counts.deleted),
        (1, 1),
        "{summary:#?}"
    );
    assert_eq!(s.live_status(3).as_deref(), Some("UNASSIGNED"));
}
