//! The locks a command that writes to Okta takes before its first request (see [`crate::lock`]):
//! its journal's, then its org's. A dry run writes nothing and takes none; read-only commands
//! (`reconcile`, `export`, `probe`) take none, so a nightly reconcile never blocks an urgent
//! `revoke`.
//!
//! The org locks live in the state folder: `$YKPROV_STATE_DIR`, else `$XDG_STATE_HOME/ykprov`,
//! else `~/.local/state/ykprov`, under `locks/`. Locks are per user: two accounts running
//! writers against one org should share `YKPROV_STATE_DIR` (a folder both may write).

use crate::lock::{self, Holder, Lock};
use anyhow::Context;
use std::path::Path;

/// The variable that moves the state folder (tests point it at a temporary folder).
pub const STATE_DIR_ENV: &str = "YKPROV_STATE_DIR";

/// The locks of one writing run, held until it is dropped (or the process ends).
#[derive(Debug)]
pub struct RunLocks {
    _journal: Lock,
    _org: Lock,
}

/// Takes the journal's and the org's locks for `command`, unless `dry_run`; an error (exit 2)
/// names the run that holds either.
pub fn take(
    dry_run: bool,
    command: &str,
    journal: &Path,
    org: &reqwest::Url,
) -> anyhow::Result<Option<RunLocks>> {
    if dry_run {
        return Ok(None);
    }
    let holder = Holder::this_process(command, crate::upload::run_journal::operator());
    let journal_lock = lock::acquire(
        &lock::journal_lock_path(journal),
        &format!("the journal {}", journal.display()),
        &holder,
    )?;
    let state = lock::state_dir(
        std::env::var_os(STATE_DIR_ENV).as_deref(),
        std::env::var_os("XDG_STATE_HOME").as_deref(),
        std::env::var_os("HOME").as_deref(),
    )
    .with_context(|| format!("no folder for the org lock: set {STATE_DIR_ENV}, XDG_STATE_HOME or HOME"))?;
    let origin = org.origin().ascii_serialization();
    let org_lock = lock::acquire(
        &lock::org_lock_path(&state, &origin),
        &format!("the org {origin}"),
        &holder,
    )?;
    Ok(Some(RunLocks {
        _journal: journal_lock,
        _org: org_lock,
    }))
}
