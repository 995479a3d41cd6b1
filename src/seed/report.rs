//! Whole-file validation: one streaming pass through [`SeedReader`] that counts, keeps the first
//! problems, hashes the raw bytes, and feeds the cross-row checks. Upload runs this as its first
//! pass, then reads the file again and uploads the rows [`FileReport::is_uploadable`] allows.

use super::crosscheck::{self, Entry, Finding, Findings};
use super::detect::DetectedFormat;
use super::error::{RowError, RowProblem, RowWarning, WarningKind};
use super::format::SeedFormat;
use super::input::SeedSource;
use super::reader::{ReaderOptions, RowOutcome, SeedReader};
use super::record::Field;
use super::sealed::SealInfo;
use super::source::TextEncoding;
use anyhow::Context;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Problems and warnings kept in a report; the rest are only counted, so a file of garbage does
/// not cost memory in proportion to its size.
pub const MAX_STORED: usize = 10_000;

/// How to validate a file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ValidationOptions {
    /// The layout to expect; `Auto` detects it.
    pub format: SeedFormat,
    /// When one serial has rows with different seeds, keep the last instead of reporting an error.
    pub last_wins: bool,
}

/// The result of validating one file.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileReport {
    /// The seed file.
    pub path: PathBuf,
    /// The layout found.
    pub format: DetectedFormat,
    /// The text encoding found.
    pub encoding: TextEncoding,
    /// The field separator found.
    pub separator: char,
    /// SHA-256 (hex) of the file's raw bytes, from the same pass (of the decrypted bytes, for a
    /// sealed file).
    pub sha256: String,
    /// For a sealed file: its format, the sealed file's hash, who signed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sealed: Option<SealInfo>,
    /// Data rows (not blank lines, comments or the header).
    pub rows: u64,
    /// Rows that passed every per-row rule.
    pub valid: u64,
    /// Non-OTP rows skipped.
    pub skipped: u64,
    /// The first [`MAX_STORED`] errors, in line order.
    pub errors: Vec<RowError>,
    /// All errors, per-row and cross-row.
    pub error_count: u64,
    /// The first [`MAX_STORED`] warnings, in line order.
    pub warnings: Vec<RowWarning>,
    /// All warnings.
    pub warning_count: u64,
    /// Valid lines not to upload: later repeats, rows superseded under `--last-wins`, and every
    /// row of a cross-row conflict.
    #[serde(skip)]
    excluded: HashSet<u64>,
}

impl FileReport {
    /// Whether the valid row on `line` should be uploaded. Only meaningful for lines the reader
    /// returned as [`RowOutcome::Valid`].
    pub fn is_uploadable(&self, line: u64) -> bool {
        !self.excluded.contains(&line)
    }

    /// How many rows will be uploaded.
    pub fn uploadable(&self) -> u64 {
        self.valid - self.excluded.len() as u64
    }

    /// Rows that broke a per-row rule.
    pub fn invalid(&self) -> u64 {
        self.rows - self.valid - self.skipped
    }

    /// No errors of any kind (warnings allowed).
    pub fn is_clean(&self) -> bool {
        self.error_count == 0
    }

    fn push_error(&mut self, e: RowError) {
        self.error_count += 1;
        if self.errors.len() < MAX_STORED {
            self.errors.push(e);
        }
    }

    fn push_warning(&mut self, w: RowWarning) {
        self.warning_count += 1;
        if self.warnings.len() < MAX_STORED {
            self.warnings.push(w);
        }
    }
}

/// Validates a whole file (a path, or a [`SeedSource`] from `seed::sealed::open`): every row,
/// then the checks across rows.
///
/// Fails only when the file as a whole cannot be used (see [`SeedReader::open`]) or cannot be read
/// to the end; bad rows are data in the report.
pub fn validate_file(source: impl Into<SeedSource>, opts: &ValidationOptions) -> anyhow::Result<FileReport> {
    let source = source.into();
    let path = source.path();
    let mut reader = SeedReader::open(&source, &ReaderOptions { format: opts.format })?;
    let mut report = FileReport::empty(path, &reader);
    report.sealed = source.seal().cloned();
    let mut entries = entries_for(&source);
    for outcome in reader.by_ref() {
        report.count(outcome, &mut entries)?;
    }
    report.sha256 = reader.finish()?;
    let findings = crosscheck::check(&mut entries, opts.last_wins);
    drop(entries);
    report.add_findings(findings);
    report.errors.sort_by_key(|e| e.line);
    report.warnings.sort_by_key(|w| w.line);
    Ok(report)
}

/// The vector of cross-check entries, reserved from the file size so it never doubles (old and
/// new copies would both be resident); untouched capacity costs address space, not memory.
fn entries_for(source: &SeedSource) -> Vec<Entry> {
    let len = source.len_hint();
    let estimate = usize::try_from(len / 48 + 64).unwrap_or(usize::MAX).min(1 << 24);
    Vec::with_capacity(estimate)
}

impl FileReport {
    /// A report with nothing counted yet, for the layout `reader` found.
    fn empty(path: &Path, reader: &SeedReader) -> FileReport {
        FileReport {
            path: path.to_path_buf(),
            format: reader.format(),
            encoding: reader.encoding(),
            separator: reader.separator(),
            sha256: String::new(),
            sealed: None,
            rows: 0,
            valid: 0,
            skipped: 0,
            errors: Vec::new(),
            error_count: 0,
            warnings: Vec::new(),
            warning_count: 0,
            excluded: HashSet::new(),
        }
    }

    /// Counts one row; a valid one also leaves its entry for the cross-row checks. Fails when the
    /// file could not be read to the end.
    fn count(&mut self, outcome: RowOutcome, entries: &mut Vec<Entry>) -> anyhow::Result<()> {
        match outcome {
            RowOutcome::Valid(row) => {
                self.rows += 1;
                self.valid += 1;
                let entry = Entry::new(row.line, &row.seed)
                    .with_context(|| format!("{}: too many lines", self.path.display()))?;
                entries.push(entry);
                row.warnings.into_iter().for_each(|w| self.push_warning(w));
            }
            RowOutcome::Invalid(e) => {
                if let RowProblem::Unreadable { .. } = e.problem {
                    anyhow::bail!("{e}");
                }
                self.rows += 1;
                self.push_error(e);
            }
            RowOutcome::Skipped(s) => {
                self.rows += 1;
                self.skipped += 1;
                let kind = WarningKind::Skipped { reason: s.reason };
                self.push_warning(RowWarning {
                    file: self.path.clone(),
                    line: s.line,
                    serial: s.serial,
                    kind,
                });
            }
        }
        Ok(())
    }

    /// Files the cross-row findings as errors and warnings, and keeps the lines not to upload.
    fn add_findings(&mut self, findings: Findings) {
        for Finding { line, serial, what } in findings.errors {
            let field = match what {
                RowProblem::SharedPublicId { .. } => Some(Field::PublicId),
                _ => Some(Field::SerialNumber),
            };
            self.push_error(RowError {
                file: self.path.clone(),
                line,
                field,
                serial: Some(serial.to_string()),
                problem: what,
            });
        }
        for Finding { line, serial, what } in findings.warnings {
            self.push_warning(RowWarning {
                file: self.path.clone(),
                line,
                serial: Some(serial.to_string()),
                kind: what,
            });
        }
        self.excluded = findings.excluded;
    }
}

/// SHA-256 (hex) of a file's raw bytes, streamed. Upload uses it to check the file did not change
/// between the validation pass and the upload pass.
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}
