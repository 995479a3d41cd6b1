//! The probe's GETs: each goes through the client (paced and authorized like every call), is
//! counted against [`MAX_GETS`](super::report::MAX_GETS), retried once when Okta was busy (a 429,
//! a 5xx, no answer), and recorded as a [`Call`] with its rate-limit headers. A refusal of the
//! credential ends the probe; anything else is an answer for the checks to judge.

use super::report::Call;
use crate::okta::client::{backoff, RawAnswer};
use crate::okta::error::ApiError;
use crate::okta::pacing::RateHeaders;
use crate::okta::OktaClient;
use reqwest::Url;
use std::time::Duration;

/// Which operation a GET was, for the bucket question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The token list (JSON, CSV or filtered).
    List,
    /// One token by id.
    Get,
}

/// What came of one request.
#[derive(Debug)]
pub enum Reply {
    /// Okta answered (any status).
    Answer(RawAnswer),
    /// No usable answer, even after a retry.
    NoAnswer(ApiError),
    /// The GET budget was spent before it could be sent.
    OverBudget,
}

impl Reply {
    /// The answer, when there was one.
    pub fn answer(&self) -> Option<&RawAnswer> {
        match self {
            Reply::Answer(a) => Some(a),
            _ => None,
        }
    }

    /// The status, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        self.answer().map(|a| a.status)
    }

    /// Why there is no answer, in words that hold no URL (a filter's URL names a serial).
    pub fn why_not(&self) -> String {
        match self {
            Reply::Answer(a) => format!("HTTP {}{}", a.status, code_suffix(a.error_code())),
            Reply::NoAnswer(e) => no_answer_text(e),
            Reply::OverBudget => "not sent: the GET budget was spent".into(),
        }
    }
}

/// ` E0000001`, or nothing.
pub fn code_suffix(code: Option<String>) -> String {
    code.map(|c| format!(" {c}")).unwrap_or_default()
}

/// A transport failure in words without the URL.
pub fn no_answer_text(e: &ApiError) -> String {
    match e {
        ApiError::Unreachable { .. } => "no answer: could not connect".into(),
        ApiError::InDoubt { .. } => "no answer: timed out or the connection was lost".into(),
        ApiError::Protocol { reason } => format!("unusable answer: {reason}"),
        other => other.to_string(),
    }
}

/// Keeps only characters that cannot smuggle anything into a terminal or a ticket.
pub fn tidy(text: &str, max: usize) -> String {
    text.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(max)
        .collect()
}

/// The GETs of one probe, in order.
pub struct Runner<'a> {
    client: &'a OktaClient,
    max: u32,
    /// GETs sent so far.
    pub gets: u32,
    /// Every call, answered or not.
    pub calls: Vec<Call>,
    /// The headers of each answered call that was not a 429, with its kind, in order.
    pub seen: Vec<(Kind, RateHeaders)>,
    /// Rate 429s answered.
    pub rate_limited: u32,
    /// Concurrency 429s answered.
    pub concurrency_limited: u32,
}

impl<'a> Runner<'a> {
    /// A runner that sends at most `max` GETs.
    pub fn new(client: &'a OktaClient, max: u32) -> Self {
        Runner {
            client,
            max,
            gets: 0,
            calls: Vec::new(),
            seen: Vec::new(),
            rate_limited: 0,
            concurrency_limited: 0,
        }
    }

    /// One GET, retried once after a 429, a 5xx or no answer. `Err` when Okta refused the
    /// credential (a 401, or the token endpoint refusing the app): nothing else can be probed.
    pub async fn get(
        &mut self,
        request: &str,
        kind: Kind,
        url: Url,
        accept: &'static str,
    ) -> Result<Reply, ApiError> {
        let mut reply = Reply::OverBudget;
        for attempt in 0..2 {
            if self.gets >= self.max {
                break;
            }
            self.gets += 1;
            reply = match self.client.get_raw(url.clone(), accept).await {
                Ok(answer) => Reply::Answer(answer),
                Err(e @ ApiError::Unauthorized { .. }) => return Err(e),
                Err(e) => Reply::NoAnswer(e),
            };
            self.record(request, kind, &reply);
            if let Some(refusal) = reply
                .answer()
                .filter(|a| a.status == 401)
                .and_then(RawAnswer::auth_refusal)
            {
                return Err(refusal);
            }
            match self.wait_before_retry(&reply) {
                Some(wait) if attempt == 0 => tokio::time::sleep(wait).await,
                _ => break,
            }
        }
        Ok(reply)
    }

    /// How long to wait before sending again, when the reply is worth a second try.
    fn wait_before_retry(&self, reply: &Reply) -> Option<Duration> {
        match reply {
            // A rate 429 has closed the pacer's gate until the reset: the retry waits there.
            Reply::Answer(a) if a.status == 429 => {
                let rate = RateHeaders::from_headers(&a.headers);
                Some(if rate.is_concurrency_limit() {
                    Duration::from_millis(300)
                } else {
                    Duration::ZERO
                })
            }
            Reply::Answer(a) if a.status >= 500 => Some(backoff(1)),
            Reply::NoAnswer(ApiError::Unreachable { .. } | ApiError::InDoubt { .. }) => Some(backoff(1)),
            _ => None,
        }
    }

    fn record(&mut self, request: &str, kind: Kind, reply: &Reply) {
        let rate = reply
            .answer()
            .map(|a| RateHeaders::from_headers(&a.headers))
            .unwrap_or_default();
        if let Some(a) = reply.answer() {
            match a.status {
                429 if rate.is_concurrency_limit() => self.concurrency_limited += 1,
                429 => self.rate_limited += 1,
                _ => self.seen.push((kind, rate)),
            }
        }
        self.calls.push(Call {
            n: self.gets,
            request: request.to_string(),
            status: reply.status(),
            error_code: reply
                .answer()
                .and_then(RawAnswer::error_code)
                .map(|c| tidy(&c, 40)),
            no_answer: match reply {
                Reply::Answer(_) => None,
                other => Some(other.why_not()),
            },
            limit: rate.limit,
            remaining: rate.remaining,
            reset_in_seconds: rate.date.and(rate.until_reset()).map(|d| d.as_secs()),
            request_id: reply
                .answer()
                .and_then(RawAnswer::request_id)
                .map(|r| tidy(&r, 64)),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_answer_text_never_carries_the_url() {
        let e = ApiError::Unreachable {
            reason: "error sending request for url (https://x/?filter=profile.serial eq \"000001\")".into(),
        };
        assert_eq!(no_answer_text(&e), "no answer: could not connect");
        let e = ApiError::InDoubt {
            reason: "timeout for url (https://x/?filter=000001)".into(),
            status: None,
            request_id: None,
        };
        assert!(!no_answer_text(&e).contains("000001"));
    }

    #[tokio::test]
    async fn the_runner_retries_once_and_never_sends_more_than_its_budget() {
        use okta_emulator::{self as emulator, EmulatorConfig, Endpoint};
        let emu = emulator::spawn(EmulatorConfig {
            fail_rate: 1.0,
            ..EmulatorConfig::default()
        })
        .await
        .unwrap();
        let cfg = crate::okta::ClientConfig::new(
            emu.url().parse().unwrap(),
            crate::secret::Secret::new(emu.token()),
        );
        let client = OktaClient::new(cfg).unwrap();
        let mut run = Runner::new(&client, 3);
        let url = client.list_url(20, None, false);
        let first = run
            .get("list", Kind::List, url.clone(), "application/json")
            .await
            .unwrap();
        assert!(first.status().is_some_and(|s| s >= 500));
        assert_eq!(run.gets, 2, "one retry after a 5xx");
        let second = run
            .get("list", Kind::List, url.clone(), "application/json")
            .await
            .unwrap();
        assert!(
            second.status().is_some_and(|s| s >= 500),
            "the budget leaves no retry"
        );
        let third = run
            .get("list", Kind::List, url, "application/json")
            .await
            .unwrap();
        assert!(matches!(third, Reply::OverBudget));
        assert_eq!(third.why_not(), "not sent: the GET budget was spent");
        assert_eq!((run.gets, run.calls.len()), (3, 3));
        assert_eq!(emu.log().count(Endpoint::ListTokens), 3);
    }

    #[test]
    fn tidy_drops_control_characters_and_caps_length() {
        assert_eq!(tidy("E0000001\u{1b}[31m\r\n", 40), "E0000001[31m");
        assert_eq!(tidy("abcdef", 3), "abc");
    }
}
