//! Okta's `X-Rate-Limit-*` headers and `Date` of one response, read tolerantly (repeated or
//! folded values, garbage), and the two times derived from them alone: the time to the reset on
//! the server's clock, and the Okta SDKs' wait after a 429.

use reqwest::header::HeaderMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::okta::models::headers;

/// Okta's rate-limit headers of one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateHeaders {
    /// `X-Rate-Limit-Limit` (0 on a concurrency 429).
    pub limit: Option<u64>,
    /// `X-Rate-Limit-Remaining`.
    pub remaining: Option<u64>,
    /// `X-Rate-Limit-Reset`, epoch seconds.
    pub reset: Option<u64>,
    /// The response's `Date`, epoch seconds.
    pub date: Option<u64>,
}

fn min_header(map: &HeaderMap, name: &str) -> Option<u64> {
    // A proxy may repeat or fold the header; like Okta's Python SDK, take the smallest value.
    map.get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|v| v.trim().parse::<u64>().ok())
        .min()
}

impl RateHeaders {
    /// Reads the headers; absent or garbled values are `None`.
    pub fn from_headers(map: &HeaderMap) -> Self {
        let date = map
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs());
        RateHeaders {
            limit: min_header(map, headers::RATE_LIMIT),
            remaining: min_header(map, headers::RATE_REMAINING),
            reset: min_header(map, headers::RATE_RESET),
            date,
        }
    }

    /// Okta's concurrency signal: limit and remaining both 0.
    pub fn is_concurrency_limit(&self) -> bool {
        self.limit == Some(0) && self.remaining == Some(0)
    }

    /// Seconds until the window resets, measured on the server's clock (`Reset - Date`), or on
    /// ours when `Date` is missing.
    pub fn until_reset(&self) -> Option<Duration> {
        let reset = self.reset?;
        let now = self.date.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
        Some(Duration::from_secs(reset.saturating_sub(now)))
    }

    /// How long to wait after a 429: `Reset - Date + 1 s` (as the Okta SDKs do), capped.
    pub fn backoff_after_429(&self, cap: Duration) -> Duration {
        match self.until_reset() {
            Some(d) => (d + Duration::from_secs(1)).min(cap),
            None => Duration::from_secs(1).max(cap / 8).min(cap),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn reset_is_measured_against_the_servers_date_not_the_local_clock() {
        let h = RateHeaders::from_headers(&headers(&[
            ("x-rate-limit-limit", "600"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "1609459230"),
            ("date", "Fri, 01 Jan 2021 00:00:00 GMT"),
        ]));
        assert_eq!(h.date, Some(1609459200));
        assert_eq!(h.until_reset(), Some(Duration::from_secs(30)));
        assert_eq!(
            h.backoff_after_429(Duration::from_secs(120)),
            Duration::from_secs(31)
        );
        assert_eq!(
            h.backoff_after_429(Duration::from_secs(10)),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn repeated_or_folded_headers_take_the_smallest_value() {
        let h = RateHeaders::from_headers(&headers(&[
            ("x-rate-limit-remaining", "40, 12"),
            ("x-rate-limit-remaining", "30"),
            ("x-rate-limit-limit", "garbage"),
        ]));
        assert_eq!(h.remaining, Some(12));
        assert_eq!(h.limit, None);
    }

    #[test]
    fn concurrency_429_is_recognised_by_zero_limit_and_remaining() {
        let h = RateHeaders {
            limit: Some(0),
            remaining: Some(0),
            ..Default::default()
        };
        assert!(h.is_concurrency_limit());
    }
}
