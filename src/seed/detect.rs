//! Which layout a seed file uses, decided from its first lines: Yubico format (ykman, the
//! Personalization Tool, Yubico Authenticator), its ykksm ancestor (`# ykksm 1`), or a headered CSV
//! made by hand. Also recognises the files we refuse: the Personalization Tool's Traditional format
//! (no serials) and XML (PSKC).

use super::split::{trim, Fields};

/// The layout the reader settled on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DetectedFormat {
    /// `serial,publicId,privateId,aesKey[,accessCode,timestamp,]`, no header.
    Yubico,
    /// Yubico format after a `# ykksm 1` line; ` # comments` allowed at the end of rows.
    Ykksm,
    /// A header row names the columns.
    Headered,
}

impl std::fmt::Display for DetectedFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DetectedFormat::Yubico => "Yubico format",
            DetectedFormat::Ykksm => "ykksm format",
            DetectedFormat::Headered => "headered CSV",
        })
    }
}

/// Where each field sits in a headered file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Columns {
    pub serial: usize,
    pub public_id: usize,
    pub private_id: usize,
    pub aes_key: usize,
    pub access_code: Option<usize>,
}

impl Columns {
    /// Yubico format's fixed positions.
    pub const YUBICO: Columns = Columns {
        serial: 0,
        public_id: 1,
        private_id: 2,
        aes_key: 3,
        access_code: Some(4),
    };
}

/// `# ykksm 1` (the version number is not checked: there has only ever been 1).
pub fn is_ykksm_marker(line: &[u8]) -> bool {
    let t = trim(line);
    t.len() >= 7 && t[..7].eq_ignore_ascii_case(b"# ykksm")
}

/// A line starting with `<`: XML, most likely a PSKC export.
pub fn looks_like_xml(line: &[u8]) -> bool {
    trim(line).first() == Some(&b'<')
}

/// `;` when the line has no comma but has semicolons (a spreadsheet in a comma-decimal locale).
pub fn separator_of(line: &[u8]) -> u8 {
    if memchr::memchr(b',', line).is_none() && memchr::memchr(b';', line).is_some() {
        b';'
    } else {
        b','
    }
}

/// Event types of the Personalization Tool's Traditional log (`yubikeylogger.cpp`), lowercase.
const TRADITIONAL_FIRST_FIELDS: &[&[u8]] = &[
    b"logging start",
    b"yubico otp",
    b"static password",
    b"static password: short",
    b"static password: scan code",
    b"oath-hotp",
    b"challenge-response: yubico otp",
    b"challenge-response: hmac-sha1",
    b"configuration update",
    b"configuration swap",
];

/// Whether a row is Traditional format: a known event type first, or (for translated builds) the
/// 18-field shape with a non-numeric first field.
pub fn is_traditional_row(first: &[u8], field_count: usize) -> bool {
    let first = trim(first);
    TRADITIONAL_FIRST_FIELDS
        .iter()
        .any(|t| first.eq_ignore_ascii_case(t))
        || (field_count == 18 && !first.is_empty() && !first.iter().all(u8::is_ascii_digit))
}

/// Which column a header name means: lowercased, with spaces, `_` and `-` ignored.
fn column_of(name: &[u8]) -> Option<usize> {
    let norm: Vec<u8> = name
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(u8::to_ascii_lowercase)
        .collect();
    match norm.as_slice() {
        b"serialnumber" | b"serial" | b"serialnr" | b"serialno" => Some(0),
        b"publicid" | b"publicidentity" | b"publicname" => Some(1),
        b"privateid" | b"privateidentity" | b"internalname" => Some(2),
        b"aeskey" | b"secretkey" | b"key" => Some(3),
        b"accesscode" | b"lockcode" => Some(4),
        _ => None,
    }
}

/// Reads a header row. `Ok(None)`: not a header (no field names a column). `Err`: a header that
/// lacks a required column or names one twice.
pub fn header_columns(line: &[u8], fields: &Fields) -> Result<Option<Columns>, String> {
    let mut found: [Option<usize>; 5] = [None; 5];
    for i in 0..fields.len() {
        if let Some(col) = column_of(fields.get(line, i)) {
            if found[col].is_some() {
                return Err(format!("the header names the {} column twice", NAMES[col]));
            }
            found[col] = Some(i);
        }
    }
    if found.iter().all(Option::is_none) {
        return Ok(None);
    }
    let missing: Vec<&str> = (0..4).filter(|&c| found[c].is_none()).map(|c| NAMES[c]).collect();
    match found {
        [Some(serial), Some(public_id), Some(private_id), Some(aes_key), access_code] => Ok(Some(Columns {
            serial,
            public_id,
            private_id,
            aes_key,
            access_code,
        })),
        _ => Err(format!(
            "the header row has no {} column (expected serialNumber, publicId, privateId, aesKey)",
            missing.join(", ")
        )),
    }
}

const NAMES: [&str; 5] = ["serialNumber", "publicId", "privateId", "aesKey", "accessCode"];

#[cfg(test)]
mod tests {
    use super::*;

    fn header(line: &str) -> Result<Option<Columns>, String> {
        let mut f = Fields::default();
        f.split(line.as_bytes(), b',');
        header_columns(line.as_bytes(), &f)
    }

    #[test]
    fn header_columns_may_come_in_any_order_and_case() {
        let c = header(r#"AESKey,"Private ID",serial_number,publicid,notes"#)
            .unwrap()
            .unwrap();
        assert_eq!(
            c,
            Columns {
                serial: 2,
                public_id: 3,
                private_id: 1,
                aes_key: 0,
                access_code: None
            }
        );
    }

    #[test]
    fn header_missing_a_required_column_is_refused() {
        let err = header("serial,publicId,privateId").unwrap_err();
        assert!(err.contains("aesKey"), "{err}");
    }

    #[test]
    fn a_data_row_is_not_a_header() {
        assert_eq!(
            header("7886622,ccccccijgibu,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067"),
            Ok(None)
        );
    }

    #[test]
    fn traditional_rows_are_recognised_by_event_type_or_shape() {
        assert!(is_traditional_row(b"LOGGING START", 2));
        assert!(is_traditional_row(b"Yubico OTP", 18));
        assert!(is_traditional_row(b"OTP Yubico", 18));
        assert!(!is_traditional_row(b"7886622", 18));
        assert!(!is_traditional_row(b"7886622", 7));
    }

    #[test]
    fn semicolon_is_the_separator_only_without_commas() {
        assert_eq!(separator_of(b"1;cb;00"), b';');
        assert_eq!(separator_of(b"1,cb;00"), b',');
        assert_eq!(separator_of(b"1"), b',');
    }
}
