//! Running the system's `gpg`, as sops does, so whatever holds the key works: gpg-agent, a
//! smartcard or a YubiKey's OpenPGP applet, with pinentry for the PIN. The sealed bytes go in on
//! stdin, the plaintext comes back on stdout straight into a [`Plaintext`], and the verdict comes
//! from `--status-fd` lines alone ([`super::status`]); gpg's human text only fills in a failure
//! the status lines do not explain.
//!
//! Interaction: on a terminal gpg runs without `--batch`, so pinentry may ask for a passphrase or
//! PIN (with `GPG_TTY` set to the terminal when it is unset). Without one (cron, CI, a pipe) it
//! runs with `--batch --pinentry-mode error`: a key that needs a passphrase fails at once with a
//! clear message instead of waiting for a prompt nobody sees. A passphrase already cached by
//! gpg-agent works either way.

use super::buffer::{Plaintext, ReadError};
use super::status::{self, Verified};
use super::{UnsealOptions, MAX_PLAINTEXT};
use anyhow::Context;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};

/// Status and human text kept from gpg's stderr at most (it is a few lines in practice).
const MAX_STDERR: usize = 1024 * 1024;

/// How to run gpg.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GpgSettings {
    /// The program (`gpg`, found on `PATH`).
    pub program: PathBuf,
    /// `--homedir`; `None` leaves it to gpg (`GNUPGHOME`, then `~/.gnupg`).
    pub homedir: Option<PathBuf>,
    /// A person is at a terminal: let pinentry ask.
    pub interactive: bool,
}

impl Default for GpgSettings {
    fn default() -> Self {
        GpgSettings {
            program: PathBuf::from("gpg"),
            homedir: None,
            interactive: false,
        }
    }
}

/// What gpg is given on stdin.
pub enum Stdin<'a> {
    /// Bytes already in memory (the sealed file).
    Bytes(&'a [u8]),
    /// A reader copied through (the plaintext file being sealed, hashed on the way).
    Reader(&'a mut (dyn Read + Send)),
}

/// What a gpg run left: its stdout (in a zeroizing buffer), its stderr lines, its exit status.
pub struct Run {
    /// stdout.
    pub stdout: Plaintext,
    /// stderr, line by line: `[GNUPG:] ` status lines and gpg's messages.
    pub stderr: Vec<String>,
    /// How gpg exited.
    pub status: ExitStatus,
}

impl Run {
    /// gpg's last human line, for a failure the status lines do not explain.
    pub fn last_message(&self) -> Option<String> {
        self.stderr
            .iter()
            .rev()
            .find(|l| l.starts_with("gpg: "))
            .map(|l| l.trim_start_matches("gpg: ").to_string())
    }
}

impl GpgSettings {
    /// The common arguments: home, interaction, status on stderr.
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        if let Some(home) = &self.homedir {
            cmd.arg("--homedir").arg(home);
        }
        if self.interactive {
            if std::env::var_os("GPG_TTY").is_none() {
                if let Some(tty) = terminal_name() {
                    cmd.env("GPG_TTY", tty);
                }
            }
        } else {
            cmd.args(["--batch", "--pinentry-mode", "error", "--no-tty"]);
        }
        cmd.args(["--status-fd", "2"]);
        cmd
    }

    /// Runs gpg with `args`, feeding `stdin` and reading stdout (up to `limit` bytes) and stderr
    /// at the same time, so neither pipe can fill and stall it.
    pub fn run(&self, args: &[&str], stdin: Stdin<'_>, limit: usize) -> anyhow::Result<Run> {
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.spawn_error(e))?;
        let result = std::thread::scope(|scope| -> anyhow::Result<(Plaintext, Vec<String>)> {
            let mut input = child.stdin.take().context("gpg's stdin")?;
            let feeder = scope.spawn(move || -> io::Result<()> {
                match stdin {
                    Stdin::Bytes(b) => input.write_all(b),
                    Stdin::Reader(r) => io::copy(r, &mut input).map(|_| ()),
                }
            });
            let err = child.stderr.take().context("gpg's stderr")?;
            let errors = scope.spawn(move || read_lines(err));
            let mut out = child.stdout.take().context("gpg's stdout")?;
            let stdout = Plaintext::read_from(&mut out, limit, 64 * 1024);
            drop(out);
            let stdout = stdout.map_err(|e| too_large(e, &mut child))?;
            // A feeder error means gpg stopped reading early; its status lines say why.
            let _ = feeder.join();
            let stderr = errors
                .join()
                .map_err(|_| anyhow::anyhow!("gpg's stderr reader failed"))?;
            Ok((stdout, stderr))
        });
        let (stdout, stderr) = match result {
            Ok(r) => r,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        let status = child.wait().context("gpg did not finish")?;
        Ok(Run {
            stdout,
            stderr,
            status,
        })
    }

    fn spawn_error(&self, e: io::Error) -> anyhow::Error {
        if e.kind() == io::ErrorKind::NotFound {
            anyhow::anyhow!(
                "`{}` was not found: reading and sealing OpenPGP files needs GnuPG; install it \
                 (apt-get install gnupg, dnf install gnupg2, brew install gnupg) and make sure `gpg` \
                 is on PATH",
                self.program.display()
            )
        } else {
            anyhow::Error::new(e).context(format!("cannot run {}", self.program.display()))
        }
    }
}

/// Kills gpg when its output passed the bound (it would otherwise block on a full pipe).
fn too_large(e: ReadError, child: &mut Child) -> anyhow::Error {
    let _ = child.kill();
    match e {
        ReadError::TooLarge { limit } => anyhow::anyhow!(
            "it decrypts to more than {limit} bytes, the most ykprov keeps in memory; split the seed \
             file"
        ),
        ReadError::Io(e) => anyhow::Error::new(e).context("cannot read gpg's output"),
    }
}

/// gpg's stderr as lines, capped; invalid UTF-8 (a localised message) is replaced, not fatal.
fn read_lines(err: impl Read) -> Vec<String> {
    let mut lines = Vec::new();
    let mut total = 0;
    let mut reader = BufReader::new(err);
    let mut line = Vec::new();
    while let Ok(n) = reader.read_until(b'\n', &mut line) {
        if n == 0 {
            break;
        }
        total += n;
        if total <= MAX_STDERR {
            let text = String::from_utf8_lossy(&line);
            lines.push(text.trim_end_matches(['\r', '\n']).to_string());
        }
        line.clear();
    }
    lines
}

/// The terminal on stdin, for pinentry (`GPG_TTY`), as gpg's manual asks (`export GPG_TTY=$(tty)`).
fn terminal_name() -> Option<PathBuf> {
    std::fs::read_link("/proc/self/fd/0")
        .ok()
        .filter(|p| p.starts_with("/dev/"))
}

/// Decrypts (and verifies) an OpenPGP file whose bytes are `sealed`, refusing it as
/// [`status::verdict`] says. Messages name `path`.
pub fn decrypt(path: &Path, sealed: &[u8], o: &UnsealOptions) -> anyhow::Result<(Plaintext, Verified)> {
    let max = MAX_PLAINTEXT.to_string();
    // --no-use-embedded-filename and --output -: the plaintext goes to stdout, never to a file the
    // message (or gpg.conf) names. --max-output stops a compression bomb inside gpg too.
    let args = [
        "--no-use-embedded-filename",
        "--max-output",
        &max,
        "--output",
        "-",
        "--decrypt",
    ];
    let run = o
        .gpg
        .run(&args, Stdin::Bytes(sealed), MAX_PLAINTEXT)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let parsed = status::parse(run.stderr.iter().map(String::as_str));
    match status::verdict(&parsed, run.status.success(), &o.signers) {
        Ok(verified) => Ok((run.stdout, verified)),
        Err(status::Refusal::Failed { detail: None }) => {
            let said = run
                .last_message()
                .map_or(String::new(), |m| format!(": gpg said \"{m}\""));
            anyhow::bail!("{}: gpg could not read it{said}", path.display())
        }
        // The partial plaintext, if any, is wiped as `run` drops.
        Err(refusal) => anyhow::bail!("{}: {refusal}", path.display()),
    }
}

/// Encrypts what `plain` yields to `recipients` (key ids, fingerprints or user ids), signing it
/// with `sign_with` when given, and returns the sealed bytes. A recipient given by full
/// fingerprint is trusted for this run (`--trusted-key`, as sops does): the admin named that
/// exact key.
pub fn encrypt(
    settings: &GpgSettings,
    plain: &mut (dyn Read + Send),
    recipients: &[String],
    sign_with: Option<&str>,
) -> anyhow::Result<Vec<u8>> {
    let mut args: Vec<String> = ["--output", "-", "--encrypt"].map(String::from).to_vec();
    if let Some(signer) = sign_with {
        args.extend(["--sign".into(), "--local-user".into(), signer.into()]);
    }
    for r in recipients {
        args.extend(["--recipient".into(), r.clone()]);
        if let Ok(fp) = super::Fingerprint::parse(r) {
            args.extend(["--trusted-key".into(), fp.as_str().to_string()]);
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // The sealed file is about as large as the plaintext (compressed, plus a small header).
    let run = settings.run(&args, Stdin::Reader(plain), 2 * MAX_PLAINTEXT)?;
    let lines: Vec<&str> = run.stderr.iter().map(String::as_str).collect();
    if let Some(problem) = sealing_problem(&lines, run.status.success(), sign_with.is_some()) {
        let said = run
            .last_message()
            .map_or(String::new(), |m| format!(" (gpg said \"{m}\")"));
        anyhow::bail!("gpg could not seal it: {problem}{said}");
    }
    Ok(run.stdout.as_bytes().to_vec())
}

/// What went wrong sealing, from the status lines: a recipient or signer gpg cannot use, or no
/// `END_ENCRYPTION` (and `SIG_CREATED` when signing).
pub fn sealing_problem(lines: &[&str], exit_ok: bool, signing: bool) -> Option<String> {
    let mut ended = false;
    let mut signed = false;
    for line in lines {
        let Some(rest) = line.strip_prefix("[GNUPG:] ") else {
            continue;
        };
        let mut f = rest.split(' ');
        match (f.next(), f.next(), f.next()) {
            (Some("INV_RECP"), Some(code), who) => {
                return Some(format!(
                    "recipient {} {}",
                    who.unwrap_or("?"),
                    key_problem(code, "encrypt to")
                ))
            }
            (Some("INV_SGNR"), Some(code), who) => {
                return Some(format!(
                    "signer {} {}",
                    who.unwrap_or("?"),
                    key_problem(code, "sign with")
                ))
            }
            (Some("END_ENCRYPTION"), ..) => ended = true,
            (Some("SIG_CREATED"), ..) => signed = true,
            _ => {}
        }
    }
    match (exit_ok, ended, signed || !signing) {
        (true, true, true) => None,
        (_, _, false) if ended => Some("gpg encrypted it but did not sign it".into()),
        _ => Some("gpg failed".into()),
    }
}

/// `INV_RECP`/`INV_SGNR` reason codes (GnuPG doc/DETAILS), as advice.
fn key_problem(code: &str, what: &str) -> String {
    match code {
        // gpg 2.2 reports a missing key as 0, "no specific reason".
        "0" => "is not in your keyring, or cannot be used: import the key (gpg --import), or check it \
                with gpg --list-keys"
            .into(),
        "1" => "is not in your keyring: import the key (gpg --import)".into(),
        "2" => "matches several keys: give the full fingerprint".into(),
        "3" => format!("is a key gpg cannot {what} (wrong key usage)"),
        "4" => "is revoked".into(),
        "5" => "has expired".into(),
        "9" => "has no secret key here".into(),
        "10" => "is not trusted: give its full fingerprint, or certify it (gpg --lsign-key)".into(),
        "13" => "is disabled".into(),
        other => format!("cannot be used (gpg reason {other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_gpg_says_to_install_gnupg() {
        let settings = GpgSettings {
            program: PathBuf::from("ykprov-test-no-such-gpg"),
            ..GpgSettings::default()
        };
        let err = settings
            .run(&["--version"], Stdin::Bytes(b""), 1024)
            .err()
            .expect("no such program");
        let text = format!("{err:#}");
        assert!(text.contains("install it"), "{text}");
        assert!(text.contains("GnuPG"), "{text}");
    }

    #[test]
    fn sealing_problems_come_from_the_status_lines() {
        let ok = ["[GNUPG:] BEGIN_ENCRYPTION 2 9", "[GNUPG:] END_ENCRYPTION"];
        assert_eq!(sealing_problem(&ok, true, false), None);
        assert_eq!(
            sealing_problem(&ok, true, true).as_deref(),
            Some("gpg encrypted it but did not sign it")
        );
        let missing = [
            "gpg: bob: skipped: No public key",
            "[GNUPG:] INV_RECP 1 bob@example.test",
        ];
        assert_eq!(
            sealing_problem(&missing, false, false).as_deref(),
            Some("recipient bob@example.test is not in your keyring: import the key (gpg --import)")
        );
        let gpg22 = ["[GNUPG:] INV_RECP 0 bob@example.test"];
        assert!(sealing_problem(&gpg22, false, false)
            .unwrap()
            .starts_with("recipient bob@example.test is not in your keyring"));
        let untrusted = ["[GNUPG:] INV_RECP 10 ABCD"];
        assert!(sealing_problem(&untrusted, false, false)
            .unwrap()
            .contains("not trusted"));
        assert_eq!(sealing_problem(&[], false, false).as_deref(), Some("gpg failed"));
    }

    #[test]
    fn without_a_terminal_gpg_is_told_never_to_prompt() {
        let cmd = GpgSettings::default().command();
        let args: Vec<_> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(
            args,
            [
                "--batch",
                "--pinentry-mode",
                "error",
                "--no-tty",
                "--status-fd",
                "2"
            ]
        );
        let interactive = GpgSettings {
            interactive: true,
            ..GpgSettings::default()
        };
        let args: Vec<_> = interactive
            .command()
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(!args.contains(&"--batch".to_string()), "{args:?}");
    }
}
