//! What a scheduled run pins about its seed files, checked right after validation and before
//! any request: no file may be empty (a truncated or emptied file would otherwise reconcile
//! "clean" for ever), and `--expect-rows` / `--expect-sha256` must match what was read.

use super::FileReport;

/// The pins of one run. The default pins nothing but still refuses an empty file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expect {
    /// The data rows of all the files together (`validate`'s count).
    pub rows: Option<u64>,
    /// Each file's SHA-256 (hex), in the order the files are given; empty: not pinned.
    pub sha256: Vec<String>,
}

impl Expect {
    /// Checks the validated `files` (in the order given): an error names the file and what was
    /// read, so a scheduled run fails loudly instead of reporting a clean nothing.
    pub fn check(&self, files: &[&FileReport]) -> anyhow::Result<()> {
        for f in files {
            if f.valid == 0 && f.error_count == 0 {
                anyhow::bail!(
                    "{} has no seed rows (valid or invalid): refusing to report a clean run for an empty file; check that it was not truncated",
                    f.path.display()
                );
            }
        }
        if let Some(want) = self.rows {
            let got: u64 = files.iter().map(|f| f.rows).sum();
            if got != want {
                anyhow::bail!(
                    "--expect-rows {want}: {} hold {got} data rows; nothing was sent",
                    names(files)
                );
            }
        }
        if !self.sha256.is_empty() && self.sha256.len() != files.len() {
            anyhow::bail!(
                "--expect-sha256 was given {} times for {} seed files: give it once per file, in the files' order",
                self.sha256.len(),
                files.len()
            );
        }
        for (want, f) in self.sha256.iter().zip(files) {
            if !want.eq_ignore_ascii_case(&f.sha256) {
                anyhow::bail!(
                    "--expect-sha256: {} has SHA-256 {}, not {want}; nothing was sent",
                    f.path.display(),
                    f.sha256
                );
            }
        }
        Ok(())
    }
}

fn names(files: &[&FileReport]) -> String {
    let names: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
    names.join(", ")
}

/// Parses `--expect-sha256`: 64 hex digits.
pub fn parse_sha256(s: &str) -> Result<String, String> {
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(format!(
            "expected 64 hex digits (a SHA-256, as `sha256sum` prints it), got `{s}`"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{validate_file, SeedSource, ValidationOptions};

    fn report(text: &str) -> FileReport {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.csv");
        std::fs::write(&path, text).unwrap();
        let source = SeedSource::file(&path);
        validate_file(&source, &ValidationOptions::default()).unwrap()
    }

    const ROW: &str =
        "1,cccccccccccb,1a2b3c4d5e6f,0f1e2d3c4b5a69788796a5b4c3d2e1f0,a1b2c3d4e5f6,2026-01-01T00:00:00,";

    #[test]
    fn an_empty_file_is_refused_naming_it() {
        let r = report("");
        let err = Expect::default().check(&[&r]).unwrap_err().to_string();
        assert!(err.contains("s.csv has no seed rows"), "{err}");
    }

    #[test]
    fn the_rows_and_the_hash_must_match_when_pinned() {
        let r = report(&format!("{ROW}\n"));
        assert!(Expect::default().check(&[&r]).is_ok());
        let rows = Expect {
            rows: Some(2),
            ..Expect::default()
        };
        let err = rows.check(&[&r]).unwrap_err().to_string();
        assert!(
            err.contains("--expect-rows 2") && err.contains("hold 1 data rows"),
            "{err}"
        );
        let good = Expect {
            rows: Some(1),
            sha256: vec![r.sha256.to_uppercase()],
        };
        assert!(good.check(&[&r]).is_ok());
        let bad = Expect {
            sha256: vec!["0".repeat(64)],
            ..Expect::default()
        };
        assert!(bad
            .check(&[&r])
            .unwrap_err()
            .to_string()
            .contains("--expect-sha256"));
        let two = Expect {
            sha256: vec![r.sha256.clone(), r.sha256.clone()],
            ..Expect::default()
        };
        assert!(two
            .check(&[&r])
            .unwrap_err()
            .to_string()
            .contains("once per file"));
    }

    #[test]
    fn a_sha256_is_64_hex_digits() {
        assert_eq!(parse_sha256(&"AB".repeat(32)), Ok("ab".repeat(32)));
        assert!(parse_sha256("abc").is_err());
        assert!(parse_sha256(&"g".repeat(64)).is_err());
    }
}
