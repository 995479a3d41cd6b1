//! Bytes → a seed file → `SeedReader` (every row, each layout) and `validate_file`.
//! Properties: no panic, row line numbers strictly increase, and `validate_file` counts as many
//! rows as the reader yields.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Write;
use ykprov::seed::SeedFormat;
use ykprov::seed::{validate_file, ReaderOptions, RowOutcome, SeedReader, ValidationOptions};

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(data).expect("write");
    file.flush().expect("flush");
    let path = file.path();
    for format in [SeedFormat::Auto, SeedFormat::Yubico, SeedFormat::Headered] {
        let Ok(reader) = SeedReader::open(path, &ReaderOptions { format }) else {
            continue;
        };
        let mut last = 0u64;
        let mut rows = 0u64;
        for outcome in reader {
            let line = match &outcome {
                RowOutcome::Valid(v) => v.line,
                RowOutcome::Invalid(e) => e.line,
                RowOutcome::Skipped(s) => s.line,
            };
            assert!(line > last, "line numbers must increase: {line} after {last}");
            last = line;
            rows += 1;
        }
        if let Ok(report) = validate_file(path, &ValidationOptions { format, last_wins: false }) {
            assert_eq!(report.rows, rows, "validate_file and the reader disagree on the row count");
        }
    }
});
