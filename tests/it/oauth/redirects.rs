//! Redirects and foreign `next` links never receive a credential.

use super::*;

/// A server that answers every path with `answer`, and counts requests carrying credentials.
async fn hostile(
    answer: fn(&str) -> axum::response::Response,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicU32>) {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    let with_auth = Arc::new(AtomicU32::new(0));
    let counter = with_auth.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let base2 = base.clone();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let counter = counter.clone();
        let base = base2.clone();
        async move {
            if req.headers().contains_key("authorization") {
                counter.fetch_add(1, Ordering::SeqCst);
            }
            if req.uri().path() == "/oauth2/v1/token" {
                use axum::response::IntoResponse;
                return axum::Json(serde_json::json!({"token_type":"Bearer","expires_in":3600,"access_token":"t0k","scope":READ}))
                    .into_response();
            }
            answer(&base)
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, with_auth)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_never_followed_with_either_credential() {
    use axum::response::IntoResponse;
    use std::sync::atomic::Ordering;
    let (elsewhere, hits) = hostile(|_| axum::http::StatusCode::OK.into_response()).await;
    // The org redirects every call to `elsewhere`.
    let target = format!("{elsewhere}/steal");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let org = format!("http://{}", listener.local_addr().unwrap());
    let t2 = target.clone();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let t = t2.clone();
        async move {
            if req.uri().path() == "/oauth2/v1/token" {
                return axum::Json(serde_json::json!({"token_type":"Bearer","expires_in":3600,"access_token":"t0k","scope":READ}))
                    .into_response();
            }
            axum::response::Redirect::temporary(&t).into_response()
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    let ssws = OktaClient::new(ClientConfig::new(
        org.parse().unwrap(),
        Secret::new("00tok".into()),
    ))
    .unwrap();
    let oauth = oauth_client(&org, settings("0oa", EC), READ_SCOPES);
    for client in [ssws, oauth] {
        let err = client
            .list_page(client.list_url(20, None, false))
            .await
            .unwrap_err();
        assert!(matches!(err, ApiError::Rejected { status: 307, .. }), "{err}");
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "no credential reached the redirect target"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_next_link_to_another_origin_is_refused_with_oauth_too() {
    use axum::response::IntoResponse;
    let (org, _) = hostile(|_| {
        (
            [("link", "<https://evil.example.com/steal?after=1>; rel=\"next\"")],
            axum::Json(serde_json::json!([])),
        )
            .into_response()
    })
    .await;
    let client = oauth_client(&org, settings("0oa", EC), READ_SCOPES);
    let err = client
        .list_page(client.list_url(20, None, false))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("refusing to send the credential there"),
        "{err}"
    );
}
