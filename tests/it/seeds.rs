//! Seed files built in code: deterministic rows with known (fake) secrets, so tests can assert
//! that none of them leaks.
#![allow(dead_code)]

use sha2::{Digest, Sha256};

const MODHEX: &[u8; 16] = b"cbdefghijklnrtuv";

/// One seed row's values.
#[derive(Clone, Debug)]
pub struct Row {
    pub serial: u32,
    pub public_id: String,
    pub private_id: String,
    pub aes_key: String,
    pub access_code: String,
}

fn digest(tag: &str, serial: u32) -> Vec<u8> {
    Sha256::digest(format!("{tag}:{serial}").as_bytes()).to_vec()
}

/// Modhex of bytes.
pub fn modhex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|b| {
            [
                MODHEX[(b >> 4) as usize] as char,
                MODHEX[(b & 15) as usize] as char,
            ]
        })
        .collect()
}

/// A valid row for `serial` with secrets derived from it.
pub fn row(serial: u32) -> Row {
    let mut id = vec![0u8, 0u8];
    id.extend_from_slice(&serial.to_be_bytes());
    Row {
        serial,
        public_id: modhex(&id),
        private_id: hex::encode(&digest("private", serial)[..6]),
        aes_key: hex::encode(&digest("aes", serial)[..16]),
        access_code: hex::encode(&digest("access", serial)[..6]),
    }
}

impl Row {
    /// The row in ykman's Yubico format.
    pub fn line(&self) -> String {
        format!(
            "{},{},{},{},{},2026-11-28T10:00:00,",
            self.serial, self.public_id, self.private_id, self.aes_key, self.access_code
        )
    }

    /// The same row with a broken AES key (31 hex characters).
    pub fn bad_key(mut self) -> Self {
        self.aes_key.pop();
        self
    }

    /// Every secret of the row.
    pub fn secrets(&self) -> [String; 3] {
        [
            self.private_id.clone(),
            self.aes_key.clone(),
            self.access_code.clone(),
        ]
    }
}

/// Rows for serials `first..first+n`.
pub fn rows(first: u32, n: u32) -> Vec<Row> {
    (first..first + n).map(row).collect()
}

/// A Yubico-format file's text.
pub fn csv(rows: &[Row]) -> String {
    rows.iter().map(|r| r.line() + "\n").collect()
}
