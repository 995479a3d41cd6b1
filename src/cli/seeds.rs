//! The clap types of the two commands that read one seed file and report on it row by row:
//! `validate` and `upload`. Their `--format` is the output format; the layout is `--input-format`.

use super::{
    ExpectArgs, FormatArg, FormatArgParser, InputFormatArgs, MetricsArgs, OrgArgs, RateArg, SealedArgs,
};
use crate::okta::pacing::RateSetting;
use crate::upload::UploadOptions;
use clap::Args;
use std::path::PathBuf;

/// `ykprov upload`.
#[derive(Debug, Args, Clone)]
pub struct UploadArgs {
    /// The seed file.
    #[arg(value_name = "SEEDS.csv")]
    pub file: PathBuf,
    /// Connection.
    #[command(flatten)]
    pub org: OrgArgs,
    /// Pace: `auto` learns Okta's limit from its headers; a rate (`5/s`, `300/min`, `1000/h`)
    /// fixes it.
    #[arg(long, default_value = "auto", value_name = "auto|N/s|N/min|N/h")]
    pub rate: RateArg,
    /// With --rate auto, the share of the bucket's limit to use (0 < share <= 1).
    #[arg(long, default_value_t = RateSetting::DEFAULT_SHARE)]
    pub share: f64,
    /// Requests in flight at most (1 to 75, Okta's org-wide concurrency limit).
    #[arg(long, default_value_t = UploadOptions::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// The journal (default: beside the seed file, SEEDS.csv.ykprov-journal.jsonl).
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,
    /// Continue the run recorded in the journal (a journal for the same file is continued anyway).
    #[arg(long)]
    pub resume: bool,
    /// Validate, check Okta (reads only) and print the plan; upload nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Upload the valid rows even when some rows are invalid.
    #[arg(long)]
    pub skip_invalid: bool,
    /// Attempts per row before it is marked failed (429s do not count).
    #[arg(long, default_value_t = UploadOptions::DEFAULT_MAX_ATTEMPTS)]
    pub max_attempts: u32,
    /// Output format (`text` or `json`). A seed layout here is read as --input-format, with a
    /// warning, for one release.
    #[arg(long, value_parser = FormatArgParser, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
    /// Seed file layout.
    #[command(flatten)]
    pub input: InputFormatArgs,
    /// When a serial appears twice with different seeds, upload the later row.
    #[arg(long)]
    pub last_wins: bool,
    /// Also write an audit report of the run here at the end (.html, .md, .csv or .json).
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    /// `--metrics-file`.
    #[command(flatten)]
    pub metrics: MetricsArgs,
    /// Sealed seed files.
    #[command(flatten)]
    pub sealed: SealedArgs,
    /// Send again the rows the journal has as `rejected` (after the usual check of what Okta
    /// holds): earlier versions journaled refused credentials and DPoP proofs that way.
    #[arg(long)]
    pub retry_rejected: bool,
    /// What the seed file must hold.
    #[command(flatten)]
    pub expect: ExpectArgs,
}

/// `ykprov validate`.
#[derive(Debug, Args, Clone)]
pub struct ValidateArgs {
    /// Seed files to check.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format (`text` or `json`). A seed layout here is read as --input-format, with a
    /// warning, for one release.
    #[arg(long, value_parser = FormatArgParser, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
    /// Seed file layout.
    #[command(flatten)]
    pub input: InputFormatArgs,
    /// When a serial appears twice with different seeds, keep the later row instead of failing.
    #[arg(long)]
    pub last_wins: bool,
    /// The old spelling of `--format json` (kept combinable with a layout in `--format`, as
    /// `--format yubico --json` was valid before).
    #[arg(long, hide = true)]
    pub json: bool,
    /// Sealed seed files.
    #[command(flatten)]
    pub sealed: SealedArgs,
}
