//! Judging the answers, as pure functions: the page sizes accepted, the `forDownload` answer,
//! the serial filter in both forms, `expand=user`, the statuses seen and what the token endpoint
//! said. Each returns a [`Check`] whose summary names counts, header names and error codes only.

use super::calls::{tidy, Reply};
use super::report::{Check, CheckState, DownloadFacts, ExpandFacts, FilterFacts, FilterTry};
use super::report::{DpopNeed, LimitFacts, LimitTry, OAuthFacts, StatusFacts};
use crate::okta::client::{next_link, RawAnswer};
use crate::okta::inventory::{parse_export_csv, CsvProblem};
use crate::okta::models::{TokenStatus, YubikeyToken};
use crate::okta::oauth::{TokenFacts, SCOPE_READ};
use crate::seed::Serial;
use std::collections::BTreeMap;

/// The tokens of a 200 JSON page; `None` for anything else.
pub fn tokens(reply: &Reply) -> Option<Vec<YubikeyToken>> {
    let a = reply.answer().filter(|a| a.status == 200)?;
    serde_json::from_slice(&a.body).ok()
}

/// Whether the answer has a `rel="next"` link.
pub fn has_next(reply: &Reply) -> bool {
    reply.answer().is_some_and(|a| next_link(&a.headers).is_some())
}

fn error_code(reply: &Reply) -> Option<String> {
    reply
        .answer()
        .and_then(RawAnswer::error_code)
        .map(|c| tidy(&c, 40))
}

/// What one `limit` got.
pub fn limit_try(limit: u32, reply: &Reply) -> LimitTry {
    LimitTry {
        limit,
        status: reply.status(),
        error_code: error_code(reply),
        items: tokens(reply).map(|t| t.len()),
        next: has_next(reply),
    }
}

fn describe_try(t: &LimitTry, reply_text: &str) -> String {
    match t.items {
        Some(n) => {
            let more = if t.next { " and a next link" } else { "" };
            let capped = usize::try_from(t.limit).is_ok_and(|l| n < l) && t.next;
            let cap = if capped {
                format!(" (capped at {n})")
            } else {
                String::new()
            };
            format!("{} → {n} tokens{more}{cap}", t.limit)
        }
        None => format!("{} → {reply_text}", t.limit),
    }
}

/// The page-size check: ykprov's JSON pages use 200, so 200 must be accepted; what 1000 gets is
/// reported (Okta's spec says 200 at most).
pub fn limit_check(tries: Vec<(LimitTry, String)>) -> Check<LimitFacts> {
    let largest_accepted = tries
        .iter()
        .filter(|(t, _)| t.items.is_some())
        .map(|(t, _)| t.limit)
        .max();
    let parts: Vec<String> = tries.iter().map(|(t, why)| describe_try(t, why)).collect();
    let two_hundred = tries.iter().find(|(t, _)| t.limit == 200).map(|(t, _)| t.clone());
    let facts = LimitFacts {
        tries: tries.into_iter().map(|(t, _)| t).collect(),
        largest_accepted,
    };
    let largest = largest_accepted.map_or("none".to_string(), |l| l.to_string());
    let text = format!("largest accepted: {largest} (limit={})", parts.join("; "));
    let state = match two_hundred {
        Some(t) if t.items.is_some() => CheckState::Passed,
        Some(t) if t.status.is_some_and(|s| (400..500).contains(&s)) => CheckState::Finding,
        _ => CheckState::Failed,
    };
    let text = if state == CheckState::Finding {
        format!("{text}: ykprov's JSON pages use limit=200")
    } else {
        text
    };
    Check::new(state, text, facts)
}

/// A header name, unless it looks like a value (a headerless CSV would show its first row).
pub fn column_name(raw: &str) -> String {
    let name = raw.trim_start_matches('\u{feff}').trim();
    let digits = name.len() >= 4 && name.chars().all(|c| c.is_ascii_digit());
    let okta_id = name.len() == 20 && (name.starts_with("00u") || name.starts_with("ykk"));
    if digits || okta_id || name.contains('@') || name.chars().count() > 64 {
        return "[withheld: looks like a value]".into();
    }
    name.chars().filter(|c| !c.is_control()).collect()
}

/// The header row, the data rows and whether ykprov finds a serial column; or what is wrong.
pub fn csv_shape(text: &str) -> (Vec<String>, Option<usize>, Result<(), String>) {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = rdr.records();
    let columns: Vec<String> = match records.next() {
        Some(Ok(h)) => h.iter().take(50).map(column_name).collect(),
        Some(Err(e)) => return (Vec::new(), None, Err(format!("malformed CSV: {e}"))),
        None => {
            return (
                Vec::new(),
                Some(0),
                Err("the CSV is empty (no header row)".into()),
            )
        }
    };
    let rows = records
        .filter(|r| r.as_ref().map_or(true, |r| r.iter().any(|f| !f.is_empty())))
        .count();
    let verdict = match parse_export_csv(text) {
        Ok(_) => Ok(()),
        Err(CsvProblem::MissingColumn { column, .. }) => {
            Err(format!("no column ykprov reads as the {column}"))
        }
        Err(CsvProblem::IncompleteRow { row, column }) => Err(format!("data row {row} has no {column}")),
        Err(CsvProblem::Malformed(e)) => Err(format!("malformed CSV: {}", tidy(&e, 120))),
    };
    (columns, Some(rows), verdict)
}

/// The `forDownload=true` check: a CSV with a serial column, its rows matching the JSON list's
/// count when both are complete; anything else makes ykprov fall back to the JSON pages.
pub fn download_check(reply: &Reply, json_tokens: Option<usize>) -> Check<DownloadFacts> {
    let a = reply.answer();
    let content_type = a.and_then(|a| a.header("content-type")).map(|c| tidy(c, 100));
    let mut facts = DownloadFacts {
        query: "forDownload=true (Okta's default page size)".into(),
        status: reply.status(),
        error_code: error_code(reply),
        content_type: content_type.clone(),
        attachment: a
            .and_then(|a| a.header("content-disposition"))
            .is_some_and(|d| d.to_ascii_lowercase().contains("attachment")),
        columns: Vec::new(),
        serial_column: false,
        rows: None,
        link: a.is_some_and(|a| a.headers.contains_key(reqwest::header::LINK)),
        next: has_next(reply),
        json_tokens: None,
    };
    let fallback = "ykprov falls back to the JSON pages";
    let Some(a) = a.filter(|a| a.status < 500) else {
        return Check::new(
            CheckState::Failed,
            format!("forDownload=true: {}", reply.why_not()),
            facts,
        );
    };
    if a.status != 200 {
        let text = format!("forDownload=true refused ({}): {fallback}", reply.why_not());
        return Check::new(CheckState::Finding, text, facts);
    }
    let ct = content_type.unwrap_or_else(|| "no content type".into());
    let Some(text) = std::str::from_utf8(&a.body)
        .ok()
        .filter(|_| ct.to_ascii_lowercase().contains("csv"))
    else {
        return Check::new(
            CheckState::Finding,
            format!("forDownload=true answered {ct}, not UTF-8 CSV: {fallback}"),
            facts,
        );
    };
    let (columns, rows, verdict) = csv_shape(text);
    facts.columns = columns;
    facts.rows = rows;
    facts.serial_column = verdict.is_ok();
    let shape = format!(
        "HTTP 200 {ct}; {} columns ({}), {} rows, {}",
        facts.columns.len(),
        facts.columns.join(", "),
        rows.unwrap_or(0),
        if facts.next { "a next link" } else { "no next link" }
    );
    if let Err(problem) = verdict {
        return Check::new(
            CheckState::Finding,
            format!("{shape}: {problem}: {fallback}"),
            facts,
        );
    }
    if let (Some(n), Some(rows), false) = (json_tokens, rows, facts.next) {
        facts.json_tokens = Some(n);
        if n != rows {
            let text = format!("{shape}: the JSON list has {n} tokens: ykprov would under-count");
            return Check::new(CheckState::Finding, text, facts);
        }
    }
    Check::new(CheckState::Passed, shape, facts)
}

/// The serial to filter on: the first numeric one on page 1, preferring one with leading zeros
/// (so the padded and unpadded forms differ).
pub fn pick_serial(tokens: &[YubikeyToken]) -> Option<Serial> {
    let numeric: Vec<Serial> = tokens
        .iter()
        .filter_map(YubikeyToken::serial_padded)
        .filter(|s| s.as_str().len() == 12 && s.as_str().bytes().all(|b| b.is_ascii_digit()))
        .collect();
    numeric
        .iter()
        .find(|s| s.as_str().starts_with('0'))
        .or(numeric.first())
        .cloned()
}

/// The serial without its leading zeros, when it has any.
pub fn unpadded(serial: &Serial) -> Option<String> {
    let trimmed = serial.as_str().trim_start_matches('0');
    let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
    (trimmed != serial.as_str()).then(|| trimmed.to_string())
}

/// What one filtered listing got.
pub fn filter_try(reply: &Reply, serial: &Serial) -> FilterTry {
    let found = tokens(reply).unwrap_or_default();
    let hits = found
        .iter()
        .filter(|t| t.serial_padded().as_ref() == Some(serial))
        .count();
    FilterTry {
        status: reply.status(),
        error_code: error_code(reply),
        found: hits > 0,
        others: found.len() - hits,
    }
}

fn form_text(t: &FilterTry) -> &'static str {
    match (t.found, t.status) {
        (true, _) => "found it",
        (false, Some(200)) => "found nothing",
        (false, Some(s)) if s < 500 => "was refused",
        _ => "got no answer",
    }
}

/// The serial filter check: the padded form must find the token (ykprov tries it first), and
/// only that token.
pub fn filter_check(padded: FilterTry, unpadded: Option<FilterTry>) -> Check<FilterFacts> {
    let first = format!("a padded serial from page 1 {}", form_text(&padded));
    let second = match &unpadded {
        Some(u) => format!("; its unpadded form {}", form_text(u)),
        None => "; it has no leading zeros, so there is no unpadded form".into(),
    };
    let others = padded.others + unpadded.as_ref().map_or(0, |u| u.others);
    let state = match (&padded, &unpadded) {
        (p, _) if no_answer_or_5xx(p.status) => CheckState::Failed,
        (p, _) if p.found && others == 0 => CheckState::Passed,
        _ => CheckState::Finding,
    };
    let advice = match (padded.found, unpadded.as_ref().is_some_and(|u| u.found)) {
        _ if others > 0 => {
            format!(": {others} tokens with another serial came back too (the filter was ignored?)")
        }
        (true, _) => String::new(),
        (false, true) => ": only the unpadded form works, so each lookup takes two GETs".into(),
        (false, false) => {
            ": neither form finds a listed token, so lookups cannot settle an upload in doubt".into()
        }
    };
    let text = format!("{first}{second}{advice}");
    Check::new(
        state,
        text,
        FilterFacts {
            padded: Some(padded),
            unpadded,
        },
    )
}

/// Whether a try got no answer at all, or a server error: nothing was learnt.
fn no_answer_or_5xx(status: Option<u16>) -> bool {
    status.map_or(true, |s| s >= 500)
}

/// The `expand=user` check: accepted, and a user embedded for assigned tokens.
pub fn expand_check(reply: &Reply) -> Check<ExpandFacts> {
    let list = tokens(reply);
    let page = list.as_deref().unwrap_or_default();
    let assigned: Vec<&YubikeyToken> = page
        .iter()
        .filter(|t| {
            t.links.contains_key("user") || matches!(t.status, TokenStatus::Active | TokenStatus::Blocked)
        })
        .collect();
    let embedded = assigned
        .iter()
        .filter(|t| t.embedded.as_ref().and_then(|e| e.get("user")).is_some())
        .count();
    let facts = ExpandFacts {
        status: reply.status(),
        error_code: error_code(reply),
        tokens: page.len(),
        assigned: assigned.len(),
        embedded,
    };
    if no_answer_or_5xx(reply.status()) {
        return Check::new(
            CheckState::Failed,
            format!("expand=user: {}", reply.why_not()),
            facts,
        );
    }
    if list.is_none() {
        let text = format!(
            "expand=user refused ({}): --expand-user cannot show logins",
            reply.why_not()
        );
        return Check::new(CheckState::Finding, text, facts);
    }
    let (state, text) = match (facts.assigned, embedded) {
        (0, _) => (
            CheckState::Passed,
            "expand=user accepted; no assigned token on the page to embed a user".to_string(),
        ),
        (n, 0) => (
            CheckState::Finding,
            format!("expand=user accepted but embedded no user (0 of {n} assigned tokens): logins will be missing"),
        ),
        (n, e) => (CheckState::Passed, format!("expand=user embedded the user of {e} of {n} assigned tokens")),
    };
    Check::new(state, text, facts)
}

/// The statuses check: counts of each; a status ykprov does not know is a finding (it treats
/// such a record as live, so it never uploads over it).
pub fn status_check(statuses: &BTreeMap<String, TokenStatus>, complete: bool) -> Check<StatusFacts> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for s in statuses.values() {
        *counts.entry(tidy(s.as_str(), 32)).or_default() += 1;
    }
    let unknown: Vec<String> = statuses
        .values()
        .filter(|s| matches!(s, TokenStatus::Other(_)))
        .map(|s| tidy(s.as_str(), 32))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let listed = counts
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let scope = if complete { "all" } else { "the first pages only" };
    let facts = StatusFacts {
        tokens: statuses.len(),
        complete,
        counts,
    };
    if statuses.is_empty() {
        return Check::new(CheckState::Passed, "no token in the org", facts);
    }
    let text = format!("{} tokens ({scope}): {listed}", statuses.len());
    if unknown.is_empty() {
        return Check::new(CheckState::Passed, text, facts);
    }
    let text = format!(
        "{text}; statuses ykprov does not know: {} (treated as live)",
        unknown.join(", ")
    );
    Check::new(CheckState::Finding, text, facts)
}

/// What the token endpoint said: DPoP, nonce and the scopes granted.
pub fn oauth_check(f: TokenFacts) -> Check<OAuthFacts> {
    let dpop = if f.dpop_demanded {
        DpopNeed::Required
    } else if f.dpop_configured {
        DpopNeed::Configured
    } else {
        DpopNeed::NotRequired
    };
    let dpop_text = match dpop {
        DpopNeed::Required => "DPoP required (Okta refused a token request without a proof)",
        DpopNeed::Configured => {
            "DPoP sent from the start (--dpop), so whether Okta requires it was not tried"
        }
        DpopNeed::NotRequired => "DPoP not required (a Bearer token was issued)",
    };
    let nonce_text = match (f.nonce_demanded, dpop) {
        (true, _) => "; the token endpoint asked for its nonce",
        (false, DpopNeed::NotRequired) => "",
        (false, _) => "; no nonce asked for",
    };
    let granted_text = match &f.granted {
        Some(g) if g.is_empty() => "; Okta granted no scope".to_string(),
        Some(g) => format!("; granted {}", g.join(" ")),
        None => "; Okta did not say which scopes it granted".to_string(),
    };
    let lacks_read = f
        .granted
        .as_ref()
        .is_some_and(|g| !g.iter().any(|s| s == SCOPE_READ));
    let facts = OAuthFacts {
        token_type: f.token_type.map(|t| tidy(&t, 16)),
        dpop,
        nonce_required: f.nonce_demanded,
        requested: f.requested,
        granted: f.granted.map(|g| g.iter().map(|s| tidy(s, 64)).collect()),
    };
    let state = if lacks_read {
        CheckState::Finding
    } else {
        CheckState::Passed
    };
    Check::new(state, format!("{dpop_text}{nonce_text}{granted_text}"), facts)
}

#[cfg(test)]
mod tests;
