//! `--expect-rows` and `--expect-sha256`: what a scheduled `upload`, `reconcile` or `repair`
//! pins about its seed files, so a truncated, emptied or swapped file stops the run (exit 2)
//! before any request instead of reporting a clean nothing.

use crate::seed::Expect;
use clap::Args;

/// The pins, shared by the commands that read seed files and talk to Okta.
#[derive(Debug, Args, Clone, Default)]
pub struct ExpectArgs {
    /// Exit 2 before any request unless the seed files hold exactly N data rows together
    /// (`ykprov validate` counts them).
    #[arg(long, value_name = "N")]
    pub expect_rows: Option<u64>,
    /// Exit 2 before any request unless the seed file's SHA-256 is HEX (as `sha256sum` prints
    /// it). With several files, give it once per file, in the files' order.
    #[arg(long, value_name = "HEX", value_parser = crate::seed::expect::parse_sha256)]
    pub expect_sha256: Vec<String>,
}

impl ExpectArgs {
    /// The pins as the domain checks them.
    pub fn expect(&self) -> Expect {
        Expect {
            rows: self.expect_rows,
            sha256: self.expect_sha256.clone(),
        }
    }
}
