//! What our runs sent to an org's token bucket lately, so that the next run counts it against
//! `--share` in its first window ([`crate::okta::pacing::carry`]).
//!
//! A run that ends records its last few minutes of requests, per second, with the window length
//! it learned (`sends`, schema 2). A run killed before that leaves only its journal, whose intent
//! times (one per POST or DELETE) stand in for what it sent. These are counts and times, never a
//! serial or a secret, and not lifecycle facts: they are not events, and rows older than a day
//! are dropped as new ones are written.

use super::record::absolute;
use super::{normalise_org, parse_time, time_text, Ledger};
use crate::journal::Entry;
use crate::okta::pacing::carry::{Carry, Sent};
use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::params;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How far back a run looks for earlier sends: longer than any rate-limit window (Okta's are a
/// minute).
const LOOK_BACK: TimeDelta = TimeDelta::minutes(5);

/// How long recorded sends are kept.
const KEEP: TimeDelta = TimeDelta::days(1);

/// Whose requests a row of `sends` counts.
#[derive(Debug, Clone, Copy)]
pub enum SendSource<'a> {
    /// A run of a writer (upload, repair, revoke), named by its journal, whose intents stand in
    /// for what a run killed before it could record sent.
    Journal(&'a Path),
    /// A run of a command that only reads Okta and keeps no journal (`reconcile`): the nightly
    /// listing spends the same bucket as an urgent revoke right after it.
    Reads(&'a str),
}

impl SendSource<'_> {
    fn key(&self) -> String {
        match self {
            SendSource::Journal(p) => absolute(p).display().to_string(),
            SendSource::Reads(command) => format!("ykprov {command}"),
        }
    }
}

impl<'a> From<&'a Path> for SendSource<'a> {
    fn from(p: &'a Path) -> Self {
        SendSource::Journal(p)
    }
}

impl<'a> From<&'a PathBuf> for SendSource<'a> {
    fn from(p: &'a PathBuf) -> Self {
        SendSource::Journal(p)
    }
}

impl Ledger {
    /// Records what a run (on a journal, or of a read-only command) sent to the org's token
    /// bucket lately, and the window length it learned, if any.
    pub fn record_sends<'a>(
        &mut self,
        org: &str,
        source: impl Into<SendSource<'a>>,
        sent: &[Sent],
        window: Option<Duration>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let org = normalise_org(org)?;
        let journal = source.into().key();
        let window_ms = window.map(|w| i64::try_from(w.as_millis()).unwrap_or(i64::MAX));
        self.write(|tx, _| {
            tx.execute(
                "DELETE FROM sends WHERE latest < ?1",
                params![time_text(&(now - KEEP))],
            )?;
            let mut put = tx.prepare(
                "INSERT INTO sends (org, journal, latest, requests, window_ms) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (org, journal, latest) DO UPDATE SET requests = max(requests, excluded.requests)",
            )?;
            for s in sent {
                let requests = i64::try_from(s.requests).unwrap_or(i64::MAX);
                put.execute(params![org, journal, time_text(&s.latest), requests, window_ms])?;
            }
            Ok(())
        })
    }

    /// What our earlier runs sent to the org lately: every run the ledger recorded, and the
    /// intents of `journal` (the one this run continues) after the last second recorded for it,
    /// so a run killed before it could record still counts. The window length is the longest an
    /// earlier run learned.
    pub fn earlier_sends<'a>(
        &self,
        org: &str,
        source: impl Into<SendSource<'a>>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Carry> {
        let source = source.into();
        let org = normalise_org(org)?;
        let since = now - LOOK_BACK;
        let mut stmt = self.conn.prepare(
            "SELECT journal, latest, requests, window_ms FROM sends WHERE org = ?1 AND latest >= ?2",
        )?;
        let rows = stmt.query_map(params![org, time_text(&since)], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Option<i64>>(3)?,
            ))
        })?;
        let this = source.key();
        let mut carry = Carry::default();
        let mut recorded_until: Option<DateTime<Utc>> = None;
        for row in rows {
            let (path, latest, requests, window_ms) = row?;
            let Some(latest) = parse_time(&latest) else {
                continue;
            };
            if path == this {
                recorded_until = recorded_until.max(Some(latest));
            }
            carry.sent.push(Sent {
                latest,
                requests: u64::try_from(requests).unwrap_or(0),
            });
            let window = window_ms
                .and_then(|ms| u64::try_from(ms).ok())
                .map(Duration::from_millis);
            carry.window = carry.window.max(window);
        }
        let after = recorded_until.unwrap_or(since).max(since);
        if let SendSource::Journal(journal) = source {
            carry.sent.extend(journal_intents(journal, after)?);
        }
        Ok(carry)
    }
}

/// The intents (each one request) a journal holds after `after`; none when it does not exist.
fn journal_intents(journal: &Path, after: DateTime<Utc>) -> anyhow::Result<Vec<Sent>> {
    if !journal.exists() {
        return Ok(Vec::new());
    }
    let (entries, _) = crate::journal::read_entries(journal)?;
    Ok(entries
        .iter()
        .filter_map(|e| match e {
            Entry::Intent { at, .. } => Some(*at),
            Entry::DeleteIntent(d) => Some(d.at),
            _ => None,
        })
        .filter(|&at| at > after)
        .map(|latest| Sent { latest, requests: 1 })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Header, Journal};

    const ORG: &str = "https://acme.okta.com";

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("in range")
    }

    fn sent(secs: i64, requests: u64) -> Sent {
        Sent {
            latest: at(secs),
            requests,
        }
    }

    fn fresh() -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&dir.path().join("ledger.sqlite3")).unwrap();
        (dir, ledger)
    }

    fn journal_with_intents(path: &Path, times: &[i64]) {
        let header = Header {
            org: ORG.into(),
            started: at(0),
            ..Header::sample()
        };
        let j = Journal::create(path, header).unwrap();
        for (i, &t) in times.iter().enumerate() {
            let intent = Entry::Intent {
                serial: (1_000 + i as u32).into(),
                line: i as u64 + 2,
                attempt: 1,
                at: at(t),
            };
            j.append(&intent).unwrap();
        }
    }

    #[test]
    fn recorded_sends_of_the_org_come_back_with_the_longest_window_learned() {
        let (dir, mut ledger) = fresh();
        let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
        let ten = Some(Duration::from_secs(10));
        ledger
            .record_sends(ORG, &a, &[sent(-400, 9), sent(-5, 3)], ten, at(0))
            .unwrap();
        ledger.record_sends(ORG, &b, &[sent(-2, 4)], None, at(0)).unwrap();
        ledger
            .record_sends("https://other.okta.com", &b, &[sent(-1, 50)], None, at(0))
            .unwrap();
        let carry = ledger
            .earlier_sends(ORG, &dir.path().join("c.jsonl"), at(0))
            .unwrap();
        let mut got = carry.sent.clone();
        got.sort_by_key(|s| s.latest);
        assert_eq!(
            got,
            vec![sent(-5, 3), sent(-2, 4)],
            "older than 5 minutes, or another org: left out"
        );
        assert_eq!(carry.window, ten);
    }

    #[test]
    fn a_journals_intents_count_after_what_the_ledger_recorded_of_it() {
        let (dir, mut ledger) = fresh();
        let journal = dir.path().join("seeds.csv.ykprov-journal.jsonl");
        // A run recorded its sends up to -20 s; a later run on the journal was killed unrecorded.
        journal_with_intents(&journal, &[-25, -21, -20, -10, -9, -3]);
        ledger
            .record_sends(ORG, &journal, &[sent(-20, 12)], None, at(0))
            .unwrap();
        let carry = ledger.earlier_sends(ORG, &journal, at(0)).unwrap();
        let total: u64 = carry.sent.iter().map(|s| s.requests).sum();
        assert_eq!(
            total,
            12 + 3,
            "the recorded seconds, then the killed run's three intents"
        );
        // A journal the ledger knows nothing of: its recent intents are all there is.
        let (_dir2, empty) = fresh();
        let carry = empty.earlier_sends(ORG, &journal, at(0)).unwrap();
        assert_eq!(carry.sent.len(), 6);
        assert_eq!(carry.window, None);
    }

    #[test]
    fn old_sends_are_dropped_as_new_ones_are_recorded() {
        let (dir, mut ledger) = fresh();
        let j = dir.path().join("a.jsonl");
        ledger
            .record_sends(ORG, &j, &[sent(-200_000, 5)], None, at(-100_000))
            .unwrap();
        ledger.record_sends(ORG, &j, &[sent(-1, 1)], None, at(0)).unwrap();
        let n: i64 = ledger
            .conn
            .query_row("SELECT count(*) FROM sends", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn a_schema_1_ledger_gains_the_sends_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite3");
        drop(Ledger::open(&path).unwrap());
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("DROP TABLE sends; PRAGMA user_version = 1;")
            .unwrap();
        drop(conn);
        let mut ledger = Ledger::open(&path).unwrap();
        ledger
            .record_sends(ORG, &dir.path().join("a.jsonl"), &[sent(0, 1)], None, at(0))
            .unwrap();
        let none = dir.path().join("none.jsonl");
        assert_eq!(ledger.earlier_sends(ORG, &none, at(0)).unwrap().sent.len(), 1);
    }

    #[test]
    fn a_read_only_runs_sends_count_for_a_writer_and_are_kept_apart_from_journals() {
        let (dir, mut ledger) = fresh();
        let reads = SendSource::Reads("reconcile");
        ledger
            .record_sends(ORG, reads, &[sent(-3, 7)], None, at(0))
            .unwrap();
        let journal = dir.path().join("u.jsonl");
        journal_with_intents(&journal, &[-2]);
        let carry = ledger.earlier_sends(ORG, &journal, at(0)).unwrap();
        // The reconcile's 7, and the journal's one intent (nothing recorded for it yet).
        assert_eq!(carry.sent.iter().map(|s| s.requests).sum::<u64>(), 8);
        // A read-only source has no journal to read intents from.
        let carry = ledger.earlier_sends(ORG, reads, at(0)).unwrap();
        assert_eq!(carry.sent.iter().map(|s| s.requests).sum::<u64>(), 7);
        assert_eq!(reads.key(), "ykprov reconcile");
    }
}
