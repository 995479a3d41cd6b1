//! `ykprov completions SHELL`: a completion script on stdout, generated from the same clap
//! definition the parser uses, so it offers every subcommand and flag of this build.

use super::output::emit;
use super::Outcome;
use crate::cli::{Cli, CompletionsArgs};
use clap::CommandFactory;

/// Runs `ykprov completions`.
pub fn run(args: &CompletionsArgs) -> anyhow::Result<Outcome> {
    let mut cmd = Cli::command();
    let name = cmd.get_name().to_string();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, name, &mut script);
    emit(None, &script)?;
    Ok(Outcome::Clean)
}
