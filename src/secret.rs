//! Values that must never be printed: AES keys, private ids, access codes, API tokens.
//!
//! `Secret<T>` redacts itself in `Debug` and `Display` and wipes its memory on drop. The only way
//! to read it is `expose()`, which makes every place that handles the raw value easy to find.

use std::fmt;
use zeroize::Zeroize;

/// A value that redacts itself when formatted and is zeroed when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T: Zeroize>(T);

impl<T: Zeroize> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The raw value. Call it only where the value leaves the process (a request body or header).
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T: Zeroize> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret<String> {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

/// `text` with every occurrence of each of `secrets` (ASCII case ignored: a server may echo a hex
/// key in upper case) replaced by `[redacted]`. For text from a server that may echo a request.
pub fn redact_known(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        let lower = out.to_ascii_lowercase();
        let needle = secret.to_ascii_lowercase();
        let mut result = String::with_capacity(out.len());
        let mut last = 0;
        // ASCII lowercasing keeps byte offsets, so matches in `lower` are matches in `out`.
        for (i, _) in lower.match_indices(&needle) {
            result.push_str(&out[last..i]);
            result.push_str("[redacted]");
            last = i + needle.len();
        }
        result.push_str(&out[last..]);
        out = result;
    }
    out
}

/// Whether a character can drive a terminal or reorder what it shows: C0/C1 controls (ESC
/// sequences) and the Unicode bidirectional marks, embeddings, overrides and isolates.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` without control and bidi characters, for anything a server or gpg said that is logged,
/// journaled or reported.
pub fn printable(text: &str) -> String {
    text.chars().filter(|c| !is_unsafe_char(*c)).collect()
}

/// Text from outside (a server's answer) made safe to log, journal or report: the row's own
/// secrets redacted, control and bidi characters removed.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    redact_known(&printable(text), secrets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_secrets_are_redacted_whatever_their_case() {
        let key = "fc54a2b1c3d4e5f60718293a4b5c6d7e";
        let text = format!("Api validation failed: aesKey {key} / {}", key.to_uppercase());
        assert_eq!(
            redact_known(&text, &[key, "1234"]),
            "Api validation failed: aesKey [redacted] / [redacted]"
        );
        assert_eq!(redact_known("no secret here", &[key]), "no secret here");
    }

    #[test]
    fn control_and_bidi_characters_are_removed() {
        assert_eq!(printable("a\u{1b}[31mb\u{202E}c\u{2067}d\r\n"), "a[31mbcd");
        assert_eq!(scrub("k=ab\u{200F}cdef", &["abcdef"]), "k=[redacted]");
    }

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("00QCjAl4MlV-WPXM".to_string());
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(format!("{:#?}", Some(&s)), "Some(\n    [redacted],\n)");
        assert_eq!(s.expose(), "00QCjAl4MlV-WPXM");
    }
}
