//! The streaming seed-file reader: one [`RowOutcome`] per data row, in file order, holding one
//! line in memory at a time. Upload and reconcile read files through this; `validate_file` adds
//! the whole-file checks (duplicates across rows) on top.

use super::detect::{self, Columns, DetectedFormat};
use super::error::{RowError, RowProblem, RowWarning, SkippedRow, WarningKind};
use super::format::SeedFormat;
use super::input::SeedSource;
use super::record::{AccessCode, AesKey, Field, FieldProblem, PrivateId, PublicId, Seed, SerialNumber};
use super::source::{Lines, TextEncoding, MAX_LINE};
use super::split::{trim, Fields, MAX_FIELDS};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// How to read a seed file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReaderOptions {
    /// The layout to expect; `Auto` detects it from the first lines.
    pub format: SeedFormat,
}

/// What became of one data row (blank lines, comments and the header are not rows).
#[derive(Debug)]
pub enum RowOutcome {
    /// A Yubico OTP credential that passed every per-row rule.
    Valid(ValidRow),
    /// A row that breaks a rule. After `RowProblem::Unreadable` the iterator ends.
    Invalid(RowError),
    /// A non-OTP row (OATH-HOTP, challenge-response, static password).
    Skipped(SkippedRow),
}

/// A valid row. `Seed`'s `Debug` redacts its secrets, so this may be logged.
#[derive(Debug)]
pub struct ValidRow {
    /// 1-based physical line number.
    pub line: u64,
    /// The credential.
    pub seed: Seed,
    /// Things worth telling the operator (e.g. a public id that is not 12 characters).
    pub warnings: Vec<RowWarning>,
}

/// Streams the rows of one seed file. Never holds more than one line (capped) in memory.
pub struct SeedReader {
    lines: Lines,
    parser: RowParser,
    /// The first data line, read while detecting the format.
    pending: Option<PendingLine>,
    done: bool,
}

impl SeedReader {
    /// Opens a seed file (a path, or a [`SeedSource`] from `seed::sealed::open`) and detects its
    /// layout.
    ///
    /// Fails (fatally, for the whole file) when the file cannot be read, is binary or BOM-less
    /// UTF-16, is XML (PSKC), is in the Personalization Tool's Traditional format, or has a header
    /// row that lacks a required column.
    pub fn open(source: impl Into<SeedSource>, opts: &ReaderOptions) -> anyhow::Result<SeedReader> {
        let source = source.into();
        let path = source.path();
        let (mut lines, encoding) = Lines::open(&source)?;
        let (ykksm, first) = first_data_line(&mut lines)
            .map_err(|e| anyhow::Error::new(e).context(format!("cannot read {}", path.display())))?;
        let mut parser = RowParser {
            path: path.to_path_buf(),
            format: if ykksm {
                DetectedFormat::Ykksm
            } else {
                DetectedFormat::Yubico
            },
            encoding,
            separator: b',',
            columns: Columns::YUBICO,
            fields: Fields::default(),
        };
        let pending = match first {
            Some((number, line, too_long)) => parser
                .detect_layout(opts.format, number, &line)?
                .then_some((number, line, too_long)),
            None => None,
        };
        Ok(SeedReader {
            lines,
            parser,
            pending,
            done: false,
        })
    }

    /// The layout detected (or forced).
    pub fn format(&self) -> DetectedFormat {
        self.parser.format
    }

    /// The text encoding, from the byte-order mark.
    pub fn encoding(&self) -> TextEncoding {
        self.parser.encoding
    }

    /// The field separator: `,`, or `;` for files re-saved by a comma-decimal spreadsheet.
    pub fn separator(&self) -> char {
        char::from(self.parser.separator)
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.parser.path
    }

    /// Reads whatever is left and returns the SHA-256 (hex) of the file's raw bytes.
    pub fn finish(self) -> anyhow::Result<String> {
        let path = self.parser.path.clone();
        self.lines
            .finish()
            .map_err(|e| anyhow::Error::new(e).context(format!("cannot read {}", path.display())))
    }
}

impl Iterator for SeedReader {
    type Item = RowOutcome;

    fn next(&mut self) -> Option<RowOutcome> {
        if let Some((number, line, too_long)) = self.pending.take() {
            if let Some(outcome) = self.parser.parse(number, &line, too_long) {
                return Some(outcome);
            }
        }
        while !self.done {
            match self.lines.next_line() {
                Ok(true) => {}
                Ok(false) => self.done = true,
                Err(e) => {
                    self.done = true;
                    let problem = RowProblem::Unreadable {
                        message: e.to_string(),
                    };
                    return Some(RowOutcome::Invalid(self.parser.error(
                        self.lines.number() + 1,
                        None,
                        None,
                        problem,
                    )));
                }
            }
            if self.done {
                break;
            }
            let outcome = self
                .parser
                .parse(self.lines.number(), self.lines.line(), self.lines.too_long());
            if outcome.is_some() {
                return outcome;
            }
        }
        None
    }
}

/// A line kept for later: its number, its bytes (wiped on drop), and whether it was cut at the
/// length cap.
type PendingLine = (u64, Zeroizing<Vec<u8>>, bool);

/// Skips blank lines and `#` comments up to the first line with content, noting whether a
/// comment marked the file as ykksm.
fn first_data_line(lines: &mut Lines) -> std::io::Result<(bool, Option<PendingLine>)> {
    let mut ykksm = false;
    while lines.next_line()? {
        let t = trim(lines.line());
        if t.is_empty() {
            continue;
        }
        if t[0] == b'#' {
            ykksm |= detect::is_ykksm_marker(t);
            continue;
        }
        return Ok((
            ykksm,
            Some((
                lines.number(),
                Zeroizing::new(lines.line().to_vec()),
                lines.too_long(),
            )),
        ));
    }
    Ok((ykksm, None))
}

/// Turns one line into a row outcome. Separate from `SeedReader` so the line can be borrowed from
/// the line buffer while the parser's own buffers are mutated.
struct RowParser {
    path: PathBuf,
    format: DetectedFormat,
    encoding: TextEncoding,
    separator: u8,
    columns: Columns,
    fields: Fields,
}

/// Why a field's bytes are not even text, or the text itself.
fn as_text(bytes: &[u8]) -> Result<&str, RowProblem> {
    std::str::from_utf8(bytes).map_err(|_| RowProblem::NotText)
}

fn is_hex_of_len(b: &[u8], len: usize) -> bool {
    b.len() == len && b.iter().all(u8::is_ascii_hexdigit)
}

impl RowParser {
    fn error(
        &self,
        line: u64,
        field: Option<Field>,
        serial: Option<String>,
        problem: RowProblem,
    ) -> RowError {
        RowError {
            file: self.path.clone(),
            line,
            field,
            serial,
            problem,
        }
    }

    /// `None` for lines that are not rows: blank, or a `#` comment.
    fn parse(&mut self, line_no: u64, raw: &[u8], too_long: bool) -> Option<RowOutcome> {
        let mut line = trim(raw);
        if line.is_empty() || line[0] == b'#' {
            return None;
        }
        if too_long {
            let problem = RowProblem::LineTooLong { limit: MAX_LINE };
            return Some(RowOutcome::Invalid(self.error(line_no, None, None, problem)));
        }
        if memchr::memchr(0, line).is_some() {
            return Some(RowOutcome::Invalid(self.error(
                line_no,
                None,
                None,
                RowProblem::NulBytes,
            )));
        }
        if self.format == DetectedFormat::Ykksm {
            // ykksm: "Everything after `#` is a comment"; `#` is in no field's alphabet.
            if let Some(i) = memchr::memchr(b'#', line) {
                line = trim(&line[..i]);
            }
        }
        self.fields.split(line, self.separator);
        Some(self.row(line_no, line))
    }

    /// Sets the separator and layout from the file's first line with content, refusing layouts
    /// this tool cannot use. `Ok(true)` when that line is data rather than a header.
    fn detect_layout(&mut self, format: SeedFormat, number: u64, line: &[u8]) -> anyhow::Result<bool> {
        let path = self.path.display();
        self.separator = detect::separator_of(line);
        if detect::looks_like_xml(line) {
            anyhow::bail!(
                "{path} looks like XML (a PSKC export?); ykprov reads CSV seed files: log the keys in \
                 \"Yubico format\" instead"
            );
        }
        self.fields.split(line, self.separator);
        if detect::is_traditional_row(self.fields.get(line, 0), self.fields.len()) {
            anyhow::bail!(
                "{path} is in the Personalization Tool's \"Traditional format\", which has no serial \
                 numbers, so Okta cannot use it; select \"Yubico format\" in the tool's logging \
                 settings (or use `ykman otp yubiotp -O FILE`) and program the keys again, since a \
                 key's seed cannot be read back"
            );
        }
        let header = match format {
            SeedFormat::Yubico => None,
            SeedFormat::Auto | SeedFormat::Headered => detect::header_columns(line, &self.fields)
                .map_err(|e| anyhow::anyhow!("{path}:{number}: {e}"))?,
        };
        match header {
            Some(columns) => {
                self.format = DetectedFormat::Headered;
                self.columns = columns;
                Ok(false)
            }
            None if format == SeedFormat::Headered => anyhow::bail!(
                "{path}:{number}: expected a header row naming the columns (serialNumber, publicId, \
                 privateId, aesKey)"
            ),
            None => Ok(true),
        }
    }

    /// The outcome of one split, non-blank, non-comment line.
    fn row(&self, line_no: u64, line: &[u8]) -> RowOutcome {
        let positional = self.format != DetectedFormat::Headered;
        if let Some(problem) = self.shape_problem(line, positional) {
            return RowOutcome::Invalid(self.error(line_no, None, None, problem));
        }
        let (f, c) = (&self.fields, &self.columns);
        if positional {
            let (public, private, key) = (
                f.get(line, c.public_id),
                f.get(line, c.private_id),
                f.get(line, c.aes_key),
            );
            if let Some(reason) = non_otp_reason(public, private, key) {
                return RowOutcome::Skipped(SkippedRow {
                    line: line_no,
                    serial: self.serial_text(line),
                    reason: reason.to_string(),
                });
            }
        }
        match build_seed(self.raw_seed(line)) {
            Ok(seed) => self.valid(line_no, line, seed),
            Err((field, problem)) => {
                RowOutcome::Invalid(self.error(line_no, Some(field), self.serial_text(line), problem))
            }
        }
    }

    /// A row of the wrong shape: a Traditional-format row, or too few or too many fields.
    fn shape_problem(&self, line: &[u8], positional: bool) -> Option<RowProblem> {
        let f = &self.fields;
        if !positional {
            return (f.len() > MAX_FIELDS).then_some(RowProblem::FieldCount {
                got: f.len(),
                expected: "at most 64",
            });
        }
        if detect::is_traditional_row(f.get(line, 0), f.len()) {
            return Some(RowProblem::TraditionalRow);
        }
        // Spreadsheets pad short rows with empty columns; only non-empty ones count.
        let width = (0..f.len().min(MAX_FIELDS))
            .rev()
            .find(|&i| !f.get(line, i).is_empty())
            .map_or(0, |i| i + 1);
        let got = if f.len() > MAX_FIELDS {
            f.len()
        } else {
            width.max(f.len().min(8))
        };
        let expected = "4 to 8 (serial,publicId,privateId,aesKey[,accessCode,timestamp,…])";
        (!(4..=8).contains(&got)).then_some(RowProblem::FieldCount { got, expected })
    }

    /// The serial as messages echo it: only when it parses. Called lazily, since valid rows
    /// without warnings (nearly all of them) never need it.
    fn serial_text(&self, line: &[u8]) -> Option<String> {
        std::str::from_utf8(self.fields.get(line, self.columns.serial))
            .ok()
            .and_then(|s| SerialNumber::parse(s).ok())
            .map(|s| s.to_string())
    }

    /// The credential's fields as text, borrowed from the line (or the unquoting buffer).
    fn raw_seed<'a>(&'a self, line: &'a [u8]) -> RawSeed<'a> {
        let (f, c) = (&self.fields, &self.columns);
        // One UTF-8 check per line instead of one per field; fields split at ASCII bytes of a
        // valid line are valid too. A line that is not UTF-8 is checked field by field, to name one.
        let buf = f.buffer(line);
        let text = std::str::from_utf8(buf).ok();
        let field = |i: Option<usize>| -> Result<&'a str, RowProblem> {
            let (s, e) = i.map_or((0, 0), |i| f.range(i));
            match text {
                Some(t) => t.get(s..e).ok_or(RowProblem::NotText),
                None => as_text(&buf[s..e]),
            }
        };
        RawSeed {
            serial: field(Some(c.serial)),
            public_id: field(Some(c.public_id)),
            private_id: field(Some(c.private_id)),
            aes_key: field(Some(c.aes_key)),
            access_code: field(c.access_code),
        }
    }

    /// A valid row, with a warning when the public id is not the usual 12 characters.
    fn valid(&self, line_no: u64, line: &[u8], seed: Seed) -> RowOutcome {
        let mut warnings = Vec::new();
        if !seed.public_id.is_typical_length() {
            warnings.push(RowWarning {
                file: self.path.clone(),
                line: line_no,
                serial: self.serial_text(line),
                kind: WarningKind::UnusualPublicIdLength {
                    len: seed.public_id.as_str().len(),
                },
            });
        }
        RowOutcome::Valid(ValidRow {
            line: line_no,
            seed,
            warnings,
        })
    }
}

/// Rows the Personalization Tool logs for modes other than Yubico OTP (`yubikeylogger.cpp`):
/// OATH-HOTP and HMAC challenge-response put a moving factor (`0`) in column 3 and a 40-hex key in
/// column 4; static password and the rest leave both id columns empty.
fn non_otp_reason(public: &[u8], private: &[u8], key: &[u8]) -> Option<&'static str> {
    if is_hex_of_len(key, 40) || (private == b"0" && !is_hex_of_len(key, 32)) {
        Some("OATH-HOTP or challenge-response row (40-hex key), not Yubico OTP")
    } else if public.is_empty() && private.is_empty() {
        Some("static password or other non-OTP row (no public or private id)")
    } else {
        None
    }
}

/// A row's fields as text, or why a field is not text.
struct RawSeed<'a> {
    serial: Result<&'a str, RowProblem>,
    public_id: Result<&'a str, RowProblem>,
    private_id: Result<&'a str, RowProblem>,
    aes_key: Result<&'a str, RowProblem>,
    access_code: Result<&'a str, RowProblem>,
}

/// Parses the fields in column order and stops at the first problem.
fn build_seed(raw: RawSeed<'_>) -> Result<Seed, (Field, RowProblem)> {
    fn field<T>(
        field: Field,
        raw: Result<&str, RowProblem>,
        parse: impl Fn(&str) -> Result<T, FieldProblem>,
    ) -> Result<T, (Field, RowProblem)> {
        let text = raw.map_err(|p| (field, p))?;
        parse(text).map_err(|p| (field, RowProblem::Field(p)))
    }
    Ok(Seed {
        serial: field(Field::SerialNumber, raw.serial, SerialNumber::parse)?,
        public_id: field(Field::PublicId, raw.public_id, PublicId::parse)?,
        private_id: field(Field::PrivateId, raw.private_id, PrivateId::parse)?,
        aes_key: field(Field::AesKey, raw.aes_key, AesKey::parse)?,
        access_code: field(Field::AccessCode, raw.access_code, AccessCode::parse)?,
    })
}
