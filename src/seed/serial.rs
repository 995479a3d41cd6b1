//! [`Serial`]: a key's serial as Okta stores it, the 12-digit zero-padded form
//! (`000007886622`). Every module that joins seeds with Okta's records (the journal, preflight,
//! reconcile, reports) passes serials in this form, so nothing pads or parses them again.

use super::record::SerialNumber;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A serial in Okta's 12-digit form. A value Okta sends that is not a number at all (only a
/// broken or hostile server does that) is kept verbatim, so it can be reported (and defused in
/// CSV), but it never matches a seed file's serial.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Serial(String);

impl Serial {
    /// From Okta's `profile.serial` (padded or not), or any text that should name a serial.
    pub fn from_okta(raw: &str) -> Self {
        let raw = raw.trim();
        match raw.parse::<u64>() {
            Ok(n) => Serial(format!("{n:012}")),
            Err(_) => Serial(raw.to_string()),
        }
    }

    /// The text, e.g. `000007886622`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<SerialNumber> for Serial {
    fn from(n: SerialNumber) -> Self {
        n.get().into()
    }
}

impl From<u32> for Serial {
    fn from(n: u32) -> Self {
        Serial(format!("{n:012}"))
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Serial {
    /// The same as [`Serial::from_okta`].
    fn from(raw: &str) -> Self {
        Serial::from_okta(raw)
    }
}

impl std::str::FromStr for Serial {
    type Err = std::convert::Infallible;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Ok(Serial::from_okta(raw))
    }
}

/// A serial reads as its text (`starts_with`, comparisons with `&str`, `Option::as_deref`).
impl std::ops::Deref for Serial {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Serial {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Serial {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Serial {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Serial {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn okta_serials_are_padded_to_twelve_digits_whatever_form_they_come_in() {
        assert_eq!(Serial::from_okta("7886622").as_str(), "000007886622");
        assert_eq!(Serial::from_okta(" 000007886622 ").as_str(), "000007886622");
        assert_eq!(
            Serial::from(SerialNumber::parse("0007886622").unwrap()),
            Serial::from_okta("7886622")
        );
    }

    #[test]
    fn a_serial_that_is_not_a_number_is_kept_as_sent() {
        assert_eq!(Serial::from_okta("=cmd").as_str(), "=cmd");
        assert_ne!(Serial::from_okta("=cmd"), Serial::from_okta("0"));
    }

    #[test]
    fn serde_writes_the_plain_string() {
        let s = Serial::from_okta("42");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"000000000042\"");
        assert_eq!(serde_json::from_str::<Serial>("\"000000000042\"").unwrap(), s);
    }
}
