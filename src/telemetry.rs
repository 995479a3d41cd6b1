//! Logging: `tracing` to stderr, filtered by `RUST_LOG` or by `-v`/`-q`, as text or JSON lines.
//! Operator messages (summaries) are printed by the commands themselves, not logged.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for scheduled runs.
    Json,
}

/// How much to log, and how.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogSettings {
    /// Only errors (`-q`).
    pub quiet: bool,
    /// `-v` count: 1 debug, 2 or more trace.
    pub verbose: u8,
    /// Line format on stderr.
    pub format: LogFormat,
}

/// Installs the global subscriber. Safe to call more than once (later calls do nothing).
pub fn init(args: &LogSettings) {
    let default = match (args.quiet, args.verbose) {
        (true, _) => "error",
        (false, 0) => "info",
        (false, 1) => "ykprov=debug,info",
        (false, _) => "ykprov=trace,debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match args.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
