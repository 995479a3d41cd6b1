//! DPoP: proofs with the nonce on every call, and a DPoP token without a valid proof.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_requiring_dpop_gets_proofs_with_the_nonce_and_every_call_is_bound() {
    let emu = emulator_with(vec![app("0oa", RSA_PUB, &[READ, MANAGE])], |c| {
        c.require_dpop = true
    })
    .await;
    let dir = TestDir::new();
    let file = dir.write("s.csv", seeds::csv(&seeds::rows(850_000, 6)));
    let summary = upload_with(
        oauth_client(&emu.url(), settings("0oa", RSA), UPLOAD_SCOPES),
        &file,
    )
    .await;
    assert_eq!(summary.counts.uploaded, 6, "{:?}", summary.fatal);
    let log = emu.log();
    // No proof → invalid_dpop_proof; proof without nonce → use_dpop_nonce; then the token.
    assert_eq!(log.count(Endpoint::OAuthToken), 3);
    assert_eq!(emu.access_tokens_issued(), 1);
    assert_eq!(log.served_401, 0);
    // Configured DPoP skips the first refusal; reads are bound too.
    let mut s = settings("0oa", RSA);
    s.dpop = true;
    let client = oauth_client(&emu.url(), s, READ_SCOPES);
    let r = reconcile(&reconcile_opts(&file), &client).await.unwrap();
    assert!(!r.needs_action());
    assert_eq!(emu.log().count(Endpoint::OAuthToken), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dpop_token_without_a_valid_proof_is_refused() {
    let emu = emulator_with(vec![app("0oa", EC_PUB, &[READ])], |c| c.require_dpop = true).await;
    let mut s = settings("0oa", EC);
    s.dpop = true;
    let client = oauth_client(&emu.url(), s, READ_SCOPES);
    client.list_page(client.list_url(20, None, false)).await.unwrap();
    let token = emu.access_tokens().pop().unwrap();
    let url = format!("{}{}", emu.url(), ykprov::okta::models::TOKENS_PATH);
    let http = reqwest::Client::new();
    for auth in [format!("Bearer {token}"), format!("DPoP {token}")] {
        let r = http.get(&url).header("authorization", auth).send().await.unwrap();
        assert_eq!(r.status(), 401);
    }
}
