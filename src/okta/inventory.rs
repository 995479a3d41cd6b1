//! The inventory: every token Okta holds, fetched either as the CSV export
//! (`forDownload=true`, 1,000 a page) or by walking the JSON list (200 a page). Shared by
//! `export` and `reconcile`. Okta's CSV columns are unconfirmed, so its header is matched
//! tolerantly; when no serial column can be found we say so and fall back to the JSON list.

use super::models::{okta_time, TokenStatus, YubikeyToken};
use super::OktaClient;
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
    pub fn from_token(t: YubikeyToken) -> Option<Self> {
        Some(RemoteToken {
            serial: t.serial_padded()?,
            user_id: t.user_id(),
            login: t.user_login(),
            id: t.id,
            status: t.status,
            created: t.created,
            activated: t.activated,
            last_verified: t.last_verified,
        })
    }
}

/// The columns we recognise in Okta's CSV export.
#[derive(Debug, Default, Clone, Copy)]
struct ColumnMap {
    serial: Option<usize>,
    id: Option<usize>,
    status: Option<usize>,
    created: Option<usize>,
    activated: Option<usize>,
    last_verified: Option<usize>,
    user_id: Option<usize>,
    login: Option<usize>,
}

/// Case, spaces, dots, dashes and underscores are ignored when matching header names.
fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl ColumnMap {
    fn from_header(header: &csv::StringRecord) -> Self {
        let mut m = ColumnMap::default();
        for (i, name) in header.iter().enumerate() {
            let slot = match normalise(name.trim_start_matches('\u{feff}')).as_str() {
                "serial" | "serialnumber" | "profileserial" | "yubikeyserial" | "tokenserial"
                | "serialno" => &mut m.serial,
                "id" | "tokenid" | "keyid" | "yubikeyid" => &mut m.id,
                "status" | "tokenstatus" | "yubikeystatus" => &mut m.status,
                "created" | "createdat" | "datecreated" | "uploaded" | "dateuploaded" => &mut m.created,
                "activated" | "activatedat" | "dateactivated" => &mut m.activated,
                "lastverified" | "lastverifiedat" | "lastused" | "lastverifieddate" => &mut m.last_verified,
                "userid" | "ownerid" | "assigneduserid" | "assignedto" => &mut m.user_id,
                "login" | "userlogin" | "username" | "userprofilelogin" | "useremail" | "email" => {
                    &mut m.login
                }
                _ => continue,
            };
            slot.get_or_insert(i);
        }
        m
    }
}

/// Why a CSV page could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CsvProblem {
    /// The header has no serial column.
    #[error("the CSV export has no serial column (header: {0})")]
    NoSerialColumn(String),
    /// The CSV is malformed.
    #[error("the CSV export is malformed: {0}")]
    Malformed(String),
}

/// Parses one page of Okta's CSV export.
pub fn parse_export_csv(text: &str) -> Result<Vec<RemoteToken>, CsvProblem> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = rdr
        .headers()
        .map_err(|e| CsvProblem::Malformed(e.to_string()))?
        .clone();
    let cols = ColumnMap::from_header(&header);
    let Some(serial_col) = cols.serial else {
        let names: Vec<&str> = header.iter().take(20).collect();
        return Err(CsvProblem::NoSerialColumn(names.join(",")));
    };
    let get = |r: &csv::StringRecord, c: Option<usize>| {
        c.and_then(|i| r.get(i))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let mut out = Vec::new();
    for record in rdr.records() {
        let r = record.map_err(|e| CsvProblem::Malformed(e.to_string()))?;
        let Some(raw) = r.get(serial_col).map(str::trim).filter(|s| !s.is_empty()) else {
            continue;
        };
        let serial = Serial::from_okta(raw);
        let time = |c| get(&r, c).as_deref().and_then(okta_time::parse);
        out.push(RemoteToken {
            serial,
            id: get(&r, cols.id).unwrap_or_default(),
            status: get(&r, cols.status)
                .map(|s| TokenStatus::parse(&s))
                .unwrap_or(TokenStatus::Other("UNKNOWN".into())),
            created: time(cols.created),
            activated: time(cols.activated),
            last_verified: time(cols.last_verified),
            user_id: get(&r, cols.user_id),
            login: get(&r, cols.login),
        });
    }
    Ok(out)
}

/// Fetches every token matching `filter`.
pub async fn fetch(
    client: &OktaClient,
    via: Via,
    filter: Option<&str>,
    expand_user: bool,
) -> anyhow::Result<Vec<RemoteToken>> {
    if via == Via::Download {
        match fetch_download(client, filter, expand_user).await {
            Ok(tokens) => return Ok(tokens),
            Err(e) => match e.downcast_ref::<CsvProblem>() {
                Some(problem) => {
                    tracing::warn!("{problem}; falling back to the JSON token list (--via pages)");
                }
                None => return Err(e),
            },
        }
    }
    fetch_pages(client, filter, expand_user).await
}

async fn fetch_download(
    client: &OktaClient,
    filter: Option<&str>,
    expand_user: bool,
) -> anyhow::Result<Vec<RemoteToken>> {
    let mut all = Vec::new();
    let first = client.download_url(1000, filter, expand_user);
    let mut problem = None;
    client
        .walk(
            first,
            |url| client.download_page(url),
            |text: String| {
                match parse_export_csv(&text) {
                    Ok(tokens) => all.extend(tokens),
                    Err(p) => {
                        problem = Some(p);
                        anyhow::bail!("stop");
                    }
                }
                Ok(())
            },
        )
        .await
        .or_else(|e| if problem.is_some() { Ok(0) } else { Err(e) })
        .context("cannot download the token export")?;
    match problem {
        Some(p) => Err(p.into()),
        None => Ok(all),
    }
}

async fn fetch_pages(
    client: &OktaClient,
    filter: Option<&str>,
    expand_user: bool,
) -> anyhow::Result<Vec<RemoteToken>> {
    let mut all = Vec::new();
    let first = client.list_url(200, filter, expand_user);
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

/// Our export's columns, in order.
pub const EXPORT_COLUMNS: [&str; 8] = [
    "serial",
    "id",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_header_is_matched_ignoring_case_spaces_dots_and_underscores() {
        let text = "Token ID,Profile.Serial,STATUS,last_verified,User Id,Login\nykk1,7886622,ACTIVE,2024-01-02T03:04:05.000Z,00u1,a@b.c\n";
        let t = parse_export_csv(text).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].serial, "000007886622");
        assert_eq!(t[0].id, "ykk1");
        assert_eq!(t[0].status, TokenStatus::Active);
        assert_eq!(t[0].user_id.as_deref(), Some("00u1"));
        assert_eq!(t[0].login.as_deref(), Some("a@b.c"));
        assert!(t[0].last_verified.is_some());
    }

    #[test]
    fn unknown_header_set_is_reported_for_fallback() {
        let err = parse_export_csv("a,b,c\n1,2,3\n").unwrap_err();
        assert!(matches!(err, CsvProblem::NoSerialColumn(_)));
    }

    #[test]
    fn unknown_status_is_kept() {
        let t = parse_export_csv("serial,status\n1,QUARANTINED\n").unwrap();
        assert_eq!(t[0].status.as_str(), "QUARANTINED");
    }

    #[test]
    fn formula_cells_are_escaped() {
        assert_eq!(csv_safe("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_safe("-1"), "'-1");
        assert_eq!(csv_safe("000007886622"), "000007886622");
    }
}
