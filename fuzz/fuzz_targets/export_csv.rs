//! Bytes → `parse_export_csv` (Okta's CSV export page). Properties: no panic; every token it
//! returns has a non-empty serial.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ykprov::okta::inventory::parse_export_csv;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(tokens) = parse_export_csv(text) {
        for t in tokens {
            assert!(!t.serial.is_empty(), "a token without a serial");
        }
    }
});
