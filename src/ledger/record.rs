//! Recording what a command learned about an org: the manifest of its seed files, the start of
//! a run (before its first write to Okta), what a reconciliation saw, and people's decisions
//! (retire, unretire). Each call is one transaction of events plus their derived rows.

use super::chain::{Head, NewEvent};
use super::{normalise_org, time_text, Ledger};
use crate::lifecycle::Retirement;
use crate::seed::Serial;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::json;
use std::path::{Path, PathBuf};

/// Rows per transaction when recording many: short enough that a concurrent writer waits
/// little, long enough that 100,000 keys are not 100,000 commits.
const CHUNK: usize = 2_000;

/// One key of a seed file, as the ledger remembers it (never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestRow {
    /// 12-digit serial.
    pub serial: Serial,
    /// The public id (modhex), when known.
    pub public_id: Option<String>,
    /// The seed file, as given.
    pub file: String,
    /// SHA-256 of the file's (decrypted) bytes.
    pub file_sha256: String,
    /// Its line.
    pub line: u64,
}

/// The start of a run that may write to Okta.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStart {
    /// `upload`, `repair`, `revoke`.
    pub command: &'static str,
    /// The run's journal.
    pub journal: PathBuf,
    /// The seed files.
    pub files: Vec<String>,
    /// `user@host`.
    pub operator: String,
    /// Who Okta takes the credential for (`LOGIN (SSWS token)`, `ID (OAuth client)`, or
    /// `unknown (why)`); never the credential itself.
    pub okta_identity: Option<String>,
}

/// What a reconciliation saw of one serial in Okta; `status: None` means no record at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// 12-digit serial.
    pub serial: Serial,
    /// Okta's status of the serial's current record.
    pub status: Option<String>,
    /// Its token id.
    pub token_id: Option<String>,
    /// The user it is enrolled by.
    pub user_id: Option<String>,
    /// That user's login, when Okta embedded it.
    pub login: Option<String>,
}

/// The "file" of a key the ledger learnt from Okta's listing rather than from a seed file.
pub const OKTA_LISTING: &str = "(Okta's listing)";

/// The status the ledger keeps for a serial that Okta no longer lists.
pub const GONE: &str = "GONE";

/// Serials a command named that the ledger does not know for the org.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not in the ledger for {org}: {}; nothing was recorded (upload or `ledger import` their journal first)", .serials.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))]
pub struct UnknownSerials {
    /// The org.
    pub org: String,
    /// The serials, in the order given.
    pub serials: Vec<Serial>,
}

impl Ledger {
    /// Records the keys of seed files for an org: an event for each key that is new to the
    /// ledger or moved (another file, line or public id). Returns how many were recorded.
    pub fn record_manifest(
        &mut self,
        org: &str,
        rows: &[ManifestRow],
        at: DateTime<Utc>,
    ) -> anyhow::Result<u64> {
        let org = normalise_org(org)?;
        let mut recorded = 0;
        for chunk in rows.chunks(CHUNK) {
            recorded += self.write(|tx, head| {
                let mut n = 0;
                for row in chunk {
                    n += u64::from(put_key(tx, head, &org, row, at)?);
                }
                Ok(n)
            })?;
        }
        Ok(recorded)
    }

    /// Records that a run is about to write to Okta, and remembers its journal so that whatever
    /// the run journals is ingested even if it is killed ([`Ledger::catch_up`]).
    pub fn record_run_start(&mut self, org: &str, run: &RunStart, at: DateTime<Utc>) -> anyhow::Result<()> {
        let org = normalise_org(org)?;
        let journal = absolute(&run.journal);
        self.write(|tx, head| {
            head.append(
                tx,
                &NewEvent {
                    org: org.clone(),
                    serial: None,
                    kind: "run_started",
                    at,
                    payload: json!({
                        "command": run.command,
                        "journal": journal.display().to_string(),
                        "files": run.files,
                        "operator": run.operator,
                        "oktaIdentity": run.okta_identity,
                    }),
                    source: None,
                },
            )?;
            tx.execute(
                "INSERT INTO journals (path, org, sha256, bytes) VALUES (?1, ?2, '', -1)
                 ON CONFLICT (path) DO UPDATE SET bytes = -1",
                params![journal.display().to_string(), org],
            )?;
            Ok(())
        })
    }

    /// Records what a reconciliation saw: an event for each serial whose status (or user)
    /// changed since the last reconciliation of the org, `gone` for one no longer listed.
    /// Returns how many changed. Takes an iterator so that only the changes are held.
    pub fn record_observations(
        &mut self,
        org: &str,
        seen: impl IntoIterator<Item = Observation>,
        at: DateTime<Utc>,
    ) -> anyhow::Result<u64> {
        let org = normalise_org(org)?;
        // One indexed lookup per key rather than a map of every key's last status: the memory
        // of a 100,000-key reconcile stays that of the reconciliation itself.
        let mut changed = Vec::new();
        {
            let mut stmt = self.conn.prepare(LAST_SEEN)?;
            for o in seen {
                let last: Option<LastSeen> = stmt
                    .query_row(params![org, o.serial.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                if differs(last.as_ref(), &o) {
                    changed.push((last, o));
                }
            }
        }
        let mut n = 0;
        for chunk in changed.chunks(CHUNK) {
            n += self.write(|tx, head| {
                for (last, o) in chunk {
                    observe(tx, head, &org, last.as_ref(), o, at)?;
                }
                Ok(chunk.len() as u64)
            })?;
        }
        Ok(n)
    }

    /// Keys Okta lists that no seed file or journal brought into the ledger (uploaded by another
    /// tool, or before the ledger existed): `revoke` names them, so they join the manifest with
    /// Okta's listing as their source, and a retirement can name them. Known keys stay as they
    /// are. Returns how many joined.
    pub fn adopt_listed(&mut self, org: &str, serials: &[Serial], at: DateTime<Utc>) -> anyhow::Result<u64> {
        let org = normalise_org(org)?;
        self.write(|tx, head| {
            let mut joined = 0;
            for s in serials {
                let known = tx
                    .prepare_cached("SELECT 1 FROM keys WHERE org = ?1 AND serial = ?2")?
                    .exists(params![org, s.as_str()])?;
                if !known {
                    let row = ManifestRow {
                        serial: s.clone(),
                        public_id: None,
                        file: OKTA_LISTING.to_string(),
                        file_sha256: String::new(),
                        line: 0,
                    };
                    put_key(tx, head, &org, &row, at)?;
                    joined += 1;
                }
            }
            Ok(joined)
        })
    }

    /// Records an admin's decision that keys are out of service. All or nothing: a serial the
    /// ledger does not know for the org is an [`UnknownSerials`] error and nothing is recorded.
    pub fn retire(&mut self, org: &str, serials: &[Serial], r: &Retirement) -> anyhow::Result<()> {
        let org = normalise_org(org)?;
        self.write(|tx, head| {
            require_known(tx, &org, serials)?;
            for s in serials {
                head.append(
                    tx,
                    &NewEvent {
                        org: org.clone(),
                        serial: Some(s.to_string()),
                        kind: "retired",
                        at: r.at,
                        payload: json!({"reason": r.reason, "ticket": r.ticket, "note": r.note, "operator": r.operator}),
                        source: None,
                    },
                )?;
                tx.execute(
                    "INSERT OR REPLACE INTO retirements (org, serial, reason, ticket, note, at, operator)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![org, s.as_str(), r.reason.as_str(), r.ticket, r.note, time_text(&r.at), r.operator],
                )?;
            }
            Ok(())
        })
    }

    /// Undoes a retirement. Returns false (and records nothing) when the serial is not retired;
    /// an unknown serial is an [`UnknownSerials`] error.
    pub fn unretire(
        &mut self,
        org: &str,
        serial: &Serial,
        ticket: &str,
        operator: &str,
        at: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let org = normalise_org(org)?;
        self.write(|tx, head| {
            require_known(tx, &org, std::slice::from_ref(serial))?;
            let n = tx.execute(
                "DELETE FROM retirements WHERE org = ?1 AND serial = ?2",
                params![org, serial.as_str()],
            )?;
            if n == 0 {
                return Ok(false);
            }
            head.append(
                tx,
                &NewEvent {
                    org: org.clone(),
                    serial: Some(serial.to_string()),
                    kind: "unretired",
                    at,
                    payload: json!({"ticket": ticket, "operator": operator}),
                    source: None,
                },
            )?;
            Ok(true)
        })
    }
}

/// The path as the ledger stores it: absolute, so the catch-up finds it from any directory.
pub(crate) fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

fn require_known(tx: &Transaction<'_>, org: &str, serials: &[Serial]) -> anyhow::Result<()> {
    let mut stmt = tx.prepare_cached("SELECT 1 FROM keys WHERE org = ?1 AND serial = ?2")?;
    let mut unknown = Vec::new();
    for s in serials {
        if !stmt.exists(params![org, s.as_str()])? {
            unknown.push(s.clone());
        }
    }
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(UnknownSerials {
            org: org.to_string(),
            serials: unknown,
        }
        .into())
    }
}

/// Inserts or moves a key; true when an event was recorded.
pub(crate) fn put_key(
    tx: &Transaction<'_>,
    head: &mut Head,
    org: &str,
    row: &ManifestRow,
    at: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let known: Option<(Option<String>, String, String, i64)> = tx
        .prepare_cached("SELECT public_id, file, file_sha256, line FROM keys WHERE org = ?1 AND serial = ?2")?
        .query_row(params![org, row.serial.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let line = row.line as i64;
    if let Some((public_id, file, sha, l)) = &known {
        let public_id_same = row.public_id.is_none() || public_id == &row.public_id;
        if public_id_same && file == &row.file && sha == &row.file_sha256 && *l == line {
            return Ok(false);
        }
    }
    head.append(
        tx,
        &NewEvent {
            org: org.to_string(),
            serial: Some(row.serial.to_string()),
            kind: "key_recorded",
            at,
            payload: json!({"publicId": row.public_id, "file": row.file, "fileSha256": row.file_sha256, "line": row.line}),
            source: None,
        },
    )?;
    tx.prepare_cached(
        "INSERT INTO keys (org, serial, public_id, file, file_sha256, line, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (org, serial) DO UPDATE SET public_id = coalesce(excluded.public_id, public_id),
             file = excluded.file, file_sha256 = excluded.file_sha256, line = excluded.line",
    )?
    .execute(params![org, row.serial.as_str(), row.public_id, row.file, row.file_sha256, line, time_text(&at)])?;
    Ok(true)
}

/// The last status seen of a serial, and its user.
type LastSeen = (String, Option<String>);

/// A serial's last status. A key ykprov uploaded and no reconciliation has seen yet counts as
/// last seen `UPLOADED`, so finding it missing the first time is news (`gone`).
const LAST_SEEN: &str = "SELECT status, user_id FROM okta_status WHERE org = ?1 AND serial = ?2
     UNION ALL
     SELECT 'UPLOADED', NULL FROM keys k WHERE org = ?1 AND serial = ?2 AND uploaded_at IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM okta_status s WHERE s.org = ?1 AND s.serial = ?2)";

/// Whether an observation is news: a first sighting, a new status or user, or a record gone.
fn differs(last: Option<&LastSeen>, o: &Observation) -> bool {
    match (last, &o.status) {
        (None, None) => false,
        (None, Some(_)) => true,
        (Some((was, _)), None) => was != GONE,
        (Some((was, user)), Some(now)) => was != now || user != &o.user_id,
    }
}

fn observe(
    tx: &Transaction<'_>,
    head: &mut Head,
    org: &str,
    last: Option<&LastSeen>,
    o: &Observation,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let from = last.map(|(s, _)| s.as_str());
    let (kind, status) = match &o.status {
        Some(s) => ("status_changed", s.as_str()),
        None => ("gone", GONE),
    };
    head.append(
        tx,
        &NewEvent {
            org: org.to_string(),
            serial: Some(o.serial.to_string()),
            kind,
            at,
            payload: json!({"from": from, "status": status, "tokenId": o.token_id, "userId": o.user_id, "login": o.login}),
            source: None,
        },
    )?;
    tx.prepare_cached(
        "INSERT OR REPLACE INTO okta_status (org, serial, status, token_id, user_id, login, since)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        org,
        o.serial.as_str(),
        status,
        o.token_id,
        o.user_id,
        o.login,
        time_text(&at)
    ])?;
    Ok(())
}
