//! `ykprov probe`: a read-only check of a real org's contract, for an admin to run before a
//! rollout and attach to a ticket. It sends at most [`MAX_GETS`] GETs through the normal
//! [`OktaClient`] (paced and authorized like every call), never a write, and answers the
//! questions no public source settles (docs/emulator.md, the contract notes' open questions):
//! the rate-limit headers and window, whether list and get-by-id share a bucket, the largest
//! `limit` accepted, what `forDownload=true` returns, whether `profile.serial` filters want the
//! padded serial, whether `expand=user` embeds users, the statuses in use, and, with OAuth,
//! whether DPoP and a nonce are required and which scopes were granted.
//!
//! The [`ProbeReport`] it returns holds counts, statuses, header names and error codes: never a
//! token, a serial, a login or a user id (a filter is described as "a padded serial from page
//! 1"). This module owns the order of the calls; `calls` sends and records them, `rates` and
//! `answers` judge them as pure functions, `report` is the data and `text` renders it. It does not
//! print or decide the exit code: the command does.

mod answers;
mod calls;
mod rates;
mod report;
mod text;

pub use report::{AuthKind, BucketFacts, BucketVerdict, Call, Check, CheckState, DownloadFacts};
pub use report::{DpopNeed, ExpandFacts, FilterFacts, FilterTry, LimitFacts, LimitTry, OAuthFacts};
pub use report::{ProbeReport, RateFacts, StatusFacts, MAX_GETS};
pub use text::{render, Format};

use crate::okta::models::{TokenStatus, YubikeyToken};
use crate::okta::OktaClient;
use anyhow::Context;
use calls::{Kind, Reply, Runner};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

const JSON: &str = "application/json";
/// What the client's export sends: the CSV's content type is unconfirmed.
const CSV: &str = "text/csv, */*";
/// A token id no org holds, for the get-by-id call when the org has no token: its 404 still
/// shows the bucket's headers.
const MADE_UP_ID: &str = "ykkykprovprobe000000";

/// The tokens the probe has read, by id (kept in memory only), and whether that is all of them.
#[derive(Default)]
struct Sample {
    statuses: BTreeMap<String, TokenStatus>,
    complete: bool,
}

impl Sample {
    fn add(&mut self, reply: &Reply) {
        if let Some(tokens) = answers::tokens(reply) {
            self.complete |= !answers::has_next(reply);
            for t in tokens {
                self.statuses.insert(t.id, t.status);
            }
        }
    }
}

/// Probes the org behind `client`. `Err` only on a fatal problem: the org unreachable, the
/// credential refused, or a first listing that is not Okta's.
pub async fn probe(client: &OktaClient, started: DateTime<Utc>) -> anyhow::Result<ProbeReport> {
    let org = client.org().origin().ascii_serialization();
    run_checks(client, started)
        .await
        .with_context(|| format!("cannot probe {org}"))
}

async fn run_checks(client: &OktaClient, started: DateTime<Utc>) -> anyhow::Result<ProbeReport> {
    let mut run = Runner::new(client, MAX_GETS);
    let first = run
        .get(
            "list, limit=20",
            Kind::List,
            client.list_url(20, None, false),
            JSON,
        )
        .await?;
    let page1 = first_page(&first)?;
    let mut sample = Sample::default();
    sample.add(&first);
    let (id, label) = match page1.first() {
        Some(t) => (t.id.clone(), "get by id (a token from page 1)"),
        None => (
            MADE_UP_ID.to_string(),
            "get by id (a made-up id: the org has no token)",
        ),
    };
    run.get(label, Kind::Get, client.token_url(&id), JSON).await?;
    let page_limit = page_limit(&mut run, client, &first, &mut sample).await?;
    let url = client.tokens_url_with(&[("forDownload", "true")]);
    let download = run
        .get("download, forDownload=true", Kind::List, url, CSV)
        .await?;
    let serial_filter = serial_filter(&mut run, client, &page1).await?;
    let url = client.list_url(200, None, true);
    let expand = run
        .get("list, limit=200, expand=user", Kind::List, url, JSON)
        .await?;
    sample.add(&expand);
    let json_tokens = sample.complete.then_some(sample.statuses.len());
    let oauth = client.oauth_facts();
    Ok(ProbeReport {
        tool: format!("ykprov {}", env!("CARGO_PKG_VERSION")),
        org: client.org().origin().ascii_serialization(),
        auth: if oauth.is_some() {
            AuthKind::OAuth
        } else {
            AuthKind::Ssws
        },
        started,
        gets: run.gets,
        max_gets: MAX_GETS,
        rate_limits: rates::rate_check(&run.calls, &run.seen, run.rate_limited, run.concurrency_limited),
        bucket: rates::bucket_check(rates::bucket_verdict(&run.seen)),
        page_limit,
        download: answers::download_check(&download, json_tokens),
        serial_filter,
        expand_user: answers::expand_check(&expand),
        statuses: answers::status_check(&sample.statuses, sample.complete),
        oauth: oauth.map(answers::oauth_check),
        calls: run.calls,
    })
}

/// The first page, or why the probe cannot go on: no answer, a refused credential, or an answer
/// that is not Okta's token list.
fn first_page(reply: &Reply) -> anyhow::Result<Vec<YubikeyToken>> {
    let a = match reply {
        Reply::Answer(a) => a,
        Reply::NoAnswer(e) => anyhow::bail!("{e}"),
        Reply::OverBudget => anyhow::bail!("no GET allowed"),
    };
    if let Some(refusal) = a.auth_refusal() {
        return Err(refusal.into());
    }
    if a.status != 200 {
        anyhow::bail!(
            "the token list answered {}; is this the org's URL, and may the credential read YubiKey tokens?",
            reply.why_not()
        );
    }
    answers::tokens(reply).context("the token list is not a JSON array of tokens; is this an Okta org?")
}

/// The page sizes: 20 (the first page's answer), then 200 and 1000.
async fn page_limit(
    run: &mut Runner<'_>,
    client: &OktaClient,
    first: &Reply,
    sample: &mut Sample,
) -> anyhow::Result<Check<LimitFacts>> {
    let mut tries = vec![(answers::limit_try(20, first), first.why_not())];
    for limit in [200, 1000] {
        let url = client.list_url(limit, None, false);
        let reply = run
            .get(&format!("list, limit={limit}"), Kind::List, url, JSON)
            .await?;
        sample.add(&reply);
        tries.push((answers::limit_try(limit, &reply), reply.why_not()));
    }
    Ok(answers::limit_check(tries))
}

/// The serial filter in both forms, on a serial from page 1 (skipped when there is none).
async fn serial_filter(
    run: &mut Runner<'_>,
    client: &OktaClient,
    page1: &[YubikeyToken],
) -> anyhow::Result<Check<FilterFacts>> {
    let Some(serial) = answers::pick_serial(page1) else {
        return Ok(Check::skipped(if page1.is_empty() {
            "no token in the org to filter on: upload one key and probe again"
        } else {
            "no token on page 1 has a numeric serial to filter on"
        }));
    };
    let url = |form: &str| client.list_url(20, Some(&format!("profile.serial eq \"{form}\"")), false);
    let label = "list, filter on a padded serial from page 1";
    let padded = run.get(label, Kind::List, url(serial.as_str()), JSON).await?;
    let padded = answers::filter_try(&padded, &serial);
    let unpadded = match answers::unpadded(&serial) {
        Some(form) => {
            let label = "list, filter on the same serial unpadded";
            let reply = run.get(label, Kind::List, url(&form), JSON).await?;
            Some(answers::filter_try(&reply, &serial))
        }
        None => None,
    };
    Ok(answers::filter_check(padded, unpadded))
}
