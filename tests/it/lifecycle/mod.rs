//! Issue 19, Okta's side: keys have a lifecycle, and automation never undoes an admin. `revoke`
//! against the emulator under every reading the contract notes leave open (Addendum 2): a
//! delete that removes the record or leaves it listed (`soft-delete`), an unenroll that leaves
//! the token UNASSIGNED or REVOKED (`unenroll-revokes`), a DELETE of a once-assigned token that
//! is allowed or refused with 403 `E0000102` (`delete-assigned-refused`). And `repair` given
//! the lifecycle facts: a retired key is never written, a removed key is held, a BLOCKED key of
//! an active user is held. The emulator's request log is the witness: writes are counted per
//! endpoint and status, never timed.

mod repair;
mod revoke;
mod scope;
mod sealed;

use crate::helpers::TestDir;
use crate::seeds;
use crate::upload::client_for;
use okta_emulator::quirks::Quirks;
use okta_emulator::{self as emulator, EmulatorConfig, EmulatorHandle, Endpoint};
use ykprov::demo::rehearse::Rehearsal;
use ykprov::okta::pacing::RateSetting;
use ykprov::secret::Secret;
use ykprov::seed::{AccessCode, AesKey, PrivateId, PublicId, Seed, Serial, SerialNumber};

/// One combination of the readings the contract leaves open.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    /// `soft-delete`: a deleted token stays listed as REVOKED.
    pub soft: bool,
    /// `unenroll-revokes`: an unenrolled token is REVOKED, not UNASSIGNED.
    pub unenroll_revokes: bool,
    /// `delete-assigned-refused`: DELETE of a once-enrolled token is 403 `E0000102`.
    pub delete_refused: bool,
}

impl Reading {
    fn quirks(self) -> Quirks {
        let mut names = Vec::new();
        if self.soft {
            names.push("soft-delete");
        }
        if self.unenroll_revokes {
            names.push("unenroll-revokes");
        }
        if self.delete_refused {
            names.push("delete-assigned-refused");
        }
        Quirks::parse_all(names).unwrap()
    }

    /// The emulator under this reading, with `users` users.
    pub fn config(self, users: u32) -> EmulatorConfig {
        EmulatorConfig {
            quirks: self.quirks(),
            users,
            ..EmulatorConfig::default()
        }
    }
}

/// Runs a scenario under five combinations of the readings.
macro_rules! every_reading {
    ($name:ident) => {
        mod $name {
            use super::super::Reading;
            async fn run(soft: bool, unenroll_revokes: bool, delete_refused: bool) {
                super::$name(Reading {
                    soft,
                    unenroll_revokes,
                    delete_refused,
                })
                .await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn default_reading() {
                run(false, false, false).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn soft_delete() {
                run(true, false, false).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn unenroll_revokes() {
                run(false, true, false).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn delete_assigned_refused() {
                run(false, false, true).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn soft_delete_unenroll_revokes_and_delete_refused() {
                run(true, true, true).await
            }
        }
    };
}
pub(crate) use every_reading;

pub fn seed_of(r: &seeds::Row) -> Seed {
    Seed {
        serial: SerialNumber::new(r.serial).unwrap(),
        public_id: PublicId::parse(&r.public_id).unwrap(),
        private_id: PrivateId::parse(&r.private_id).unwrap(),
        aes_key: AesKey::parse(&r.aes_key).unwrap(),
        access_code: AccessCode::parse("").unwrap(),
    }
}

/// Six keys in the file. Keys 0-4 are uploaded; key 0 is enrolled by user 0 (ACTIVE), key 1 is
/// UNASSIGNED, key 2 was enrolled by user 1 who then left (BLOCKED), key 3 was enrolled by user
/// 2 and is ACTIVE, key 4 an admin deleted after it was uploaded; key 5 was never uploaded.
pub struct Scene {
    pub emu: EmulatorHandle,
    pub dir: TestDir,
    pub file: std::path::PathBuf,
    pub rows: Vec<seeds::Row>,
}

impl Scene {
    pub async fn new(reading: Reading, first: u32) -> Scene {
        let emu = emulator::spawn(reading.config(3)).await.unwrap();
        let dir = TestDir::new();
        let rows = seeds::rows(first, 6);
        let client = client_for(&emu, RateSetting::Auto { share: 1.0 });
        for r in &rows[..5] {
            client.upload(&seed_of(r)).await.unwrap();
        }
        let admin = Rehearsal::new(&emu.url(), &Secret::new(emu.token())).unwrap();
        let users = emu.users();
        admin.enroll(&users[0].id, &seed_of(&rows[0]), 1).await.unwrap();
        admin.enroll(&users[1].id, &seed_of(&rows[2]), 1).await.unwrap();
        admin.enroll(&users[2].id, &seed_of(&rows[3]), 1).await.unwrap();
        admin.deactivate_user(&users[1].id).await.unwrap();
        let t4 = admin
            .token_of(&Serial::from(rows[4].serial))
            .await
            .unwrap()
            .unwrap();
        admin.delete_token(&t4.id).await.unwrap();
        let file = dir.write("seeds.csv", seeds::csv(&rows));
        Scene { emu, dir, file, rows }
    }

    pub fn serial(&self, i: usize) -> Serial {
        Serial::from(self.rows[i].serial)
    }

    /// The unpadded serial, as an admin types it.
    pub fn arg(&self, i: usize) -> String {
        self.rows[i].serial.to_string()
    }

    /// The serial's live record's status now, if it has one.
    pub fn live_status(&self, i: usize) -> Option<String> {
        let serial = self.serial(i);
        crate::helpers::client_tokens(&self.emu)
            .into_iter()
            .find(|t| t.serial_padded().as_ref() == Some(&serial) && t.status.is_live())
            .map(|t| t.status.to_string())
    }

    /// Requests on an endpoint answered with `status` (`None`: no answer was sent).
    pub fn answered(&self, endpoint: Endpoint, status: Option<u16>) -> usize {
        self.emu
            .log()
            .entries_for(endpoint)
            .filter(|e| e.status == status)
            .count()
    }
}
