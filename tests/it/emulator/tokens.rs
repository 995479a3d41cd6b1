//! Uploads, refused uploads, authentication and unknown paths, answered as Okta does.

use super::*;

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
    assert_eq!(crate::helpers::client_tokens(&api.emu), vec![t]);
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
