//! `ykprov ledger verify|import`, and what every command that records into the ledger shares:
//! opening it from `--ledger`, the org of a command that needs no connection, the operator.

use super::Outcome;
use crate::cli::{GlobalArgs, LedgerAction, LedgerArgs, LedgerImportArgs, TextOrJson};
use crate::ledger::{self, Ledger};
use serde_json::json;

/// Opens the ledger `--ledger` (or `YKPROV_LEDGER`, or the default path) names. Called before
/// anything is sent to Okta, so a ledger that cannot be used stops the command first.
pub fn open(global: &GlobalArgs) -> anyhow::Result<Ledger> {
    Ledger::open(&ledger::resolve_path(global.ledger.as_deref())?)
}

/// The ledger a command that only reads Okta (`export`, `probe`) counts its requests in. Such a
/// command keeps no lifecycle facts, so a ledger that cannot be used costs only that count: the
/// command goes on, with a warning that its requests are neither counted nor recorded.
pub fn open_for_reads(global: &GlobalArgs) -> Option<Ledger> {
    match open(global) {
        Ok(l) => Some(l),
        Err(e) => {
            eprintln!(
                "warning: the ledger cannot be used ({e:#}); this run's requests are not counted against --share by the next run"
            );
            None
        }
    }
}

/// The org a command that makes no Okta call is about: `--org`, else the environment, else
/// okta.yaml, normalised. No token is read.
pub fn org_only(flag: Option<&str>) -> anyhow::Result<String> {
    let flags = crate::okta::config::Flags {
        org: flag.map(str::to_string),
        ..Default::default()
    };
    let env = |k: &str| std::env::var(k).ok();
    let settings = crate::okta::config::gather(&flags, &env, &crate::okta::config::yaml_paths())?;
    let Some(org) = settings.org else {
        anyhow::bail!(
            "no Okta org given: use --org https://YOUR-ORG.okta.com, set {}, or put okta.client.orgUrl in okta.yaml",
            crate::okta::config::ENV_ORG
        )
    };
    ledger::normalise_org(&org.value)
}

/// `user@host`, as journals name the operator.
pub fn operator() -> String {
    crate::upload::run_journal::operator()
}

/// Runs `ykprov ledger`.
pub fn run(args: &LedgerArgs, global: &GlobalArgs) -> anyhow::Result<Outcome> {
    match &args.action {
        LedgerAction::Verify(a) => verify(a.format, global),
        LedgerAction::Import(a) => import(a, global),
    }
}

fn verify(format: TextOrJson, global: &GlobalArgs) -> anyhow::Result<Outcome> {
    let ledger = open(global)?;
    let v = ledger.verify()?;
    let text = match (format, &v.first_broken) {
        (TextOrJson::Json, _) => serde_json::to_string_pretty(&json!({
            "ledger": ledger.path().display().to_string(), "events": v.events, "intact": v.first_broken.is_none(), "firstBroken": v.first_broken,
        }))? + "\n",
        (TextOrJson::Text, None) => format!("ledger {}: {} events, chain intact\n", ledger.path().display(), v.events),
        (TextOrJson::Text, Some(b)) => format!(
            "ledger {}: the chain breaks at event {}: {}\n{} events before it check out; keep a copy of the file as evidence\n",
            ledger.path().display(),
            b.id,
            b.problem,
            v.events
        ),
    };
    super::output::emit(None, text.as_bytes())?;
    Ok(Outcome::problems_if(v.first_broken.is_some()))
}

fn import(args: &LedgerImportArgs, global: &GlobalArgs) -> anyhow::Result<Outcome> {
    for j in &args.journals {
        if !j.is_file() {
            anyhow::bail!(
                "cannot read journal {}: no such file; nothing was imported",
                j.display()
            );
        }
    }
    let mut ledger = open(global)?;
    let mut rows = Vec::new();
    for j in &args.journals {
        let got = ledger.ingest_journal(j)?;
        rows.push(json!({
            "journal": j.display().to_string(), "sha256": got.sha256, "lines": got.lines, "events": got.events, "unreadableLines": got.unreadable,
        }));
    }
    let text = match args.format {
        TextOrJson::Json => serde_json::to_string_pretty(&json!({ "imported": rows }))? + "\n",
        TextOrJson::Text => rows
            .iter()
            .map(|r| {
                format!(
                    "{}: {} lines, {} new events, {} unreadable (sha256 {})\n",
                    r["journal"].as_str().unwrap_or_default(),
                    r["lines"],
                    r["events"],
                    r["unreadableLines"],
                    r["sha256"].as_str().unwrap_or_default()
                )
            })
            .collect(),
    };
    super::output::emit(None, text.as_bytes())?;
    Ok(Outcome::Clean)
}
