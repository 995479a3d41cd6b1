//! `ykprov seal`'s work: validate a plaintext seed file (reporting, never changing it), encrypt
//! it byte for byte to age or OpenPGP recipients, and write the sealed file atomically, mode 0600,
//! never over an existing file unless asked. The plaintext is left for the operator to delete.

use super::gpg::{self, GpgSettings};
use super::{age, detect, SealKind};
use crate::seed::report::{validate_file, FileReport, ValidationOptions};
use crate::seed::source::Hashing;
use anyhow::Context;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Who can open the sealed file.
pub enum Recipients {
    /// age X25519 recipients.
    Age(Vec<::age::x25519::Recipient>),
    /// OpenPGP keys (fingerprints, key ids or user ids gpg resolves), optionally signed.
    OpenPgp {
        /// Keys to encrypt to.
        keys: Vec<String>,
        /// Key to sign with.
        sign_with: Option<String>,
    },
}

impl Recipients {
    /// Which format these recipients seal in.
    pub fn kind(&self) -> SealKind {
        match self {
            Recipients::Age(_) => SealKind::Age,
            Recipients::OpenPgp { .. } => SealKind::OpenPgp,
        }
    }

    /// How many recipients.
    pub fn len(&self) -> usize {
        match self {
            Recipients::Age(r) => r.len(),
            Recipients::OpenPgp { keys, .. } => keys.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What to seal, for whom, and where.
pub struct SealRequest {
    /// The plaintext seed file.
    pub input: PathBuf,
    /// Who can open the result.
    pub recipients: Recipients,
    /// Where to write it (default: the input with `.age` or `.gpg` appended).
    pub out: Option<PathBuf>,
    /// Replace an existing output file.
    pub force: bool,
    /// How to validate the input first.
    pub validation: ValidationOptions,
    /// How to run gpg.
    pub gpg: GpgSettings,
}

/// What sealing did.
#[derive(Debug)]
pub struct Sealed {
    /// The validation of the plaintext, or why it could not be validated (it is sealed anyway).
    pub validation: Result<FileReport, String>,
    /// The sealed file written.
    pub out: PathBuf,
    /// Its format.
    pub kind: SealKind,
    /// SHA-256 of the plaintext sealed (the journal's `input_sha256` when it is uploaded).
    pub plaintext_sha256: String,
    /// SHA-256 of the sealed file.
    pub sealed_sha256: String,
    /// How many recipients can open it.
    pub recipients: usize,
    /// The key it was signed with.
    pub signed_with: Option<String>,
}

/// The default output: `SEEDS.csv` → `SEEDS.csv.age` or `SEEDS.csv.gpg`.
pub fn default_out(input: &Path, kind: SealKind) -> PathBuf {
    let mut name = input.as_os_str().to_os_string();
    name.push(match kind {
        SealKind::Age => ".age",
        SealKind::OpenPgp => ".gpg",
    });
    PathBuf::from(name)
}

/// Validates, seals and writes. Fails before writing anything when the input is already sealed,
/// the output exists (without `force`), or encryption fails; a file that does not validate is
/// still sealed, its problems returned.
pub fn seal(r: &SealRequest) -> anyhow::Result<Sealed> {
    let input = &r.input;
    if r.recipients.is_empty() {
        anyhow::bail!("no recipients: nobody could open the sealed file");
    }
    if let Some(s) = detect::detect_file(input)? {
        anyhow::bail!("{} is already {}-sealed", input.display(), s.kind);
    }
    let kind = r.recipients.kind();
    let out = r.out.clone().unwrap_or_else(|| default_out(input, kind));
    if same_file(input, &out) {
        anyhow::bail!(
            "--out {} is the seed file itself; choose another name",
            out.display()
        );
    }
    if out.exists() && !r.force {
        anyhow::bail!(
            "{} already exists; pass --force to replace it, or --out to choose another name",
            out.display()
        );
    }
    let validation = validate_file(input, &r.validation).map_err(|e| format!("{e:#}"));
    let file = std::fs::File::open(input).with_context(|| format!("cannot open {}", input.display()))?;
    let mut plain = Hashing {
        inner: file,
        hasher: Sha256::new(),
    };
    let (sealed, signed_with) = match &r.recipients {
        Recipients::Age(recipients) => (age::encrypt(&mut plain, recipients)?, None),
        Recipients::OpenPgp { keys, sign_with } => (
            gpg::encrypt(&r.gpg, &mut plain, keys, sign_with.as_deref())?,
            sign_with.clone(),
        ),
    };
    let plaintext_sha256 = hex::encode(plain.hasher.finalize());
    if let Ok(report) = &validation {
        if report.sha256 != plaintext_sha256 {
            anyhow::bail!(
                "{} changed while it was being sealed; nothing was written: seal it again once it is \
                 no longer being written",
                input.display()
            );
        }
    }
    crate::atomic::write(&out, |w| Ok(w.write_all(&sealed)?))?;
    Ok(Sealed {
        validation,
        out,
        kind,
        plaintext_sha256,
        sealed_sha256: hex::encode(Sha256::digest(&sealed)),
        recipients: r.recipients.len(),
        signed_with,
    })
}

/// Whether two paths name one file (the output may not exist yet).
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_output_appends_the_format() {
        assert_eq!(
            default_out(Path::new("dir/seeds.csv"), SealKind::Age),
            PathBuf::from("dir/seeds.csv.age")
        );
        assert_eq!(
            default_out(Path::new("seeds.csv"), SealKind::OpenPgp),
            PathBuf::from("seeds.csv.gpg")
        );
    }
}
