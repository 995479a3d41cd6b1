//! The seed files as a repair sees them: every valid row (for the reconciliation), every invalid
//! one, each file's hash, and the [`SeedIndex`] of rows that may be uploaded. Unlike reconcile's
//! reading, it keeps the first pass's exclusions (repeats, conflicting rows), since a repair
//! uploads. No secret is kept: the seeds themselves are read again when the plan is applied.

use super::plan::SeedIndex;
use crate::reconcile::diff::{InvalidRow, LocalRow};
use crate::reconcile::FileInfo;
use crate::seed::{
    self, ReaderOptions, RowOutcome, SeedFormat, SeedReader, SeedSource, UnsealOptions, ValidationOptions,
};
use std::path::PathBuf;

/// What the seed files hold, without their secrets.
#[derive(Debug, Default)]
pub struct Local {
    /// Every valid row.
    pub rows: Vec<LocalRow>,
    /// Every invalid row (the first [`seed::report::MAX_STORED`] of each file).
    pub invalid: Vec<InvalidRow>,
    /// Each file with its hash.
    pub files: Vec<FileInfo>,
    /// The rows that may be uploaded.
    pub index: SeedIndex,
    /// Each file opened (a sealed one decrypted once, so applying the plan reads the same bytes).
    pub sources: Vec<SeedSource>,
}

/// Reads and validates every file (blocking: call it on a blocking thread).
/// `expect` is checked once every file is validated, before anything is asked of Okta.
pub fn read(
    files: &[PathBuf],
    format: SeedFormat,
    unseal: &UnsealOptions,
    expect: &seed::Expect,
) -> anyhow::Result<Local> {
    let mut local = Local::default();
    let mut reports = Vec::new();
    for path in files {
        let source = seed::open(path, unseal)?;
        let report = seed::validate_file(
            &source,
            &ValidationOptions {
                format,
                last_wins: false,
            },
        )?;
        let name = path.display().to_string();
        local.invalid.extend(report.errors.iter().map(|e| InvalidRow {
            file: name.clone(),
            line: e.line,
            serial: e.serial.clone(),
            field: e.field.map(|f| f.name().to_string()),
            reason: e.problem.to_string(),
        }));
        for row in SeedReader::open(&source, &ReaderOptions { format })? {
            let RowOutcome::Valid(v) = row else {
                continue;
            };
            let serial = seed::Serial::from(v.seed.serial);
            if report.is_uploadable(v.line) {
                local.index.add(&name, serial.clone(), v.line);
            }
            local.rows.push(LocalRow {
                serial,
                file: name.clone(),
                line: v.line,
            });
        }
        local.files.push(FileInfo {
            path: name,
            sha256: report.sha256.clone(),
            valid: report.valid,
            invalid: report.error_count,
        });
        local.sources.push(source);
        reports.push(report);
    }
    expect.check(&reports.iter().collect::<Vec<_>>())?;
    Ok(local)
}
