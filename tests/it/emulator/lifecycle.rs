//! Enrollment with a real OTP, the lifecycle that follows, and the handle's helpers for users.

use super::*;

#[tokio::test]
async fn enrollment_verifies_the_otp_and_the_lifecycle_follows_okta() {
    let api = Api::start(EmulatorConfig::default()).await;
    let user = api.emu.users()[0].id.clone();
    let token = api.upload_ok(42).await;

    let (status, code, _) = error_code(api.enroll(&user, "cccccccccccc").await).await;
    assert_eq!((status, code.as_str()), (StatusCode::FORBIDDEN, "E0000068"));
    let forged = otp::generate(
        &PublicId::parse(&public_id(42)).unwrap(),
        &PrivateId::parse(PRIVATE).unwrap(),
        &AesKey::parse("00000000000000000000000000000000").unwrap(),
        1,
        0,
        0,
        0,
    );
    let (_, code, _) = error_code(api.enroll(&user, &forged).await).await;
    assert_eq!(code, "E0000068", "wrong key fails the CRC");
    let r = api
        .req(Method::POST, &format!("/api/v1/users/{user}/factors"))
        .json(&json!({"factorType": "sms", "provider": "OKTA"}))
        .send()
        .await
        .unwrap();
    let (_, code, causes) = error_code(r).await;
    assert_eq!((code.as_str(), causes.len()), ("E0000001", 3));

    let r = api.enroll(&user, &otp_for(42, 5, 0)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let factor: Value = r.json().await.unwrap();
    assert_eq!(factor["factorType"], "token:hardware");
    assert_eq!(factor["provider"], "YUBICO");
    assert_eq!(factor["status"], "ACTIVE");
    assert_eq!(factor["profile"]["credentialId"], "000000000042");
    let fid = factor["id"].as_str().unwrap().to_string();
    assert!(fid.starts_with("ykf"));

    let t: YubikeyToken = api
        .get(&format!("{TOKENS_PATH}/{}", token.id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t.status, TokenStatus::Active);
    assert!(t.activated.is_some());
    assert_eq!(t.user_id().as_deref(), Some(user.as_str()));
    assert_eq!(
        t.links["deactivate"].href,
        format!("{}/api/v1/users/{user}/factors/{fid}", api.emu.url())
    );

    // The same OTP (or an older one) on another user is a replay.
    let other = api.emu.users()[1].id.clone();
    let (_, code, _) = error_code(api.enroll(&other, &otp_for(42, 5, 0)).await).await;
    assert_eq!(code, "E0000001", "the key is already assigned");
    let (_, code, _) = error_code(api.enroll(&user, &otp_for(42, 6, 0)).await).await;
    assert_eq!(code, "E0000001", "one YubiKey factor per user");

    let (status, code, _) = error_code(
        api.req(Method::DELETE, &format!("{TOKENS_PATH}/{}", t.id))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code.as_str()), (StatusCode::FORBIDDEN, "E0000102"));

    let list: Vec<Value> = api
        .get(&format!("/api/v1/users/{user}/factors"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    let one: Value = api
        .get(&format!("/api/v1/users/{user}/factors/{fid}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["id"], fid);
    let u: Value = api
        .get(&format!("/api/v1/users/{user}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(u["status"], "ACTIVE");
    assert_eq!(u["profile"]["login"], "user1@example.com");

    // Unenroll: 204, the token is UNASSIGNED again, and old OTPs stay replays.
    let r = api
        .req(Method::DELETE, &format!("/api/v1/users/{user}/factors/{fid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        crate::helpers::client_tokens(&api.emu)[0].status,
        TokenStatus::Unassigned
    );
    let (status, code, _) = error_code(api.enroll(&other, &otp_for(42, 5, 0)).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::FORBIDDEN, "E0000082"));
    assert_eq!(
        api.enroll(&other, &otp_for(42, 5, 1)).await.status(),
        StatusCode::OK
    );

    // Deactivating the user blocks their token, which can then be deleted.
    let r = api
        .req(
            Method::POST,
            &format!("/api/v1/users/{other}/lifecycle/deactivate"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let t = &crate::helpers::client_tokens(&api.emu)[0];
    assert_eq!(t.status, TokenStatus::Blocked);
    let u: Value = api
        .get(&format!("/api/v1/users/{other}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(u["status"], "DEPROVISIONED");
    let r = api
        .req(Method::DELETE, &format!("{TOKENS_PATH}/{}", t.id))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(api.emu.tokens().is_empty());
    let log = api.emu.log();
    assert_eq!(log.count(Endpoint::DeactivateUser), 1);
    assert_eq!(log.count(Endpoint::DeleteFactor), 1);
    assert_eq!(log.count(Endpoint::ListFactors), 1);
    assert_eq!(log.count(Endpoint::GetFactor), 1);
    assert_eq!(log.count(Endpoint::GetUser), 2);
    assert!(log.count(Endpoint::EnrollFactor) >= 7);
}

#[tokio::test]
async fn handle_helpers_enroll_and_deactivate_over_http_and_users_can_come_from_a_file() {
    let dir = TestDir::new();
    let file = dir.write(
        "users.txt",
        "# rehearsal\nada@example.com,Ada,Lovelace\nbob@example.com\n",
    );
    let api = Api::start(EmulatorConfig {
        users_file: Some(file),
        ..Default::default()
    })
    .await;
    let users = api.emu.users();
    assert_eq!(
        users.iter().map(|u| u.login.as_str()).collect::<Vec<_>>(),
        ["ada@example.com", "bob@example.com"]
    );
    api.upload_ok(9).await;
    let fid = api.emu.enroll(&users[0].id, &otp_for(9, 1, 0)).await.unwrap();
    assert!(fid.starts_with("ykf"));
    let err = api.emu.enroll(&users[1].id, &otp_for(9, 1, 0)).await.unwrap_err();
    assert!(err.to_string().contains("E0000001"), "{err:#}");
    api.emu.deactivate_user(&users[0].id).await.unwrap();
    assert_eq!(
        crate::helpers::client_tokens(&api.emu)[0].status,
        TokenStatus::Blocked
    );
    assert_eq!(
        api.emu.users()[0].status,
        okta_emulator::UserStatus::Deprovisioned
    );
    assert!(api.emu.deactivate_user("00uNOPE").await.is_err());
    let log = api.emu.log();
    assert_eq!(
        (
            log.count(Endpoint::EnrollFactor),
            log.count(Endpoint::DeactivateUser)
        ),
        (2, 2)
    );

    let bad = dir.write("bad.txt", "a@x\nA@X\n");
    let err = okta_emulator::spawn(EmulatorConfig {
        users_file: Some(bad),
        ..Default::default()
    })
    .await
    .err()
    .unwrap();
    assert!(format!("{err:#}").contains("line 2"), "{err:#}");
}
