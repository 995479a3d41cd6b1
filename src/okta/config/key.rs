//! The private key as the SDKs take it: PEM text, a JWK, or a path to a file holding either. The
//! value may be the key itself, so no message ever quotes it: a value that is neither is "neither
//! PEM, a JWK nor a readable file", named by its source only. Files are read once and capped.

use super::jwk::jwk_to_pem;
use super::warn_if_shared;
use super::Sourced;
use crate::secret::Secret;
use anyhow::Context;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest key file read: a 16384-bit RSA PEM is under 13 KiB.
const MAX_KEY_BYTES: u64 = 64 * 1024;

/// A PEM or JWK given inline, or a path to read one from (warning when the file is shared).
pub(super) fn load_private_key(raw: Sourced<Secret<String>>) -> anyhow::Result<Sourced<Secret<String>>> {
    let source = raw.source.clone();
    if let Some(pem) = inline_key(raw.value.expose()).with_context(|| unusable(&source))? {
        return Ok(Sourced { value: pem, source });
    }
    let candidate = raw.value.expose().trim();
    // Multi-line text or something too long for a path is key material without its PEM armour:
    // never treat it as a path (its error would print it).
    let path = (!candidate.contains('\n') && candidate.len() < 4096)
        .then(|| PathBuf::from(candidate))
        .filter(|p| p.is_file());
    let Some(path) = path else {
        anyhow::bail!("the private key from {source} is neither PEM, a JWK nor a readable file")
    };
    // A flag names a path and nothing else; from elsewhere the value was only found to be one.
    let text = read_key_file(&path).with_context(|| unusable(&source))?;
    let key = inline_key(text.expose())
        .with_context(|| unusable(&source))?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the private key file {} (from {source}) holds neither PEM nor a JWK",
                path.display()
            )
        })?;
    warn_if_shared(&path);
    Ok(Sourced {
        value: key,
        source: format!("{source} (file {})", path.display()),
    })
}

fn unusable(source: &str) -> String {
    format!("the private key from {source} is not usable")
}

/// PEM text (with the SDKs' literal `\n` escapes allowed) or a JWK; `None` for anything else.
fn inline_key(text: &str) -> anyhow::Result<Option<Secret<String>>> {
    if text.contains("-----BEGIN") {
        return Ok(Some(Secret::new(text.replace("\\n", "\n"))));
    }
    if text.trim_start().starts_with('{') {
        return jwk_to_pem(text).map(Some);
    }
    Ok(None)
}

/// At most [`MAX_KEY_BYTES`] of a key file, in one open (a FIFO or `/dev/zero` cannot hang it).
fn read_key_file(path: &Path) -> anyhow::Result<Secret<String>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open the key file {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_KEY_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read the key file {}", path.display()))?;
    let bytes = Secret::new(bytes);
    if bytes.expose().len() as u64 > MAX_KEY_BYTES {
        anyhow::bail!(
            "the key file {} is larger than {} KiB",
            path.display(),
            MAX_KEY_BYTES / 1024
        );
    }
    let text = std::str::from_utf8(bytes.expose())
        .map_err(|_| anyhow::anyhow!("the key file {} is not text (PEM or JWK)", path.display()))?;
    Ok(Secret::new(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_env(value: &str) -> anyhow::Result<Sourced<Secret<String>>> {
        load_private_key(Sourced {
            value: Secret::new(value.to_string()),
            source: "OKTA_CLIENT_PRIVATEKEY".into(),
        })
    }

    #[test]
    fn key_material_that_is_not_a_key_is_never_quoted() {
        // A PEM body without its BEGIN line, and a one-line base64 blob.
        for value in [
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nq2lF0Secretbody\n-----END PRIVATE KEY-----",
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7q2lF0Secretbody",
        ] {
            let err = format!("{:#}", from_env(value).unwrap_err());
            assert!(err.contains("neither PEM, a JWK nor a readable file"), "{err}");
            assert!(!err.contains("Secretbody") && !err.contains("MIIE"), "{err}");
        }
    }

    #[test]
    fn a_jwk_inline_or_in_a_file_is_accepted() {
        let jwk = include_str!("../../../tests/fixtures/keys/test-ec.jwk.json");
        assert!(from_env(jwk)
            .unwrap()
            .value
            .expose()
            .contains("BEGIN PRIVATE KEY"));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("key.json");
        std::fs::write(&p, jwk).unwrap();
        let k = from_env(p.to_str().unwrap()).unwrap();
        assert!(k.source.contains("key.json"));
    }

    #[test]
    fn an_endless_key_file_is_refused() {
        let err = format!("{:#}", from_env("/dev/zero").unwrap_err());
        assert!(err.contains("neither") || err.contains("larger"), "{err}");
    }
}
