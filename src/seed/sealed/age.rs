//! age files, in process with the `age` crate: decrypted with the operator's identity files
//! (`--identity`, `YKPROV_AGE_IDENTITY`) or, for a passphrase-sealed file, a passphrase asked for
//! through the command layer's prompt; sealed to X25519 recipients (`age1...`). age has no
//! signatures, so `--signer` cannot be satisfied by an age file. Plugin identities
//! (`AGE-PLUGIN-YUBIKEY-1…`, a key kept on a YubiKey) work through the plugin's binary
//! (`age-plugin-yubikey` on PATH, the `age` crate's `plugin` feature): its messages ("touch your
//! YubiKey") are logged, its PIN asked through the same prompt as a passphrase; without the binary
//! the identity file is refused naming it.

use super::buffer::{Plaintext, ReadError};
use super::status::Verified;
use super::{PassphrasePrompt, SignatureCheck, UnsealOptions, MAX_PLAINTEXT};
use age::secrecy::SecretString;
use age::{DecryptError, Identity};
use anyhow::Context;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// An age file passes `--signer` never: say so before anything is decrypted.
pub fn verified(path: &Path, o: &UnsealOptions) -> anyhow::Result<Verified> {
    if !o.signers.is_empty() {
        anyhow::bail!(
            "{} is an age file, and age files carry no signature, so --signer cannot be satisfied: \
             drop --signer for age files (or have the sender sign with OpenPGP)",
            path.display()
        );
    }
    Ok(Verified {
        encrypted: true,
        signature: SignatureCheck::NotSigned,
        warnings: Vec::new(),
    })
}

/// Decrypts the age file whose bytes are `sealed` (binary or armoured).
pub fn decrypt(path: &Path, sealed: &[u8], o: &UnsealOptions) -> anyhow::Result<Plaintext> {
    let name = path.display();
    let decryptor = age::Decryptor::new_buffered(age::armor::ArmoredReader::new(sealed))
        .map_err(|e| anyhow::anyhow!("{name}: {}", problem(&e, false, &o.identities)))?;
    let scrypt = decryptor.is_scrypt();
    let reader = if scrypt {
        let prompt = o.passphrase.as_ref().ok_or_else(|| {
            anyhow::anyhow!(
                "{name} is sealed with an age passphrase, and there is no terminal to ask for it on: \
                 run ykprov in a terminal, or seal the file to an age key and pass --identity"
            )
        })?;
        let passphrase = prompt(&format!("passphrase for {name}")).map_err(|e| {
            anyhow::anyhow!(
                "{name} is sealed with an age passphrase, and it could not be asked for ({e:#}): run \
                 ykprov in a terminal, or seal the file to an age key and pass --identity"
            )
        })?;
        let identity = age::scrypt::Identity::new(SecretString::from(passphrase.expose().clone()));
        decryptor.decrypt(std::iter::once(&identity as &dyn Identity))
    } else {
        let identities = load_identities(path, &o.identities, o.passphrase.clone())?;
        decryptor.decrypt(identities.iter().map(|i| i.as_ref() as &dyn Identity))
    };
    let mut reader = reader.map_err(|e| anyhow::anyhow!("{name}: {}", problem(&e, scrypt, &o.identities)))?;
    // The payload is checked chunk by chunk as it is read: a tampered chunk is an I/O error here,
    // and the plaintext read so far is wiped as the buffer drops.
    Plaintext::read_from(&mut reader, MAX_PLAINTEXT, sealed.len()).map_err(|e| match e {
        ReadError::TooLarge { limit } => anyhow::anyhow!(
            "{name} decrypts to more than {limit} bytes, the most ykprov keeps in memory; split the \
             seed file"
        ),
        ReadError::Io(e) => anyhow::anyhow!(
            "{name} is damaged or was tampered with: its contents fail age's integrity check ({e})"
        ),
    })
}

/// How an age plugin talks to the operator while it decrypts: what it says ("touch your YubiKey")
/// is logged, what it asks for in secret (a PIN) goes through the command layer's prompt, and a
/// question needing a visible answer is declined (no plugin ykprov documents asks one).
#[derive(Clone)]
struct PluginUi {
    prompt: Option<PassphrasePrompt>,
}

impl age::Callbacks for PluginUi {
    fn display_message(&self, message: &str) {
        tracing::warn!("{message}");
    }

    fn confirm(&self, _message: &str, _yes: &str, _no: Option<&str>) -> Option<bool> {
        None
    }

    fn request_public_string(&self, _description: &str) -> Option<String> {
        None
    }

    fn request_passphrase(&self, description: &str) -> Option<SecretString> {
        let prompt = self.prompt.as_ref()?;
        match prompt(description) {
            Ok(answer) => Some(SecretString::from(answer.expose().clone())),
            Err(e) => {
                tracing::warn!("{description}: {e:#}");
                None
            }
        }
    }
}

/// An identity file's identities as what to do: a plugin identity whose plugin is not installed
/// names the plugin's binary and where to get it (the `age` crate's message names neither the file
/// nor the fix).
fn identity_problem(file: &Path, e: &DecryptError) -> anyhow::Error {
    if let DecryptError::PluginResolve(age::plugin::ResolveError::MissingPlugin { binary_name }) = e {
        return anyhow::anyhow!(
            "age identity file {} holds a plugin identity for {binary_name} (a key kept on a \
             hardware token), and {binary_name} is not installed (not found on PATH): install it \
             (for a YubiKey: `cargo install age-plugin-yubikey`, with pcscd running), or pass an \
             age key file made by age-keygen",
            file.display()
        );
    }
    anyhow::anyhow!("age identity file {}: {e}", file.display())
}

/// The identities in `files`, each file named in its error; a plugin identity's plugin asks its
/// questions through `prompt`.
fn load_identities(
    path: &Path,
    files: &[PathBuf],
    prompt: Option<PassphrasePrompt>,
) -> anyhow::Result<Vec<Box<dyn Identity + Send + Sync>>> {
    if files.is_empty() {
        anyhow::bail!(
            "{} is age-encrypted: pass --identity FILE (or set YKPROV_AGE_IDENTITY) with the age key \
             it was sealed for",
            path.display()
        );
    }
    let mut all = Vec::new();
    for file in files {
        warn_if_shared(file);
        let name = file.to_string_lossy().into_owned();
        // age's parse errors give the line number, never the line.
        let parsed = age::IdentityFile::from_file(name)
            .with_context(|| format!("cannot read age identity file {}", file.display()))?;
        let ids = parsed
            .with_callbacks(PluginUi {
                prompt: prompt.clone(),
            })
            .into_identities()
            .map_err(|e| identity_problem(file, &e))?;
        if ids.is_empty() {
            anyhow::bail!("age identity file {} holds no identity", file.display());
        }
        all.extend(ids);
    }
    Ok(all)
}

/// An identity file anyone else can read is as good as published.
fn warn_if_shared(file: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(file) {
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(
                    "age identity file {} is readable by others; chmod 600 it",
                    file.display()
                );
            }
        }
    }
}

/// age's errors as what to do.
fn problem(e: &DecryptError, scrypt: bool, identities: &[PathBuf]) -> String {
    match e {
        DecryptError::NoMatchingKeys => {
            let given: Vec<String> = identities.iter().map(|p| p.display().to_string()).collect();
            format!(
                "none of the age identities given (--identity {}) can open it: it was sealed for \
                 other recipients",
                given.join(", ")
            )
        }
        DecryptError::DecryptionFailed | DecryptError::KeyDecryptionFailed | DecryptError::InvalidMac
            if scrypt =>
        {
            "wrong passphrase (or the file is damaged)".into()
        }
        DecryptError::DecryptionFailed | DecryptError::KeyDecryptionFailed | DecryptError::InvalidMac => {
            "it is damaged or was tampered with (age's integrity check failed)".into()
        }
        DecryptError::ExcessiveWork { .. } => {
            "its passphrase needs more work than age allows on this machine (sealed with a very high \
             scrypt work factor)"
                .into()
        }
        DecryptError::InvalidHeader | DecryptError::UnknownFormat => {
            "it is not a valid age file (damaged, or made by a newer version of age)".into()
        }
        DecryptError::Io(e) => format!("cannot read it ({e})"),
        other => format!("age cannot open it ({other})"),
    }
}

/// An age recipient (`age1...`), parsed.
pub fn parse_recipient(text: &str) -> Result<age::x25519::Recipient, String> {
    age::x25519::Recipient::from_str(text.trim()).map_err(|_| {
        format!(
            "`{}` is not an age recipient (age1... from age-keygen -y)",
            text.trim()
        )
    })
}

/// The recipients in an age recipients file: one per line, `#` comments and blank lines ignored.
pub fn read_recipients_file(file: &Path) -> anyhow::Result<Vec<age::x25519::Recipient>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read recipients file {}", file.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(parse_recipient(line).map_err(|e| anyhow::anyhow!("{}:{}: {e}", file.display(), i + 1))?);
    }
    if out.is_empty() {
        anyhow::bail!("recipients file {} lists no recipient", file.display());
    }
    Ok(out)
}

/// Encrypts what `plain` yields to `recipients`, binary (not armoured).
pub fn encrypt(plain: &mut dyn Read, recipients: &[age::x25519::Recipient]) -> anyhow::Result<Vec<u8>> {
    let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
        .map_err(|e| anyhow::anyhow!("cannot seal for these recipients: {e}"))?;
    let mut sealed = Vec::new();
    let mut writer = encryptor
        .wrap_output(&mut sealed)
        .context("cannot start the age file")?;
    io::copy(plain, &mut writer).context("cannot seal the file")?;
    writer.finish().context("cannot finish the age file")?;
    Ok(sealed)
}

#[cfg(test)]
#[path = "age_tests.rs"]
mod tests;
