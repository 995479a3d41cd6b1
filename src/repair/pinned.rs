//! A repair plan pinned to a file (see [`crate::pinned`]): the document a dry run writes, and
//! the fresh plan narrowed to it when applying. An action runs only when the pinned plan has its
//! serial with the same action, token id and status; one whose target changed is held with the
//! reason, and nothing outside the pinned plan is acted on.

use super::plan::{Held, Hold, Plan};
use super::RepairAction;
use crate::pinned::{self, PinnedAction, PlanBody, PlanDocument};
use crate::reconcile::diff::Reconciliation;
use crate::reconcile::ReconcileResult;
use crate::seed::Serial;
use std::collections::BTreeSet;

/// The command name a repair plan carries, so `revoke --plan` refuses it.
pub const COMMAND: &str = "repair";

/// A plan's actions as pinned: each with the token id and status of the serial's record in the
/// reconciliation it was made from.
pub fn pinned_actions(plan: &Plan, rec: &Reconciliation) -> Vec<PinnedAction<RepairAction>> {
    plan.actions
        .iter()
        .map(|a| {
            let item = rec.items.iter().find(|i| i.serial == a.serial);
            PinnedAction {
                serial: a.serial.as_str().to_string(),
                action: a.action,
                token_id: item.and_then(|i| i.token_id.clone()),
                status: item.and_then(|i| i.status.clone()),
            }
        })
        .collect()
}

/// The document `repair --dry-run --plan-out` writes.
pub fn document(plan: &Plan, before: &ReconcileResult) -> anyhow::Result<PlanDocument<RepairAction>> {
    pinned::build(PlanBody {
        command: COMMAND.into(),
        org: before.org.clone(),
        listed_at: before.generated_at.clone(),
        actions: pinned_actions(plan, &before.reconciliation),
    })
}

/// Narrows a fresh plan to a pinned one: actions the pinned plan has unchanged are kept; one
/// whose target changed, and a pinned serial the fresh listing no longer plans the same action
/// for, is held as [`Hold::ChangedSincePlan`] with the reason; everything else is dropped.
pub fn narrow(plan: &mut Plan, rec: &Reconciliation, pinned: &[PinnedAction<RepairAction>]) {
    let fresh = pinned_actions(plan, rec);
    let mut changed = Vec::new();
    let mut kept = Vec::new();
    for (action, f) in std::mem::take(&mut plan.actions).into_iter().zip(&fresh) {
        match pinned::check(pinned, f) {
            Some(Ok(())) => kept.push(action),
            Some(Err(reason)) => changed.push((action.serial.clone(), f.status.clone(), reason)),
            None => {}
        }
    }
    let acted: BTreeSet<&str> = fresh.iter().map(|f| f.serial.as_str()).collect();
    for p in pinned.iter().filter(|p| !acted.contains(p.serial.as_str())) {
        let item = rec.items.iter().find(|i| i.serial.as_str() == p.serial);
        let status = item.and_then(|i| i.status.clone());
        let now = status.as_deref().unwrap_or("no record");
        let reason = format!(
            "changed since the plan: a fresh listing calls for no {} (status {now} now); skipped",
            p.action.as_str()
        );
        if let Some(i) = item {
            changed.push((i.serial.clone(), status, reason));
        }
    }
    let pinned_serials: BTreeSet<&str> = pinned.iter().map(|p| p.serial.as_str()).collect();
    plan.held.retain(|h| {
        h.serial
            .as_ref()
            .is_some_and(|s| pinned_serials.contains(s.as_str()))
            && !changed.iter().any(|(s, _, _)| Some(s) == h.serial.as_ref())
    });
    plan.held
        .extend(changed.into_iter().map(|(serial, status, reason)| Held {
            serial: Some(serial),
            hold: Hold::ChangedSincePlan,
            status,
            place: None,
            reason,
        }));
    plan.actions = kept;
}

/// The serials a pinned plan names, to narrow the fresh plan to them.
pub fn serials(pinned: &[PinnedAction<RepairAction>]) -> anyhow::Result<BTreeSet<Serial>> {
    pinned
        .iter()
        .map(|p| {
            crate::seed::SerialNumber::parse(&p.serial)
                .map(Serial::from)
                .map_err(|e| anyhow::anyhow!("the plan names serial {:?}: {e}", p.serial))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::Facts;
    use crate::okta::inventory::RemoteToken;
    use crate::reconcile::diff::{diff, DiffOptions, LocalRow, Scope};
    use crate::repair::plan::{plan, PlanOptions, SeedIndex};
    use chrono::{DateTime, Duration, Utc};

    fn now() -> DateTime<Utc> {
        "2026-12-01T00:00:00Z".parse().unwrap()
    }

    /// Serials 1-3 in the file; Okta holds `remote` (serial, status).
    fn planned(remote: &[(u32, &str)]) -> (Plan, Reconciliation) {
        let local: Vec<LocalRow> = (1..=3)
            .map(|s: u32| LocalRow {
                serial: s.into(),
                file: "s.csv".into(),
                line: u64::from(s),
            })
            .collect();
        let mut seeds = SeedIndex::default();
        for r in &local {
            seeds.add("s.csv", r.serial.clone(), r.line);
        }
        let remote: Vec<RemoteToken> = remote
            .iter()
            .map(|&(s, status)| RemoteToken {
                created: Some(now() - Duration::days(3)),
                ..RemoteToken::listed(s, &format!("ykk{s}"), status)
            })
            .collect();
        let opts = DiffOptions {
            scope: Scope::File,
            stale_after: Duration::days(90),
            now: now(),
        };
        let rec = diff(&local, &remote, Vec::new(), &opts, &Facts::default());
        (plan(&rec, &seeds, &PlanOptions::default()), rec)
    }

    #[test]
    fn an_unchanged_plan_keeps_its_actions_and_nothing_else() {
        let (p, rec) = planned(&[]);
        assert_eq!(p.actions.len(), 3);
        let pinned: Vec<_> = pinned_actions(&p, &rec).into_iter().take(2).collect();
        let mut fresh = p.clone();
        narrow(&mut fresh, &rec, &pinned);
        let kept: Vec<&str> = fresh.actions.iter().map(|a| a.serial.as_str()).collect();
        assert_eq!(kept, [Serial::from(1).as_str(), Serial::from(2).as_str()]);
        assert!(fresh.held.is_empty(), "{:?}", fresh.held);
    }

    #[test]
    fn a_target_uploaded_since_the_plan_is_held_with_the_reason() {
        let (p, rec) = planned(&[]);
        let pinned = pinned_actions(&p, &rec);
        let (mut fresh, now_rec) = planned(&[(2, "UNASSIGNED")]);
        narrow(&mut fresh, &now_rec, &pinned);
        assert_eq!(fresh.actions.len(), 2);
        assert_eq!(fresh.held.len(), 1, "{:?}", fresh.held);
        let h = &fresh.held[0];
        assert_eq!(h.hold, Hold::ChangedSincePlan);
        assert!(
            h.reason.contains("no upload (status UNASSIGNED now)"),
            "{}",
            h.reason
        );
    }
}
