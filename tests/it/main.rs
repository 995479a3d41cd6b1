//! One integration-test binary: the emulator on port 0, a temp dir per test, and the tool run
//! in-process through `ykprov::run` or as the real binary.
// The 80-line rule is for the tool's own functions; a scenario test reads best top to bottom.
#![allow(clippy::too_many_lines)]

mod architecture;
mod cli;
mod crash;
mod demo;
mod docs;
mod emulate_command;
mod emulator;
mod environment;
mod fixtures;
mod gnupg;
mod helpers;
mod hostile;
mod hostile_server;
mod identity;
mod install;
mod ledger;
mod lifecycle;
mod messages;
mod metrics;
mod next_links;
mod oauth;
mod pacing;
mod probe;
mod probe_hostile;
mod quirks;
mod reconcile;
mod repair;
mod report;
mod report_phone;
mod retries;
mod schedule;
mod sealed_age;
mod sealed_gpg;
mod security;
mod seeds;
mod soak;
mod systemd;
mod upload;
mod validate;
mod vocabulary;
