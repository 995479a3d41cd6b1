//! The demo's steps, in order: each does one thing against the emulator and narrates it.

use super::rehearse::Rehearsal;
use super::seeds::{self, FakeKey};
use super::{lifecycle, DemoOptions, Narrator};
use crate::ledger::Ledger;
use crate::lifecycle::Facts;
use crate::okta::inventory::Via;
use crate::okta::pacing::RateSetting;
use crate::okta::{ClientConfig, OktaClient};
use crate::reconcile::diff::Scope;
use crate::reconcile::{self, output, ReconcileOptions, ReconcileResult};
use crate::repair::{self, RepairOptions, RepairSummary};
use crate::secret::Secret;
use crate::seed::{
    self, AccessCode, AesKey, PrivateId, PublicId, Seed, Serial, SerialNumber, ValidationOptions,
};
use crate::upload::{self, UploadOptions, UploadSummary};
use okta_emulator::EmulatorHandle;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Keys the demo's users enroll.
const ENROLLED: usize = 8;

/// Every step in order; true when every serial was stored once (the repaired ones twice), no
/// row failed and the final reconciliation is clean.
pub(super) async fn pipeline(
    opts: &DemoOptions,
    emu: &EmulatorHandle,
    out: &mut dyn Narrator,
) -> anyhow::Result<bool> {
    introduce(emu, out);
    let (keys, file) = write_seed_file(opts)?;
    validate(&file, out)?;
    let client = {
        let mut cfg = ClientConfig::new(emu.url().parse()?, Secret::new(emu.token()));
        cfg.rate = RateSetting::DEFAULT;
        OktaClient::new(cfg)?
    };
    let summary = upload(opts, &file, &client, out).await?;
    // The demo's own ledger, beside its files: what reconcile, revoke and repair decide with.
    let mut ledger = Ledger::open(&opts.dir.join(super::LEDGER))?;
    if let Some(journal) = &summary.journal {
        ledger.ingest_journal(journal)?;
    }
    let org = client.org().as_str().to_string();
    let stolen = act(emu, &keys, out).await?;
    reconcile(&file, &client, &ledger.facts(&org)?, out).await?;
    let revoked = match &stolen {
        Some(serial) => lifecycle::revoke_stolen(&opts.dir, &client, &mut ledger, serial, out).await?,
        None => true,
    };
    let repaired = repair(opts, &file, &client, &ledger.facts(&org)?, out).await?;
    ledger.ingest_journal(&repaired.summary.journal)?;
    let journals: Vec<PathBuf> = summary
        .journal
        .iter()
        .cloned()
        .chain([repaired.summary.journal.clone()])
        .collect();
    write_reports(&opts.dir, &journals, &repaired.after, out)?;
    Ok(prove(emu, &keys, &summary, &repaired, out) && revoked)
}

fn seed_from_line(line: &str) -> anyhow::Result<Seed> {
    let f: Vec<&str> = line.split(',').collect();
    let bad = |what: &str| anyhow::anyhow!("demo generator wrote a bad {what}");
    let field = |i: usize| f.get(i).copied().unwrap_or_default();
    Ok(Seed {
        serial: SerialNumber::parse(field(0)).map_err(|_| bad("serial"))?,
        public_id: PublicId::parse(field(1)).map_err(|_| bad("public id"))?,
        private_id: PrivateId::parse(field(2)).map_err(|_| bad("private id"))?,
        aes_key: AesKey::parse(field(3)).map_err(|_| bad("AES key"))?,
        access_code: AccessCode::parse("").map_err(|_| bad("access code"))?,
    })
}

fn introduce(emu: &EmulatorHandle, out: &mut dyn Narrator) {
    out.step(
        "1/8 emulator",
        &format!(
            "an Okta emulator is listening on {} with Okta's behaviour: 600 requests per 10 s window for the whole token path (X-Rate-Limit-* headers),\n5-15 ms latency, 2% server errors, 1% writes (uploads, deletes) whose answer is lost after they were committed, and 12 users.",
            emu.url()
        ),
    );
}

/// The fake seed file (and a README saying so), written atomically.
fn write_seed_file(opts: &DemoOptions) -> anyhow::Result<(Vec<FakeKey>, PathBuf)> {
    let (keys, text) = seeds::generate(opts.rows, opts.seed);
    let file = opts.dir.join("FAKE-demo-seeds.csv");
    crate::atomic::write(&file, |w| Ok(w.write_all(text.as_bytes())?))?;
    crate::atomic::write(&opts.dir.join("README.txt"), |w| {
        Ok(w.write_all(b"Everything in this folder was made by `ykprov demo`. The seeds are FAKE: generated, never programmed into a key.\n")?)
    })?;
    Ok((keys, file))
}

fn validate(file: &Path, out: &mut dyn Narrator) -> anyhow::Result<()> {
    // Through `seed::open`, as every command reads seed files, so a sealed file would do as well.
    let source = seed::open(file, &seed::UnsealOptions::default())?;
    let report = seed::validate_file(&source, &ValidationOptions::default())?;
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
    out.step("2/8 validate", &lines);
    Ok(())
}

async fn upload(
    opts: &DemoOptions,
    file: &Path,
    client: &OktaClient,
    out: &mut dyn Narrator,
) -> anyhow::Result<UploadSummary> {
    let options = UploadOptions {
        skip_invalid: true,
        quiet: opts.quiet,
        ..UploadOptions::new(file)
    };
    out.show(
        "\n== 3/8 upload (pacing at half of the limit Okta announces, as Okta recommends for one token)\n",
    );
    let (_stop, shutdown) = tokio::sync::watch::channel(false);
    let summary = upload::upload(&options, client.clone(), shutdown).await?;
    out.show(&upload::summary::summary_text(&summary));
    out.show(&format!(
        "the {} invalid rows were journaled and skipped; the lost answers were settled by looking the serial up, never by a blind re-send.\n",
        summary.counts.invalid
    ));
    Ok(summary)
}

/// Users enroll keys with real OTPs, an admin deletes one token, a user leaves. The first
/// enrolled key is the one reported stolen later.
async fn act(
    emu: &EmulatorHandle,
    keys: &[FakeKey],
    out: &mut dyn Narrator,
) -> anyhow::Result<Option<Serial>> {
    let admin = Rehearsal::new(&emu.url(), &Secret::new(emu.token()))?;
    let users = emu.users();
    let enrolled = ENROLLED.min(keys.len()).min(users.len());
    for (i, key) in keys.iter().take(enrolled).enumerate() {
        admin.enroll(&users[i].id, &seed_from_line(&key.line)?, 1).await?;
    }
    let mut deleted = None;
    if let Some(key) = keys.get(enrolled) {
        if let Some(t) = admin.token_of(&Serial::from(key.serial)).await? {
            admin.delete_token(&t.id).await?;
            deleted = Some(key.serial);
        }
    }
    if enrolled > 0 {
        admin.deactivate_user(&users[enrolled - 1].id).await?;
    }
    out.step(
        "4/8 users act",
        &format!(
            "{enrolled} users enrolled their keys by typing a one-time password the key would generate (AES-128, CRC checked by the emulator);\nan admin deleted the token of serial {}; the user {} left and was deactivated, so their key is now BLOCKED.",
            deleted.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
            users.get(enrolled.saturating_sub(1)).map(|u| u.login.as_str()).unwrap_or("-")
        ),
    );
    // The departed user's key (the last enrolled) is BLOCKED; the first is the stolen one.
    Ok((enrolled > 1).then(|| Serial::from(keys[0].serial)))
}

async fn reconcile(
    file: &Path,
    client: &OktaClient,
    facts: &Facts,
    out: &mut dyn Narrator,
) -> anyhow::Result<()> {
    let options = ReconcileOptions {
        via: Via::Download,
        scope: Scope::Org,
        expand_user: true,
        facts: facts.clone(),
        ..ReconcileOptions::new(vec![file.to_path_buf()])
    };
    let rec = reconcile::reconcile(&options, client).await?;
    out.step("5/8 reconcile", &output::text(&rec));
    out.show(
        "unassigned: uploaded, waiting for a user; active: enrolled; blocked: the user left (delete, then re-upload to reuse);\nremoved: uploaded, then deleted in Okta (here: the admin's deleted token), held for a person: retire it, or repair --restore it;\nmissing: in the file, never uploaded; invalid: rows to fix by hand.\n",
    );
    Ok(())
}

/// What the repair did, and Okta after it.
pub(super) struct Repaired {
    /// The apply's summary.
    summary: RepairSummary,
    /// The serials it planned to act on.
    planned: HashSet<Serial>,
    /// The reconciliation after it.
    after: ReconcileResult,
}

/// `ykprov repair --reissue-blocked --yes`: the admin's deleted token held as removed (never
/// uploaded again without a person naming it), the departed user's BLOCKED token deleted and its
/// seed uploaded again (its user read as deactivated), then reconciled.
async fn repair(
    opts: &DemoOptions,
    file: &Path,
    client: &OktaClient,
    facts: &Facts,
    out: &mut dyn Narrator,
) -> anyhow::Result<Repaired> {
    let o = RepairOptions {
        reissue_blocked: true,
        quiet: opts.quiet,
        facts: facts.clone(),
        ..RepairOptions::new(vec![file.to_path_buf()])
    };
    let prepared = repair::prepare(&o, client).await?;
    out.step(
        "7/8 repair (ykprov repair --reissue-blocked)",
        &format!(
            "at most one action per serial, from a fresh listing; ACTIVE tokens and invalid rows are never touched, and each target is\nchecked again just before its write:\n{}",
            repair::output::plan_text(&prepared.plan, &prepared.before)
        ),
    );
    let (_stop, mut shutdown) = tokio::sync::watch::channel(false);
    let summary = repair::apply(&o, &prepared, client, &mut shutdown).await?;
    if let Some(fatal) = &summary.fatal {
        anyhow::bail!("the demo's repair stopped: {fatal}");
    }
    let after = repair::reconcile_after(&o, &prepared, client).await?;
    out.show(&format!(
        "{}\nafter the repair:\n{}",
        repair::output::summary_text(&summary),
        output::text(&after)
    ));
    let planned = prepared.plan.actions.iter().map(|a| a.serial.clone()).collect();
    Ok(Repaired {
        summary,
        planned,
        after,
    })
}

fn write_reports(
    dir: &Path,
    journals: &[PathBuf],
    rec: &ReconcileResult,
    out: &mut dyn Narrator,
) -> anyhow::Result<()> {
    let json_path = dir.join("reconcile.json");
    let md_path = dir.join("reconcile.md");
    for (path, format) in [(&json_path, output::Format::Json), (&md_path, output::Format::Md)] {
        let bytes = reconcile::render(rec, format)?;
        crate::atomic::write(path, |w| Ok(w.write_all(&bytes)?))?;
    }
    let mut written = vec![json_path, md_path];
    written.extend(journals.iter().cloned());
    written.extend(super::reports(dir, journals, rec)?);
    let listing: Vec<String> = written.iter().map(|p| format!("  {}", p.display())).collect();
    out.step(
        "8/8 reports",
        &format!(
            "written (mode 0600, no secrets in any of them):\n{}",
            listing.join("\n")
        ),
    );
    Ok(())
}

/// The emulator's own log as the witness: each serial stored exactly once, except the ones the
/// repair brought back, which were stored once more; and the reconciliation after is clean.
fn prove(
    emu: &EmulatorHandle,
    keys: &[FakeKey],
    summary: &UploadSummary,
    repaired: &Repaired,
    out: &mut dyn Narrator,
) -> bool {
    let log = emu.log();
    let as_expected = keys.iter().all(|k| {
        let serial = Serial::from(k.serial);
        let expected = 1 + u32::from(repaired.planned.contains(&serial));
        log.stored_per_serial.get(serial.as_str()) == Some(&expected)
    });
    let deletes = log.count(okta_emulator::Endpoint::DeleteToken);
    out.show(&format!(
        "\nproof from the emulator's own log: {} uploads stored, each serial once (the {} repaired ones once more): {}; {} DELETE requests in all (the admin's, the stolen key's, then {} token(s) deleted by the repair); {} answers lost after commit, {} server errors injected.\n",
        log.stored_per_serial.values().sum::<u32>(),
        repaired.planned.len(),
        if as_expected { "yes" } else { "NO" },
        deletes,
        repaired.summary.counts.deleted,
        log.dropped_after_commit,
        log.failed
    ));
    as_expected && summary.counts.failed == 0 && repaired.summary.is_clean() && !has_problems(&repaired.after)
}

/// Missing, revoked, blocked or retired-but-live serials (the invalid rows stay: only a person
/// can fix them; so do the removed keys, held for a person to retire or restore).
fn has_problems(rec: &ReconcileResult) -> bool {
    use crate::reconcile::diff::Category;
    [
        Category::Missing,
        Category::Revoked,
        Category::Blocked,
        Category::RetiredLive,
    ]
    .iter()
    .any(|c| rec.reconciliation.count(c) > 0)
}
