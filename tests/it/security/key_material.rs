//! Finding 2: a private key that is not PEM (a JWK, or a PEM body without its BEGIN line) was
//! taken for a path and printed in the error, by `config show` too, and in JSON logs. Now no
//! message quotes it, and JWK private keys work as in the SDKs.

use crate::helpers::{spawn_emulator, TestDir};
use crate::seeds;
use okta_emulator::oauth::OAuthClient;
use okta_emulator::EmulatorConfig;

const EC_JWK: &str = include_str!("../../fixtures/keys/test-ec.jwk.json");
const RSA_PEM: &str = include_str!("../../fixtures/keys/test-rsa.pem");
const EC_PUB: &str = include_str!("../../fixtures/keys/test-ec.pub.pem");

fn ykprov(args: &[&str], key: &str, org: &str) -> std::process::Output {
    crate::helpers::bin()
        .args(args)
        .env("HOME", "/nonexistent")
        .env("YKPROV_STATE_DIR", crate::helpers::private_state())
        .env("OKTA_CLIENT_ORGURL", org)
        .env("OKTA_CLIENT_AUTHORIZATIONMODE", "PrivateKey")
        .env("OKTA_CLIENT_CLIENTID", "0oa-jwk")
        .env("OKTA_CLIENT_PRIVATEKEY", key)
        .env_remove("OKTA_CLIENT_TOKEN")
        .output()
        .unwrap()
}

/// The base64 body of the RSA PEM, without its armour: key material, and no path.
fn pem_body() -> String {
    RSA_PEM
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_pem_body_without_its_begin_line_is_never_echoed() {
    let body = pem_body();
    let first = body.lines().nth(1).unwrap().to_string();
    let dir = TestDir::new();
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(7_300_100, 1)));
    for args in [
        vec!["config", "show"],
        vec!["--log-format", "json", "-vv", "reconcile", file.to_str().unwrap()],
    ] {
        let out = ykprov(&args, &body, "https://acme.okta.com");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(2), "{args:?}: {all}");
        assert!(all.contains("neither PEM, a JWK nor a readable file"), "{all}");
        assert!(!all.contains(&first), "{args:?} printed key material: {all}");
    }
}

#[tokio::test]
async fn a_jwk_private_key_authenticates_and_is_never_echoed() {
    let emu = spawn_emulator(EmulatorConfig {
        oauth_clients: vec![OAuthClient {
            client_id: "0oa-jwk".into(),
            public_key_pem: EC_PUB.into(),
            scopes: vec!["okta.users.read".into()],
        }],
        ..EmulatorConfig::default()
    })
    .await;
    let dir = TestDir::new();
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(7_300_000, 2)));
    let url = emu.url();
    let out =
        tokio::task::spawn_blocking(move || ykprov(&["reconcile", file.to_str().unwrap()], EC_JWK, &url))
            .await
            .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Two seeds missing from an empty org: exit 1, after a successful token request.
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert_eq!(emu.access_tokens_issued(), 1, "{all}");
    let d: serde_json::Value = serde_json::from_str(EC_JWK).unwrap();
    assert!(!all.contains(d["d"].as_str().unwrap()), "{all}");
}
