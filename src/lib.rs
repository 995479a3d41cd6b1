//! ykprov provisions YubiKey OTP seeds into Okta in bulk and keeps them reconciled.
//!
//! # Layout
//!
//! - [`cli`] and [`app`]: the command line and the dispatch of each subcommand.
//! - [`seed`]: reading and validating seed files into [`seed::Seed`] values that cannot be invalid.
//! - [`okta`]: the HTTP contract with Okta (models, client, pacing, errors, auth).
//! - [`journal`], [`upload`], [`reconcile`]: the upload run and the comparison with Okta.
//! - [`report`]: audit reports from journals and reconciliations.
//! - [`markup`]: escaping and tables shared by the HTML and Markdown renderers.
//! - [`emulator`]: a local Okta emulator for rehearsals, tests and the demo.
//! - [`secret`]: the redacting wrapper every secret lives in.
//! - [`telemetry`]: logging to stderr.

pub mod atomic;
pub mod cli;
pub mod commands;
pub mod demo;
pub mod emulator;
pub mod journal;
pub mod markup;
pub mod okta;
pub mod progress;
pub mod reconcile;
pub mod report;
pub mod secret;
pub mod seed;
pub mod telemetry;
pub mod upload;

pub use cli::Cli;
pub use commands::{run, Outcome};
