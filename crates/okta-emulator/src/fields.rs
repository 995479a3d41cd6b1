//! The four fields of an upload as the emulator accepts them, after Okta's example
//! (`upload-request.json`: `"7886622"`, `"ccccccijgibu"`, `"b74be6169486"`,
//! `"1fcc6d8ce39bf1604e0b17f3e0a11067"`) and Yubico's key-provisioning format: a decimal serial,
//! a modhex public id, a 12-hex private id and a 32-hex AES-128 key.
//!
//! Written apart from the client's seed reader on purpose: the emulator is a witness, so a rule
//! the client gets wrong must not be accepted here for the same reason. Problems never quote a
//! value; the two secret fields are kept in [`Hidden`], which never prints them.

use std::fmt;
use zeroize::Zeroize;

/// The modhex alphabet: nibble 0..=15 is written as these characters.
pub const MODHEX: &[u8; 16] = b"cbdefghijklnrtuv";

/// Why a field is refused: the text after `field: ` in an `errorCauses` entry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// Empty or absent.
    #[error("is empty")]
    Missing,
    /// Wrong number of characters.
    #[error("has {got} characters, expected {expected}")]
    WrongLength {
        /// Characters found.
        got: usize,
        /// What the field needs, e.g. "32 hex".
        expected: &'static str,
    },
    /// A character outside `0-9a-fA-F` (1-based position).
    #[error("has a non-hex character at position {0}")]
    NonHex(usize),
    /// A character outside the modhex alphabet (1-based position).
    #[error("has a non-modhex character at position {0} (modhex uses only cbdefghijklnrtuv)")]
    NonModhex(usize),
    /// Modhex encodes whole bytes.
    #[error("has an odd length ({0} characters); modhex encodes whole bytes")]
    OddLength(usize),
    /// The serial is not a decimal number.
    #[error("is not a decimal number")]
    NotDecimal,
    /// Serial 0.
    #[error("is 0")]
    Zero,
    /// Above the largest 32-bit serial.
    #[error("is larger than 4294967295, the largest YubiKey serial")]
    TooLarge,
}

/// A secret string: zeroed when dropped, `[redacted]` in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Hidden(String);

impl Hidden {
    /// The value, for the OTP check and the `--state` snapshot only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for Hidden {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Hidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A serial: decimal, 1..=4294967295; leading zeros allowed (Okta's stored form is 12 digits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SerialNumber(u32);

impl SerialNumber {
    /// Parses a decimal serial.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::Missing);
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::NotDecimal);
        }
        match s.trim_start_matches('0') {
            "" => Err(FieldError::Zero),
            digits if digits.len() > 10 => Err(FieldError::TooLarge),
            digits => digits
                .parse::<u32>()
                .map(SerialNumber)
                .map_err(|_| FieldError::TooLarge),
        }
    }

    /// Builds one from a number; `None` for 0.
    pub fn new(n: u32) -> Option<Self> {
        (n != 0).then_some(SerialNumber(n))
    }

    /// Okta's stored form, zero-padded to 12 digits (`000007886622`).
    pub fn padded(self) -> String {
        format!("{:012}", self.0)
    }
}

/// A public id: modhex, whole bytes, 2 to 32 characters, kept lowercase.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PublicId(String);

impl PublicId {
    /// Parses and lowercases a public id.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().to_ascii_lowercase();
        if s.is_empty() {
            return Err(FieldError::Missing);
        }
        if let Some(i) = s.bytes().position(|b| !MODHEX.contains(&b)) {
            return Err(FieldError::NonModhex(i + 1));
        }
        if s.len() % 2 != 0 {
            return Err(FieldError::OddLength(s.len()));
        }
        if s.len() > 32 {
            return Err(FieldError::WrongLength {
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
}

/// Exactly `len` hex characters, lowercased.
fn hex_field(raw: &str, len: usize, expected: &'static str) -> Result<Hidden, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(FieldError::Missing);
    }
    if let Some(i) = s.bytes().position(|b| !b.is_ascii_hexdigit()) {
        return Err(FieldError::NonHex(i + 1));
    }
    if s.len() != len {
        return Err(FieldError::WrongLength {
            got: s.len(),
            expected,
        });
    }
    Ok(Hidden(s.to_ascii_lowercase()))
}

/// The private id: 6 bytes, 12 hex characters. Secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrivateId(Hidden);

impl PrivateId {
    /// Parses a private id.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        hex_field(raw, 12, "12 hex").map(PrivateId)
    }

    /// The hex text.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// The 6 bytes.
    pub fn to_bytes(&self) -> [u8; 6] {
        let mut out = [0u8; 6];
        // Cannot fail: parse() checked 12 hex characters.
        hex::decode_to_slice(self.0.expose(), &mut out).expect("PrivateId holds 12 hex characters");
        out
    }
}

/// The AES-128 key: 32 hex characters. Secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AesKey(Hidden);

impl AesKey {
    /// Parses an AES key.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        hex_field(raw, 32, "32 hex").map(AesKey)
    }

    /// The hex text.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// The 16 key bytes.
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        // Cannot fail: parse() checked 32 hex characters.
        hex::decode_to_slice(self.0.expose(), &mut out).expect("AesKey holds 32 hex characters");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oktas_example_upload_is_accepted() {
        assert_eq!(SerialNumber::parse("7886622").unwrap().padded(), "000007886622");
        assert_eq!(
            SerialNumber::parse("000007886622"),
            SerialNumber::parse("7886622")
        );
        assert_eq!(PublicId::parse("ccccccijgibu").unwrap().as_str(), "ccccccijgibu");
        assert_eq!(PrivateId::parse("B74BE6169486").unwrap().expose(), "b74be6169486");
        assert_eq!(
            AesKey::parse("1fcc6d8ce39bf1604e0b17f3e0a11067")
                .unwrap()
                .to_bytes()[0],
            0x1f
        );
    }

    #[test]
    fn each_refusal_names_the_problem_never_the_value() {
        assert_eq!(SerialNumber::parse(" "), Err(FieldError::Missing));
        assert_eq!(SerialNumber::parse("7.8e6"), Err(FieldError::NotDecimal));
        assert_eq!(SerialNumber::parse("000"), Err(FieldError::Zero));
        assert_eq!(SerialNumber::parse("4294967296"), Err(FieldError::TooLarge));
        assert_eq!(PublicId::parse("ccccccijgiba"), Err(FieldError::NonModhex(12)));
        assert_eq!(PublicId::parse("ccc"), Err(FieldError::OddLength(3)));
        let e = AesKey::parse("1fcc6d8ce39bf1604e0b17f3e0a1106").unwrap_err();
        assert_eq!(e.to_string(), "has 31 characters, expected 32 hex");
        let e = PrivateId::parse("b74be616948x").unwrap_err();
        assert_eq!(e, FieldError::NonHex(12));
        let key = AesKey::parse("1fcc6d8ce39bf1604e0b17f3e0a11067").unwrap();
        assert_eq!(format!("{key:?}"), "AesKey([redacted])");
    }
}
