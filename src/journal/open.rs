//! The one way a journal file is opened, for upload's, repair's and any later command's journal:
//! [`create_new`] for a fresh one and [`open_existing`] for one an earlier run left.
//!
//! A journal decides what a run skips ("done by an earlier run") and is appended to, so one that
//! another user could have planted or swapped is refused, never adopted: it must not be a symlink
//! (`O_NOFOLLOW`, so a link cannot make ykprov append to another file), must be a regular file
//! owned by this user with no group or other permission bits, and must start with a run header
//! (a forged outcome line alone does not make a journal). Every check is made on the open file
//! (`fstat`), not on the path, so the file cannot be swapped between check and use.

use super::Entry;
use anyhow::Context;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// The longest first line read to find the header; a real header is well under 4 KiB.
const MAX_HEADER_BYTES: u64 = 64 * 1024;

fn options() -> OpenOptions {
    let mut opts = OpenOptions::new();
    opts.read(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    opts
}

/// Creates a journal that must not exist yet (not even as a dangling symlink), mode 0600.
pub fn create_new(path: &Path) -> anyhow::Result<File> {
    options()
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create journal {}", path.display()))
}

/// Opens an existing journal for reading and appending, positioned at its start, after checking
/// that it is this user's private regular file and starts with a header. Anything else is refused
/// with a message that names the file and says what to do.
pub fn open_existing(path: &Path) -> anyhow::Result<File> {
    let mut file = match options().open(path) {
        Ok(f) => f,
        Err(e) if is_symlink_refusal(&e) => anyhow::bail!(
            "refusing journal {}: it is a symbolic link; ykprov appends only to a regular file of its own",
            path.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("cannot open journal {}", path.display())),
    };
    check_file(path, &file)?;
    check_header(path, &mut file)?;
    file.seek(SeekFrom::Start(0))
        .with_context(|| format!("cannot read journal {}", path.display()))?;
    Ok(file)
}

/// `ELOOP` is what `O_NOFOLLOW` answers for a symlink.
fn is_symlink_refusal(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// A regular file, owned by this user, with no group or other permission bits.
fn check_file(path: &Path, file: &File) -> anyhow::Result<()> {
    let meta = file
        .metadata()
        .with_context(|| format!("cannot inspect journal {}", path.display()))?;
    if !meta.is_file() {
        anyhow::bail!("refusing journal {}: not a regular file", path.display());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = crate::hardening::euid();
        if meta.uid() != me {
            anyhow::bail!(
                "refusing journal {}: it is owned by uid {}, not by you (uid {me}); another user may have written it. Move it aside and re-run",
                path.display(),
                meta.uid()
            );
        }
        if meta.mode() & 0o077 != 0 {
            anyhow::bail!(
                "refusing journal {}: its mode {:o} lets group or others read or write it, and ykprov creates journals 0600. Check it was not tampered with, then chmod 600 it",
                path.display(),
                meta.mode() & 0o777
            );
        }
    }
    Ok(())
}

/// The first line must be a run header: a journal is always created with one.
fn check_header(path: &Path, file: &mut File) -> anyhow::Result<()> {
    let mut first = Vec::new();
    BufReader::new(file.by_ref().take(MAX_HEADER_BYTES))
        .read_until(b'\n', &mut first)
        .with_context(|| format!("cannot read journal {}", path.display()))?;
    match serde_json::from_slice::<Entry>(&first) {
        Ok(Entry::Header(_)) => Ok(()),
        _ => anyhow::bail!(
            "refusing journal {}: it does not start with a ykprov run header, so it was not written by ykprov (or was damaged). Move it aside and re-run; the preflight finds what is already in Okta",
            path.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const HEADER: &str = r#"{"type":"header","run_id":"r","tool_version":"0","operator":"a@b","org":"https://x.okta.com","input":"s.csv","input_sha256":"ab","options":{},"started":"2026-01-01T00:00:00.000Z","resumed":false}"#;

    fn private(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        let mut f = create_new(&p).unwrap();
        f.write_all(text.as_bytes()).unwrap();
        p
    }

    #[test]
    fn a_private_journal_with_a_header_is_opened_at_its_start() {
        let dir = tempfile::tempdir().unwrap();
        let p = private(dir.path(), "j.jsonl", &format!("{HEADER}\n"));
        let mut text = String::new();
        open_existing(&p).unwrap().read_to_string(&mut text).unwrap();
        assert!(text.starts_with(r#"{"type":"header""#));
    }

    #[test]
    fn a_symlink_is_refused_and_its_target_is_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = private(dir.path(), "victim", &format!("{HEADER}\n"));
        let link = dir.path().join("j.jsonl");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = format!("{:#}", open_existing(&link).unwrap_err());
        assert!(err.contains("symbolic link"), "{err}");
        assert!(
            create_new(&link).is_err(),
            "a link is never followed to create either"
        );
    }

    #[test]
    fn outcome_lines_without_a_header_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = private(
            dir.path(),
            "j.jsonl",
            r#"{"type":"outcome","serial":"000000000001","line":1,"result":"uploaded","token_id":"x","request_id":null,"at":"2026-01-01T00:00:00.000Z"}"#,
        );
        let err = format!("{:#}", open_existing(&p).unwrap_err());
        assert!(err.contains("run header"), "{err}");
    }

    #[test]
    fn a_journal_others_may_read_or_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = private(dir.path(), "j.jsonl", &format!("{HEADER}\n"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o620)).unwrap();
        let err = format!("{:#}", open_existing(&p).unwrap_err());
        assert!(err.contains("mode 620"), "{err}");
    }
}
