//! Reading and validating seed files.
//!
//! - `record`: the validated [`Seed`] and its field newtypes.
//! - `sealed` and `input`: OpenPGP and age files decrypted into memory by [`sealed::open`], the
//!   one way every command opens a seed file, giving a [`SeedSource`] (a plain path, or decrypted
//!   bytes) that the reader and [`validate_file`] take.
//! - `source` → `split` → `detect` → `reader`: bytes to lines (encoding, capped length), lines to
//!   fields, the file's layout, and fields to a stream of [`RowOutcome`]s with positions.
//! - `crosscheck` and `report`: whole-file checks (duplicates across rows) in [`validate_file`].

pub mod crosscheck;
pub mod detect;
pub mod error;
pub mod expect;
pub mod format;
pub mod input;
pub mod reader;
pub mod record;
pub mod report;
pub mod sealed;
pub mod serial;
pub mod source;
pub mod split;

#[cfg(test)]
mod tests;

pub use detect::DetectedFormat;
pub use error::{RowError, RowProblem, RowWarning, SkippedRow, WarningKind};
pub use expect::Expect;
pub use format::SeedFormat;
pub use input::SeedSource;
pub use reader::{ReaderOptions, RowOutcome, SeedReader, ValidRow};
pub use record::{AccessCode, AesKey, Field, FieldProblem, PrivateId, PublicId, Seed, SerialNumber};
pub use report::{sha256_file, validate_file, FileReport, ValidationOptions};
pub use sealed::{open, SealInfo, UnsealOptions};
pub use serial::Serial;
pub use source::TextEncoding;
