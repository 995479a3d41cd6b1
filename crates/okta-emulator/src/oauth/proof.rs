//! The emulator's own reading of a DPoP proof (RFC 9449 §4.2-4.3) and of its key's thumbprint
//! (RFC 7638), written from the RFCs rather than shared with the client: if the client built its
//! proofs or thumbprints wrongly, sharing the code would make the emulator agree with the mistake.
//!
//! `jsonwebtoken` still checks the signature (a third-party crate both sides may use); the header,
//! the claims and the thumbprint are read here.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The org authorization server's token endpoint.
pub const TOKEN_PATH: &str = "/oauth2/v1/token";
/// `client_assertion_type` of `private_key_jwt` (RFC 7523 §2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Read users, factors and YubiKey tokens.
pub const SCOPE_READ: &str = "okta.users.read";
/// Upload tokens, enroll and delete factors, deactivate users.
pub const SCOPE_MANAGE: &str = "okta.users.manage";
/// How far a proof's `iat` may be from the server's clock, either way.
pub const IAT_WINDOW_SECS: u64 = 300;

/// The claims RFC 9449 §4.2 puts in a proof.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ProofClaims {
    /// The request's method.
    pub htm: String,
    /// The request's URL without query and fragment.
    pub htu: String,
    /// Creation time, epoch seconds.
    pub iat: u64,
    /// Unique per proof.
    pub jti: String,
    /// The server's nonce, once it asked for one.
    #[serde(default)]
    pub nonce: Option<String>,
    /// base64url(SHA-256(access token)), on resource requests.
    #[serde(default)]
    pub ath: Option<String>,
}

/// What one request says about itself, for [`verify`].
pub struct Expected<'a> {
    /// `htm`.
    pub method: &'a str,
    /// `htu`.
    pub url: &'a str,
    /// The access token the proof must bind (`ath`); `None` at the token endpoint.
    pub access_token: Option<&'a str>,
    /// The server's clock, epoch seconds.
    pub now: u64,
}

/// base64url(SHA-256(text)), unpadded: `ath` (RFC 9449 §4.2) and the thumbprint's encoding.
pub fn sha256_b64(text: &str) -> String {
    B64.encode(Sha256::digest(text.as_bytes()))
}

/// A JSON string member, escaped as JSON requires (RFC 7638 §3.3: no whitespace, members in
/// lexicographic order, so the producer's serializer must not matter).
fn member(jwk: &Map<String, Value>, name: &str) -> Option<String> {
    jwk.get(name)?
        .as_str()
        .map(|v| Value::String(v.to_string()).to_string())
}

/// The RFC 7638 thumbprint of a public JWK: SHA-256 over its required members only (RSA: `e`,
/// `kty`, `n`; EC: `crv`, `kty`, `x`, `y`), in that lexicographic order, base64url-encoded.
/// `None` for another key type or a required member missing or not a string.
pub fn jwk_thumbprint(jwk: &Value) -> Option<String> {
    let jwk = jwk.as_object()?;
    let required: &[&str] = match jwk.get("kty")?.as_str()? {
        "RSA" => &["e", "kty", "n"],
        "EC" => &["crv", "kty", "x", "y"],
        _ => return None,
    };
    let mut canonical = String::from("{");
    for (i, name) in required.iter().enumerate() {
        if i > 0 {
            canonical.push(',');
        }
        canonical.push_str(&format!("\"{name}\":{}", member(jwk, name)?));
    }
    canonical.push('}');
    Some(sha256_b64(&canonical))
}

/// The proof's JOSE header, decoded by hand: `typ`, `alg` and the embedded `jwk`.
fn header(proof: &str) -> Result<(Algorithm, Value), String> {
    let not_jwt = || "The DPoP proof is not a JWT.".to_string();
    let mut parts = proof.split('.');
    let (Some(head), Some(_), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(not_jwt());
    };
    let head: Value = B64
        .decode(head)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(not_jwt)?;
    if head.get("typ").and_then(Value::as_str) != Some("dpop+jwt") {
        return Err("The DPoP proof typ must be dpop+jwt.".into());
    }
    // Asymmetric only (RFC 9449 §4.3 check 5): no `none`, no HMAC.
    let alg = match head.get("alg").and_then(Value::as_str) {
        Some("RS256") => Algorithm::RS256,
        Some("RS384") => Algorithm::RS384,
        Some("RS512") => Algorithm::RS512,
        Some("ES256") => Algorithm::ES256,
        Some("ES384") => Algorithm::ES384,
        _ => return Err("The DPoP proof must use an asymmetric algorithm.".into()),
    };
    let jwk = head
        .get("jwk")
        .filter(|j| j.is_object())
        .ok_or("The DPoP proof has no jwk header.")?;
    // §4.3 check 7: the key must be public; a private member means a broken client.
    if jwk.get("d").is_some() {
        return Err("The DPoP proof jwk contains a private key.".into());
    }
    Ok((alg, jwk.clone()))
}

/// Verifies a proof: header, signature with its embedded key, `htm`, `htu`, `iat` within
/// [`IAT_WINDOW_SECS`] and, for API calls, `ath`. `jti` reuse and the nonce are the caller's
/// (they need the server's memory). Returns the key's thumbprint and the claims.
pub fn verify(proof: &str, want: &Expected<'_>) -> Result<(String, ProofClaims), String> {
    let (alg, jwk) = header(proof)?;
    let thumbprint = jwk_thumbprint(&jwk).ok_or("The DPoP proof jwk is not an EC or RSA key.")?;
    let key = serde_json::from_value::<jsonwebtoken::jwk::Jwk>(jwk)
        .ok()
        .and_then(|jwk| DecodingKey::from_jwk(&jwk).ok())
        .ok_or("The DPoP proof jwk is not usable.")?;
    let mut v = Validation::new(alg);
    v.required_spec_claims.clear();
    v.validate_exp = false;
    v.validate_aud = false;
    let claims = jsonwebtoken::decode::<ProofClaims>(proof, &key, &v)
        .map_err(|e| format!("The DPoP proof is invalid: {e}."))?
        .claims;
    if claims.htm != want.method {
        return Err(format!(
            "The DPoP proof htm is {}, expected {}.",
            claims.htm, want.method
        ));
    }
    if claims.htu != want.url {
        return Err(format!("The DPoP proof htu does not match {}.", want.url));
    }
    if claims.iat.abs_diff(want.now) > IAT_WINDOW_SECS {
        return Err("The DPoP proof iat is too far from now.".into());
    }
    if let Some(token) = want.access_token {
        if claims.ath.as_deref() != Some(sha256_b64(token).as_str()) {
            return Err("The DPoP proof ath does not match the access token.".into());
        }
    }
    Ok((thumbprint, claims))
}

/// The scopes of a token request, split on spaces (RFC 6749 §3.3) or commas (as Okta's SDKs
/// accept them in configuration).
pub fn split_scopes(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// RFC 7638 §3.1: the RSA key of RFC 7517 appendix A.1 and its thumbprint.
    #[test]
    fn the_rfc_7638_example_key_has_the_rfc_s_thumbprint() {
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(
            jwk_thumbprint(&jwk).as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }

    #[test]
    fn only_the_required_members_count_and_a_missing_one_is_refused() {
        let ec = json!({"kty": "EC", "crv": "P-256", "x": "a", "y": "b"});
        let mut with_extras = ec.clone();
        with_extras["kid"] = json!("k1");
        with_extras["use"] = json!("sig");
        assert_eq!(jwk_thumbprint(&ec), jwk_thumbprint(&with_extras));
        assert_eq!(
            jwk_thumbprint(&ec),
            Some(sha256_b64(r#"{"crv":"P-256","kty":"EC","x":"a","y":"b"}"#))
        );
        assert_eq!(
            jwk_thumbprint(&json!({"kty": "EC", "crv": "P-256", "x": "a"})),
            None
        );
        assert_eq!(jwk_thumbprint(&json!({"kty": "oct", "k": "c2VjcmV0"})), None);
        assert_eq!(jwk_thumbprint(&json!({"kty": "RSA", "e": 65537, "n": "x"})), None);
    }

    fn token(header: &Value) -> String {
        let b64 = |v: &Value| B64.encode(v.to_string());
        format!("{}.{}.c2ln", b64(header), b64(&json!({"htm": "GET"})))
    }

    #[test]
    fn the_header_must_be_a_public_asymmetric_dpop_key() {
        let jwk = json!({"kty": "EC", "crv": "P-256", "x": "a", "y": "b"});
        let check = |h: Value| {
            verify(
                &token(&h),
                &Expected {
                    method: "GET",
                    url: "u",
                    access_token: None,
                    now: 0,
                },
            )
        };
        let e = check(json!({"typ": "JWT", "alg": "ES256", "jwk": jwk}));
        assert_eq!(e.unwrap_err(), "The DPoP proof typ must be dpop+jwt.");
        let e = check(json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": jwk}));
        assert_eq!(e.unwrap_err(), "The DPoP proof must use an asymmetric algorithm.");
        let e = check(json!({"typ": "dpop+jwt", "alg": "none", "jwk": jwk}));
        assert_eq!(e.unwrap_err(), "The DPoP proof must use an asymmetric algorithm.");
        let e = check(json!({"typ": "dpop+jwt", "alg": "ES256"}));
        assert_eq!(e.unwrap_err(), "The DPoP proof has no jwk header.");
        let mut private = jwk.clone();
        private["d"] = json!("secret");
        let e = check(json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": private}));
        assert_eq!(e.unwrap_err(), "The DPoP proof jwk contains a private key.");
        assert_eq!(
            verify(
                "a.b",
                &Expected {
                    method: "GET",
                    url: "u",
                    access_token: None,
                    now: 0
                }
            )
            .unwrap_err(),
            "The DPoP proof is not a JWT."
        );
    }

    /// A test-only signer (ring and jsonwebtoken, not the client's code): a fresh P-256 key, its
    /// public JWK and a signed proof with these claims.
    fn signed(claims: &Value) -> (String, Value) {
        use ring::rand::SystemRandom;
        use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING as P256};
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&P256, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&P256, pkcs8.as_ref(), &rng).unwrap();
        let point = pair.public_key().as_ref();
        let jwk = json!({"kty": "EC", "crv": "P-256", "x": B64.encode(&point[1..33]), "y": B64.encode(&point[33..65])});
        let mut header = jsonwebtoken::Header::new(Algorithm::ES256);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(serde_json::from_value(jwk.clone()).unwrap());
        let key = jsonwebtoken::EncodingKey::from_ec_der(pkcs8.as_ref());
        (jsonwebtoken::encode(&header, claims, &key).unwrap(), jwk)
    }

    #[test]
    fn a_signed_proof_is_checked_claim_by_claim() {
        let now = 1_800_000_000;
        let ath = sha256_b64("tok");
        let claims = json!({"htm": "GET", "htu": "http://e/x", "iat": now, "jti": "j1", "ath": ath});
        let (jwt, jwk) = signed(&claims);
        let want = Expected {
            method: "GET",
            url: "http://e/x",
            access_token: Some("tok"),
            now,
        };
        let (thumbprint, got) = verify(&jwt, &want).unwrap();
        assert_eq!(Some(thumbprint), jwk_thumbprint(&jwk));
        assert_eq!((got.jti.as_str(), got.nonce), ("j1", None));
        let refused = |w: Expected<'_>| verify(&jwt, &w).unwrap_err();
        assert!(refused(Expected {
            method: "POST",
            ..want
        })
        .contains("htm"));
        assert!(refused(Expected {
            url: "http://e/y",
            ..want
        })
        .contains("htu"));
        assert!(refused(Expected {
            now: now + IAT_WINDOW_SECS + 1,
            ..want
        })
        .contains("iat"));
        assert!(verify(
            &jwt,
            &Expected {
                now: now - IAT_WINDOW_SECS,
                ..want
            }
        )
        .is_ok());
        assert!(refused(Expected {
            access_token: Some("other"),
            ..want
        })
        .contains("ath"));
        // Another key's signature over the same header does not verify.
        let (other, _) = signed(&claims);
        let forged = format!(
            "{}.{}",
            &jwt[..jwt.rfind('.').unwrap()],
            &other[other.rfind('.').unwrap() + 1..]
        );
        assert!(verify(&forged, &want).unwrap_err().contains("invalid"));
    }

    #[test]
    fn scopes_split_on_spaces_and_commas() {
        assert_eq!(
            split_scopes(" okta.users.read,okta.users.manage  x"),
            ["okta.users.read", "okta.users.manage", "x"]
        );
        assert!(split_scopes(" , ").is_empty());
    }
}
