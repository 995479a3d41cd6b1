//! One test per per-row rule.

use super::*;

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

#[test]
fn a_headered_row_missing_a_column_names_the_field() {
    let rows = read("serial,publicId,privateId,aesKey\n7886622,ccccccijgibu,b74be6169486\n");
    assert!(matches!(&rows[..], [RowOutcome::Invalid(e)] if e.field == Some(Field::AesKey) && e.line == 2));
}
