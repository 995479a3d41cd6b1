//! `ykprov upload`: flags to a checked config, Ctrl-C handling, the upload, the operator's
//! summary, the optional report, and the exit outcome.

use super::output::require_seed_file;
use super::sealed::{seal_line, unseal_options};
use super::signal::ctrl_c;
use super::{recording, Outcome, RunMetrics};
use crate::cli::{resolve, GlobalArgs, RateArg, TextOrJson, UploadArgs};
use crate::okta::pacing::RateSetting;
use crate::okta::{self, ConnectSettings};
use crate::seed::UnsealOptions;
use crate::upload::summary::{invalid_text, summary_json, summary_text};
use crate::upload::{upload, UploadOptions, UploadSummary};
use anyhow::Context;
use std::path::PathBuf;
use std::time::Duration;

/// Okta's org-wide concurrency limit: more in flight can only earn 429s.
pub const MAX_CONCURRENCY: usize = 75;

/// Everything `upload` needs, checked.
struct UploadConfig {
    options: UploadOptions,
    /// `--format json`: the summary as one JSON object on stdout.
    json: bool,
    connection: ConnectSettings,
    report: Option<PathBuf>,
}

impl UploadConfig {
    /// Checks the flags together and lists every problem at once, each with its flag.
    fn from_args(args: &UploadArgs, global: &GlobalArgs) -> anyhow::Result<Self> {
        let flags = resolve(args.format, args.input).warn();
        let mut problems = pace_problems(args.concurrency, args.share);
        if args.max_attempts == 0 {
            problems.push("--max-attempts must be at least 1".to_string());
        }
        let unseal = unseal_options(&args.sealed).unwrap_or_else(|p| {
            problems.extend(p);
            UnsealOptions::default()
        });
        if !problems.is_empty() {
            anyhow::bail!(problems.join("; "));
        }
        let rate = rate_setting(args.rate, args.share);
        let options = UploadOptions {
            journal: args.journal.clone(),
            resume: args.resume,
            dry_run: args.dry_run,
            skip_invalid: args.skip_invalid,
            concurrency: args.concurrency,
            max_attempts: args.max_attempts,
            format: flags.layout,
            last_wins: args.last_wins,
            rate,
            quiet: global.quiet,
            unseal,
            retry_rejected: args.retry_rejected,
            expect: args.expect.expect(),
            ..UploadOptions::new(&args.file)
        };
        let connection = ConnectSettings {
            flags: args.org.flags(),
            connect_timeout: Duration::from_secs(args.org.connect_timeout),
            timeout: Duration::from_secs(args.org.timeout),
            rate,
            scopes: crate::okta::oauth::UPLOAD_SCOPES,
        };
        Ok(UploadConfig {
            options,
            json: flags.output == TextOrJson::Json,
            connection,
            report: args.report.clone(),
        })
    }
}

/// The problems with `--concurrency` and `--share`, flags every sending command shares.
pub fn pace_problems(concurrency: usize, share: f64) -> Vec<String> {
    let mut problems = Vec::new();
    if concurrency == 0 || concurrency > MAX_CONCURRENCY {
        problems.push(format!(
            "--concurrency must be 1 to {MAX_CONCURRENCY} (Okta's org-wide limit), got {concurrency}"
        ));
    }
    if !(share > 0.0 && share <= 1.0) {
        problems.push(format!("--share must be more than 0 and at most 1, got {share}"));
    }
    problems
}

/// The pace for a `--rate` and `--share`.
pub fn rate_setting(rate: RateArg, share: f64) -> RateSetting {
    match rate {
        RateArg::Auto => RateSetting::Auto { share },
        RateArg::PerMinute(n) => RateSetting::PerMinute(n),
    }
}

/// Runs `ykprov upload`.
pub async fn run(args: &UploadArgs, global: &GlobalArgs, m: &mut RunMetrics) -> anyhow::Result<Outcome> {
    let config = UploadConfig::from_args(args, global)?;
    let opts = &config.options;
    require_seed_file(&opts.file)?;
    crate::okta::config::warn_if_shared(&opts.file);
    if let Some(path) = &config.report {
        crate::report::format_for(path, None)?;
    }
    let journal = opts
        .journal
        .clone()
        .unwrap_or_else(|| crate::journal::default_path(&opts.file));
    let written = (!opts.dry_run).then_some(journal.as_path());
    super::output::check_outputs(&[
        ("--report", config.report.as_deref()),
        ("--journal", written),
        ("--metrics-file", args.metrics.file.as_deref()),
    ])?;
    let mut ledger = super::ledger::open(global)?;
    let client = okta::connect(&config.connection)?;
    m.connected(&client);
    let _locks = super::locks::take(opts.dry_run, "upload", &journal, client.org())?;
    // Before anything is sent: where the seeds go (a planted okta.yaml would show here).
    if !global.quiet {
        eprintln!(
            "uploading the seeds of {} to {}",
            opts.file.display(),
            client.org()
        );
    }
    if !opts.dry_run {
        let (org, files) = (client.org().as_str(), [opts.file.clone()]);
        recording::record_plain_manifest(&mut ledger, org, &opts.file, opts.format)?;
        // The Okta identity is looked up by the upload itself, after the seed file's checks (a
        // bad file sends nothing); the ledger has it from the journal header.
        recording::before_run(&mut ledger, org, "upload", &files, &journal, &[], None)?;
    }
    recording::carry_share(&ledger, &client, &journal);
    let (shutdown, quit_now) = ctrl_c();
    let summary = tokio::select! {
        s = upload(opts, client.clone(), shutdown) => s?,
        _ = quit_now => return Ok(Outcome::Interrupted),
    };
    recording::after_run(&mut ledger, &journal);
    m.upload(&summary);
    recording::record_sends(&mut ledger, &client, &journal);
    if config.json {
        println!("{:#}", summary_json(&summary));
    } else {
        if let Some(seal) = &summary.validation.sealed {
            println!("{}", seal_line(&opts.file, seal));
        }
        print!("{}{}", invalid_text(&summary), summary_text(&summary));
    }
    if let (Some(path), Some(journal)) = (&config.report, &summary.journal) {
        crate::report::write_upload_report(path, journal).with_context(|| {
            format!(
                "the upload finished but its report was not written; retry with `ykprov report --journal {} --out {}`",
                journal.display(),
                path.display()
            )
        })?;
    }
    outcome(&summary)
}

fn outcome(summary: &UploadSummary) -> anyhow::Result<Outcome> {
    if let Some(fatal) = &summary.fatal {
        anyhow::bail!(
            "upload stopped: {fatal}. Rows not finished are pending; once fixed, run the same command again"
        );
    }
    Ok(if summary.interrupted {
        Outcome::Interrupted
    } else {
        Outcome::problems_if(!summary.is_clean())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    #[test]
    fn the_flags_defaults_are_the_upload_options_defaults() {
        let cli = Cli::try_parse_from(["ykprov", "upload", "seeds.csv"]).unwrap();
        let Command::Upload(args) = &cli.command else {
            panic!("parsed as another command");
        };
        let config = UploadConfig::from_args(args, &cli.global).unwrap();
        // Whether gpg may prompt depends on the terminal the test runs in, not on a flag.
        let unseal = config.options.unseal.clone();
        assert!(unseal.signers.is_empty() && unseal.identities.is_empty());
        assert_eq!(
            config.options,
            UploadOptions {
                unseal,
                ..UploadOptions::new("seeds.csv")
            }
        );
    }

    #[test]
    fn bad_signer_fingerprints_are_reported_with_the_other_problems() {
        let cli = Cli::try_parse_from([
            "ykprov",
            "upload",
            "seeds.csv",
            "--concurrency",
            "0",
            "--signer",
            "3A21A8CAD1418449",
        ])
        .unwrap();
        let Command::Upload(args) = &cli.command else {
            panic!("parsed as another command");
        };
        let err = UploadConfig::from_args(args, &cli.global)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("--concurrency must be"), "{err}");
        assert!(err.contains("--signer: `3A21A8CAD1418449` is a key id"), "{err}");
    }
}
