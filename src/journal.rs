//! The upload journal: append-only JSON Lines, one line per event, each written with a single
//! `write` and flushed before the next step, so a crash at any moment leaves at most one torn last
//! line. It records a header per run, an intent before each POST leaves, an outcome after, and a
//! summary at the end. It holds serials, outcomes and Okta ids only, never a secret.
//!
//! Resuming replays it: rows with a final outcome are skipped, intents without an outcome are
//! "in doubt" and must be checked against Okta before any re-send. A repair writes the same
//! lines for its uploads, plus its own ([`repair`]): the plan, DELETE intents and outcomes, and
//! actions skipped because their target changed.

pub mod open;
pub mod repair;
pub mod revoke;

use crate::okta::models::okta_time;
use crate::seed::sealed::{SealInfo, SealKind, Signer};
use crate::seed::Serial;
use anyhow::Context;
use chrono::{DateTime, Utc};
use repair::{DeleteIntent, DeleteOutcome, Planned, Skipped};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The first line of each run (a resumed run adds another).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Random id of this run.
    pub run_id: String,
    /// ykprov's version.
    pub tool_version: String,
    /// user@host that ran it.
    pub operator: String,
    /// Who Okta took the credential for ([`crate::okta::identity::recorded`]): the admin's login
    /// for an SSWS token, the client id for OAuth, or `unknown (why)`. Absent in journals written
    /// before it was recorded, and in runs that were not given it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub okta_identity: Option<String>,
    /// The org URL.
    pub org: String,
    /// The seed file, as given.
    pub input: String,
    /// SHA-256 of the seed file (of its decrypted bytes, when it was sealed).
    pub input_sha256: String,
    /// For a sealed seed file: its format, its own SHA-256 and who signed it. Absent for a plain
    /// file, so plain runs' headers read as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<SealedInput>,
    /// The options that shape the run (rate, share, concurrency …).
    pub options: serde_json::Value,
    /// When the run started.
    #[serde(with = "okta_time_serde")]
    pub started: DateTime<Utc>,
    /// Whether this run resumed an earlier one.
    #[serde(default)]
    pub resumed: bool,
}

/// What the journal records of a sealed seed file: never anything from inside it but its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SealedInput {
    /// `openpgp` or `age`.
    pub format: SealKind,
    /// SHA-256 of the sealed file.
    pub sealed_sha256: String,
    /// SHA-256 of the decrypted bytes (the same as the header's `input_sha256`).
    pub plaintext_sha256: String,
    /// Who signed it, when an OpenPGP signature checked out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<Signer>,
}

impl SealedInput {
    /// The record of a file opened with `info`.
    pub fn from_seal(info: &SealInfo) -> Self {
        SealedInput {
            format: info.kind,
            sealed_sha256: info.sealed_sha256.clone(),
            plaintext_sha256: info.plaintext_sha256.clone(),
            signed_by: info.signature.signer().cloned(),
        }
    }
}

/// What happened to one row, finally.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum RowResult {
    /// Created in Okta by this tool.
    Uploaded {
        /// `ykk…`.
        token_id: String,
        /// `X-Okta-Request-Id` of the POST.
        request_id: Option<String>,
        /// True when the answer was lost and a lookup confirmed the upload.
        #[serde(default)]
        confirmed_by_lookup: bool,
    },
    /// Okta already had this serial; nothing was sent (or a duplicate 400 was resolved).
    AlreadyPresent {
        /// Its status in Okta.
        status: String,
        /// `ykk…`.
        token_id: String,
    },
    /// Okta refused this row (400 etc.): final.
    Rejected {
        /// HTTP status.
        http_status: u16,
        /// `errorCode`.
        error_code: String,
        /// `errorSummary`.
        error_summary: String,
        /// `errorCauses[].errorSummary`.
        error_causes: Vec<String>,
        /// `X-Okta-Request-Id`.
        request_id: Option<String>,
    },
    /// Gave up after retries; retried by the next run.
    Failed {
        /// Attempts made.
        attempts: u32,
        /// The last error.
        reason: String,
        /// `X-Okta-Request-Id` of the last attempt, if any.
        request_id: Option<String>,
    },
    /// The row did not validate and was skipped (`--skip-invalid`).
    Invalid {
        /// Which field, if one.
        field: Option<String>,
        /// Why.
        reason: String,
    },
}

impl RowResult {
    /// A final outcome is never retried by a resumed run.
    pub fn is_final(&self) -> bool {
        !matches!(self, RowResult::Failed { .. })
    }

    /// Which outcome this is, without its details.
    pub fn outcome(&self) -> OutcomeKind {
        match self {
            RowResult::Uploaded { .. } => OutcomeKind::Uploaded,
            RowResult::AlreadyPresent { .. } => OutcomeKind::AlreadyPresent,
            RowResult::Rejected { .. } => OutcomeKind::Rejected,
            RowResult::Failed { .. } => OutcomeKind::Failed,
            RowResult::Invalid { .. } => OutcomeKind::Invalid,
        }
    }

    /// Short name for counts and reports.
    pub fn kind(&self) -> &'static str {
        self.outcome().as_str()
    }
}

/// A serial's outcome without its details: what counts, logs and reports group by. Its serde
/// names are [`RowResult`]'s `result` tags, plus `in_doubt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// Created in Okta by this tool.
    Uploaded,
    /// Okta already had it.
    AlreadyPresent,
    /// Okta refused it.
    Rejected,
    /// Gave up after retries.
    Failed,
    /// The row did not validate.
    Invalid,
    /// A request left and no outcome was journaled (a crash). Never written as an outcome
    /// line: replay and reports derive it from an intent without one.
    InDoubt,
}

impl OutcomeKind {
    /// Every outcome, in report order.
    pub const ALL: [OutcomeKind; 6] = [
        OutcomeKind::Uploaded,
        OutcomeKind::AlreadyPresent,
        OutcomeKind::Rejected,
        OutcomeKind::Failed,
        OutcomeKind::Invalid,
        OutcomeKind::InDoubt,
    ];

    /// The name journals, logs and reports use (its serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Uploaded => "uploaded",
            OutcomeKind::AlreadyPresent => "already_present",
            OutcomeKind::Rejected => "rejected",
            OutcomeKind::Failed => "failed",
            OutcomeKind::Invalid => "invalid",
            OutcomeKind::InDoubt => "in_doubt",
        }
    }
}

/// Counts at the end of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Uploaded by this run.
    pub uploaded: u64,
    /// Already in Okta.
    pub already_present: u64,
    /// Refused by Okta.
    pub rejected: u64,
    /// Gave up after retries.
    pub failed: u64,
    /// Invalid rows skipped.
    pub invalid: u64,
    /// Finished by an earlier run of the same journal.
    pub done_before: u64,
    /// Rate 429s seen.
    pub rate_limited: u64,
    /// Concurrency 429s seen.
    pub concurrency_limited: u64,
    /// Retries of any kind.
    pub retries: u64,
    /// Lookups to settle an upload in doubt.
    pub in_doubt_lookups: u64,
    /// Uploads an earlier run left in doubt that this run's listing showed had arrived: uploaded,
    /// but not sent by this run (so not in `uploaded`). Left out of the journal when zero, so
    /// older journals and readers see the shape they know.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub settled_from_listing: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Entry {
    /// Start of a run.
    Header(Header),
    /// A POST is about to leave.
    Intent {
        /// 12-digit serial.
        serial: Serial,
        /// Line in the seed file.
        line: u64,
        /// 1-based attempt.
        attempt: u32,
        /// When.
        #[serde(with = "okta_time_serde")]
        at: DateTime<Utc>,
    },
    /// A row's final (or failed) outcome.
    Outcome {
        /// 12-digit serial, when the row had a readable one.
        serial: Option<Serial>,
        /// Line in the seed file.
        line: u64,
        /// What happened.
        #[serde(flatten)]
        result: RowResult,
        /// When.
        #[serde(with = "okta_time_serde")]
        at: DateTime<Utc>,
    },
    /// A repair run's planned action (before the run's first write).
    Planned(Planned),
    /// A repair's DELETE is about to leave.
    DeleteIntent(DeleteIntent),
    /// A repair's DELETE outcome.
    DeleteOutcome(DeleteOutcome),
    /// A repair's planned action not taken (its target changed).
    Skipped(Skipped),
    /// A revoke's own lines (plan, unenroll, each serial's end); its token DELETEs are
    /// [`Entry::DeleteIntent`] and [`Entry::DeleteOutcome`], as a repair's.
    Revoke(revoke::RevokeLine),
    /// End of a run.
    Summary {
        /// The run's counts.
        counts: Counts,
        /// Whether it was interrupted.
        interrupted: bool,
        /// Seconds from start to end.
        elapsed_secs: f64,
        /// The pace used, requests per minute.
        pace_per_minute: f64,
        /// The token path's rate-limit window, when the run learned it (absent in older
        /// journals), so a report can count requests per window.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        window: Option<RateWindow>,
        /// When.
        #[serde(with = "okta_time_serde")]
        at: DateTime<Utc>,
    },
}

/// A bucket's rate-limit window as a run learned it from Okta's headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateWindow {
    /// Its length, whole seconds (Okta's windows are a minute).
    pub secs: u64,
    /// Requests the org may send in one.
    pub limit: u64,
}

mod okta_time_serde {
    use super::*;
    pub fn serialize<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&okta_time::format(t))
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let raw = String::deserialize(d)?;
        okta_time::parse(&raw).ok_or_else(|| serde::de::Error::custom("bad timestamp"))
    }
}

/// An open journal. Appends are serialised by a std `Mutex`: each is one short `write` with no
/// `.await` inside, so a mutex is simpler than a writer task and keeps "flushed before the POST"
/// a plain function call.
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
}

impl Journal {
    /// Creates a new journal (mode 0600) and writes its header.
    pub fn create(path: &Path, header: Header) -> anyhow::Result<Self> {
        let file = open::create_new(path)?;
        let journal = Journal {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        };
        journal.append(&Entry::Header(header))?;
        Ok(journal)
    }

    /// Opens an existing journal to continue it, mending a torn last line first.
    pub fn resume(path: &Path, header: Header) -> anyhow::Result<Self> {
        let mut file = open::open_existing(path)?;
        let len = file.metadata()?.len();
        if len > 0 {
            file.seek(SeekFrom::Start(len - 1))?;
            let mut last = [0u8; 1];
            file.read_exact(&mut last)?;
            if last[0] != b'\n' {
                // A crash tore the last line; end it so the next entry starts on its own line.
                file.write_all(b"\n")?;
            }
        }
        let journal = Journal {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        };
        journal.append(&Entry::Header(header))?;
        Ok(journal)
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one entry and flushes it to the operating system.
    pub fn append(&self, entry: &Entry) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(entry).context("cannot encode journal entry")?;
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(&line)
            .and_then(|_| file.flush())
            .with_context(|| format!("cannot write journal {}", self.path.display()))
    }
}

/// What a journal says about earlier runs.
#[derive(Debug, Default)]
pub struct Replay {
    /// Every run's header, oldest first.
    pub headers: Vec<Header>,
    /// The last outcome per 12-digit serial.
    pub outcomes: HashMap<Serial, RowResult>,
    /// Serials with an intent after their last outcome: the POST may or may not have landed.
    pub in_doubt: HashSet<Serial>,
    /// For each serial in doubt, its first intent since its last outcome (our clock): a record
    /// Okta created before it cannot be what those POSTs stored.
    pub intent_at: HashMap<Serial, DateTime<Utc>>,
    /// Line numbers that could not be read (a torn line is normal after a crash).
    pub unreadable_lines: Vec<u64>,
    /// Whether every unreadable line was torn by a crash: the last line, or a line followed by
    /// the header of the run that resumed after the crash.
    pub only_torn_by_crashes: bool,
}

impl Replay {
    /// Whether a serial already has a final outcome.
    pub fn is_done(&self, serial: &str) -> bool {
        self.outcomes.get(serial).is_some_and(RowResult::is_final) && !self.in_doubt.contains(serial)
    }
}

/// Unreadable lines of a journal, and whether each was torn by a crash.
#[derive(Debug, Default)]
pub struct BadLines {
    /// 1-based line numbers.
    pub lines: Vec<u64>,
    /// Whether all of them are crash tears (last line, or followed by a resume header).
    pub all_torn_by_crashes: bool,
}

/// Reads every entry of a journal that passes [`open::open_existing`]'s checks (what a run
/// resumes from); unreadable lines are reported, not fatal.
pub fn read_entries(path: &Path) -> anyhow::Result<(Vec<Entry>, BadLines)> {
    entries_of(path, open::open_existing(path)?)
}

/// Reads every entry of a journal only to report on it (`ykprov report`): an auditor may read
/// another user's journal, and nothing is skipped or appended on its word, so owner and mode are
/// not checked.
pub fn read_entries_to_report(path: &Path) -> anyhow::Result<(Vec<Entry>, BadLines)> {
    let file = File::open(path).with_context(|| format!("cannot open journal {}", path.display()))?;
    entries_of(path, file)
}

fn entries_of(path: &Path, file: File) -> anyhow::Result<(Vec<Entry>, BadLines)> {
    let mut entries = Vec::new();
    let mut bad = BadLines {
        lines: Vec::new(),
        all_torn_by_crashes: true,
    };
    let mut pending_tear = false;
    for (i, line) in BufReader::new(file).split(b'\n').enumerate() {
        let line = line.with_context(|| format!("cannot read journal {}", path.display()))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Entry>(&line) {
            Ok(e) => {
                if pending_tear && !matches!(e, Entry::Header(_)) {
                    bad.all_torn_by_crashes = false;
                }
                pending_tear = false;
                entries.push(e);
            }
            Err(_) => {
                if pending_tear {
                    bad.all_torn_by_crashes = false;
                }
                pending_tear = true;
                bad.lines.push(i as u64 + 1);
            }
        }
    }
    Ok((entries, bad))
}

/// Replays a journal into what a resumed run needs.
pub fn replay(path: &Path) -> anyhow::Result<Replay> {
    let (entries, bad) = read_entries(path)?;
    let mut r = Replay {
        only_torn_by_crashes: bad.all_torn_by_crashes,
        unreadable_lines: bad.lines,
        ..Replay::default()
    };
    for entry in entries {
        match entry {
            Entry::Header(h) => r.headers.push(h),
            Entry::Intent { serial, at, .. } => {
                r.intent_at.entry(serial.clone()).or_insert(at);
                r.in_doubt.insert(serial);
            }
            Entry::Outcome {
                serial: Some(serial),
                result,
                ..
            } => {
                r.in_doubt.remove(&serial);
                r.intent_at.remove(&serial);
                r.outcomes.insert(serial, result);
            }
            // A repair's own lines say nothing an upload run needs.
            Entry::Outcome { serial: None, .. }
            | Entry::Summary { .. }
            | Entry::Planned(_)
            | Entry::DeleteIntent(_)
            | Entry::DeleteOutcome(_)
            | Entry::Skipped(_)
            | Entry::Revoke(_) => {}
        }
    }
    Ok(r)
}

/// The default journal path: beside the seed file, `<name>.ykprov-journal.jsonl`.
pub fn default_path(seed_file: &Path) -> PathBuf {
    let name = seed_file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "seeds".into());
    seed_file.with_file_name(format!("{name}.ykprov-journal.jsonl"))
}

#[cfg(test)]
mod tests;
