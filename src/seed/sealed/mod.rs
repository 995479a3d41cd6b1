//! Sealed seed files: OpenPGP (decrypted by the system's `gpg`, so gpg-agent, smartcards and
//! pinentry work) and age (decrypted in process), recognised by their content ([`detect`]), and
//! decrypted into one zeroizing buffer in memory ([`Plaintext`], at most [`MAX_PLAINTEXT`]),
//! never into a file.
//!
//! [`open`] is the one way in: every command that reads seed files calls it with the operator's
//! [`UnsealOptions`] and hands the [`SeedSource`] it returns to `validate_file` and
//! `SeedReader::open`, so a file is decrypted once (a PIN is asked once) and every pass reads the
//! same bytes. A plain file comes back as a path and is streamed as before. [`seal`] writes sealed
//! files. This module does not prompt: the command layer passes a [`PassphrasePrompt`].

pub mod age;
pub mod buffer;
pub mod detect;
pub mod gpg;
pub mod seal;
pub mod status;

pub use buffer::Plaintext;
pub use detect::{SealKind, Sealing};

use super::input::{SeedSource, Unsealed};
use crate::secret::Secret;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The largest plaintext kept in memory: about three million seed rows. A larger decrypted file is
/// refused rather than held (a compressed OpenPGP message can expand without bound).
pub const MAX_PLAINTEXT: usize = 256 * 1024 * 1024;

/// The largest sealed file read: armour adds a third, so twice the plaintext bound is room enough.
pub const MAX_SEALED: u64 = 2 * MAX_PLAINTEXT as u64;

/// Asks the operator a secret question (the command layer reads the terminal): an age file's
/// passphrase (`passphrase for FILE`), or what an age plugin asks for (a YubiKey's PIN).
pub type PassphrasePrompt = Arc<dyn Fn(&str) -> anyhow::Result<Secret<String>> + Send + Sync>;

/// An OpenPGP fingerprint: 40 (v4) or 64 (v5, v6) hex digits, stored upper case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// Accepts the forms people paste: spaces between groups, a `0x` prefix, either case. Key
    /// ids (16 hex digits) are refused: they are short enough to forge a matching key.
    pub fn parse(text: &str) -> Result<Fingerprint, String> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let hex = compact
            .strip_prefix("0x")
            .or_else(|| compact.strip_prefix("0X"))
            .unwrap_or(&compact);
        if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!("`{text}` is not a fingerprint (hex digits expected)"));
        }
        match hex.len() {
            40 | 64 => Ok(Fingerprint(hex.to_ascii_uppercase())),
            16 => Err(format!(
                "`{text}` is a key id, not a fingerprint: give the full 40-digit fingerprint \
                 (gpg --fingerprint KEY)"
            )),
            n => Err(format!(
                "`{text}` has {n} hex digits; a fingerprint has 40 (or 64)"
            )),
        }
    }

    /// The upper-case hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who signed a file: the primary key's fingerprint and the user id gpg shows for it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Signer {
    /// Fingerprint (or, when gpg gave nothing better, the key id).
    pub fingerprint: String,
    /// The key's user id (`Name <email>`), when the key is in the keyring. `userId` as in every
    /// JSON ykprov writes; journals written before said `user_id`.
    #[serde(
        default,
        rename = "userId",
        alias = "user_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_id: Option<String>,
}

/// What a sealed file's signature says.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SignatureCheck {
    /// No signature (age files never have one).
    NotSigned,
    /// A good signature.
    Good {
        /// Who made it.
        signer: Signer,
    },
    /// A signature that could not be checked (accepted only without `--signer`).
    Unchecked {
        /// The key that made it.
        key: String,
        /// Why it was not checked.
        reason: String,
    },
}

impl SignatureCheck {
    /// The signer, when the signature is good.
    pub fn signer(&self) -> Option<&Signer> {
        match self {
            SignatureCheck::Good { signer } => Some(signer),
            _ => None,
        }
    }
}

/// What was learnt while opening a sealed file; never anything from inside it but its hash.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SealInfo {
    /// OpenPGP or age.
    pub kind: SealKind,
    /// ASCII armour rather than binary.
    pub armored: bool,
    /// Whether it was encrypted (an OpenPGP file may be signed only).
    pub encrypted: bool,
    /// SHA-256 (hex) of the sealed file as read.
    pub sealed_sha256: String,
    /// SHA-256 (hex) of the decrypted bytes (what validation and the journal's `input_sha256` see).
    pub plaintext_sha256: String,
    /// The decrypted size in bytes.
    pub plaintext_bytes: u64,
    /// The signature.
    pub signature: SignatureCheck,
    /// What the operator should hear (also logged as warnings when the file is opened).
    pub warnings: Vec<String>,
}

impl fmt::Display for SealInfo {
    /// `OpenPGP-sealed, signed by "Name <email>" (FINGERPRINT)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = if self.encrypted {
            "sealed"
        } else {
            "signed, not encrypted"
        };
        write!(f, "{}-{how}", self.kind)?;
        match (&self.signature, self.kind) {
            (SignatureCheck::Good { signer }, _) => write!(f, ", signed by {signer}"),
            (SignatureCheck::Unchecked { key, reason }, _) => {
                write!(f, ", signature by key {key} not checked ({reason})")
            }
            (SignatureCheck::NotSigned, SealKind::Age) => Ok(()),
            (SignatureCheck::NotSigned, SealKind::OpenPgp) => f.write_str(", not signed"),
        }
    }
}

/// How to open sealed files: the signatures to require, the age keys to try, how to run gpg, and
/// how to ask for an age passphrase.
#[derive(Clone, Default)]
pub struct UnsealOptions {
    /// Require a good OpenPGP signature from one of these (empty: any, or none, with a warning).
    pub signers: Vec<Fingerprint>,
    /// age identity files to try.
    pub identities: Vec<PathBuf>,
    /// How to run gpg.
    pub gpg: gpg::GpgSettings,
    /// Asks for an age passphrase; `None` where there is no terminal.
    pub passphrase: Option<PassphrasePrompt>,
}

impl fmt::Debug for UnsealOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnsealOptions")
            .field("signers", &self.signers)
            .field("identities", &self.identities)
            .field("gpg", &self.gpg)
            .field("passphrase", &self.passphrase.as_ref().map(|_| "prompt"))
            .finish()
    }
}

impl PartialEq for UnsealOptions {
    /// Equal settings; two prompts count as equal (they are interchangeable ways to ask).
    fn eq(&self, other: &Self) -> bool {
        self.signers == other.signers
            && self.identities == other.identities
            && self.gpg == other.gpg
            && self.passphrase.is_some() == other.passphrase.is_some()
    }
}

/// How many times this process decrypted each sealed file, by path as given. A sealed file is
/// meant to be decrypted once per command (both passes and a repair's closing reconciliation read
/// the one copy in memory); tests hold the commands to that through [`decryptions_of`].
static DECRYPTIONS: std::sync::Mutex<Option<std::collections::HashMap<std::path::PathBuf, u64>>> =
    std::sync::Mutex::new(None);

/// How many times this process has decrypted the sealed file at `path` (as it was given).
pub fn decryptions_of(path: &Path) -> u64 {
    let map = DECRYPTIONS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    map.as_ref().and_then(|m| m.get(path)).copied().unwrap_or(0)
}

fn count_decryption(path: &Path) {
    let mut map = DECRYPTIONS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *map.get_or_insert_with(Default::default)
        .entry(path.to_path_buf())
        .or_default() += 1;
}

/// Opens a seed file for reading: a plain file as its path (streamed later), a sealed one
/// decrypted into memory and checked against `o` (signature, recipients). Fails, naming the file
/// and what to do, when a sealed file cannot be opened or `--signer` is not satisfied.
pub fn open(path: &Path, o: &UnsealOptions) -> anyhow::Result<SeedSource> {
    let Some((sealing, sealed)) = detect::read_if_sealed(path, MAX_SEALED)? else {
        if !o.signers.is_empty() {
            anyhow::bail!(
                "{} is not sealed, so it carries no signature, but --signer requires one: use the \
                 signed file you were sent, or drop --signer",
                path.display()
            );
        }
        return Ok(SeedSource::file(path));
    };
    count_decryption(path);
    let sealed_sha256 = hex::encode(Sha256::digest(&sealed));
    let (plaintext, verified) = match sealing.kind {
        SealKind::OpenPgp => gpg::decrypt(path, &sealed, o)?,
        SealKind::Age => {
            // Refuse before asking for a passphrase that could not help.
            let verified = age::verified(path, o)?;
            (age::decrypt(path, &sealed, o)?, verified)
        }
    };
    for w in &verified.warnings {
        tracing::warn!("{}: {w}", path.display());
    }
    let info = SealInfo {
        kind: sealing.kind,
        armored: sealing.armored,
        encrypted: verified.encrypted,
        sealed_sha256,
        plaintext_sha256: hex::encode(Sha256::digest(plaintext.as_bytes())),
        plaintext_bytes: plaintext.as_bytes().len() as u64,
        signature: verified.signature,
        warnings: verified.warnings,
    };
    Ok(SeedSource::unsealed(path, Unsealed { plaintext, info }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signer_writes_user_id_in_camel_case_and_still_reads_the_old_name() {
        let old: Signer = serde_json::from_str(r#"{"fingerprint":"AB","user_id":"A <a@b>"}"#).unwrap();
        assert_eq!(old.user_id.as_deref(), Some("A <a@b>"));
        let json = serde_json::to_string(&old).unwrap();
        assert_eq!(json, r#"{"fingerprint":"AB","userId":"A <a@b>"}"#);
        assert_eq!(serde_json::from_str::<Signer>(&json).unwrap(), old);
    }

    #[test]
    fn fingerprints_are_accepted_as_people_paste_them() {
        let fp = Fingerprint::parse("aba1 9481 5e4c e11e 2a2e  6144 3a21 a8ca d141 8449").unwrap();
        assert_eq!(fp.as_str(), "ABA194815E4CE11E2A2E61443A21A8CAD1418449");
        assert_eq!(
            Fingerprint::parse("0xABA194815E4CE11E2A2E61443A21A8CAD1418449").unwrap(),
            fp
        );
    }

    #[test]
    fn a_plain_file_cannot_satisfy_signer_and_is_otherwise_read_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seeds.csv");
        std::fs::write(&path, "7886622,ccccccijgibu,b74be6169486,\n").unwrap();
        let pinned = UnsealOptions {
            signers: vec![Fingerprint::parse("ABA194815E4CE11E2A2E61443A21A8CAD1418449").unwrap()],
            ..UnsealOptions::default()
        };
        let err = format!("{:#}", open(&path, &pinned).unwrap_err());
        assert!(
            err.contains("seeds.csv is not sealed, so it carries no signature"),
            "{err}"
        );
        let source = open(&path, &UnsealOptions::default()).unwrap();
        assert!(source.seal().is_none());
        assert_eq!(source.path(), path);
    }

    #[test]
    fn key_ids_and_junk_are_not_fingerprints() {
        assert!(Fingerprint::parse("3A21A8CAD1418449")
            .unwrap_err()
            .contains("key id"));
        assert!(Fingerprint::parse("yubico@example.com")
            .unwrap_err()
            .contains("hex"));
        assert!(Fingerprint::parse("ABCD").unwrap_err().contains("4 hex digits"));
    }

    #[test]
    fn seal_info_says_who_signed_and_never_more() {
        let info = SealInfo {
            kind: SealKind::OpenPgp,
            armored: false,
            encrypted: true,
            sealed_sha256: "00".into(),
            plaintext_sha256: "11".into(),
            plaintext_bytes: 89,
            signature: SignatureCheck::Good {
                signer: Signer {
                    fingerprint: "ABA194815E4CE11E2A2E61443A21A8CAD1418449".into(),
                    user_id: Some("Yubico <x@example.test>".into()),
                },
            },
            warnings: vec![],
        };
        assert_eq!(
            info.to_string(),
            "OpenPGP-sealed, signed by \"Yubico <x@example.test>\" (ABA194815E4CE11E2A2E61443A21A8CAD1418449)"
        );
        let age = SealInfo {
            kind: SealKind::Age,
            signature: SignatureCheck::NotSigned,
            ..info
        };
        assert_eq!(age.to_string(), "age-sealed");
    }
}
