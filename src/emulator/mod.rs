//! The Okta emulator: placeholder until issue 3 lands.

use crate::app::Outcome;
use crate::cli::EmulateArgs;

/// Runs `ykprov emulate` until Ctrl-C.
pub async fn run_cli(_args: EmulateArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("emulate is not implemented yet")
}
