//! The emulator's data: tokens, users and enrollments, with the indexes that keep lookups O(1)
//! and pagination stable, and the JSON snapshot behind `--state`.
//!
//! Tokens live in a `BTreeMap` keyed by an insertion sequence number, so a cursor (`after`) is
//! just a sequence number and stays valid while tokens are added or deleted. Hash indexes map
//! id, serial, public id and factor id to that sequence number. The store knows nothing about
//! HTTP; `routes` turns its errors into Okta error bodies. The `--state` snapshot's file format
//! is in `snapshot`.

mod snapshot;

use super::attr::{AttrValue, TokenAttr, TokenAttrs};
use super::fields::{AesKey, PrivateId, PublicId, SerialNumber};
use super::otp::{self, OtpError};
use super::users::{self, User, UserStatus};
use super::wire::TokenStatus;
use chrono::{DateTime, SubsecRound, Utc};
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

/// The current time at Okta's precision (milliseconds), so filters on `eq` behave.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// One uploaded YubiKey and, once enrolled, its factor.
#[derive(Clone, Debug)]
pub struct StoredToken {
    /// Insertion order; the pagination key.
    pub seq: u64,
    /// `ykk…`.
    pub id: String,
    /// 12-digit serial.
    pub serial: String,
    /// Public id.
    pub public_id: PublicId,
    /// Private id (secret; only for OTP checks).
    pub private_id: PrivateId,
    /// AES key (secret; only for OTP checks).
    pub aes_key: AesKey,
    /// Upload time.
    pub created: DateTime<Utc>,
    /// Enrollment time.
    pub activated: Option<DateTime<Utc>>,
    /// Last successful OTP (upload time before that).
    pub last_verified: DateTime<Utc>,
    /// Last change.
    pub last_updated: DateTime<Utc>,
    /// Status.
    pub status: TokenStatus,
    /// The enrolled user.
    pub user_id: Option<String>,
    /// The user's factor id (`ykf…`).
    pub factor_id: Option<String>,
    /// When the factor was enrolled.
    pub factor_created: Option<DateTime<Utc>>,
    /// (counter, session) of the last accepted OTP; kept across unenroll so replays stay refused.
    pub last_counters: Option<(u16, u8)>,
}

impl StoredToken {
    /// Whether a user ever enrolled it: an accepted OTP is remembered across an unenroll (for
    /// replays), and a BLOCKED token had a user.
    pub fn was_assigned(&self) -> bool {
        self.last_counters.is_some() || self.activated.is_some() || self.status == TokenStatus::Blocked
    }
}

impl TokenAttrs for StoredToken {
    fn attr(&self, attr: TokenAttr) -> AttrValue<'_> {
        match attr {
            TokenAttr::Serial => AttrValue::Text(Some(&self.serial)),
            TokenAttr::Status => AttrValue::Status(self.status),
            TokenAttr::UserId => AttrValue::Text(self.user_id.as_deref()),
            TokenAttr::Created => AttrValue::Time(Some(self.created)),
            TokenAttr::Activated => AttrValue::Time(self.activated),
            TokenAttr::LastVerified => AttrValue::Time(Some(self.last_verified)),
        }
    }
}

/// A validated upload.
pub struct NewToken {
    /// Serial.
    pub serial: SerialNumber,
    /// Public id.
    pub public_id: PublicId,
    /// Private id.
    pub private_id: PrivateId,
    /// AES key.
    pub aes_key: AesKey,
}

/// Why the store refused an operation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Uniqueness violations, one cause per field.
    #[error("duplicate: {0:?}")]
    Duplicate(Vec<String>),
    /// No such token, user or factor.
    #[error("not found: {0}")]
    NotFound(String),
    /// DELETE of an assigned token.
    #[error("token is assigned")]
    TokenAssigned,
    /// The request cannot apply to the resource in its current state.
    #[error("invalid state: {0}")]
    Invalid(String),
    /// The OTP did not verify.
    #[error("{0}")]
    Otp(OtpError),
}

/// All tokens, users and enrollments.
#[derive(Default)]
pub struct Store {
    tokens: BTreeMap<u64, StoredToken>,
    by_id: HashMap<String, u64>,
    by_serial: HashMap<String, u64>,
    /// A serial's history records (soft-deleted), so a filter on the serial lists them too.
    history_by_serial: HashMap<String, Vec<u64>>,
    by_public_id: HashMap<String, u64>,
    by_factor: HashMap<String, u64>,
    users: BTreeMap<String, User>,
    user_order: Vec<String>,
    next_seq: u64,
}

impl Store {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Adds users (generated or loaded).
    pub fn add_users(&mut self, users: Vec<User>) {
        for u in users {
            self.user_order.push(u.id.clone());
            self.users.insert(u.id.clone(), u);
        }
    }

    /// Users in creation order.
    pub fn users(&self) -> Vec<User> {
        self.user_order
            .iter()
            .filter_map(|id| self.users.get(id).cloned())
            .collect()
    }

    /// One user.
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.get(id)
    }

    /// Stores an upload, refusing a serial or public id that is already present.
    pub fn insert(&mut self, new: NewToken, at: DateTime<Utc>) -> Result<&StoredToken, StoreError> {
        let serial = new.serial.padded();
        let mut causes = Vec::new();
        if self.by_serial.contains_key(&serial) {
            causes.push("serialNumber: A YubiKey token with this serial number already exists".to_string());
        }
        if self.by_public_id.contains_key(new.public_id.as_str()) {
            causes.push("publicId: A YubiKey token with this public id already exists".to_string());
        }
        if !causes.is_empty() {
            return Err(StoreError::Duplicate(causes));
        }
        let mut id = users::new_id("ykk");
        while self.by_id.contains_key(&id) {
            id = users::new_id("ykk");
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let token = StoredToken {
            seq,
            id: id.clone(),
            serial: serial.clone(),
            public_id: new.public_id,
            private_id: new.private_id,
            aes_key: new.aes_key,
            created: at,
            activated: None,
            last_verified: at,
            last_updated: at,
            status: TokenStatus::Unassigned,
            user_id: None,
            factor_id: None,
            factor_created: None,
            last_counters: None,
        };
        Ok(self.index_and_insert(token))
    }

    fn index_and_insert(&mut self, token: StoredToken) -> &StoredToken {
        let seq = token.seq;
        self.by_id.insert(token.id.clone(), seq);
        // History (a soft-deleted record) holds neither its serial nor its public id.
        if token.status.is_live() {
            self.by_serial.insert(token.serial.clone(), seq);
            self.by_public_id
                .insert(token.public_id.as_str().to_string(), seq);
        } else {
            self.history_by_serial
                .entry(token.serial.clone())
                .or_default()
                .push(seq);
        }
        if let Some(f) = &token.factor_id {
            self.by_factor.insert(f.clone(), seq);
        }
        self.next_seq = self.next_seq.max(seq + 1);
        self.tokens.entry(seq).or_insert(token)
    }

    /// A token by id.
    pub fn get(&self, id: &str) -> Option<&StoredToken> {
        self.by_id.get(id).and_then(|seq| self.tokens.get(seq))
    }

    /// A token by 12-digit serial, O(1).
    pub fn by_serial(&self, serial: &str) -> Option<&StoredToken> {
        self.by_serial.get(serial).and_then(|seq| self.tokens.get(seq))
    }

    /// Every record of a serial, history and live, in upload order: what a filter on the serial
    /// finds. O(records of that serial).
    pub fn records_of_serial(&self, serial: &str) -> Vec<&StoredToken> {
        let mut seqs: Vec<u64> = self
            .history_by_serial
            .get(serial)
            .into_iter()
            .flatten()
            .copied()
            .chain(self.by_serial.get(serial).copied())
            .collect();
        seqs.sort_unstable();
        seqs.iter().filter_map(|seq| self.tokens.get(seq)).collect()
    }

    /// Tokens after sequence number `after` (exclusive), in insertion order.
    pub fn iter_after(&self, after: Option<u64>) -> impl DoubleEndedIterator<Item = &StoredToken> {
        let lower = after.map_or(Bound::Unbounded, Bound::Excluded);
        self.tokens.range((lower, Bound::Unbounded)).map(|(_, t)| t)
    }

    /// Tokens before sequence number `before` (exclusive), newest first.
    pub fn iter_before(&self, before: Option<u64>) -> impl Iterator<Item = &StoredToken> {
        let upper = before.map_or(Bound::Unbounded, Bound::Excluded);
        self.tokens.range((Bound::Unbounded, upper)).rev().map(|(_, t)| t)
    }

    /// All tokens in insertion order.
    pub fn all(&self) -> impl Iterator<Item = &StoredToken> {
        self.tokens.values()
    }

    /// Deletes an unassigned, blocked or otherwise unenrolled token. With `soft`, the record stays
    /// (REVOKED, still listed and readable by id) but no longer holds its serial or public id, so
    /// the key's seed can be uploaded again.
    pub fn delete(&mut self, id: &str, soft: bool, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.delete_with(id, soft, false, at)
    }

    /// [`Store::delete`], and with `refuse_once_assigned` (the Classic help's reading, quirk
    /// `delete-assigned-refused`) a live token that was ever enrolled is refused as assigned too.
    pub fn delete_with(
        &mut self,
        id: &str,
        soft: bool,
        refuse_once_assigned: bool,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let seq = *self
            .by_id
            .get(id)
            .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        let token = self
            .tokens
            .get(&seq)
            .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        if token.status == TokenStatus::Active
            || (refuse_once_assigned && token.status.is_live() && token.was_assigned())
        {
            return Err(StoreError::TokenAssigned);
        }
        if soft && !token.status.is_live() {
            // Already history: deleting it again changes nothing, as a repeated DELETE should.
            return Ok(());
        }
        let token = if soft {
            self.tokens.get_mut(&seq).map(|t| {
                t.status = TokenStatus::Revoked;
                t.last_updated = at;
                t.user_id = None;
                t.clone()
            })
        } else {
            self.tokens.remove(&seq).inspect(|t| {
                self.by_id.remove(&t.id);
            })
        };
        if let Some(token) = token {
            if self.by_serial.get(&token.serial) == Some(&seq) {
                self.by_serial.remove(&token.serial);
                if soft {
                    self.history_by_serial
                        .entry(token.serial.clone())
                        .or_default()
                        .push(seq);
                }
            }
            if self.by_public_id.get(token.public_id.as_str()) == Some(&seq) {
                self.by_public_id.remove(token.public_id.as_str());
            }
            if let Some(f) = &token.factor_id {
                self.by_factor.remove(f);
            }
        }
        Ok(())
    }

    /// Enrolls the YubiKey that made `pass_code` as `user_id`'s `token:hardware` factor.
    pub fn enroll(
        &mut self,
        user_id: &str,
        pass_code: &str,
        at: DateTime<Utc>,
    ) -> Result<&StoredToken, StoreError> {
        let user = self
            .users
            .get(user_id)
            .ok_or_else(|| StoreError::NotFound(user_id.to_string()))?;
        if user.status != UserStatus::Active {
            return Err(StoreError::Invalid("the user is not active".into()));
        }
        if self
            .tokens
            .values()
            .any(|t| t.user_id.as_deref() == Some(user_id))
        {
            return Err(StoreError::Invalid(
                "factorType: A factor of this type is already set up.".into(),
            ));
        }
        let (prefix, _) = otp::split(pass_code).map_err(StoreError::Otp)?;
        // An unknown public id looks like a wrong passcode to the user, as in Okta.
        let seq = *self
            .by_public_id
            .get(prefix)
            .ok_or(StoreError::Otp(OtpError::WrongPublicId))?;
        let token = self
            .tokens
            .get_mut(&seq)
            .ok_or(StoreError::Otp(OtpError::WrongPublicId))?;
        if token.status != TokenStatus::Unassigned {
            return Err(StoreError::Invalid(format!(
                "This YubiKey is not available for enrollment (status {})",
                token.status
            )));
        }
        let fields = otp::verify(
            pass_code,
            &token.public_id,
            &token.private_id,
            &token.aes_key,
            token.last_counters,
        )
        .map_err(StoreError::Otp)?;
        let factor_id = users::new_id("ykf");
        token.last_counters = Some(fields.counters());
        token.status = TokenStatus::Active;
        token.user_id = Some(user_id.to_string());
        token.factor_id = Some(factor_id.clone());
        token.factor_created = Some(at);
        token.activated = Some(at);
        token.last_verified = at;
        token.last_updated = at;
        self.by_factor.insert(factor_id, seq);
        self.tokens
            .get(&seq)
            .ok_or_else(|| StoreError::NotFound(user_id.to_string()))
    }

    /// The enrolled factors (tokens) of a user.
    pub fn factors_of(&self, user_id: &str) -> Result<Vec<&StoredToken>, StoreError> {
        if !self.users.contains_key(user_id) {
            return Err(StoreError::NotFound(user_id.to_string()));
        }
        // Linear, but only the user endpoints use it and users hold one factor each.
        Ok(self
            .tokens
            .values()
            .filter(|t| t.user_id.as_deref() == Some(user_id) && t.factor_id.is_some())
            .collect())
    }

    /// One factor of a user.
    pub fn factor(&self, user_id: &str, factor_id: &str) -> Result<&StoredToken, StoreError> {
        if !self.users.contains_key(user_id) {
            return Err(StoreError::NotFound(user_id.to_string()));
        }
        self.by_factor
            .get(factor_id)
            .and_then(|seq| self.tokens.get(seq))
            .filter(|t| t.user_id.as_deref() == Some(user_id))
            .ok_or_else(|| StoreError::NotFound(factor_id.to_string()))
    }

    /// Unenrolls (reset MFA): the token goes back to UNASSIGNED (see docs/emulator.md).
    pub fn unenroll(&mut self, user_id: &str, factor_id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.unenroll_with(user_id, factor_id, false, at)
    }

    /// [`Store::unenroll`], and with `revokes` (Okta's help: "When you revoke a YubiKey, the
    /// status changes to REVOKED"; quirk `unenroll-revokes`) the token becomes a REVOKED history
    /// record that no longer holds its serial or public id, as a soft delete leaves it.
    pub fn unenroll_with(
        &mut self,
        user_id: &str,
        factor_id: &str,
        revokes: bool,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let seq = self.factor(user_id, factor_id)?.seq;
        if self.users.get(user_id).map(|u| u.status) != Some(UserStatus::Active) {
            return Err(StoreError::Invalid(
                "You can't unenroll a factor from a deactivated user".into(),
            ));
        }
        self.by_factor.remove(factor_id);
        if let Some(t) = self.tokens.get_mut(&seq) {
            t.status = TokenStatus::Unassigned;
            t.user_id = None;
            t.factor_id = None;
            t.factor_created = None;
            t.activated = None;
            t.last_updated = at;
            if revokes {
                t.status = TokenStatus::Revoked;
            }
        }
        if revokes {
            self.move_to_history(seq);
        }
        Ok(())
    }

    /// Moves a record that just stopped being live out of the serial and public id indexes.
    fn move_to_history(&mut self, seq: u64) {
        let Some(t) = self.tokens.get(&seq) else {
            return;
        };
        let (serial, public_id) = (t.serial.clone(), t.public_id.as_str().to_string());
        if self.by_serial.get(&serial) == Some(&seq) {
            self.by_serial.remove(&serial);
        }
        if self.by_public_id.get(&public_id) == Some(&seq) {
            self.by_public_id.remove(&public_id);
        }
        self.history_by_serial.entry(serial).or_default().push(seq);
    }

    /// Marks an ACTIVE token BLOCKED without touching its user (a test aid: see
    /// `EmulatorHandle::block_token_of_active_user`). Whether one was changed.
    pub fn block_keeping_user(&mut self, id: &str, at: DateTime<Utc>) -> bool {
        let Some(seq) = self.by_id.get(id).copied() else {
            return false;
        };
        match self.tokens.get_mut(&seq) {
            Some(t) if t.status == TokenStatus::Active => {
                t.status = TokenStatus::Blocked;
                t.last_updated = at;
                true
            }
            _ => false,
        }
    }

    /// Suspends an ACTIVE user (a test aid; the emulator serves no suspend endpoint). Whether one
    /// was changed.
    pub fn suspend_user(&mut self, user_id: &str, at: DateTime<Utc>) -> bool {
        match self.users.get_mut(user_id) {
            Some(u) if u.status == UserStatus::Active => {
                u.status = UserStatus::Suspended;
                u.status_changed = at;
                true
            }
            _ => false,
        }
    }

    /// Deactivates a user; their tokens become BLOCKED, as in Okta. Idempotent.
    pub fn deactivate_user(&mut self, user_id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let user = self
            .users
            .get_mut(user_id)
            .ok_or_else(|| StoreError::NotFound(user_id.to_string()))?;
        if user.status == UserStatus::Deprovisioned {
            return Ok(());
        }
        user.status = UserStatus::Deprovisioned;
        user.status_changed = at;
        for t in self.tokens.values_mut() {
            if t.user_id.as_deref() == Some(user_id) && t.status == TokenStatus::Active {
                t.status = TokenStatus::Blocked;
                t.last_updated = at;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
