//! Bringing journals into the ledger: a run's own journal when it ends, journals a killed run
//! left behind ([`Ledger::catch_up`]), and old rollouts' journals (`ykprov ledger import`).
//! Journals are only read, never changed.
//!
//! Idempotent by line: each event taken from a journal carries the source
//! `journal:<id>:<line>`, where `<id>` is the SHA-256 of the journal's first line (its first
//! header, which never changes: a resumed run appends, so the whole file's hash does change).
//! Importing the same journal again, or a longer version of it, adds only the new lines.

use super::chain::{Head, NewEvent};
use super::record::{absolute, put_key, ManifestRow};
use super::{normalise_org, time_text, Ledger};
use crate::journal::revoke::RevokeLine;
use crate::journal::{Entry, Header, RowResult};
use crate::seed::Serial;
use anyhow::Context;
use chrono::{DateTime, Utc};
use rusqlite::{params, Transaction};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// Journal lines per transaction.
const CHUNK: usize = 2_000;

/// What an ingest added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ingested {
    /// Lines read.
    pub lines: u64,
    /// Events added (0 when the journal was ingested before).
    pub events: u64,
    /// Lines that could not be read (a torn last line after a crash is normal).
    pub unreadable: u64,
    /// SHA-256 of the whole journal as read.
    pub sha256: String,
}

/// The run context the lines after a header belong to.
struct RunContext {
    id: String,
    org: Option<String>,
    input: String,
    input_sha256: String,
}

impl Ledger {
    /// Ingests one journal (an upload's or a repair's).
    pub fn ingest_journal(&mut self, path: &Path) -> anyhow::Result<Ingested> {
        let shown = || format!("cannot read journal {}", path.display());
        let mut reader = BufReader::new(File::open(path).with_context(shown)?);
        let (mut hasher, mut bytes) = (Sha256::new(), 0usize);
        let mut ctx = RunContext {
            id: String::new(),
            org: None,
            input: String::new(),
            input_sha256: String::new(),
        };
        let mut out = Ingested::default();
        // Streamed a chunk of lines at a time: a 100,000-row journal is never held whole.
        loop {
            let mut chunk: Vec<(u64, Vec<u8>)> = Vec::with_capacity(CHUNK);
            while chunk.len() < CHUNK {
                let mut line = Vec::new();
                if reader.read_until(b'\n', &mut line).with_context(shown)? == 0 {
                    break;
                }
                hasher.update(&line);
                bytes += line.len();
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                if ctx.id.is_empty() {
                    ctx.id = hex::encode(Sha256::digest(line.trim_ascii_end()));
                }
                out.lines += 1;
                chunk.push((out.lines, line));
            }
            if chunk.is_empty() {
                break;
            }
            let (events, unreadable) = self.write(|tx, head| {
                let (start, mut unreadable) = (head.len(), 0);
                for (n, line) in &chunk {
                    match serde_json::from_slice::<Entry>(line) {
                        Ok(entry) => ingest_line(tx, head, &mut ctx, *n, entry)?,
                        Err(_) => unreadable += 1,
                    }
                }
                Ok(((head.len() - start) as u64, unreadable))
            })?;
            out.events += events;
            out.unreadable += unreadable;
        }
        out.sha256 = hex::encode(hasher.finalize());
        self.finish_ingest(path, &ctx, &out, bytes)?;
        Ok(out)
    }

    /// Ingests the journals of runs that started on this org and grew since they were last
    /// ingested: what a run killed before its end left. Returns the events added.
    pub fn catch_up(&mut self, org: &str) -> anyhow::Result<u64> {
        let org = normalise_org(org)?;
        let known: Vec<(String, i64)> = {
            let mut stmt = self
                .conn
                .prepare("SELECT path, bytes FROM journals WHERE org = ?1")?;
            let rows = stmt.query_map([&org], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut added = 0;
        for (path, bytes) in known {
            let len = std::fs::metadata(&path).map(|m| m.len() as i64);
            if matches!(len, Ok(len) if len != bytes) {
                added += self.ingest_journal(Path::new(&path))?.events;
            }
        }
        Ok(added)
    }

    fn finish_ingest(
        &mut self,
        path: &Path,
        ctx: &RunContext,
        out: &Ingested,
        len: usize,
    ) -> anyhow::Result<()> {
        let shown = absolute(path).display().to_string();
        let Some(org) = ctx.org.clone() else {
            return Ok(());
        };
        self.write(|tx, head| {
            if out.events > 0 {
                head.append(
                    tx,
                    &NewEvent {
                        org: org.clone(),
                        serial: None,
                        kind: "journal_ingested",
                        at: Utc::now(),
                        payload: json!({"journal": shown, "sha256": out.sha256, "lines": out.lines, "events": out.events}),
                        source: None,
                    },
                )?;
            }
            tx.execute(
                "INSERT INTO journals (path, org, sha256, bytes) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (path) DO UPDATE SET sha256 = excluded.sha256, bytes = excluded.bytes",
                params![shown, org, out.sha256, len as i64],
            )?;
            Ok(())
        })
    }
}

/// One journal line to events; returns how many were added.
fn ingest_line(
    tx: &Transaction<'_>,
    head: &mut Head,
    ctx: &mut RunContext,
    n: u64,
    entry: Entry,
) -> anyhow::Result<()> {
    if let Entry::Header(h) = &entry {
        return header(tx, head, ctx, n, h);
    }
    let Some(org) = ctx.org.clone() else {
        return Ok(());
    };
    let Some((serial, kind, at, payload)) = event_of(&entry) else {
        return Ok(());
    };
    if let (Entry::Outcome { line, result, .. }, Some(serial)) = (&entry, &serial) {
        if !matches!(result, RowResult::Invalid { .. }) {
            remember_key(tx, head, ctx, &org, serial, *line, at)?;
        }
        if matches!(result, RowResult::Uploaded { .. }) {
            tx.prepare_cached("UPDATE keys SET uploaded_at = ?3 WHERE org = ?1 AND serial = ?2 AND (uploaded_at IS NULL OR uploaded_at > ?3)")?
                .execute(params![org, serial.as_str(), time_text(&at)])?;
        }
    }
    let e = NewEvent {
        org,
        serial: serial.map(|s| s.to_string()),
        kind,
        at,
        payload,
        source: Some(format!("journal:{}:{n}", ctx.id)),
    };
    head.append(tx, &e)?;
    Ok(())
}

fn header(
    tx: &Transaction<'_>,
    head: &mut Head,
    ctx: &mut RunContext,
    n: u64,
    h: &Header,
) -> anyhow::Result<()> {
    let org = normalise_org(&h.org)?;
    ctx.org = Some(org.clone());
    ctx.input = h.input.clone();
    ctx.input_sha256 = h.input_sha256.clone();
    let e = NewEvent {
        org,
        serial: None,
        kind: "journal_run",
        at: h.started,
        payload: json!({"runId": h.run_id, "operator": h.operator, "oktaIdentity": h.okta_identity, "input": h.input, "inputSha256": h.input_sha256, "resumed": h.resumed, "toolVersion": h.tool_version}),
        source: Some(format!("journal:{}:{n}", ctx.id)),
    };
    head.append(tx, &e)?;
    Ok(())
}

/// A key a journal line names joins the manifest, unless the ledger knows it already.
fn remember_key(
    tx: &Transaction<'_>,
    head: &mut Head,
    ctx: &RunContext,
    org: &str,
    serial: &Serial,
    line: u64,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let known = tx
        .prepare_cached("SELECT 1 FROM keys WHERE org = ?1 AND serial = ?2")?
        .exists(params![org, serial.as_str()])?;
    if !known {
        let row = ManifestRow {
            serial: serial.clone(),
            public_id: None,
            file: ctx.input.clone(),
            file_sha256: ctx.input_sha256.clone(),
            line,
        };
        put_key(tx, head, org, &row, at)?;
    }
    Ok(())
}

type EventParts = (Option<Serial>, &'static str, DateTime<Utc>, serde_json::Value);

/// The event a journal line becomes; `None` for lines that say nothing lasting (intents).
fn event_of(entry: &Entry) -> Option<EventParts> {
    Some(match entry {
        Entry::Header(_) | Entry::Intent { .. } | Entry::DeleteIntent(_) => return None,
        Entry::Outcome {
            serial,
            line,
            result,
            at,
        } => (
            serial.clone(),
            "upload_outcome",
            *at,
            outcome_payload(*line, result),
        ),
        Entry::Planned(p) => (
            Some(p.serial.clone()),
            "repair_planned",
            p.at,
            json!({"action": p.action, "tokenId": p.token_id, "file": p.file, "line": p.line, "reason": p.reason}),
        ),
        Entry::DeleteOutcome(d) => (
            Some(d.serial.clone()),
            "token_deleted",
            d.at,
            json!({"tokenId": d.token_id, "result": d.result}),
        ),
        Entry::Skipped(s) => (
            Some(s.serial.clone()),
            "repair_skipped",
            s.at,
            json!({"action": s.action, "cause": s.cause, "reason": s.reason}),
        ),
        Entry::Revoke(line) => return revoke_event(line),
        Entry::Summary {
            counts,
            interrupted,
            elapsed_secs,
            at,
            ..
        } => (
            None,
            "run_finished",
            *at,
            json!({"counts": counts, "interrupted": interrupted, "elapsedSecs": elapsed_secs}),
        ),
    })
}

/// A revoke line's lasting facts: its plan, each unenroll's outcome and each serial's end
/// (intents say nothing lasting).
fn revoke_event(line: &RevokeLine) -> Option<EventParts> {
    Some(match line {
        RevokeLine::UnenrollIntent { .. } => return None,
        RevokeLine::Planned {
            serial,
            token_id,
            status,
            user_id,
            steps,
            at,
        } => (
            Some(serial.clone()),
            "revoke_planned",
            *at,
            json!({"tokenId": token_id, "status": status, "userId": user_id, "steps": steps}),
        ),
        RevokeLine::UnenrollOutcome {
            serial,
            user_id,
            factor_id,
            result,
            at,
        } => (
            Some(serial.clone()),
            "factor_unenrolled",
            *at,
            json!({"userId": user_id, "factorId": factor_id, "result": result}),
        ),
        RevokeLine::End {
            serial,
            outcome,
            reason,
            at,
        } => (
            Some(serial.clone()),
            "revoke_finished",
            *at,
            json!({"outcome": outcome.as_str(), "reason": reason}),
        ),
    })
}

/// An outcome's lasting facts: Okta's error summaries are left out (they may quote the request).
fn outcome_payload(line: u64, r: &RowResult) -> serde_json::Value {
    match r {
        RowResult::Uploaded {
            token_id,
            request_id,
            confirmed_by_lookup,
        } => json!({
            "result": r.kind(), "line": line, "tokenId": token_id, "requestId": request_id, "confirmedByLookup": confirmed_by_lookup,
        }),
        RowResult::AlreadyPresent { status, token_id } => {
            json!({"result": r.kind(), "line": line, "status": status, "tokenId": token_id})
        }
        RowResult::Rejected {
            http_status,
            error_code,
            request_id,
            ..
        } => json!({
            "result": r.kind(), "line": line, "httpStatus": http_status, "errorCode": error_code, "requestId": request_id,
        }),
        RowResult::Failed {
            attempts, request_id, ..
        } => json!({"result": r.kind(), "line": line, "attempts": attempts, "requestId": request_id}),
        RowResult::Invalid { field, .. } => json!({"result": r.kind(), "line": line, "field": field}),
    }
}
