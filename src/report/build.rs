//! Journals and a reconciliation in, one [`AuditReport`] out. Pure apart from reading the journals.

use super::repairs::RepairsAcc;
use super::{
    Anomalies, AuditReport, Changes, OutcomeCounts, RateSeries, ReconcileSummary, Retried, Row, Run,
};
use crate::journal::repair::DeleteResult;
use crate::journal::revoke::{RevokeLine, RevokeOutcome, UnenrollResult};
use crate::journal::{self, Counts, Entry, Header, OutcomeKind, RowResult};
use crate::okta::models::okta_time;
use crate::reconcile::diff::{Category, Item};
use crate::reconcile::{output, ReconcileResult};
use crate::seed::Serial;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// Most buckets a request-rate series gets; the bucket width grows to fit the run.
const MAX_BUCKETS: u64 = 60;

/// Bucket widths to choose from, in seconds.
const BUCKET_WIDTHS: [u64; 12] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600];

/// Builds the report from journals (read in the order given: a later outcome for a serial wins)
/// and an optional reconciliation. Unreadable journal lines are listed as anomalies, not errors.
pub fn build(journals: &[PathBuf], reconcile: Option<&ReconcileResult>) -> anyhow::Result<AuditReport> {
    let mut acc = Accumulator::default();
    for path in journals {
        let (entries, bad) = journal::read_entries_to_report(path)?;
        let name = path.display().to_string();
        acc.anomalies
            .unreadable_lines
            .extend(bad.lines.iter().map(|l| format!("{name}:{l}")));
        for entry in entries {
            acc.add(&name, entry);
        }
        acc.finish_run();
    }
    Ok(acc.into_report(journals, reconcile))
}

/// A run being read, with its request times.
struct OpenRun {
    run: Run,
    intents: Vec<DateTime<Utc>>,
    last_at: Option<DateTime<Utc>>,
}

#[derive(Default)]
struct Accumulator {
    runs: Vec<Run>,
    open: Option<OpenRun>,
    rows: BTreeMap<Serial, Row>,
    unserialed: Vec<Row>,
    attempts: HashMap<Serial, u32>,
    /// Serials with a request after their last outcome: (line, run id).
    pending: BTreeMap<Serial, (u64, Option<String>)>,
    anomalies: Anomalies,
    /// What repair journals planned and did.
    repairs: RepairsAcc,
    /// Destructive writes (repair's and revoke's DELETEs).
    changes: Changes,
}

impl Accumulator {
    fn run_id(&self) -> Option<String> {
        self.open.as_ref().map(|o| o.run.header.run_id.clone())
    }

    fn add(&mut self, journal: &str, entry: Entry) {
        match entry {
            Entry::Header(h) => {
                self.finish_run();
                self.open = Some(OpenRun {
                    run: run_from(journal, h),
                    intents: Vec::new(),
                    last_at: None,
                });
            }
            Entry::Intent {
                serial,
                line,
                attempt,
                at,
            } => self.intent(serial, line, attempt, at),
            Entry::Outcome {
                serial,
                line,
                result,
                at,
            } => self.outcome(serial, line, &result, at),
            Entry::Summary {
                counts,
                interrupted,
                pace_per_minute,
                window,
                at,
                ..
            } => {
                self.summary(counts, interrupted, pace_per_minute, at);
                if let Some(o) = &mut self.open {
                    o.run.window = window.or(o.run.window);
                }
            }
            Entry::Planned(p) => {
                let run_id = self.run_id();
                self.repairs.planned(p, run_id);
            }
            Entry::DeleteIntent(d) => {
                // A DELETE is a request like a POST: it counts in the run's request rate.
                if let Some(o) = &mut self.open {
                    o.intents.push(d.at);
                    o.last_at = Some(d.at);
                }
            }
            Entry::DeleteOutcome(d) => {
                self.touch(d.at);
                if matches!(d.result, DeleteResult::Deleted { .. }) {
                    self.changes.tokens_deleted += 1;
                }
                self.repairs.deleted(&d);
            }
            Entry::Skipped(s) => {
                self.touch(s.at);
                self.repairs.skipped(&s);
            }
            // A revoke's token DELETEs are the lines above; these count what it unenrolled and ended.
            Entry::Revoke(line) => self.revoke(&line),
        }
    }

    fn revoke(&mut self, line: &RevokeLine) {
        match line {
            RevokeLine::UnenrollOutcome {
                result: UnenrollResult::Unenrolled { .. },
                at,
                ..
            } => {
                self.changes.factors_unenrolled += 1;
                self.touch(*at);
            }
            RevokeLine::End {
                outcome: RevokeOutcome::Revoked,
                at,
                ..
            } => {
                self.changes.keys_revoked += 1;
                self.touch(*at);
            }
            _ => {}
        }
    }

    fn touch(&mut self, at: DateTime<Utc>) {
        if let Some(o) = &mut self.open {
            o.last_at = Some(at);
        }
    }

    fn intent(&mut self, serial: Serial, line: u64, attempt: u32, at: DateTime<Utc>) {
        if let Some(o) = &mut self.open {
            o.intents.push(at);
            o.last_at = Some(at);
        }
        let max = self.attempts.entry(serial.clone()).or_insert(0);
        *max = (*max).max(attempt);
        let run_id = self.run_id();
        self.pending.insert(serial, (line, run_id));
    }

    fn outcome(&mut self, serial: Option<Serial>, line: u64, result: &RowResult, at: DateTime<Utc>) {
        if let Some(o) = &mut self.open {
            o.last_at = Some(at);
        }
        let mut row = row_from(result);
        row.line = Some(line);
        row.at = Some(okta_time::format(&at));
        row.run_id = self.run_id();
        match serial {
            Some(s) => {
                self.repairs.uploaded(&s, result);
                self.pending.remove(&s);
                row.serial = Some(s.clone());
                self.rows.insert(s, row);
            }
            None => self.unserialed.push(row),
        }
    }

    fn summary(&mut self, counts: Counts, interrupted: bool, pace_per_minute: f64, at: DateTime<Utc>) {
        let Some(o) = &mut self.open else {
            return;
        };
        let a = &mut self.anomalies;
        a.rate_limited += counts.rate_limited;
        a.concurrency_limited += counts.concurrency_limited;
        a.retries += counts.retries;
        a.in_doubt_lookups += counts.in_doubt_lookups;
        o.run.ended = Some(okta_time::format(&at));
        o.run.interrupted = Some(interrupted);
        o.run.counts = Some(counts);
        if pace_per_minute > 0.0 {
            o.run.pace_per_minute = Some(pace_per_minute);
        }
    }

    fn finish_run(&mut self) {
        let Some(mut o) = self.open.take() else {
            return;
        };
        if o.run.counts.is_none() {
            o.run.ended = o.last_at.as_ref().map(okta_time::format);
            self.anomalies.unfinished_runs.push(o.run.header.run_id.clone());
        }
        o.run.requests = series(&o.intents);
        self.runs.push(o.run);
    }

    fn into_report(mut self, journals: &[PathBuf], reconcile: Option<&ReconcileResult>) -> AuditReport {
        for (serial, (line, run_id)) in std::mem::take(&mut self.pending) {
            self.anomalies.in_doubt.push(serial.clone());
            self.rows.insert(
                serial.clone(),
                Row {
                    serial: Some(serial),
                    line: Some(line),
                    run_id,
                    outcome: Some(OutcomeKind::InDoubt),
                    ..Row::default()
                },
            );
        }
        for (serial, row) in &mut self.rows {
            row.attempts = self.attempts.get(serial).copied();
            if row.confirmed_by_lookup {
                self.anomalies.confirmed_by_lookup.push(serial.clone());
            }
        }
        let mut retried: Vec<Retried> = self
            .attempts
            .iter()
            .filter(|(_, &a)| a > 1)
            .map(|(s, &a)| Retried {
                serial: s.clone(),
                attempts: a,
            })
            .collect();
        retried.sort_by(|a, b| a.serial.cmp(&b.serial));
        self.anomalies.retried = retried;

        let reconciliation = reconcile.map(|r| {
            join_reconciliation(&mut self.rows, r);
            summary_of(r)
        });
        let mut rows: Vec<Row> = self.rows.into_values().collect();
        rows.append(&mut self.unserialed);
        let mut outcomes = OutcomeCounts::default();
        for kind in rows.iter().filter_map(|r| r.outcome) {
            outcomes.add(kind);
        }
        AuditReport {
            tool_version: env!("CARGO_PKG_VERSION").into(),
            generated_at: okta_time::format(&Utc::now()),
            journals: super::names(journals),
            runs: self.runs,
            outcomes,
            changes: self.changes,
            anomalies: self.anomalies,
            reconciliation,
            repairs: self.repairs.into_section(),
            rows,
        }
    }
}

fn run_from(journal: &str, header: Header) -> Run {
    // A fixed --rate is the limit even when the summary is missing (crashed run).
    let fixed = header
        .options
        .pointer("/rate/per_minute")
        .and_then(serde_json::Value::as_f64);
    Run {
        header,
        journal: journal.to_string(),
        ended: None,
        interrupted: None,
        counts: None,
        pace_per_minute: fixed,
        window: None,
        requests: RateSeries {
            start: None,
            bucket_secs: 1,
            counts: Vec::new(),
        },
    }
}

fn row_from(result: &RowResult) -> Row {
    let mut row = Row {
        outcome: Some(result.outcome()),
        ..Row::default()
    };
    match result {
        RowResult::Uploaded {
            token_id,
            request_id,
            confirmed_by_lookup,
        } => {
            row.token_id = Some(token_id.clone());
            row.request_id = request_id.clone();
            row.confirmed_by_lookup = *confirmed_by_lookup;
        }
        RowResult::AlreadyPresent { status, token_id } => {
            row.status = Some(status.clone());
            row.token_id = Some(token_id.clone());
        }
        RowResult::Rejected {
            http_status,
            error_code,
            error_summary,
            error_causes,
            request_id,
        } => {
            row.http_status = Some(*http_status);
            row.error_code = Some(error_code.clone());
            row.error = Some(error_summary.clone());
            row.causes = error_causes.clone();
            row.request_id = request_id.clone();
        }
        RowResult::Failed {
            reason, request_id, ..
        } => {
            row.error = Some(reason.clone());
            row.request_id = request_id.clone();
        }
        RowResult::Invalid { field, reason } => {
            row.error = Some(match field {
                Some(f) => format!("{f}: {reason}"),
                None => reason.clone(),
            });
        }
    }
    row
}

/// Requests per bucket, the bucket as narrow as fits in [`MAX_BUCKETS`], aligned to the epoch so
/// the same journal always gives the same series.
fn series(times: &[DateTime<Utc>]) -> RateSeries {
    let (Some(first), Some(last)) = (times.iter().min(), times.iter().max()) else {
        return RateSeries {
            start: None,
            bucket_secs: 1,
            counts: Vec::new(),
        };
    };
    let span = (last.timestamp() - first.timestamp()).max(0) as u64;
    let width = BUCKET_WIDTHS
        .iter()
        .copied()
        .find(|w| span / w < MAX_BUCKETS)
        .unwrap_or_else(|| span / MAX_BUCKETS + 1);
    let start = first.timestamp().div_euclid(width as i64) * width as i64;
    let n = ((last.timestamp() - start) as u64 / width + 1) as usize;
    let mut counts = vec![0u64; n];
    for t in times {
        let i = ((t.timestamp() - start) as u64 / width) as usize;
        if let Some(c) = counts.get_mut(i) {
            *c += 1;
        }
    }
    RateSeries {
        start: DateTime::from_timestamp(start, 0).map(|t| okta_time::format(&t)),
        bucket_secs: width,
        counts,
    }
}

/// Adds Okta's view to each journaled serial, and a row for each serial only Okta or the files know.
fn join_reconciliation(rows: &mut BTreeMap<Serial, Row>, r: &ReconcileResult) {
    for item in &r.reconciliation.items {
        let row = rows.entry(item.serial.clone()).or_insert_with(|| Row {
            serial: Some(item.serial.clone()),
            line: item.line,
            ..Row::default()
        });
        row.category = Some(item.category.name().to_string());
        if item.status.is_some() {
            row.status = Some(output::status_cell(item));
        }
        if row.token_id.is_none() {
            row.token_id = item.token_id.clone();
        }
        row.user = output::user(item).map(str::to_string);
    }
}

fn summary_of(r: &ReconcileResult) -> ReconcileSummary {
    let rec = &r.reconciliation;
    let order = |c: &Category| Category::ALL.iter().position(|x| x == c).unwrap_or(usize::MAX);
    let mut needs_action: Vec<Item> = rec
        .items
        .iter()
        .filter(|i| {
            !matches!(
                i.category,
                Category::Active | Category::Unassigned | Category::Retired
            )
        })
        .cloned()
        .collect();
    // Items are sorted by serial already; a stable sort keeps that within each category.
    needs_action.sort_by_key(|i| order(&i.category));
    ReconcileSummary {
        generated_at: r.generated_at.clone(),
        org: r.org.clone(),
        files: r.file_info.clone(),
        scope: serde_json::to_value(r.scope)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        stale_after_days: r.stale_after_days,
        okta_tokens: r.okta_tokens,
        counts: rec.counts.clone(),
        fail_on: r.fail_on.iter().map(|c| c.name().to_string()).collect(),
        needs_action,
        uploaded_again: rec
            .items
            .iter()
            .filter(|i| output::uploaded_again(i))
            .cloned()
            .collect(),
        invalid: rec.invalid.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn short_runs_get_one_second_buckets() {
        let s = series(&[at("2026-01-01T00:00:00.2Z"), at("2026-01-01T00:00:02.9Z")]);
        assert_eq!(s.bucket_secs, 1);
        assert_eq!(s.counts, vec![1, 0, 1]);
        assert_eq!(s.start.as_deref(), Some("2026-01-01T00:00:00.000Z"));
    }

    #[test]
    fn long_runs_get_wider_buckets_and_never_more_than_the_maximum() {
        let s = series(&[at("2026-01-01T00:00:00Z"), at("2026-01-01T10:00:00Z")]);
        assert_eq!(s.bucket_secs, 1800);
        assert!(s.counts.len() as u64 <= MAX_BUCKETS);
        assert_eq!(s.counts.iter().sum::<u64>(), 2);
        let days = series(&[at("2026-01-01T00:00:00Z"), at("2026-03-01T00:00:00Z")]);
        assert!(days.counts.len() as u64 <= MAX_BUCKETS + 1);
    }

    #[test]
    fn no_requests_no_series() {
        assert!(series(&[]).counts.is_empty());
    }
}
