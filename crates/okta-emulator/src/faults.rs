//! Injected faults: latency (fixed plus jitter), 500/503 before anything is stored (at random, or
//! for the next N uploads of one serial), and drop-after-commit (decided here, carried out by the
//! connection task in `server`).
//!
//! One seeded `StdRng` behind a std `Mutex` (held for a few nanoseconds, never across an await)
//! makes a run's sequence of fault decisions repeatable with `--fault-seed`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
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
    /// 12-digit serial → uploads of it still to answer with a 5xx.
    serial_failures: HashMap<String, u32>,
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
                serial_failures: HashMap::new(),
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

    /// Answers the next `times` uploads of `serial` (12 digits) with a 5xx before storing them,
    /// whatever the failure rate; zero ends that. Tests drive one row to `--max-attempts` so.
    pub fn fail_serial(&self, serial: &str, times: u32) {
        let mut s = self.lock();
        if times == 0 {
            s.serial_failures.remove(serial);
        } else {
            s.serial_failures.insert(serial.to_string(), times);
        }
    }

    /// Whether to fail this upload of `serial` (12 digits) because of [`Faults::fail_serial`],
    /// counting it; 500 and 503 alternate, as both are Okta's answers to a passing fault.
    pub fn take_serial_failure(&self, serial: &str) -> Option<Failure> {
        let mut s = self.lock();
        let left = s.serial_failures.get_mut(serial)?;
        *left -= 1;
        let failure = if *left % 2 == 0 {
            Failure::Unavailable
        } else {
            Failure::Internal
        };
        if *left == 0 {
            s.serial_failures.remove(serial);
        }
        Some(failure)
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

    #[test]
    fn a_serial_fails_exactly_the_times_asked_then_passes() {
        let f = Faults::new(Duration::ZERO, Duration::ZERO, 0.0, 0.0, 1);
        f.fail_serial("000000000042", 3);
        let failures: Vec<_> = (0..5).map(|_| f.take_serial_failure("000000000042")).collect();
        assert_eq!(
            failures,
            [
                Some(Failure::Unavailable),
                Some(Failure::Internal),
                Some(Failure::Unavailable),
                None,
                None
            ]
        );
        assert_eq!(f.take_serial_failure("000000000043"), None, "only that serial");
        f.fail_serial("000000000042", 2);
        f.fail_serial("000000000042", 0);
        assert_eq!(f.take_serial_failure("000000000042"), None, "zero ends it");
    }
}
