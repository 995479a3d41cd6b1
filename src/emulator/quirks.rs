//! Readings of Okta's contract that no public source settles (see docs/emulator.md). The
//! emulator serves one reading per point by default; `--quirk NAME[=VALUE]` switches a point to
//! another plausible reading, so the client can be tested against each.

use std::fmt;

/// The readings in force. `Default` is the emulator's main reading of every point.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Quirks {
    /// `soft-delete`: a deleted token stays listed as REVOKED (as Okta's KB suggests), and its
    /// serial and public id may be uploaded again. Default: a delete removes the record.
    pub soft_delete: bool,
}

/// Why a `--quirk` was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuirkError {
    /// Not a quirk this emulator knows.
    #[error("unknown quirk `{0}`; known: {known}", known = Quirks::NAMES.join(", "))]
    Unknown(String),
    /// A quirk that takes no value was given one, or the value is not one it knows.
    #[error("quirk `{name}` does not take the value `{value}`")]
    BadValue {
        /// The quirk.
        name: String,
        /// The value given.
        value: String,
    },
}

impl Quirks {
    /// Every quirk's name, for messages and help.
    pub const NAMES: &'static [&'static str] = &["soft-delete"];

    /// Switches on one `NAME[=VALUE]`.
    pub fn apply(&mut self, spec: &str) -> Result<(), QuirkError> {
        let (name, value) = match spec.trim().split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (spec.trim(), None),
        };
        let bad_value = |v: &str| QuirkError::BadValue {
            name: name.to_string(),
            value: v.to_string(),
        };
        match (name, value) {
            ("soft-delete", None) => self.soft_delete = true,
            ("soft-delete", Some(v)) => return Err(bad_value(v)),
            _ => return Err(QuirkError::Unknown(name.to_string())),
        }
        Ok(())
    }

    /// Quirks from several specs, naming every refused one.
    pub fn parse_all<'a>(specs: impl IntoIterator<Item = &'a str>) -> Result<Self, Vec<QuirkError>> {
        let mut quirks = Quirks::default();
        let errors: Vec<QuirkError> = specs.into_iter().filter_map(|s| quirks.apply(s).err()).collect();
        if errors.is_empty() {
            Ok(quirks)
        } else {
            Err(errors)
        }
    }
}

impl fmt::Display for Quirks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut on = Vec::new();
        if self.soft_delete {
            on.push("soft-delete");
        }
        if on.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&on.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_delete_is_a_flag_without_a_value() {
        let q = Quirks::parse_all(["soft-delete"]).unwrap();
        assert!(q.soft_delete);
        assert_eq!(q.to_string(), "soft-delete");
        assert!(matches!(
            Quirks::parse_all(["soft-delete=yes"]).unwrap_err()[..],
            [QuirkError::BadValue { .. }]
        ));
    }

    #[test]
    fn unknown_quirks_are_named_with_the_known_ones() {
        let errs = Quirks::parse_all(["fast", "soft-delete", "slow=1"]).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert!(errs[0].to_string().contains("`fast`") && errs[0].to_string().contains("soft-delete"));
    }
}
