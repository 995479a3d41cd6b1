//! One writer at a time: the exclusive advisory locks every command that writes to Okta takes
//! on its journal (`<journal>.lock`) and on the org (a lock file per org in the state folder),
//! before its first request. Two runs writing one journal, or two writers pacing themselves
//! against one org's bucket, double POSTs and drain the bucket; a second writer is refused at
//! once instead, naming the holder.
//!
//! A lock is `flock(LOCK_EX | LOCK_NB)` on a file that is never deleted: the kernel releases it
//! when the holder's process ends, however it ends (`kill -9` included), so a lock file left
//! behind holds nothing and needs no cleanup. The holder writes who it is (pid, user@host,
//! command, start time) into the file, for the refusal message only; the flock, not the text,
//! is the lock. The file is opened without following a symlink and must be this user's regular
//! file, as a journal must. Deciding which commands lock, and the folder, is the command layer's.

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Who holds a lock, as written into its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// The holder's process id.
    pub pid: u32,
    /// `user@host` of the holder.
    pub host: String,
    /// The command (`upload`, `repair`, `revoke`).
    pub command: String,
    /// When it took the lock.
    pub started: DateTime<Utc>,
}

impl Holder {
    /// This process, running `command`, as `operator` (`user@host`).
    pub fn this_process(command: &str, operator: String) -> Self {
        Holder {
            pid: std::process::id(),
            host: operator,
            command: command.to_string(),
            started: Utc::now(),
        }
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`ykprov {}`, pid {} on {}, started {}",
            self.command,
            self.pid,
            self.host,
            self.started.to_rfc3339_opts(SecondsFormat::Secs, true)
        )
    }
}

/// The folder for state kept across runs (the org locks): `$YKPROV_STATE_DIR`, else
/// `$XDG_STATE_HOME/ykprov`, else `$HOME/.local/state/ykprov` (the XDG default). Only absolute
/// values count; `None` when none is set.
pub fn state_dir(
    ykprov_state_dir: Option<&std::ffi::OsStr>,
    xdg_state_home: Option<&std::ffi::OsStr>,
    home: Option<&std::ffi::OsStr>,
) -> Option<PathBuf> {
    let absolute = |v: Option<&std::ffi::OsStr>| v.map(PathBuf::from).filter(|p| p.is_absolute());
    absolute(ykprov_state_dir)
        .or_else(|| absolute(xdg_state_home).map(|s| s.join("ykprov")))
        .or_else(|| absolute(home).map(|h| h.join(".local").join("state").join("ykprov")))
}

/// The org's lock file in `state`: named by the SHA-256 of the org's origin, lowercased and
/// without a trailing slash, so every spelling of one org meets at one file.
pub fn org_lock_path(state: &Path, org: &str) -> PathBuf {
    let org = org.trim_end_matches('/').to_ascii_lowercase();
    let name = hex::encode(Sha256::digest(org.as_bytes()));
    state.join("locks").join(format!("{name}.lock"))
}

/// A journal's lock file: its sibling `<journal>.lock`.
pub fn journal_lock_path(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

/// What a lock file says about its holder, for the refusal message.
pub fn describe(text: &str) -> String {
    match serde_json::from_str::<Holder>(text.trim()) {
        Ok(h) => h.to_string(),
        // Between the holder's flock and its write the file may be empty.
        Err(_) => "a process that has not written its name yet".to_string(),
    }
}

/// A held lock; dropping it (or the process ending) releases it. The file stays.
#[derive(Debug)]
pub struct Lock {
    /// Kept open: the flock lives as long as this descriptor.
    _file: File,
    path: PathBuf,
}

impl Lock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Takes the lock at `path` for `holder`, or refuses at once naming who holds it. `what` names
/// the thing locked for the messages (`the journal x.jsonl`, `the org https://…`).
pub fn acquire(path: &Path, what: &str, holder: &Holder) -> anyhow::Result<Lock> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir(parent).with_context(|| {
            format!(
                "cannot lock {what}: cannot create the folder {}",
                parent.display()
            )
        })?;
    }
    let mut file = open(path)?;
    if !try_flock(&file).with_context(|| format!("cannot lock {}", path.display()))? {
        let mut text = String::new();
        // Best effort: the message is the only use of the text.
        let _ = file.read_to_string(&mut text);
        anyhow::bail!(
            "{what} is in use by another ykprov run: {} (lock file {}). Wait for it to finish; its lock ends with its process, so nothing needs cleaning up",
            describe(&text),
            path.display()
        );
    }
    let text = serde_json::to_string(holder)?;
    file.set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| file.write_all(format!("{text}\n").as_bytes()))
        .with_context(|| format!("cannot write the lock file {}", path.display()))?;
    Ok(Lock {
        _file: file,
        path: path.to_path_buf(),
    })
}

/// Creates `dir` (and its parents) mode 0700 when missing.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Opens (creating 0600) the lock file without following a symlink, then checks it is this
/// user's regular file: another user's file could be held by them for ever.
fn open(path: &Path) -> anyhow::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let file = opts.open(path).with_context(|| {
        format!(
            "cannot open the lock file {} (a symbolic link is refused)",
            path.display()
        )
    })?;
    let meta = file
        .metadata()
        .with_context(|| format!("cannot inspect the lock file {}", path.display()))?;
    if !meta.is_file() {
        anyhow::bail!("refusing the lock file {}: not a regular file", path.display());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.uid() != crate::hardening::euid() {
            anyhow::bail!(
                "refusing the lock file {}: it is owned by uid {}, not by you; move it aside",
                path.display(),
                meta.uid()
            );
        }
    }
    Ok(file)
}

/// `flock(LOCK_EX | LOCK_NB)`: `Ok(false)` when another open file holds it.
#[cfg(unix)]
fn try_flock(file: &File) -> std::io::Result<bool> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a descriptor this `File` owns and keeps open; no memory is shared.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(err)
    }
}

/// No advisory locks off Unix: every run proceeds.
#[cfg(not(unix))]
fn try_flock(_file: &File) -> std::io::Result<bool> {
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    fn holder(pid: u32) -> Holder {
        Holder {
            pid,
            host: "ops@box".into(),
            command: "upload".into(),
            started: "2026-12-06T09:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn the_state_folder_is_the_override_then_xdg_then_home() {
        let (o, x, h) = (OsStr::new("/o"), OsStr::new("/x"), OsStr::new("/h"));
        assert_eq!(state_dir(Some(o), Some(x), Some(h)), Some("/o".into()));
        assert_eq!(state_dir(None, Some(x), Some(h)), Some("/x/ykprov".into()));
        assert_eq!(
            state_dir(None, None, Some(h)),
            Some("/h/.local/state/ykprov".into())
        );
        assert_eq!(state_dir(Some(OsStr::new("rel")), None, None), None);
    }

    #[test]
    fn every_spelling_of_an_org_meets_at_one_lock_file() {
        let a = org_lock_path(Path::new("/s"), "https://Acme.okta.com/");
        assert_eq!(a, org_lock_path(Path::new("/s"), "https://acme.okta.com"));
        assert_ne!(a, org_lock_path(Path::new("/s"), "https://other.okta.com"));
        assert!(a.starts_with("/s/locks") && a.extension() == Some(OsStr::new("lock")));
    }

    #[test]
    fn a_journals_lock_is_its_sibling() {
        assert_eq!(
            journal_lock_path(Path::new("/d/s.csv.ykprov-journal.jsonl")),
            PathBuf::from("/d/s.csv.ykprov-journal.jsonl.lock")
        );
    }

    #[test]
    fn the_holder_is_described_or_said_to_be_unnamed() {
        let text = serde_json::to_string(&holder(42)).unwrap();
        assert_eq!(
            describe(&text),
            "`ykprov upload`, pid 42 on ops@box, started 2026-12-06T09:00:00Z"
        );
        assert!(describe("").contains("not written its name"));
    }

    #[test]
    fn a_second_lock_is_refused_naming_the_first_and_taken_once_it_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("j.jsonl.lock");
        let first = acquire(&path, "the journal j", &holder(42)).unwrap();
        let err = format!("{:#}", acquire(&path, "the journal j", &holder(43)).unwrap_err());
        assert!(
            err.contains("the journal j is in use") && err.contains("pid 42"),
            "{err}"
        );
        drop(first);
        let again = acquire(&path, "the journal j", &holder(43)).unwrap();
        assert!(std::fs::read_to_string(again.path())
            .unwrap()
            .contains("\"pid\":43"));
    }

    #[test]
    fn a_symlinked_lock_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("victim");
        std::fs::write(&target, "keep").unwrap();
        let link = dir.path().join("j.lock");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(acquire(&link, "the journal j", &holder(1)).is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    }
}
