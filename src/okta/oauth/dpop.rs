//! DPoP (RFC 9449): an ephemeral EC P-256 key per process, the proof that binds each request
//! to it, and the JWK thumbprint the server binds tokens to.

use super::assertion::SigningKey;
use super::{now_secs, random_id, sha256_b64, B64};
use crate::secret::Secret;
use base64::Engine;
use jsonwebtoken::{Algorithm, Header};
use reqwest::{Method, Url};
use serde::{Deserialize, Serialize};

/// The claims of a DPoP proof (RFC 9449).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DpopClaims {
    /// The HTTP method.
    pub htm: String,
    /// The request URL without query or fragment.
    pub htu: String,
    /// Issued at (epoch seconds).
    pub iat: u64,
    /// Unique per proof.
    pub jti: String,
    /// The server's nonce, when it asked for one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub nonce: Option<String>,
    /// base64url(SHA-256(access token)), on resource requests.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ath: Option<String>,
}

/// `htu` for a URL: scheme, host, port and path only.
pub fn htu(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

/// The DPoP key: an ephemeral EC P-256 key made for this process (cheap to generate, unlike RSA).
pub struct DpopKey {
    key: SigningKey,
    jwk: jsonwebtoken::jwk::Jwk,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DpopKey([redacted])")
    }
}

impl DpopKey {
    /// Generates a new P-256 key.
    pub fn generate() -> anyhow::Result<Self> {
        use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| anyhow::anyhow!("cannot generate a DPoP key"))?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|_| anyhow::anyhow!("cannot read the generated DPoP key"))?;
        // Uncompressed point: 0x04 ‖ x (32 bytes) ‖ y (32 bytes).
        let point = pair.public_key().as_ref();
        if point.len() != 65 {
            anyhow::bail!("unexpected P-256 public key length {}", point.len());
        }
        let jwk = serde_json::from_value(serde_json::json!({
            "kty": "EC",
            "crv": "P-256",
            "x": B64.encode(&point[1..33]),
            "y": B64.encode(&point[33..65]),
        }))?;
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref())
        );
        Ok(DpopKey {
            key: SigningKey::es256(Secret::new(pem)),
            jwk,
        })
    }

    /// A proof for one request.
    pub fn proof(
        &self,
        method: &Method,
        url: &Url,
        nonce: Option<&str>,
        access_token: Option<&Secret<String>>,
    ) -> anyhow::Result<Secret<String>> {
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(self.jwk.clone());
        let claims = DpopClaims {
            htm: method.as_str().to_string(),
            htu: htu(url),
            iat: now_secs(),
            jti: random_id(),
            nonce: nonce.map(str::to_string),
            ath: access_token.map(|t| sha256_b64(t.expose())),
        };
        self.key.sign(&header, &claims)
    }
}

/// The RFC 7638 thumbprint of a public JWK (EC or RSA), to bind tokens to a DPoP key.
pub fn jwk_thumbprint(jwk: &jsonwebtoken::jwk::Jwk) -> Option<String> {
    let v = serde_json::to_value(jwk).ok()?;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let canonical = match s("kty")?.as_str() {
        "EC" => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            s("crv")?,
            s("x")?,
            s("y")?
        ),
        "RSA" => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, s("e")?, s("n")?),
        _ => return None,
    };
    Some(sha256_b64(&canonical))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    #[test]
    fn dpop_proof_carries_jwk_htm_htu_and_ath() {
        let key = DpopKey::generate().unwrap();
        let url = Url::parse("https://acme.okta.com/api/v1/x?limit=2#f").unwrap();
        let token = Secret::new("access-token".to_string());
        let proof = key.proof(&Method::GET, &url, Some("n1"), Some(&token)).unwrap();
        let header = jsonwebtoken::decode_header(proof.expose()).unwrap();
        assert_eq!(header.typ.as_deref(), Some("dpop+jwt"));
        assert_eq!(header.alg, Algorithm::ES256);
        let jwk = header.jwk.unwrap();
        assert!(jwk_thumbprint(&jwk).is_some());
        let mut v = Validation::new(Algorithm::ES256);
        v.required_spec_claims.clear();
        v.validate_exp = false;
        let claims =
            jsonwebtoken::decode::<DpopClaims>(proof.expose(), &DecodingKey::from_jwk(&jwk).unwrap(), &v)
                .unwrap()
                .claims;
        assert_eq!(claims.htm, "GET");
        assert_eq!(claims.htu, "https://acme.okta.com/api/v1/x");
        assert_eq!(claims.nonce.as_deref(), Some("n1"));
        assert_eq!(claims.ath, Some(sha256_b64("access-token")));
    }
}
