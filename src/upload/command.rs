//! The `ykprov upload` command: flags to options, Ctrl-C handling, and the operator's summary.

use super::{upload, UploadOptions, UploadSummary};
use crate::app::Outcome;
use crate::cli::{GlobalArgs, OrgArgs, RateArg, UploadArgs};
use crate::okta::pacing::RateSetting;
use crate::okta::{config, ClientConfig, OktaClient};
use anyhow::Context;
use std::time::Duration;
use tokio::sync::watch;

/// Okta's org-wide concurrency limit: more in flight can only earn 429s.
pub const MAX_CONCURRENCY: usize = 75;

/// Checks the flags together and lists every problem at once.
pub fn options(args: &UploadArgs, global: &GlobalArgs) -> anyhow::Result<UploadOptions> {
    let mut problems = Vec::new();
    if args.concurrency == 0 || args.concurrency > MAX_CONCURRENCY {
        problems.push(format!(
            "--concurrency must be 1 to {MAX_CONCURRENCY} (Okta's org-wide limit), got {}",
            args.concurrency
        ));
    }
    if !(args.share > 0.0 && args.share <= 1.0) {
        problems.push(format!(
            "--share must be more than 0 and at most 1, got {}",
            args.share
        ));
    }
    if args.max_attempts == 0 {
        problems.push("--max-attempts must be at least 1".to_string());
    }
    if !problems.is_empty() {
        anyhow::bail!(problems.join("; "));
    }
    Ok(UploadOptions {
        file: args.file.clone(),
        journal: args.journal.clone(),
        resume: args.resume,
        dry_run: args.dry_run,
        skip_invalid: args.skip_invalid,
        concurrency: args.concurrency,
        max_attempts: args.max_attempts,
        format: args.format,
        last_wins: args.last_wins,
        rate: rate_setting(args.rate, args.share),
        quiet: global.quiet,
    })
}

/// The pace for a `--rate` and `--share`.
pub fn rate_setting(rate: RateArg, share: f64) -> RateSetting {
    match rate {
        RateArg::Auto => RateSetting::Auto { share },
        RateArg::PerMinute(n) => RateSetting::PerMinute(n),
    }
}

/// Builds the client from the connection flags, the environment and okta.yaml.
///
/// `scopes` are what the command needs (least privilege): only `okta.users.read` for reads.
pub fn client(org: &OrgArgs, write_rate: RateSetting, scopes: &[&str]) -> anyhow::Result<OktaClient> {
    let env = |k: &str| std::env::var(k).ok();
    let conn = config::resolve(&org.flags(), &env, &config::yaml_paths())?;
    tracing::debug!(org = %conn.org, org_source = %conn.org_source, credential_source = %conn.credential_source, "connection");
    let mut cfg = ClientConfig::with_credential(conn.org, conn.credential, scopes);
    cfg.connect_timeout = Duration::from_secs(org.connect_timeout.max(1));
    cfg.timeout = Duration::from_secs(org.timeout.max(1));
    cfg.write_rate = write_rate;
    OktaClient::new(cfg)
}

/// A shutdown signal: the first Ctrl-C flips it; the second resolves the returned future.
pub fn ctrl_c() -> (watch::Receiver<bool>, tokio::sync::oneshot::Receiver<()>) {
    let (tx, rx) = watch::channel(false);
    let (now_tx, now_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("stopping: finishing the requests in flight (press Ctrl-C again to quit now; the journal stays consistent)");
            let _ = tx.send(true);
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = now_tx.send(());
            }
        }
    });
    (rx, now_rx)
}

/// Runs `ykprov upload`.
pub async fn run(args: &UploadArgs, global: &GlobalArgs) -> anyhow::Result<Outcome> {
    let opts = options(args, global)?;
    if !opts.file.is_file() {
        anyhow::bail!("cannot read seed file {}: no such file", opts.file.display());
    }
    crate::okta::config::warn_if_shared(&opts.file);
    if let Some(path) = &args.report {
        crate::report::format_for(path, None)?;
    }
    let client = client(&args.org, opts.rate, crate::okta::oauth::UPLOAD_SCOPES)?;
    let (shutdown, quit_now) = ctrl_c();
    let summary = tokio::select! {
        s = upload(&opts, client, shutdown) => s?,
        _ = quit_now => return Ok(Outcome::Interrupted),
    };
    print_summary(&summary);
    if let (Some(path), Some(journal)) = (&args.report, &summary.journal) {
        crate::report::write_upload_report(path, journal).with_context(|| {
            format!(
                "the upload finished but its report was not written; retry with `ykprov report --journal {} --out {}`",
                journal.display(),
                path.display()
            )
        })?;
    }
    if let Some(fatal) = &summary.fatal {
        anyhow::bail!("upload stopped: {fatal}");
    }
    Ok(if summary.interrupted {
        Outcome::Interrupted
    } else if summary.is_clean() {
        Outcome::Clean
    } else {
        Outcome::Problems
    })
}

/// The invalid rows, one per line (file, line, field and reason; never a value).
pub fn invalid_text(s: &UploadSummary) -> String {
    let mut out = String::new();
    let v = &s.validation;
    for e in &v.errors {
        out.push_str(&format!("invalid: {e}\n"));
    }
    if v.error_count > v.errors.len() as u64 {
        out.push_str(&format!(
            "invalid: … and {} more\n",
            v.error_count - v.errors.len() as u64
        ));
    }
    out
}

/// The end-of-run counts for the operator (stdout).
pub fn summary_text(s: &UploadSummary) -> String {
    let mut out = String::new();
    let v = &s.validation;
    if s.stopped_for_invalid {
        out.push_str(&format!(
            "{} invalid row(s) in {}: nothing was uploaded. Fix them, or pass --skip-invalid to upload the {} valid rows.\n",
            v.error_count,
            v.path.display(),
            v.uploadable()
        ));
        return out;
    }
    let p = &s.plan;
    if s.dry_run {
        let eta = if s.pace_per_minute > 0.0 && p.to_upload > 0 {
            format!(
                "about {:.0} min at {:.0}/min",
                (p.to_upload as f64 / s.pace_per_minute).ceil(),
                s.pace_per_minute
            )
        } else {
            "learned from Okta's headers on the first upload".to_string()
        };
        out.push_str(&format!(
            "dry run (nothing sent): {} to upload, {} already in Okta, {} done by an earlier run, {} invalid, {} repeated rows skipped\nETA: {eta}\n",
            p.to_upload, p.already_present, p.done_before, p.invalid, p.excluded
        ));
        return out;
    }
    let c = &s.counts;
    let secs = s.elapsed.as_secs_f64();
    let achieved = if secs > 0.0 {
        c.uploaded as f64 * 60.0 / secs
    } else {
        0.0
    };
    out.push_str(&format!(
        "{} in {:.1}s: {} uploaded, {} already present, {} rejected, {} failed, {} invalid skipped, {} done before\n",
        if s.interrupted { "upload interrupted" } else { "upload finished" },
        secs,
        c.uploaded,
        c.already_present,
        c.rejected,
        c.failed,
        c.invalid,
        c.done_before
    ));
    out.push_str(&format!(
        "pace {:.0}/min, achieved {:.0}/min; {} rate-limit 429s, {} concurrency 429s, {} retries, {} in-doubt lookups\n",
        s.pace_per_minute, achieved, c.rate_limited, c.concurrency_limited, c.retries, c.in_doubt_lookups
    ));
    if let Some(j) = &s.journal {
        out.push_str(&format!("journal: {}\n", j.display()));
    }
    if c.failed > 0 || s.interrupted {
        out.push_str("re-run the same command to retry the rest; rows already done are skipped\n");
    }
    out
}

fn print_summary(s: &UploadSummary) {
    print!("{}{}", invalid_text(s), summary_text(s));
}
