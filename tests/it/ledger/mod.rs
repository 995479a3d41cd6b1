//! The ledger through the real binary, against the emulator: what upload and reconcile record,
//! reconcile from the ledger alone, retire and history, the hash chain, importing old journals,
//! and a ledger that cannot be used stopping a command before its first request. Every run names
//! its own ledger in the test's folder.

mod chain;
mod empty;
mod lifecycle;
mod repair;
mod report;

use crate::helpers::{assert_exit, ykprov_against, TestDir};
use crate::seeds;
use okta_emulator::EmulatorHandle;
use std::path::{Path, PathBuf};

/// The binary against `emu`, with `--ledger ledger` before the command's own arguments.
async fn run(emu: &EmulatorHandle, ledger: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--ledger", ledger.to_str().unwrap()];
    all.extend_from_slice(args);
    ykprov_against(emu, &all).output().await.unwrap()
}

/// `n` keys from `first` in `seeds.csv`, uploaded with the ledger; returns the file.
async fn uploaded(emu: &EmulatorHandle, dir: &TestDir, ledger: &Path, first: u32, n: u32) -> PathBuf {
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(first, n)));
    let out = run(emu, ledger, &["upload", file.to_str().unwrap(), "-q"]).await;
    assert_exit(&out, 0);
    file
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}
