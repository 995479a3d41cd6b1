//! Real-world damage (encodings, spreadsheets, binary input) and the format notes' examples.

use super::*;

#[test]
fn utf8_bom_is_removed() {
    let f = file(format!("\u{feff}{OKTA}\n"));
    let r = SeedReader::open(f.path(), &ReaderOptions::default()).unwrap();
    assert_eq!(r.encoding(), TextEncoding::Utf8Bom);
    assert_eq!(r.filter(|o| matches!(o, RowOutcome::Valid(_))).count(), 1);
}

#[test]
fn utf16_le_and_be_with_bom_are_decoded() {
    for be in [false, true] {
        let f = file(utf16(&format!("{OKTA}\r\n{SECOND}\r\n"), be));
        let r = SeedReader::open(f.path(), &ReaderOptions::default()).unwrap();
        assert_eq!(
            r.encoding(),
            if be {
                TextEncoding::Utf16Be
            } else {
                TextEncoding::Utf16Le
            }
        );
        let rows: Vec<_> = r.collect();
        assert!(
            matches!(&rows[..], [RowOutcome::Valid(_), RowOutcome::Valid(b)] if b.line == 2),
            "{rows:?}"
        );
    }
}

#[test]
fn utf16_spanning_many_buffers_is_decoded_whole() {
    let text: String = (0..5000)
        .map(|i| {
            format!(
                "{},vvcccccccccb,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067,,\n",
                i + 1
            )
        })
        .collect();
    let f = file(utf16(&text, false));
    let r = validate_file(f.path(), &ValidationOptions::default()).unwrap();
    assert_eq!(r.valid, 5000);
}

#[test]
fn utf16_without_bom_is_refused() {
    let bytes: Vec<u8> = OKTA.encode_utf16().flat_map(u16::to_le_bytes).collect();
    assert!(open_err(bytes).contains("UTF-16 text without a byte-order mark"));
}

#[test]
fn crlf_line_ends_and_a_last_line_without_newline_are_read() {
    let rows = read(format!("{OKTA}\r\n{SECOND}"));
    assert!(matches!(&rows[..], [RowOutcome::Valid(_), RowOutcome::Valid(_)]));
}

#[test]
fn blank_lines_are_not_rows_but_keep_line_numbers() {
    let rows = read(format!("\n  \n{OKTA}\n\r\n"));
    assert!(matches!(&rows[..], [RowOutcome::Valid(v)] if v.line == 3));
}

#[test]
fn spaces_around_fields_are_ignored() {
    valid(" 7886622 , ccccccijgibu ,\tb74be6169486, 1fcc6d8ce39bf1604e0b17f3e0a11067 , , ,\n");
}

#[test]
fn semicolon_separated_files_are_read() {
    let f =
        file("7886622;ccccccijgibu;b74be6169486;1fcc6d8ce39bf1604e0b17f3e0a11067;;2020-01-10T23:04:10;\n");
    let r = SeedReader::open(f.path(), &ReaderOptions::default()).unwrap();
    assert_eq!(r.separator(), ';');
    assert_eq!(r.filter(|o| matches!(o, RowOutcome::Valid(_))).count(), 1);
}

#[test]
fn quoted_fields_are_unquoted() {
    valid("\"7886622\",\"ccccccijgibu\",\"b74be6169486\",\"1fcc6d8ce39bf1604e0b17f3e0a11067\",\"\",\n");
}

#[test]
fn private_id_in_scientific_notation_is_spreadsheet_damage() {
    let e = invalid("7886622,ccccccijgibu,8.30E+43,1fcc6d8ce39bf1604e0b17f3e0a11067\n");
    assert_eq!(e.field, Some(Field::PrivateId));
    assert!(
        e.to_string()
            .contains("looks like a spreadsheet reformatted it (scientific notation)"),
        "{e}"
    );
    assert!(!e.to_string().contains("8.30E+43"));
}

#[test]
fn serial_in_scientific_notation_is_spreadsheet_damage() {
    let e = invalid("7.89E+06,ccccccijgibu,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067\n");
    assert!(matches!(
        e.problem,
        RowProblem::Field(FieldProblem::SpreadsheetDamage { .. })
    ));
}

#[test]
fn private_id_that_lost_its_leading_zero_is_spreadsheet_damage() {
    let e = invalid("7886622,ccccccijgibu,12345678901,1fcc6d8ce39bf1604e0b17f3e0a11067\n");
    assert!(e.to_string().contains("leading zeros were dropped"), "{e}");
}

#[test]
fn nul_bytes_in_a_row_are_a_row_error() {
    let text = format!("{OKTA}\n{}\n7886,cc\0cc,0\n", "y".repeat(5000));
    let rows = read(text);
    assert!(matches!(&rows[2], RowOutcome::Invalid(e) if e.problem == RowProblem::NulBytes && e.line == 3));
}

#[test]
fn binary_files_are_refused() {
    assert!(open_err([0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0]).contains("NUL bytes"));
}

#[test]
fn invalid_utf8_in_a_field_is_a_row_error() {
    let e = invalid(b"7886622,cccccc\xff\xfeibu,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067\n");
    assert_eq!((e.field, e.problem), (Some(Field::PublicId), RowProblem::NotText));
}

#[test]
fn an_enormous_line_is_one_error_and_reading_goes_on() {
    let text = format!("{}\n{OKTA}\n", "1".repeat(10 * source::MAX_LINE));
    let rows = read(text);
    assert!(
        matches!(&rows[0], RowOutcome::Invalid(e) if matches!(e.problem, RowProblem::LineTooLong { .. }))
    );
    assert!(matches!(&rows[1], RowOutcome::Valid(v) if v.line == 2));
}

// --- The example lines of seed-file-formats.md §8 ---

#[test]
fn section_8_examples_give_the_documented_results() {
    let text = "\
12345678,cccccccccccb,010203040506,000102030405060708090a0b0c0d0e0f,,2026-07-31T09:05:03,
1,cccccccccccb,d74fbdf6a890,82211e0854e7369e83d941f24761a84e,881ae7bee927,2009-12-14T16:40:57,
2,cccccccccccd,7a5ad1886b70,3091a8048524ab8407ae816457d764e5,8e5ab609e346,2009-12-14T16:40:57,
4711,dlcfffckrcde,ca62baca62ba,ecde18dbe76fbd0c33330f1c354871db,be70aeca62ba,2009-01-22 00:25:11,
4712,,ca62baca62ba,ecde18dbe76fbd0c33330f1c354871db,be70aeca62ba,2009-01-22 00:25:11,2009-02-13 00:05:40
4713,dlcfffckrcdedlcf,ca62baca62ba,ecde18dbe76fbd0c33330f1c354871db,be70aeca62ba,2009-01-22 00:25:11,2009-02-13 00:05:40,0
508328,cccccccccccc,83cebdfb7b93,a47c5bf9c152202f577be6721c0113af,,2013-12-12T08:43:17,
508327,,0,69cfb9202438ca68964ec3244bfa4843d073a43b,,2013-12-12T08:41:07,
508329,,,9e2fd386224a7f77e9b5aee775464033,,2013-12-12T08:44:34,
7538154,ejfhcciecgul,ea8d4cf9b363,aa4badc32d149a4c5df0612d278e28e1,000000000000,2023-04-13T11:53:36,
7886622,ccccccijgibu,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067,,2020-01-10T23:04:10,
";
    let kinds: Vec<String> = read(text)
        .iter()
        .map(|o| match o {
            RowOutcome::Valid(v) if v.warnings.is_empty() => format!("{} valid", v.line),
            RowOutcome::Valid(v) => format!("{} valid+warning", v.line),
            RowOutcome::Invalid(e) => format!("{} invalid {}", e.line, e.field.map_or("row", Field::name)),
            RowOutcome::Skipped(s) => format!("{} skipped", s.line),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "1 valid",             // (A) ykman
            "2 valid",             // (B) ykksm test keys
            "3 valid",             //
            "4 valid",             // (C) 4711
            "5 invalid public id", // (C) 4712: empty public id
            "6 valid+warning",     // (C) 4713: 16-character public id
            "7 valid",             // (D) 508328
            "8 skipped",           // (D) 508327 OATH-HOTP
            "9 skipped",           // (D) 508329 static
            "10 valid",            // (E) padded access code
            "11 valid",            // (G) Okta's example
        ]
    );
    // (B) and (A) share the public id cccccccccccb on serials 12345678 and 1.
    let r = report(text, false);
    assert_eq!(r.error_count, 3);
}
