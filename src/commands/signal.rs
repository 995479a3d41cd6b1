//! Ctrl-C for the commands that write to Okta: the first press asks the run to stop sending and
//! finish what is in flight; the second quits at once (the journal stays consistent either way).

use tokio::sync::{oneshot, watch};

/// A shutdown signal: the first Ctrl-C flips it; the second resolves the returned future.
pub fn ctrl_c() -> (watch::Receiver<bool>, oneshot::Receiver<()>) {
    let (tx, rx) = watch::channel(false);
    let (now_tx, now_rx) = oneshot::channel();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("stopping: finishing the requests in flight (press Ctrl-C again to quit now; the journal stays consistent)");
            let _ = tx.send(true);
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = now_tx.send(());
            }
        }
    });
    (rx, now_rx)
}
