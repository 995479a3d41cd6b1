//! Dispatch: one function per subcommand, each returning an [`Outcome`] or a fatal error.
//! The library never exits the process and never prints the final error; `main` does both.

use crate::cli::{Cli, Command};
use std::process::ExitCode;

/// How a command finished, when it did not fail fatally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything as expected: exit 0.
    Clean,
    /// Finished, but found problems (invalid rows, failed uploads, differences): exit 1.
    Problems,
    /// Stopped by Ctrl-C after a clean shutdown: exit 130.
    Interrupted,
}

impl Outcome {
    /// The process exit code for this outcome.
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Clean => ExitCode::SUCCESS,
            Outcome::Problems => ExitCode::from(1),
            Outcome::Interrupted => ExitCode::from(130),
        }
    }
}

/// Runs one command.
pub async fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Validate(args) => crate::seed::validate::run(&args, &cli.global),
        Command::Upload(args) => crate::upload::command::run(&args, &cli.global).await,
        Command::Reconcile(args) => crate::reconcile::run(&args, &cli.global).await,
        Command::Export(args) => crate::reconcile::run_export(&args, &cli.global).await,
        Command::Demo(args) => crate::demo::run(&args, &cli.global).await,
        Command::Report(args) => crate::report::run(&args),
        Command::Emulate(args) => crate::emulator::run_cli(args).await,
        Command::Config(args) => crate::okta::show::run(&args),
    }
}
