//! The demo: the whole job against the embedded emulator. It starts an emulator with realistic
//! behaviour (a rate limit, latency, a few faults, users), writes a fake seed file with some broken
//! rows, validates it, uploads it, acts out what users and admins do next (enroll keys with real
//! OTPs, delete one, deactivate a user), reconciles (the deleted token is `removed`, held for a
//! person), revokes a stolen key (its factor unenrolled, its token deleted), repairs what the
//! reconciliation found (the departed user's key reissued; the removed one left alone), and writes
//! the reports, explaining each number. Nothing is left running.
//!
//! It narrates through a [`Narrator`] so that the command layer decides where the text goes; each
//! step is its own function in `steps`.

mod lifecycle;
pub mod rehearse;
pub mod seeds;
mod steps;

use anyhow::Context;
use okta_emulator::{self as emulator, EmulatorConfig, RateLimit};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What the demo is asked to do.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Keys in the generated (fake) seed file.
    pub rows: u32,
    /// Where the seed file, journal and reports go.
    pub dir: PathBuf,
    /// Seed of the generator and the emulator's faults.
    pub seed: u64,
    /// No progress bar.
    pub quiet: bool,
}

impl DemoOptions {
    /// Keys in the generated seed file, the default of `demo --rows` (clap reads it from here).
    pub const DEFAULT_ROWS: u32 = 300;
    /// Where the demo writes, the default of `demo --dir`.
    pub const DEFAULT_DIR: &'static str = "ykprov-demo";
    /// The generator's seed, the default of `demo --seed`.
    pub const DEFAULT_SEED: u64 = 1;
}

/// Where the demo's narration goes (the command prints it as it comes).
pub trait Narrator {
    /// Shows `text` as it is (it carries its own line ends).
    fn show(&mut self, text: &str);

    /// A numbered step: a heading, then its explanation.
    fn step(&mut self, step: &str, text: &str) {
        self.show(&format!("\n== {step}\n{}\n", text.trim_end()));
    }
}

/// How the demo ended.
#[derive(Debug, Clone, Copy)]
pub struct DemoResult {
    /// Every serial stored exactly once (twice for the two the repair brought back), no row
    /// failed, and the final reconciliation has nothing missing, revoked or blocked.
    pub clean: bool,
    /// Wall time, emulator start to stop.
    pub elapsed: Duration,
}

/// The emulator the demo runs against: Okta's behaviour, on a small scale.
fn emulator_config(seed: u64) -> EmulatorConfig {
    EmulatorConfig {
        api_limit: Some(RateLimit::new(600, Duration::from_secs(10))),
        latency: Duration::from_millis(5),
        latency_jitter: Duration::from_millis(10),
        fail_rate: 0.02,
        drop_after_commit_rate: 0.01,
        fault_seed: seed,
        users: 12,
        ..EmulatorConfig::default()
    }
}

/// The demo's ledger, in its folder (never the operator's own ledger).
const LEDGER: &str = "ledger.sqlite3";

fn fresh_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // A previous demo's journals would make this run a resume, and its ledger would remember
    // its keys; start clean.
    for name in [
        "FAKE-demo-seeds.csv.ykprov-journal.jsonl",
        "FAKE-demo-seeds.csv.ykprov-repair-journal.jsonl",
        lifecycle::REVOKE_JOURNAL,
        LEDGER,
        "ledger.sqlite3-wal",
        "ledger.sqlite3-shm",
    ] {
        let journal = dir.join(name);
        if journal.exists() {
            std::fs::remove_file(&journal).with_context(|| format!("cannot remove {}", journal.display()))?;
        }
    }
    Ok(())
}

/// Runs the demo: starts the emulator, runs every step, and stops the emulator whatever happened.
pub async fn run(opts: &DemoOptions, out: &mut dyn Narrator) -> anyhow::Result<DemoResult> {
    let started = Instant::now();
    fresh_dir(&opts.dir)?;
    let emu = emulator::spawn(emulator_config(opts.seed))
        .await
        .context("cannot start the embedded emulator")?;
    let result = steps::pipeline(opts, &emu, out).await;
    emu.shutdown().await?;
    Ok(DemoResult {
        clean: result?,
        elapsed: started.elapsed(),
    })
}

/// The audit reports of the run (its journals, upload's then repair's, and the reconciliation):
/// HTML for people, Markdown for tickets, JSON for machines.
pub fn reports(
    dir: &Path,
    journals: &[PathBuf],
    rec: &crate::reconcile::ReconcileResult,
) -> anyhow::Result<Vec<PathBuf>> {
    let report = crate::report::build(journals, Some(rec))?;
    let mut written = Vec::new();
    for (name, format) in [
        ("report.html", crate::report::ReportFormat::Html),
        ("report.md", crate::report::ReportFormat::Md),
        ("report.json", crate::report::ReportFormat::Json),
    ] {
        let path = dir.join(name);
        crate::report::write(&report, &path, format)?;
        written.push(path);
    }
    Ok(written)
}
