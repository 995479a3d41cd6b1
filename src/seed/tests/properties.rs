//! Nothing panics, whatever the bytes.

use super::*;

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
        let bytes = if utf16 { super::utf16(&text, false) } else { text.into_bytes() };
        let f = file(&bytes);
        if let Ok(r) = validate_file(f.path(), &ValidationOptions::default()) {
            prop_assert!(r.valid + r.skipped <= r.rows);
            for m in messages(&r) {
                prop_assert!(!m.contains("1fcc6d8ce39bf1604e0b17f3e0a11067"));
            }
        }
    }
}
