//! The manifest of a plain seed file, read before an upload's first write: serial, public id,
//! file SHA-256 and line of each valid row. Only those leave this function; the seeds it reads
//! are dropped unread. A sealed file is not decrypted a second time for this: its manifest comes
//! from the run's journal when the run ends.

use super::record::ManifestRow;
use crate::seed::sealed::detect::detect_file;
use crate::seed::{sha256_file, ReaderOptions, RowOutcome, SeedFormat, SeedReader, SeedSource};
use std::path::Path;

/// Streams the manifest of a plain seed file to `f`, `chunk` rows at a time, so a 100,000-row
/// file is never held whole; false (and nothing read) for a sealed file.
pub fn read_plain(
    path: &Path,
    format: SeedFormat,
    chunk: usize,
    mut f: impl FnMut(&[ManifestRow]) -> anyhow::Result<()>,
) -> anyhow::Result<bool> {
    if detect_file(path)?.is_some() {
        return Ok(false);
    }
    let sha = sha256_file(path)?;
    let file = path.display().to_string();
    let mut rows = Vec::with_capacity(chunk);
    for row in SeedReader::open(SeedSource::file(path), &ReaderOptions { format })? {
        if let RowOutcome::Valid(v) = row {
            rows.push(ManifestRow {
                serial: v.seed.serial.into(),
                public_id: Some(v.seed.public_id.as_str().to_string()),
                file: file.clone(),
                file_sha256: sha.clone(),
                line: v.line,
            });
            if rows.len() >= chunk {
                f(&rows)?;
                rows.clear();
            }
        }
    }
    if !rows.is_empty() {
        f(&rows)?;
    }
    Ok(true)
}
