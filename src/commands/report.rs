//! `ykprov report`: an audit report from upload journals and a reconciliation.

use super::Outcome;
use crate::cli::{GlobalArgs, ReportArgs};
use crate::report::{build, format_for, read_reconcile, write};

/// Runs `ykprov report`: from journals and a reconciliation, or with `--since` from the ledger.
pub fn run(args: &ReportArgs, global: &GlobalArgs) -> anyhow::Result<Outcome> {
    if let Some(since) = &args.since {
        return super::period::run(args, since, global);
    }
    if args.journal.is_empty() && args.reconcile.is_none() {
        anyhow::bail!("nothing to report: pass --journal PATH (repeatable) and/or --reconcile RESULT.json, or --since DATE for the ledger's audit of a period");
    }
    let format = format_for(&args.out, args.format)?;
    let reconcile = args.reconcile.as_deref().map(read_reconcile).transpose()?;
    let report = build(&args.journal, reconcile.as_ref())?;
    write(&report, &args.out, format)?;
    eprintln!(
        "report written to {} ({} serials, {} runs)",
        args.out.display(),
        report.rows.len(),
        report.runs.len()
    );
    Ok(Outcome::Clean)
}
