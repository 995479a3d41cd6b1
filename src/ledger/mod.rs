//! The ledger: one SQLite file that remembers each key's lifecycle across runs and orgs: the
//! manifest of the seed files uploaded (serial, public id, file SHA-256 and line, never a
//! secret), the runs and their outcomes, what each reconciliation saw in Okta, and what people
//! decided (retired, unretired). The per-run JSON Lines journal stays the crash-safe record of a
//! run; the ledger ingests journals, so a run killed mid-way is caught up by the next one.
//!
//! Every fact is an append-only, hash-chained event ([`chain`]); the derived tables (the keys
//! manifest, the retirement in force, the last status seen in Okta) are written in the same
//! transaction, so they never disagree with the events. It does not print, prompt or exit: the
//! command layer does.

pub mod chain;
pub mod import;
pub mod manifest;
mod open;
pub mod org;
pub mod period;
pub mod query;
pub mod record;
mod schema;
pub mod sends;

pub use open::{default_path, resolve_path};
pub use org::normalise_org;
pub use query::KnownKey;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// An open ledger.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
}

impl Ledger {
    /// Opens the ledger at `path`, creating it (mode 0600, its directory 0700) if absent and
    /// migrating an older schema forward. Refuses, without touching it, a symlink, a file that is
    /// group or world writable or owned by someone else, a file that is not a ykprov ledger, and
    /// a ledger written by a newer ykprov.
    pub fn open(path: &Path) -> anyhow::Result<Ledger> {
        let conn = open::open(path)?;
        Ok(Ledger {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The one text form of a time in the ledger: RFC 3339, UTC, milliseconds, so that text order is
/// time order in SQL.
pub fn time_text(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Reads a time written by [`time_text`] (or any RFC 3339 time).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests;
