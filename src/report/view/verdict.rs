//! The verdict every report opens with: what needs action, and the exact command that fixes each
//! kind of problem, then the changes the runs made in Okta (uploads beside deletions and
//! revocations). A command here never undoes an admin: a key someone removed or retired is never
//! offered for upload again, only for `retire` (record the decision) or `revoke` (finish it);
//! uploading it again stays a person's call.

use super::super::{AuditReport, ReconcileSummary};
use crate::markup::shell_word;
use crate::reconcile::diff::{Category, Item};
use crate::seed::Serial;
use std::collections::BTreeMap;

/// Most serials a suggested command names; the tables below list every one.
const SERIALS_IN_COMMAND: usize = 20;

/// One thing that needs action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// A stable name for the kind of problem (an HTML id: `verdict-missing`).
    pub key: String,
    /// What is wrong, with its count.
    pub what: String,
    /// The command that fixes it, when one does.
    pub command: Option<String>,
    /// What the command does, or what a person should do when no command can.
    pub note: String,
}

/// The line that heads the verdict.
pub fn headline(actions: &[Action]) -> String {
    match actions.len() {
        0 => "Nothing needs action.".to_string(),
        1 => "1 thing needs action.".to_string(),
        n => format!("{n} things need action."),
    }
}

/// What the runs changed in Okta, destructive writes named beside the uploads.
pub fn changes_line(r: &AuditReport) -> String {
    let c = &r.changes;
    format!(
        "Changes in Okta: {} uploaded, {} token(s) deleted, {} factor(s) unenrolled, {} key(s) revoked.",
        r.outcomes.uploaded, c.tokens_deleted, c.factors_unenrolled, c.keys_revoked
    )
}

/// What needs action, most urgent first.
pub fn actions(r: &AuditReport) -> Vec<Action> {
    let ctx = Ctx::of(r);
    let mut out = Vec::new();
    if let Some(rec) = &r.reconciliation {
        reconciliation_actions(&ctx, rec, &mut out);
    }
    journal_actions(&ctx, r, &mut out);
    out
}

/// The org and files the commands name.
struct Ctx {
    org: Option<String>,
    files: Vec<String>,
    inputs: Vec<String>,
}

impl Ctx {
    fn of(r: &AuditReport) -> Self {
        let org = r
            .reconciliation
            .as_ref()
            .map(|rec| rec.org.clone())
            .or_else(|| r.runs.first().map(|run| run.header.org.clone()))
            .filter(|o| !o.is_empty());
        let mut inputs: Vec<String> = Vec::new();
        for run in &r.runs {
            if !inputs.contains(&run.header.input) && !run.header.input.is_empty() {
                inputs.push(run.header.input.clone());
            }
        }
        let files = match &r.reconciliation {
            Some(rec) if !rec.files.is_empty() => rec.files.iter().map(|f| f.path.clone()).collect(),
            _ => inputs.clone(),
        };
        Ctx { org, files, inputs }
    }

    /// `ykprov SUBCOMMAND [--org ORG] ARGS…`, every word shell-quoted.
    fn command(&self, sub: &str, flags: &[&str], args: &[String]) -> String {
        let mut words = vec!["ykprov".to_string(), sub.to_string()];
        words.extend(flags.iter().map(|f| f.to_string()));
        if let Some(org) = &self.org {
            words.push("--org".into());
            words.push(shell_word(org));
        }
        words.extend(args.iter().map(|a| shell_word(a)));
        words.join(" ")
    }
}

fn reconciliation_actions(ctx: &Ctx, rec: &ReconcileSummary, out: &mut Vec<Action>) {
    let count = |c: Category| rec.counts.get(c.name()).copied().unwrap_or(0);
    let of = |c: Category| -> Vec<&Item> { rec.needs_action.iter().filter(|i| i.category == c).collect() };
    let retired_live = of(Category::RetiredLive);
    let mut by_reason: BTreeMap<&str, Vec<&Serial>> = BTreeMap::new();
    for i in &retired_live {
        let reason = i
            .lifecycle
            .as_ref()
            .and_then(|l| l.retired)
            .map_or("other", |r| r.as_str());
        by_reason.entry(reason).or_default().push(&i.serial);
    }
    for (reason, serials) in by_reason {
        let (args, more) = serial_args(&serials);
        out.push(Action {
            key: format!("verdict-retired-live-{reason}"),
            what: format!(
                "{} key(s) retired ({reason}) but still enrollable in Okta",
                serials.len()
            ),
            command: Some(ctx.command("revoke", &["--reason", reason], &args)),
            note: format!("unenrolls each key and deletes its token, so nobody can enroll it{more}"),
        });
    }
    let n = count(Category::Missing);
    if n > 0 {
        out.push(Action {
            key: "verdict-missing".into(),
            what: format!("{n} key(s) in the seed files are not in Okta"),
            command: Some(ctx.command("repair", &[], &ctx.files)),
            note: "shows the plan and asks before it uploads them".into(),
        });
    }
    let n = count(Category::Blocked);
    if n > 0 {
        out.push(Action {
            key: "verdict-blocked".into(),
            what: format!("{n} token(s) BLOCKED: enrolled by a user who is no longer active"),
            command: Some(ctx.command("repair", &["--reissue-blocked"], &ctx.files)),
            note: "deletes the BLOCKED token of each deactivated user and uploads its seed again (a key of a user still active is held); it shows the plan and asks first".into(),
        });
    }
    let removed: Vec<&Serial> = of(Category::Removed)
        .into_iter()
        .chain(of(Category::Revoked))
        .map(|i| &i.serial)
        .collect();
    if !removed.is_empty() {
        let (args, more) = serial_args(&removed);
        out.push(Action {
            key: "verdict-removed".into(),
            what: format!("{} key(s) uploaded once and removed in Okta since", removed.len()),
            command: Some(ctx.command(
                "retire",
                &["--reason", "<lost|stolen|destroyed|returned|other>"],
                &args,
            )),
            note: format!("records why they left service (no Okta call); uploading one again is a person's decision, never the default{more}"),
        });
    }
    advice(rec, out);
    let n = rec.invalid.len() as u64;
    if n > 0 {
        out.push(Action {
            key: "verdict-invalid".into(),
            what: format!("{n} invalid row(s) in the seed files"),
            command: Some(ctx.command_without_org("validate", &ctx.files)),
            note: "names each bad field; open the original file from the programming tool, not a copy Excel saved".into(),
        });
    }
}

/// The categories no command fixes: a person looks.
fn advice(rec: &ReconcileSummary, out: &mut Vec<Action>) {
    let count = |c: Category| rec.counts.get(c.name()).copied().unwrap_or(0);
    let rules = [
        (
            Category::Stale,
            format!("ACTIVE key(s) unused for over {} days", rec.stale_after_days),
            "ask their users whether they still have them; revoke a key only once it has left service",
        ),
        (
            Category::Unexpected,
            "token(s) in Okta that no seed file accounts for".to_string(),
            "reconcile with the seed files that hold them; nothing here deletes them",
        ),
        (
            Category::Other,
            "token(s) with a status this version does not know".to_string(),
            "look at them in the Okta admin console",
        ),
    ];
    for (c, what, note) in rules {
        let n = count(c.clone());
        if n > 0 {
            out.push(Action {
                key: format!("verdict-{}", c.name()),
                what: format!("{n} {what}"),
                command: None,
                note: note.into(),
            });
        }
    }
}

/// What the journals alone say; with a reconciliation, failed and in-doubt uploads are already
/// its `missing` (or settled), so only what it cannot see is added.
fn journal_actions(ctx: &Ctx, r: &AuditReport, out: &mut Vec<Action>) {
    let o = &r.outcomes;
    let reconciled = r.reconciliation.is_some();
    if !reconciled && o.failed > 0 {
        for input in &ctx.inputs {
            out.push(Action {
                key: "verdict-failed".into(),
                what: format!("{} upload(s) failed after their retries", o.failed),
                command: Some(ctx.command("upload", &[], std::slice::from_ref(input))),
                note: "continues the journaled run: only the unfinished rows are sent".into(),
            });
        }
    }
    if !reconciled && o.in_doubt > 0 {
        out.push(Action {
            key: "verdict-in-doubt".into(),
            what: format!("{} upload(s) in doubt (sent, no answer journaled)", o.in_doubt),
            command: Some(ctx.command("reconcile", &[], &ctx.inputs)),
            note: "says which of them Okta holds".into(),
        });
    }
    if o.rejected > 0 {
        out.push(Action {
            key: "verdict-rejected".into(),
            what: format!("{} row(s) refused by Okta", o.rejected),
            command: None,
            note: "the Serials section gives each refusal's error code and summary".into(),
        });
    }
    if !reconciled && o.invalid > 0 {
        out.push(Action {
            key: "verdict-invalid-rows".into(),
            what: format!("{} invalid row(s) skipped", o.invalid),
            command: Some(ctx.command_without_org("validate", &ctx.inputs)),
            note: "names each bad field; open the original file from the programming tool, not a copy Excel saved".into(),
        });
    }
    if let Some(rep) = &r.repairs {
        use super::super::repairs::RepairState;
        let n = rep.count(RepairState::Failed) + rep.count(RepairState::Pending);
        if n > 0 {
            out.push(Action {
                key: "verdict-repairs".into(),
                what: format!("{n} repair action(s) failed or did not finish"),
                command: Some(ctx.command("repair", &[], &ctx.files)),
                note: "plans again from Okta's state and continues the journal".into(),
            });
        }
    }
}

impl Ctx {
    fn command_without_org(&self, sub: &str, args: &[String]) -> String {
        let mut words = vec!["ykprov".to_string(), sub.to_string()];
        words.extend(args.iter().map(|a| shell_word(a)));
        words.join(" ")
    }
}

/// The serials for a command, cut at [`SERIALS_IN_COMMAND`], and the note's tail when cut.
fn serial_args(serials: &[&Serial]) -> (Vec<String>, String) {
    let args = serials
        .iter()
        .take(SERIALS_IN_COMMAND)
        .map(|s| s.to_string())
        .collect();
    let more = match serials.len().saturating_sub(SERIALS_IN_COMMAND) {
        0 => String::new(),
        n => format!(" (the command names the first {SERIALS_IN_COMMAND}; {n} more are in the tables below)"),
    };
    (args, more)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headline_counts_what_needs_action() {
        assert_eq!(headline(&[]), "Nothing needs action.");
    }
}
