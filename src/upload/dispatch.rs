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
