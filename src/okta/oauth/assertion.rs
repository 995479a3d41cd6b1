//! The API Services app's signing key and the `private_key_jwt` client assertion it signs.

use super::{random_id, ASSERTION_LIFETIME};
use crate::secret::Secret;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Url;
use serde::{Deserialize, Serialize};

/// The app's private key (RSA for RS256, EC P-256 for ES256), kept as PEM text in a [`Secret`];
/// the `jsonwebtoken` key is built only for the moment of signing.
#[derive(Debug, Clone)]
pub struct SigningKey {
    alg: Algorithm,
    pem: Secret<String>,
}

impl SigningKey {
    /// Reads a PEM private key: RSA (PKCS#1 or PKCS#8) → RS256, EC P-256 PKCS#8 → ES256, EC P-384
    /// → ES384. Checks it by signing once, so a bad key fails at start, not at the first call.
    pub fn from_pem(pem: &Secret<String>) -> anyhow::Result<Self> {
        for alg in [Algorithm::RS256, Algorithm::ES256, Algorithm::ES384] {
            let key = SigningKey {
                alg,
                pem: pem.clone(),
            };
            if key.sign(&Header::new(alg), &serde_json::json!({})).is_ok() {
                return Ok(key);
            }
        }
        let hint = if pem.expose().contains("BEGIN EC PRIVATE KEY") {
            "; convert the SEC1 EC key with `openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.p8`"
        } else if pem.expose().contains("ENCRYPTED") {
            "; encrypted keys are not supported"
        } else {
            ""
        };
        anyhow::bail!("the private key is not an unencrypted RSA or EC (P-256/P-384) PEM key{hint}")
    }

    /// An ES256 key from PKCS#8 PEM made by this process (the DPoP key), so not checked again.
    pub(super) fn es256(pem: Secret<String>) -> Self {
        SigningKey {
            alg: Algorithm::ES256,
            pem,
        }
    }

    /// `RS256`, `ES256` or `ES384`.
    pub fn alg_name(&self) -> &'static str {
        match self.alg {
            Algorithm::RS256 => "RS256",
            Algorithm::ES384 => "ES384",
            _ => "ES256",
        }
    }

    /// The JWS algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    fn encoding_key(&self) -> jsonwebtoken::errors::Result<EncodingKey> {
        match self.alg {
            Algorithm::RS256 => EncodingKey::from_rsa_pem(self.pem.expose().as_bytes()),
            _ => EncodingKey::from_ec_pem(self.pem.expose().as_bytes()),
        }
    }

    /// Signs `claims` under `header` (whose `alg` is replaced by the key's).
    pub fn sign<T: Serialize>(&self, header: &Header, claims: &T) -> anyhow::Result<Secret<String>> {
        let mut header = header.clone();
        header.alg = self.alg;
        let key = self
            .encoding_key()
            .map_err(|e| anyhow::anyhow!("cannot use the private key: {e}"))?;
        let jwt = jsonwebtoken::encode(&header, claims, &key)
            .map_err(|e| anyhow::anyhow!("cannot sign with the private key: {e}"))?;
        Ok(Secret::new(jwt))
    }
}

/// The claims of a `private_key_jwt` client assertion.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AssertionClaims {
    /// The client id.
    pub iss: String,
    /// The client id again.
    pub sub: String,
    /// The token URL.
    pub aud: String,
    /// Issued at (epoch seconds).
    pub iat: u64,
    /// Expiry (epoch seconds), at most an hour after `iat`.
    pub exp: u64,
    /// A unique id against replay.
    pub jti: String,
}

impl AssertionClaims {
    /// Claims for `client_id` at `token_url`, issued at `now` (epoch seconds).
    pub fn new(client_id: &str, token_url: &Url, now: u64) -> Self {
        AssertionClaims {
            iss: client_id.to_string(),
            sub: client_id.to_string(),
            aud: token_url.to_string(),
            iat: now,
            exp: now + ASSERTION_LIFETIME.as_secs(),
            jti: random_id(),
        }
    }
}

/// Signs a client assertion with a `kid` header when one is configured.
pub fn client_assertion(
    key: &SigningKey,
    claims: &AssertionClaims,
    kid: Option<&str>,
) -> anyhow::Result<Secret<String>> {
    let mut header = Header::new(key.algorithm());
    header.kid = kid.map(str::to_string);
    key.sign(&header, claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::okta::oauth::now_secs;
    use jsonwebtoken::{DecodingKey, Validation};

    const RSA: &str = include_str!("../../../tests/fixtures/keys/test-rsa.pem");
    const RSA_PUB: &str = include_str!("../../../tests/fixtures/keys/test-rsa.pub.pem");
    const EC: &str = include_str!("../../../tests/fixtures/keys/test-ec.pem");
    const EC_PUB: &str = include_str!("../../../tests/fixtures/keys/test-ec.pub.pem");

    fn verify(jwt: &str, alg: Algorithm, public: &str, aud: &str) -> (Header, AssertionClaims) {
        let key = match alg {
            Algorithm::RS256 => DecodingKey::from_rsa_pem(public.as_bytes()).unwrap(),
            _ => DecodingKey::from_ec_pem(public.as_bytes()).unwrap(),
        };
        let mut v = Validation::new(alg);
        v.set_audience(&[aud]);
        let data = jsonwebtoken::decode::<AssertionClaims>(jwt, &key, &v).unwrap();
        (data.header, data.claims)
    }

    #[test]
    fn key_algorithm_is_detected_from_the_pem() {
        let rsa = SigningKey::from_pem(&Secret::new(RSA.into())).unwrap();
        assert_eq!(rsa.alg_name(), "RS256");
        let ec = SigningKey::from_pem(&Secret::new(EC.into())).unwrap();
        assert_eq!(ec.alg_name(), "ES256");
        let err = SigningKey::from_pem(&Secret::new("not a key".into())).unwrap_err();
        assert!(err.to_string().contains("RSA or EC"));
    }

    #[test]
    fn assertion_claims_follow_okta_private_key_jwt() {
        let url = Url::parse("https://acme.okta.com/oauth2/v1/token").unwrap();
        for (pem, public, alg) in [(RSA, RSA_PUB, Algorithm::RS256), (EC, EC_PUB, Algorithm::ES256)] {
            let key = SigningKey::from_pem(&Secret::new(pem.into())).unwrap();
            let claims = AssertionClaims::new("0oaclient", &url, now_secs());
            let jwt = client_assertion(&key, &claims, Some("kid-1")).unwrap();
            let (header, got) = verify(jwt.expose(), alg, public, url.as_str());
            assert_eq!(header.alg, alg);
            assert_eq!(header.kid.as_deref(), Some("kid-1"));
            assert_eq!(got.iss, "0oaclient");
            assert_eq!(got.sub, "0oaclient");
            assert_eq!(got.aud, "https://acme.okta.com/oauth2/v1/token");
            assert!(got.exp > got.iat && got.exp - got.iat <= 3600);
            assert!(got.jti.len() >= 16);
        }
        let a = AssertionClaims::new("c", &url, 1);
        let b = AssertionClaims::new("c", &url, 1);
        assert_ne!(a.jti, b.jti, "jti is unique");
    }
}
