//! Where a command's result goes: a file written atomically (mode 0600), or stdout.

use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `out` atomically, or to stdout for `-` or no path.
pub fn emit(out: Option<&PathBuf>, bytes: &[u8]) -> anyhow::Result<()> {
    match out {
        Some(p) if !is_stdout(p) => crate::atomic::write(p, |w| Ok(w.write_all(bytes)?)),
        _ => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes).context("cannot write to stdout")?;
            stdout.flush().context("cannot write to stdout")
        }
    }
}

/// Whether a `--out` path means stdout.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Checks every output a command will write (flag, path; `None` when not written) before its
/// first request, so a run never does its work and then fails to write the result. `-` is stdout.
pub fn check_outputs(outputs: &[(&str, Option<&Path>)]) -> anyhow::Result<()> {
    for (flag, path) in outputs {
        if let Some(p) = path.filter(|p| !is_stdout(p)) {
            crate::atomic::check_writable(p).with_context(|| format!("{flag} {}", p.display()))?;
        }
    }
    Ok(())
}

/// Refuses a seed file that is not there before anything is sent, naming it.
pub fn require_seed_file(path: &Path) -> anyhow::Result<()> {
    if path.is_dir() {
        anyhow::bail!(
            "cannot read seed file {}: is a directory; name the seed file inside it",
            path.display()
        );
    }
    if !path.is_file() {
        anyhow::bail!("cannot read seed file {}: no such file", path.display());
    }
    Ok(())
}
