//! `ykprov revoke`: revoke = retire, then make Okta safe. Flags to a checked config; the org
//! and the plan shown first (`--dry-run` stops there); an unknown serial refused before anything
//! is recorded or sent; the operator's consent (asked on a terminal, `--yes` off one); the
//! retirement recorded; Ctrl-C handling; the apply; the end of each serial, said loudly when Okta
//! would not let go of a key; and the exit outcome: 0 when every key is safe, 1 when one needs
//! action (or failed, or a dry run plans writes), 2 when fatal.

use super::signal::ctrl_c;
use super::Outcome;
use crate::cli::{GlobalArgs, RevokeArgs};
use crate::ledger::Ledger;
use crate::lifecycle::Retirement;
use crate::okta::pacing::RateSetting;
use crate::okta::{self, ConnectSettings, OktaClient};
use crate::repair::output::Format;
use crate::revoke::{self, output, Plan, RevokeOptions};
use anyhow::Context;
use std::time::Duration;

/// Everything `revoke` needs, checked.
struct RevokeConfig {
    options: RevokeOptions,
    connection: ConnectSettings,
    dry_run: bool,
    yes: bool,
    format: Format,
}

impl RevokeConfig {
    fn from_args(args: &RevokeArgs) -> anyhow::Result<Self> {
        if !(1..=75).contains(&args.concurrency) {
            anyhow::bail!("--concurrency must be between 1 and 75, got {}", args.concurrency);
        }
        let mut serials = args.serials.clone();
        if let Some(path) = &args.serials_from {
            serials.extend(super::serials::read(path)?);
        }
        // A serial named twice (argument and file) is revoked once.
        let mut seen = std::collections::BTreeSet::new();
        serials.retain(|s| seen.insert(s.clone()));
        let mut options = RevokeOptions::new(serials, args.reason);
        options.ticket = args.ticket.clone();
        options.note = args.note.clone();
        options.concurrency = args.concurrency;
        if let Some(j) = &args.journal {
            options.journal = j.clone();
        }
        let rate = RateSetting::DEFAULT;
        let connection = ConnectSettings {
            flags: args.org.flags(),
            connect_timeout: Duration::from_secs(args.org.connect_timeout),
            timeout: Duration::from_secs(args.org.timeout),
            rate,
            // It lists, reads users and factors, unenrolls and deletes.
            scopes: crate::okta::oauth::UPLOAD_SCOPES,
        };
        Ok(RevokeConfig {
            options,
            connection,
            dry_run: args.dry_run,
            yes: args.yes,
            format: args.output,
        })
    }
}

fn print(bytes: &[u8]) -> anyhow::Result<()> {
    super::output::emit(None, bytes)
}

/// Records the admin's decision that the keys are retired, before anything is sent to Okta, so a
/// run stopped part-way still leaves the keys retired (reconcile then shows any live one as
/// `retired_live`) and repair never uploads them again.
///
/// Records the decision before Okta is touched: the serials join the ledger's manifest when only
/// Okta's listing knew them, are retired with the reason, and the run's start is recorded. A ledger
/// that cannot be written stops the command here (exit 2, nothing sent).
fn record_retirement(
    ledger: &mut Ledger,
    org: &str,
    config: &RevokeConfig,
    writes: bool,
) -> anyhow::Result<()> {
    let o = &config.options;
    let now = chrono::Utc::now();
    ledger.adopt_listed(org, &o.serials, now)?;
    let retirement = Retirement {
        reason: o.reason,
        ticket: o.ticket.clone(),
        note: o.note.clone(),
        at: now,
        operator: super::ledger::operator(),
    };
    ledger.retire(org, &o.serials, &retirement)?;
    if writes {
        let who = o.okta_identity.as_deref();
        super::recording::before_run(ledger, org, "revoke", &[], &o.journal, &[], who)?;
    }
    Ok(())
}

/// The serials Okta never heard of and ykprov never uploaded: an error naming them.
fn refuse_unknown(p: &Plan) -> anyhow::Result<()> {
    if p.unknown.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = p.unknown.iter().map(|s| s.trim_start_matches('0')).collect();
    anyhow::bail!(
        "unknown serial(s) {}: Okta has no record of them and ykprov never uploaded them; check the serial. Nothing was recorded or sent",
        names.join(", ")
    )
}

/// Verifies a pinned plan and takes its serials; returns its actions for narrowing the fresh plan.
fn pin(
    options: &mut revoke::RevokeOptions,
    bytes: &[u8],
    org: &str,
) -> anyhow::Result<Vec<crate::pinned::PinnedAction<Vec<revoke::plan::Step>>>> {
    let body = crate::pinned::verify(bytes, revoke::pinned::COMMAND, org)?;
    let mut serials = Vec::new();
    for a in &body.actions {
        let s = crate::seed::SerialNumber::parse(&a.serial)
            .map_err(|e| anyhow::anyhow!("the plan names serial {:?}: {e}", a.serial))?;
        serials.push(crate::seed::Serial::from(s));
    }
    options.serials = serials;
    Ok(body.actions)
}

/// Runs `ykprov revoke`.
pub async fn run(args: &RevokeArgs, global: &GlobalArgs) -> anyhow::Result<Outcome> {
    let mut config = RevokeConfig::from_args(args)?;
    super::output::check_outputs(&[("--plan-out", args.plan_out.as_deref())])?;
    let plan_bytes = args.plan.as_deref().map(crate::pinned::read).transpose()?;
    let mut ledger = super::ledger::open(global)?;
    let client = okta::connect(&config.connection)?;
    let org = client.org().to_string();
    let pinned = match (&plan_bytes, &args.plan) {
        (Some(bytes), Some(path)) => Some(
            pin(&mut config.options, bytes, &org)
                .with_context(|| format!("refusing plan {}", path.display()))?,
        ),
        _ => None,
    };
    let listed_at = crate::okta::models::okta_time::format(&chrono::Utc::now());
    let _locks = super::locks::take(config.dry_run, "revoke", &config.options.journal, client.org())?;
    ledger.catch_up(&org)?;
    super::recording::carry_share(&ledger, &client, &config.options.journal);
    config.options.facts = ledger.facts(&org)?;
    let mut plan = revoke::prepare(&config.options, &client).await?;
    refuse_unknown(&plan)?;
    if let Some(p) = &pinned {
        revoke::pinned::narrow(&mut plan, p);
    }
    let plan_text = output::plan_text(&plan, &org);
    let held = plan.left.iter().any(|l| l.action_needed);
    if config.dry_run {
        if let Some(path) = &args.plan_out {
            crate::pinned::write(path, &revoke::pinned::document(&plan, &org, listed_at)?)?;
            if !global.quiet {
                eprintln!("plan written to {}; apply it with --plan", path.display());
            }
        }
        match config.format {
            Format::Text => print(plan_text.as_bytes())?,
            Format::Json => print(&output::json(&plan, &org, None)?)?,
        }
        return Ok(Outcome::problems_if(!plan.targets.is_empty() || held));
    }
    match config.format {
        Format::Text => print(plan_text.as_bytes())?,
        Format::Json if !config.yes => eprint!("{plan_text}"),
        Format::Json => {}
    }
    if !plan.targets.is_empty() && !super::consent::ask(plan.writes(), &org, config.yes)? {
        eprintln!("nothing was applied");
        return Ok(Outcome::Problems);
    }
    if !plan.targets.is_empty() {
        config.options.okta_identity = Some(crate::okta::identity::recorded(&client).await?);
    }
    record_retirement(&mut ledger, &org, &config, !plan.targets.is_empty())?;
    if plan.targets.is_empty() {
        if config.format == Format::Json {
            print(&output::json(&plan, &org, None)?)?;
        }
        return Ok(Outcome::problems_if(held));
    }
    let outcome = apply(&config, &plan, &client, held).await;
    super::recording::after_run(&mut ledger, &config.options.journal);
    super::recording::record_sends(&mut ledger, &client, &config.options.journal);
    outcome
}

async fn apply(
    config: &RevokeConfig,
    plan: &Plan,
    client: &OktaClient,
    held: bool,
) -> anyhow::Result<Outcome> {
    let (mut shutdown, quit_now) = ctrl_c();
    let summary = tokio::select! {
        s = revoke::apply(&config.options, plan, client, &mut shutdown) => s?,
        _ = quit_now => return Ok(Outcome::Interrupted),
    };
    let text = output::summary_text(&summary);
    if let Some(fatal) = &summary.fatal {
        eprint!("{text}");
        anyhow::bail!("revoke stopped: {fatal}");
    }
    match config.format {
        Format::Text => print(text.as_bytes())?,
        Format::Json => print(&output::json(plan, client.org().as_str(), Some(&summary))?)?,
    }
    if summary.interrupted {
        return Ok(Outcome::Interrupted);
    }
    Ok(Outcome::problems_if(!summary.is_clean() || held))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use crate::lifecycle::RetireReason;
    use clap::Parser;

    fn config(args: &[&str]) -> anyhow::Result<RevokeConfig> {
        let cli = Cli::try_parse_from(args).map_err(|e| anyhow::anyhow!("{e}"))?;
        let Command::Revoke(a) = &cli.command else {
            panic!("parsed as another command");
        };
        RevokeConfig::from_args(a)
    }

    #[test]
    fn serials_reason_ticket_and_note_reach_the_options() {
        let c = config(&[
            "ykprov",
            "revoke",
            "31000004",
            "000031000005",
            "--reason",
            "Stolen",
            "--ticket",
            "INC-7",
            "--note",
            "laptop bag",
            "--journal",
            "j.jsonl",
        ])
        .unwrap();
        let serials: Vec<&str> = c.options.serials.iter().map(|s| s.as_str()).collect();
        assert_eq!(serials, ["000031000004", "000031000005"]);
        assert_eq!(c.options.reason, RetireReason::Stolen);
        assert_eq!(c.options.ticket.as_deref(), Some("INC-7"));
        assert_eq!(c.options.note.as_deref(), Some("laptop bag"));
        assert_eq!(c.options.journal, std::path::PathBuf::from("j.jsonl"));
        assert!(!c.dry_run && !c.yes && c.format == Format::Text);
    }

    #[test]
    fn a_reason_is_required_and_checked_and_dry_run_excludes_yes() {
        let missing = config(&["ykprov", "revoke", "1"]).err().unwrap().to_string();
        assert!(missing.contains("--reason"), "{missing}");
        let bad = config(&["ykprov", "revoke", "1", "--reason", "misplaced"])
            .err()
            .unwrap()
            .to_string();
        assert!(bad.contains("lost, stolen, destroyed, returned, other"), "{bad}");
        assert!(config(&["ykprov", "revoke", "x", "--reason", "lost"]).is_err());
        assert!(config(&["ykprov", "revoke", "1", "--reason", "lost", "--dry-run", "--yes"]).is_err());
        let c = config(&["ykprov", "revoke", "1", "--reason", "lost", "--concurrency", "0"]);
        assert!(c.err().unwrap().to_string().contains("--concurrency"));
    }

    #[test]
    fn an_unknown_serial_is_an_error_naming_it() {
        let p = Plan {
            unknown: vec![31000009u32.into()],
            ..Plan::default()
        };
        let err = refuse_unknown(&p).unwrap_err().to_string();
        assert!(
            err.contains("unknown serial(s) 31000009") && err.contains("Nothing was recorded or sent"),
            "{err}"
        );
        assert!(refuse_unknown(&Plan::default()).is_ok());
    }
}
