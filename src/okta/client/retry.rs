//! Which failed reads may be sent again, and how long to wait: [`OktaClient::read_with_retries`]
//! and the jittered [`backoff`] that upload retries use too.

use super::OktaClient;
use crate::okta::error::ApiError;
use std::future::Future;
use std::time::Duration;

impl OktaClient {
    /// Repeats a read while the error is safe to retry: 429s (waited out, up to 100 of them),
    /// and 5xx or timeouts (up to 8 attempts); a refused connection only 3 times, so an
    /// unreachable org fails fast.
    pub async fn read_with_retries<T, F, Fut>(&self, op: F) -> Result<T, ApiError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let mut attempt = 0u32;
        let mut limited = 0u32;
        loop {
            match op().await {
                Err(ApiError::RateLimited {
                    concurrency, wait, ..
                }) if limited < 100 => {
                    limited += 1;
                    // A rate 429 closed the pacer's gate for every request until the reset; a
                    // concurrency 429 backs off this request alone.
                    if concurrency {
                        tokio::time::sleep(wait).await;
                    }
                }
                Err(e @ ApiError::Unreachable { .. }) if attempt + 1 >= 3 => return Err(e),
                Err(e)
                    if e.is_retryable_read()
                        && !matches!(e, ApiError::RateLimited { .. })
                        && attempt + 1 < 8 =>
                {
                    attempt += 1;
                    tracing::debug!(error = %e, attempt, "retrying read");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                other => return other,
            }
        }
    }
}

/// Exponential backoff with full jitter: up to 50 ms × 2^attempt (100 ms, 200 ms, … 25.6 s),
/// capped at 30 s. The first retries are quick because a worker holds its concurrency slot while
/// it waits, and one-off 5xx answers are the common case; a real outage still backs off to
/// seconds within a few attempts.
pub fn backoff(attempt: u32) -> Duration {
    use rand::Rng;
    let cap = Duration::from_millis(50)
        .saturating_mul(1u32 << attempt.min(9))
        .min(Duration::from_secs(30));
    Duration::from_millis(rand::thread_rng().gen_range(10..=cap.as_millis().max(10) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_but_stays_capped() {
        for attempt in 1..20 {
            assert!(backoff(attempt) <= Duration::from_secs(30));
        }
    }
}
