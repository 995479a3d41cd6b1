//! gpg's machine-readable report (`--status-fd`, lines starting `[GNUPG:] `; GnuPG's doc/DETAILS)
//! parsed into a [`Status`], and the decision about a decrypted file taken from it alone, never
//! from gpg's human text: [`verdict`] says whether the plaintext may be used and who signed it.
//! Pure functions, so every case is a unit test.

use super::{Fingerprint, SignatureCheck, Signer};
use std::fmt;

/// The prefix of every status line.
const PREFIX: &str = "[GNUPG:] ";

/// What gpg reported about one signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SigOutcome {
    /// `GOODSIG`: the signature checks out.
    Good,
    /// `BADSIG`: the data was changed after it was signed.
    Bad,
    /// `EXPSIG`: a good signature that has expired.
    ExpiredSignature,
    /// `EXPKEYSIG`: a good signature by a key that has since expired.
    ExpiredKey,
    /// `REVKEYSIG`: a good signature by a key that has been revoked.
    RevokedKey,
    /// `ERRSIG` with code 9 (or `NO_PUBKEY`): the signer's key is not in the keyring.
    NoPublicKey,
    /// `ERRSIG` with another code (an unsupported algorithm, say).
    Error(String),
}

/// One signature, as gpg reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sig {
    /// What gpg made of it.
    pub outcome: SigOutcome,
    /// The long key id (or fingerprint) gpg named first.
    pub key_id: String,
    /// The signer's user id, when gpg knows the key.
    pub user_id: Option<String>,
    /// The signing key's fingerprint (`VALIDSIG`, or the last field of `ERRSIG`).
    pub fingerprint: Option<String>,
    /// The primary key's fingerprint (`VALIDSIG`), when the signing key is a subkey or the same.
    pub primary: Option<String>,
}

impl Sig {
    fn new(outcome: SigOutcome, key_id: &str) -> Sig {
        Sig {
            outcome,
            key_id: key_id.to_string(),
            user_id: None,
            fingerprint: None,
            primary: None,
        }
    }

    /// Whether `fp` is this signature's key or its primary key.
    fn made_by(&self, fp: &Fingerprint) -> bool {
        [&self.fingerprint, &self.primary]
            .into_iter()
            .flatten()
            .any(|f| f.eq_ignore_ascii_case(fp.as_str()))
    }

    /// The signer as reports name it: the user id (if known) and the best key name available.
    pub fn signer(&self) -> Signer {
        Signer {
            fingerprint: self
                .primary
                .clone()
                .or_else(|| self.fingerprint.clone())
                .unwrap_or_else(|| self.key_id.clone()),
            user_id: self.user_id.clone(),
        }
    }
}

/// Everything gpg's status lines said about one `--decrypt`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// `ENC_TO`: the key ids the message is encrypted to.
    pub enc_to: Vec<String>,
    /// `NO_SECKEY`: recipients whose secret key we do not have.
    pub no_seckey: Vec<String>,
    /// `BEGIN_DECRYPTION`: the message is encrypted.
    pub encrypted: bool,
    /// `DECRYPTION_OKAY`.
    pub decryption_okay: bool,
    /// `DECRYPTION_FAILED` (or `BADMDC`): the plaintext must not be used.
    pub decryption_failed: bool,
    /// `PLAINTEXT`: literal data was found.
    pub plaintext: bool,
    /// `NODATA`: no OpenPGP data at all.
    pub no_data: bool,
    /// Every signature, in order.
    pub sigs: Vec<Sig>,
    /// `FAILURE` and `ERROR` lines, as gpg wrote them (locations and error codes, never data).
    pub failures: Vec<String>,
}

/// Parses gpg's stderr (status lines mixed with human text); the human lines are ignored.
pub fn parse<'a>(lines: impl IntoIterator<Item = &'a str>) -> Status {
    let mut s = Status::default();
    for line in lines {
        let Some(rest) = line.strip_prefix(PREFIX) else {
            continue;
        };
        let mut words = rest.splitn(2, ' ');
        let keyword = words.next().unwrap_or_default();
        let args = words.next().unwrap_or_default();
        s.take(keyword, args);
    }
    s
}

impl Status {
    fn take(&mut self, keyword: &str, args: &str) {
        let first = args.split(' ').next().unwrap_or_default();
        match keyword {
            "ENC_TO" => self.enc_to.push(first.to_string()),
            "NO_SECKEY" => self.no_seckey.push(first.to_string()),
            "BEGIN_DECRYPTION" => self.encrypted = true,
            "DECRYPTION_OKAY" => self.decryption_okay = true,
            "DECRYPTION_FAILED" | "BADMDC" => self.decryption_failed = true,
            "PLAINTEXT" => self.plaintext = true,
            "NODATA" => self.no_data = true,
            "NEWSIG" => self
                .sigs
                .push(Sig::new(SigOutcome::Error("no result".into()), "")),
            "GOODSIG" => self.sig_result(SigOutcome::Good, args),
            "BADSIG" => self.sig_result(SigOutcome::Bad, args),
            "EXPSIG" => self.sig_result(SigOutcome::ExpiredSignature, args),
            "EXPKEYSIG" => self.sig_result(SigOutcome::ExpiredKey, args),
            "REVKEYSIG" => self.sig_result(SigOutcome::RevokedKey, args),
            "ERRSIG" => self.errsig(args),
            // Follows ERRSIG for the same key; alone (gpg 1.x) it is the whole answer.
            "NO_PUBKEY" if !self.sigs.last().is_some_and(|s| s.key_id == first) => {
                self.sigs.push(Sig::new(SigOutcome::NoPublicKey, first));
            }
            "VALIDSIG" => {
                let f: Vec<&str> = args.split(' ').collect();
                if let Some(sig) = self.sigs.last_mut() {
                    sig.fingerprint = f.first().map(|s| s.to_string());
                    sig.primary = f.get(9).filter(|p| !p.is_empty()).map(|s| s.to_string());
                }
            }
            "FAILURE" | "ERROR" => self.failures.push(args.to_string()),
            _ => {}
        }
    }

    /// The result of the signature `NEWSIG` opened (gpg 1.x sends no `NEWSIG`: then a new one).
    fn current_sig(&mut self, key_id: &str) -> &mut Sig {
        let reuse = self.sigs.last().is_some_and(|s| s.key_id.is_empty());
        if !reuse {
            self.sigs
                .push(Sig::new(SigOutcome::Error("no result".into()), ""));
        }
        let sig = self
            .sigs
            .last_mut()
            .expect("a signature was just pushed or found");
        sig.key_id = key_id.to_string();
        sig
    }

    fn sig_result(&mut self, outcome: SigOutcome, args: &str) {
        let (key_id, user_id) = args.split_once(' ').unwrap_or((args, ""));
        let sig = self.current_sig(key_id);
        sig.outcome = outcome;
        sig.user_id = (!user_id.is_empty()).then(|| printable(user_id));
    }

    /// `ERRSIG <keyid> <pkalgo> <hashalgo> <sig_class> <time> <rc> [<fpr>]`.
    fn errsig(&mut self, args: &str) {
        let f: Vec<&str> = args.split(' ').collect();
        let outcome = match f.get(5) {
            Some(&"9") => SigOutcome::NoPublicKey,
            Some(rc) => SigOutcome::Error(format!("gpg error code {rc}")),
            None => SigOutcome::Error("unknown error".into()),
        };
        let sig = self.current_sig(f.first().copied().unwrap_or_default());
        sig.outcome = outcome;
        sig.fingerprint = f
            .get(6)
            .filter(|p| **p != "-" && !p.is_empty())
            .map(|s| s.to_string());
    }
}

/// A user id from a status line: gpg `%XX`-escapes control characters; decode them, then show
/// anything still unprintable (controls, bidi overrides) as `?`, so a hostile user id cannot
/// drive the terminal or reorder what it shows.
fn printable(escaped: &str) -> String {
    let bytes = escaped.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out)
        .chars()
        .map(|c| if crate::secret::is_unsafe_char(c) { '?' } else { c })
        .take(200)
        .collect()
}

/// Why a decrypted OpenPGP file may not be used. The caller adds the file's name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No secret key for any recipient.
    #[error(
        "it is not encrypted to any key in your keyring: it was sealed for key {}; import that secret \
         key, or plug in the card that holds it",
        .keys.join(", key ")
    )]
    NotForUs {
        /// The recipients' key ids.
        keys: Vec<String>,
    },
    /// Decryption failed for another reason.
    #[error(
        "gpg could not decrypt it: it is damaged or was tampered with, or the passphrase or PIN was \
         not given{}",
        detail_text(.detail)
    )]
    DecryptionFailed {
        /// gpg's FAILURE/ERROR codes, if any.
        detail: Option<String>,
    },
    /// Not OpenPGP data after all.
    #[error("gpg found no OpenPGP data in it")]
    NotOpenPgp,
    /// A signature does not match the data.
    #[error(
        "it has a BAD signature from {signer}: it was changed after it was signed, or is damaged; do \
         not use it, and ask the sender for a new copy"
    )]
    BadSignature {
        /// Who the signature claims to be from.
        signer: Signer,
    },
    /// `--signer` was given and the file carries no signature.
    #[error("it is not signed, but --signer requires a good signature from {}", one_of(.expected))]
    Unsigned {
        /// The accepted fingerprints.
        expected: Vec<Fingerprint>,
    },
    /// Signed, but by someone else.
    #[error("it is signed by {signer}, expected {}", one_of(.expected))]
    WrongSigner {
        /// The actual signer.
        signer: Signer,
        /// The accepted fingerprints.
        expected: Vec<Fingerprint>,
    },
    /// Signed by a key gpg does not have, so it could not be checked.
    #[error(
        "it is signed by key {key}, which is not in your keyring, so the signature cannot be checked: \
         import the sender's public key (gpg --import) and compare its fingerprint with {}",
        one_of(.expected)
    )]
    UnknownSigner {
        /// The key id or fingerprint gpg named.
        key: String,
        /// The accepted fingerprints.
        expected: Vec<Fingerprint>,
    },
    /// A signature by an accepted key that cannot be relied on.
    #[error("it is signed by {signer}, but {why}; ask the sender for a fresh copy")]
    UnusableSignature {
        /// The signer.
        signer: Signer,
        /// What is wrong with it.
        why: String,
    },
    /// gpg failed in a way the status lines do not explain.
    #[error("gpg failed{}", detail_text(.detail))]
    Failed {
        /// gpg's FAILURE/ERROR codes or its last message.
        detail: Option<String>,
    },
}

fn detail_text(detail: &Option<String>) -> String {
    detail.as_ref().map_or(String::new(), |d| format!(" ({d})"))
}

fn one_of(expected: &[Fingerprint]) -> String {
    let names: Vec<&str> = expected.iter().map(Fingerprint::as_str).collect();
    match names.as_slice() {
        [one] => format!("--signer {one}"),
        many => format!("one of --signer {}", many.join(", ")),
    }
}

/// A decrypted OpenPGP file that may be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// Whether it was encrypted (a signed-only message is readable by anyone with the file).
    pub encrypted: bool,
    /// What its signature says.
    pub signature: SignatureCheck,
    /// Things the operator should hear (unsigned, not encrypted, unchecked signature).
    pub warnings: Vec<String>,
}

/// Decides from gpg's status lines and exit code whether the plaintext may be used. With
/// `signers`, a good signature from one of them is required; without, an unsigned or unchecked
/// file is accepted with a warning. A bad signature or a failed decryption is never accepted.
pub fn verdict(s: &Status, exit_ok: bool, signers: &[Fingerprint]) -> Result<Verified, Refusal> {
    let detail = (!s.failures.is_empty()).then(|| s.failures.join("; "));
    if s.no_data && !s.plaintext {
        return Err(Refusal::NotOpenPgp);
    }
    if s.encrypted && (!s.decryption_okay || s.decryption_failed) {
        if !s.enc_to.is_empty() && s.enc_to.iter().all(|k| s.no_seckey.contains(k)) {
            return Err(Refusal::NotForUs {
                keys: s.enc_to.clone(),
            });
        }
        return Err(Refusal::DecryptionFailed { detail });
    }
    if !s.plaintext || s.decryption_failed {
        return Err(Refusal::Failed { detail });
    }
    if let Some(bad) = s.sigs.iter().find(|g| g.outcome == SigOutcome::Bad) {
        return Err(Refusal::BadSignature { signer: bad.signer() });
    }
    let mut warnings = Vec::new();
    if !s.encrypted {
        warnings.push(
            "it is signed but not encrypted: anyone who can read the file can read the seeds in it"
                .to_string(),
        );
    }
    let signature = if signers.is_empty() {
        unpinned(&s.sigs, &mut warnings)
    } else {
        // Which signature is missing or unusable says more than a failure code; check it first.
        let good = pinned(&s.sigs, signers)?;
        strictly_clean(s, exit_ok, signers)?;
        good
    };
    // gpg exits non-zero for a signature it could not check; anything else is a failure.
    let explained = s.sigs.iter().any(|g| g.outcome != SigOutcome::Good);
    if !exit_ok && !explained {
        return Err(Refusal::Failed { detail });
    }
    Ok(Verified {
        encrypted: s.encrypted,
        signature,
        warnings,
    })
}

/// With `--signer`, nothing else may be wrong: no `ERROR` or `FAILURE` status, no data that is not
/// OpenPGP (`NODATA` beside the plaintext: trailing junk), and a non-zero exit only when a
/// signature by a key that is not pinned explains it (an extra signature nobody asked for).
fn strictly_clean(s: &Status, exit_ok: bool, signers: &[Fingerprint]) -> Result<(), Refusal> {
    if !s.failures.is_empty() {
        return Err(Refusal::Failed {
            detail: Some(s.failures.join("; ")),
        });
    }
    if s.no_data {
        return Err(Refusal::Failed {
            detail: Some("it carries data that is not OpenPGP beside the message".into()),
        });
    }
    let pinned_key = |g: &Sig| signers.iter().any(|fp| g.made_by(fp));
    let explained = s
        .sigs
        .iter()
        .any(|g| g.outcome != SigOutcome::Good && !pinned_key(g));
    if !exit_ok && !explained {
        return Err(Refusal::Failed {
            detail: Some("gpg reported an error although the pinned signature is good".into()),
        });
    }
    Ok(())
}

/// With `--signer`: a good, current signature from one of `signers`, or a refusal saying why not.
fn pinned(sigs: &[Sig], signers: &[Fingerprint]) -> Result<SignatureCheck, Refusal> {
    let expected = signers.to_vec();
    let ours = |g: &&Sig| signers.iter().any(|fp| g.made_by(fp));
    if let Some(good) = sigs.iter().filter(ours).find(|g| g.outcome == SigOutcome::Good) {
        return Ok(SignatureCheck::Good {
            signer: good.signer(),
        });
    }
    if let Some(g) = sigs.iter().find(ours) {
        let why = match &g.outcome {
            SigOutcome::ExpiredSignature => "the signature has expired".to_string(),
            SigOutcome::ExpiredKey => "the signing key has expired".to_string(),
            SigOutcome::RevokedKey => "the signing key has been revoked".to_string(),
            SigOutcome::NoPublicKey => {
                "its public key is not in your keyring (gpg --import it), so the signature cannot \
                 be checked"
                    .to_string()
            }
            SigOutcome::Error(e) => format!("gpg could not check the signature ({e})"),
            SigOutcome::Good | SigOutcome::Bad => "the signature is unusable".to_string(),
        };
        return Err(Refusal::UnusableSignature {
            signer: g.signer(),
            why,
        });
    }
    match sigs.first() {
        None => Err(Refusal::Unsigned { expected }),
        Some(g) if g.outcome == SigOutcome::NoPublicKey => Err(Refusal::UnknownSigner {
            key: g.fingerprint.clone().unwrap_or_else(|| g.key_id.clone()),
            expected,
        }),
        Some(g) => Err(Refusal::WrongSigner {
            signer: g.signer(),
            expected,
        }),
    }
}

/// Without `--signer`: who signed it, and a warning when nobody (checkably) did.
fn unpinned(sigs: &[Sig], warnings: &mut Vec<String>) -> SignatureCheck {
    if let Some(good) = sigs.iter().find(|g| g.outcome == SigOutcome::Good) {
        return SignatureCheck::Good {
            signer: good.signer(),
        };
    }
    let Some(g) = sigs.first() else {
        warnings.push(
            "it is not signed, so where it came from cannot be checked; pass --signer FINGERPRINT to \
             require a signature"
                .to_string(),
        );
        return SignatureCheck::NotSigned;
    };
    let reason = match &g.outcome {
        SigOutcome::NoPublicKey => "the signer's key is not in your keyring".to_string(),
        SigOutcome::ExpiredSignature => "the signature has expired".to_string(),
        SigOutcome::ExpiredKey => "the signing key has expired".to_string(),
        SigOutcome::RevokedKey => "the signing key has been revoked".to_string(),
        SigOutcome::Error(e) => e.clone(),
        SigOutcome::Good | SigOutcome::Bad => "unexpected".to_string(),
    };
    let key = g.fingerprint.clone().unwrap_or_else(|| g.key_id.clone());
    warnings.push(format!(
        "its signature by key {key} was not checked: {reason}; pass --signer FINGERPRINT to require a \
         good one"
    ));
    SignatureCheck::Unchecked { key, reason }
}

impl fmt::Display for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.user_id {
            Some(uid) => write!(f, "\"{uid}\" ({})", self.fingerprint),
            None => write!(f, "key {}", self.fingerprint),
        }
    }
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
