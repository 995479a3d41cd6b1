//! OAuth for service apps against the emulator: `private_key_jwt` with RS256 and ES256, token
//! caching and refresh, scopes, DPoP with a nonce, redirects and foreign `Link`s, and no secret
//! in anything the tool prints or writes.

mod dpop;
mod redirects;
mod scopes;
mod secrets;
mod tokens;

use crate::helpers::TestDir;
use crate::seeds;
use crate::upload::{client_for, options};
use okta_emulator::oauth::OAuthClient;
use okta_emulator::{self as emulator, EmulatorConfig, EmulatorHandle, Endpoint};
use std::path::Path;
use std::time::Duration;
use tokio::sync::watch;
use ykprov::okta::config::{Credential, OAuthSettings};
use ykprov::okta::inventory::Via;
use ykprov::okta::oauth::{READ_SCOPES, UPLOAD_SCOPES};
use ykprov::okta::pacing::RateSetting;
use ykprov::okta::{ApiError, ClientConfig, OktaClient};
use ykprov::reconcile::diff::{Category, Scope};
use ykprov::reconcile::{reconcile, ReconcileOptions};
use ykprov::secret::Secret;
use ykprov::upload::upload;

const RSA: &str = include_str!("../../fixtures/keys/test-rsa.pem");
const RSA_PUB: &str = include_str!("../../fixtures/keys/test-rsa.pub.pem");
const EC: &str = include_str!("../../fixtures/keys/test-ec.pem");
const EC_PUB: &str = include_str!("../../fixtures/keys/test-ec.pub.pem");
const READ: &str = "okta.users.read";
const MANAGE: &str = "okta.users.manage";

fn key_path(name: &str) -> String {
    format!("{}/tests/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn app(id: &str, public: &str, granted: &[&str]) -> OAuthClient {
    OAuthClient {
        client_id: id.to_string(),
        public_key_pem: public.to_string(),
        scopes: granted.iter().map(|s| s.to_string()).collect(),
    }
}

async fn emulator_with(apps: Vec<OAuthClient>, tweak: impl FnOnce(&mut EmulatorConfig)) -> EmulatorHandle {
    let mut cfg = EmulatorConfig {
        oauth_clients: apps,
        ..EmulatorConfig::default()
    };
    tweak(&mut cfg);
    emulator::spawn(cfg).await.unwrap()
}

fn settings(id: &str, pem: &str) -> OAuthSettings {
    OAuthSettings {
        client_id: id.to_string(),
        scopes: None,
        private_key: Secret::new(pem.to_string()),
        kid: Some("test-kid".into()),
        dpop: false,
    }
}

fn oauth_client(url: &str, s: OAuthSettings, scopes: &[&str]) -> OktaClient {
    let mut cfg = ClientConfig::with_credential(url.parse().unwrap(), Credential::PrivateKey(s), scopes);
    cfg.rate = RateSetting::Auto { share: 1.0 };
    cfg.timeout = Duration::from_secs(5);
    OktaClient::new(cfg).unwrap()
}

fn reconcile_opts(file: &Path) -> ReconcileOptions {
    ReconcileOptions {
        files: vec![file.to_path_buf()],
        format: ykprov::seed::SeedFormat::Auto,
        via: Via::Pages,
        scope: Scope::File,
        stale_after: chrono::Duration::days(90),
        expand_user: false,
        fail_on: vec![Category::Missing, Category::Blocked, Category::Invalid],
        unseal: Default::default(),
        facts: Default::default(),
        expect: Default::default(),
    }
}

async fn upload_with(client: OktaClient, file: &Path) -> ykprov::upload::UploadSummary {
    let (_tx, rx) = watch::channel(false);
    upload(&options(file), client, rx).await.expect("upload runs")
}
