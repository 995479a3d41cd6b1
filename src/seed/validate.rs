//! `ykprov validate`: placeholder until the reader lands (issue 2).

use crate::app::Outcome;
use crate::cli::{GlobalArgs, ValidateArgs};

/// Runs `ykprov validate`.
pub fn run(_args: &ValidateArgs, _global: &GlobalArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("validate is not implemented yet")
}
