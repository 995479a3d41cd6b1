//! `ykprov export`: Okta's YubiKey token inventory as CSV (formula-safe) or JSON, sorted by serial.

use super::output::{emit, is_stdout};
use super::reconcile::read_only_connection;
use super::{recording, Outcome};
use crate::cli::{ExportArgs, ExportFormat, GlobalArgs};
use crate::okta::{self, inventory};

/// Runs `ykprov export`. Its listing spends the org's bucket like a reconcile's, so it counts
/// earlier runs' requests and records its own in the ledger (when there is one to use).
pub async fn run(args: &ExportArgs, global: &GlobalArgs) -> anyhow::Result<Outcome> {
    let client = okta::connect(&read_only_connection(&args.org))?;
    let mut ledger = super::ledger::open_for_reads(global);
    let fetch = inventory::fetch(&client, args.via, args.filter.as_deref(), args.expand_user);
    let mut tokens = recording::counted_reads(ledger.as_mut(), &client, "export", fetch).await?;
    tokens.sort_by(|a, b| a.serial.cmp(&b.serial));
    let mut buf = Vec::new();
    match args.format {
        ExportFormat::Csv => inventory::write_export(&mut buf, &tokens)?,
        ExportFormat::Json => inventory::write_export_json(&mut buf, &tokens)?,
    }
    emit(args.out.as_ref(), &buf)?;
    if args.out.as_deref().is_some_and(|p| !is_stdout(p)) {
        eprintln!("exported {} tokens", tokens.len());
    }
    Ok(Outcome::Clean)
}
