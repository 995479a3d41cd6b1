//! A revoke plan pinned to a file (see [`crate::pinned`]): each target's steps with the token id
//! and status they act on. Applying it plans again from a fresh listing of the plan's serials and
//! keeps only the targets the pinned plan has unchanged; one whose token or status changed is
//! left with the reason, for a person to look at.

use super::plan::{Left, Plan, Step};
use crate::pinned::{self, PinnedAction, PlanBody, PlanDocument};

/// The command name a revoke plan carries, so `repair --plan` refuses it.
pub const COMMAND: &str = "revoke";

/// A plan's targets as pinned.
pub fn pinned_actions(plan: &Plan) -> Vec<PinnedAction<Vec<Step>>> {
    plan.targets
        .iter()
        .map(|t| PinnedAction {
            serial: t.serial.as_str().to_string(),
            action: t.steps.clone(),
            token_id: Some(t.token_id.clone()),
            status: Some(t.status.clone()),
        })
        .collect()
}

/// The document `revoke --dry-run --plan-out` writes; `listed_at` is when the listing began.
pub fn document(plan: &Plan, org: &str, listed_at: String) -> anyhow::Result<PlanDocument<Vec<Step>>> {
    pinned::build(PlanBody {
        command: COMMAND.into(),
        org: org.into(),
        listed_at,
        actions: pinned_actions(plan),
    })
}

/// Narrows a fresh plan to a pinned one: unchanged targets are kept, a changed one is left
/// with the reason (a person decides), a target outside the pinned plan is dropped.
pub fn narrow(plan: &mut Plan, pinned: &[PinnedAction<Vec<Step>>]) {
    let fresh = pinned_actions(plan);
    let mut kept = Vec::new();
    for (target, f) in std::mem::take(&mut plan.targets).into_iter().zip(&fresh) {
        match pinned::check(pinned, f) {
            Some(Ok(())) => kept.push(target),
            Some(Err(reason)) => plan.left.push(Left {
                serial: target.serial,
                reason,
                action_needed: true,
            }),
            None => {}
        }
    }
    plan.targets = kept;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revoke::plan::Target;

    fn target(serial: u32, token: &str, status: &str) -> Target {
        Target {
            serial: serial.into(),
            token_id: token.into(),
            status: status.into(),
            user_id: None,
            login: None,
            steps: vec![Step::Delete],
        }
    }

    #[test]
    fn a_target_whose_token_changed_is_left_with_the_reason() {
        let planned = Plan {
            targets: vec![target(1, "t1", "UNASSIGNED"), target(2, "t2", "UNASSIGNED")],
            ..Plan::default()
        };
        let pinned = pinned_actions(&planned);
        let mut fresh = Plan {
            targets: vec![
                target(1, "t1", "UNASSIGNED"),
                target(2, "t9", "UNASSIGNED"),
                target(3, "t3", "UNASSIGNED"),
            ],
            ..Plan::default()
        };
        narrow(&mut fresh, &pinned);
        assert_eq!(fresh.targets, vec![target(1, "t1", "UNASSIGNED")]);
        assert_eq!(fresh.left.len(), 1);
        assert!(
            fresh.left[0].reason.contains("token t2 then, t9 now"),
            "{:?}",
            fresh.left
        );
    }
}
