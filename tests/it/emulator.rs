//! Integration tests of the emulator (issue 3): every endpoint, error code, header and fault,
//! driven over real HTTP with reqwest. Timing is checked from the emulator's request log, never
//! with sleeps.

use crate::helpers::{spawn_emulator, TestDir};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;
use ykprov::emulator::rate_limit::Bucket;
use ykprov::emulator::{otp, EmulatorConfig, EmulatorHandle, Endpoint, RateLimit};
use ykprov::okta::models::{TokenStatus, YubikeyToken, TOKENS_PATH};
use ykprov::seed::{AesKey, PrivateId, PublicId};

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

#[tokio::test]
async fn upload_answers_like_okta_with_padded_serial_links_and_headers() {
    let api = Api::start(EmulatorConfig::default()).await;
    let r = api.upload(7886622).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!header(&r, "x-okta-request-id").is_empty());
    assert!(httpdate::parse_http_date(header(&r, "date")).is_ok());
    assert_eq!(header(&r, "x-rate-limit-limit"), "100000");
    assert_eq!(header(&r, "x-rate-limit-remaining"), "99999");
    assert!(header(&r, "x-rate-limit-reset").parse::<u64>().unwrap() > 1_700_000_000);
    let t: YubikeyToken = r.json().await.unwrap();
    assert!(t.id.starts_with("ykk") && t.id.len() == 20);
    assert_eq!(t.status, TokenStatus::Unassigned);
    assert_eq!(t.profile.serial.as_deref(), Some("000007886622"));
    assert_eq!(t.created, t.last_verified);
    assert!(t.activated.is_none());
    let link = &t.links["self"];
    assert_eq!(link.href, format!("{}{TOKENS_PATH}/{}", api.emu.url(), t.id));
    assert_eq!(link.hints.as_ref().unwrap().allow, ["GET", "DELETE"]);
    let got: YubikeyToken = api
        .get(&format!("{TOKENS_PATH}/{}", t.id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got, t);
    assert_eq!(api.emu.tokens(), vec![t]);
    let log = api.emu.log();
    assert_eq!(log.posts_per_serial["000007886622"], 1);
    assert_eq!(log.stored_per_serial["000007886622"], 1);
    assert_eq!(
        (log.count(Endpoint::UploadToken), log.count(Endpoint::GetToken)),
        (1, 1)
    );
}

#[tokio::test]
async fn duplicates_bad_fields_and_bad_json_are_refused_with_okta_codes() {
    let api = Api::start(EmulatorConfig::default()).await;
    api.upload_ok(1).await;
    let (status, code, causes) = error_code(api.upload(1).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::BAD_REQUEST, "E0000001"));
    assert_eq!(causes.len(), 2, "serial and public id both duplicate: {causes:?}");
    assert!(causes[0].starts_with("serialNumber:") && causes[1].starts_with("publicId:"));
    // Same serial padded differently is still the same serial.
    let mut body = seed_body(2);
    body["serialNumber"] = json!("0000000001");
    let r = api
        .req(Method::POST, TOKENS_PATH)
        .json(&body)
        .send()
        .await
        .unwrap();
    let (_, code, causes) = error_code(r).await;
    assert_eq!((code.as_str(), causes.len()), ("E0000001", 1));

    let bad = json!({"serialNumber": "0", "publicId": "ccccccijgiba", "privateId": 12, "aesKey": KEY.replace('1', "x")});
    let r = api
        .req(Method::POST, TOKENS_PATH)
        .json(&bad)
        .send()
        .await
        .unwrap();
    let (_, code, causes) = error_code(r).await;
    assert_eq!(code, "E0000001");
    assert_eq!(causes.len(), 4, "{causes:?}");
    assert!(
        causes.iter().all(|c| !c.contains("1fcc") && !c.contains("xfcc")),
        "no key in messages"
    );
    let r = api
        .req(Method::POST, TOKENS_PATH)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await.2.len(), 4, "every missing field is named");

    for body in ["{not json", "", "[1,2]", "\"text\""] {
        let r = api
            .req(Method::POST, TOKENS_PATH)
            .body(body)
            .send()
            .await
            .unwrap();
        let (status, code, _) = error_code(r).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, "E0000003"),
            "{body:?}"
        );
    }
    assert_eq!(api.emu.tokens().len(), 1);
    let log = api.emu.log();
    assert_eq!(log.posts_per_serial["000000000001"], 3);
    assert_eq!(log.stored_per_serial["000000000001"], 1);
}

#[tokio::test]
async fn auth_accepts_ssws_with_or_without_space_and_rotation_revokes_the_old_token() {
    let api = Api::start(EmulatorConfig {
        token: Some("00secret".into()),
        ..Default::default()
    })
    .await;
    let tokens = api.url(TOKENS_PATH);
    for auth in [Some("SSWS 00secret"), Some("SSWS00secret")] {
        let r = api
            .http
            .get(&tokens)
            .header("Authorization", auth.unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{auth:?}");
    }
    for auth in [
        None,
        Some("SSWS wrong"),
        Some("Bearer 00secret"),
        Some("00secret"),
    ] {
        let mut rq = api.http.get(&tokens);
        if let Some(a) = auth {
            rq = rq.header("Authorization", a);
        }
        let r = rq.send().await.unwrap();
        assert!(r.headers().contains_key("x-okta-request-id"));
        let (status, code, _) = error_code(r).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::UNAUTHORIZED, "E0000011"),
            "{auth:?}"
        );
    }
    api.emu.set_token("00rotated");
    let r = api
        .http
        .get(&tokens)
        .header("Authorization", "SSWS 00secret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        api.get(TOKENS_PATH).await.status(),
        StatusCode::OK,
        "the new token works"
    );
    assert_eq!(api.emu.log().served_401, 5);
}

#[tokio::test]
async fn unknown_paths_ids_and_methods_get_okta_errors() {
    let api = Api::start(EmulatorConfig::default()).await;
    for path in [
        "/api/v1/nope",
        "/",
        &format!("{TOKENS_PATH}/ykkNOPE"),
        "/api/v1/users/00uNOPE",
        "/api/v1/users/00uNOPE/factors",
        &format!("{TOKENS_PATH}/%FF%FE"),
    ] {
        let (status, code, _) = error_code(api.get(path).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::NOT_FOUND, "E0000007"),
            "{path}"
        );
    }
    let r = api.req(Method::PUT, TOKENS_PATH).send().await.unwrap();
    let (status, code, _) = error_code(r).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "E0000022")
    );
    let r = api
        .req(Method::DELETE, &format!("{TOKENS_PATH}/ykkNOPE"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(api.emu.log().count(Endpoint::Other), 3);
}

#[tokio::test]
async fn pagination_walks_every_token_once_in_order_with_absolute_links() {
    let api = Api::start(EmulatorConfig::default()).await;
    let mut uploaded = Vec::new();
    for s in 1..=205 {
        uploaded.push(api.upload_ok(s).await.id);
    }
    let first = api.get(TOKENS_PATH).await;
    let links: Vec<_> = first
        .headers()
        .get_all("link")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert_eq!(
        links[0],
        format!("<{}{TOKENS_PATH}>; rel=\"self\"", api.emu.url())
    );
    assert!(next_link(&first)
        .unwrap()
        .starts_with(&format!("{}{TOKENS_PATH}?after=", api.emu.url())));
    assert_eq!(
        first.json::<Vec<Value>>().await.unwrap().len(),
        20,
        "default limit"
    );
    let big = api.get(&format!("{TOKENS_PATH}?limit=5000")).await;
    assert_eq!(
        big.json::<Vec<Value>>().await.unwrap().len(),
        200,
        "limit is capped at 200"
    );

    let (ids, pages) = walk(&api, &format!("{TOKENS_PATH}?limit=7")).await;
    assert_eq!(ids, uploaded);
    assert_eq!(pages, 30);
    let (ids, _) = walk(&api, &format!("{TOKENS_PATH}?limit=200")).await;
    assert_eq!(ids, uploaded);
    // An exact multiple ends without an empty trailing page.
    let (ids, pages) = walk(&api, &format!("{TOKENS_PATH}?limit=41")).await;
    assert_eq!((ids.len(), pages), (205, 5));

    // Deleting behind the cursor mid-walk neither skips nor repeats a token.
    let r = api.get(&format!("{TOKENS_PATH}?limit=10")).await;
    let next = next_link(&r).unwrap();
    let r = api
        .req(Method::DELETE, &format!("{TOKENS_PATH}/{}", uploaded[3]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let page: Vec<YubikeyToken> = api.get(&next).await.json().await.unwrap();
    assert_eq!(page[0].id, uploaded[10]);

    let (ids, _) = walk(
        &api,
        &format!("{TOKENS_PATH}?limit=50&sortBy=profile.serial&sortOrder=DESC"),
    )
    .await;
    let mut expected: Vec<_> = uploaded.iter().filter(|i| **i != uploaded[3]).cloned().collect();
    expected.reverse();
    assert_eq!(ids, expected);
    let (ids, _) = walk(&api, &format!("{TOKENS_PATH}?limit=13&sortOrder=DESC")).await;
    assert_eq!(ids, expected);
    let (status, code, _) = error_code(api.get(&format!("{TOKENS_PATH}?after=bogus")).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::BAD_REQUEST, "E0000001"));
}

/// Uploads serials 1..=n and enrolls every third with user (i % users); returns the emulator.
async fn enrolled_fleet(n: u32) -> (Api, Vec<String>) {
    let api = Api::start(EmulatorConfig {
        users: 40,
        ..Default::default()
    })
    .await;
    let users: Vec<String> = api.emu.users().into_iter().map(|u| u.id).collect();
    for s in 1..=n {
        api.upload_ok(s).await;
        if s % 3 == 0 {
            let r = api
                .enroll(&users[(s / 3) as usize % users.len()], &otp_for(s, 1, 0))
                .await;
            assert_eq!(r.status(), StatusCode::OK);
        }
    }
    (api, users)
}

#[tokio::test]
async fn filters_select_by_serial_status_user_and_dates_across_pages() {
    let (api, users) = enrolled_fleet(60).await;
    let f = |filter: &str| format!("{TOKENS_PATH}?limit=4&filter={}", urlencode(filter));
    let (active, pages) = walk(&api, &f(r#"status eq "ACTIVE""#)).await;
    assert_eq!((active.len(), pages), (20, 5));
    let (unassigned, _) = walk(&api, &f(r#"status eq "UNASSIGNED""#)).await;
    assert_eq!(unassigned.len(), 40);
    assert!(active.iter().all(|a| !unassigned.contains(a)));
    for serial in ["7", "000000000007"] {
        let page: Vec<YubikeyToken> = api
            .get(&f(&format!(r#"profile.serial eq "{serial}""#)))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].profile.serial.as_deref(), Some("000000000007"));
    }
    let r = api.get(&f(r#"profile.serial eq "999""#)).await;
    assert!(next_link(&r).is_none());
    assert_eq!(r.json::<Vec<Value>>().await.unwrap().len(), 0);
    let page: Vec<YubikeyToken> = api
        .get(&f(&format!(r#"user.id eq "{}""#, users[1])))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].serial_padded().as_deref(), Some("000000000003"));
    let (all, _) = walk(
        &api,
        &f(r#"created gt "2000-01-01T00:00:00.000Z" and (status eq "ACTIVE" or status eq "UNASSIGNED")"#),
    )
    .await;
    assert_eq!(all.len(), 60);
    let (none, _) = walk(&api, &f(r#"created lt "2000-01-01T00:00:00.000Z""#)).await;
    assert!(none.is_empty());
    let (activated, _) = walk(&api, &f(r#"activated ge "2000-01-01T00:00:00.000Z""#)).await;
    assert_eq!(activated, active);
    let (verified, _) = walk(&api, &f(r#"lastVerified le "2999-01-01T00:00:00.000Z""#)).await;
    assert_eq!(verified.len(), 60);

    for bad in [
        "status",
        r#"status gt "ACTIVE""#,
        r#"profile.email eq "a""#,
        r#"(status eq "ACTIVE""#,
        "created gt \"soon\"",
    ] {
        let (status, code, causes) = error_code(api.get(&f(bad)).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, "E0000031"),
            "{bad}"
        );
        assert_eq!(causes.len(), 1);
    }
}

fn urlencode(s: &str) -> String {
    ykprov::emulator::pagination::encode(s)
}

#[tokio::test]
async fn expand_user_embeds_the_assigned_user() {
    let (api, users) = enrolled_fleet(6).await;
    let page: Vec<YubikeyToken> = api
        .get(&format!("{TOKENS_PATH}?expand=user"))
        .await
        .json()
        .await
        .unwrap();
    let assigned: Vec<_> = page.iter().filter(|t| t.status == TokenStatus::Active).collect();
    assert_eq!(assigned.len(), 2);
    for t in &assigned {
        let uid = t.user_id().unwrap();
        assert!(users.contains(&uid));
        assert!(t.user_login().unwrap().ends_with("@example.com"));
        assert_eq!(t.links["self"].hints.as_ref().unwrap().allow, ["GET"]);
        assert!(t.links["deactivate"]
            .href
            .contains(&format!("/api/v1/users/{uid}/factors/ykf")));
    }
    assert!(page
        .iter()
        .filter(|t| t.status != TokenStatus::Active)
        .all(|t| t.embedded.is_none()));
}

#[tokio::test]
async fn csv_download_has_a_header_row_default_limit_1000_and_link_pagination() {
    let (api, _) = enrolled_fleet(5).await;
    let r = api.get(&format!("{TOKENS_PATH}?forDownload=true")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(header(&r, "content-type").starts_with("text/csv"));
    assert!(next_link(&r).is_none());
    let text = r.text().await.unwrap();
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(
        lines[0],
        "id,serial,status,created,activated,lastVerified,lastUpdated,userId,login"
    );
    assert_eq!(lines.len(), 6);
    let active = lines.iter().find(|l| l.contains(",ACTIVE,")).unwrap();
    assert!(active.contains("000000000003") && active.contains("@example.com"));
    let mut rows = Vec::new();
    let mut url = api.url(&format!("{TOKENS_PATH}?forDownload=true&limit=2"));
    loop {
        let r = api.get(&url).await;
        let next = next_link(&r);
        let text = r.text().await.unwrap();
        assert!(text.starts_with("id,serial,"), "every page has the header");
        rows.extend(text.lines().skip(1).map(str::to_string));
        match next {
            Some(n) => url = n,
            None => break,
        }
    }
    assert_eq!(rows.len(), 5);
    // A larger fleet shows the 1000 default.
    let api = Api::start(EmulatorConfig::default()).await;
    for s in 1..=1001 {
        api.upload_ok(s).await;
    }
    let r = api.get(&format!("{TOKENS_PATH}?forDownload=true")).await;
    assert!(next_link(&r).is_some());
    assert_eq!(r.text().await.unwrap().lines().count(), 1001);
}

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
    assert_eq!(api.emu.tokens()[0].status, TokenStatus::Unassigned);
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
    let t = &api.emu.tokens()[0];
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
async fn the_token_path_is_one_bucket_for_every_method_and_users_have_their_own() {
    let api =
        Api::start(EmulatorConfig::default().with_rate_limit(RateLimit::new(4, Duration::from_secs(60))))
            .await;
    let token = api.upload_ok(1).await;
    let r = api.get(TOKENS_PATH).await;
    assert_eq!(header(&r, "x-rate-limit-remaining"), "2");
    let r = api.get(&format!("{TOKENS_PATH}/{}", token.id)).await;
    assert_eq!(header(&r, "x-rate-limit-remaining"), "1");
    let r = api
        .req(Method::DELETE, &format!("{TOKENS_PATH}/{}", token.id))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "x-rate-limit-remaining"), "0");
    // The fifth call on the token path is refused whatever its method; users are not affected.
    let r = api.upload(2).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let user = &api.emu.users()[0];
    let r = api.get(&format!("/api/v1/users/{}", user.id)).await;
    assert_eq!(
        (r.status(), header(&r, "x-rate-limit-remaining")),
        (StatusCode::OK, "3")
    );
    let log = api.emu.log();
    let per_window: Vec<_> = log.per_window().into_iter().map(|(w, n)| (w.bucket, n)).collect();
    assert_eq!(
        per_window,
        [(Bucket::ApiV1, 5), (Bucket::Users, 1)],
        "the log counts each request in its bucket's window, 429s included"
    );
}

#[tokio::test]
async fn rate_limit_windows_are_per_bucket_and_answer_429_with_headers() {
    let limit = RateLimit::new(3, Duration::from_secs(60));
    // Split buckets are not Okta's layout (`--get-rate-limit`, `--post-rate-limit` ask for them).
    let api = Api::start(EmulatorConfig {
        post_limit: Some(limit),
        get_limit: Some(RateLimit::new(5, Duration::from_secs(60))),
        ..Default::default()
    })
    .await;
    for s in 1..=3 {
        let r = api.upload(s).await;
        assert_eq!(header(&r, "x-rate-limit-remaining"), (3 - s).to_string());
    }
    let r = api.upload(4).await;
    assert_eq!(header(&r, "x-rate-limit-limit"), "3");
    assert_eq!(header(&r, "x-rate-limit-remaining"), "0");
    let reset: u64 = header(&r, "x-rate-limit-reset").parse().unwrap();
    let date = httpdate::parse_http_date(header(&r, "date")).unwrap();
    let now = date.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(reset > now && reset <= now + 61, "reset {reset} vs date {now}");
    let (status, code, _) = error_code(r).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "E0000047")
    );
    // GETs have their own bucket.
    let r = api.get(TOKENS_PATH).await;
    assert_eq!(
        (r.status(), header(&r, "x-rate-limit-limit")),
        (StatusCode::OK, "5")
    );
    let log = api.emu.log();
    assert_eq!(log.served_429, 1);
    assert_eq!(log.served_concurrency_429, 0);
    assert!(
        !log.posts_per_serial.contains_key("000000000004"),
        "a 429 never reaches the store"
    );
    let statuses: Vec<_> = log.entries_for(Endpoint::UploadToken).map(|e| e.status).collect();
    assert_eq!(statuses, [Some(200), Some(200), Some(200), Some(429)]);
}

#[tokio::test]
async fn concurrency_limit_answers_429_with_zero_limit_and_remaining() {
    let api = Api::start(EmulatorConfig {
        concurrency_limit: Some(2),
        latency: Duration::from_millis(300),
        ..Default::default()
    })
    .await;
    let requests = (0..8).map(|_| {
        let rq = api.req(Method::GET, TOKENS_PATH);
        async move { rq.send().await.unwrap() }
    });
    let responses = futures_join_all(requests).await;
    let mut rejected = 0;
    for r in responses {
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            rejected += 1;
            assert_eq!(header(&r, "x-rate-limit-limit"), "0");
            assert_eq!(header(&r, "x-rate-limit-remaining"), "0");
            assert!(header(&r, "x-rate-limit-reset").parse::<u64>().is_ok());
            assert_eq!(error_code(r).await.1, "E0000047");
        }
    }
    let log = api.emu.log();
    // Ideally 6 of 8 are refused; only require some, in case a loaded machine staggers the sends.
    assert!(
        rejected >= 1,
        "8 concurrent 300 ms requests against a limit of 2: none rejected"
    );
    assert_eq!(log.count(Endpoint::ListTokens), 8);
    assert_eq!(log.served_concurrency_429, rejected);
    assert_eq!(log.served_429, rejected);
    assert_eq!(log.max_in_flight, 2);
}

async fn futures_join_all<F: std::future::Future<Output = Response> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<Response> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn fail_rate_answers_5xx_before_storing_and_can_be_changed_mid_run() {
    let api = Api::start(EmulatorConfig {
        fail_rate: 1.0,
        fault_seed: 9,
        ..Default::default()
    })
    .await;
    let mut seen = HashSet::new();
    for s in 1..=20 {
        let r = api.upload(s).await;
        assert!(r.headers().contains_key("x-okta-request-id"));
        let (status, code, _) = error_code(r).await;
        seen.insert((status.as_u16(), code));
    }
    assert_eq!(
        seen,
        HashSet::from([(500, "E0000009".to_string()), (503, "E0000010".to_string())])
    );
    assert!(api.emu.tokens().is_empty(), "nothing stored");
    assert!(api.emu.log().posts_per_serial.is_empty());
    api.emu.set_faults(0.0, 0.0);
    api.upload_ok(1).await;
    let log = api.emu.log();
    assert_eq!((log.failed, log.count(Endpoint::UploadToken)), (20, 21));
}

#[tokio::test]
async fn drop_after_commit_stores_the_token_and_closes_the_connection_without_a_response() {
    let api = Api::start(EmulatorConfig {
        drop_after_commit_rate: 1.0,
        ..Default::default()
    })
    .await;
    let sent = api
        .req(Method::POST, TOKENS_PATH)
        .json(&seed_body(77))
        .send()
        .await;
    let err = sent.expect_err("no response must arrive");
    assert!(
        !err.is_timeout(),
        "the connection is closed, not left hanging: {err:#}"
    );
    assert!(
        err.is_request() || err.is_connect() || err.to_string().contains("connection"),
        "{err:#}"
    );
    // It was committed: the token is there, and a naive retry meets a duplicate.
    assert_eq!(api.emu.tokens().len(), 1);
    api.emu.set_faults(0.0, 0.0);
    let (_, code, _) = error_code(api.upload(77).await).await;
    assert_eq!(code, "E0000001");
    let found: Vec<YubikeyToken> = api
        .get(&format!(
            "{TOKENS_PATH}?filter={}",
            urlencode(r#"profile.serial eq "77""#)
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let log = api.emu.log();
    assert_eq!(log.dropped_after_commit, 1);
    assert_eq!(log.posts_per_serial["000000000077"], 2);
    assert_eq!(log.stored_per_serial["000000000077"], 1);
    let statuses: Vec<_> = log.entries_for(Endpoint::UploadToken).map(|e| e.status).collect();
    assert_eq!(statuses, [None, Some(400)]);
}

#[tokio::test]
async fn latency_delays_requests_and_is_visible_in_the_log() {
    let api = Api::start(EmulatorConfig {
        latency: Duration::from_millis(40),
        latency_jitter: Duration::from_millis(10),
        ..Default::default()
    })
    .await;
    let started = std::time::Instant::now();
    for _ in 0..3 {
        assert_eq!(api.get(TOKENS_PATH).await.status(), StatusCode::OK);
    }
    assert!(started.elapsed() >= Duration::from_millis(120));
    let log = api.emu.log();
    let at: Vec<_> = log.entries.iter().map(|e| e.at).collect();
    assert!(
        at.windows(2).all(|w| w[1] - w[0] >= Duration::from_millis(40)),
        "{at:?}"
    );
}

#[tokio::test]
async fn state_file_survives_a_restart() {
    let dir = TestDir::new();
    let path = dir.path().join("emu-state.json");
    let config = || EmulatorConfig {
        state_file: Some(path.clone()),
        users: 2,
        ..Default::default()
    };
    let api = Api::start(config()).await;
    let user = api.emu.users()[0].id.clone();
    api.upload_ok(5).await;
    assert_eq!(
        api.enroll(&user, &otp_for(5, 1, 0)).await.status(),
        StatusCode::OK
    );
    api.upload_ok(6).await;
    let before = api.emu.tokens();
    api.emu.shutdown().await.unwrap();
    assert!(path.exists());

    let api = Api::start(config()).await;
    let after = api.emu.tokens();
    assert_eq!(after.len(), 2);
    assert_eq!(
        after.iter().map(|t| (&t.id, &t.status)).collect::<Vec<_>>(),
        before.iter().map(|t| (&t.id, &t.status)).collect::<Vec<_>>()
    );
    assert_eq!(api.emu.users()[0].id, user);
    // Counters survived too: the old OTP is still a replay after unenrolling.
    let fid = api
        .get(&format!("/api/v1/users/{user}/factors"))
        .await
        .json::<Vec<Value>>()
        .await
        .unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    api.req(Method::DELETE, &format!("/api/v1/users/{user}/factors/{fid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(api.enroll(&user, &otp_for(5, 1, 0)).await).await.1,
        "E0000082"
    );
    api.emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn hostile_requests_get_4xx_never_a_crash() {
    let api = Api::start(EmulatorConfig::default()).await;
    api.upload_ok(1).await;
    let queries = [
        "limit=abc",
        "limit=99999999999999999999",
        "limit=",
        "sortBy=evil",
        "sortOrder=sideways",
        "forDownload=maybe",
        "filter=",
        "filter=%22",
        "filter=((((",
        "after=%FF",
        "after=3a",
        "filter=status%20eq%20%22%FF%22",
        "%",
        "&&&=&=",
        "expand=everything",
    ];
    for q in queries {
        let r = api.get(&format!("{TOKENS_PATH}?{q}")).await;
        assert!(
            r.status().is_success() || r.status().is_client_error(),
            "{q}: {}",
            r.status()
        );
    }
    let huge = "x".repeat(3 * 1024 * 1024);
    let r = api
        .req(Method::POST, TOKENS_PATH)
        .body(huge)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let r = api
        .req(Method::POST, "/api/v1/users/%00/factors")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let r = api
        .req(Method::POST, TOKENS_PATH)
        .body(deep)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await.1, "E0000003");
    // Still serving.
    assert_eq!(api.get(TOKENS_PATH).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn shutdown_is_graceful_and_frees_the_port() {
    let api = Api::start(EmulatorConfig::default()).await;
    let url = api.emu.url();
    api.upload_ok(1).await;
    api.emu.shutdown().await.unwrap();
    assert!(api.http.get(format!("{url}{TOKENS_PATH}")).send().await.is_err());
}

#[test]
fn emulate_refuses_a_non_loopback_bind_without_allow_remote() {
    crate::helpers::bin()
        .args(["emulate", "--bind", "0.0.0.0:0"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--allow-remote"));
}

#[test]
fn emulate_has_no_token_flag() {
    crate::helpers::bin()
        .args(["emulate", "--token", "00abc"])
        .assert()
        .failure();
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
    assert_eq!(api.emu.tokens()[0].status, TokenStatus::Blocked);
    assert_eq!(
        api.emu.users()[0].status,
        ykprov::emulator::UserStatus::Deprovisioned
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
    let err = ykprov::emulator::spawn(EmulatorConfig {
        users_file: Some(bad),
        ..Default::default()
    })
    .await
    .err()
    .unwrap();
    assert!(format!("{err:#}").contains("line 2"), "{err:#}");
}
