//! The arguments of `ykprov revoke`: the serials, why they leave service, the connection, and
//! how the run may act (dry run, consent, journal).

use super::OrgArgs;
use crate::lifecycle::RetireReason;
use crate::repair::output::Format as RevokeFormat;
use crate::revoke::RevokeOptions;
use crate::seed::Serial;
use clap::Args;
use std::path::PathBuf;

/// `ykprov revoke`.
#[derive(Debug, Args, Clone)]
pub struct RevokeArgs {
    /// The keys' serials (padded or not).
    #[arg(required_unless_present_any = ["serials_from", "plan"], value_name = "SERIAL", value_parser = super::values::parse_serial)]
    pub serials: Vec<Serial>,
    /// Also revoke the serials in this file (one a line, `#` comments).
    #[arg(long, value_name = "FILE")]
    pub serials_from: Option<PathBuf>,
    /// With --dry-run, also write the plan here (JSON, mode 0600) for --plan.
    #[arg(long, value_name = "PATH", requires = "dry_run")]
    pub plan_out: Option<PathBuf>,
    /// Apply exactly this plan (from --dry-run --plan-out): only its serials and steps; a target
    /// whose token or status changed since is left with the reason. Another org's plan, or an
    /// edited one, is refused.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["plan_out", "serials", "serials_from"])]
    pub plan: Option<PathBuf>,
    /// Why the keys leave service.
    #[arg(long, required = true, value_name = "lost|stolen|destroyed|returned|other", value_parser = parse_reason)]
    pub reason: RetireReason,
    /// The incident or change ticket.
    #[arg(long, value_name = "T")]
    pub ticket: Option<String>,
    /// A note recorded with the decision (the admin's words; never put a secret here).
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Connection.
    #[command(flatten)]
    pub org: OrgArgs,
    /// Print the plan (reads only) and send no write.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply without asking; needed when there is no terminal to ask on.
    #[arg(long, conflicts_with = "dry_run")]
    pub yes: bool,
    /// The journal (default: ./ykprov-revoke-journal.jsonl, continued by the next revoke).
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,
    /// Keys revoked at once at most (1 to 75).
    #[arg(long, default_value_t = RevokeOptions::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// Output format.
    #[arg(long = "format", value_enum, default_value_t = RevokeFormat::Text)]
    pub output: RevokeFormat,
}

fn parse_reason(s: &str) -> Result<RetireReason, String> {
    s.parse()
}
