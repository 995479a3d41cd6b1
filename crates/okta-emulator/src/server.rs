//! The accept loop: `serve(listener, router, header_read_timeout, shutdown)` in the style of
//! mini-redis.
//!
//! axum's own `serve` cannot close a connection without answering, and drop-after-commit needs
//! exactly that. So each connection runs in its own task with a [`ConnControl`] in every request's
//! extensions; a handler that calls [`ConnControl::kill`] makes the task drop the hyper connection,
//! which closes the socket with no response bytes written.

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tower::ServiceExt;

/// How long shutdown waits for in-flight requests before closing their connections.
const GRACE: Duration = Duration::from_secs(5);

/// Lets a handler close its connection without a response.
#[derive(Clone, Default)]
pub struct ConnControl {
    inner: Arc<ConnInner>,
}

#[derive(Default)]
struct ConnInner {
    notify: Notify,
    killed: AtomicBool,
}

impl ConnControl {
    /// Asks the connection task to drop the connection. The caller should then never finish
    /// (`std::future::pending`), so no response can be written first.
    pub fn kill(&self) {
        self.inner.killed.store(true, Ordering::SeqCst);
        self.inner.notify.notify_one();
    }

    /// Whether [`ConnControl::kill`] was called.
    pub fn is_killed(&self) -> bool {
        self.inner.killed.load(Ordering::SeqCst)
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets in-flight requests finish
/// (up to a grace period) and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, router.clone(), header_read_timeout, stop_rx.clone()));
                }
                Err(e) => {
                    // Usually EMFILE: back off briefly instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            // Reap finished connection tasks so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained =
        tokio::time::timeout(GRACE, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!("closing connections still busy after the grace period");
        connections.abort_all();
    }
}

async fn serve_connection(
    stream: TcpStream,
    router: Router,
    header_read_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) {
    // Small JSON responses: don't let Nagle delay them.
    let _ = stream.set_nodelay(true);
    let control = ConnControl::default();
    let per_request = control.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(per_request.clone());
        router.clone().oneshot(req.map(axum::body::Body::new))
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        // A client that sends its headers slowly (or never) is dropped instead of holding a
        // connection slot forever; hyper needs a timer for that.
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            biased;
            // Returning drops `conn`: the socket closes and the pending handler is cancelled.
            _ = control.inner.notify.notified() => return,
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            _ = stop.changed(), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}
