//! The hash chain over the events. Each event stores the SHA-256 of the event before it
//! (`prev_hash`) and its own `hash` = SHA-256(`prev_hash` + its canonical bytes), so editing,
//! inserting or deleting any event but the last breaks every link after it. [`Ledger::verify`] walks the
//! chain and names the first event that does not hold.
//!
//! The canonical bytes are the stored columns joined by newlines, in a fixed order, with the
//! payload as stored (its JSON text): nothing is re-serialised, so the check does not depend on
//! a JSON library's key order.

use super::{time_text, Ledger};
use anyhow::Context;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event about to be appended.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The normalised org URL.
    pub org: String,
    /// The serial it is about, if one.
    pub serial: Option<String>,
    /// What happened (`retired`, `status_changed`, …).
    pub kind: &'static str,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The details, as JSON (camelCase keys).
    pub payload: serde_json::Value,
    /// Where it came from, for idempotent ingestion (`journal:<id>:<line>`); an event whose
    /// source is already in the ledger is not appended again.
    pub source: Option<String>,
}

/// One stored event, as read back.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredEvent {
    /// Position in the chain, from 1.
    pub id: i64,
    /// The org.
    pub org: String,
    /// The serial, if one.
    pub serial: Option<String>,
    /// What happened.
    pub kind: String,
    /// When (RFC 3339).
    pub at: String,
    /// The details.
    pub payload: serde_json::Value,
}

/// The bytes an event's hash covers.
pub fn canonical(id: i64, org: &str, serial: Option<&str>, kind: &str, at: &str, payload: &str) -> Vec<u8> {
    format!("{id}\n{org}\n{}\n{kind}\n{at}\n{payload}", serial.unwrap_or("")).into_bytes()
}

/// SHA-256 of the previous hash and the canonical bytes, in hex.
pub fn link(prev_hash: &str, canonical: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical);
    hex::encode(h.finalize())
}

/// The chain's end inside a write transaction.
pub(crate) struct Head {
    id: i64,
    hash: String,
}

impl Head {
    /// Reads the last event. Call inside an IMMEDIATE transaction, so no other writer can move
    /// the head before the commit.
    pub(crate) fn read(tx: &Transaction<'_>) -> anyhow::Result<Head> {
        let last = tx
            .query_row("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1", [], |r| {
                Ok(Head {
                    id: r.get(0)?,
                    hash: r.get(1)?,
                })
            })
            .optional()?;
        Ok(last.unwrap_or(Head {
            id: 0,
            hash: GENESIS.to_string(),
        }))
    }

    /// Events in the chain so far (the last id).
    pub(crate) fn len(&self) -> i64 {
        self.id
    }

    /// Appends an event after the head; `None` when its source was appended before.
    pub(crate) fn append(&mut self, tx: &Transaction<'_>, e: &NewEvent) -> anyhow::Result<Option<i64>> {
        if let Some(source) = &e.source {
            let seen: Option<i64> = tx
                .query_row("SELECT id FROM events WHERE source = ?1", [source], |r| r.get(0))
                .optional()?;
            if seen.is_some() {
                return Ok(None);
            }
        }
        let id = self.id + 1;
        let at = time_text(&e.at);
        let payload = serde_json::to_string(&e.payload).context("cannot encode a ledger event")?;
        let hash = link(
            &self.hash,
            &canonical(id, &e.org, e.serial.as_deref(), e.kind, &at, &payload),
        );
        tx.execute(
            "INSERT INTO events (id, org, serial, kind, at, payload, source, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![id, e.org, e.serial, e.kind, at, payload, e.source, self.hash, hash],
        )
        .context("cannot append to the ledger")?;
        *self = Head { id, hash };
        Ok(Some(id))
    }
}

/// What [`Ledger::verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Events checked.
    pub events: u64,
    /// The first event that does not hold, if any.
    pub first_broken: Option<Broken>,
}

/// The first event where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Broken {
    /// Its id.
    pub id: i64,
    /// What is wrong, in a sentence.
    pub problem: String,
}

impl Ledger {
    /// Walks the chain from the first event; stops at the first one that does not hold.
    pub fn verify(&self) -> anyhow::Result<Verification> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, org, serial, kind, at, payload, prev_hash, hash FROM events ORDER BY id")?;
        let mut rows = stmt.query([])?;
        let (mut expected_id, mut prev, mut events) = (1i64, GENESIS.to_string(), 0u64);
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let (org, serial, kind, at, payload): (String, Option<String>, String, String, String) =
                (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
            let (stored_prev, stored_hash): (String, String) = (r.get(6)?, r.get(7)?);
            let problem = if id != expected_id {
                Some(format!("event {expected_id} is missing (the next one is {id})"))
            } else if stored_prev != prev {
                Some(
                    "its link to the event before does not match: an event before it was changed or removed"
                        .to_string(),
                )
            } else if link(
                &prev,
                &canonical(id, &org, serial.as_deref(), &kind, &at, &payload),
            ) != stored_hash
            {
                Some("its content does not match its hash: it was edited".to_string())
            } else {
                None
            };
            if let Some(problem) = problem {
                return Ok(Verification {
                    events,
                    first_broken: Some(Broken {
                        id: expected_id.min(id),
                        problem,
                    }),
                });
            }
            events += 1;
            expected_id += 1;
            prev = stored_hash;
        }
        Ok(Verification {
            events,
            first_broken: None,
        })
    }

    /// Runs `f` in one IMMEDIATE transaction with the chain's head: its events and the derived
    /// tables it updates commit together or not at all.
    pub(crate) fn write<T>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>, &mut Head) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .with_context(|| format!("cannot write the ledger {}", self.path.display()))?;
        let mut head = Head::read(&tx)?;
        let out = f(&tx, &mut head)?;
        tx.commit()
            .with_context(|| format!("cannot write the ledger {}", self.path.display()))?;
        Ok(out)
    }
}

/// Reads an event row (`id, org, serial, kind, at, payload`).
pub(crate) fn stored(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEvent> {
    let payload: String = r.get(5)?;
    Ok(StoredEvent {
        id: r.get(0)?,
        org: r.get(1)?,
        serial: r.get(2)?,
        kind: r.get(3)?,
        at: r.get(4)?,
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::String(payload)),
    })
}
