//! Preflight: the serials Okta already holds a live record for, from the paged token list (the confirmed JSON
//! contract, shared with reconcile), so a re-run uploads nothing and a crashed run's lost answers
//! are settled without a single POST.

use crate::okta::inventory::{self, RemoteToken, Via};
use crate::okta::models::TokenStatus;
use crate::okta::OktaClient;
use crate::seed::Serial;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// What Okta holds for one serial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Present {
    /// Token id.
    pub id: String,
    /// Status.
    pub status: TokenStatus,
    /// When Okta created it (its clock): an upload in doubt is confirmed only by a record
    /// created after its intent.
    pub created: Option<DateTime<Utc>>,
}

/// Every serial that has a live record in the org (UNASSIGNED, ACTIVE, BLOCKED or a status we do
/// not know), keyed by 12-digit serial. A serial whose records are all history (REVOKED, DELETED,
/// INACTIVE) is not present: its key was deleted, and its seed may be uploaded again.
pub async fn existing_serials(client: &OktaClient) -> anyhow::Result<HashMap<Serial, Present>> {
    let tokens = inventory::fetch(client, Via::Pages, None, false).await?;
    Ok(live_by_serial(tokens))
}

/// The live records of a listing, by serial (the first wins should Okta list two).
fn live_by_serial(tokens: Vec<RemoteToken>) -> HashMap<Serial, Present> {
    let mut present = HashMap::new();
    for t in tokens.into_iter().filter(|t| t.status.is_live()) {
        present.entry(t.serial).or_insert(Present {
            id: t.id,
            status: t.status,
            created: t.created,
        });
    }
    present
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(serial: u32, id: &str, status: &str) -> RemoteToken {
        RemoteToken::listed(serial, id, status)
    }

    #[test]
    fn a_serial_whose_records_are_all_history_is_not_present() {
        let present = live_by_serial(vec![token(1, "ykkold", "REVOKED"), token(2, "ykk2", "DELETED")]);
        assert!(present.is_empty());
    }

    #[test]
    fn the_live_record_stands_for_a_serial_that_has_history() {
        let present = live_by_serial(vec![
            token(1, "ykkold", "REVOKED"),
            token(1, "ykknew", "UNASSIGNED"),
            token(3, "ykk3", "BLOCKED"),
        ]);
        assert_eq!(present.len(), 2);
        assert_eq!(present.get("000000000001").map(|p| p.id.as_str()), Some("ykknew"));
        assert_eq!(
            present.get("000000000003").map(|p| &p.status),
            Some(&TokenStatus::Blocked)
        );
    }
}
