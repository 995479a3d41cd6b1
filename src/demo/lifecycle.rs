//! The demo's lifecycle steps (issue 19): what ykprov knows it uploaded (from the upload
//! journal, until the ledger says it), and a stolen key revoked in Okta: its user's factor
//! unenrolled and its token deleted, so nobody can enroll it again.

use super::Narrator;
use crate::journal::{self, RowResult};
use crate::lifecycle::{Facts, RetireReason};
use crate::okta::OktaClient;
use crate::revoke::{self, RevokeOptions};
use crate::seed::Serial;
use crate::upload::UploadSummary;
use std::path::Path;

/// The revoke journal's name in the demo's folder.
pub(super) const REVOKE_JOURNAL: &str = "ykprov-revoke-journal.jsonl";

/// The keys the upload journal shows uploaded (or found present), with the run's start: what
/// makes a key deleted in Okta afterwards `removed` rather than `missing`. The ledger supplies
/// these facts for real runs; the demo reads them from the journal it just wrote.
pub(super) fn uploaded_facts(summary: &UploadSummary) -> anyhow::Result<Facts> {
    let mut facts = Facts::default();
    let Some(path) = &summary.journal else {
        return Ok(facts);
    };
    let replay = journal::replay(path)?;
    let at = replay
        .headers
        .first()
        .map(|h| h.started)
        .unwrap_or_else(chrono::Utc::now);
    for (serial, result) in replay.outcomes {
        if matches!(
            result,
            RowResult::Uploaded { .. } | RowResult::AlreadyPresent { .. }
        ) {
            facts.uploaded.insert(serial, at);
        }
    }
    Ok(facts)
}

/// `ykprov revoke SERIAL --reason stolen --yes`: Okta's half. Whether it made the key safe.
pub(super) async fn revoke_stolen(
    dir: &Path,
    client: &OktaClient,
    stolen: &Serial,
    facts: &Facts,
    out: &mut dyn Narrator,
) -> anyhow::Result<bool> {
    let mut o = RevokeOptions::new(vec![stolen.clone()], RetireReason::Stolen);
    o.ticket = Some("DEMO-1".into());
    o.journal = dir.join(REVOKE_JOURNAL);
    o.facts = facts.clone();
    let plan = revoke::prepare(&o, client).await?;
    // ledger: `ykprov revoke` records the retirement here, before Okta is touched; with it, the
    // final reconciliation shows the key `retired` instead of `removed`.
    let (_stop, mut shutdown) = tokio::sync::watch::channel(false);
    let summary = revoke::apply(&o, &plan, client, &mut shutdown).await?;
    if let Some(fatal) = &summary.fatal {
        anyhow::bail!("the demo's revoke stopped: {fatal}");
    }
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
