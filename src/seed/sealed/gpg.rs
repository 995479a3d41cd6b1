//! Running the system's `gpg`, as sops does, so whatever holds the key works: gpg-agent, a
//! smartcard or a YubiKey's OpenPGP applet, with pinentry for the PIN. The sealed bytes go in on
//! stdin, the plaintext comes back on stdout straight into a [`Plaintext`], and the verdict comes
//! from `--status-fd` lines alone ([`super::status`]), read from a descriptor of their own (as
//! GPGME does) so no text on stderr can pass for one; gpg's human text only fills in a failure
//! the status lines do not explain. gpg is run by its absolute path (found on `PATH` once, shown
//! at `-v`) and never sees the `OKTA_CLIENT_*` or `YKPROV_*` environment.
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

/// What a gpg run left: its stdout (in a zeroizing buffer), its status lines, its human text and
/// its exit status.
pub struct Run {
    /// stdout.
    pub stdout: Plaintext,
    /// `[GNUPG:] ` status lines, from their own descriptor (`--status-fd`), so nothing gpg or a
    /// hostile message prints on stderr can pass for one.
    pub status_lines: Vec<String>,
    /// stderr, line by line: gpg's messages.
    pub stderr: Vec<String>,
    /// How gpg exited.
    pub status: ExitStatus,
}

impl Run {
    /// gpg's last human line, for a failure the status lines do not explain (control and bidi
    /// characters removed).
    pub fn last_message(&self) -> Option<String> {
        self.stderr
            .iter()
            .rev()
            .find(|l| l.starts_with("gpg: "))
            .map(|l| crate::secret::printable(l.trim_start_matches("gpg: ")))
    }
}

/// Environment variables gpg never needs and must never see: the Okta credential and ykprov's own
/// settings (a `gpg` earlier on PATH, or a gpg wrapper, would otherwise record the token).
fn is_withheld(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with("OKTA_CLIENT_") || name.starts_with("YKPROV_")
}

/// `program` as an absolute path: as given when it names a path, else the first executable file
/// of that name on `PATH`. A bare name is looked up once per process.
fn resolve_program(program: &Path) -> Option<PathBuf> {
    static GPG: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    let lookup = || {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .filter(|dir| dir.is_absolute())
            .map(|dir| dir.join(program))
            .find(|p| is_executable(p))
    };
    if program.components().count() > 1 || program.is_absolute() {
        return Some(program.to_path_buf());
    }
    if program == Path::new("gpg") {
        return GPG.get_or_init(lookup).clone();
    }
    lookup()
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

impl GpgSettings {
    /// The common arguments: home, interaction; and an environment without Okta's or ykprov's
    /// settings.
    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        for (name, _) in std::env::vars_os().filter(|(n, _)| is_withheld(n)) {
            cmd.env_remove(name);
        }
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
        cmd
    }

    /// Runs gpg with `args`, feeding `stdin` and reading stdout (up to `limit` bytes), the status
    /// descriptor and stderr at the same time, so no pipe can fill and stall it.
    pub fn run(&self, args: &[&str], stdin: Stdin<'_>, limit: usize) -> anyhow::Result<Run> {
        use std::os::fd::AsRawFd;
        let program = resolve_program(&self.program).ok_or_else(|| self.not_found())?;
        tracing::debug!(gpg = %program.display(), "running gpg");
        let (status_read, status_write) =
            crate::hardening::inheritable_pipe().context("cannot make a pipe for gpg's status")?;
        let child = self
            .command(&program)
            .args(["--status-fd", &status_write.as_raw_fd().to_string()])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.spawn_error(e));
        // Ours must close, or the status reader never sees the end.
        drop(status_write);
        let mut child = child?;
        let result = std::thread::scope(|scope| -> anyhow::Result<(Plaintext, Vec<String>, Vec<String>)> {
            let mut input = child.stdin.take().context("gpg's stdin")?;
            let feeder = scope.spawn(move || -> io::Result<()> {
                match stdin {
                    Stdin::Bytes(b) => input.write_all(b),
                    Stdin::Reader(r) => io::copy(r, &mut input).map(|_| ()),
                }
            });
            let err = child.stderr.take().context("gpg's stderr")?;
            let errors = scope.spawn(move || read_lines(err));
            let statuses = scope.spawn(move || read_lines(status_read));
            let mut out = child.stdout.take().context("gpg's stdout")?;
            let stdout = Plaintext::read_from(&mut out, limit, 64 * 1024);
            drop(out);
            let stdout = stdout.map_err(|e| too_large(e, &mut child))?;
            // A feeder error means gpg stopped reading early; its status lines say why.
            let _ = feeder.join();
            let joined = |h: std::thread::ScopedJoinHandle<'_, Vec<String>>| {
                h.join()
                    .map_err(|_| anyhow::anyhow!("a reader of gpg's output failed"))
            };
            Ok((stdout, joined(statuses)?, joined(errors)?))
        });
        let (stdout, status_lines, stderr) = match result {
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
            status_lines,
            stderr,
            status,
        })
    }

    fn not_found(&self) -> anyhow::Error {
        anyhow::anyhow!(
            "`{}` was not found: reading and sealing OpenPGP files needs GnuPG; install it \
             (apt-get install gnupg, dnf install gnupg2, brew install gnupg) and make sure `gpg` \
             is on PATH",
            self.program.display()
        )
    }

    fn spawn_error(&self, e: io::Error) -> anyhow::Error {
        if e.kind() == io::ErrorKind::NotFound {
            self.not_found()
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
    let parsed = status::parse(run.status_lines.iter().map(String::as_str));
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
    let lines: Vec<&str> = run.status_lines.iter().map(String::as_str).collect();
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
        let cmd = GpgSettings::default().command(Path::new("gpg"));
        let args: Vec<_> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(args, ["--batch", "--pinentry-mode", "error", "--no-tty"]);
        let interactive = GpgSettings {
            interactive: true,
            ..GpgSettings::default()
        };
        let args: Vec<_> = interactive
            .command(Path::new("gpg"))
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(!args.contains(&"--batch".to_string()), "{args:?}");
    }
}
