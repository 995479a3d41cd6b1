//! Shared test helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A temporary directory that lives as long as the test.
pub struct TestDir {
    dir: tempfile::TempDir,
}

impl TestDir {
    /// A fresh directory.
    pub fn new() -> Self {
        TestDir {
            dir: tempfile::tempdir().expect("create temp dir"),
        }
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` to `name` inside the directory and returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write test file");
        path
    }
}

/// A state folder (the org locks) for the binaries this test process starts, under cargo's
/// scratch folder for integration tests: a test must never take or leave a lock in the user's
/// real state folder. Emulators bind port 0, so two tests' orgs never share a lock file at once.
pub fn private_state() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("state-{}", std::process::id()))
}

/// The real binary, for tests of exit codes and output, with a ledger and a state folder of
/// its own.
pub fn bin() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("ykprov").expect("binary built");
    cmd.env("YKPROV_LEDGER", private_ledger());
    cmd.env("YKPROV_STATE_DIR", private_state());
    cmd
}

/// A ledger path no other test (and no other run of the binary) uses, under cargo's scratch
/// folder for integration tests: a binary started without `--ledger` must never write the
/// user's real ledger, and two tests whose emulators reuse a port must not share one.
pub fn private_ledger() -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("ledgers")
        .join(format!("{}-{n}", std::process::id()))
        .join("ledger.sqlite3")
}

/// Starts an emulator on 127.0.0.1:0 with `config` (tests usually start from `Default`).
pub async fn spawn_emulator(config: okta_emulator::EmulatorConfig) -> okta_emulator::EmulatorHandle {
    okta_emulator::spawn(config).await.expect("emulator starts")
}

/// Logs to the test output when `TEST_LOG=1`; silent otherwise.
/// The emulator's stored tokens as the client's model reads them: the emulator writes its own
/// wire type, the client parses it, so every test that looks at the store through this helper
/// also checks that the two independent serde models agree.
pub fn client_tokens(emu: &okta_emulator::EmulatorHandle) -> Vec<ykprov::okta::models::YubikeyToken> {
    let json = serde_json::to_value(emu.tokens()).expect("the emulator's tokens serialise");
    serde_json::from_value(json).expect("the client's model reads the emulator's tokens")
}

pub fn init_test_log() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new("ykprov=debug,info"))
                .with_test_writer()
                .try_init();
        }
    });
}

/// The real binary, pointed at an emulator through the Okta SDK environment variables, with no
/// okta.yaml in reach.
pub fn ykprov_against(emu: &okta_emulator::EmulatorHandle, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_ykprov"));
    cmd.args(args)
        .env("OKTA_CLIENT_ORGURL", emu.url())
        .env("OKTA_CLIENT_TOKEN", emu.token())
        .env("HOME", "/nonexistent")
        .env("YKPROV_LEDGER", private_ledger())
        .env("YKPROV_STATE_DIR", crate::helpers::private_state())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// The real binary as a tokio command, with a ledger and a state folder of its own and nothing
/// else set.
pub fn private_binary() -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_ykprov"));
    cmd.env("YKPROV_LEDGER", private_ledger());
    cmd.env("YKPROV_STATE_DIR", private_state());
    cmd
}

/// Asserts a finished command's exit code, showing its stderr when it differs.
pub fn assert_exit(out: &std::process::Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The path of `tool` on `PATH`, or `None` after a note on stderr so the test can skip locally.
/// Under `CI=true` a missing tool fails the test instead: CI must never pass a test that did not
/// run (`.ci/run` installs gpg and chromium, and stops when it cannot).
pub fn require_tool(tool: &str, test: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(tool))
            .find(|p| is_executable(p))
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: `{tool}` is not on PATH and CI=true, so this test cannot be skipped; \
             install {tool} (.ci/run does) or run without CI=true"
        );
        eprintln!("note: {test} skipped: `{tool}` is not installed (.ci/run installs it)");
    }
    found
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Every serial of `first..first + n` stored exactly once, as the emulator's log counts them.
pub fn assert_each_stored_once(emu: &okta_emulator::EmulatorHandle, first: u32, n: u32) {
    let log = emu.log();
    for s in first..first + n {
        let key = format!("{s:012}");
        assert_eq!(
            log.stored_per_serial.get(&key).copied(),
            Some(1),
            "serial {key} stored {:?} times",
            log.stored_per_serial.get(&key)
        );
    }
}
