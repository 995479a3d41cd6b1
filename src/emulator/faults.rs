//! Injected faults: latency (fixed plus jitter), 500/503 before anything is stored, and
//! drop-after-commit (decided here, carried out by the connection task in `server`).
//!
//! One seeded `StdRng` behind a std `Mutex` (held for a few nanoseconds, never across an await)
//! makes a run's sequence of fault decisions repeatable with `--fault-seed`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// An injected server error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// 500 `E0000009`.
    Internal,
    /// 503 `E0000010`.
    Unavailable,
}

struct FaultState {
    rng: StdRng,
    fail_rate: f64,
    drop_rate: f64,
}

/// The fault generator.
pub struct Faults {
    latency: Duration,
    jitter: Duration,
    state: Mutex<FaultState>,
}

impl Faults {
    /// Faults with these settings and seed.
    pub fn new(latency: Duration, jitter: Duration, fail_rate: f64, drop_rate: f64, seed: u64) -> Self {
        Faults {
            latency,
            jitter,
            state: Mutex::new(FaultState {
                rng: StdRng::seed_from_u64(seed),
                fail_rate: fail_rate.clamp(0.0, 1.0),
                drop_rate: drop_rate.clamp(0.0, 1.0),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, FaultState> {
        // A panic elsewhere cannot leave the rng or two floats inconsistent; keep serving.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the failure rates at runtime (tests inject failures mid-run).
    pub fn set_rates(&self, fail_rate: f64, drop_rate: f64) {
        let mut s = self.lock();
        s.fail_rate = fail_rate.clamp(0.0, 1.0);
        s.drop_rate = drop_rate.clamp(0.0, 1.0);
    }

    /// How long to delay this request.
    pub fn latency(&self) -> Duration {
        if self.jitter.is_zero() {
            return self.latency;
        }
        let nanos = u64::try_from(self.jitter.as_nanos()).unwrap_or(u64::MAX);
        self.latency + Duration::from_nanos(self.lock().rng.gen_range(0..=nanos))
    }

    /// Whether to fail this request, and how.
    pub fn roll_failure(&self) -> Option<Failure> {
        let mut s = self.lock();
        if s.fail_rate <= 0.0 {
            return None;
        }
        let rate = s.fail_rate;
        if !s.rng.gen_bool(rate) {
            return None;
        }
        Some(if s.rng.gen_bool(0.5) {
            Failure::Internal
        } else {
            Failure::Unavailable
        })
    }

    /// Whether to drop the connection after committing this upload.
    pub fn roll_drop(&self) -> bool {
        let mut s = self.lock();
        let rate = s.drop_rate;
        rate > 0.0 && s.rng.gen_bool(rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_the_same_faults() {
        let run = |seed| {
            let f = Faults::new(Duration::ZERO, Duration::from_millis(10), 0.3, 0.3, seed);
            (0..50)
                .map(|_| (f.roll_failure(), f.roll_drop(), f.latency()))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn rates_zero_and_one_are_exact_and_changeable() {
        let f = Faults::new(Duration::from_millis(5), Duration::ZERO, 0.0, 1.0, 1);
        assert!((0..100).all(|_| f.roll_failure().is_none() && f.roll_drop()));
        assert_eq!(f.latency(), Duration::from_millis(5));
        f.set_rates(1.0, 0.0);
        assert!((0..100).all(|_| f.roll_failure().is_some() && !f.roll_drop()));
    }
}
