//! Checks across rows, the report, and format detection.

use super::*;

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
    let err = SeedReader::open(
        std::path::Path::new("/nonexistent/seeds.csv"),
        &ReaderOptions::default(),
    )
    .err()
    .unwrap();
    assert!(
        format!("{err:#}").starts_with("cannot open /nonexistent/seeds.csv"),
        "{err:#}"
    );
}
