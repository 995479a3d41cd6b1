//! Preflight: the serials Okta already holds, from the paged token list, so a re-run uploads
//! nothing and a crashed run's lost answers are settled without a single POST.

use crate::okta::models::{TokenStatus, YubikeyToken};
use crate::okta::OktaClient;
use std::collections::HashMap;

/// What Okta holds for one serial.
#[derive(Debug, Clone)]
pub struct Present {
    /// Token id.
    pub id: String,
    /// Status.
    pub status: TokenStatus,
}

/// Every token in the org, keyed by 12-digit serial.
pub async fn existing_serials(client: &OktaClient) -> anyhow::Result<HashMap<String, Present>> {
    let mut map = HashMap::new();
    let first = client.list_url(200, None, false);
    client
        .walk(
            first,
            |url| client.list_page(url),
            |tokens: Vec<YubikeyToken>| {
                for t in tokens {
                    if let Some(serial) = t.serial_padded() {
                        map.insert(
                            serial,
                            Present {
                                id: t.id,
                                status: t.status,
                            },
                        );
                    }
                }
                Ok(())
            },
        )
        .await?;
    Ok(map)
}
