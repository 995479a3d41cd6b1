//! What a revoke shows: the plan before anything is sent (text), the end of each serial, and a
//! JSON document (camelCase) of both for scripts. A serial Okta would not let go of is said
//! loudly: the key can still be enrolled by whoever holds it.

use super::{Finished, Plan, RevokeSummary};
use crate::journal::revoke::RevokeOutcome;
use serde::Serialize;
use std::fmt::Write as _;

/// The plan, as the operator reads it before confirming.
pub fn plan_text(p: &Plan, org: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "revoke plan for {org}:");
    for t in &p.targets {
        let user = t
            .login
            .as_deref()
            .or(t.user_id.as_deref())
            .map(|u| format!(" (user {u})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}  token {} {}{user}: {}",
            t.serial,
            t.token_id,
            t.status,
            t.steps_text()
        );
    }
    for l in &p.left {
        let mark = if l.action_needed { "ACTION NEEDED: " } else { "" };
        let _ = writeln!(out, "  {}  {mark}{}", l.serial, l.reason);
    }
    let _ = writeln!(
        out,
        "{} write(s) for {} key(s); {} key(s) need nothing in Okta",
        p.writes(),
        p.targets.len(),
        p.left.iter().filter(|l| !l.action_needed).count()
    );
    out
}

fn end_line(out: &mut String, f: &Finished) {
    let writes: Vec<&str> = f.writes.iter().map(|s| s.as_str()).collect();
    let done = if writes.is_empty() {
        String::new()
    } else {
        format!(" [{}]", writes.join(", "))
    };
    let _ = match f.outcome {
        RevokeOutcome::ActionNeeded => writeln!(out, "  {}  ACTION NEEDED{done}: {}", f.serial, f.reason),
        o => writeln!(out, "  {}  {o}{done}: {}", f.serial, f.reason),
    };
}

/// What happened, serial by serial, then the counts.
pub fn summary_text(s: &RevokeSummary) -> String {
    let mut out = String::new();
    let mut finished: Vec<&Finished> = s.finished.iter().collect();
    finished.sort_by(|a, b| a.serial.cmp(&b.serial));
    for f in finished {
        end_line(&mut out, f);
    }
    let _ = writeln!(
        out,
        "revoked {}, already safe {}, action needed {}, failed {}, not started {}; journal {}",
        s.count(RevokeOutcome::Revoked),
        s.count(RevokeOutcome::AlreadySafe),
        s.count(RevokeOutcome::ActionNeeded),
        s.count(RevokeOutcome::Failed),
        s.not_started,
        s.journal.display()
    );
    if s.count(RevokeOutcome::Failed) > 0 {
        let _ = writeln!(
            out,
            "run the same revoke again to finish: it plans from what Okta lists, so nothing is done twice"
        );
    }
    out
}

/// One serial's end in the JSON document.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct End<'a> {
    serial: &'a str,
    outcome: RevokeOutcome,
    writes: Vec<&'static str>,
    reason: &'a str,
}

/// The JSON document: the plan, and after an apply, each serial's end and the counts.
pub fn json(p: &Plan, org: &str, s: Option<&RevokeSummary>) -> anyhow::Result<Vec<u8>> {
    let ends: Option<Vec<End<'_>>> = s.map(|s| {
        s.finished
            .iter()
            .map(|f| End {
                serial: f.serial.as_str(),
                outcome: f.outcome,
                writes: f.writes.iter().map(|w| w.as_str()).collect(),
                reason: &f.reason,
            })
            .collect()
    });
    let counts = s.map(|s| {
        serde_json::json!({
            "revoked": s.count(RevokeOutcome::Revoked),
            "alreadySafe": s.count(RevokeOutcome::AlreadySafe),
            "actionNeeded": s.count(RevokeOutcome::ActionNeeded),
            "failed": s.count(RevokeOutcome::Failed),
            "notStarted": s.not_started,
        })
    });
    let doc = serde_json::json!({
        "org": org,
        "plan": p,
        "results": ends,
        "counts": counts,
        "journal": s.map(|s| s.journal.display().to_string()),
    });
    let mut v = serde_json::to_vec_pretty(&doc)?;
    v.push(b'\n');
    Ok(v)
}
