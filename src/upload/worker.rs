//! Uploading one seed: an intent in the journal before each POST, then the answer classified.
//! Only what is safe is retried: a 429 or a refused connection (nothing was processed) is sent
//! again; a timeout, 5xx or lost answer is first looked up, and re-sent only if Okta does not
//! have the serial. A 400 whose serial turns out to exist is "already present".

use super::concurrency::{AdaptiveLimit, Slot};
use crate::journal::{Entry, Journal, RowResult};
use crate::okta::{ApiError, OktaClient};
use crate::seed::Seed;
use chrono::Utc;
use std::sync::Arc;

/// Everything a worker needs, shared.
pub struct Ctx {
    /// The Okta client.
    pub client: OktaClient,
    /// The run's journal.
    pub journal: Arc<Journal>,
    /// The adaptive concurrency limit.
    pub limit: Arc<AdaptiveLimit>,
    /// Attempts per row, not counting 429s.
    pub max_attempts: u32,
}

/// One row to upload.
pub struct Work {
    /// Line in the seed file.
    pub line: u64,
    /// The seed.
    pub seed: Seed,
    /// An earlier run sent it and never saw the answer.
    pub was_in_doubt: bool,
}

/// A row's outcome, already journaled.
#[derive(Debug)]
pub struct Done {
    /// 12-digit serial.
    pub serial: String,
    /// What happened.
    pub result: RowResult,
    /// Retries made.
    pub retries: u32,
    /// Lookups made to settle doubt.
    pub lookups: u32,
}

/// Why a worker stopped the whole run.
#[derive(Debug, thiserror::Error)]
pub enum Fatal {
    /// Okta refused the credential: no more sends.
    #[error(transparent)]
    Unauthorized(ApiError),
    /// The journal cannot be written: continuing would lose track of rows.
    #[error("{0:#}")]
    Journal(anyhow::Error),
}

/// 429s allowed per row before giving up on it for this run.
const MAX_RATE_LIMITED: u32 = 100;

enum Lookup {
    Present(crate::okta::models::YubikeyToken),
    Absent,
    Unknown(String),
}

async fn lookup(ctx: &Ctx, seed: &Seed) -> Result<Lookup, Fatal> {
    match ctx
        .client
        .read_with_retries(|| ctx.client.find_by_serial(seed.serial))
        .await
    {
        Ok(Some(t)) => Ok(Lookup::Present(t)),
        Ok(None) => Ok(Lookup::Absent),
        Err(e @ ApiError::Unauthorized { .. }) => Err(Fatal::Unauthorized(e)),
        Err(e) => Ok(Lookup::Unknown(e.to_string())),
    }
}

/// Uploads one seed and journals its outcome. Holds `slot` until done.
#[tracing::instrument(skip_all, fields(serial = %work.seed.serial, line = work.line))]
pub async fn upload_one(ctx: Arc<Ctx>, work: Work, slot: Slot) -> Result<Done, Fatal> {
    let serial = work.seed.serial.padded();
    let mut done = Done {
        serial: serial.clone(),
        result: RowResult::Failed {
            attempts: 0,
            reason: String::new(),
            request_id: None,
        },
        retries: 0,
        lookups: 0,
    };
    let mut attempts = 0u32;
    let mut rate_limited = 0u32;
    let mut last_error = String::new();
    let mut last_request = None;
    let mut in_doubt = work.was_in_doubt;
    let result = loop {
        if in_doubt {
            done.lookups += 1;
            match lookup(&ctx, &work.seed).await? {
                Lookup::Present(t) => {
                    break RowResult::Uploaded {
                        token_id: t.id,
                        request_id: last_request,
                        confirmed_by_lookup: true,
                    };
                }
                Lookup::Absent => in_doubt = false,
                Lookup::Unknown(reason) => {
                    last_error = format!("{last_error}; lookup failed: {reason}");
                    break RowResult::Failed {
                        attempts,
                        reason: last_error,
                        request_id: last_request,
                    };
                }
            }
        }
        if attempts >= ctx.max_attempts || rate_limited >= MAX_RATE_LIMITED {
            break RowResult::Failed {
                attempts,
                reason: last_error,
                request_id: last_request,
            };
        }
        if attempts + rate_limited > 0 {
            done.retries += 1;
        }
        ctx.journal
            .append(&Entry::Intent {
                serial: serial.clone(),
                line: work.line,
                attempt: attempts + rate_limited + 1,
                at: Utc::now(),
            })
            .map_err(Fatal::Journal)?;
        match ctx.client.upload(&work.seed).await {
            Ok(answer) => {
                ctx.limit.on_success();
                break RowResult::Uploaded {
                    token_id: answer.value.id,
                    request_id: answer.request_id,
                    confirmed_by_lookup: false,
                };
            }
            Err(ApiError::RateLimited {
                concurrency, wait, ..
            }) => {
                // Not processed, so safe to resend. A rate 429 has closed the pacer's gate for
                // every worker; a concurrency 429 lowers our in-flight bound and backs off alone.
                rate_limited += 1;
                if concurrency {
                    ctx.limit.on_concurrency_limited();
                    tokio::time::sleep(wait).await;
                }
                last_error = "rate limited (HTTP 429)".into();
            }
            Err(e @ ApiError::Unreachable { .. }) => {
                attempts += 1;
                last_error = e.to_string();
                tracing::warn!(error = %e, attempt = attempts, "Okta unreachable; retrying");
                tokio::time::sleep(crate::okta::client::backoff(attempts)).await;
            }
            Err(e @ (ApiError::InDoubt { .. } | ApiError::Protocol { .. })) => {
                attempts += 1;
                last_request = e.request_id().map(str::to_string).or(last_request);
                last_error = e.to_string();
                tracing::warn!(error = %e, request_id = ?e.request_id(), "upload in doubt; looking the serial up before any retry");
                in_doubt = true;
                tokio::time::sleep(crate::okta::client::backoff(attempts)).await;
            }
            Err(e @ ApiError::Unauthorized { .. }) => return Err(Fatal::Unauthorized(e)),
            Err(ApiError::Rejected {
                status,
                body,
                request_id,
            }) => {
                tracing::warn!(status, code = %body.error_code, request_id = ?request_id, "upload rejected");
                if status == 400 {
                    // A duplicate serial is reported as a validation error; only a lookup tells.
                    done.lookups += 1;
                    if let Lookup::Present(t) = lookup(&ctx, &work.seed).await? {
                        break RowResult::AlreadyPresent {
                            status: t.status.to_string(),
                            token_id: t.id,
                        };
                    }
                }
                break RowResult::Rejected {
                    http_status: status,
                    error_code: body.error_code,
                    error_summary: body.error_summary,
                    error_causes: body.error_causes.into_iter().map(|c| c.error_summary).collect(),
                    request_id,
                };
            }
        }
    };
    ctx.journal
        .append(&Entry::Outcome {
            serial: Some(serial),
            line: work.line,
            result: result.clone(),
            at: Utc::now(),
        })
        .map_err(Fatal::Journal)?;
    drop(slot);
    done.result = result;
    Ok(done)
}
