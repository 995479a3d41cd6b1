//! The token attributes the list can filter and sort on: one name table, one getter.
//!
//! `filter` compares an attribute's [`AttrValue`] with a literal and `pagination` sorts by its
//! [`AttrValue::sort_key`]; both name attributes through [`TokenAttr::parse`], so the two can
//! never disagree on what exists. Each caller words its own refusal, as Okta's messages differ.

use super::wire::{okta_time, TokenStatus};
use chrono::{DateTime, Utc};

/// A token attribute that `filter` and `sortBy` can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenAttr {
    /// `profile.serial`.
    Serial,
    /// `status`.
    Status,
    /// `user.id`.
    UserId,
    /// `created`.
    Created,
    /// `activated`.
    Activated,
    /// `lastVerified`.
    LastVerified,
}

impl TokenAttr {
    /// The attribute with this exact (case-sensitive, as in Okta) name.
    pub fn parse(name: &str) -> Option<TokenAttr> {
        Some(match name {
            "profile.serial" => TokenAttr::Serial,
            "status" => TokenAttr::Status,
            "user.id" => TokenAttr::UserId,
            "created" => TokenAttr::Created,
            "activated" => TokenAttr::Activated,
            "lastVerified" => TokenAttr::LastVerified,
            _ => return None,
        })
    }

    /// Whether the attribute is a timestamp (the only kind that orders with `gt ge lt le`).
    pub fn is_time(self) -> bool {
        matches!(
            self,
            TokenAttr::Created | TokenAttr::Activated | TokenAttr::LastVerified
        )
    }
}

/// One attribute's value on one token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrValue<'a> {
    /// The serial or the user id; `None` when no user is assigned.
    Text(Option<&'a str>),
    /// The status.
    Status(TokenStatus),
    /// A timestamp; `None` when the event has not happened (never activated).
    Time(Option<DateTime<Utc>>),
}

impl AttrValue<'_> {
    /// A string that sorts like the value: timestamps are fixed-width ISO 8601, absent is "".
    pub fn sort_key(self) -> String {
        match self {
            AttrValue::Text(s) => s.unwrap_or_default().to_string(),
            AttrValue::Status(s) => s.as_str().to_string(),
            AttrValue::Time(d) => d.map(|d| okta_time::format(&d)).unwrap_or_default(),
        }
    }
}

/// Anything whose attributes a filter or sort can read (the stored token; fakes in tests).
pub trait TokenAttrs {
    /// The value of `attr`.
    fn attr(&self, attr: TokenAttr) -> AttrValue<'_>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_sensitive_and_closed() {
        assert_eq!(TokenAttr::parse("lastVerified"), Some(TokenAttr::LastVerified));
        assert_eq!(TokenAttr::parse("Status"), None);
        assert_eq!(TokenAttr::parse("profile.email"), None);
    }

    #[test]
    fn sort_keys_put_absent_values_first() {
        let t = okta_time::parse("2024-05-01T10:00:00.000Z");
        assert_eq!(AttrValue::Time(None).sort_key(), "");
        assert_eq!(AttrValue::Text(None).sort_key(), "");
        assert_eq!(AttrValue::Time(t).sort_key(), "2024-05-01T10:00:00.000Z");
    }
}
