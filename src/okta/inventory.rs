//! The inventory: every token Okta holds, fetched either as the CSV export (`forDownload=true`)
//! or by walking the JSON list, 200 a page either way (never more: the spec's maximum, see
//! `export`). Shared by `export`, `reconcile` and upload's preflight. Okta's CSV contract is
//! unconfirmed, so `export` reads it defensively and gives up on any doubt; `fetch` then walks
//! the JSON list, so both ways give the same inventory, or the export says why it was not used.

mod export;

pub use export::{is_csv, parse_export_csv, CsvProblem, ExportFailure, PAGE_LIMIT};

use super::models::{okta_time, TokenStatus, YubikeyToken};
use super::OktaClient;
use crate::secret::printable;
use crate::seed::Serial;
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// How to fetch the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// The CSV export, `forDownload=true`.
    #[default]
    Download,
    /// The JSON list, `limit=200`.
    Pages,
}

/// One token as the inventory sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteToken {
    /// 12-digit serial.
    pub serial: Serial,
    /// Token id.
    pub id: String,
    /// Status.
    pub status: TokenStatus,
    /// Upload time.
    pub created: Option<DateTime<Utc>>,
    /// Enrollment time.
    pub activated: Option<DateTime<Utc>>,
    /// Last use.
    pub last_verified: Option<DateTime<Utc>>,
    /// Assigned user.
    pub user_id: Option<String>,
    /// Assigned user's login (with `--expand-user`).
    pub login: Option<String>,
}

impl RemoteToken {
    /// From the JSON model; `None` when the token has no serial.
    pub fn from_token(mut t: YubikeyToken) -> Option<Self> {
        t.profile.serial = t.profile.serial.map(|s| printable(&s));
        Some(
            RemoteToken {
                serial: t.serial_padded()?,
                user_id: t.user_id(),
                login: t.user_login(),
                id: t.id,
                status: t.status,
                created: t.created,
                activated: t.activated,
                last_verified: t.last_verified,
            }
            .printable(),
        )
    }

    /// A listed record with only its serial, id and status known: what the tests of the
    /// decisions built on a listing start from (they set the times and user they need).
    #[cfg(test)]
    pub(crate) fn listed(serial: u32, id: &str, status: &str) -> Self {
        RemoteToken {
            serial: serial.into(),
            id: id.into(),
            status: TokenStatus::parse(status),
            created: None,
            activated: None,
            last_verified: None,
            user_id: None,
            login: None,
        }
    }

    /// The token with control and bidi characters removed from what the server chose (ids,
    /// status, user): these go to the terminal, reports and CSV files.
    pub fn printable(self) -> Self {
        RemoteToken {
            id: printable(&self.id),
            status: TokenStatus::parse(&printable(self.status.as_str())),
            user_id: self.user_id.map(|u| printable(&u)),
            login: self.login.map(|l| printable(&l)),
            ..self
        }
    }
}

/// Fetches every token matching `filter`. `Via::Download` falls back to the JSON pages, with one
/// warning saying why, whenever the export cannot be trusted (see `export`); a refused
/// credential stops both.
pub async fn fetch(
    client: &OktaClient,
    via: Via,
    filter: Option<&str>,
    expand_user: bool,
) -> anyhow::Result<Vec<RemoteToken>> {
    if via == Via::Download {
        match export::fetch_download(client, filter, expand_user).await {
            Ok(tokens) => return Ok(tokens),
            // An unreachable org is not the export's fault: its error already says what to check.
            Err(ExportFailure::Fatal(e))
                if matches!(e.downcast_ref(), Some(super::ApiError::Unreachable { .. })) =>
            {
                return Err(e)
            }
            Err(ExportFailure::Fatal(e)) => return Err(e.context("cannot download the token export")),
            Err(ExportFailure::Unusable(why)) => {
                tracing::warn!("the CSV export cannot be used ({why}); falling back to the JSON token list (--via pages)");
            }
        }
    }
    fetch_pages(client, filter, expand_user).await
}

async fn fetch_pages(
    client: &OktaClient,
    filter: Option<&str>,
    expand_user: bool,
) -> anyhow::Result<Vec<RemoteToken>> {
    let mut all = Vec::new();
    let first = client.list_url(PAGE_LIMIT, filter, expand_user);
    client
        .walk(
            first,
            |url| client.list_page(url),
            |tokens: Vec<YubikeyToken>| {
                all.extend(tokens.into_iter().filter_map(RemoteToken::from_token));
                Ok(())
            },
        )
        .await
        .context("cannot list the tokens")?;
    Ok(all)
}

/// Escapes a cell so a spreadsheet opening the CSV runs no formula.
pub fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Our export's columns, in order: the token id is `tokenId`, as in every CSV and JSON ykprov
/// writes (Okta's own token JSON says `id`; the reader of Okta's export accepts both).
pub const EXPORT_COLUMNS: [&str; 8] = [
    "serial",
    "tokenId",
    "status",
    "created",
    "activated",
    "lastVerified",
    "userId",
    "login",
];

/// Writes tokens as our export CSV (sorted by serial by the caller).
pub fn write_export<W: std::io::Write>(out: W, tokens: &[RemoteToken]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(EXPORT_COLUMNS)?;
    let t = |d: &Option<DateTime<Utc>>| d.as_ref().map(okta_time::format).unwrap_or_default();
    for tok in tokens {
        w.write_record([
            csv_safe(tok.serial.as_str()).as_ref(),
            csv_safe(&tok.id).as_ref(),
            csv_safe(tok.status.as_str()).as_ref(),
            &t(&tok.created),
            &t(&tok.activated),
            &t(&tok.last_verified),
            csv_safe(tok.user_id.as_deref().unwrap_or("")).as_ref(),
            csv_safe(tok.login.as_deref().unwrap_or("")).as_ref(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// Writes tokens as a JSON array (`export --format json`), one object per token keyed by
/// [`EXPORT_COLUMNS`], so the CSV and the JSON name each fact alike. No formula escaping: JSON is
/// not opened by a spreadsheet, and a script wants the value as Okta sent it.
pub fn write_export_json<W: std::io::Write>(mut out: W, tokens: &[RemoteToken]) -> anyhow::Result<()> {
    let t = |d: &Option<DateTime<Utc>>| d.as_ref().map(okta_time::format);
    let rows: Vec<serde_json::Value> = tokens
        .iter()
        .map(|tok| {
            let values = [
                Some(tok.serial.as_str().to_owned()),
                Some(tok.id.clone()),
                Some(tok.status.as_str().to_owned()),
                t(&tok.created),
                t(&tok.activated),
                t(&tok.last_verified),
                tok.user_id.clone(),
                tok.login.clone(),
            ];
            EXPORT_COLUMNS
                .iter()
                .zip(values)
                .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(v)))
                .collect()
        })
        .collect();
    serde_json::to_writer_pretty(&mut out, &rows)?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_escaped() {
        assert_eq!(csv_safe("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_safe("-1"), "'-1");
        assert_eq!(csv_safe("000007886622"), "000007886622");
    }

    #[test]
    fn control_and_bidi_characters_from_the_server_never_reach_a_token() {
        let t: YubikeyToken = serde_json::from_value(serde_json::json!({
            "id": "ykk\u{1b}[2J1",
            "status": "ACT\u{202e}IVE",
            "profile": {"serial": "0000078\u{1b}86622"},
            "_embedded": {"user": {"id": "00u\u{2067}x", "profile": {"login": "evil\u{202e}@example.com"}}}
        }))
        .unwrap();
        let r = RemoteToken::from_token(t).unwrap();
        assert_eq!(r.id, "ykk[2J1");
        assert_eq!(r.status, TokenStatus::Active);
        assert_eq!(r.serial.as_str(), "000007886622");
        for text in [r.user_id.unwrap_or_default(), r.login.unwrap_or_default()] {
            assert!(!text.chars().any(crate::secret::is_unsafe_char), "{text:?}");
        }
    }
}
