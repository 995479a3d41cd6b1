//! Preflight: the serials Okta already holds, from the paged token list (the confirmed JSON
//! contract, shared with reconcile), so a re-run uploads nothing and a crashed run's lost answers
//! are settled without a single POST.

use crate::okta::inventory::{self, Via};
use crate::okta::models::TokenStatus;
use crate::okta::OktaClient;
use crate::seed::Serial;
use std::collections::HashMap;

/// What Okta holds for one serial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Present {
    /// Token id.
    pub id: String,
    /// Status.
    pub status: TokenStatus,
}

/// Every token in the org, keyed by 12-digit serial.
pub async fn existing_serials(client: &OktaClient) -> anyhow::Result<HashMap<Serial, Present>> {
    let tokens = inventory::fetch(client, Via::Pages, None, false).await?;
    Ok(tokens
        .into_iter()
        .map(|t| {
            (
                t.serial,
                Present {
                    id: t.id,
                    status: t.status,
                },
            )
        })
        .collect())
}
