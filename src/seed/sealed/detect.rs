//! Recognising a sealed file by its first bytes, never by its name: age's header line or armour,
//! OpenPGP armour, or an OpenPGP packet tag that can start a message. Plain seed files start with
//! text (or a byte-order mark), none of which looks like any of these.

use anyhow::Context;
use std::fmt;
use std::io::Read;
use std::path::Path;

/// How many bytes are enough to tell.
const SNIFF: usize = 64;

/// Which tool seals the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SealKind {
    /// OpenPGP (RFC 4880 / 9580): GnuPG, Yubico's custom-programming deliveries.
    #[serde(rename = "openpgp")]
    OpenPgp,
    /// age (age-encryption.org/v1).
    Age,
}

impl fmt::Display for SealKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SealKind::OpenPgp => "OpenPGP",
            SealKind::Age => "age",
        })
    }
}

/// A sealed file's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sealing {
    /// OpenPGP or age.
    pub kind: SealKind,
    /// ASCII armour rather than binary.
    pub armored: bool,
}

/// OpenPGP packet tags that can open a message: session keys (1, 3), signatures (2, 4),
/// compressed (8), marker (10), literal (11), encrypted and integrity-protected data (18, 20).
const MESSAGE_TAGS: [u8; 9] = [1, 2, 3, 4, 8, 10, 11, 18, 20];

/// The format `prefix` (a file's first bytes) is sealed in, if any.
pub fn sniff(prefix: &[u8]) -> Option<Sealing> {
    let text_start = prefix
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(prefix.len());
    let text = &prefix[text_start..];
    let armored = |kind| Some(Sealing { kind, armored: true });
    if prefix.starts_with(b"age-encryption.org/") {
        return Some(Sealing {
            kind: SealKind::Age,
            armored: false,
        });
    }
    if text.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----") {
        return armored(SealKind::Age);
    }
    if text.starts_with(b"-----BEGIN PGP MESSAGE-----")
        || text.starts_with(b"-----BEGIN PGP SIGNED MESSAGE-----")
    {
        return armored(SealKind::OpenPgp);
    }
    let first = *prefix.first()?;
    // Bit 7 is always set in a packet header; bit 6 picks the new format (tag in bits 5-0) or the
    // old one (tag in bits 5-2). Text and byte-order marks (EF, FE, FF) give no message tag.
    if first & 0x80 == 0 {
        return None;
    }
    let tag = if first & 0x40 != 0 {
        first & 0x3F
    } else {
        (first >> 2) & 0x0F
    };
    MESSAGE_TAGS.contains(&tag).then_some(Sealing {
        kind: SealKind::OpenPgp,
        armored: false,
    })
}

/// The format the file at `path` is sealed in, if any.
pub fn detect_file(path: &Path) -> anyhow::Result<Option<Sealing>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut prefix = Vec::with_capacity(SNIFF);
    file.take(SNIFF as u64)
        .read_to_end(&mut prefix)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(sniff(&prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(b: &[u8]) -> Option<(SealKind, bool)> {
        sniff(b).map(|s| (s.kind, s.armored))
    }

    #[test]
    fn age_files_are_recognised_binary_and_armoured() {
        assert_eq!(
            kind(b"age-encryption.org/v1\n-> X25519 abc\n"),
            Some((SealKind::Age, false))
        );
        assert_eq!(
            kind(b"\n-----BEGIN AGE ENCRYPTED FILE-----\nYWdl"),
            Some((SealKind::Age, true))
        );
    }

    #[test]
    fn openpgp_armour_is_recognised() {
        assert_eq!(
            kind(b"-----BEGIN PGP MESSAGE-----\n\nhF4D"),
            Some((SealKind::OpenPgp, true))
        );
        assert_eq!(
            kind(b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256"),
            Some((SealKind::OpenPgp, true))
        );
    }

    #[test]
    fn openpgp_packets_that_start_messages_are_recognised() {
        // What gpg wrote in the tests: PKESK (old format), one-pass signature, SKESK, compressed,
        // and a new-format PKESK.
        for first in [0x84, 0x85, 0x90, 0x8C, 0xA3, 0xC1] {
            assert_eq!(
                kind(&[first, 0x5e, 0x03]),
                Some((SealKind::OpenPgp, false)),
                "{first:#x}"
            );
        }
    }

    #[test]
    fn seed_text_and_byte_order_marks_are_not_sealed() {
        for plain in [
            &b"7886622,ccccccijgibu,b74be6169486,"[..],
            b"# ykksm 1\n",
            b"serialNumber,publicId",
            b"\xEF\xBB\xBF7886622,",
            b"\xFF\xFE7\x008\x00",
            b"\xFE\xFF\x007\x008",
            b"",
            b"<?xml version",
            b"-----BEGIN PGP PUBLIC KEY BLOCK-----",
        ] {
            assert_eq!(sniff(plain), None, "{plain:?}");
        }
    }
}
