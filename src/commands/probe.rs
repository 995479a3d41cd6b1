//! `ykprov probe`: the org's contract checked read-only, rendered as text or JSON (to stdout or,
//! atomically and mode 0600, to `--out`), exiting 1 when a check found something ykprov must
//! work around or could not run, 2 when the org cannot be probed at all.

use super::output::{emit, is_stdout};
use super::reconcile::read_only_connection;
use super::Outcome;
use crate::cli::ProbeArgs;
use crate::okta::{self, probe};

/// Runs `ykprov probe`.
pub async fn run(args: &ProbeArgs) -> anyhow::Result<Outcome> {
    let client = okta::connect(&read_only_connection(&args.org))?;
    let report = probe::probe(&client, chrono::Utc::now()).await?;
    emit(args.out.as_ref(), &probe::render(&report, args.format)?)?;
    if let Some(path) = args.out.as_deref().filter(|p| !is_stdout(p)) {
        eprintln!("wrote the probe report to {}", path.display());
    }
    Ok(Outcome::problems_if(report.needs_attention()))
}
