//! The command line, as clap derive types. Kept dumb: checks that need more than one flag live in
//! each command's config builder, so errors can name every offending flag at once.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Provision YubiKey OTP seeds into Okta in bulk, and keep them reconciled.
///
/// Seeds are secrets: ykprov never prints, logs or journals an AES key, private id or access
/// code, and reads API tokens only from the environment or okta.yaml.
#[derive(Debug, Parser)]
#[command(name = "ykprov", version, propagate_version = true)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// More log output (-v debug, -vv trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors; no progress bar.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log line format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for scheduled runs.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check seed files row by row without contacting Okta.
    Validate(ValidateArgs),
    /// Run a local Okta emulator of the YubiKey token API (for rehearsals and tests).
    Emulate(EmulateArgs),
}

/// Which seed file layout to expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SeedFormat {
    /// Detect from the first lines.
    #[default]
    Auto,
    /// `serial,publicId,privateId,aesKey,accessCode,timestamp,` (ykman -O, Personalization Tool,
    /// ykksm).
    Yubico,
    /// A header row names the columns (serialNumber, publicId, privateId, aesKey).
    Headered,
}

/// `ykprov validate`.
#[derive(Debug, Args, Clone)]
pub struct ValidateArgs {
    /// Seed files to check.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Seed file layout.
    #[arg(long, value_enum, default_value_t = SeedFormat::Auto)]
    pub format: SeedFormat,
    /// When a serial appears twice with different seeds, keep the later row instead of failing.
    #[arg(long)]
    pub last_wins: bool,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `ykprov emulate`.
#[derive(Debug, Args, Clone)]
pub struct EmulateArgs {
    /// Address to listen on. Only loopback unless --allow-remote.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: std::net::SocketAddr,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn validate_takes_several_files_and_a_format() {
        let cli =
            Cli::try_parse_from(["ykprov", "validate", "a.csv", "b.csv", "--format", "yubico"]).unwrap();
        let Command::Validate(args) = cli.command else {
            panic!("not validate")
        };
        assert_eq!(args.files.len(), 2);
        assert_eq!(args.format, SeedFormat::Yubico);
    }

    #[test]
    fn validate_needs_a_file() {
        assert!(Cli::try_parse_from(["ykprov", "validate"]).is_err());
    }
}
