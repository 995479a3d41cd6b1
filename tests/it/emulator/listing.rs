//! The token list: pagination, filters, `expand=user` and the CSV download.

use super::*;

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
