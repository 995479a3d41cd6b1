//! The CSV export (`forDownload=true`): the emulator's own columns by default, or, under the
//! `csv-columns` quirk, Admin-Console-style names in another order, a UTF-8 BOM, unpadded serials.

use crate::error::ApiError;
use crate::quirks::CsvQuirks;
use crate::state::{Store, StoredToken};
use crate::wire::okta_time;
use chrono::{DateTime, Utc};

/// The CSV columns, documented in docs/emulator.md (decision 3).
pub const CSV_HEADER: [&str; 9] = [
    "id",
    "serial",
    "status",
    "created",
    "activated",
    "lastVerified",
    "lastUpdated",
    "userId",
    "login",
];

/// `csv-columns=okta-report`: the same values under the names a report download might use, in
/// another order (and without `lastUpdated`).
const OKTA_REPORT_HEADER: [&str; 8] = [
    "Serial Number",
    "Token ID",
    "Status",
    "Date Uploaded",
    "Date Activated",
    "Last Verified",
    "Assigned User ID",
    "Assigned User Login",
];

/// One page of the export.
pub fn csv_page(store: &Store, items: &[&StoredToken], quirks: CsvQuirks) -> Result<String, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    if quirks.okta_report {
        w.write_record(OKTA_REPORT_HEADER)
    } else {
        w.write_record(CSV_HEADER)
    }
    .map_err(|_| ApiError::internal())?;
    let fmt = |d: Option<DateTime<Utc>>| d.map(|d| okta_time::format(&d)).unwrap_or_default();
    for t in items {
        let login = t
            .user_id
            .as_deref()
            .and_then(|u| store.user(u))
            .map(|u| u.login.clone())
            .unwrap_or_default();
        let serial = if quirks.unpadded {
            t.serial.trim_start_matches('0').to_string()
        } else {
            t.serial.clone()
        };
        let user_id = t.user_id.clone().unwrap_or_default();
        let (created, activated, verified) =
            (fmt(Some(t.created)), fmt(t.activated), fmt(Some(t.last_verified)));
        let status = t.status.to_string();
        let record = if quirks.okta_report {
            vec![
                serial,
                t.id.clone(),
                status,
                created,
                activated,
                verified,
                user_id,
                login,
            ]
        } else {
            let updated = fmt(Some(t.last_updated));
            vec![
                t.id.clone(),
                serial,
                status,
                created,
                activated,
                verified,
                updated,
                user_id,
                login,
            ]
        };
        w.write_record(record).map_err(|_| ApiError::internal())?;
    }
    let bytes = w.into_inner().map_err(|_| ApiError::internal())?;
    let text = String::from_utf8(bytes).map_err(|_| ApiError::internal())?;
    Ok(if quirks.bom {
        format!("\u{feff}{text}")
    } else {
        text
    })
}
