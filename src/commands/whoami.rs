//! `ykprov whoami`: who Okta takes the credential for, printed as text or JSON. Exit 0 when Okta
//! accepted the credential; a refused one is a fatal error (exit 2) naming its kind and source.

use super::output::emit;
use super::reconcile::read_only_connection;
use super::Outcome;
use crate::cli::WhoamiArgs;
use crate::okta::{self, identity};

/// Runs `ykprov whoami`.
pub async fn run(args: &WhoamiArgs) -> anyhow::Result<Outcome> {
    let client = okta::connect(&read_only_connection(&args.org))?;
    let who = identity::whoami(&client).await?;
    emit(None, identity::render(&who, args.format)?.as_bytes())?;
    Ok(Outcome::Clean)
}
