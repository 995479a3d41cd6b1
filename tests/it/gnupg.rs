//! Throwaway GnuPG homes for the sealed-file tests: passphrase-less keys made by the test, in a
//! temporary GNUPGHOME whose gpg-agent is killed when the home is dropped. Tests that need gpg
//! skip, saying so, when it is not installed, and fail under `CI=true` (`.ci/run` installs it).

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A temporary GNUPGHOME. Dropping it stops its gpg-agent (`gpgconf --kill all`).
pub struct GnuPg {
    home: tempfile::TempDir,
}

impl GnuPg {
    /// A fresh home, or `None` (with a note on stderr) when gpg is not installed; under `CI=true`
    /// a missing gpg fails the test instead (see [`crate::helpers::require_tool`]).
    pub fn new(test: &str) -> Option<GnuPg> {
        crate::helpers::require_tool("gpg", test)?;
        // tempfile makes the folder 0700, as gpg wants its home.
        let home = tempfile::Builder::new()
            .prefix("ykprov-gnupg-")
            .tempdir()
            .expect("GNUPGHOME");
        Some(GnuPg { home })
    }

    /// The folder, for `GNUPGHOME`.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// Runs `gpg --batch --yes ARGS` in this home with `stdin`; panics when it fails.
    pub fn run(&self, args: &[&str], stdin: &[u8]) -> Vec<u8> {
        let out = self.try_run(args, stdin);
        assert!(
            out.status.success(),
            "gpg {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Runs `gpg --batch --yes ARGS` in this home with `stdin`.
    pub fn try_run(&self, args: &[&str], stdin: &[u8]) -> Output {
        use std::io::Write;
        let mut child = Command::new("gpg")
            .arg("--homedir")
            .arg(self.home())
            .args([
                "--batch",
                "--yes",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
            ])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gpg runs");
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    }

    /// A new passphrase-less key (ed25519 to sign, plus cv25519 to encrypt when `encrypt`); its
    /// fingerprint.
    pub fn new_key(&self, uid: &str, encrypt: bool) -> String {
        self.run(&["--quick-gen-key", uid, "ed25519", "sign,cert", "never"], b"");
        let listing = String::from_utf8(self.run(&["--with-colons", "--list-keys", uid], b"")).unwrap();
        let fpr = listing
            .lines()
            .find_map(|l| l.strip_prefix("fpr:").map(|r| r.trim_matches(':').to_string()))
            .expect("a fingerprint");
        if encrypt {
            self.run(&["--quick-add-key", &fpr, "cv25519", "encr", "never"], b"");
        }
        fpr
    }

    /// Copies the public key `fpr` from `other` into this home.
    pub fn import_from(&self, other: &GnuPg, fpr: &str) {
        let key = other.run(&["--export", fpr], b"");
        self.run(&["--import"], &key);
    }

    /// `plain` encrypted to `to` (and signed by `sign`), trusting the recipient as the test says.
    pub fn seal(&self, plain: &[u8], to: &str, sign: Option<&str>, armor: bool) -> Vec<u8> {
        let mut args = vec!["--trust-model", "always", "--encrypt", "--recipient", to];
        if let Some(s) = sign {
            args.extend(["--sign", "--local-user", s]);
        }
        if armor {
            args.push("--armor");
        }
        args.extend(["--output", "-"]);
        self.run(&args, plain)
    }
}

impl Drop for GnuPg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.home())
            .args(["--kill", "all"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
