//! Reading the ledger: the facts reconcile and repair decide with, the manifest a reconcile
//! without files uses, and one key's timeline. Reads only.

use super::chain::{stored, StoredEvent};
use super::{normalise_org, parse_time, Ledger};
use crate::lifecycle::{Facts, RetireReason, Retirement};
use crate::seed::Serial;
use anyhow::Context;

/// A key of the manifest: where its seed was last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownKey {
    /// 12-digit serial.
    pub serial: Serial,
    /// The seed file, as given when it was recorded.
    pub file: String,
    /// Its line.
    pub line: u64,
}

impl Ledger {
    /// What the ledger knows about an org's keys beyond Okta's list: the retirements in force
    /// and the first upload of each key ykprov uploaded.
    pub fn facts(&self, org: &str) -> anyhow::Result<Facts> {
        let org = normalise_org(org)?;
        let mut facts = Facts::default();
        let mut stmt = self
            .conn
            .prepare("SELECT serial, reason, ticket, note, at, operator FROM retirements WHERE org = ?1")?;
        let mut rows = stmt.query([&org])?;
        while let Some(r) = rows.next()? {
            let serial: String = r.get(0)?;
            let reason: String = r.get(1)?;
            let at: String = r.get(4)?;
            let retirement = Retirement {
                reason: reason.parse::<RetireReason>().map_err(anyhow::Error::msg)?,
                ticket: r.get(2)?,
                note: r.get(3)?,
                at: parse_time(&at).with_context(|| format!("bad time {at:?} in the ledger"))?,
                operator: r.get(5)?,
            };
            facts.retired.insert(Serial::from_okta(&serial), retirement);
        }
        let mut stmt = self
            .conn
            .prepare("SELECT serial, uploaded_at FROM keys WHERE org = ?1 AND uploaded_at IS NOT NULL")?;
        let mut rows = stmt.query([&org])?;
        while let Some(r) = rows.next()? {
            let serial: String = r.get(0)?;
            let at: String = r.get(1)?;
            if let Some(at) = parse_time(&at) {
                facts.uploaded.insert(Serial::from_okta(&serial), at);
            }
        }
        Ok(facts)
    }

    /// Every key the ledger knows for the org, by serial: what `reconcile` compares with Okta
    /// when it is given no file.
    pub fn known_keys(&self, org: &str) -> anyhow::Result<Vec<KnownKey>> {
        let org = normalise_org(org)?;
        let mut stmt = self
            .conn
            .prepare("SELECT serial, file, line FROM keys WHERE org = ?1 ORDER BY serial")?;
        let rows = stmt.query_map([&org], |r| {
            let serial: String = r.get(0)?;
            Ok(KnownKey {
                serial: Serial::from_okta(&serial),
                file: r.get(1)?,
                line: r.get::<_, i64>(2)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A serial's events in the order they happened (a journal ingested after a reconciliation
    /// still reads in time order): in one org, or in every org when `org` is `None`.
    pub fn history(&self, org: Option<&str>, serial: &Serial) -> anyhow::Result<Vec<StoredEvent>> {
        let org = org.map(normalise_org).transpose()?;
        let mut stmt = self.conn.prepare(
            "SELECT id, org, serial, kind, at, payload FROM events
             WHERE serial = ?1 AND (?2 IS NULL OR org = ?2) ORDER BY at, id",
        )?;
        let rows = stmt.query_map(rusqlite::params![serial.as_str(), org], stored)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The orgs the ledger holds rows for.
    pub fn orgs(&self) -> anyhow::Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT org FROM events ORDER BY org")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
