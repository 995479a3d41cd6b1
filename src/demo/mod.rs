//! `ykprov demo`: the whole job in one command against the embedded emulator. It starts an
//! emulator with realistic behaviour (a rate limit, latency, a few faults, users), writes a fake
//! seed file with some broken rows, validates it, uploads it, acts out what users and admins do
//! next (enroll keys with real OTPs, delete one, deactivate a user), reconciles, and writes the
//! reports, explaining each number. Nothing is left running.

pub mod rehearse;
pub mod seeds;

use crate::app::Outcome;
use crate::cli::{DemoArgs, GlobalArgs, SeedFormat};
use crate::emulator::{self, EmulatorConfig, RateLimit};
use crate::okta::pacing::RateSetting;
use crate::okta::{ClientConfig, OktaClient};
use crate::reconcile::diff::{Category, Scope};
use crate::reconcile::inventory::Via;
use crate::reconcile::{self, output, ReconcileOptions};
use crate::secret::Secret;
use crate::seed::{self, AccessCode, AesKey, PrivateId, PublicId, Seed, SerialNumber, ValidationOptions};
use crate::upload::{self, UploadOptions};
use anyhow::Context;
use rehearse::Rehearsal;
use std::path::Path;
use std::time::{Duration, Instant};

/// Keys the demo's users enroll.
const ENROLLED: usize = 8;

fn seed_from_line(line: &str) -> anyhow::Result<Seed> {
    let f: Vec<&str> = line.split(',').collect();
    let bad = |what: &str| anyhow::anyhow!("demo generator wrote a bad {what}");
    Ok(Seed {
        serial: SerialNumber::parse(f[0]).map_err(|_| bad("serial"))?,
        public_id: PublicId::parse(f[1]).map_err(|_| bad("public id"))?,
        private_id: PrivateId::parse(f[2]).map_err(|_| bad("private id"))?,
        aes_key: AesKey::parse(f[3]).map_err(|_| bad("AES key"))?,
        access_code: AccessCode::parse("").map_err(|_| bad("access code"))?,
    })
}

fn say(step: &str, text: impl AsRef<str>) {
    println!("\n== {step}\n{}", text.as_ref().trim_end());
}

fn fresh_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // A previous demo's journal would make this run a resume; start clean.
    let journal = dir.join("FAKE-demo-seeds.csv.ykprov-journal.jsonl");
    if journal.exists() {
        std::fs::remove_file(&journal).with_context(|| format!("cannot remove {}", journal.display()))?;
    }
    Ok(())
}

/// Runs the demo.
pub async fn run(args: &DemoArgs, global: &GlobalArgs) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let dir = args.dir.clone();
    fresh_dir(&dir)?;
    let config = EmulatorConfig {
        post_limit: Some(RateLimit::new(600, Duration::from_secs(10))),
        get_limit: Some(RateLimit::new(1200, Duration::from_secs(10))),
        latency: Duration::from_millis(5),
        latency_jitter: Duration::from_millis(10),
        fail_rate: 0.02,
        drop_after_commit_rate: 0.01,
        fault_seed: args.seed,
        users: 12,
        ..EmulatorConfig::default()
    };
    let emu = emulator::spawn(config)
        .await
        .context("cannot start the embedded emulator")?;
    let result = pipeline(args, global, &emu, &dir).await;
    emu.shutdown().await?;
    let outcome = result?;
    println!(
        "\ndemo finished in {:.1}s; the emulator is stopped and nothing is left running.",
        started.elapsed().as_secs_f64()
    );
    Ok(outcome)
}

async fn pipeline(
    args: &DemoArgs,
    global: &GlobalArgs,
    emu: &emulator::EmulatorHandle,
    dir: &Path,
) -> anyhow::Result<Outcome> {
    say(
        "1/6 emulator",
        format!(
            "an Okta emulator is listening on {} with Okta's behaviour: 600 uploads per 10 s window (X-Rate-Limit-* headers),\n5-15 ms latency, 2% server errors, 1% uploads whose answer is lost after they were stored, and 12 users.",
            emu.url()
        ),
    );

    let (keys, text) = seeds::generate(args.rows, args.seed);
    let file = dir.join("FAKE-demo-seeds.csv");
    crate::atomic::write(&file, |w| Ok(w.write_all(text.as_bytes())?))?;
    crate::atomic::write(&dir.join("README.txt"), |w| {
        Ok(w.write_all(b"Everything in this folder was made by `ykprov demo`. The seeds are FAKE: generated, never programmed into a key.\n")?)
    })?;

    let report = seed::validate_file(
        &file,
        &ValidationOptions {
            format: SeedFormat::Auto,
            last_wins: false,
        },
    )?;
    let mut lines = format!(
        "{}: {} rows, {} valid, {} invalid (reported by file, line and field; never by value):",
        file.display(),
        report.rows,
        report.valid,
        report.error_count
    );
    for e in &report.errors {
        lines.push_str(&format!("\n  {e}"));
    }
    say("2/6 validate", lines);

    let client = {
        let mut cfg = ClientConfig::new(emu.url().parse()?, Secret::new(emu.token()));
        cfg.write_rate = RateSetting::Auto { share: 0.5 };
        OktaClient::new(cfg)?
    };
    let opts = UploadOptions {
        file: file.clone(),
        journal: None,
        resume: false,
        dry_run: false,
        skip_invalid: true,
        concurrency: 4,
        max_attempts: 6,
        format: SeedFormat::Auto,
        last_wins: false,
        rate: RateSetting::Auto { share: 0.5 },
        quiet: global.quiet,
    };
    println!(
        "\n== 3/6 upload (pacing at half of the limit Okta announces, as Okta recommends for one token)"
    );
    let (_stop, shutdown) = tokio::sync::watch::channel(false);
    let summary = upload::upload(&opts, client.clone(), shutdown).await?;
    print!("{}", upload::command::summary_text(&summary));
    println!(
        "the {} invalid rows were journaled and skipped; the lost answers were settled by looking the serial up, never by a blind re-send.",
        summary.counts.invalid
    );

    let admin = Rehearsal::new(&emu.url(), &Secret::new(emu.token()))?;
    let users = emu.users();
    let enrolled = ENROLLED.min(keys.len()).min(users.len());
    for (i, key) in keys.iter().take(enrolled).enumerate() {
        admin.enroll(&users[i].id, &seed_from_line(&key.line)?, 1).await?;
    }
    let mut deleted = None;
    if let Some(key) = keys.get(enrolled) {
        if let Some(t) = admin.token_of(&format!("{:012}", key.serial)).await? {
            admin.delete_token(&t.id).await?;
            deleted = Some(key.serial);
        }
    }
    if enrolled > 0 {
        admin.deactivate_user(&users[enrolled - 1].id).await?;
    }
    say(
        "4/6 users act",
        format!(
            "{enrolled} users enrolled their keys by typing a one-time password the key would generate (AES-128, CRC checked by the emulator);\nan admin deleted the token of serial {}; the user {} left and was deactivated, so their key is now BLOCKED.",
            deleted.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
            users.get(enrolled.saturating_sub(1)).map(|u| u.login.as_str()).unwrap_or("-")
        ),
    );

    let ropts = ReconcileOptions {
        files: vec![file.clone()],
        format: SeedFormat::Auto,
        via: Via::Download,
        scope: Scope::Org,
        stale_after: chrono::Duration::days(90),
        expand_user: true,
        fail_on: vec![Category::Missing, Category::Blocked, Category::Invalid],
    };
    let rec = reconcile::reconcile(&ropts, &client).await?;
    say("5/6 reconcile", output::text(&rec));
    println!(
        "unassigned: uploaded, waiting for a user; active: enrolled; blocked: the user left (revoke, then re-upload to reuse);\nmissing: in the file but not in Okta (here: the deleted token; `ykprov upload` would restore it); invalid: rows to fix."
    );

    let json_path = dir.join("reconcile.json");
    let md_path = dir.join("reconcile.md");
    reconcile::emit(Some(&json_path), &reconcile::render(&rec, output::Format::Json)?)?;
    reconcile::emit(Some(&md_path), &reconcile::render(&rec, output::Format::Md)?)?;
    let mut written = vec![json_path, md_path];
    if let Some(j) = &summary.journal {
        written.push(j.clone());
    }
    written.extend(crate::demo::reports(dir, summary.journal.as_deref(), &rec)?);
    let listing: Vec<String> = written.iter().map(|p| format!("  {}", p.display())).collect();
    say(
        "6/6 reports",
        format!(
            "written (mode 0600, no secrets in any of them):\n{}",
            listing.join("\n")
        ),
    );

    let log = emu.log();
    let exactly_once = keys
        .iter()
        .all(|k| log.stored_per_serial.get(&format!("{:012}", k.serial)) == Some(&1));
    println!(
        "\nproof from the emulator's own log: {} uploads stored, each serial exactly once: {}; {} answers lost after commit, {} server errors injected.",
        log.stored_per_serial.values().sum::<u32>(),
        if exactly_once { "yes" } else { "NO" },
        log.dropped_after_commit,
        log.failed
    );
    Ok(if exactly_once && summary.counts.failed == 0 {
        Outcome::Clean
    } else {
        Outcome::Problems
    })
}

/// The audit reports of the run: HTML for people, Markdown for tickets, JSON for machines.
pub fn reports(
    dir: &Path,
    journal: Option<&Path>,
    rec: &reconcile::ReconcileResult,
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let journals: Vec<std::path::PathBuf> = journal.map(Path::to_path_buf).into_iter().collect();
    let report = crate::report::build(&journals, Some(rec))?;
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
