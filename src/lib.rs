//! ykprov provisions YubiKey OTP seeds into Okta in bulk and keeps them reconciled.
//!
//! # Layout
//!
//! Two layers, and arrows only point down (`tests/it/architecture.rs` keeps it so):
//!
//! ```text
//! command layer   main.rs -> cli (clap types) + commands/ (one file per subcommand:
//!                 args -> checked config -> domain call -> print -> Outcome)
//! -------------------------------------------------------------------------------------
//! domain          demo      -> revoke, repair, upload, reconcile, report, ledger, journal,
//!                              lifecycle, okta, seed
//!   (each line    revoke    -> upload, journal, lifecycle, okta, seed
//!   may use only  repair    -> upload, reconcile, journal, lifecycle, okta, seed
//!   what is to    report    -> reconcile, ledger, journal, okta, seed, markup
//!   its right)    upload    -> journal, okta, seed
//!                 reconcile -> lifecycle, okta, seed, markup
//!                 ledger    -> lifecycle, journal, okta (models, pacing::carry), seed
//!                 journal   -> okta (models), seed (Serial)
//!                 okta      -> seed
//!                 lifecycle -> seed (Serial)
//!                 seed
//! shared leaves   secret, atomic, progress, telemetry, markup, hardening, lock, pinned, metrics:
//!                 used by any layer, use nothing above (pinned and metrics use atomic)
//! -------------------------------------------------------------------------------------
//! other crate     okta_emulator (crates/okta-emulator): used by demo, commands and okta's
//!                 probe tests; it depends on nothing of ykprov
//! ```
//!
//! - [`cli`] and [`commands`]: the command line and each subcommand; the only code that knows clap,
//!   prints a command's result or decides its exit [`Outcome`].
//! - [`seed`]: reading, validating and (for sealed OpenPGP and age files) decrypting seed files
//!   into [`seed::Seed`] values that cannot be invalid.
//! - [`okta`]: the HTTP contract with Okta (models, client, [`okta::connect()`], pacing, errors,
//!   auth, the token inventory, the read-only [`okta::probe`] of an org's contract).
//! - [`lifecycle`]: what people decided about keys (retired, and why) and what ykprov uploaded:
//!   the facts that keep automation from undoing an admin.
//! - [`ledger`]: one SQLite file per operator (or service) that remembers each key's lifecycle
//!   across runs and orgs: the manifest, runs, what reconciliations saw, retirements; the events
//!   are hash-chained. It produces the [`lifecycle::Facts`].
//! - [`journal`], [`upload`], [`reconcile`]: the upload run and the comparison with Okta.
//! - [`repair`]: a reconciliation turned into a plan (at most one action per serial) and applied
//!   through upload's machinery: pacer, concurrency limit, retry policy, worker and journal.
//! - [`revoke`]: Okta's half of `ykprov revoke`: a key's factor unenrolled and its token deleted
//!   through the same journaled-write loop as upload and repair, so nobody can enroll it again.
//! - [`report`]: audit reports from journals and reconciliations.
//! - [`markup`]: escaping and tables shared by the HTML and Markdown renderers, and the shell
//!   quoting of commands an admin is told to paste.
//! - The Okta emulator for rehearsals, tests and the demo is its own crate, [`okta_emulator`]
//!   (`crates/okta-emulator`), so that it shares no code with the client it witnesses.
//! - [`demo`]: the demo's steps, narrated through a [`demo::Narrator`].
//! - [`secret`], [`atomic`], [`progress`], [`telemetry`]: the redacting wrapper every secret lives
//!   in, atomic 0600 output files, the progress bar, logging to stderr.
//! - [`pinned`]: the pinned-plan document (`--plan-out`, `--plan`): build, hash, verify, check.
//! - [`hardening`]: no core dumps, plaintext kept out of swap and dumps, the effective uid.
//! - [`lock`]: the journal's and the org's exclusive locks, one writer at a time.
//! - [`metrics`]: a run's metrics in Prometheus's text format (`--metrics-file`), written atomically.

pub mod atomic;
pub mod cli;
pub mod commands;
pub mod demo;
pub mod hardening;
pub mod journal;
pub mod ledger;
pub mod lifecycle;
pub mod lock;
pub mod markup;
pub mod metrics;
pub mod okta;
pub mod pinned;
pub mod progress;
pub mod reconcile;
pub mod repair;
pub mod report;
pub mod revoke;
pub mod secret;
pub mod seed;
pub mod telemetry;
pub mod upload;

pub use cli::Cli;
pub use commands::{run, Outcome};
