//! The command layer: one file per subcommand, each turning its clap arguments into a validated
//! config, calling the domain, printing the result and returning an [`Outcome`]. This is the only
//! layer that knows clap, prints a command's output or decides an exit code; the domain modules
//! return data and never import this one. The library never exits the process and never prints the
//! final error; `main` does both.

mod completions;
mod config;
mod consent;
mod demo;
mod emulate;
mod export;
mod history;
mod ledger;
mod locks;
mod manpage;
mod metrics_out;

use metrics_out::RunMetrics;
mod output;
mod period;
mod probe;
mod reconcile;
mod recording;
mod repair;
mod report;
mod retire;
mod revoke;
mod seal;
mod sealed;
mod serials;
mod signal;
mod upload;
mod validate;
mod whoami;

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

    /// `Problems` when `problems`, else `Clean`.
    fn problems_if(problems: bool) -> Self {
        if problems {
            Outcome::Problems
        } else {
            Outcome::Clean
        }
    }
}

/// Runs one command.
pub async fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Validate(args) => validate::run(&args, &cli.global),
        Command::Upload(args) => {
            let mut m = RunMetrics::new("upload");
            let result = upload::run(&args, &cli.global, &mut m).await;
            m.finish(args.metrics.file.as_deref(), result)
        }
        Command::Reconcile(args) => {
            let mut m = RunMetrics::new("reconcile");
            let result = reconcile::run(&args, &cli.global, &mut m).await;
            m.finish(args.metrics.file.as_deref(), result)
        }
        Command::Repair(args) => {
            let mut m = RunMetrics::new("repair");
            let result = repair::run(&args, &cli.global, &mut m).await;
            m.finish(args.metrics.file.as_deref(), result)
        }
        Command::Revoke(args) => revoke::run(&args, &cli.global).await,
        Command::Export(args) => export::run(&args, &cli.global).await,
        Command::Probe(args) => probe::run(&args, &cli.global).await,
        Command::Demo(args) => demo::run(&args, &cli.global).await,
        Command::Report(args) => report::run(&args, &cli.global),
        Command::Emulate(args) => emulate::run(&args).await,
        Command::Config(args) => config::run(&args),
        Command::Whoami(args) => whoami::run(&args).await,
        Command::Seal(args) => seal::run(&args, &cli.global),
        Command::Completions(args) => completions::run(&args),
        Command::Manpage(args) => manpage::run(&args),
        Command::Retire(args) => retire::run_retire(&args, &cli.global),
        Command::Unretire(args) => retire::run_unretire(&args, &cli.global),
        Command::History(args) => history::run(&args, &cli.global),
        Command::Ledger(args) => ledger::run(&args, &cli.global),
    }
}
