//! The uploads in flight: a slot from the adaptive limit is taken before each task is spawned (so
//! the bound holds without a queue of waiting tasks), finished tasks are reaped as new ones start
//! (counts and progress stay current, a fatal error surfaces early), and the rest are drained at
//! the end, even after Ctrl-C or a fatal error: abandoning them would leave rows in doubt.

use super::worker::{self, Ctx, Done, Fatal, Work};
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::{JoinError, JoinSet};

/// Spawns, reaps and drains the workers of one run.
pub struct Dispatcher {
    ctx: Arc<Ctx>,
    tasks: JoinSet<Result<Option<Done>, Fatal>>,
}

/// Whether a row was handed to a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dispatched {
    /// A worker has it.
    Sent,
    /// Ctrl-C came while waiting for a slot: the row was not sent.
    Interrupted,
    /// A worker stopped the run (its error comes out of [`Dispatcher::drain`]): the row was not
    /// sent, and no row after it should be.
    Stopped,
}

impl Dispatcher {
    /// A dispatcher for workers sharing `ctx`.
    pub fn new(ctx: Ctx) -> Self {
        Dispatcher {
            ctx: Arc::new(ctx),
            tasks: JoinSet::new(),
        }
    }

    /// The client the workers use.
    pub fn client(&self) -> &crate::okta::OktaClient {
        &self.ctx.client
    }

    /// Waits for a slot (or the shutdown signal), hands every finished upload to `done`, then
    /// spawns `work`. An `Err` is a finished upload that stopped the run; `work` is then not sent.
    pub async fn dispatch(
        &mut self,
        work: Work,
        shutdown: &mut watch::Receiver<bool>,
        mut done: impl FnMut(Done),
    ) -> anyhow::Result<Dispatched> {
        let slot = tokio::select! {
            slot = self.ctx.limit.acquire() => slot,
            _ = shutdown.changed() => return Ok(Dispatched::Interrupted),
        };
        while let Some(joined) = self.tasks.try_join_next() {
            if let Some(d) = finished(joined)? {
                done(d);
            }
        }
        if self.ctx.is_stopped() {
            return Ok(Dispatched::Stopped);
        }
        self.tasks
            .spawn(worker::upload_one(Arc::clone(&self.ctx), work, slot));
        Ok(Dispatched::Sent)
    }

    /// Waits for every upload in flight, handing each to `done`; the first fatal error, if any.
    pub async fn drain(&mut self, mut done: impl FnMut(Done)) -> Option<anyhow::Error> {
        let mut fatal = None;
        while let Some(joined) = self.tasks.join_next().await {
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

fn finished(joined: Result<Result<Option<Done>, Fatal>, JoinError>) -> anyhow::Result<Option<Done>> {
    match joined {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(fatal)) => Err(anyhow::Error::new(fatal)),
        Err(join) => Err(anyhow::anyhow!("an upload task failed: {join}")),
    }
}
