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
    let (tag, body) = if first & 0x40 != 0 {
        // New format: one length octet below 192 (or a partial length), two from 192, five at 255.
        let len_octets = match prefix.get(1)? {
            0..=191 | 224..=254 => 1,
            192..=223 => 2,
            255 => 5,
        };
        (first & 0x3F, 1 + len_octets)
    } else {
        // Old format: the length type in bits 1-0 says 1, 2 or 4 length octets, or none (3).
        let len_octets = [1, 2, 4, 0][usize::from(first & 0x03)];
        ((first >> 2) & 0x0F, 1 + len_octets)
    };
    // A random binary file often has a high first bit; the packet's first body octet (a version
    // or an algorithm, with few legal values) tells a real message from it.
    let opens = MESSAGE_TAGS.contains(&tag) && plausible_body(tag, *prefix.get(body)?);
    opens.then_some(Sealing {
        kind: SealKind::OpenPgp,
        armored: false,
    })
}

/// Whether `octet`, the first of a packet's body, is legal for a packet with `tag` (RFC 9580).
fn plausible_body(tag: u8, octet: u8) -> bool {
    match tag {
        // Session keys and one-pass signatures: versions 3 and 6; key-encrypted session keys: 4-6.
        1 | 4 => matches!(octet, 3 | 6),
        3 => matches!(octet, 4..=6),
        // Signatures: versions 3 to 6.
        2 => matches!(octet, 3..=6),
        // Compressed data: uncompressed, ZIP, ZLIB, BZip2.
        8 => octet <= 3,
        // Marker: "PGP".
        10 => octet == b'P',
        // Literal data: the data format.
        11 => matches!(octet, b'b' | b't' | b'u' | b'l' | b'1' | b'm'),
        // Integrity-protected data: version 1 or 2; AEAD data (LibrePGP): version 1.
        18 => matches!(octet, 1 | 2),
        20 => octet == 1,
        _ => false,
    }
}

/// Opens `path` once and, when it is sealed, reads all of it (at most `max` bytes, whatever the
/// file is: a pipe or a device has no size to check first). A plain file is left for the seed
/// reader to stream from disk; one that is not a regular file (a pipe) is refused, since its first
/// bytes are already spent on the sniffing.
pub fn read_if_sealed(path: &Path, max: u64) -> anyhow::Result<Option<(Sealing, Vec<u8>)>> {
    let mut file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let meta = file
        .metadata()
        .with_context(|| format!("cannot open {}", path.display()))?;
    let too_large = || {
        anyhow::anyhow!(
            "{} is more than {max} bytes; sealed seed files over that are not read (split it)",
            path.display()
        )
    };
    let mut bytes = Vec::with_capacity(SNIFF);
    (&mut file)
        .take(SNIFF as u64)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let Some(sealing) = sniff(&bytes) else {
        if !meta.is_file() {
            anyhow::bail!(
                "{} is not a regular file (a pipe or a device): a plaintext seed file is read from disk; save it to a file (chmod 600), or better, seal it",
                path.display()
            );
        }
        return Ok(None);
    };
    if meta.is_file() && meta.len() > max {
        return Err(too_large());
    }
    file.take(max + 1 - bytes.len() as u64)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > max {
        return Err(too_large());
    }
    Ok(Some((sealing, bytes)))
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

    /// A FIFO at `dir/name` fed `bytes` by a thread (a pipe has no size to check first).
    fn fifo(dir: &Path, bytes: Vec<u8>) -> (std::path::PathBuf, std::thread::JoinHandle<()>) {
        let p = dir.join("sealed.fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&p)
            .status()
            .unwrap()
            .success());
        let path = p.clone();
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            // The reader may stop early (over the cap): a broken pipe is expected then.
            let _ = std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|mut f| f.write_all(&bytes));
        });
        (p, writer)
    }

    #[test]
    fn a_sealed_pipe_over_the_cap_is_refused_and_one_under_it_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut big = b"age-encryption.org/v1\n".to_vec();
        big.resize(5000, b'x');
        let (p, writer) = fifo(dir.path(), big.clone());
        let err = read_if_sealed(&p, 4096).unwrap_err().to_string();
        assert!(err.contains("more than 4096 bytes"), "{err}");
        drop(writer);
        let dir = tempfile::tempdir().unwrap();
        let (p, writer) = fifo(dir.path(), big.clone());
        let (sealing, bytes) = read_if_sealed(&p, 8192).unwrap().unwrap();
        writer.join().unwrap();
        assert_eq!(sealing.kind, SealKind::Age);
        assert_eq!(bytes, big, "the sniffed bytes are kept: one open, nothing lost");
    }

    #[test]
    fn a_plaintext_pipe_is_refused_rather_than_read_short() {
        let dir = tempfile::tempdir().unwrap();
        let (p, writer) = fifo(dir.path(), b"7886622,cccc\n".to_vec());
        let err = read_if_sealed(&p, 4096).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        writer.join().unwrap();
    }

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
        // What gpg writes: a PKESK (`hF4D` in armour), a one-pass signature (`kA0D`), a SKESK
        // (`jA0E`, gpg -c), compressed data (`owE`, gpg --sign), a new-format PKESK (`wV4D`), and a
        // PKESK with a two-octet old-format length.
        for start in [
            &[0x84, 0x5E, 0x03][..],
            &[0x90, 0x0D, 0x03],
            &[0x8C, 0x0D, 0x04],
            &[0xA3, 0x01],
            &[0xC1, 0x5E, 0x03],
            &[0x85, 0x01, 0x0C, 0x03],
        ] {
            assert_eq!(kind(start), Some((SealKind::OpenPgp, false)), "{start:x?}");
        }
    }

    #[test]
    fn binary_junk_with_a_high_first_bit_is_not_openpgp() {
        // The start of tests/fixtures/hostile/binary-no-nul.bin: tag 1 with version 0xB8.
        for junk in [
            &[0x85, 0xC0, 0x80, 0xB8, 0x0F][..],
            &[0x84, 0x5E, 0x07],
            &[0xA3, 0x09],
            &[0xC1],
            &[0x84],
        ] {
            assert_eq!(sniff(junk), None, "{junk:x?}");
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
