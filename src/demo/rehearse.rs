//! What users and admins do to keys after upload, acted out against the emulator so a rehearsal
//! (and the demo) can show keys in use: a user enrolls a key by typing an OTP it generated, an
//! admin deletes a token, a user is deactivated and their key turns BLOCKED.

use crate::okta::models::{YubikeyToken, TOKENS_PATH};
use crate::secret::Secret;
use crate::seed::{Seed, Serial};
use anyhow::Context;
use okta_emulator::{fields, otp};
use serde_json::json;

/// A minimal admin client for the rehearsal calls (the upload client deliberately has none of
/// these powers).
pub struct Rehearsal {
    http: reqwest::Client,
    org: String,
    auth: Secret<String>,
}

impl Rehearsal {
    /// For an org URL (the emulator's) and its token.
    pub fn new(org: &str, token: &Secret<String>) -> anyhow::Result<Self> {
        Ok(Rehearsal {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            org: org.trim_end_matches('/').to_string(),
            auth: Secret::new(format!("SSWS {}", token.expose())),
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> anyhow::Result<reqwest::Response> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.org))
            .header("Authorization", self.auth.expose())
            .header("Accept", "application/json");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("{method} {path} failed"))?;
        if !resp.status().is_success() {
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            anyhow::bail!(
                "{method} {path}: HTTP {status}: {}",
                text.chars().take(300).collect::<String>()
            );
        }
        Ok(resp)
    }

    /// The user enrolls the key by typing an OTP it generated (`counter` must grow per key).
    pub async fn enroll(&self, user_id: &str, seed: &Seed, counter: u16) -> anyhow::Result<()> {
        // The emulator keeps its own field types (it shares no code with the client), so the
        // seed is handed over as text.
        let pass = otp::generate(
            &fields::PublicId::parse(seed.public_id.as_str())?,
            &fields::PrivateId::parse(seed.private_id.expose())?,
            &fields::AesKey::parse(seed.aes_key.expose())?,
            counter,
            0,
            0x0a0b0c,
            0x1234,
        );
        let body =
            json!({"factorType": "token:hardware", "provider": "YUBICO", "verify": {"passCode": pass}});
        self.call(
            reqwest::Method::POST,
            &format!("/api/v1/users/{user_id}/factors"),
            Some(body),
        )
        .await?;
        Ok(())
    }

    /// An admin deactivates a user (their key becomes BLOCKED).
    pub async fn deactivate_user(&self, user_id: &str) -> anyhow::Result<()> {
        self.call(
            reqwest::Method::POST,
            &format!("/api/v1/users/{user_id}/lifecycle/deactivate"),
            None,
        )
        .await?;
        Ok(())
    }

    /// The token of a serial, looked up by filter: its live record, else the first listed (a
    /// filter on the serial may list its history too).
    pub async fn token_of(&self, serial: &Serial) -> anyhow::Result<Option<YubikeyToken>> {
        let path = format!("{TOKENS_PATH}?filter=profile.serial%20eq%20%22{serial}%22");
        let tokens: Vec<YubikeyToken> = self.call(reqwest::Method::GET, &path, None).await?.json().await?;
        let live = tokens.iter().position(|t| t.status.is_live()).unwrap_or(0);
        Ok(tokens.into_iter().nth(live))
    }

    /// An admin deletes an unassigned (or blocked) token. An answer lost after the delete was
    /// committed (the emulator's drop-after-commit) is settled by reading the token back.
    pub async fn delete_token(&self, token_id: &str) -> anyhow::Result<()> {
        let path = format!("{TOKENS_PATH}/{token_id}");
        let Err(e) = self.call(reqwest::Method::DELETE, &path, None).await else {
            return Ok(());
        };
        let back = self
            .http
            .get(format!("{}{path}", self.org))
            .header("Authorization", self.auth.expose())
            .header("Accept", "application/json")
            .send()
            .await?;
        let gone = match back.status().as_u16() {
            404 => true,
            200 => !back.json::<YubikeyToken>().await?.status.is_live(),
            _ => false,
        };
        if gone {
            Ok(())
        } else {
            Err(e)
        }
    }
}
