//! Scopes: a read-only app, a token without `manage`, and the emulator's answer to a missing one.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_app_cannot_upload_and_the_binary_says_which_scope_is_missing() {
    let emu = emulator_with(vec![app("0oa-ro", RSA_PUB, &[READ])], |_| {}).await;
    let dir = TestDir::new();
    let file = dir.write("s.csv", seeds::csv(&seeds::rows(830_000, 3)));
    let key = key_path("test-rsa.pem");
    let out = crate::helpers::private_binary()
        .args([
            "upload",
            file.to_str().unwrap(),
            "--authorization-mode",
            "PrivateKey",
        ])
        .args(["--client-id", "0oa-ro", "--private-key", &key])
        .env("OKTA_CLIENT_ORGURL", emu.url())
        .env("HOME", "/nonexistent")
        .env("YKPROV_STATE_DIR", crate::helpers::private_state())
        .env_remove("OKTA_CLIENT_TOKEN")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the app lacks scope okta.users.manage"),
        "{stderr}"
    );
    assert!(
        stderr.contains("request_id="),
        "the failed call's X-Okta-Request-Id is logged: {stderr}"
    );
    assert!(emu.tokens().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_without_manage_gets_403_insufficient_scope_reported_by_name() {
    let emu = emulator_with(vec![app("0oa", EC_PUB, &[READ, MANAGE])], |_| {}).await;
    let dir = TestDir::new();
    let file = dir.write("s.csv", seeds::csv(&seeds::rows(840_000, 3)));
    // Configured for reads only: upload requests okta.users.read and its POSTs get 403.
    let mut s = settings("0oa", EC);
    s.scopes = Some(vec![READ.to_string()]);
    let summary = upload_with(oauth_client(&emu.url(), s, UPLOAD_SCOPES), &file).await;
    let fatal = summary.fatal.expect("a missing scope stops the run");
    assert!(fatal.contains("the app lacks scope okta.users.manage"), "{fatal}");
    assert_eq!(summary.counts.uploaded, 0);
    assert!(emu.log().entries.iter().any(|e| e.status == Some(403)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_answers_a_missing_scope_as_okta_does() {
    use ykprov::okta::oauth::{client_assertion, AssertionClaims, SigningKey, ASSERTION_TYPE};
    let emu = emulator_with(vec![app("0oa", EC_PUB, &[READ, MANAGE])], |_| {}).await;
    let token_url: reqwest::Url = format!("{}/oauth2/v1/token", emu.url()).parse().unwrap();
    let key = SigningKey::from_pem(&Secret::new(EC.into())).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let http = reqwest::Client::new();
    let exchange = |claims: AssertionClaims, scope: &'static str| {
        let jwt = client_assertion(&key, &claims, None).unwrap();
        http.post(token_url.clone()).form(&[
            ("grant_type", "client_credentials"),
            ("scope", scope),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", jwt.expose().as_str()),
        ])
    };
    let answer: serde_json::Value = exchange(AssertionClaims::new("0oa", &token_url, now), MANAGE)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["expires_in"], 3600);
    assert_eq!(answer["scope"], MANAGE);
    let token = answer["access_token"].as_str().unwrap();
    // okta.users.manage does not imply okta.users.read.
    let r = http
        .get(format!("{}{}", emu.url(), ykprov::okta::models::TOKENS_PATH))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_string();
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(challenge.contains("error=\"insufficient_scope\""), "{challenge}");
    assert!(challenge.contains("scope=\"okta.users.read\""), "{challenge}");
    assert!(r.bytes().await.unwrap().is_empty(), "empty body, as Okta");
    // Bad assertions: wrong audience, wrong issuer's key, replayed jti, too long-lived.
    let mut wrong_aud = AssertionClaims::new("0oa", &token_url, now);
    wrong_aud.aud = "https://elsewhere.example/oauth2/v1/token".into();
    let mut unknown = AssertionClaims::new("0oa-other", &token_url, now);
    unknown.sub = "0oa-other".into();
    let mut long = AssertionClaims::new("0oa", &token_url, now);
    long.exp = now + 7200;
    let mut sub = AssertionClaims::new("0oa", &token_url, now);
    sub.sub = "someone-else".into();
    for claims in [wrong_aud, unknown, long, sub] {
        let r = exchange(claims, READ).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client");
    }
    let replay = AssertionClaims::new("0oa", &token_url, now);
    assert_eq!(exchange(replay.clone(), READ).send().await.unwrap().status(), 200);
    assert_eq!(exchange(replay, READ).send().await.unwrap().status(), 401);
    let r = exchange(AssertionClaims::new("0oa", &token_url, now), "okta.groups.read")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_scope");
}
