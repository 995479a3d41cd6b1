//! Rate-limit buckets and windows, and the concurrency limit.

use super::*;

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
