//! The JSON snapshot behind `--state`: loaded at start, written atomically at shutdown. It
//! holds seeds in plain hex, because it is the emulator's database.

use super::{Store, StoredToken};
use crate::fields::{AesKey, FieldError, PrivateId, PublicId, SerialNumber};
use crate::users::User;
use crate::wire::TokenStatus;
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

impl Store {
    /// Loads a snapshot written by [`Store::save`].
    pub fn load(path: &Path) -> anyhow::Result<Store> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read emulator state {}", path.display()))?;
        let snap: Snapshot = serde_json::from_str(&text)
            .with_context(|| format!("emulator state {} is not a valid snapshot", path.display()))?;
        let mut store = Store::default();
        store.add_users(snap.users);
        for (i, r) in snap.tokens.into_iter().enumerate() {
            let token = r
                .into_token()
                .with_context(|| format!("token {} in {} is invalid", i + 1, path.display()))?;
            store.index_and_insert(token);
        }
        store.next_seq = store.next_seq.max(snap.next_seq);
        Ok(store)
    }

    /// Writes a snapshot atomically: a temp file beside the target, then a rename. The file holds
    /// seeds (it is the emulator's database); tempfile creates it readable by the owner only.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let snap = Snapshot {
            version: 1,
            next_seq: self.next_seq,
            tokens: self.tokens.values().map(TokenRecord::from_token).collect(),
            users: self.users(),
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut tmp = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("failed to create a temp file in {}", dir.display()))?;
        serde_json::to_writer(&mut tmp, &snap).context("failed to serialise emulator state")?;
        tmp.flush().context("failed to write emulator state")?;
        tmp.persist(path)
            .with_context(|| format!("failed to save emulator state to {}", path.display()))?;
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Snapshot {
    version: u32,
    next_seq: u64,
    tokens: Vec<TokenRecord>,
    users: Vec<User>,
}

/// The on-disk form of a token; secrets as plain hex because this file is the emulator's database.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenRecord {
    seq: u64,
    id: String,
    serial: String,
    public_id: String,
    private_id: String,
    aes_key: String,
    created: DateTime<Utc>,
    activated: Option<DateTime<Utc>>,
    last_verified: DateTime<Utc>,
    last_updated: DateTime<Utc>,
    status: TokenStatus,
    user_id: Option<String>,
    factor_id: Option<String>,
    factor_created: Option<DateTime<Utc>>,
    last_counters: Option<(u16, u8)>,
}

impl TokenRecord {
    fn from_token(t: &StoredToken) -> Self {
        TokenRecord {
            seq: t.seq,
            id: t.id.clone(),
            serial: t.serial.clone(),
            public_id: t.public_id.as_str().to_string(),
            private_id: t.private_id.expose().to_string(),
            aes_key: t.aes_key.expose().to_string(),
            created: t.created,
            activated: t.activated,
            last_verified: t.last_verified,
            last_updated: t.last_updated,
            status: t.status,
            user_id: t.user_id.clone(),
            factor_id: t.factor_id.clone(),
            factor_created: t.factor_created,
            last_counters: t.last_counters,
        }
    }

    fn into_token(self) -> anyhow::Result<StoredToken> {
        let field = |name: &str, e: FieldError| anyhow::anyhow!("{name} {e}");
        Ok(StoredToken {
            seq: self.seq,
            id: self.id,
            serial: SerialNumber::parse(&self.serial)
                .map_err(|e| field("serial", e))?
                .padded(),
            public_id: PublicId::parse(&self.public_id).map_err(|e| field("public id", e))?,
            private_id: PrivateId::parse(&self.private_id).map_err(|e| field("private id", e))?,
            aes_key: AesKey::parse(&self.aes_key).map_err(|e| field("AES key", e))?,
            created: self.created,
            activated: self.activated,
            last_verified: self.last_verified,
            last_updated: self.last_updated,
            status: self.status,
            user_id: self.user_id,
            factor_id: self.factor_id,
            factor_created: self.factor_created,
            last_counters: self.last_counters,
        })
    }
}
