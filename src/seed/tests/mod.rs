//! Tests of the reader and `validate_file`: one per rule, the format detection, every kind of
//! damage, the example lines of the format notes (§8), and property tests that nothing panics.
//!
//! Split by theme: `rows` (one test per per-row rule), `files` (checks across rows and format
//! detection), `damage` (real-world damage and the format notes' examples), `properties`
//! (property tests); the fixtures and helpers are here.

mod damage;
mod files;
mod properties;
mod rows;

use super::*;
use proptest::prelude::*;
use std::io::Write;

const OKTA: &str = "7886622,ccccccijgibu,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067,,2020-01-10T23:04:10,";
const SECOND: &str =
    "7538154,ejfhcciecgul,ea8d4cf9b363,aa4badc32d149a4c5df0612d278e28e1,000000000000,2023-04-13T11:53:36,";

fn file(bytes: impl AsRef<[u8]>) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(bytes.as_ref()).unwrap();
    f.flush().unwrap();
    f
}

fn read_with(bytes: impl AsRef<[u8]>, format: SeedFormat) -> Vec<RowOutcome> {
    let f = file(bytes);
    SeedReader::open(f.path(), &ReaderOptions { format })
        .unwrap()
        .collect()
}

fn read(bytes: impl AsRef<[u8]>) -> Vec<RowOutcome> {
    read_with(bytes, SeedFormat::Auto)
}

fn only(bytes: impl AsRef<[u8]>) -> RowOutcome {
    let mut rows = read(bytes);
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows.remove(0)
}

fn valid(bytes: impl AsRef<[u8]>) -> ValidRow {
    match only(bytes) {
        RowOutcome::Valid(v) => v,
        other => panic!("expected a valid row, got {other:?}"),
    }
}

fn invalid(bytes: impl AsRef<[u8]>) -> RowError {
    match only(bytes) {
        RowOutcome::Invalid(e) => e,
        other => panic!("expected an invalid row, got {other:?}"),
    }
}

fn skipped(bytes: impl AsRef<[u8]>) -> SkippedRow {
    match only(bytes) {
        RowOutcome::Skipped(s) => s,
        other => panic!("expected a skipped row, got {other:?}"),
    }
}

fn open_err(bytes: impl AsRef<[u8]>) -> String {
    let f = file(bytes);
    match SeedReader::open(f.path(), &ReaderOptions::default()) {
        Ok(_) => panic!("expected the file to be refused"),
        Err(e) => format!("{e:#}"),
    }
}

fn report(bytes: impl AsRef<[u8]>, last_wins: bool) -> FileReport {
    let f = file(bytes);
    validate_file(
        f.path(),
        &ValidationOptions {
            format: SeedFormat::Auto,
            last_wins,
        },
    )
    .unwrap()
}

fn messages(r: &FileReport) -> Vec<String> {
    r.errors
        .iter()
        .map(|e| e.to_string())
        .chain(r.warnings.iter().map(|w| w.to_string()))
        .collect()
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for u in text.encode_utf16() {
        out.extend(if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}
