//! Okta's CSV export (`forDownload=true`), read defensively. Nothing about it is confirmed (the
//! contract notes, §2): not its columns, its content type, its paging, nor whether it honours
//! `limit`. So every page is checked, and any doubt ends the export with an [`ExportFailure`]
//! that says why; the caller then walks the JSON list instead. A failure that the JSON list would
//! meet too (a refused credential) is fatal rather than a reason to fall back.
//!
//! `limit`: the spec gives the path's `limit` a maximum of 200, and `forDownload` only changes its
//! default (to 1000). We send `limit=200`, the one value both readings accept. Leaving it out would
//! also be accepted, but then the page size is the server's guess (1000 by the spec, 20 if the
//! default does not change), and a page that is silently cut could not be told from the last one.
//! With 200 asked for, a last page (no `next` link) holding exactly 200 rows, or exactly the
//! spec's default of 1000, may have been cut: that is treated as an inconsistency.

use super::RemoteToken;
use crate::okta::client::Download;
use crate::okta::models::{okta_time, TokenStatus};
use crate::okta::{ApiError, OktaClient};
use crate::seed::Serial;
use std::collections::HashSet;

/// The `limit` every listing sends: the spec's maximum for the token path.
pub const PAGE_LIMIT: u32 = 200;

/// The export's default page size by the spec; a last page of exactly this many rows may be cut.
const SPEC_DOWNLOAD_DEFAULT: usize = 1000;

/// Why the export was not used.
#[derive(Debug)]
pub enum ExportFailure {
    /// The JSON list would fail the same way (a refused credential): stop.
    Fatal(anyhow::Error),
    /// The export is unusable; the JSON list may still work. Says why, for the one warning.
    Unusable(String),
}

/// Why a CSV page could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvProblem {
    /// The header lacks a column the inventory needs.
    #[error("the CSV export has no {column} column (header: {header})")]
    MissingColumn {
        /// `serial`, `id` or `status`.
        column: &'static str,
        /// The first header names, as received.
        header: String,
    },
    /// The CSV is malformed.
    #[error("the CSV export is malformed: {0}")]
    Malformed(String),
    /// A row lacks a value every token has (its serial, id or status).
    #[error("the CSV export's row {row} has no {column}")]
    IncompleteRow {
        /// 1-based data row of the page.
        row: usize,
        /// The empty column.
        column: &'static str,
    },
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
                "login" | "userlogin" | "username" | "userprofilelogin" | "useremail" | "email"
                | "assigneduserlogin" => &mut m.login,
                _ => continue,
            };
            slot.get_or_insert(i);
        }
        m
    }

    /// The columns every token has; the first one missing is the problem.
    fn required(&self, header: &csv::StringRecord) -> Result<(usize, usize, usize), CsvProblem> {
        let missing = |column| CsvProblem::MissingColumn {
            column,
            header: header.iter().take(20).collect::<Vec<_>>().join(","),
        };
        Ok((
            self.serial.ok_or_else(|| missing("serial"))?,
            self.id.ok_or_else(|| missing("id"))?,
            self.status.ok_or_else(|| missing("status"))?,
        ))
    }
}

/// Parses one page of Okta's CSV export. Every data row must have a serial, an id and a status:
/// a row without one is a sign the columns were misread, and skipping it would under-count.
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
    let (serial_col, id_col, status_col) = cols.required(&header)?;
    let get = |r: &csv::StringRecord, c: Option<usize>| {
        c.and_then(|i| r.get(i))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let mut out = Vec::new();
    for (n, record) in rdr.records().enumerate() {
        let r = record.map_err(|e| CsvProblem::Malformed(e.to_string()))?;
        let need =
            |col: usize, column| get(&r, Some(col)).ok_or(CsvProblem::IncompleteRow { row: n + 1, column });
        let (serial, id, status) = (
            need(serial_col, "serial")?,
            need(id_col, "id")?,
            need(status_col, "status")?,
        );
        let time = |c| get(&r, c).as_deref().and_then(okta_time::parse);
        out.push(
            RemoteToken {
                serial: Serial::from_okta(&crate::secret::printable(&serial)),
                id,
                status: TokenStatus::parse(&status),
                created: time(cols.created),
                activated: time(cols.activated),
                last_verified: time(cols.last_verified),
                user_id: get(&r, cols.user_id),
                login: get(&r, cols.login),
            }
            .printable(),
        );
    }
    Ok(out)
}

/// Whether a `Content-Type` is CSV (`text/csv`, `application/csv`, `text/x-csv`, with any
/// parameters). A JSON or HTML answer means the server ignored `forDownload` or sent an error page.
pub fn is_csv(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .is_some_and(|t| t.ends_with("/csv") || t.ends_with("/x-csv"))
}

/// What the export says about one page, before its rows join the inventory.
fn check_page(d: &Download) -> Result<Vec<RemoteToken>, String> {
    if !is_csv(d.content_type.as_deref()) {
        return Err(format!(
            "the export answered with content type {}, not CSV",
            d.content_type.as_deref().unwrap_or("(none)")
        ));
    }
    let tokens = parse_export_csv(&d.text).map_err(|p| p.to_string())?;
    let n = tokens.len();
    if d.last && (n == PAGE_LIMIT as usize || n == SPEC_DOWNLOAD_DEFAULT) {
        return Err(format!(
            "its last page holds exactly {n} rows and no next-page link, so it may have been cut short"
        ));
    }
    Ok(tokens)
}

/// Whether an error of the export ends the fetch (a refused credential) or only the export.
fn classify(e: anyhow::Error) -> ExportFailure {
    match e.downcast_ref::<ApiError>() {
        // An org that cannot be reached fails the same way through the JSON pages: say so once.
        Some(ApiError::Unauthorized { .. })
        | Some(ApiError::Unreachable { .. })
        | Some(ApiError::Rejected {
            status: 401 | 403, ..
        }) => ExportFailure::Fatal(e),
        _ => ExportFailure::Unusable(format!("{e:#}")),
    }
}

/// Every token of the export, or why it cannot be used.
pub async fn fetch_download(
    client: &OktaClient,
    filter: Option<&str>,
    expand_user: bool,
) -> Result<Vec<RemoteToken>, ExportFailure> {
    let mut all = Vec::new();
    let mut ids = HashSet::new();
    let mut problem = None;
    let first = client.download_url(PAGE_LIMIT, filter, expand_user);
    let walked = client
        .walk(
            first,
            |url| client.download_page(url),
            |page| {
                let tokens = check_page(&page).and_then(|tokens| {
                    match tokens.iter().find(|t| !ids.insert(t.id.clone())) {
                        Some(t) => Err(format!("token {} appears on two pages", t.id)),
                        None => Ok(tokens),
                    }
                });
                match tokens {
                    Ok(tokens) => all.extend(tokens),
                    Err(why) => {
                        problem = Some(why);
                        anyhow::bail!("the export is unusable");
                    }
                }
                Ok(())
            },
        )
        .await;
    if let Some(why) = problem {
        return Err(ExportFailure::Unusable(why));
    }
    walked.map_err(classify)?;
    if !expand_user {
        // The JSON list names logins only with expand=user; so does the inventory, either way.
        for t in &mut all {
            t.login = None;
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::okta::models::ErrorBody;

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
    fn a_bom_and_unpadded_serials_are_read() {
        let t = parse_export_csv("\u{feff}Serial Number,Token ID,Status\n42,ykk1,unassigned\n").unwrap();
        assert_eq!(t[0].serial, "000000000042");
        assert_eq!(t[0].status, TokenStatus::Unassigned);
    }

    #[test]
    fn a_header_without_a_needed_column_is_named() {
        let err = parse_export_csv("a,b,c\n1,2,3\n").unwrap_err();
        assert!(
            matches!(err, CsvProblem::MissingColumn { column: "serial", .. }),
            "{err}"
        );
        let err = parse_export_csv("serial,status\n1,ACTIVE\n").unwrap_err();
        assert!(
            matches!(err, CsvProblem::MissingColumn { column: "id", .. }),
            "{err}"
        );
        let err = parse_export_csv("serial,id\n1,ykk1\n").unwrap_err();
        assert!(
            matches!(err, CsvProblem::MissingColumn { column: "status", .. }),
            "{err}"
        );
    }

    #[test]
    fn a_row_without_a_serial_id_or_status_is_an_error_not_a_skip() {
        let err = parse_export_csv("serial,id,status\n1,ykk1,ACTIVE\n,ykk2,ACTIVE\n").unwrap_err();
        assert_eq!(
            err,
            CsvProblem::IncompleteRow {
                row: 2,
                column: "serial"
            }
        );
        let err = parse_export_csv("serial,id,status\n1,ykk1\n").unwrap_err();
        assert!(
            matches!(err, CsvProblem::IncompleteRow { column: "status", .. }),
            "{err}"
        );
    }

    #[test]
    fn unknown_status_is_kept() {
        let t = parse_export_csv("serial,id,status\n1,ykk1,QUARANTINED\n").unwrap();
        assert_eq!(t[0].status.as_str(), "QUARANTINED");
    }

    #[test]
    fn only_csv_content_types_are_csv() {
        assert!(is_csv(Some("text/csv; charset=utf-8")));
        assert!(is_csv(Some("Application/CSV")));
        assert!(is_csv(Some("text/x-csv")));
        assert!(!is_csv(Some("application/json")));
        assert!(!is_csv(Some("text/html; charset=utf-8")));
        assert!(!is_csv(None));
    }

    fn page(text: String, next: bool) -> Download {
        Download {
            content_type: Some("text/csv".into()),
            text,
            last: !next,
        }
    }

    fn rows(n: usize) -> String {
        let mut s = String::from("serial,id,status\n");
        for i in 0..n {
            s.push_str(&format!("{i},ykk{i},ACTIVE\n"));
        }
        s
    }

    #[test]
    fn a_last_page_as_full_as_a_page_can_be_may_be_cut_short() {
        assert!(check_page(&page(rows(200), false)).is_err());
        assert!(check_page(&page(rows(1000), false)).is_err());
        assert_eq!(check_page(&page(rows(200), true)).unwrap().len(), 200);
        assert_eq!(check_page(&page(rows(199), false)).unwrap().len(), 199);
        assert_eq!(check_page(&page(rows(0), false)).unwrap().len(), 0);
    }

    #[test]
    fn a_refused_credential_is_fatal_and_anything_else_falls_back() {
        let rejected = |status| {
            anyhow::Error::new(ApiError::Rejected {
                status,
                body: Box::new(ErrorBody::default()),
                request_id: None,
            })
            .context("cannot download the token export")
        };
        assert!(matches!(classify(rejected(403)), ExportFailure::Fatal(_)));
        assert!(matches!(classify(rejected(401)), ExportFailure::Fatal(_)));
        let unauthorized = anyhow::Error::new(ApiError::Unauthorized {
            status: 400,
            code: "invalid_dpop_proof".into(),
            request_id: None,
            scope: None,
            detail: None,
            clock_offset: None,
            credential: None,
        });
        assert!(matches!(classify(unauthorized), ExportFailure::Fatal(_)));
        for e in [
            rejected(400),
            rejected(404),
            anyhow::Error::new(ApiError::InDoubt {
                reason: "HTTP 500".into(),
                status: Some(500),
                request_id: None,
            }),
            anyhow::anyhow!("the token list's next-page links loop back"),
        ] {
            assert!(matches!(classify(e), ExportFailure::Unusable(_)));
        }
    }
}
