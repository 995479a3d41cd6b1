//! Finding and opening the ledger file safely: the default path, the checks made before SQLite
//! sees the file (no symlink, not writable by others, ours, really SQLite), and the pragmas.

use super::schema;
use anyhow::Context;
use rusqlite::{Connection, OpenFlags};
use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The default ledger path: `$XDG_STATE_HOME/ykprov/ledger.sqlite3`, else
/// `$HOME/.local/state/ykprov/ledger.sqlite3` (the XDG base directory default). `None` when
/// neither variable is set to an absolute path.
pub fn default_path(xdg_state_home: Option<&OsStr>, home: Option<&OsStr>) -> Option<PathBuf> {
    let absolute = |v: Option<&OsStr>| v.map(PathBuf::from).filter(|p| p.is_absolute());
    let state =
        absolute(xdg_state_home).or_else(|| absolute(home).map(|h| h.join(".local").join("state")))?;
    Some(state.join("ykprov").join("ledger.sqlite3"))
}

/// The ledger to use: `--ledger` (or `YKPROV_LEDGER`, which clap folds into the flag), else the
/// default path.
pub fn resolve_path(flag: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    default_path(
        std::env::var_os("XDG_STATE_HOME").as_deref(),
        std::env::var_os("HOME").as_deref(),
    )
    .context("no ledger path: set --ledger PATH, YKPROV_LEDGER, XDG_STATE_HOME or HOME")
}

/// Opens (or creates) the ledger and brings its schema up to date.
pub fn open(path: &Path) -> anyhow::Result<Connection> {
    let fresh = prepare_file(path)?;
    let flags =
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NOFOLLOW | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .with_context(|| format!("cannot open the ledger {}", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    schema::check_and_migrate(&conn, fresh)
        .with_context(|| format!("refusing the ledger {}", path.display()))?;
    // WAL lets a reconcile read while a repair writes; `synchronous=NORMAL` is WAL's safe setting
    // (a power cut may lose the last transaction, never corrupt the file).
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .with_context(|| format!("cannot write the ledger {}", path.display()))?;
    if !mode.eq_ignore_ascii_case("wal") {
        anyhow::bail!("the ledger {} cannot use WAL mode (got {mode})", path.display());
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

/// Checks an existing file, or creates a new one with mode 0600 in a 0700 directory. Returns
/// whether the file is new (empty).
fn prepare_file(path: &Path) -> anyhow::Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => {
            check_existing(path, &meta)?;
            Ok(meta.len() == 0)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            create(path)?;
            Ok(true)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read the ledger {}", path.display())),
    }
}

fn check_existing(path: &Path, meta: &std::fs::Metadata) -> anyhow::Result<()> {
    let shown = path.display();
    if meta.file_type().is_symlink() {
        anyhow::bail!("the ledger {shown} is a symbolic link; refusing it (point --ledger at the real file)");
    }
    if !meta.is_file() {
        anyhow::bail!("the ledger {shown} is not a regular file");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.mode() & 0o022 != 0 {
            anyhow::bail!(
                "the ledger {shown} is writable by group or others (mode {:o}); refusing it: anyone could rewrite its history. Fix with `chmod 600 {shown}`",
                meta.mode() & 0o777
            );
        }
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me {
            anyhow::bail!(
                "the ledger {shown} belongs to uid {}, not to this user (uid {me}); refusing it",
                meta.uid()
            );
        }
    }
    if meta.len() > 0 {
        let mut magic = [0u8; 16];
        let mut f = std::fs::File::open(path).with_context(|| format!("cannot read the ledger {shown}"))?;
        let n = f
            .read(&mut magic)
            .with_context(|| format!("cannot read the ledger {shown}"))?;
        if n < magic.len() || &magic != b"SQLite format 3\0" {
            anyhow::bail!("{shown} is not an SQLite file, so not a ykprov ledger; refusing to touch it");
        }
    }
    Ok(())
}

fn create(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                b.mode(0o700);
            }
            b.create(dir)
                .with_context(|| format!("cannot create the ledger's directory {}", dir.display()))?;
        }
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    opts.open(path)
        .with_context(|| format!("cannot create the ledger {}", path.display()))?;
    Ok(())
}
