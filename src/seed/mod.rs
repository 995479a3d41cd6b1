//! Reading and validating seed files.
//!
//! - `record`: the validated [`Seed`] and its field newtypes.
//! - `source` → `split` → `detect` → `reader`: bytes to lines (encoding, capped length), lines to
//!   fields, the file's layout, and fields to a stream of [`RowOutcome`]s with positions.
//! - `crosscheck` and `report`: whole-file checks (duplicates across rows) in [`validate_file`].

pub mod crosscheck;
pub mod detect;
pub mod error;
pub mod format;
pub mod reader;
pub mod record;
pub mod report;
pub mod serial;
pub mod source;
pub mod split;

#[cfg(test)]
mod tests;

pub use detect::DetectedFormat;
pub use error::{RowError, RowProblem, RowWarning, SkippedRow, WarningKind};
pub use format::SeedFormat;
pub use reader::{ReaderOptions, RowOutcome, SeedReader, ValidRow};
pub use record::{AccessCode, AesKey, Field, FieldProblem, PrivateId, PublicId, Seed, SerialNumber};
pub use report::{sha256_file, validate_file, FileReport, ValidationOptions};
pub use serial::Serial;
pub use source::TextEncoding;
