//! The probe's result as data: one [`Check`] per contract question, the rate-limit headers of
//! every call, and which states call for attention. This is the `--format json` report, so it
//! never holds a token, a serial, a login or a user id: only statuses, counts, header names and
//! Okta's error codes.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// The most GETs one probe sends, retries included.
pub const MAX_GETS: u32 = 25;

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckState {
    /// It ran, and the org answers the way the client expects.
    Passed,
    /// It ran, and the org answers in a way the client must work around (or cannot).
    Finding,
    /// It could not run (no token to try it on, an ambiguous answer, no GET left); the reason
    /// says which, and the question stays open.
    Skipped,
    /// It was tried and got no usable answer (a 5xx, a timeout, an unreadable body).
    Failed,
}

impl CheckState {
    /// The word the text report shows.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckState::Passed => "passed",
            CheckState::Finding => "finding",
            CheckState::Skipped => "skipped",
            CheckState::Failed => "failed",
        }
    }

    /// Everything but `Passed` leaves the admin something to look at (exit 1).
    pub fn needs_attention(self) -> bool {
        self != CheckState::Passed
    }
}

/// One contract question: its state, one line for people, and the facts behind it.
#[derive(Debug, Clone, Serialize)]
pub struct Check<T> {
    /// How it ended.
    pub state: CheckState,
    /// One line saying what was seen, or why it did not run.
    pub summary: String,
    /// What the answers showed (absent when nothing was asked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facts: Option<T>,
}

impl<T> Check<T> {
    /// A check in `state` with its facts.
    pub fn new(state: CheckState, summary: impl Into<String>, facts: T) -> Self {
        Check {
            state,
            summary: summary.into(),
            facts: Some(facts),
        }
    }

    /// A check that could not run, and why.
    pub fn skipped(reason: impl Into<String>) -> Self {
        Check {
            state: CheckState::Skipped,
            summary: reason.into(),
            facts: None,
        }
    }
}

/// How the probe authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthKind {
    /// An admin's SSWS API token.
    Ssws,
    /// An OAuth API Services app (`private_key_jwt`).
    OAuth,
}

/// One GET and the rate-limit headers of its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    /// 1 for the first GET.
    pub n: u32,
    /// What was asked, in words (never the URL: a filter would show a serial).
    pub request: String,
    /// HTTP status; absent when no answer came.
    pub status: Option<u16>,
    /// Okta's `errorCode` (or the `WWW-Authenticate` error) of a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Why no answer came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_answer: Option<String>,
    /// `X-Rate-Limit-Limit`.
    pub limit: Option<u64>,
    /// `X-Rate-Limit-Remaining`.
    pub remaining: Option<u64>,
    /// `X-Rate-Limit-Reset` minus the answer's `Date`, in seconds: how long the window had left.
    pub reset_in_seconds: Option<u64>,
    /// `X-Okta-Request-Id`, for Okta support.
    pub request_id: Option<String>,
}

/// What the rate-limit headers say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RateFacts {
    /// Calls that got an answer.
    pub answered: u32,
    /// Answers with `X-Rate-Limit-Limit`, `-Remaining`, `-Reset` and `Date`.
    pub with_headers: u32,
    /// The distinct `X-Rate-Limit-Limit` values seen (concurrency 429s aside).
    pub limits: Vec<u64>,
    /// The window is at least this long, in seconds: the largest `Reset - Date` less one (both
    /// are whole seconds, so `Reset - Date` may exceed the window by up to one).
    pub window_at_least: Option<u64>,
    /// The window is at most this long: the smallest step of `Reset` between two answers, when
    /// it moved on during the probe (with a 60 s window it usually does not).
    pub window_at_most: Option<u64>,
    /// Rate 429s answered.
    pub rate_limited: u32,
    /// Concurrency 429s answered (`Limit: 0, Remaining: 0`).
    pub concurrency_limited: u32,
}

/// Whether list and get-by-id draw on one counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BucketVerdict {
    /// `Remaining` fell across list, get and list alike: one bucket.
    Shared,
    /// The get's `Remaining` (or its limit) did not move with the list's.
    Separate,
    /// The headers cannot tell (missing, or a window reset between the calls).
    Inconclusive,
}

/// The bucket question's evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketFacts {
    /// The verdict.
    pub verdict: BucketVerdict,
    /// The numbers it rests on, e.g. `Remaining 599 (list) → 598 (get) → 597 (list)`.
    pub evidence: String,
}

/// One `limit` tried on the JSON list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitTry {
    /// The `limit` sent.
    pub limit: u32,
    /// HTTP status; absent when no answer came.
    pub status: Option<u16>,
    /// Okta's `errorCode` of a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Tokens on the page.
    pub items: Option<usize>,
    /// Whether a `rel="next"` link came back.
    pub next: bool,
}

/// The page sizes Okta accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitFacts {
    /// Each `limit` tried, in order.
    pub tries: Vec<LimitTry>,
    /// The largest `limit` answered with a JSON page.
    pub largest_accepted: Option<u32>,
}

/// The answer to `forDownload=true`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DownloadFacts {
    /// What was sent: `forDownload=true` alone, so Okta's default page size applies.
    pub query: String,
    /// HTTP status; absent when no answer came.
    pub status: Option<u16>,
    /// Okta's `errorCode` of a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// Whether `Content-Disposition: attachment` came with it.
    pub attachment: bool,
    /// The header row's column names (a name that looks like a value is withheld).
    pub columns: Vec<String>,
    /// Whether ykprov finds a serial column among them.
    pub serial_column: bool,
    /// Data rows.
    pub rows: Option<usize>,
    /// Whether any `Link` header came back.
    pub link: bool,
    /// Whether a `rel="next"` link came back.
    pub next: bool,
    /// The JSON list's count, when both the list and the CSV were complete, to compare.
    pub json_tokens: Option<usize>,
}

/// One form of the serial tried in `filter=profile.serial eq "…"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterTry {
    /// HTTP status; absent when no answer came.
    pub status: Option<u16>,
    /// Okta's `errorCode` of a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Whether the token with that serial came back.
    pub found: bool,
    /// Tokens with another serial that came back too (a filter that was ignored).
    pub others: usize,
}

/// The serial filter, with a serial taken from the first page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilterFacts {
    /// The 12-digit form.
    pub padded: Option<FilterTry>,
    /// The form without leading zeros (absent when the serial has none).
    pub unpadded: Option<FilterTry>,
}

/// `expand=user` on the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpandFacts {
    /// HTTP status; absent when no answer came.
    pub status: Option<u16>,
    /// Okta's `errorCode` of a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Tokens on the page.
    pub tokens: usize,
    /// Of those, tokens assigned to a user (a `user` link, or ACTIVE or BLOCKED).
    pub assigned: usize,
    /// Of those, tokens that came with `_embedded.user`.
    pub embedded: usize,
}

/// The statuses of the tokens the probe read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusFacts {
    /// Distinct tokens read.
    pub tokens: usize,
    /// Whether that is every token (a listing ended without a `next` link).
    pub complete: bool,
    /// Tokens per status, in Okta's spelling.
    pub counts: BTreeMap<String, usize>,
}

/// Whether the app needs DPoP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DpopNeed {
    /// Okta refused a token request without a proof.
    Required,
    /// Okta issued a token without a proof.
    NotRequired,
    /// Proofs were sent from the start (`--dpop`), so whether Okta requires them was not tried.
    Configured,
}

/// What the token endpoint said about the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthFacts {
    /// `token_type` of the access token (`Bearer` or `DPoP`).
    pub token_type: Option<String>,
    /// Whether the app needs DPoP.
    pub dpop: DpopNeed,
    /// Whether the token endpoint asked for its nonce in the proof.
    pub nonce_required: bool,
    /// The scopes requested (read only).
    pub requested: Vec<String>,
    /// The scopes Okta says it granted, when it said.
    pub granted: Option<Vec<String>>,
}

/// Everything one probe found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeReport {
    /// `ykprov <version>`.
    pub tool: String,
    /// The org's origin.
    pub org: String,
    /// How the probe authenticated.
    pub auth: AuthKind,
    /// When the probe started.
    pub started: DateTime<Utc>,
    /// GETs sent, retries included.
    pub gets: u32,
    /// The most it may send ([`MAX_GETS`]).
    pub max_gets: u32,
    /// Every GET in order, with its rate-limit headers.
    pub calls: Vec<Call>,
    /// The rate-limit headers and the window they imply.
    pub rate_limits: Check<RateFacts>,
    /// Whether list and get-by-id share a bucket.
    pub bucket: Check<BucketFacts>,
    /// The largest `limit` accepted of 20, 200 and 1000.
    pub page_limit: Check<LimitFacts>,
    /// The `forDownload=true` answer.
    pub download: Check<DownloadFacts>,
    /// `filter=profile.serial eq "…"`, padded and not.
    pub serial_filter: Check<FilterFacts>,
    /// `expand=user`.
    pub expand_user: Check<ExpandFacts>,
    /// The statuses seen.
    pub statuses: Check<StatusFacts>,
    /// DPoP, nonce and scopes (OAuth only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth: Option<Check<OAuthFacts>>,
}

impl ProbeReport {
    /// Each check's name, state and summary, in report order.
    pub fn checks(&self) -> Vec<(&'static str, CheckState, &str)> {
        let mut out = vec![
            (
                "rate limits",
                self.rate_limits.state,
                self.rate_limits.summary.as_str(),
            ),
            ("bucket", self.bucket.state, self.bucket.summary.as_str()),
            (
                "page limit",
                self.page_limit.state,
                self.page_limit.summary.as_str(),
            ),
            ("download", self.download.state, self.download.summary.as_str()),
            (
                "serial filter",
                self.serial_filter.state,
                self.serial_filter.summary.as_str(),
            ),
            (
                "expand=user",
                self.expand_user.state,
                self.expand_user.summary.as_str(),
            ),
            ("statuses", self.statuses.state, self.statuses.summary.as_str()),
        ];
        if let Some(o) = &self.oauth {
            out.push(("oauth", o.state, o.summary.as_str()));
        }
        out
    }

    /// Whether any check found something, or did not run (exit 1).
    pub fn needs_attention(&self) -> bool {
        self.checks().iter().any(|(_, state, _)| state.needs_attention())
    }
}
