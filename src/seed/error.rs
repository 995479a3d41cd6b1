//! What can be wrong with a row, and what is merely worth a warning.
//!
//! One variant per rule, each carrying what the message needs and nothing secret: a field is named,
//! its problem described ("has 31 characters, expected 32 hex"), its value never shown. Only the
//! serial, and only once it parsed as a serial, is ever echoed back.

use super::record::{Field, FieldProblem};
use serde::ser::{Serialize, SerializeStruct, Serializer};
use std::fmt;
use std::path::PathBuf;

/// Why a row cannot be uploaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    /// One field breaks its rule; `RowError::field` names it.
    #[error("{0}")]
    Field(FieldProblem),
    /// Too few or too many comma-separated fields for the format.
    #[error("has {got} fields, expected {expected}")]
    FieldCount {
        /// Fields found.
        got: usize,
        /// What the format wants.
        expected: &'static str,
    },
    /// A Personalization Tool "Traditional format" row appended to a Yubico-format log.
    #[error(
        "is a Personalization Tool \"Traditional format\" row, which has no serial number; \
         log the key again in \"Yubico format\""
    )]
    TraditionalRow,
    /// The line is longer than any seed row could be; the rest of it was not read into memory.
    #[error("is longer than {limit} bytes; not a seed row (binary data?)")]
    LineTooLong {
        /// The cap, in bytes.
        limit: usize,
    },
    /// NUL bytes: a binary file, or text in an encoding other than UTF-8/UTF-16.
    #[error("contains NUL bytes; not a text row (binary data?)")]
    NulBytes,
    /// Bytes that are not UTF-8 in a field.
    #[error("contains bytes that are not UTF-8 text")]
    NotText,
    /// The same serial on two rows with different seeds.
    #[error(
        "also appears on line {other_line} with a different seed (a re-programmed key?); neither \
         row is uploaded: keep one, or pass --last-wins to keep the later one"
    )]
    ConflictingSerial {
        /// The other row.
        other_line: u64,
    },
    /// The same public id on two serials; Okta finds the key for an OTP by its public id.
    #[error(
        "is also used by serial {other_serial} on line {other_line}; Okta identifies a \
         key by its public id, so neither row is uploaded"
    )]
    SharedPublicId {
        /// The other row's serial.
        other_serial: String,
        /// The other row.
        other_line: u64,
    },
    /// The file could not be read past this line (an I/O error). Fatal for `validate_file`.
    #[error("could not be read: {message}")]
    Unreadable {
        /// The I/O error's text.
        message: String,
    },
}

impl RowProblem {
    /// A stable machine-readable code for `validate --format json`.
    pub fn code(&self) -> &'static str {
        match self {
            RowProblem::Field(p) => match p {
                FieldProblem::Missing => "missing",
                FieldProblem::WrongLength { .. } => "wrong_length",
                FieldProblem::NonHex { .. } => "non_hex",
                FieldProblem::NonModhex { .. } => "non_modhex",
                FieldProblem::OddLength { .. } => "odd_length",
                FieldProblem::NotDecimal => "not_decimal",
                FieldProblem::Zero => "serial_zero",
                FieldProblem::TooLarge => "serial_too_large",
                FieldProblem::SpreadsheetDamage { .. } => "spreadsheet_damage",
            },
            RowProblem::FieldCount { .. } => "field_count",
            RowProblem::TraditionalRow => "traditional_row",
            RowProblem::LineTooLong { .. } => "line_too_long",
            RowProblem::NulBytes => "nul_bytes",
            RowProblem::NotText => "not_text",
            RowProblem::ConflictingSerial { .. } => "conflicting_serial",
            RowProblem::SharedPublicId { .. } => "shared_public_id",
            RowProblem::Unreadable { .. } => "unreadable",
        }
    }
}

/// A row that cannot be uploaded, with its position.
///
/// Displays as `FILE:LINE: serial 123: AES key has 31 characters, expected 32 hex`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// The seed file.
    pub file: PathBuf,
    /// 1-based physical line number.
    pub line: u64,
    /// The offending field, when one field is to blame.
    pub field: Option<Field>,
    /// The row's serial, only when it parsed as a serial (so a shifted secret is never echoed).
    pub serial: Option<String>,
    /// What is wrong.
    pub problem: RowProblem,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file.display(), self.line)?;
        if let Some(serial) = &self.serial {
            write!(f, "serial {serial}: ")?;
        }
        match self.field {
            Some(field) => write!(f, "{field} {}", self.problem),
            None => write!(f, "row {}", self.problem),
        }
    }
}

impl std::error::Error for RowError {}

impl Serialize for RowError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("RowError", 6)?;
        st.serialize_field("file", &self.file)?;
        st.serialize_field("line", &self.line)?;
        st.serialize_field("field", &self.field)?;
        st.serialize_field("serial", &self.serial)?;
        st.serialize_field("code", self.problem.code())?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

/// Something worth telling the operator that does not stop a row (or the file) from uploading.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WarningKind {
    /// A public id other than the usual 12 characters.
    #[error("public id has {len} characters; Okta and Yubico's tools use 12")]
    UnusualPublicIdLength {
        /// Characters found.
        len: usize,
    },
    /// A non-OTP row (OATH-HOTP, challenge-response, static password) was skipped.
    #[error("skipped: {reason}")]
    Skipped {
        /// Why, e.g. "OATH-HOTP row".
        reason: String,
    },
    /// The same serial and the same seed again: only one of the rows is uploaded.
    #[error("same serial and seed as line {kept_line}; uploaded once, from that line")]
    DuplicateRow {
        /// The row that is kept.
        kept_line: u64,
    },
    /// Under `--last-wins`, an earlier row for this serial is replaced by a later one.
    #[error("superseded by line {later_line} (--last-wins); not uploaded")]
    Superseded {
        /// The row that is kept.
        later_line: u64,
    },
    /// Two serials with the same AES key: legal, but a sign of copied configuration.
    #[error("AES key is the same as serial {other_serial}'s on line {other_line}")]
    SharedAesKey {
        /// The other row's serial.
        other_serial: String,
        /// The other row.
        other_line: u64,
    },
}

impl WarningKind {
    /// A stable machine-readable code for `validate --format json`.
    pub fn code(&self) -> &'static str {
        match self {
            WarningKind::UnusualPublicIdLength { .. } => "unusual_public_id_length",
            WarningKind::Skipped { .. } => "skipped",
            WarningKind::DuplicateRow { .. } => "duplicate_row",
            WarningKind::Superseded { .. } => "superseded",
            WarningKind::SharedAesKey { .. } => "shared_aes_key",
        }
    }
}

/// A warning with its position. Displays as `FILE:LINE: warning: serial 123: …`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowWarning {
    /// The seed file.
    pub file: PathBuf,
    /// 1-based physical line number.
    pub line: u64,
    /// The row's serial, when it parsed.
    pub serial: Option<String>,
    /// What was noticed.
    pub kind: WarningKind,
}

impl fmt::Display for RowWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: warning: ", self.file.display(), self.line)?;
        if let Some(serial) = &self.serial {
            write!(f, "serial {serial}: ")?;
        }
        write!(f, "{}", self.kind)
    }
}

impl Serialize for RowWarning {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("RowWarning", 5)?;
        st.serialize_field("file", &self.file)?;
        st.serialize_field("line", &self.line)?;
        st.serialize_field("serial", &self.serial)?;
        st.serialize_field("code", self.kind.code())?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

/// A row that is not a Yubico OTP credential (OATH-HOTP, challenge-response, static password):
/// not an error, but not uploaded either.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SkippedRow {
    /// 1-based physical line number.
    pub line: u64,
    /// The row's serial, when it parsed.
    pub serial: Option<String>,
    /// Why it was skipped.
    pub reason: String,
}
