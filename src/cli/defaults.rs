//! Every default a flag shows in `--help` is a constant of the options type it ends up in (clap
//! reads `default_value_t = UploadOptions::DEFAULT_CONCURRENCY`, …), so `--help`, the demo and the
//! code cannot disagree. These tests parse each command with nothing but its required arguments
//! and compare what clap filled in with those constants.

use super::{Cli, Command, OrgArgs, RateArg};
use crate::demo::DemoOptions;
use crate::okta::pacing::RateSetting;
use crate::okta::ClientConfig;
use crate::reconcile::ReconcileOptions;
use crate::repair::RepairOptions;
use crate::revoke::RevokeOptions;
use crate::upload::UploadOptions;
use clap::Parser;

fn parse(args: &[&str]) -> Command {
    Cli::try_parse_from(std::iter::once("ykprov").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
        .command
}

fn assert_org_defaults(org: &OrgArgs) {
    assert_eq!(
        org.connect_timeout,
        ClientConfig::DEFAULT_CONNECT_TIMEOUT.as_secs()
    );
    assert_eq!(org.timeout, ClientConfig::DEFAULT_TIMEOUT.as_secs());
}

#[test]
fn upload_defaults_are_the_upload_options_constants() {
    let Command::Upload(a) = parse(&["upload", "s.csv"]) else {
        panic!("not upload")
    };
    assert_eq!(a.concurrency, UploadOptions::DEFAULT_CONCURRENCY);
    assert_eq!(a.max_attempts, UploadOptions::DEFAULT_MAX_ATTEMPTS);
    assert_eq!(a.rate, RateArg::Auto);
    assert_eq!(a.share, RateSetting::DEFAULT_SHARE);
    assert_eq!(UploadOptions::new("s.csv").rate, RateSetting::DEFAULT);
    assert_org_defaults(&a.org);
}

#[test]
fn repair_defaults_are_the_repair_options_constants() {
    let Command::Repair(a) = parse(&["repair", "s.csv"]) else {
        panic!("not repair")
    };
    assert_eq!(a.concurrency, RepairOptions::DEFAULT_CONCURRENCY);
    assert_eq!(a.rate, RateArg::Auto);
    assert_eq!(a.share, RateSetting::DEFAULT_SHARE);
    let o = RepairOptions::new(vec!["s.csv".into()]);
    assert_eq!(
        (o.concurrency, o.max_attempts),
        (
            RepairOptions::DEFAULT_CONCURRENCY,
            RepairOptions::DEFAULT_MAX_ATTEMPTS
        )
    );
    assert_org_defaults(&a.org);
}

#[test]
fn revoke_defaults_are_the_revoke_options_constants() {
    let Command::Revoke(a) = parse(&["revoke", "--reason", "lost", "000000000001"]) else {
        panic!("not revoke")
    };
    assert_eq!(a.concurrency, RevokeOptions::DEFAULT_CONCURRENCY);
    let o = RevokeOptions::new(Vec::new(), crate::lifecycle::RetireReason::Lost);
    assert_eq!(
        (o.concurrency, o.max_attempts),
        (
            RevokeOptions::DEFAULT_CONCURRENCY,
            RevokeOptions::DEFAULT_MAX_ATTEMPTS
        )
    );
    assert_org_defaults(&a.org);
}

#[test]
fn reconcile_defaults_are_the_reconcile_options_constants() {
    let Command::Reconcile(a) = parse(&["reconcile", "s.csv"]) else {
        panic!("not reconcile")
    };
    let o = ReconcileOptions::new(vec!["s.csv".into()]);
    assert_eq!(a.stale_after, o.stale_after);
    assert_eq!(
        o.stale_after,
        chrono::Duration::days(90),
        "DEFAULT_STALE_AFTER parses"
    );
    assert_eq!(a.fail_on, ReconcileOptions::DEFAULT_FAIL_ON.to_vec());
    assert_eq!((a.via, a.scope), (o.via, o.scope));
    assert_org_defaults(&a.org);
}

#[test]
fn export_and_demo_defaults_are_the_constants() {
    let Command::Export(a) = parse(&["export"]) else {
        panic!("not export")
    };
    assert_org_defaults(&a.org);
    let Command::Demo(d) = parse(&["demo"]) else {
        panic!("not demo")
    };
    assert_eq!(d.rows, DemoOptions::DEFAULT_ROWS);
    assert_eq!(d.seed, DemoOptions::DEFAULT_SEED);
    assert_eq!(d.dir, std::path::PathBuf::from(DemoOptions::DEFAULT_DIR));
}

#[test]
fn emulate_defaults_are_the_emulator_config_constants() {
    use okta_emulator::config::EmulatorConfig;
    let Command::Emulate(a) = parse(&["emulate"]) else {
        panic!("not emulate")
    };
    assert_eq!(a.users, EmulatorConfig::DEFAULT_USERS);
    // The lifetime's default is written as text ("3600s") for clap's parser; it must read back as
    // the emulator's constant.
    assert_eq!(
        a.access_token_lifetime,
        EmulatorConfig::DEFAULT_ACCESS_TOKEN_LIFETIME
    );
}
