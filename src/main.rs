use clap::Parser;
use std::process::ExitCode;
use ykprov::{cli::Cli, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    // Before any secret is read: no core dump of this process (it would hold seeds and tokens).
    let hardened = ykprov::hardening::harden_process();
    // Before clap, whose answer to an unknown `--token` would be "use '-- --token'".
    if let Some(refusal) = ykprov::cli::token_flag_refusal(std::env::args_os()) {
        eprintln!("error: {refusal}");
        return ExitCode::from(2);
    }
    let cli = Cli::parse();
    telemetry::init(&cli.global.log_settings());
    tracing::debug!(
        not_dumpable = hardened.not_dumpable,
        core_limit_zero = hardened.no_core,
        "core dumps off"
    );
    match ykprov::run(cli).await {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
