//! The validated seed and its fields: newtypes that can only hold values Okta accepts
//! ("parse, don't validate"). After `Seed` is built nothing re-checks lengths or hex.
//!
//! Problems are described without the offending value for secret fields: an AES key is reported
//! as "31 hex characters, expected 32", never shown.

use crate::secret::Secret;
use std::fmt;
use std::hash::{Hash, Hasher};

/// The modhex alphabet: nibble 0..=15 maps to these characters.
pub const MODHEX: &[u8; 16] = b"cbdefghijklnrtuv";

/// A column of the seed file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Field {
    /// The key's serial number (column 1 in Yubico format).
    SerialNumber,
    /// The public id, modhex (column 2).
    PublicId,
    /// The private id, 12 hex (column 3).
    PrivateId,
    /// The AES-128 key, 32 hex (column 4).
    AesKey,
    /// The access code, empty or 12 hex (column 5).
    AccessCode,
}

impl Field {
    /// The name used in messages and reports.
    pub fn name(self) -> &'static str {
        match self {
            Field::SerialNumber => "serial",
            Field::PublicId => "public id",
            Field::PrivateId => "private id",
            Field::AesKey => "AES key",
            Field::AccessCode => "access code",
        }
    }

    /// Whether the field's value may be shown in messages.
    pub fn is_secret(self) -> bool {
        matches!(self, Field::PrivateId | Field::AesKey | Field::AccessCode)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why one field is not acceptable. The messages never contain a secret value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FieldProblem {
    /// The field is empty or absent.
    #[error("is empty")]
    Missing,
    /// Wrong number of characters.
    #[error("has {got} characters, expected {expected}")]
    WrongLength {
        /// Characters found.
        got: usize,
        /// What the rule wants, e.g. "32 hex".
        expected: &'static str,
    },
    /// A character outside 0-9a-f (1-based position).
    #[error("has a non-hex character at position {position}")]
    NonHex {
        /// 1-based character position.
        position: usize,
    },
    /// A character outside the modhex alphabet (1-based position).
    #[error("has a non-modhex character at position {position} (modhex uses only cbdefghijklnrtuv)")]
    NonModhex {
        /// 1-based character position.
        position: usize,
    },
    /// Modhex encodes whole bytes, so the length must be even.
    #[error("has an odd length ({got} characters); modhex encodes whole bytes")]
    OddLength {
        /// Characters found.
        got: usize,
    },
    /// The serial is not a decimal number.
    #[error("is not a decimal number")]
    NotDecimal,
    /// Serial 0 means the tool could not read the serial.
    #[error("is 0: the programming tool could not read the key's serial (enable serial-api-visible)")]
    Zero,
    /// Serial above u32::MAX.
    #[error("is larger than 4294967295, the largest YubiKey serial")]
    TooLarge,
    /// Scientific notation, a decimal point or lost digits: typical of a re-saved spreadsheet.
    #[error("looks like a spreadsheet reformatted it ({hint}); open the original file from the programming tool, not the copy Excel saved")]
    SpreadsheetDamage {
        /// What gave it away, without the value.
        hint: &'static str,
    },
}

/// Recognises values a spreadsheet reformatted as numbers. Runs on every field of every row, so it
/// makes one pass over the bytes and never allocates.
fn looks_like_spreadsheet_number(s: &str) -> Option<&'static str> {
    let (mut digit, mut point, mut exponent, mut prev_e) = (false, false, false, false);
    for &c in s.as_bytes() {
        match c {
            b'0'..=b'9' => digit = true,
            b'.' | b',' => point = true,
            b'E' | b'e' | b'-' => {}
            b'+' => exponent |= prev_e,
            _ => return None,
        }
        prev_e = matches!(c, b'E' | b'e');
    }
    if exponent {
        Some("scientific notation")
    } else if point && digit {
        Some("a decimal number")
    } else {
        None
    }
}

/// A YubiKey serial number: decimal, 1..=4294967295.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SerialNumber(u32);

impl SerialNumber {
    /// Parses a decimal serial; leading zeros are accepted (Okta's 12-digit form parses too).
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        let s = raw.trim_ascii();
        if s.is_empty() {
            return Err(FieldProblem::Missing);
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(match looks_like_spreadsheet_number(s) {
                Some(hint) => FieldProblem::SpreadsheetDamage { hint },
                None => FieldProblem::NotDecimal,
            });
        }
        let digits = s.trim_start_matches('0');
        if digits.is_empty() {
            return Err(FieldProblem::Zero);
        }
        if digits.len() > 10 {
            return Err(FieldProblem::TooLarge);
        }
        let n: u64 = digits.parse().map_err(|_| FieldProblem::NotDecimal)?;
        u32::try_from(n)
            .map(SerialNumber)
            .map_err(|_| FieldProblem::TooLarge)
    }

    /// Builds a serial from a number; `None` for 0.
    pub fn new(n: u32) -> Option<Self> {
        (n != 0).then_some(SerialNumber(n))
    }

    /// The numeric value.
    pub fn get(self) -> u32 {
        self.0
    }

    /// Okta's stored form: zero-padded to 12 digits (`000007886622`).
    pub fn padded(self) -> String {
        format!("{:012}", self.0)
    }
}

impl fmt::Display for SerialNumber {
    /// The unpadded decimal form, as sent to Okta.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// `MODHEX` as a match: `MODHEX.contains` per byte was a measurable share of the 1M-row benchmark.
fn is_modhex(b: u8) -> bool {
    matches!(b, b'b'..=b'l' | b'n' | b'r' | b't'..=b'v')
}

/// A public id: lowercase modhex, even length, 2..=32 characters. Not secret.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicId(String);

impl PublicId {
    /// Parses and lowercases a modhex public id.
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        let s = raw.trim_ascii().to_ascii_lowercase();
        if s.is_empty() {
            return Err(FieldProblem::Missing);
        }
        if let Some(i) = s.bytes().position(|b| !is_modhex(b)) {
            return Err(FieldProblem::NonModhex { position: i + 1 });
        }
        if s.len() % 2 != 0 {
            return Err(FieldProblem::OddLength { got: s.len() });
        }
        if s.len() > 32 {
            return Err(FieldProblem::WrongLength {
                got: s.len(),
                expected: "2 to 32 modhex",
            });
        }
        Ok(PublicId(s))
    }

    /// The modhex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 12 characters (6 bytes) is what Okta's examples and Yubico's tools use.
    pub fn is_typical_length(&self) -> bool {
        self.0.len() == 12
    }
}

impl fmt::Display for PublicId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const DIGIT: u8 = 1;
const LOWER: u8 = 2;
const UPPER: u8 = 4;

/// Hex character classes by byte; 0 = not hex.
static HEX_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = match b as u8 {
            b'0'..=b'9' => DIGIT,
            b'a'..=b'f' => LOWER,
            b'A'..=b'F' => UPPER,
            _ => 0,
        };
        b += 1;
    }
    t
};

/// Checks `raw` is exactly `len` hex characters and returns it lowercased. One pass over the
/// bytes: this runs twice or three times per row.
fn parse_hex(raw: &str, len: usize, expected: &'static str) -> Result<String, FieldProblem> {
    let s = raw.trim_ascii();
    if s.is_empty() {
        return Err(FieldProblem::Missing);
    }
    // Classify through a table and OR the classes together: random hex makes a per-byte
    // digit/letter branch mispredict often, which dominated the 1M-row benchmark.
    let mut seen = 0u8;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let class = HEX_CLASS[usize::from(b)];
        if class == 0 {
            return Err(match looks_like_spreadsheet_number(s) {
                Some(hint) => FieldProblem::SpreadsheetDamage { hint },
                None => FieldProblem::NonHex { position: i + 1 },
            });
        }
        seen |= class;
    }
    let (upper, all_digits) = (seen & UPPER != 0, seen == DIGIT);
    // A spreadsheet that took an all-digit hex value for a number dropped its leading zeros.
    // Only for short fields: Excel keeps 15 significant digits, so a 12-digit id survives intact.
    if all_digits && len <= 15 && s.len() < len && len - s.len() <= 3 {
        return Err(FieldProblem::SpreadsheetDamage {
            hint: "all digits and too short, as if leading zeros were dropped",
        });
    }
    if s.len() != len {
        return Err(FieldProblem::WrongLength {
            got: s.len(),
            expected,
        });
    }
    let mut out = s.to_string();
    if upper {
        out.make_ascii_lowercase();
    }
    Ok(out)
}

/// The private id (Yubico's "internal name"): exactly 12 hex characters. Secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrivateId(Secret<String>);

impl PrivateId {
    /// Parses and lowercases a private id.
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        parse_hex(raw, 12, "12 hex").map(|s| PrivateId(Secret::new(s)))
    }

    /// The raw hex, for the request body only.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

/// The AES-128 key: exactly 32 hex characters. Secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AesKey(Secret<String>);

impl AesKey {
    /// Parses and lowercases an AES key.
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        parse_hex(raw, 32, "32 hex").map(|s| AesKey(Secret::new(s)))
    }

    /// The raw hex, for the request body only.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// The 16 key bytes (for OTP generation and verification).
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        // Cannot fail: parse() checked 32 hex characters.
        hex::decode_to_slice(self.0.expose(), &mut out).expect("AesKey holds 32 hex characters");
        out
    }
}

/// The access code: empty, or 12 hex characters. Secret; never sent to Okta.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessCode(Option<Secret<String>>);

impl AccessCode {
    /// Parses an access code; empty means "none".
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        if raw.trim_ascii().is_empty() {
            return Ok(AccessCode(None));
        }
        parse_hex(raw, 12, "12 hex").map(|s| AccessCode(Some(Secret::new(s))))
    }

    /// Whether the key is protected by a (non-zero) access code.
    pub fn is_set(&self) -> bool {
        self.0.as_ref().is_some_and(|s| s.expose() != "000000000000")
    }
}

/// One valid YubiKey OTP credential. The only way to build one is through the field parsers, so
/// the uploader never sees an invalid value; `Debug` redacts every secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seed {
    /// Serial number.
    pub serial: SerialNumber,
    /// Public id (modhex).
    pub public_id: PublicId,
    /// Private id (secret).
    pub private_id: PrivateId,
    /// AES key (secret).
    pub aes_key: AesKey,
    /// Access code (secret, informational).
    pub access_code: AccessCode,
}

/// A stable 64-bit hash. `DefaultHasher::new()` uses fixed keys, so values are repeatable within
/// a build; they are only compared in memory, never printed or stored.
fn hash_of(parts: &[&str]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for p in parts {
        p.hash(&mut h);
    }
    h.finish()
}

impl Seed {
    /// The row's secret values (private id, AES key, access code when set), only to redact a
    /// server's echo of them from what is logged, journaled or reported.
    pub fn secret_values(&self) -> Vec<&str> {
        let mut out = vec![self.private_id.expose(), self.aes_key.expose()];
        if let Some(code) = &self.access_code.0 {
            out.push(code.expose());
        }
        out
    }

    /// A hash of what Okta stores (public id, private id, AES key): equal for the same programming.
    pub fn fingerprint(&self) -> u64 {
        hash_of(&[
            self.public_id.as_str(),
            self.private_id.expose(),
            self.aes_key.expose(),
        ])
    }

    /// A hash of the public id alone.
    pub fn public_id_hash(&self) -> u64 {
        hash_of(&[self.public_id.as_str()])
    }

    /// A hash of the AES key alone.
    pub fn aes_key_hash(&self) -> u64 {
        hash_of(&[self.aes_key.expose()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_with_leading_zeros_is_accepted_and_padded_to_twelve_digits() {
        let s = SerialNumber::parse("0007886622").unwrap();
        assert_eq!(s.get(), 7886622);
        assert_eq!(s.padded(), "000007886622");
        assert_eq!(s.to_string(), "7886622");
    }

    #[test]
    fn serial_zero_is_rejected() {
        assert_eq!(SerialNumber::parse("0"), Err(FieldProblem::Zero));
        assert_eq!(SerialNumber::parse("0000"), Err(FieldProblem::Zero));
    }

    #[test]
    fn serial_above_u32_is_rejected() {
        assert_eq!(SerialNumber::parse("4294967295").unwrap().get(), u32::MAX);
        assert_eq!(SerialNumber::parse("4294967296"), Err(FieldProblem::TooLarge));
        assert_eq!(SerialNumber::parse("99999999999999"), Err(FieldProblem::TooLarge));
    }

    #[test]
    fn serial_in_scientific_notation_is_spreadsheet_damage() {
        assert!(matches!(
            SerialNumber::parse("7.89E+06"),
            Err(FieldProblem::SpreadsheetDamage { .. })
        ));
        assert!(matches!(
            SerialNumber::parse("7886622.0"),
            Err(FieldProblem::SpreadsheetDamage { .. })
        ));
    }

    #[test]
    fn serial_with_letters_is_not_decimal() {
        assert_eq!(SerialNumber::parse("=cmd|x"), Err(FieldProblem::NotDecimal));
        assert_eq!(SerialNumber::parse("12a"), Err(FieldProblem::NotDecimal));
    }

    #[test]
    fn public_id_is_lowercased_and_checked_for_modhex() {
        assert_eq!(
            PublicId::parse(" CCCCCCIJGIBU ").unwrap().as_str(),
            "ccccccijgibu"
        );
        assert_eq!(
            PublicId::parse("ccccccijgiba"),
            Err(FieldProblem::NonModhex { position: 12 })
        );
        assert_eq!(PublicId::parse("ccc"), Err(FieldProblem::OddLength { got: 3 }));
        assert!(matches!(
            PublicId::parse(&"c".repeat(34)),
            Err(FieldProblem::WrongLength { .. })
        ));
        assert!(!PublicId::parse("cccc").unwrap().is_typical_length());
    }

    #[test]
    fn aes_key_problems_never_contain_the_value() {
        let key = "1fcc6d8ce39bf1604e0b17f3e0a1106";
        let err = AesKey::parse(key).unwrap_err();
        assert_eq!(err.to_string(), "has 31 characters, expected 32 hex");
        let err = AesKey::parse("1fcc6dxce39bf1604e0b17f3e0a11067").unwrap_err();
        assert_eq!(err.to_string(), "has a non-hex character at position 7");
        assert!(matches!(
            PrivateId::parse("8.30E+43"),
            Err(FieldProblem::SpreadsheetDamage { .. })
        ));
    }

    #[test]
    fn upper_case_hex_is_normalised() {
        let k = AesKey::parse("1FCC6D8CE39BF1604E0B17F3E0A11067").unwrap();
        assert_eq!(k.expose(), "1fcc6d8ce39bf1604e0b17f3e0a11067");
        assert_eq!(k.to_bytes()[0], 0x1f);
        assert_eq!(format!("{k:?}"), "AesKey([redacted])");
    }

    #[test]
    fn is_modhex_matches_the_alphabet() {
        for b in 0..=255u8 {
            assert_eq!(is_modhex(b), MODHEX.contains(&b), "byte {b}");
        }
    }

    #[test]
    fn access_code_is_empty_or_twelve_hex() {
        assert!(!AccessCode::parse("").unwrap().is_set());
        assert!(!AccessCode::parse("000000000000").unwrap().is_set());
        assert!(AccessCode::parse("0a0b0c0d0e0f").unwrap().is_set());
        assert!(AccessCode::parse("0a0b").is_err());
    }
}
