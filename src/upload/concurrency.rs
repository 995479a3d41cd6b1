//! Bounded, adaptive concurrency: a semaphore of `--concurrency` permits. A concurrency 429 from
//! Okta halves the permits in use (at most once a second, since one overload answers several
//! requests at once); every 20 successes give one back, up to the configured bound.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

const RECOVER_AFTER: u32 = 20;
const HALVE_AT_MOST_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct State {
    current: usize,
    to_forget: usize,
    successes: u32,
    last_halved: Option<Instant>,
}

/// The adaptive limit shared by the dispatcher and the workers.
#[derive(Debug)]
pub struct AdaptiveLimit {
    semaphore: Arc<Semaphore>,
    max: usize,
    // std Mutex: a few integer updates, never held across an await.
    state: Mutex<State>,
}

/// A slot to run one upload; returned (or retired, after a halving) on drop.
pub struct Slot {
    permit: Option<OwnedSemaphorePermit>,
    limit: Arc<AdaptiveLimit>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut state = self.limit.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.to_forget > 0 {
            state.to_forget -= 1;
            if let Some(p) = self.permit.take() {
                p.forget();
            }
        }
    }
}

impl AdaptiveLimit {
    /// A limit of `max` requests in flight.
    pub fn new(max: usize) -> Arc<Self> {
        let max = max.max(1);
        Arc::new(AdaptiveLimit {
            semaphore: Arc::new(Semaphore::new(max)),
            max,
            state: Mutex::new(State {
                current: max,
                to_forget: 0,
                successes: 0,
                last_halved: None,
            }),
        })
    }

    /// Waits for a free slot.
    pub async fn acquire(self: &Arc<Self>) -> Slot {
        // Cannot fail: the semaphore is never closed.
        let permit = Arc::clone(&self.semaphore)
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        Slot {
            permit: Some(permit),
            limit: Arc::clone(self),
        }
    }

    /// The number of requests allowed in flight now.
    pub fn current(&self) -> usize {
        self.state.lock().map(|s| s.current).unwrap_or(self.max)
    }

    /// Okta said too many requests are in flight: halve.
    pub fn on_concurrency_limited(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.last_halved.is_some_and(|t| t.elapsed() < HALVE_AT_MOST_EVERY) {
            return;
        }
        let new = (s.current / 2).max(1);
        s.to_forget += s.current - new;
        s.current = new;
        s.successes = 0;
        s.last_halved = Some(Instant::now());
        tracing::info!(
            concurrency = new,
            "Okta's concurrency limit reached; lowering requests in flight"
        );
    }

    /// A request succeeded: after enough of them, allow one more in flight.
    pub fn on_success(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.current >= self.max {
            return;
        }
        s.successes += 1;
        if s.successes >= RECOVER_AFTER {
            s.successes = 0;
            s.current += 1;
            if s.to_forget > 0 {
                s.to_forget -= 1;
            } else {
                self.semaphore.add_permits(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn halving_retires_permits_as_slots_return_and_recovery_adds_them_back() {
        let limit = AdaptiveLimit::new(8);
        let slots: Vec<Slot> = futures_join(&limit, 8).await;
        limit.on_concurrency_limited();
        limit.on_concurrency_limited(); // within a second: ignored
        assert_eq!(limit.current(), 4);
        drop(slots);
        assert_eq!(limit.semaphore.available_permits(), 4);
        for _ in 0..RECOVER_AFTER {
            limit.on_success();
        }
        assert_eq!(limit.current(), 5);
        assert_eq!(limit.semaphore.available_permits(), 5);
    }

    async fn futures_join(limit: &Arc<AdaptiveLimit>, n: usize) -> Vec<Slot> {
        let mut v = Vec::new();
        for _ in 0..n {
            v.push(limit.acquire().await);
        }
        v
    }

    #[tokio::test]
    async fn never_drops_below_one() {
        let limit = AdaptiveLimit::new(1);
        limit.on_concurrency_limited();
        assert_eq!(limit.current(), 1);
        let _slot = limit.acquire().await;
    }
}
