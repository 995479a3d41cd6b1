//! A hostile "Okta": tiny axum servers that answer with malformed JSON, HTML, next-page links
//! that loop or never end, bodies over the 64 MiB cap, a 200 without a token id, and redirects
//! to another host. Each must end in a clear error, no panic, no second POST of a serial, no
//! lost row and a journal that replays cleanly. (A `Link` to another origin is covered in
//! `reconcile.rs`.)

use crate::helpers::TestDir;
use crate::seeds;
use crate::upload::options;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use ykprov::journal;
use ykprov::okta::inventory::Via;
use ykprov::okta::models::TOKENS_PATH;
use ykprov::okta::pacing::RateSetting;
use ykprov::okta::{ClientConfig, OktaClient};
use ykprov::reconcile::diff::{Category, Scope};
use ykprov::reconcile::{reconcile, ReconcileOptions};
use ykprov::secret::Secret;
use ykprov::seed::Serial;
use ykprov::upload::{upload, UploadSummary};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    MalformedList,
    HtmlList,
    HugeList,
    SelfLoop,
    TwoPageLoop,
    EndlessChain,
    RedirectList,
    MalformedPost,
    PostWithoutId,
    HugePost,
    RedirectPost,
}

/// More than the client's 64 MiB cap.
const HUGE: u64 = 80 * 1024 * 1024;

struct Fake {
    mode: Mode,
    base: String,
    elsewhere: String,
    /// Stored tokens by 12-digit serial.
    tokens: Mutex<BTreeMap<String, serde_json::Value>>,
    posts: Mutex<HashMap<String, u32>>,
    list_gets: AtomicU64,
    huge_bytes_sent: Arc<AtomicU64>,
}

fn token(serial: &str) -> serde_json::Value {
    serde_json::json!({"id": format!("ykk{serial}"), "status": "UNASSIGNED", "profile": {"serial": serial}})
}

/// A body of `len` bytes of JSON-ish filler, streamed in 1 MiB chunks, counting what was sent.
fn huge_body(sent: Arc<AtomicU64>, len: u64) -> Body {
    let chunk = bytes_of(1024 * 1024);
    let stream = futures_stream(len / chunk.len() as u64, chunk, sent);
    Body::from_stream(stream)
}

fn bytes_of(n: usize) -> axum::body::Bytes {
    let mut v = vec![b' '; n];
    v[0] = b'[';
    axum::body::Bytes::from(v)
}

fn futures_stream(
    chunks: u64,
    chunk: axum::body::Bytes,
    sent: Arc<AtomicU64>,
) -> impl futures_core_stream::Stream<Item = Result<axum::body::Bytes, std::io::Error>> {
    futures_core_stream::iter(chunks, chunk, sent)
}

/// A minimal stream without an extra dependency.
mod futures_core_stream {
    pub use futures_core::Stream;
    use std::pin::Pin;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Poll};

    pub struct Iter {
        left: u64,
        chunk: axum::body::Bytes,
        sent: Arc<AtomicU64>,
    }

    pub fn iter(left: u64, chunk: axum::body::Bytes, sent: Arc<AtomicU64>) -> Iter {
        Iter { left, chunk, sent }
    }

    impl Stream for Iter {
        type Item = Result<axum::body::Bytes, std::io::Error>;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            if self.left == 0 {
                return Poll::Ready(None);
            }
            self.left -= 1;
            self.sent.fetch_add(self.chunk.len() as u64, Ordering::Relaxed);
            Poll::Ready(Some(Ok(self.chunk.clone())))
        }
    }
}

fn serial_of_filter(filter: &str) -> Option<String> {
    let raw = filter.split('"').nth(1)?;
    raw.parse::<u64>().ok().map(|n| format!("{n:012}"))
}

async fn list(State(f): State<Arc<Fake>>, uri: Uri, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Some(filter) = q.get("filter") {
        // Lookups always work, so an in-doubt upload can be resolved.
        let found: Vec<_> = serial_of_filter(filter)
            .and_then(|s| f.tokens.lock().unwrap().get(&s).cloned())
            .into_iter()
            .collect();
        return axum::Json(found).into_response();
    }
    f.list_gets.fetch_add(1, Ordering::SeqCst);
    let all: Vec<_> = f.tokens.lock().unwrap().values().cloned().collect();
    let link = |to: String| [("link", format!("<{to}>; rel=\"next\""))];
    let after = q.get("after").and_then(|a| a.parse::<u64>().ok());
    let path = TOKENS_PATH;
    match f.mode {
        Mode::MalformedList => (
            [("content-type", "application/json")],
            "[{\"id\": \"ykk1\", \"status\": ",
        )
            .into_response(),
        Mode::HtmlList => (
            [("content-type", "text/html")],
            "<html><body>Sign in</body></html>",
        )
            .into_response(),
        Mode::HugeList => (
            [("content-type", "application/json")],
            huge_body(f.huge_bytes_sent.clone(), HUGE),
        )
            .into_response(),
        Mode::SelfLoop => (link(format!("{}{}", f.base, uri)), axum::Json(all)).into_response(),
        Mode::TwoPageLoop => {
            let next = if after == Some(1) { 2 } else { 1 };
            (
                link(format!("{}{path}?limit=200&after={next}", f.base)),
                axum::Json(all),
            )
                .into_response()
        }
        Mode::EndlessChain => {
            let next = after.unwrap_or(0) + 1;
            (
                link(format!("{}{path}?limit=200&after={next}", f.base)),
                axum::Json(all),
            )
                .into_response()
        }
        Mode::RedirectList => (
            StatusCode::FOUND,
            [("location", format!("{}{path}", f.elsewhere))],
        )
            .into_response(),
        _ => axum::Json(all).into_response(),
    }
}

async fn post(State(f): State<Arc<Fake>>, body: axum::body::Bytes) -> Response {
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let serial = format!(
        "{:012}",
        v["serialNumber"].as_str().unwrap().parse::<u64>().unwrap()
    );
    if f.mode == Mode::RedirectPost {
        return (
            StatusCode::FOUND,
            [("location", format!("{}{TOKENS_PATH}", f.elsewhere))],
        )
            .into_response();
    }
    *f.posts.lock().unwrap().entry(serial.clone()).or_default() += 1;
    let t = token(&serial);
    f.tokens.lock().unwrap().insert(serial.clone(), t.clone());
    let json = [("content-type", "application/json")];
    match f.mode {
        Mode::MalformedPost => (json, format!("{{\"id\": \"ykk{serial}")).into_response(),
        Mode::PostWithoutId => (
            json,
            serde_json::json!({"status": "UNASSIGNED", "profile": {"serial": serial}}).to_string(),
        )
            .into_response(),
        Mode::HugePost => (json, huge_body(f.huge_bytes_sent.clone(), HUGE)).into_response(),
        _ => axum::Json(t).into_response(),
    }
}

/// Another host: it must never be contacted. Counts requests and Authorization headers seen.
async fn elsewhere() -> (String, Arc<AtomicU64>) {
    let hits = Arc::new(AtomicU64::new(0));
    let h = hits.clone();
    let app = Router::new().fallback(move || {
        let h = h.clone();
        async move {
            h.fetch_add(1, Ordering::SeqCst);
            "[]"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, hits)
}

struct Server {
    fake: Arc<Fake>,
    url: String,
    elsewhere_hits: Arc<AtomicU64>,
}

async fn serve(mode: Mode) -> Server {
    let (elsewhere, elsewhere_hits) = elsewhere().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let fake = Arc::new(Fake {
        mode,
        base: url.clone(),
        elsewhere,
        tokens: Mutex::default(),
        posts: Mutex::default(),
        list_gets: AtomicU64::new(0),
        huge_bytes_sent: Arc::default(),
    });
    let app = Router::new()
        .route(TOKENS_PATH, get(list).post(post))
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server {
        fake,
        url,
        elsewhere_hits,
    }
}

fn client(url: &str, max_pages: usize) -> OktaClient {
    let mut cfg = ClientConfig::new(url.parse().unwrap(), Secret::new("00hostile-test-token".into()));
    cfg.rate = RateSetting::Auto { share: 1.0 };
    cfg.timeout = Duration::from_secs(20);
    cfg.max_pages = max_pages;
    OktaClient::new(cfg).unwrap()
}

async fn upload_rows(s: &Server, dir: &TestDir, first: u32, n: u32) -> anyhow::Result<UploadSummary> {
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(first, n)));
    let mut o = options(&file);
    o.max_attempts = 3;
    let (_tx, rx) = watch::channel(false);
    upload(&o, client(&s.url, 50), rx).await
}

/// The journal replays with no unreadable line, nothing in doubt, and one outcome per row.
fn assert_journal_complete(path: &Path, rows: usize) -> HashMap<Serial, journal::RowResult> {
    let r = journal::replay(path).unwrap();
    assert!(r.unreadable_lines.is_empty(), "{:?}", r.unreadable_lines);
    assert!(r.in_doubt.is_empty(), "{:?}", r.in_doubt);
    assert_eq!(r.outcomes.len(), rows, "the journal accounts for every row");
    r.outcomes
}

fn reconcile_opts(dir: &TestDir, via: Via) -> ReconcileOptions {
    ReconcileOptions {
        files: vec![dir.write("r.csv", seeds::csv(&seeds::rows(42, 1)))],
        format: ykprov::seed::SeedFormat::Auto,
        via,
        scope: Scope::Org,
        stale_after: chrono::Duration::days(90),
        expand_user: false,
        fail_on: vec![Category::Missing],
        unseal: Default::default(),
        facts: Default::default(),
        expect: Default::default(),
    }
}

/// A listing that cannot be read stops the upload before any POST, with one clear reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_token_lists_stop_the_upload_before_any_post() {
    for (mode, want) in [
        (Mode::MalformedList, "not a JSON array"),
        (Mode::HtmlList, "not a JSON array"),
        (Mode::HugeList, "larger than 67108864 bytes"),
        (Mode::RedirectList, "302"),
    ] {
        let s = serve(mode).await;
        let dir = TestDir::new();
        let err = upload_rows(&s, &dir, 100, 3).await.unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains(want), "{mode:?}: {msg}");
        assert!(
            msg.contains("cannot list the tokens already in Okta"),
            "{mode:?}: {msg}"
        );
        assert!(s.fake.posts.lock().unwrap().is_empty(), "{mode:?}: no POST");
        let journal = journal::default_path(&dir.path().join("seeds.csv"));
        if journal.exists() {
            let r = journal::replay(&journal).unwrap();
            assert!(r.outcomes.is_empty() && r.unreadable_lines.is_empty(), "{mode:?}");
        }
        assert_eq!(
            s.elsewhere_hits.load(Ordering::SeqCst),
            0,
            "{mode:?}: redirect followed"
        );
        if mode == Mode::HugeList {
            let sent = s.fake.huge_bytes_sent.load(Ordering::SeqCst);
            assert!(
                sent < HUGE,
                "the client stopped reading at the cap ({sent} bytes sent)"
            );
        }
        // Reconcile says the same, both ways.
        for via in [Via::Pages, Via::Download] {
            let err = reconcile(&reconcile_opts(&dir, via), &client(&s.url, 1000))
                .await
                .unwrap_err();
            assert!(format!("{err:#}").contains(want), "{mode:?} {via:?}: {err:#}");
        }
    }
}

/// Answers that cannot be read after a POST: the row is in doubt, looked up, found, and
/// journaled as uploaded; never POSTed twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_post_answers_are_looked_up_not_uploaded_twice() {
    for (mode, n) in [
        (Mode::PostWithoutId, 6),
        (Mode::MalformedPost, 6),
        (Mode::HugePost, 2),
    ] {
        let s = serve(mode).await;
        let dir = TestDir::new();
        let summary = upload_rows(&s, &dir, 200, n).await.unwrap();
        assert!(summary.is_clean(), "{mode:?}: {summary:?}");
        assert_eq!(summary.counts.uploaded, u64::from(n), "{mode:?}");
        assert_eq!(
            summary.counts.in_doubt_lookups,
            u64::from(n),
            "{mode:?}: one lookup per row"
        );
        let posts = s.fake.posts.lock().unwrap().clone();
        assert_eq!(posts.len(), n as usize, "{mode:?}");
        assert!(
            posts.values().all(|p| *p == 1),
            "{mode:?}: a serial POSTed twice: {posts:?}"
        );
        let outcomes = assert_journal_complete(summary.journal.as_ref().unwrap(), n as usize);
        assert!(
            outcomes.values().all(|r| matches!(r, journal::RowResult::Uploaded { confirmed_by_lookup: true, token_id, .. } if token_id.starts_with("ykk"))),
            "{mode:?}: {outcomes:?}"
        );
    }
}

/// A 302 on POST is not followed (the credential would go to another host), and nothing reaches
/// the other host. A redirect says nothing about the row, so the rows are journaled as failed
/// (the next run tries them again), never as rejected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirected_post_is_not_followed() {
    let s = serve(Mode::RedirectPost).await;
    let dir = TestDir::new();
    let summary = upload_rows(&s, &dir, 300, 3).await.unwrap();
    assert_eq!(
        (summary.counts.failed, summary.counts.rejected),
        (3, 0),
        "{summary:?}"
    );
    assert_eq!(s.elsewhere_hits.load(Ordering::SeqCst), 0);
    let outcomes = assert_journal_complete(summary.journal.as_ref().unwrap(), 3);
    assert!(outcomes.values().all(
        |r| matches!(r, journal::RowResult::Failed { reason, .. } if reason.contains("302") && reason.contains("not about this row"))
    ));
}

/// Next-page links that revisit a page, or never end, stop the walk with a clear error after a
/// bounded number of requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn looping_and_endless_page_chains_stop_with_a_clear_error() {
    for (mode, want, gets) in [
        (Mode::SelfLoop, "loop back to a page already read", 1),
        (Mode::TwoPageLoop, "loop back to a page already read", 3),
        (Mode::EndlessChain, "more than 50 pages", 50),
    ] {
        let s = serve(mode).await;
        let dir = TestDir::new();
        let err = reconcile(&reconcile_opts(&dir, Via::Pages), &client(&s.url, 50))
            .await
            .unwrap_err();
        assert!(format!("{err:#}").contains(want), "{mode:?}: {err:#}");
        assert_eq!(s.fake.list_gets.load(Ordering::SeqCst), gets, "{mode:?}");
        // The upload's preflight walks the same list and stops the same way, before any POST.
        let err = upload_rows(&s, &dir, 400, 2).await.unwrap_err();
        assert!(format!("{err:#}").contains(want), "{mode:?}: {err:#}");
        assert!(s.fake.posts.lock().unwrap().is_empty());
    }
}

/// With the default cap the chain still ends: the cap is a finite, documented number.
#[test]
fn the_default_page_cap_is_finite() {
    let cfg = ClientConfig::new("https://acme.okta.com".parse().unwrap(), Secret::new("t".into()));
    assert_eq!(cfg.max_pages, ykprov::okta::client::MAX_PAGES);
    assert!(cfg.max_pages <= 200_000);
}
