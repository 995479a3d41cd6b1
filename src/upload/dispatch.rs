//! The tasks in flight: a slot from the adaptive limit is taken before each task is spawned (so
//! the bound holds without a queue of waiting tasks), finished tasks are reaped as new ones start
//! (counts and progress stay current, a fatal error surfaces early), and the rest are drained at
//! the end, even after Ctrl-C or a fatal error: abandoning them would leave rows in doubt.
//!
//! [`Tasks`] does this for any task that ends in a value, in nothing (another task stopped the run
//! first) or in a [`Fatal`]; a repair's delete-then-upload and a revoke run on it too. It holds
//! each task's [`Slot`] itself and, when a task ends in a [`Fatal`], raises the run's stop flag
//! before it gives the slot back: released first, the slot could start a new task that does not
//! yet see the stop and sends one request more into the refusal.
//! [`Dispatcher`] is upload's use of it.

use super::concurrency::Slot;
use super::worker::{self, Ctx, Done, Fatal, Work};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::{JoinError, JoinSet};

/// Bounded tasks of one run sharing `ctx`, each ending in a `T`, in `None` (the run was stopped
/// before it settled) or in a [`Fatal`].
pub struct Tasks<T> {
    ctx: Arc<Ctx>,
    set: JoinSet<Result<Option<T>, Fatal>>,
}

/// Whether a row was handed to a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dispatched {
    /// A worker has it.
    Sent,
    /// Ctrl-C came while waiting for a slot: the row was not sent.
    Interrupted,
    /// A worker stopped the run (its error comes out of [`Tasks::drain`]): the row was not
    /// sent, and no row after it should be.
    Stopped,
}

impl<T: Send + 'static> Tasks<T> {
    /// Tasks sharing `ctx`, bounded by its limit.
    pub fn new(ctx: Arc<Ctx>) -> Self {
        Tasks {
            ctx,
            set: JoinSet::new(),
        }
    }

    /// What the tasks share.
    pub fn ctx(&self) -> &Arc<Ctx> {
        &self.ctx
    }

    /// Waits for a slot (or the shutdown signal), hands every finished task to `done`, then spawns
    /// `start()` holding the slot until it ends. An `Err` is a finished task that stopped the run;
    /// nothing is then spawned.
    pub async fn spawn<F, Fut>(
        &mut self,
        shutdown: &mut watch::Receiver<bool>,
        mut done: impl FnMut(T),
        start: F,
    ) -> anyhow::Result<Dispatched>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<T>, Fatal>> + Send + 'static,
    {
        let slot = tokio::select! {
            slot = self.ctx.limit.acquire() => slot,
            _ = shutdown.changed() => return Ok(Dispatched::Interrupted),
        };
        while let Some(joined) = self.set.try_join_next() {
            if let Some(d) = finished(joined)? {
                done(d);
            }
        }
        if self.ctx.is_stopped() {
            return Ok(Dispatched::Stopped);
        }
        self.set.spawn(held(Arc::clone(&self.ctx), slot, start()));
        Ok(Dispatched::Sent)
    }

    /// Waits for every task in flight, handing each to `done`; the first fatal error, if any.
    pub async fn drain(&mut self, mut done: impl FnMut(T)) -> Option<anyhow::Error> {
        let mut fatal = None;
        while let Some(joined) = self.set.join_next().await {
            match finished(joined) {
                Ok(Some(d)) => done(d),
                Ok(None) => {}
                Err(e) => {
                    fatal.get_or_insert(e);
                }
            }
        }
        fatal
    }
}

/// Runs `task` holding `slot`; a fatal end raises the stop flag before the slot is given back.
async fn held<T>(
    ctx: Arc<Ctx>,
    slot: Slot,
    task: impl Future<Output = Result<Option<T>, Fatal>>,
) -> Result<Option<T>, Fatal> {
    let ended = task.await;
    if ended.is_err() {
        ctx.stop();
    }
    drop(slot);
    ended
}

/// Spawns, reaps and drains the upload workers of one run.
pub struct Dispatcher {
    tasks: Tasks<Done>,
}

impl Dispatcher {
    /// A dispatcher for workers sharing `ctx`.
    pub fn new(ctx: Ctx) -> Self {
        Dispatcher {
            tasks: Tasks::new(Arc::new(ctx)),
        }
    }

    /// The client the workers use.
    pub fn client(&self) -> &crate::okta::OktaClient {
        &self.tasks.ctx().client
    }

    /// Waits for a slot (or the shutdown signal), hands every finished upload to `done`, then
    /// spawns `work`. An `Err` is a finished upload that stopped the run; `work` is then not sent.
    pub async fn dispatch(
        &mut self,
        work: Work,
        shutdown: &mut watch::Receiver<bool>,
        done: impl FnMut(Done),
    ) -> anyhow::Result<Dispatched> {
        let ctx = Arc::clone(self.tasks.ctx());
        self.tasks
            .spawn(shutdown, done, move || worker::upload_one(ctx, work))
            .await
    }

    /// Waits for every upload in flight, handing each to `done`; the first fatal error, if any.
    pub async fn drain(&mut self, done: impl FnMut(Done)) -> Option<anyhow::Error> {
        self.tasks.drain(done).await
    }
}

fn finished<T>(joined: Result<Result<Option<T>, Fatal>, JoinError>) -> anyhow::Result<Option<T>> {
    match joined {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(fatal)) => Err(anyhow::Error::new(fatal)),
        Err(join) => Err(anyhow::anyhow!("a task in flight failed: {join}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Header, Journal};
    use crate::okta::{ClientConfig, OktaClient};
    use crate::secret::Secret;
    use std::sync::atomic::{AtomicBool, Ordering};

    fn ctx(dir: &std::path::Path) -> Arc<Ctx> {
        let cfg = ClientConfig::new(
            "https://x.okta.com".parse().unwrap(),
            Secret::new("00test".into()),
        );
        let client = OktaClient::new(cfg).unwrap();
        let journal = Arc::new(Journal::create(&dir.join("j.jsonl"), Header::sample()).unwrap());
        Arc::new(Ctx::new(&client, &journal, 1, 3))
    }

    /// With one slot, the task after a fatal one can only have the slot the fatal one frees; the
    /// stop is up by then, so it is never started.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_task_starts_on_the_slot_a_fatal_task_frees() {
        let dir = tempfile::tempdir().unwrap();
        let mut tasks: Tasks<()> = Tasks::new(ctx(dir.path()));
        let (_tx, mut shutdown) = watch::channel(false);
        let fatal = || async { Err(Fatal::Journal(anyhow::anyhow!("the disk is full"))) };
        let sent = tasks.spawn(&mut shutdown, |()| {}, fatal).await.unwrap();
        assert_eq!(sent, Dispatched::Sent);
        let started = Arc::new(AtomicBool::new(false));
        let next = {
            let started = Arc::clone(&started);
            move || async move {
                started.store(true, Ordering::SeqCst);
                Ok(Some(()))
            }
        };
        let second = tasks.spawn(&mut shutdown, |()| {}, next).await;
        assert!(matches!(second, Ok(Dispatched::Stopped) | Err(_)), "{second:?}");
        let drained = tasks.drain(|()| {}).await;
        assert!(
            second.is_err() || drained.is_some(),
            "the fatal error comes out of the spawn that reaped it, or else of the drain"
        );
        assert!(tasks.ctx().is_stopped());
        assert!(!started.load(Ordering::SeqCst));
    }
}
