//! The run's journal: found beside the seed file (or at `--journal`), created or continued with a
//! header naming the run, the operator and the input's hash, and refused when it belongs to
//! another version of the file. A dry run only reads what earlier runs left in it.

use super::UploadOptions;
use crate::journal::{self, Header, Journal, Replay, SealedInput};
use crate::seed::FileReport;
use chrono::Utc;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A run's journal and what earlier runs left in it.
pub struct RunJournal {
    /// Where it is.
    pub path: PathBuf,
    /// The open journal; `None` for a dry run, which writes nothing.
    pub writer: Option<Arc<Journal>>,
    /// Earlier runs' outcomes and doubts.
    pub replay: Replay,
}

/// Opens (or continues) the journal for `o.file`, whose first pass is `validation` (its hash, and
/// for a sealed file the seal's).
pub fn open(
    o: &UploadOptions,
    org: &str,
    validation: &FileReport,
    okta_identity: Option<String>,
) -> anyhow::Result<RunJournal> {
    let path = o
        .journal
        .clone()
        .unwrap_or_else(|| journal::default_path(&o.file));
    if o.dry_run {
        let replay = if path.exists() {
            journal::replay(&path)?
        } else {
            Replay::default()
        };
        return Ok(RunJournal {
            path,
            writer: None,
            replay,
        });
    }
    let header = Header {
        run_id: run_id(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        operator: operator(),
        okta_identity,
        org: org.to_string(),
        input: o.file.display().to_string(),
        input_sha256: validation.sha256.clone(),
        sealed: validation.sealed.as_ref().map(SealedInput::from_seal),
        options: o.to_json(),
        started: Utc::now(),
        resumed: false,
    };
    let (writer, replay) = open_journal(o, &path, header)?;
    Ok(RunJournal {
        path,
        writer: Some(writer),
        replay,
    })
}

/// Creates the journal, or continues it, refusing one that belongs to another file.
fn open_journal(o: &UploadOptions, path: &Path, header: Header) -> anyhow::Result<(Arc<Journal>, Replay)> {
    if !path.exists() {
        if o.resume {
            anyhow::bail!("--resume: no journal at {}; nothing to resume", path.display());
        }
        return Ok((Arc::new(Journal::create(path, header)?), Replay::default()));
    }
    let replay = journal::replay(path)?;
    if !replay.unreadable_lines.is_empty() {
        if !replay.only_torn_by_crashes {
            anyhow::bail!(
                "journal {} has unreadable lines {:?}; it may be damaged. Move it aside and re-run (the preflight will find what is already in Okta)",
                path.display(),
                replay.unreadable_lines
            );
        }
        tracing::warn!(
            "journal {}: line(s) {:?} were torn by a crash; ignoring them",
            path.display(),
            replay.unreadable_lines
        );
    }
    if let Some(prev) = replay.headers.last() {
        if prev.input_sha256 != header.input_sha256 {
            anyhow::bail!(
                "journal {} belongs to a different version of the seed file (SHA-256 {}…); pass --journal NEW.jsonl for this file",
                path.display(),
                &prev.input_sha256[..prev.input_sha256.len().min(12)]
            );
        }
    }
    tracing::info!(
        "continuing the run journaled in {}: {} row(s) done, {} in doubt",
        path.display(),
        replay.outcomes.len(),
        replay.in_doubt.len()
    );
    let header = Header {
        resumed: true,
        ..header
    };
    Ok((Arc::new(Journal::resume(path, header)?), replay))
}

/// `user@host` for the journal header. Cron and systemd often run without `$USER`, so fall back
/// to the account that owns the process (`/proc/self` and `/etc/passwd` on Linux).
pub fn operator() -> String {
    let user = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .or_else(account_name)
        .unwrap_or_else(|| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into());
    format!("{user}@{host}")
}

fn account_name() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[2] == uid)
        .map(|f| f[0].to_string())
}

/// A random id for a run's journal header.
pub fn run_id() -> String {
    use rand::Rng;
    format!("{:016x}", rand::thread_rng().gen::<u64>())
}
