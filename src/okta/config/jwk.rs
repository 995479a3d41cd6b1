//! A private JWK (RFC 7517/7518), as Okta's Admin Console offers it and the SDKs accept it, turned
//! into the PEM the signer reads: RSA as PKCS#1, EC (P-256, P-384) as PKCS#8. Only the few DER
//! shapes these need are encoded here; every buffer holding key bytes is wiped on drop.

use crate::secret::Secret;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::Deserialize;
use zeroize::Zeroizing;

/// The members of a private JWK this reads (every one a base64url string).
#[derive(Deserialize)]
struct Jwk {
    kty: String,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    d: Option<String>,
    n: Option<String>,
    e: Option<String>,
    p: Option<String>,
    q: Option<String>,
    dp: Option<String>,
    dq: Option<String>,
    qi: Option<String>,
}

impl Drop for Jwk {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        for secret in [
            &mut self.d,
            &mut self.p,
            &mut self.q,
            &mut self.dp,
            &mut self.dq,
            &mut self.qi,
        ] {
            secret.zeroize();
        }
    }
}

/// One JWK, or a JWK set (some tools wrap a single key in one).
#[derive(Deserialize)]
#[serde(untagged)]
enum Given {
    Set { keys: Vec<Jwk> },
    One(Box<Jwk>),
}

/// PEM text for a private JWK (or a JWK set holding one private key). Errors never quote the key.
pub(super) fn jwk_to_pem(text: &str) -> anyhow::Result<Secret<String>> {
    let given: Given = serde_json::from_str(text).map_err(|_| {
        anyhow::anyhow!(
            "it looks like a JWK but is not one (no `kty`, a member that is not a string, or not JSON)"
        )
    })?;
    let jwk = match &given {
        Given::One(jwk) => jwk,
        Given::Set { keys } => match keys.as_slice() {
            [one] => one,
            _ => anyhow::bail!("the JWK set holds {} keys; give the one private key", keys.len()),
        },
    };
    match jwk.kty.as_str() {
        "RSA" => rsa_pem(jwk),
        "EC" => ec_pem(jwk),
        _ => anyhow::bail!("the JWK's key type is not supported (RSA or EC)"),
    }
}

/// One base64url member, decoded, or which one is missing or bad.
fn member(value: &Option<String>, name: &str) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    let text = value
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("the JWK has no `{name}` (a private key needs it)"))?;
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map(Zeroizing::new)
        .map_err(|_| anyhow::anyhow!("the JWK's `{name}` is not base64url"))
}

fn rsa_pem(jwk: &Jwk) -> anyhow::Result<Secret<String>> {
    let mut body = Zeroizing::new(der_uint(&[0]));
    for (value, name) in [
        (&jwk.n, "n"),
        (&jwk.e, "e"),
        (&jwk.d, "d"),
        (&jwk.p, "p"),
        (&jwk.q, "q"),
        (&jwk.dp, "dp"),
        (&jwk.dq, "dq"),
        (&jwk.qi, "qi"),
    ] {
        body.extend_from_slice(&der_uint(&member(value, name)?));
    }
    Ok(pem("RSA PRIVATE KEY", &der(0x30, &body)))
}

fn ec_pem(jwk: &Jwk) -> anyhow::Result<Secret<String>> {
    // id-ecPublicKey, then the curve's OID, both as whole DER values.
    const EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    const P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
    let (curve, size) = match jwk.crv.as_deref() {
        Some("P-256") => (P256, 32),
        Some("P-384") => (P384, 48),
        _ => anyhow::bail!("the JWK's curve is not supported (P-256 or P-384)"),
    };
    let d = fixed(&member(&jwk.d, "d")?, size, "d")?;
    let mut point = Zeroizing::new(vec![0x00, 0x04]);
    point.extend_from_slice(&fixed(&member(&jwk.x, "x")?, size, "x")?);
    point.extend_from_slice(&fixed(&member(&jwk.y, "y")?, size, "y")?);
    let mut sec1 = Zeroizing::new(der_uint(&[1]));
    sec1.extend_from_slice(&der(0x04, &d));
    sec1.extend_from_slice(&der(0xa1, &der(0x03, &point)));
    let mut algorithm = EC_PUBLIC_KEY.to_vec();
    algorithm.extend_from_slice(curve);
    let mut body = Zeroizing::new(der_uint(&[0]));
    body.extend_from_slice(&der(0x30, &algorithm));
    body.extend_from_slice(&der(0x04, &der(0x30, &sec1)));
    Ok(pem("PRIVATE KEY", &der(0x30, &body)))
}

/// A coordinate or scalar left-padded to the curve's size (JWKs should not strip zeros, some do).
fn fixed(bytes: &[u8], size: usize, name: &str) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    if bytes.len() > size {
        anyhow::bail!("the JWK's `{name}` is longer than the curve allows");
    }
    let mut out = Zeroizing::new(vec![0u8; size - bytes.len()]);
    out.extend_from_slice(bytes);
    Ok(out)
}

/// A DER value: tag, definite length, contents.
fn der(tag: u8, contents: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(vec![tag]);
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(contents);
    out
}

/// A DER INTEGER for an unsigned big-endian number.
fn der_uint(bytes: &[u8]) -> Zeroizing<Vec<u8>> {
    let start = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    let trimmed = bytes.get(start..).unwrap_or(&[0]);
    let mut contents = Zeroizing::new(Vec::with_capacity(trimmed.len() + 1));
    if trimmed.is_empty() || trimmed[0] & 0x80 != 0 {
        contents.push(0);
    }
    contents.extend_from_slice(trimmed);
    der(0x02, &contents)
}

fn pem(label: &str, der: &[u8]) -> Secret<String> {
    let b64 = Zeroizing::new(STANDARD.encode(der));
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    Secret::new(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::okta::oauth::SigningKey;

    const EC: &str = include_str!("../../../tests/fixtures/keys/test-ec.jwk.json");
    const RSA: &str = include_str!("../../../tests/fixtures/keys/test-rsa.jwk.json");
    const EC_PEM: &str = include_str!("../../../tests/fixtures/keys/test-ec.pem");
    const RSA_PEM: &str = include_str!("../../../tests/fixtures/keys/test-rsa.pem");

    #[test]
    fn rsa_and_ec_jwks_become_keys_that_sign() {
        let rsa = SigningKey::from_pem(&jwk_to_pem(RSA).unwrap()).unwrap();
        assert_eq!(rsa.alg_name(), "RS256");
        let ec = SigningKey::from_pem(&jwk_to_pem(EC).unwrap()).unwrap();
        assert_eq!(ec.alg_name(), "ES256");
        let set = format!("{{\"keys\":[{EC}]}}");
        assert_eq!(
            SigningKey::from_pem(&jwk_to_pem(&set).unwrap())
                .unwrap()
                .alg_name(),
            "ES256"
        );
    }

    #[test]
    fn the_converted_keys_are_the_same_keys_as_the_pem_files() {
        // ES256 signatures are randomised, RS256 ones are not: the same RSA key signs identically.
        let claims = serde_json::json!({"a": 1});
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        let from_jwk =
            jsonwebtoken::EncodingKey::from_rsa_pem(jwk_to_pem(RSA).unwrap().expose().as_bytes()).unwrap();
        let from_pem = jsonwebtoken::EncodingKey::from_rsa_pem(RSA_PEM.as_bytes()).unwrap();
        assert_eq!(
            jsonwebtoken::encode(&header, &claims, &from_jwk).unwrap(),
            jsonwebtoken::encode(&header, &claims, &from_pem).unwrap()
        );
        assert!(!EC_PEM.is_empty());
    }

    #[test]
    fn a_public_jwk_or_garbage_is_refused_without_quoting_it() {
        let public: serde_json::Value = serde_json::from_str(EC).unwrap();
        let mut public = public.as_object().unwrap().clone();
        public.remove("d");
        let err = jwk_to_pem(&serde_json::to_string(&public).unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("no `d`"), "{err}");
        let err = jwk_to_pem("{\"kty\":\"EC\",\"crv\":\"P-256\",\"d\":\"!!secretish!!\"}")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("secretish"), "{err}");
    }
}
