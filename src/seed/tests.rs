//! Tests of the reader and `validate_file`: one per rule, the format detection, every kind of
//! damage, the example lines of the format notes (§8), and property tests that nothing panics.

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

// --- Rows: one test per rule ---

#[test]
fn a_ykman_row_is_a_valid_seed() {
    let v = valid(format!("{OKTA}\n"));
    assert_eq!(v.line, 1);
    assert_eq!(v.seed.serial.get(), 7886622);
    assert_eq!(v.seed.public_id.as_str(), "ccccccijgibu");
    assert_eq!(v.seed.aes_key.expose(), "1fcc6d8ce39bf1604e0b17f3e0a11067");
    assert!(v.warnings.is_empty());
}

#[test]
fn four_fields_are_enough() {
    valid("7886622,ccccccijgibu,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067");
}

#[test]
fn three_fields_are_too_few() {
    let e = invalid("7886622,ccccccijgibu,b74be6169486\n");
    assert!(matches!(e.problem, RowProblem::FieldCount { got: 3, .. }), "{e}");
    assert!(e.to_string().contains("row has 3 fields, expected 4 to 8"), "{e}");
}

#[test]
fn nine_non_empty_fields_are_too_many() {
    let e = invalid(format!("{OKTA}x,y,z\n"));
    assert!(matches!(e.problem, RowProblem::FieldCount { got: 9, .. }), "{e}");
}

#[test]
fn empty_columns_a_spreadsheet_padded_on_are_ignored() {
    valid(format!("{OKTA},,,,,,\n"));
}

#[test]
fn serial_with_leading_zeros_is_accepted() {
    let v = valid("0007886622,ccccccijgibu,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067,,\n");
    assert_eq!(v.seed.serial.padded(), "000007886622");
}

#[test]
fn serial_zero_is_rejected_with_the_reason() {
    let e = invalid("0,ccccccijgibu,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067,,\n");
    assert_eq!(e.field, Some(Field::SerialNumber));
    assert_eq!(e.serial, None);
    assert!(e.to_string().contains("serial is 0"), "{e}");
}

#[test]
fn serial_above_u32_is_rejected() {
    let e = invalid("4294967296,ccccccijgibu,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067\n");
    assert_eq!(e.problem, RowProblem::Field(FieldProblem::TooLarge));
}

#[test]
fn public_id_of_other_than_twelve_characters_is_valid_with_a_warning() {
    let v = valid("4713,dlcfffckrcdedlcf,ca62baca62ba,ecde18dbe76fbd0c33330f1c354871db,,\n");
    assert_eq!(v.warnings.len(), 1);
    assert_eq!(v.warnings[0].kind, WarningKind::UnusualPublicIdLength { len: 16 });
}

#[test]
fn public_id_outside_modhex_is_rejected_with_its_position() {
    let e = invalid("7886622,ccccccWHATIF,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067\n");
    assert_eq!(e.field, Some(Field::PublicId));
    assert_eq!(
        e.problem,
        RowProblem::Field(FieldProblem::NonModhex { position: 7 })
    );
}

#[test]
fn public_id_of_odd_length_is_rejected() {
    let e = invalid("7886622,ccccccijgib,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067\n");
    assert_eq!(e.problem, RowProblem::Field(FieldProblem::OddLength { got: 11 }));
}

#[test]
fn private_id_must_be_twelve_hex() {
    let e = invalid("7886622,ccccccijgibu,b74be616948,1fcc6d8ce39bf1604e0b17f3e0a11067\n");
    assert_eq!(e.field, Some(Field::PrivateId));
    assert_eq!(
        e.to_string().split(": ").last(),
        Some("private id has 11 characters, expected 12 hex")
    );
}

#[test]
fn aes_key_must_be_thirty_two_hex_and_the_message_hides_it() {
    let e = invalid("7886622,ccccccijgibu,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a1106\n");
    let text = e.to_string();
    assert!(
        text.ends_with(": serial 7886622: AES key has 31 characters, expected 32 hex"),
        "{text}"
    );
    assert!(!text.contains("1fcc6d8c"), "{text}");
    let e = invalid("7886622,ccccccijgibu,b74be6169486,1fcc6dxce39bf1604e0b17f3e0a11067\n");
    assert!(
        e.to_string()
            .ends_with("AES key has a non-hex character at position 7"),
        "{e}"
    );
}

#[test]
fn access_code_is_empty_or_twelve_hex() {
    valid(format!("{SECOND}\n"));
    let e = invalid("7886622,ccccccijgibu,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067,abc,\n");
    assert_eq!(e.field, Some(Field::AccessCode));
}

#[test]
fn upper_case_hex_and_modhex_are_normalised() {
    let v = valid("7886622,CCCCCCIJGIBU,B74BE6169486,1FCC6D8CE39BF1604E0B17F3E0A11067\n");
    assert_eq!(v.seed.public_id.as_str(), "ccccccijgibu");
    assert_eq!(v.seed.private_id.expose(), "b74be6169486");
}

#[test]
fn timestamp_is_not_checked() {
    valid("7886622,ccccccijgibu,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067,,2023-4-13T01:53:36 PM,\n");
}

#[test]
fn oath_hotp_row_is_skipped() {
    let s = skipped("508327,,0,69cfb9202438ca68964ec3244bfa4843d073a43b,,2013-12-12T08:41:07,\n");
    assert_eq!(s.serial.as_deref(), Some("508327"));
    assert!(s.reason.contains("OATH-HOTP"), "{}", s.reason);
}

#[test]
fn static_password_row_is_skipped() {
    let s = skipped("508329,,,9e2fd386224a7f77e9b5aee775464033,,2013-12-12T08:44:34,\n");
    assert!(s.reason.contains("static"), "{}", s.reason);
}

#[test]
fn a_row_with_a_public_id_but_no_private_id_is_an_error_not_a_skip() {
    let e = invalid("7886622,ccccccijgibu,,1fcc6d8ce39bf1604e0b17f3e0a11067\n");
    assert_eq!(e.field, Some(Field::PrivateId));
}

#[test]
fn only_the_first_bad_field_of_a_row_is_reported() {
    let e = invalid("7886622,ccccccijgibx,short,alsoshort\n");
    assert_eq!(e.field, Some(Field::PublicId));
}

// --- Across rows ---

#[test]
fn same_serial_with_the_same_seed_is_a_warning_and_uploaded_once() {
    let r = report(format!("{OKTA}\n{SECOND}\n{OKTA}\n"), false);
    assert!(r.is_clean());
    assert_eq!((r.valid, r.uploadable()), (3, 2));
    assert!(r.is_uploadable(1) && !r.is_uploadable(3));
    assert_eq!(r.warnings[0].kind, WarningKind::DuplicateRow { kept_line: 1 });
    assert_eq!(r.warnings[0].line, 3);
}

#[test]
fn same_serial_with_a_different_seed_is_an_error_naming_both_lines() {
    let changed = OKTA.replace("b74be6169486", "b74be6169487");
    let r = report(format!("{OKTA}\n{SECOND}\n{changed}\n"), false);
    assert_eq!(r.error_count, 2);
    let m = messages(&r);
    assert!(
        m[0].contains(":1: serial 7886622: serial also appears on line 3 with a different seed"),
        "{m:?}"
    );
    assert!(
        m[1].contains(":3: serial 7886622: serial also appears on line 1"),
        "{m:?}"
    );
    assert!(!r.is_uploadable(1) && !r.is_uploadable(3) && r.is_uploadable(2));
    assert_eq!(r.uploadable(), 1);
}

#[test]
fn last_wins_keeps_the_later_row_of_a_reprogrammed_key() {
    let changed = OKTA.replace("b74be6169486", "b74be6169487");
    let r = report(format!("{OKTA}\n{SECOND}\n{changed}\n"), true);
    assert!(r.is_clean());
    assert!(!r.is_uploadable(1) && r.is_uploadable(3));
    assert_eq!(r.warnings[0].kind, WarningKind::Superseded { later_line: 3 });
}

#[test]
fn same_public_id_on_two_serials_is_an_error() {
    let other = SECOND.replace("ejfhcciecgul", "ccccccijgibu");
    let r = report(format!("{OKTA}\n{other}\n"), false);
    assert_eq!(r.error_count, 2);
    assert_eq!(r.errors[1].field, Some(Field::PublicId));
    assert!(r.errors[1]
        .to_string()
        .contains("public id is also used by serial 7886622 on line 1"));
    assert_eq!(r.uploadable(), 0);
}

#[test]
fn same_aes_key_on_two_serials_is_a_warning() {
    let other = SECOND.replace(
        "aa4badc32d149a4c5df0612d278e28e1",
        "1fcc6d8ce39bf1604e0b17f3e0a11067",
    );
    let r = report(format!("{OKTA}\n{other}\n"), false);
    assert!(r.is_clean());
    assert_eq!(r.uploadable(), 2);
    assert!(messages(&r)[0]
        .contains(":2: warning: serial 7538154: AES key is the same as serial 7886622's on line 1"));
}

#[test]
fn errors_and_warnings_are_capped_but_counted() {
    let bad = "x\n".repeat(report::MAX_STORED + 5);
    let r = report(bad, false);
    assert_eq!(r.error_count, report::MAX_STORED as u64 + 5);
    assert_eq!(r.errors.len(), report::MAX_STORED);
}

#[test]
fn report_hash_is_the_sha256_of_the_raw_bytes() {
    let bytes = format!("\u{feff}{OKTA}\r\n");
    let f = file(&bytes);
    let r = validate_file(f.path(), &ValidationOptions::default()).unwrap();
    assert_eq!(r.sha256, sha256_file(f.path()).unwrap());
    assert_eq!(r.sha256.len(), 64);
}

// --- Format detection ---

#[test]
fn a_file_without_header_is_yubico_format() {
    let f = file(format!("{OKTA}\n"));
    assert_eq!(
        SeedReader::open(f.path(), &ReaderOptions::default())
            .unwrap()
            .format(),
        DetectedFormat::Yubico
    );
}

#[test]
fn ykksm_files_allow_comments_and_trailing_comments() {
    let text = "# ykksm 1\n# serialnr,identity,internaluid,aeskey,lockpw,created,accessed[,progflags]\n\
                1,cccccccccccb,d74fbdf6a890,82211e0854e7369e83d941f24761a84e,881ae7bee927,2009-12-14T16:40:57, # first key, shipped\n";
    let f = file(text);
    let r = SeedReader::open(f.path(), &ReaderOptions::default()).unwrap();
    assert_eq!(r.format(), DetectedFormat::Ykksm);
    let rows: Vec<_> = r.collect();
    assert!(
        matches!(&rows[..], [RowOutcome::Valid(v)] if v.line == 3),
        "{rows:?}"
    );
}

#[test]
fn a_headered_file_maps_columns_by_name_in_any_order() {
    let text = "Notes,AESKEY,privateId,serialNumber,PublicID\n\
                spare key,1fcc6d8ce39bf1604e0b17f3e0a11067,b74be6169486,7886622,ccccccijgibu\n";
    let f = file(text);
    let r = SeedReader::open(f.path(), &ReaderOptions::default()).unwrap();
    assert_eq!(r.format(), DetectedFormat::Headered);
    let rows: Vec<_> = r.collect();
    assert!(matches!(&rows[..], [RowOutcome::Valid(v)] if v.line == 2 && v.seed.serial.get() == 7886622));
}

#[test]
fn a_header_without_an_aes_key_column_is_refused() {
    assert!(open_err("serial,publicId,privateId\n1,cb,00\n").contains("no aesKey column"));
}

#[test]
fn forcing_headered_on_a_file_without_header_is_refused() {
    let f = file(format!("{OKTA}\n"));
    let opts = ReaderOptions {
        format: SeedFormat::Headered,
    };
    let err = SeedReader::open(f.path(), &opts).err().unwrap();
    assert!(err.to_string().contains("expected a header row"), "{err}");
}

#[test]
fn forcing_yubico_treats_a_header_as_a_bad_row() {
    let rows = read_with(
        format!("serial,publicId,privateId,aesKey\n{OKTA}\n"),
        SeedFormat::Yubico,
    );
    assert!(matches!(&rows[..], [RowOutcome::Invalid(e), RowOutcome::Valid(_)] if e.line == 1));
}

#[test]
fn traditional_format_is_refused_with_how_to_fix_it() {
    let err = open_err("LOGGING START,12/11/2013 11:10\nYubico OTP,12/11/2013 11:10,1,vvgutbiedkvi,ab86c04de6a3,d26a7c0f85fdda28bd816e406342b214,,,0,0,0,0,0,0,0,0,0,0\n");
    assert!(
        err.contains("Traditional format")
            && err.contains("no serial numbers")
            && err.contains("Yubico format")
    );
    assert!(!err.contains("d26a7c0f"), "{err}");
}

#[test]
fn a_traditional_row_inside_a_yubico_file_is_an_error() {
    let rows = read(format!("{OKTA}\nOATH-HOTP,11.12.13 18:55,1,cccccccccccc,,916821d3a138bf855e70069605559a206ba854cd,,,0,0,0,6,0,0,0,0,0,0\n"));
    assert!(matches!(&rows[1], RowOutcome::Invalid(e) if e.problem == RowProblem::TraditionalRow));
}

#[test]
fn pskc_xml_is_refused() {
    assert!(open_err("<?xml version=\"1.0\"?>\n<KeyContainer>\n").contains("XML"));
}

#[test]
fn an_empty_file_has_no_rows() {
    assert!(read("").is_empty());
    assert!(read("\n\n# just a comment\n").is_empty());
}

#[test]
fn a_missing_file_is_a_fatal_error_naming_it() {
    let err = SeedReader::open("/nonexistent/seeds.csv".as_ref(), &ReaderOptions::default())
        .err()
        .unwrap();
    assert!(
        format!("{err:#}").starts_with("cannot open /nonexistent/seeds.csv"),
        "{err:#}"
    );
}

// --- Real-world damage ---

#[test]
fn utf8_bom_is_removed() {
    let f = file(format!("\u{feff}{OKTA}\n"));
    let r = SeedReader::open(f.path(), &ReaderOptions::default()).unwrap();
    assert_eq!(r.encoding(), TextEncoding::Utf8Bom);
    assert_eq!(r.filter(|o| matches!(o, RowOutcome::Valid(_))).count(), 1);
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

// --- Nothing panics ---

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic_the_reader(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let f = file(&bytes);
        if let Ok(r) = validate_file(f.path(), &ValidationOptions::default()) {
            prop_assert!(r.valid + r.skipped <= r.rows);
        }
    }

    #[test]
    fn arbitrary_lines_in_a_valid_looking_file_never_panic(
        lines in proptest::collection::vec("[0-9a-fA-Fcbdefghijklnrtuv,;\" \t#\r\u{feff}\u{0}-\u{7f}]{0,120}", 0..40),
        utf16 in any::<bool>(),
    ) {
        let text = format!("{OKTA}\n{}\n{SECOND}\n", lines.join("\n"));
        let bytes = if utf16 { super::tests::utf16(&text, false) } else { text.into_bytes() };
        let f = file(&bytes);
        if let Ok(r) = validate_file(f.path(), &ValidationOptions::default()) {
            prop_assert!(r.valid + r.skipped <= r.rows);
            for m in messages(&r) {
                prop_assert!(!m.contains("1fcc6d8ce39bf1604e0b17f3e0a11067"));
            }
        }
    }
}

#[test]
fn a_row_held_back_by_a_serial_conflict_still_counts_for_the_public_id_check() {
    let changed = OKTA.replace("b74be6169486", "b74be6169487");
    let thief = SECOND.replace("ejfhcciecgul", "ccccccijgibu");
    let r = report(format!("{OKTA}\n{changed}\n{thief}\n"), false);
    assert!(
        r.errors
            .iter()
            .any(|e| e.line == 3 && e.field == Some(Field::PublicId)),
        "{:?}",
        messages(&r)
    );
}

#[test]
fn thousands_of_rows_for_one_serial_are_checked_in_linear_time() {
    let text: String = (0..20_000)
        .map(|i| format!("7886622,ccccccijgibu,{i:012x},1fcc6d8ce39bf1604e0b17f3e0a11067,,\n"))
        .collect();
    let r = report(text, false);
    assert_eq!(r.error_count, 20_000);
    assert_eq!(r.uploadable(), 0);
}

#[test]
fn a_headered_row_missing_a_column_names_the_field() {
    let rows = read("serial,publicId,privateId,aesKey\n7886622,ccccccijgibu,b74be6169486\n");
    assert!(matches!(&rows[..], [RowOutcome::Invalid(e)] if e.field == Some(Field::AesKey) && e.line == 2));
}
