//! `ykprov validate`: placeholder until the command lands.

use crate::app::Outcome;
use crate::cli::{GlobalArgs, ValidateArgs};

/// Runs `ykprov validate`.
pub fn run(_args: &ValidateArgs, _global: &GlobalArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("validate is not implemented yet")
}
