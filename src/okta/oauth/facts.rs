//! What the token endpoint's answers showed about the app, kept for `ykprov probe`: whether Okta
//! demanded DPoP or a nonce, the token type it issued, and the scopes it granted. Nothing here
//! is secret (no token, no proof, no nonce value).

/// What the token endpoint said, so far, in this process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenFacts {
    /// DPoP was on from the first token request (`--dpop`, `OKTA_CLIENT_DPOP`).
    pub dpop_configured: bool,
    /// Okta refused a token request without a DPoP proof (`invalid_dpop_proof`).
    pub dpop_demanded: bool,
    /// Okta asked for its nonce in the proof (`use_dpop_nonce`).
    pub nonce_demanded: bool,
    /// `token_type` of the last access token issued (`Bearer` or `DPoP`).
    pub token_type: Option<String>,
    /// The scopes requested.
    pub requested: Vec<String>,
    /// `scope` of the last token answer, when Okta said which scopes it granted.
    pub granted: Option<Vec<String>>,
}
