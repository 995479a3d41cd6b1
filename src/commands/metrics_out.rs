//! `--metrics-file` for `reconcile`, `upload` and `repair`: what a scheduled run did, for
//! node_exporter's textfile collector, so a timer can be watched by more than its exit code. Each
//! file describes the last run of one command: when it last succeeded (carried over from the file
//! it replaces when this run failed, so a stale-success alert sees through failures), when it ran,
//! its exit code, duration and 429s, then the command's own counts. Every sample is labelled with
//! the command and the org. A run counts as a success when it finished (exit 0 or 1: finding
//! something that needs action is the run doing its job; the counts say what).

use super::Outcome;
use crate::metrics::{self, Family, Sample, LAST_SUCCESS};
use crate::okta::OktaClient;
use crate::reconcile::diff::Category;
use crate::reconcile::ReconcileResult;
use crate::repair::RepairSummary;
use crate::upload::UploadSummary;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// What one run will write to its metrics file.
pub struct RunMetrics {
    command: &'static str,
    started: Instant,
    org: Option<String>,
    client: Option<OktaClient>,
    /// The command's own families, by name (a later call replaces an earlier one's).
    counts: Vec<Family>,
}

impl RunMetrics {
    /// The metrics of a run of `command` starting now.
    pub fn new(command: &'static str) -> Self {
        RunMetrics {
            command,
            started: Instant::now(),
            org: None,
            client: None,
            counts: Vec::new(),
        }
    }

    /// The org is known, and the client whose 429s are counted.
    pub fn connected(&mut self, client: &OktaClient) {
        self.org = Some(client.org().to_string());
        self.client = Some(client.clone());
    }

    fn labels<'a>(&'a self, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let org = self.org.as_deref().unwrap_or("unknown");
        let mut labels = vec![("command", self.command), ("org", org)];
        labels.extend_from_slice(extra);
        labels
    }

    fn set(&mut self, name: &str, help: &str, key: &str, values: &[(&str, u64)]) {
        let samples = values
            .iter()
            .map(|(v, n)| Sample::new(&self.labels(&[(key, v)]), *n as f64))
            .collect();
        self.counts.retain(|f| f.name != name);
        self.counts.push(Family {
            name: name.to_string(),
            help: help.to_string(),
            samples,
        });
    }

    /// A reconciliation's counts per category (the one after a repair replaces the one before).
    pub fn reconciliation(&mut self, r: &ReconcileResult) {
        let counts: Vec<(&str, u64)> = Category::ALL
            .iter()
            .map(|c| (c.name(), r.reconciliation.count(c)))
            .collect();
        self.set(
            "ykprov_reconcile_keys",
            "Keys per reconciliation category, as the run last saw Okta.",
            "category",
            &counts,
        );
        let failing: u64 = r.fail_on.iter().map(|c| r.reconciliation.count(c)).sum();
        let tokens = [("okta", r.okta_tokens), ("needs_action", failing)];
        self.set(
            "ykprov_reconcile_totals",
            "Tokens Okta listed (source=okta) and keys in the --fail-on categories (source=needs_action).",
            "source",
            &tokens,
        );
    }

    /// An upload's rows per outcome.
    pub fn upload(&mut self, s: &UploadSummary) {
        let c = &s.counts;
        let outcomes = [
            ("uploaded", c.uploaded),
            ("already_present", c.already_present),
            ("rejected", c.rejected),
            ("failed", c.failed),
            ("invalid", c.invalid),
            ("done_before", c.done_before),
            ("settled_from_listing", c.settled_from_listing),
        ];
        self.set(
            "ykprov_upload_rows",
            "Seed file rows per outcome of the run (uploaded counts only what this run sent).",
            "outcome",
            &outcomes,
        );
    }

    /// A repair's actions per outcome.
    pub fn repair(&mut self, s: &RepairSummary) {
        let c = &s.counts;
        let outcomes = [
            ("planned", c.planned),
            ("done", c.done),
            ("tokens_deleted", c.deleted),
            ("skipped", c.skipped),
            ("failed", c.failed),
            ("not_started", c.not_started),
        ];
        self.set(
            "ykprov_repair_actions",
            "Repair actions per outcome of the run; tokens_deleted counts the reissues' deletions.",
            "outcome",
            &outcomes,
        );
    }

    /// Writes the file when one was asked for, and passes the run's result on. The file is
    /// written whatever the result (a failed run is worth an alert); failing to write it fails a
    /// run that had not failed already.
    pub fn finish(self, path: Option<&Path>, result: anyhow::Result<Outcome>) -> anyhow::Result<Outcome> {
        let Some(path) = path else {
            return result;
        };
        let written = metrics::write(path, &self.families(&result, path));
        match (result, written) {
            (Ok(outcome), Ok(())) => Ok(outcome),
            (Ok(_), Err(e)) => Err(e.context("the run finished, but --metrics-file was not written")),
            (Err(e), Ok(())) => Err(e),
            (Err(e), Err(w)) => {
                eprintln!("warning: --metrics-file was not written: {w:#}");
                Err(e)
            }
        }
    }

    fn families(&self, result: &anyhow::Result<Outcome>, path: &Path) -> Vec<Family> {
        let (success, exit) = match result {
            Ok(Outcome::Clean) => (true, 0),
            Ok(Outcome::Problems) => (true, 1),
            Ok(Outcome::Interrupted) => (false, 130),
            Err(_) => (false, 2),
        };
        let now = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
        let last_success = if success {
            Some(now)
        } else {
            // The file this run replaces knows when the last success was.
            std::fs::read_to_string(path)
                .ok()
                .and_then(|t| metrics::first_value(&t, LAST_SUCCESS))
        };
        let labels = self.labels(&[]);
        let one = |name: &str, help: &str, value: f64| Family::one(name, help, &labels, value);
        let mut out = Vec::new();
        if let Some(t) = last_success {
            out.push(one(
                LAST_SUCCESS,
                "When a run last finished (exit 0 or 1), in unix seconds.",
                t,
            ));
        }
        out.extend([
            one(
                "ykprov_last_run_timestamp_seconds",
                "When the last run ended, in unix seconds.",
                now,
            ),
            one(
                "ykprov_last_run_success",
                "1 when the last run finished (exit 0 or 1), else 0.",
                f64::from(u8::from(success)),
            ),
            one(
                "ykprov_last_run_exit_code",
                "The last run's exit code (0 done, 1 needs action, 2 fatal, 130 interrupted).",
                f64::from(exit),
            ),
            one(
                "ykprov_last_run_duration_seconds",
                "How long the last run took, in seconds.",
                self.started.elapsed().as_secs_f64(),
            ),
        ]);
        let stats = self.client.as_ref().map(|c| c.stats());
        let n = |a: Option<&std::sync::atomic::AtomicU64>| a.map_or(0, |a| a.load(Ordering::Relaxed)) as f64;
        let (rate, conc) = (
            n(stats.map(|s| &s.rate_limited)),
            n(stats.map(|s| &s.concurrency_limited)),
        );
        out.push(Family {
            name: "ykprov_last_run_http_429_responses".into(),
            help: "429 answers the last run got from Okta, per limit (rate or concurrency).".into(),
            samples: vec![
                Sample::new(&self.labels(&[("limit", "rate")]), rate),
                Sample::new(&self.labels(&[("limit", "concurrency")]), conc),
            ],
        });
        out.extend(self.counts.iter().cloned());
        out
    }
}
