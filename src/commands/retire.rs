//! `ykprov retire` and `ykprov unretire`: an admin's decision, recorded in the ledger. No Okta
//! call and no token: `ykprov revoke` is the command that also makes Okta safe.

use super::ledger::{open, operator, org_only};
use super::Outcome;
use crate::cli::{GlobalArgs, RetireArgs, TextOrJson, UnretireArgs};
use crate::lifecycle::Retirement;
use crate::seed::Serial;
use anyhow::Context;
use chrono::Utc;
use serde_json::json;
use std::path::Path;

/// Serials from the command line and `--from`, in order, each once. A word that is not a number
/// is an error naming it (a typo must not retire nothing silently).
pub fn serials(given: &[String], from: Option<&Path>) -> anyhow::Result<Vec<Serial>> {
    let mut words: Vec<String> = given.to_vec();
    if let Some(path) = from {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        words.extend(
            text.lines()
                .map(|l| l.split('#').next().unwrap_or_default().trim().to_string())
                .filter(|l| !l.is_empty()),
        );
    }
    let mut out: Vec<Serial> = Vec::new();
    for w in words {
        if w.is_empty() || !w.chars().all(|c| c.is_ascii_digit()) || w.len() > 12 {
            anyhow::bail!("`{w}` is not a serial (up to 12 digits); nothing was recorded");
        }
        let s = Serial::from_okta(&w);
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

/// Runs `ykprov retire`.
pub fn run_retire(args: &RetireArgs, global: &GlobalArgs) -> anyhow::Result<Outcome> {
    let serials = serials(&args.serials, args.from.as_deref())?;
    if serials.is_empty() {
        anyhow::bail!("no serial to retire");
    }
    let org = org_only(args.org.org.as_deref())?;
    let mut ledger = open(global)?;
    let r = Retirement {
        reason: args.reason,
        ticket: args.ticket.clone(),
        note: args.note.clone(),
        at: Utc::now(),
        operator: operator(),
    };
    ledger.retire(&org, &serials, &r)?;
    let text = match args.format {
        TextOrJson::Json => {
            serde_json::to_string_pretty(&json!({"org": org, "serials": serials, "retirement": r}))? + "\n"
        }
        TextOrJson::Text => format!(
            "retired {} key(s) in {org} ({}{}): {}\nrepair will not upload them again; if a live token is left in Okta, run `ykprov revoke`\n",
            serials.len(),
            r.reason,
            r.ticket.as_deref().map(|t| format!(", ticket {t}")).unwrap_or_default(),
            serials.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        ),
    };
    super::output::emit(None, text.as_bytes())?;
    Ok(Outcome::Clean)
}

/// Runs `ykprov unretire`.
pub fn run_unretire(args: &UnretireArgs, global: &GlobalArgs) -> anyhow::Result<Outcome> {
    let serial = serials(std::slice::from_ref(&args.serial), None)?
        .pop()
        .context("no serial given")?;
    let org = org_only(args.org.org.as_deref())?;
    let mut ledger = open(global)?;
    let done = ledger.unretire(&org, &serial, &args.ticket, &operator(), Utc::now())?;
    let text = match (args.format, done) {
        (TextOrJson::Json, _) => {
            serde_json::to_string_pretty(
                &json!({"org": org, "serial": serial, "unretired": done, "ticket": args.ticket}),
            )? + "\n"
        }
        (TextOrJson::Text, true) => {
            format!("{serial} is back in service in {org} (ticket {})\n", args.ticket)
        }
        (TextOrJson::Text, false) => format!("{serial} was not retired in {org}; nothing recorded\n"),
    };
    super::output::emit(None, text.as_bytes())?;
    Ok(Outcome::problems_if(!done))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_come_padded_once_each_from_arguments_and_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s.txt");
        std::fs::write(
            &file,
            "# stolen in the office\n31000004\n\n000031000005 # and this\n31000004\n",
        )
        .unwrap();
        let got = serials(&["7".into()], Some(&file)).unwrap();
        assert_eq!(
            got,
            ["000000000007", "000031000004", "000031000005"].map(Serial::from_okta)
        );
    }

    #[test]
    fn a_word_that_is_not_a_serial_is_named() {
        let err = serials(&["31000004".into(), "3100OOO5".into()], None).unwrap_err();
        assert!(err.to_string().contains("`3100OOO5` is not a serial"), "{err}");
    }
}
