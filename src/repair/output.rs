//! A repair as text for the operator and as JSON for scripts: the plan (counts, then each serial
//! with its action and why), what applying it did, and Okta's counts after. The command decides
//! where it goes.

use super::plan::Plan;
use super::worker::End;
use super::{RepairAction, RepairCounts, RepairSummary};
use crate::reconcile::ReconcileResult;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// How the command prints a repair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// For people.
    #[default]
    Text,
    /// One JSON document, for scripts.
    Json,
}

/// Lines of each kind the text lists; the JSON has every one.
const MAX_LINES: usize = 1_000;

/// The plan's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanCounts {
    /// Missing serials to upload.
    pub upload: u64,
    /// Serials with only history records to upload again.
    pub reupload: u64,
    /// BLOCKED tokens to delete and upload again.
    pub reissue: u64,
    /// Requests that write (a reissue is two).
    pub writes: u64,
    /// Serials and rows left alone that are not fine.
    pub held: u64,
    /// Serials that need nothing.
    pub fine: u64,
}

impl PlanCounts {
    /// The counts of a plan.
    pub fn of(plan: &Plan) -> Self {
        let (upload, reupload, reissue) = (
            plan.count(RepairAction::Upload),
            plan.count(RepairAction::Reupload),
            plan.count(RepairAction::Reissue),
        );
        PlanCounts {
            upload,
            reupload,
            reissue,
            writes: upload + reupload + 2 * reissue,
            held: plan.held.len() as u64,
            fine: plan.fine,
        }
    }

    /// Actions planned.
    pub fn actions(&self) -> u64 {
        self.upload + self.reupload + self.reissue
    }
}

/// What each action does, for the counts' lines.
fn meaning(a: RepairAction) -> &'static str {
    match a {
        RepairAction::Upload => "in a seed file, no record in Okta: upload the seed",
        RepairAction::Reupload => "only history records (REVOKED, DELETED, INACTIVE): upload the seed again",
        RepairAction::Reissue => "BLOCKED (the user left): delete the token, then upload the seed again",
    }
}

/// The plan for the operator: counts, then each action and each serial left alone, with why.
pub fn plan_text(plan: &Plan, before: &ReconcileResult) -> String {
    let c = PlanCounts::of(plan);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "repair plan for {}: {} action(s), {} write(s); {} seed file(s), {} tokens in Okta",
        before.org,
        c.actions(),
        c.writes,
        before.files.len(),
        before.okta_tokens
    );
    for (a, n) in [
        (RepairAction::Upload, c.upload),
        (RepairAction::Reupload, c.reupload),
        (RepairAction::Reissue, c.reissue),
    ] {
        let _ = writeln!(out, "  {:<9} {n:>7}  {}", a.as_str(), meaning(a));
    }
    let _ = writeln!(
        out,
        "  {:<9} {:>7}  left alone and reported below",
        "held", c.held
    );
    let _ = writeln!(
        out,
        "  {:<9} {:>7}  UNASSIGNED or ACTIVE: nothing to do",
        "fine", c.fine
    );
    for a in plan.actions.iter().take(MAX_LINES) {
        let _ = writeln!(out, "{:<9} {}  {}", a.action.as_str(), a.serial, a.reason);
    }
    more(&mut out, plan.actions.len(), "actions");
    for h in plan.held.iter().take(MAX_LINES) {
        let who = match (&h.serial, &h.place) {
            (Some(s), _) => s.to_string(),
            (None, Some(p)) => p.clone(),
            (None, None) => "-".into(),
        };
        let _ = writeln!(out, "held      {who}  {}: {}", h.hold.as_str(), h.reason);
    }
    more(&mut out, plan.held.len(), "held serials");
    out
}

fn more(out: &mut String, total: usize, what: &str) {
    if total > MAX_LINES {
        let _ = writeln!(
            out,
            "… and {} more {what} (--format json lists every one)",
            total - MAX_LINES
        );
    }
}

/// What applying the plan did, for the operator.
pub fn summary_text(s: &RepairSummary) -> String {
    let c = &s.counts;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} in {:.1}s: {} done ({} token(s) deleted), {} skipped, {} failed, {} not started; {} retries, {} in-doubt lookups, {} earlier doubts settled",
        if s.interrupted { "repair interrupted" } else { "repair finished" },
        s.elapsed.as_secs_f64(),
        c.done,
        c.deleted,
        c.skipped,
        c.failed,
        c.not_started,
        c.retries,
        c.lookups,
        c.settled
    );
    for f in s.not_done.iter().take(MAX_LINES) {
        let (kind, why) = match &f.end {
            End::Skipped { reason, .. } => ("skipped", reason.as_str()),
            End::Failed { reason } => ("failed", reason.as_str()),
            End::Done { .. } => continue,
        };
        let _ = writeln!(out, "{kind:<8} {}  {}: {why}", f.action.serial, f.action.action);
    }
    more(&mut out, s.not_done.len(), "skipped or failed actions");
    let _ = writeln!(out, "journal: {}", s.journal.display());
    if c.failed > 0 || c.not_started > 0 {
        out.push_str(
            "run the same repair again to finish: it plans afresh from Okta and settles every doubt first\n",
        );
    }
    out
}

/// The JSON document of a repair.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Document<'a> {
    /// The org.
    pub org: &'a str,
    /// Whether nothing was applied.
    pub dry_run: bool,
    /// The plan's counts.
    pub counts: PlanCounts,
    /// The plan.
    pub plan: &'a Plan,
    /// What applying it did.
    pub applied: Option<Applied<'a>>,
    /// Okta's counts per category after applying.
    pub after: Option<&'a BTreeMap<String, u64>>,
}

/// What applying did, in the JSON document.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Applied<'a> {
    /// The counts.
    pub counts: &'a RepairCounts,
    /// Each action skipped or failed: serial, action, outcome, why.
    pub not_done: Vec<serde_json::Value>,
    /// The journal.
    pub journal: String,
    /// Stopped by Ctrl-C.
    pub interrupted: bool,
}

/// The JSON document: the plan, and with a summary what it did and the counts after.
pub fn json(
    plan: &Plan,
    before: &ReconcileResult,
    applied: Option<(&RepairSummary, &ReconcileResult)>,
) -> anyhow::Result<Vec<u8>> {
    let doc = Document {
        org: &before.org,
        dry_run: applied.is_none(),
        counts: PlanCounts::of(plan),
        plan,
        applied: applied.map(|(s, _)| Applied {
            counts: &s.counts,
            not_done: s.not_done.iter().map(not_done_json).collect(),
            journal: s.journal.display().to_string(),
            interrupted: s.interrupted,
        }),
        after: applied.map(|(_, after)| &after.reconciliation.counts),
    };
    let mut bytes = serde_json::to_vec_pretty(&doc)?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn not_done_json(f: &super::worker::Finished) -> serde_json::Value {
    let (outcome, reason) = match &f.end {
        End::Skipped { reason, .. } => ("skipped", reason.as_str()),
        End::Failed { reason } => ("failed", reason.as_str()),
        End::Done { .. } => ("done", ""),
    };
    serde_json::json!({
        "serial": f.action.serial, "action": f.action.action, "outcome": outcome,
        "reason": reason, "tokenDeleted": f.deleted,
    })
}
