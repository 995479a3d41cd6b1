//! `ykprov repair`: flags to a checked config, the plan (printed; `--dry-run` stops there),
//! the operator's consent (asked on a terminal, `--yes` off one), Ctrl-C handling, the apply,
//! the reconciliation after it, the optional report, and the exit outcome: 0 when nothing needs
//! action, 1 when something remains (or, for a dry run, when actions are planned), 2 when fatal.

use super::output::require_seed_file;
use super::sealed::unseal_options;
use super::signal::ctrl_c;
use super::upload::{pace_problems, rate_setting};
use super::{recording, Outcome, RunMetrics};
use crate::cli::{GlobalArgs, RepairArgs};
use crate::okta::{self, ConnectSettings, OktaClient};
use crate::reconcile::{self, ReconcileResult};
use crate::repair::output::{self, Format};
use crate::repair::{self, Prepared, RepairOptions, RepairSummary};
use crate::seed::UnsealOptions;
use anyhow::Context;
use std::path::PathBuf;
use std::time::Duration;

/// Everything `repair` needs, checked.
struct RepairConfig {
    options: RepairOptions,
    connection: ConnectSettings,
    dry_run: bool,
    yes: bool,
    report: Option<PathBuf>,
    format: Format,
    plan_out: Option<PathBuf>,
    plan: Option<PathBuf>,
}

impl RepairConfig {
    /// Checks the flags together and lists every problem at once, each with its flag.
    fn from_args(args: &RepairArgs, global: &GlobalArgs) -> anyhow::Result<Self> {
        let mut problems = pace_problems(args.concurrency, args.share);
        if let Some(path) = &args.report {
            if let Err(e) = crate::report::format_for(path, None) {
                problems.push(format!("--report: {e:#}"));
            }
        }
        let unseal = unseal_options(&args.sealed).unwrap_or_else(|p| {
            problems.extend(p);
            UnsealOptions::default()
        });
        let mut serials: std::collections::BTreeSet<_> = args.serial.iter().cloned().collect();
        if let Some(path) = &args.serials_from {
            match super::serials::read(path) {
                Ok(s) => serials.extend(s),
                Err(e) => problems.push(format!("{e:#}")),
            }
        }
        if !problems.is_empty() {
            anyhow::bail!(problems.join("; "));
        }
        let rate = rate_setting(args.rate, args.share);
        let options = RepairOptions {
            format: args.input.layout(),
            reissue_blocked: args.reissue_blocked,
            restore: args.restore.iter().cloned().collect(),
            serials,
            exclude: args.exclude_serial.iter().cloned().collect(),
            journal: args.journal.clone(),
            concurrency: args.concurrency,
            rate,
            quiet: global.quiet,
            unseal,
            expect: args.expect.expect(),
            ..RepairOptions::new(args.files.clone())
        };
        let connection = ConnectSettings {
            flags: args.org.flags(),
            connect_timeout: Duration::from_secs(args.org.connect_timeout),
            timeout: Duration::from_secs(args.org.timeout),
            rate,
            // The same scopes as upload: it lists, looks up, uploads (and deletes).
            scopes: crate::okta::oauth::UPLOAD_SCOPES,
        };
        Ok(RepairConfig {
            options,
            connection,
            dry_run: args.dry_run,
            yes: args.yes,
            report: args.report.clone(),
            format: args.output,
            plan_out: args.plan_out.clone(),
            plan: args.plan.clone(),
        })
    }
}

fn print(bytes: &[u8]) -> anyhow::Result<()> {
    super::output::emit(None, bytes)
}

/// Asks the operator on a terminal; off one, only `--yes` consents (see [`super::consent`]).
fn consent(config: &RepairConfig, p: &Prepared) -> anyhow::Result<bool> {
    super::consent::ask(p.plan.actions.len(), &p.before.org, config.yes)
}

/// Runs `ykprov repair`.
pub async fn run(args: &RepairArgs, global: &GlobalArgs, m: &mut RunMetrics) -> anyhow::Result<Outcome> {
    let config = RepairConfig::from_args(args, global)?;
    for f in &config.options.files {
        require_seed_file(f)?;
        crate::okta::config::warn_if_shared(f);
    }
    let (journal, written) = (config.options.journal_path(), !config.dry_run);
    super::output::check_outputs(&[
        ("--report", config.report.as_deref()),
        ("--journal", written.then_some(journal.as_path())),
        ("--plan-out", config.plan_out.as_deref()),
        ("--metrics-file", args.metrics.file.as_deref()),
    ])?;
    // Read before any request; checked against the org once it is known.
    let plan_bytes = config.plan.as_deref().map(crate::pinned::read).transpose()?;
    let mut ledger = super::ledger::open(global)?;
    let client = okta::connect(&config.connection)?;
    m.connected(&client);
    if !global.quiet {
        eprintln!(
            "repairing {} in {}",
            files_text(&config.options.files),
            client.org()
        );
    }
    let _locks = super::locks::take(config.dry_run, "repair", &journal, client.org())?;
    let mut config = config;
    pin_plan(&mut config, plan_bytes.as_deref(), client.org().as_str())?;
    ledger.catch_up(client.org().as_str())?;
    recording::carry_share(&ledger, &client, &journal);
    config.options.facts = ledger.facts(client.org().as_str())?;
    let prepared = repair::prepare(&config.options, &client).await?;
    recording::record_seen(&mut ledger, &prepared.before)?;
    m.reconciliation(&prepared.before);
    let plan_text = output::plan_text(&prepared.plan, &prepared.before);
    if config.dry_run {
        return dry_run(&config, &prepared, &plan_text, global.quiet);
    }
    match config.format {
        Format::Text => print(plan_text.as_bytes())?,
        // The document comes at the end; whoever is asked still sees the plan.
        Format::Json if !config.yes => eprint!("{plan_text}"),
        Format::Json => {}
    }
    if prepared.plan.is_empty() && prepared.doubts.is_empty() {
        return nothing_to_do(&config, &prepared);
    }
    if !prepared.plan.is_empty() && !consent(&config, &prepared)? {
        eprintln!("nothing was applied");
        return Ok(Outcome::Problems);
    }
    let manifest = recording::manifest_of(&prepared.before);
    let who = crate::okta::identity::recorded(&client).await?;
    recording::before_run(
        &mut ledger,
        client.org().as_str(),
        "repair",
        &config.options.files,
        &prepared.journal,
        &manifest,
        Some(&who),
    )?;
    config.options.okta_identity = Some(who);
    let outcome = apply(&config, &prepared, &client, &mut ledger, m).await;
    recording::record_sends(&mut ledger, &client, &prepared.journal);
    outcome
}

/// A dry run's end: the plan pinned to `--plan-out` when asked, the plan printed, and exit 1
/// when it has actions.
fn dry_run(config: &RepairConfig, p: &Prepared, plan_text: &str, quiet: bool) -> anyhow::Result<Outcome> {
    if let Some(path) = &config.plan_out {
        crate::pinned::write(path, &repair::pinned::document(&p.plan, &p.before)?)?;
        if !quiet {
            eprintln!("plan written to {}; apply it with --plan", path.display());
        }
    }
    match config.format {
        Format::Text => print(plan_text.as_bytes())?,
        Format::Json => print(&output::json(&p.plan, &p.before, None)?)?,
    }
    Ok(Outcome::problems_if(!p.plan.is_empty()))
}

/// With `--plan`, [`pin`]s the options, naming the plan file when it is refused.
fn pin_plan(config: &mut RepairConfig, bytes: Option<&[u8]>, org: &str) -> anyhow::Result<()> {
    if let (Some(bytes), Some(path)) = (bytes, &config.plan) {
        pin(&mut config.options, bytes, org).with_context(|| format!("refusing plan {}", path.display()))?;
    }
    Ok(())
}

/// Narrows the options to a verified pinned plan: only its serials, with what its actions need
/// (`--reissue-blocked` for a reissue, `--restore` for an upload), since the approver chose them.
fn pin(options: &mut RepairOptions, bytes: &[u8], org: &str) -> anyhow::Result<()> {
    let body = crate::pinned::verify::<repair::RepairAction>(bytes, repair::pinned::COMMAND, org)?;
    options.serials = repair::pinned::serials(&body.actions)?;
    for a in &body.actions {
        match a.action {
            repair::RepairAction::Reissue => options.reissue_blocked = true,
            _ => {
                options
                    .restore
                    .extend(repair::pinned::serials(std::slice::from_ref(a))?);
            }
        }
    }
    options.pinned = Some(body.actions);
    Ok(())
}

/// A plan without actions: nothing is sent or journaled; the reconciliation it was made from is
/// the state after.
fn nothing_to_do(config: &RepairConfig, p: &Prepared) -> anyhow::Result<Outcome> {
    match config.format {
        Format::Text => {
            print(format!("nothing to repair\n{}", reconcile::output::text(&p.before)).as_bytes())?
        }
        Format::Json => print(&output::json(&p.plan, &p.before, None)?)?,
    }
    if let Some(path) = &config.report {
        let journal = p.journal.exists().then_some(p.journal.as_path());
        crate::report::write_repair_report(path, journal, &p.before)?;
    }
    Ok(Outcome::problems_if(p.before.needs_action()))
}

/// Applies the plan, then records the run and the state after it in the ledger.
async fn apply(
    config: &RepairConfig,
    p: &Prepared,
    client: &OktaClient,
    ledger: &mut crate::ledger::Ledger,
    m: &mut RunMetrics,
) -> anyhow::Result<Outcome> {
    let (mut shutdown, quit_now) = ctrl_c();
    let ran = tokio::select! {
        s = repair::apply(&config.options, p, client, &mut shutdown) => Some(s),
        _ = quit_now => None,
    };
    // The run's events go into the ledger before the state after it: a closing listing can end
    // in the millisecond of the last upload, and the history reads such ties in the order they
    // were recorded.
    recording::after_run(ledger, &p.journal);
    let Some(summary) = ran else {
        return Ok(Outcome::Interrupted);
    };
    let summary = summary?;
    m.repair(&summary);
    if let Some(fatal) = &summary.fatal {
        eprint!("{}", output::summary_text(&summary));
        anyhow::bail!("repair stopped: {fatal}");
    }
    let after = repair::reconcile_after(&config.options, p, client).await?;
    m.reconciliation(&after);
    if let Err(e) = recording::record_seen(ledger, &after) {
        // The repair is done and journaled; the next reconcile records what it sees.
        eprintln!("warning: the ledger was not updated with the state after the repair: {e:#}");
    }
    match config.format {
        Format::Text => {
            let text = format!(
                "{}\nafter the repair:\n{}",
                output::summary_text(&summary),
                reconcile::output::text(&after)
            );
            print(text.as_bytes())?;
        }
        Format::Json => print(&output::json(&p.plan, &p.before, Some((&summary, &after)))?)?,
    }
    if let Some(path) = &config.report {
        crate::report::write_repair_report(path, Some(&summary.journal), &after)?;
    }
    Ok(outcome(&summary, &after))
}

fn outcome(summary: &RepairSummary, after: &ReconcileResult) -> Outcome {
    if summary.interrupted {
        Outcome::Interrupted
    } else {
        Outcome::problems_if(!summary.is_clean() || after.needs_action())
    }
}

/// The seed files, comma separated, for the line that names the org before anything is sent.
fn files_text(files: &[std::path::PathBuf]) -> String {
    files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn config(args: &[&str]) -> anyhow::Result<RepairConfig> {
        let cli = Cli::try_parse_from(args).unwrap();
        let Command::Repair(a) = &cli.command else {
            panic!("parsed as another command");
        };
        RepairConfig::from_args(a, &cli.global)
    }

    #[test]
    fn the_flags_defaults_are_the_repair_options_defaults() {
        let c = config(&["ykprov", "repair", "a.csv", "b.csv"]).unwrap();
        assert_eq!(
            c.options,
            RepairOptions::new(vec!["a.csv".into(), "b.csv".into()])
        );
        assert!(!c.dry_run && !c.yes && c.format == Format::Text);
    }

    #[test]
    fn every_bad_flag_is_named_at_once() {
        let err = config(&[
            "ykprov",
            "repair",
            "a.csv",
            "--concurrency",
            "0",
            "--share",
            "2",
            "--report",
            "r.txt",
        ])
        .err()
        .unwrap()
        .to_string();
        for flag in ["--concurrency", "--share", "--report"] {
            assert!(err.contains(flag), "{err}");
        }
    }

    #[test]
    fn dry_run_and_yes_exclude_each_other_and_a_file_is_required() {
        assert!(Cli::try_parse_from(["ykprov", "repair", "a.csv", "--dry-run", "--yes"]).is_err());
        assert!(Cli::try_parse_from(["ykprov", "repair"]).is_err());
        let c = config(&[
            "ykprov",
            "repair",
            "a.csv",
            "--reissue-blocked",
            "--format",
            "json",
        ])
        .unwrap();
        assert!(c.options.reissue_blocked && c.format == Format::Json);
    }

    #[test]
    fn restore_and_serial_are_repeatable_and_checked() {
        let c = config(&[
            "ykprov",
            "repair",
            "a.csv",
            "--restore",
            "31000004",
            "--restore",
            "000031000005",
            "--serial",
            "7",
        ])
        .unwrap();
        let restore: Vec<&str> = c.options.restore.iter().map(|s| s.as_str()).collect();
        assert_eq!(restore, ["000031000004", "000031000005"]);
        assert_eq!(c.options.serials.len(), 1);
        let err = Cli::try_parse_from(["ykprov", "repair", "a.csv", "--restore", "x1"]).unwrap_err();
        assert!(err.to_string().contains("not a YubiKey serial"), "{err}");
    }
}
