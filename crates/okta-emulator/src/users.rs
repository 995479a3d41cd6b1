//! The emulator's users: generated at start (`--users N`) so a rehearsal can enroll keys, and
//! deactivated through the lifecycle endpoint. Only what the token API touches is modelled.

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// A user's status, in Okta's spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    /// Can sign in and enroll factors.
    Active,
    /// Deactivated: their YubiKey tokens are BLOCKED.
    Deprovisioned,
    /// Suspended: cannot sign in, may be unsuspended; their tokens are left as they are.
    Suspended,
}

impl UserStatus {
    /// Okta's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "ACTIVE",
            UserStatus::Deprovisioned => "DEPROVISIONED",
            UserStatus::Suspended => "SUSPENDED",
        }
    }
}

/// One user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// `00u…`.
    pub id: String,
    /// Status.
    pub status: UserStatus,
    /// Creation time.
    pub created: DateTime<Utc>,
    /// Last change of status.
    pub status_changed: DateTime<Utc>,
    /// Login (an email address).
    pub login: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
}

/// `n` random base-62 characters (ids, request ids, generated API tokens).
pub fn random_chars(n: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// Okta ids: a three-character prefix and 17 base-62 characters (20 in all).
pub fn new_id(prefix: &str) -> String {
    let mut id = String::with_capacity(20);
    id.push_str(prefix);
    id.push_str(&random_chars(20usize.saturating_sub(prefix.len())));
    id
}

/// `n` active users named `user1@example.com`, `user2@example.com`, ….
pub fn generate(n: u32, now: DateTime<Utc>) -> Vec<User> {
    (1..=n)
        .map(|i| User {
            id: new_id("00u"),
            status: UserStatus::Active,
            created: now,
            status_changed: now,
            login: format!("user{i}@example.com"),
            first_name: "User".to_string(),
            last_name: format!("{i}"),
        })
        .collect()
}

/// Users from a text file: one `login[,firstName,lastName]` per line.
pub fn parse_file(text: &str, now: DateTime<Utc>) -> Result<Vec<User>, String> {
    let mut users = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split(',').map(str::trim);
        let login = parts.next().unwrap_or_default();
        if login.is_empty() || login.chars().any(char::is_whitespace) {
            return Err(format!("line {}: expected a login (no spaces)", i + 1));
        }
        if !seen.insert(login.to_ascii_lowercase()) {
            return Err(format!("line {}: login {login} appears twice", i + 1));
        }
        let local = login.split('@').next().unwrap_or(login);
        users.push(User {
            id: new_id("00u"),
            status: UserStatus::Active,
            created: now,
            status_changed: now,
            login: login.to_string(),
            first_name: parts
                .next()
                .filter(|s| !s.is_empty())
                .unwrap_or(local)
                .to_string(),
            last_name: parts
                .next()
                .filter(|s| !s.is_empty())
                .unwrap_or("User")
                .to_string(),
        });
    }
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_oktas_shape() {
        let id = new_id("ykk");
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("ykk"));
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(new_id("ykk"), id);
    }

    #[test]
    fn users_file_takes_logins_and_optional_names() {
        let users = parse_file(
            "# staff\nada@example.com,Ada,Lovelace\n\nbob@example.com\n",
            Utc::now(),
        )
        .unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(
            (users[0].first_name.as_str(), users[0].last_name.as_str()),
            ("Ada", "Lovelace")
        );
        assert_eq!(users[1].first_name, "bob");
        assert!(parse_file("a@x\nA@x\n", Utc::now())
            .unwrap_err()
            .contains("line 2"));
        assert!(parse_file("has space@x\n", Utc::now()).is_err());
    }

    #[test]
    fn generated_users_are_active_with_distinct_logins() {
        let users = generate(3, Utc::now());
        assert_eq!(users.len(), 3);
        assert_eq!(users[2].login, "user3@example.com");
        assert!(users.iter().all(|u| u.status == UserStatus::Active));
    }
}
