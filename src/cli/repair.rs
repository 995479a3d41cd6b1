//! The arguments of `ykprov repair`: the seed files, the connection, and what the repair may do
//! (dry run, consent, reissuing blocked keys) and how fast.

use super::{MetricsArgs, OrgArgs, RateArg};
use crate::okta::pacing::RateSetting;
use crate::repair::output::Format as RepairFormat;
use crate::repair::RepairOptions;
use crate::seed::Serial;
use clap::Args;
use std::path::PathBuf;

/// `ykprov repair`.
#[derive(Debug, Args, Clone)]
pub struct RepairArgs {
    /// Seed files whose keys to repair in Okta.
    #[arg(required = true, value_name = "SEEDS.csv")]
    pub files: Vec<PathBuf>,
    /// Connection.
    #[command(flatten)]
    pub org: OrgArgs,
    /// Sealed seed files.
    #[command(flatten)]
    pub sealed: super::SealedArgs,
    /// Print the plan (reads only) and send no write.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply without asking; needed when there is no terminal to ask on (cron).
    #[arg(long, conflicts_with = "dry_run")]
    pub yes: bool,
    /// Delete BLOCKED tokens whose user was deactivated (read from Okta) and upload their seeds
    /// again, so each key is UNASSIGNED for its next user. Without it blocked keys are only
    /// reported; a BLOCKED key of an active user is held unless named with --serial.
    #[arg(long)]
    pub reissue_blocked: bool,
    /// Upload a `removed` key again (one uploaded once and deleted or revoked in Okta since): a
    /// person's decision, never the default. Repeatable.
    #[arg(long, value_name = "SERIAL", value_parser = super::values::parse_serial)]
    pub restore: Vec<Serial>,
    /// Repair only these serials; with --reissue-blocked, a BLOCKED one named here is reissued
    /// even when its user is still active. Repeatable.
    #[arg(long, value_name = "SERIAL", value_parser = super::values::parse_serial)]
    pub serial: Vec<Serial>,
    /// With --dry-run, also write the plan here (JSON, mode 0600): the org, the listing time,
    /// each action with the token id and status it acts on, and a SHA-256 of the whole. Keep it
    /// with the change record and apply it with --plan.
    #[arg(long, value_name = "PATH", requires = "dry_run")]
    pub plan_out: Option<PathBuf>,
    /// Apply exactly this plan (written by --dry-run --plan-out): Okta is listed again, only the
    /// plan's serials are acted on and only with the plan's action; an action whose target
    /// changed since is skipped with the reason. A plan for another org, or edited, is refused.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["plan_out", "serial", "restore", "reissue_blocked"])]
    pub plan: Option<PathBuf>,
    /// Repair only the serials in this file (one a line, `#` comments), as --serial does.
    #[arg(long, value_name = "FILE", conflicts_with = "plan")]
    pub serials_from: Option<PathBuf>,
    /// Never act on this serial, whatever the plan would do with it. Repeatable.
    #[arg(long, value_name = "SERIAL", value_parser = super::values::parse_serial)]
    pub exclude_serial: Vec<Serial>,
    /// Requests in flight at most (1 to 75, Okta's org-wide concurrency limit).
    #[arg(long, default_value_t = RepairOptions::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// Pace: `auto` learns Okta's limit from its headers; a rate (`5/s`, `300/min`, `1000/h`)
    /// fixes it.
    #[arg(long, default_value = "auto", value_name = "auto|N/s|N/min|N/h")]
    pub rate: RateArg,
    /// With --rate auto, the share of the bucket's limit to use (0 < share <= 1).
    #[arg(long, default_value_t = RateSetting::DEFAULT_SHARE)]
    pub share: f64,
    /// The journal (default: beside the first seed file, SEEDS.csv.ykprov-repair-journal.jsonl).
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,
    /// Also write a report with a Repairs section here (.html, .md or .json).
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    /// `--metrics-file`.
    #[command(flatten)]
    pub metrics: MetricsArgs,
    /// Output format.
    #[arg(long = "format", value_enum, default_value_t = RepairFormat::Text)]
    pub output: RepairFormat,
    /// Seed file layout.
    #[command(flatten)]
    pub input: super::InputFormatArgs,
    /// What the seed files must hold.
    #[command(flatten)]
    pub expect: super::ExpectArgs,
}
