//! One integration-test binary: the emulator on port 0, a temp dir per test, and the tool run
//! in-process through `app::run` or as the real binary.

mod cli;
mod demo;
mod emulator;
mod helpers;
mod oauth;
mod reconcile;
mod report;
mod seeds;
mod upload;
mod validate;
