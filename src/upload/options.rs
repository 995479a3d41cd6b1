//! What an upload run is asked to do: [`UploadOptions`], with one constructor holding the CLI's
//! defaults so the command, the demo and the tests name only what differs, and the options' form
//! in the journal header.

use crate::okta::pacing::RateSetting;
use crate::seed::{SeedFormat, UnsealOptions};
use std::path::PathBuf;

/// Validated upload options (built from the CLI, or directly by the demo and tests). Start from
/// [`UploadOptions::new`] and set what differs: `UploadOptions { dry_run: true, ..UploadOptions::new(file) }`.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadOptions {
    /// The seed file.
    pub file: PathBuf,
    /// Journal path; default beside the seed file.
    pub journal: Option<PathBuf>,
    /// Require an existing journal and continue it.
    pub resume: bool,
    /// Validate, preflight and plan; send no POST.
    pub dry_run: bool,
    /// Upload the valid rows even if some are invalid.
    pub skip_invalid: bool,
    /// Requests in flight at most.
    pub concurrency: usize,
    /// Attempts per row (429s not counted).
    pub max_attempts: u32,
    /// Seed file layout.
    pub format: SeedFormat,
    /// Later rows win over earlier rows of the same serial.
    pub last_wins: bool,
    /// The pace setting (for the journal header and the plan).
    pub rate: RateSetting,
    /// No progress bar.
    pub quiet: bool,
    /// How to open a sealed seed file (signers required, age identities, gpg, passphrase prompt).
    pub unseal: UnsealOptions,
    /// Send again the rows an earlier run journaled `rejected` (after the preflight lookup):
    /// earlier versions journaled refused credentials and DPoP proofs that way.
    pub retry_rejected: bool,
    /// What the file must hold (`--expect-rows`, `--expect-sha256`); an empty file is refused.
    pub expect: crate::seed::Expect,
    /// Who Okta takes the credential for, for the journal header; when `None` the upload looks
    /// it up itself ([`crate::okta::identity::recorded`]) after the file's checks, before its
    /// first write.
    pub okta_identity: Option<String>,
}

impl UploadOptions {
    /// Requests in flight at most, the default of `--concurrency` (clap reads it from here).
    pub const DEFAULT_CONCURRENCY: usize = 4;
    /// Attempts per row before it is marked failed, the default of `--max-attempts`.
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 6;

    /// The CLI's defaults for `file`: 4 in flight, 6 attempts, half of the pace Okta announces,
    /// the layout detected, every switch off.
    pub fn new(file: impl Into<PathBuf>) -> Self {
        UploadOptions {
            file: file.into(),
            journal: None,
            resume: false,
            dry_run: false,
            skip_invalid: false,
            concurrency: Self::DEFAULT_CONCURRENCY,
            max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
            format: SeedFormat::Auto,
            last_wins: false,
            rate: RateSetting::DEFAULT,
            quiet: false,
            unseal: UnsealOptions::default(),
            retry_rejected: false,
            expect: crate::seed::Expect::default(),
            okta_identity: None,
        }
    }

    /// The options that shape the run's outcome, as the journal header records them.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let rate = match self.rate {
            RateSetting::Auto { share } => serde_json::json!({"mode": "auto", "share": share}),
            RateSetting::PerMinute(n) => serde_json::json!({"mode": "fixed", "per_minute": n}),
        };
        let mut options = serde_json::json!({
            "rate": rate, "concurrency": self.concurrency, "max_attempts": self.max_attempts,
            "skip_invalid": self.skip_invalid, "last_wins": self.last_wins, "format": self.format,
        });
        // Only when asked for, so the headers of ordinary runs stay as they were.
        if self.retry_rejected {
            options["retry_rejected"] = true.into();
        }
        options
    }
}
