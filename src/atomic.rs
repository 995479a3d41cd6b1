//! Writing output files so a reader never sees half of one: write to a temporary file in the
//! target folder (same filesystem), then rename it over the target. Files are created mode 0600,
//! since exports and reports name every key and user.

use anyhow::Context;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Writes `path` atomically with the bytes `fill` produces.
pub fn write(path: &Path, fill: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>) -> anyhow::Result<()> {
    write_with(path, false, fill)
}

/// Writes `path` atomically, mode 0644: for a file another account must read (node_exporter
/// reading `--metrics-file`), and so only for one that holds nothing private.
pub fn write_readable(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    write_with(path, true, fill)
}

fn write_with(
    path: &Path,
    readable: bool,
    fill: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let dir = folder_of(path);
    // tempfile creates the file with mode 0600 on Unix.
    let tmp = tempfile::Builder::new()
        .prefix(".ykprov-")
        .tempfile_in(dir)
        .map_err(without_path)
        .with_context(|| {
            format!(
                "cannot write {}: cannot create a file in {}",
                path.display(),
                dir.display()
            )
        })?;
    {
        let mut w = BufWriter::new(tmp.as_file());
        fill(&mut w).with_context(|| format!("cannot write {}", path.display()))?;
        w.flush()
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    #[cfg(unix)]
    if readable {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = readable;
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The folder `path` is written in.
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// tempfile's errors name the temporary file (`.ykprov-eMkKok`), which means nothing to the
/// operator: keep only the system's reason, so messages name the output instead.
fn without_path(e: std::io::Error) -> std::io::Error {
    match e.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => std::io::Error::from(e.kind()),
    }
}

/// Checks, before a run sends anything, that `path` could be written at its end: not a folder,
/// and a file can be created (and is removed again) in its folder. The error names `path`.
pub fn check_writable(path: &Path) -> anyhow::Result<()> {
    if path.is_dir() {
        anyhow::bail!("{} is a folder", path.display());
    }
    let dir = folder_of(path);
    tempfile::Builder::new()
        .prefix(".ykprov-check-")
        .tempfile_in(dir)
        .map(drop)
        .map_err(without_path)
        .with_context(|| {
            format!(
                "cannot write {}: cannot create a file in {}",
                path.display(),
                dir.display()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_no_file_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let err = write(&path, |w| {
            w.write_all(b"half")?;
            anyhow::bail!("disk full")
        });
        assert!(err.is_err());
        assert!(!path.exists());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "temporary file removed"
        );
    }

    #[test]
    fn a_folder_that_is_a_file_is_unwritable_and_the_error_names_the_output() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), "x").unwrap();
        let out = dir.path().join("f").join("report.html");
        let err = format!("{:#}", check_writable(&out).unwrap_err());
        assert!(err.contains("report.html") && !err.contains(".ykprov-"), "{err}");
        let err = format!("{:#}", write(&out, |_| Ok(())).unwrap_err());
        assert!(err.contains("report.html") && !err.contains(".ykprov-"), "{err}");
        assert!(check_writable(&dir.path().join("ok.html")).is_ok());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "nothing left");
        assert!(check_writable(dir.path()).is_err(), "a folder is not a file");
    }

    #[cfg(unix)]
    #[test]
    fn output_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        write(&path, |w| Ok(w.write_all(b"x")?)).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"x");
    }
}
