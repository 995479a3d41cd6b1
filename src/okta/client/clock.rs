//! How far Okta's clock is from ours, measured from the `Date` header of every answer. Two
//! things need it: an in-doubt lookup compares a token's `created` (Okta's clock) with the
//! journal's intent (ours), and a refused DPoP proof is most often a skewed clock, which the error
//! message can then name.
//!
//! `Date` has whole seconds and is stamped before the answer reaches us, so `Date - (our time at
//! receipt)` can only be *below* the true offset, by less than a second plus the round trip: a
//! lower bound. The latest sample is kept (it follows a clock that is stepped mid-run).

use reqwest::header::{HeaderMap, DATE};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// No sample yet.
const UNKNOWN: i64 = i64::MIN;

/// The latest measured offset of Okta's clock from ours.
#[derive(Debug)]
pub struct ServerClock {
    offset_ms: AtomicI64,
}

impl Default for ServerClock {
    fn default() -> Self {
        ServerClock {
            offset_ms: AtomicI64::new(UNKNOWN),
        }
    }
}

fn epoch_ms(t: SystemTime) -> Option<i64> {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).ok(),
        Err(e) => i64::try_from(e.duration().as_millis()).ok().map(|ms| -ms),
    }
}

/// `Date - received`, in milliseconds, when `Date` is readable.
pub fn sample(map: &HeaderMap, received: SystemTime) -> Option<i64> {
    let date = map.get(DATE)?.to_str().ok()?;
    let server = httpdate::parse_http_date(date).ok()?;
    Some(epoch_ms(server)? - epoch_ms(received)?)
}

impl ServerClock {
    /// Takes the `Date` of an answer just received.
    pub fn observe(&self, map: &HeaderMap) {
        if let Some(ms) = sample(map, SystemTime::now()) {
            self.offset_ms.store(ms, Ordering::Relaxed);
        }
    }

    /// Okta's clock minus ours (a lower bound, see the module), once an answer carried `Date`.
    pub fn offset(&self) -> Option<chrono::Duration> {
        match self.offset_ms.load(Ordering::Relaxed) {
            UNKNOWN => None,
            ms => Some(chrono::Duration::milliseconds(ms)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use std::time::Duration;

    fn dated(at: SystemTime) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(DATE, HeaderValue::from_str(&httpdate::fmt_http_date(at)).unwrap());
        map
    }

    #[test]
    fn the_offset_is_date_minus_our_time_at_receipt() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(sample(&dated(now + Duration::from_secs(30)), now), Some(30_000));
        assert_eq!(
            sample(&dated(now), now + Duration::from_millis(1500)),
            Some(-1500)
        );
        assert_eq!(sample(&HeaderMap::new(), now), None);
    }

    #[test]
    fn the_latest_sample_is_kept() {
        let clock = ServerClock::default();
        assert_eq!(clock.offset(), None);
        clock.observe(&dated(SystemTime::now() + Duration::from_secs(120)));
        let first = clock.offset().unwrap().num_seconds();
        assert!((118..=120).contains(&first), "{first}");
        clock.observe(&dated(SystemTime::now()));
        assert!(clock.offset().unwrap().num_seconds().abs() <= 1);
    }
}
