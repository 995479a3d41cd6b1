//! The store's rules: uniqueness, snapshots, soft deletes, enrollment and deactivation.

use super::*;

fn new_token(serial: u32, public: &str) -> NewToken {
    NewToken {
        serial: SerialNumber::new(serial).unwrap(),
        public_id: PublicId::parse(public).unwrap(),
        private_id: PrivateId::parse("b74be6169486").unwrap(),
        aes_key: AesKey::parse("1fcc6d8ce39bf1604e0b17f3e0a11067").unwrap(),
    }
}

#[test]
fn duplicates_by_serial_and_public_id_are_refused_with_causes() {
    let mut s = Store::default();
    s.insert(new_token(7886622, "ccccccijgibu"), now()).unwrap();
    let Err(StoreError::Duplicate(causes)) = s.insert(new_token(7886622, "ccccccijgibu"), now()) else {
        panic!("duplicate accepted")
    };
    assert_eq!(causes.len(), 2);
    assert!(s.insert(new_token(7886623, "ccccccijgibv"), now()).is_ok());
    assert_eq!(s.by_serial("000007886623").map(|t| t.seq), Some(1));
}

#[test]
fn snapshot_round_trips_tokens_users_and_enrollments() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let mut s = Store::default();
    s.add_users(users::generate(1, now()));
    let uid = s.users()[0].id.clone();
    let t = new_token(1, "ccccccijgibu");
    let otp = otp::generate(&t.public_id, &t.private_id, &t.aes_key, 1, 0, 1, 1);
    s.insert(t, now()).unwrap();
    s.enroll(&uid, &otp, now()).unwrap();
    s.save(&path).unwrap();
    let loaded = Store::load(&path).unwrap();
    let t = loaded.by_serial("000000000001").unwrap();
    assert_eq!(t.status, TokenStatus::Active);
    assert_eq!(t.user_id.as_deref(), Some(uid.as_str()));
    assert_eq!(t.last_counters, Some((1, 0)));
    assert_eq!(loaded.users().len(), 1);
    assert!(loaded.factor(&uid, t.factor_id.as_deref().unwrap()).is_ok());
}

#[test]
fn a_soft_delete_keeps_the_record_as_revoked_and_frees_the_serial() {
    let mut s = Store::default();
    let id = s.insert(new_token(5, "ccccccccccce"), now()).unwrap().id.clone();
    s.delete(&id, true, now()).unwrap();
    assert_eq!(s.get(&id).map(|t| t.status), Some(TokenStatus::Revoked));
    assert!(s.by_serial("000000000005").is_none());
    s.delete(&id, true, now()).unwrap();
    let again = s.insert(new_token(5, "ccccccccccce"), now()).unwrap().id.clone();
    assert_ne!(again, id);
    assert_eq!(
        s.by_serial("000000000005").map(|t| t.id.clone()),
        Some(again.clone())
    );
    assert_eq!(s.all().filter(|t| t.serial == "000000000005").count(), 2);
    let records: Vec<_> = s
        .records_of_serial("000000000005")
        .iter()
        .map(|t| t.id.clone())
        .collect();
    assert_eq!(
        records,
        [id, again],
        "a filter on the serial finds its history too"
    );
}

#[test]
fn active_tokens_cannot_be_deleted_and_deactivation_blocks_them() {
    let mut s = Store::default();
    s.add_users(users::generate(1, now()));
    let uid = s.users()[0].id.clone();
    let t = new_token(5, "ccccccccccbb");
    let otp = otp::generate(&t.public_id, &t.private_id, &t.aes_key, 3, 0, 1, 1);
    let id = s.insert(t, now()).unwrap().id.clone();
    s.enroll(&uid, &otp, now()).unwrap();
    assert_eq!(s.delete(&id, false, now()), Err(StoreError::TokenAssigned));
    assert_eq!(
        s.delete(&id, true, now()),
        Err(StoreError::TokenAssigned),
        "the soft-delete reading refuses it too"
    );
    s.deactivate_user(&uid, now()).unwrap();
    assert_eq!(s.get(&id).unwrap().status, TokenStatus::Blocked);
    assert_eq!(s.delete(&id, false, now()), Ok(()));
    assert!(s.get(&id).is_none() && s.by_serial("000000000005").is_none());
}

/// A store with one user who enrolled serial 6; the user's id and the token's.
fn enrolled() -> (Store, String, String) {
    let mut s = Store::default();
    s.add_users(users::generate(1, now()));
    let uid = s.users()[0].id.clone();
    let t = new_token(6, "cccccccccccg");
    let otp = otp::generate(&t.public_id, &t.private_id, &t.aes_key, 3, 0, 1, 1);
    let id = s.insert(t, now()).unwrap().id.clone();
    s.enroll(&uid, &otp, now()).unwrap();
    (s, uid, id)
}

#[test]
fn an_unenroll_leaves_the_token_unassigned_or_under_unenroll_revokes_a_revoked_record() {
    let (mut s, uid, id) = enrolled();
    let fid = s.get(&id).unwrap().factor_id.clone().unwrap();
    s.unenroll(&uid, &fid, now()).unwrap();
    assert_eq!(s.get(&id).unwrap().status, TokenStatus::Unassigned);
    assert!(
        s.by_serial("000000000006").is_some(),
        "still live: enrollable again"
    );

    let (mut s, uid, id) = enrolled();
    let fid = s.get(&id).unwrap().factor_id.clone().unwrap();
    s.unenroll_with(&uid, &fid, true, now()).unwrap();
    assert_eq!(s.get(&id).unwrap().status, TokenStatus::Revoked);
    assert!(s.by_serial("000000000006").is_none(), "history holds no serial");
    assert_eq!(
        s.records_of_serial("000000000006").len(),
        1,
        "but is still listed"
    );
    assert!(s.factors_of(&uid).unwrap().is_empty());
}

#[test]
fn delete_assigned_refused_refuses_a_once_enrolled_token_but_not_a_never_enrolled_one() {
    let (mut s, uid, id) = enrolled();
    let fid = s.get(&id).unwrap().factor_id.clone().unwrap();
    s.unenroll(&uid, &fid, now()).unwrap();
    assert_eq!(
        s.delete_with(&id, false, true, now()),
        Err(StoreError::TokenAssigned)
    );
    assert_eq!(
        s.delete_with(&id, true, false, now()),
        Ok(()),
        "the default reading allows it"
    );
    assert_eq!(s.get(&id).unwrap().status, TokenStatus::Revoked);

    let (mut s, uid, id) = enrolled();
    s.deactivate_user(&uid, now()).unwrap();
    assert_eq!(
        s.delete_with(&id, true, true, now()),
        Err(StoreError::TokenAssigned),
        "BLOCKED was assigned"
    );

    let mut s = Store::default();
    let id = s.insert(new_token(8, "ccccccccccci"), now()).unwrap().id.clone();
    assert_eq!(
        s.delete_with(&id, false, true, now()),
        Ok(()),
        "never enrolled: deletable"
    );
}
