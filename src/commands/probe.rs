//! `ykprov probe`: the org's contract checked read-only, rendered as text or JSON (to stdout or,
//! atomically and mode 0600, to `--out`), exiting 1 when a check found something ykprov must
//! work around or could not run, 2 when the org cannot be probed at all.

use super::output::{emit, is_stdout};
use super::reconcile::read_only_connection;
use super::{recording, Outcome};
use crate::cli::{GlobalArgs, ProbeArgs};
use crate::okta::{self, probe};

/// Runs `ykprov probe`. Its few reads count against the org's bucket like any run's, so they are
/// recorded in the ledger (when there is one to use) for the run that may follow.
pub async fn run(args: &ProbeArgs, global: &GlobalArgs) -> anyhow::Result<Outcome> {
    let client = okta::connect(&read_only_connection(&args.org))?;
    let mut ledger = super::ledger::open_for_reads(global);
    let probed = probe::probe(&client, chrono::Utc::now());
    let report = recording::counted_reads(ledger.as_mut(), &client, "probe", probed).await?;
    emit(args.out.as_ref(), &probe::render(&report, args.format)?)?;
    if let Some(path) = args.out.as_deref().filter(|p| !is_stdout(p)) {
        eprintln!("wrote the probe report to {}", path.display());
    }
    Ok(Outcome::problems_if(report.needs_attention()))
}
