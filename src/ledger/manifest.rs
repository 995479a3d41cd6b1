//! The manifest of a plain seed file, read before an upload's first write: serial, public id,
//! file SHA-256 and line of each valid row. Only those leave this function; the seeds it reads
//! are dropped unread. A sealed file is not decrypted a second time for this: its manifest comes
//! from the run's journal when the run ends.

use super::record::ManifestRow;
use crate::seed::sealed::detect::detect_file;
use crate::seed::{sha256_file, ReaderOptions, RowOutcome, SeedFormat, SeedReader, SeedSource};
use std::path::Path;

/// The manifest of a plain seed file; `None` for a sealed one.
pub fn read_plain(path: &Path, format: SeedFormat) -> anyhow::Result<Option<Vec<ManifestRow>>> {
    if detect_file(path)?.is_some() {
        return Ok(None);
    }
    let sha = sha256_file(path)?;
    let file = path.display().to_string();
    let mut rows = Vec::new();
    for row in SeedReader::open(SeedSource::file(path), &ReaderOptions { format })? {
        if let RowOutcome::Valid(v) = row {
            rows.push(ManifestRow {
                serial: v.seed.serial.into(),
                public_id: Some(v.seed.public_id.as_str().to_string()),
                file: file.clone(),
                file_sha256: sha.clone(),
                line: v.line,
            });
        }
    }
    Ok(Some(rows))
}
