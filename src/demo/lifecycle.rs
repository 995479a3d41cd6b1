//! The demo's lifecycle step (issue 19): a stolen key retired in the ledger and revoked in Okta:
//! its user's factor unenrolled and its token deleted, so nobody can enroll it again.

use super::Narrator;
use crate::ledger::Ledger;
use crate::lifecycle::{RetireReason, Retirement};
use crate::okta::OktaClient;
use crate::revoke::{self, RevokeOptions};
use crate::seed::Serial;
use std::path::Path;

/// The revoke journal's name in the demo's folder.
pub(super) const REVOKE_JOURNAL: &str = "ykprov-revoke-journal.jsonl";

/// `ykprov revoke SERIAL --reason stolen --yes`: Okta's half. Whether it made the key safe.
pub(super) async fn revoke_stolen(
    dir: &Path,
    client: &OktaClient,
    ledger: &mut Ledger,
    stolen: &Serial,
    out: &mut dyn Narrator,
) -> anyhow::Result<bool> {
    let org = client.org().as_str();
    let mut o = RevokeOptions::new(vec![stolen.clone()], RetireReason::Stolen);
    o.ticket = Some("DEMO-1".into());
    o.journal = dir.join(REVOKE_JOURNAL);
    o.facts = ledger.facts(org)?;
    let plan = revoke::prepare(&o, client).await?;
    // As `ykprov revoke` does: the decision is recorded before Okta is touched, so the final
    // reconciliation shows the key `retired`, and no repair brings it back.
    let retirement = Retirement {
        reason: RetireReason::Stolen,
        ticket: o.ticket.clone(),
        note: None,
        at: chrono::Utc::now(),
        operator: "ykprov demo".into(),
    };
    ledger.retire(org, std::slice::from_ref(stolen), &retirement)?;
    let (_stop, mut shutdown) = tokio::sync::watch::channel(false);
    let summary = revoke::apply(&o, &plan, client, &mut shutdown).await?;
    if let Some(fatal) = &summary.fatal {
        anyhow::bail!("the demo's revoke stopped: {fatal}");
    }
    ledger.ingest_journal(&o.journal)?;
    out.step(
        "6/8 a key is stolen (ykprov revoke --reason stolen)",
        &format!(
            "the user of serial {} reports the key stolen. Retiring it keeps automation from uploading it again; revoking makes Okta safe now:\nthe user's YUBICO token:hardware factor is unenrolled, the token is read again and deleted, and the serial listed again.\n{}{}",
            stolen.trim_start_matches('0'),
            revoke::output::plan_text(&plan, client.org().as_str()),
            revoke::output::summary_text(&summary)
        ),
    );
    Ok(summary.is_clean())
}
