//! `ykprov reconcile`: the seed files against Okta's inventory, rendered, with an optional audit
//! report, exiting 1 when a `--fail-on` category is non-empty.

use super::output::{emit, require_seed_file};
use super::sealed::unseal_options;
use super::{recording, Outcome, RunMetrics};
use crate::cli::{GlobalArgs, ReconcileArgs};
use crate::okta::{self, ConnectSettings};
use crate::reconcile::{self, ReconcileOptions};
use std::time::Duration;

/// The connection for a read-only command, from its connection flags.
pub fn read_only_connection(org: &crate::cli::OrgArgs) -> ConnectSettings {
    ConnectSettings::read_only(
        org.flags(),
        Duration::from_secs(org.connect_timeout),
        Duration::from_secs(org.timeout),
    )
}

fn options(args: &ReconcileArgs) -> anyhow::Result<ReconcileOptions> {
    let unseal = unseal_options(&args.sealed).map_err(|p| anyhow::anyhow!(p.join("; ")))?;
    Ok(ReconcileOptions {
        format: args.input.layout(),
        via: args.via,
        scope: args.scope,
        stale_after: args.stale_after,
        expand_user: args.expand_user,
        fail_on: args.fail_on.clone(),
        unseal,
        expect: args.expect.expect(),
        ..ReconcileOptions::new(args.files.clone())
    })
}

/// Runs `ykprov reconcile`: the files given, or with none every key the ledger knows for the org.
pub async fn run(args: &ReconcileArgs, global: &GlobalArgs, m: &mut RunMetrics) -> anyhow::Result<Outcome> {
    for f in &args.files {
        require_seed_file(f)?;
        crate::okta::config::warn_if_shared(f);
    }
    let o = options(args)?;
    super::output::check_outputs(&[
        ("--out", args.out.as_deref()),
        ("--report", args.report.as_deref()),
        ("--metrics-file", args.metrics.file.as_deref()),
    ])?;
    let mut ledger = super::ledger::open(global)?;
    let client = okta::connect(&read_only_connection(&args.org))?;
    m.connected(&client);
    if let Some(path) = &args.report {
        crate::report::format_for(path, None)?;
    }
    let org = client.org().to_string();
    let o = recording::with_facts(o, &ledger, &org)?;
    let known = if args.files.is_empty() {
        let known = recording::known_rows(&ledger, &org)?;
        if known.is_empty() {
            anyhow::bail!(
                "the ledger {} knows no key of {org}: name the seed files, or bring old journals in with `ykprov ledger import`",
                ledger.path().display()
            );
        }
        Some(known)
    } else {
        None
    };
    let known_keys = known.as_ref().map_or(0, Vec::len);
    // The listing spends the org's bucket like any run.
    let listing = async {
        match known {
            Some(known) => reconcile::reconcile_known(&o, known, &client).await,
            None => reconcile::reconcile(&o, &client).await,
        }
    };
    let result = recording::counted_reads(Some(&mut ledger), &client, "reconcile", listing).await?;
    m.reconciliation(&result);
    let suspect = empty_listing(known_keys, result.okta_tokens, &org);
    match &suspect {
        // A listing that lost every key is more likely the wrong org or a narrowed credential than
        // a wiped org: the ledger keeps its last statuses rather than marking every key gone.
        Some(why) => eprintln!("warning: {why}"),
        None => {
            recording::record_seen(&mut ledger, &result)?;
        }
    }
    emit(args.out.as_ref(), &reconcile::render(&result, args.output)?)?;
    if let Some(path) = &args.report {
        crate::report::write_reconcile_report(path, &result)?;
    }
    Ok(Outcome::problems_if(result.needs_action() || suspect.is_some()))
}

/// A reconciliation from the ledger against a listing with no token at all, while the ledger
/// knows keys of the org: never a quiet green (issue 21). `None` when the listing is plausible.
fn empty_listing(known: usize, okta_tokens: u64, org: &str) -> Option<String> {
    (known > 0 && okta_tokens == 0).then(|| {
        format!(
            "Okta lists no YubiKey token in {org}, but the ledger knows {known} key(s) of it: check the org URL and that the credential may read factors; the ledger was not updated from this listing"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_listing_is_suspect_only_when_the_ledger_knows_keys() {
        let why = empty_listing(3, 0, "https://acme.okta.com").unwrap();
        assert!(why.contains("knows 3 key(s)"), "{why}");
        assert_eq!(empty_listing(3, 1, "https://acme.okta.com"), None);
        assert_eq!(empty_listing(0, 0, "https://acme.okta.com"), None);
    }
}
