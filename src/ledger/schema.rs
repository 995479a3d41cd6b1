//! The ledger's schema and its forward-only migrations, keyed on `PRAGMA user_version`. The file
//! is marked as ours with `PRAGMA application_id`, so a ykprov ledger is never confused with
//! another program's database, and a ledger from a newer ykprov is refused rather than
//! downgraded.

use anyhow::Context;
use rusqlite::Connection;

/// `application_id` of a ykprov ledger: "ykpL".
pub const APPLICATION_ID: i64 = 0x796b_704c;

/// The newest schema this build knows.
pub const CURRENT_VERSION: i64 = MIGRATIONS.len() as i64;

/// Migration `i` takes the schema from version `i` to `i + 1`. Never edit one that shipped: add
/// the next.
const MIGRATIONS: &[&str] = &[V1, V2];

/// Version 1: events (append-only, hash-chained) and the tables derived from them.
const V1: &str = "
CREATE TABLE events (
    id        INTEGER PRIMARY KEY,
    org       TEXT NOT NULL,
    serial    TEXT,
    kind      TEXT NOT NULL,
    at        TEXT NOT NULL,
    payload   TEXT NOT NULL,
    source    TEXT UNIQUE,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX events_by_key ON events (org, serial, id);
CREATE INDEX events_by_time ON events (org, at);
CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;
CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;
CREATE TABLE keys (
    org         TEXT NOT NULL,
    serial      TEXT NOT NULL,
    public_id   TEXT,
    file        TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    line        INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    uploaded_at TEXT,
    PRIMARY KEY (org, serial)
) WITHOUT ROWID;
CREATE TABLE retirements (
    org      TEXT NOT NULL,
    serial   TEXT NOT NULL,
    reason   TEXT NOT NULL,
    ticket   TEXT,
    note     TEXT,
    at       TEXT NOT NULL,
    operator TEXT NOT NULL,
    PRIMARY KEY (org, serial)
) WITHOUT ROWID;
CREATE TABLE okta_status (
    org      TEXT NOT NULL,
    serial   TEXT NOT NULL,
    status   TEXT NOT NULL,
    token_id TEXT,
    user_id  TEXT,
    login    TEXT,
    since    TEXT NOT NULL,
    PRIMARY KEY (org, serial)
) WITHOUT ROWID;
CREATE TABLE journals (
    path     TEXT PRIMARY KEY,
    org      TEXT,
    sha256   TEXT NOT NULL,
    bytes    INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Version 2: what our runs sent to each org lately, per second, and the window length they
/// learned (`sends.rs`): the next run counts it against `--share`. Counts only, no serials.
const V2: &str = "
CREATE TABLE sends (
    org       TEXT NOT NULL,
    journal   TEXT NOT NULL,
    latest    TEXT NOT NULL,
    requests  INTEGER NOT NULL,
    window_ms INTEGER,
    PRIMARY KEY (org, journal, latest)
) WITHOUT ROWID;
CREATE INDEX sends_by_time ON sends (org, latest);
";

/// The tables every version has; their absence means a damaged or foreign file.
const OUR_TABLES: [&str; 5] = ["events", "keys", "retirements", "okta_status", "journals"];

/// Checks that the file is a ledger this build can use, and migrates it forward. A new (empty)
/// file is initialised.
pub fn check_and_migrate(conn: &Connection, fresh: bool) -> anyhow::Result<()> {
    let app: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .context("not an SQLite database")?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let objects: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
    if app == 0 && version == 0 && objects == 0 {
        if !fresh {
            tracing::debug!("an empty SQLite file becomes a ledger");
        }
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
    } else {
        check_ours(conn, app, version)?;
    }
    migrate(conn, version)
}

fn check_ours(conn: &Connection, app: i64, version: i64) -> anyhow::Result<()> {
    if app != APPLICATION_ID {
        anyhow::bail!("it is an SQLite database but not a ykprov ledger (application_id {app:#x}); it was left untouched");
    }
    if version > CURRENT_VERSION {
        anyhow::bail!(
            "it was written by a newer ykprov (schema {version}; this build knows up to {CURRENT_VERSION}); upgrade ykprov. It was left untouched"
        );
    }
    if version > 0 {
        for table in OUR_TABLES {
            let n: i64 = conn.query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )?;
            if n == 0 {
                anyhow::bail!(
                    "it is marked as a ykprov ledger but has no `{table}` table; it was left untouched"
                );
            }
        }
    }
    Ok(())
}

fn migrate(conn: &Connection, from: i64) -> anyhow::Result<()> {
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        let to = i as i64 + 1;
        // Each step and its version bump commit together, so a crash leaves a known version.
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {sql} PRAGMA user_version = {to}; COMMIT;"
        ))
        .with_context(|| format!("cannot migrate the ledger to schema {to}"))?;
    }
    Ok(())
}
