//! Integration tests of the emulator (issue 3): every endpoint, error code, header and fault,
//! driven over real HTTP with reqwest. Timing is checked from the emulator's request log, never
//! with sleeps.

mod faults;
mod lifecycle;
mod limits;
mod listing;
mod server;
mod tokens;

use crate::helpers::{spawn_emulator, TestDir};
use okta_emulator::fields::{AesKey, PrivateId, PublicId};
use okta_emulator::rate_limit::Bucket;
use okta_emulator::{otp, EmulatorConfig, EmulatorHandle, Endpoint, RateLimit};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;
use ykprov::okta::models::{TokenStatus, YubikeyToken, TOKENS_PATH};

const KEY: &str = "1fcc6d8ce39bf1604e0b17f3e0a11067";
const PRIVATE: &str = "b74be6169486";

/// A public id unique to `n` (12 modhex characters).
fn public_id(n: u32) -> String {
    otp::modhex_encode(&[0, 0, (n >> 24) as u8, (n >> 16) as u8, (n >> 8) as u8, n as u8])
}

fn seed_body(serial: u32) -> Value {
    json!({"serialNumber": serial.to_string(), "publicId": public_id(serial), "privateId": PRIVATE, "aesKey": KEY})
}

fn otp_for(serial: u32, counter: u16, session: u8) -> String {
    otp::generate(
        &PublicId::parse(&public_id(serial)).unwrap(),
        &PrivateId::parse(PRIVATE).unwrap(),
        &AesKey::parse(KEY).unwrap(),
        counter,
        session,
        0x10203,
        0x4242,
    )
}

struct Api {
    emu: EmulatorHandle,
    http: Client,
}

impl Api {
    async fn start(config: EmulatorConfig) -> Api {
        Api {
            emu: spawn_emulator(config).await,
            http: Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.url())
    }

    fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            self.url(path)
        };
        self.http
            .request(method, url)
            .header("Authorization", format!("SSWS {}", self.emu.token()))
            .header("Accept", "application/json")
    }

    async fn upload(&self, serial: u32) -> Response {
        self.req(Method::POST, TOKENS_PATH)
            .json(&seed_body(serial))
            .send()
            .await
            .unwrap()
    }

    async fn upload_ok(&self, serial: u32) -> YubikeyToken {
        let r = self.upload(serial).await;
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }

    async fn get(&self, path: &str) -> Response {
        self.req(Method::GET, path).send().await.unwrap()
    }

    async fn enroll(&self, user: &str, pass_code: &str) -> Response {
        let body =
            json!({"factorType": "token:hardware", "provider": "YUBICO", "verify": {"passCode": pass_code}});
        self.req(Method::POST, &format!("/api/v1/users/{user}/factors"))
            .json(&body)
            .send()
            .await
            .unwrap()
    }
}

async fn error_code(r: Response) -> (StatusCode, String, Vec<String>) {
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errorLink"], body["errorCode"]);
    assert!(body["errorId"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(body["errorSummary"].as_str().is_some());
    let causes = body["errorCauses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["errorSummary"].as_str().unwrap().to_string())
        .collect();
    (status, body["errorCode"].as_str().unwrap().to_string(), causes)
}

fn header<'a>(r: &'a Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header"))
}

fn next_link(r: &Response) -> Option<String> {
    r.headers()
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.ends_with("rel=\"next\""))
        .map(|v| v[1..v.find('>').unwrap()].to_string())
}

/// Follows `next` links to the end; returns the ids of every page and the page count.
async fn walk(api: &Api, first: &str) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut url = api.url(first);
    let mut pages = 0;
    loop {
        let r = api.get(&url).await;
        assert_eq!(r.status(), StatusCode::OK, "{url}");
        let next = next_link(&r);
        let page: Vec<YubikeyToken> = r.json().await.unwrap();
        pages += 1;
        ids.extend(page.into_iter().map(|t| t.id));
        match next {
            Some(n) => url = n,
            None => return (ids, pages),
        }
        assert!(pages < 1000, "pagination does not end");
    }
}

fn urlencode(s: &str) -> String {
    okta_emulator::pagination::encode(s)
}
