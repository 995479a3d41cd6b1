//! The second pass: rows streamed from a blocking reader through a bounded channel, each one
//! decided ([`decide`]), counted ([`Tally`]), and acted on: journaled when it is settled without a
//! POST, handed to the [`Dispatcher`] when it is to be sent. A dry run decides and counts; it has
//! nothing to act with, so it cannot send.

use super::decide::{decide, Decision, Known};
use super::dispatch::{Dispatched, Dispatcher};
use super::policy::is_answer_to;
use super::preflight::Present;
use super::tally::Tally;
use super::worker::{Ctx, Done, Work};
use super::UploadOptions;
use crate::journal::{Counts, Entry, Journal, RowResult};
use crate::okta::OktaClient;
use crate::progress::{per_minute, Progress};
use crate::seed::{ReaderOptions, RowError, RowOutcome, SeedReader, SeedSource, Serial, SerialNumber};
use anyhow::Context;
use chrono::Utc;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// How the second pass ended.
pub struct Ended {
    /// What was decided and what happened.
    pub tally: Tally,
    /// Ctrl-C stopped it before the last row.
    pub interrupted: bool,
    /// A problem that stopped it (bad credential, journal I/O, the file changed).
    pub result: anyhow::Result<()>,
}

/// Streams the rows of `source` (the first pass's, so a sealed file is not decrypted again) and
/// decides each; with a `journal` (not a dry run) journals the rows settled without a POST and
/// dispatches the rest, then waits for every upload in flight.
pub async fn stream_rows(
    o: &UploadOptions,
    source: &SeedSource,
    client: &OktaClient,
    known: Known<'_>,
    journal: Option<Arc<Journal>>,
    shutdown: &mut watch::Receiver<bool>,
) -> Ended {
    let mut pass = Pass {
        tally: Tally::new(known.validation.error_count),
        progress: Progress::new(known.validation.uploadable(), o.quiet || o.dry_run),
        client,
        interrupted: false,
    };
    let (reader, mut rows) = spawn_reader(o, source.clone());
    let mut live = journal.map(|journal| Live::new(o, client, journal));
    let mut result = pass.each_row(&mut rows, &known, live.as_mut(), shutdown).await;
    // Stops the reader, which may be blocked on a full channel.
    drop(rows);
    if let Some(live) = &mut live {
        if let Some(e) = live.dispatcher.drain(|done| pass.finished(done)).await {
            // The first problem is the one to report.
            result = result.and(Err(e));
        }
    }
    pass.progress.finish();
    if result.is_ok() && !pass.interrupted {
        result = finish_reading(source, reader, &known.validation.sha256).await;
    }
    Ended {
        tally: pass.tally,
        interrupted: pass.interrupted,
        result,
    }
}

/// The reader on a blocking thread; the bounded channel gives backpressure, so a file of any size
/// is never held in memory.
fn spawn_reader(
    o: &UploadOptions,
    source: SeedSource,
) -> (JoinHandle<anyhow::Result<()>>, mpsc::Receiver<RowOutcome>) {
    let (tx, rx) = mpsc::channel::<RowOutcome>(256);
    let ropts = ReaderOptions { format: o.format };
    let reader = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        for row in SeedReader::open(source, &ropts)? {
            if tx.blocking_send(row).is_err() {
                break;
            }
        }
        Ok(())
    });
    (reader, rx)
}

/// After the last row: the reader's own error, then the file's hash against the first pass's.
async fn finish_reading(
    source: &SeedSource,
    reader: JoinHandle<anyhow::Result<()>>,
    validated_sha256: &str,
) -> anyhow::Result<()> {
    reader.await.context("seed reader stopped unexpectedly")??;
    // Re-read rather than trust the reader's own hash: the reader may have buffered the whole
    // file before an operator appended to it.
    if !source.unchanged_since(validated_sha256)? {
        anyhow::bail!(
            "{} changed during the upload; re-run to upload any rows added since",
            source.path().display()
        );
    }
    Ok(())
}

/// The pass's counts, its progress bar, and whether Ctrl-C stopped it.
struct Pass<'a> {
    tally: Tally,
    progress: Progress,
    client: &'a OktaClient,
    interrupted: bool,
}

impl Pass<'_> {
    /// Decides and counts every row; hands each decision to `live` when there is one.
    async fn each_row(
        &mut self,
        rows: &mut mpsc::Receiver<RowOutcome>,
        known: &Known<'_>,
        mut live: Option<&mut Live>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        while let Some(row) = rows.recv().await {
            if *shutdown.borrow() {
                self.interrupted = true;
                break;
            }
            let decision = decide(row, known);
            self.tally.decided(&decision);
            if matches!(decision, Decision::DoneBefore) {
                self.advance();
            }
            // A dry run stops here: decided and counted, never journaled or sent.
            let Some(live) = live.as_deref_mut() else {
                continue;
            };
            match live.act(decision, self, shutdown).await? {
                Dispatched::Sent => {}
                Dispatched::Interrupted => {
                    self.interrupted = true;
                    break;
                }
                // The worker's error comes out of the drain that follows.
                Dispatched::Stopped => break,
            }
        }
        Ok(())
    }

    /// One more row settled: move the bar (or the periodic log line).
    fn advance(&self) {
        self.progress
            .advance(|| progress_line(self.tally.counts(), self.client));
    }

    /// A worker's outcome, already journaled: say why a row was not uploaded, count it.
    fn finished(&mut self, done: Done) {
        if let RowResult::Rejected { error_code, .. }
        | RowResult::Failed {
            reason: error_code, ..
        } = &done.result
        {
            tracing::warn!(serial = %done.serial, outcome = done.result.kind(), detail = %error_code, "row not uploaded");
        }
        self.tally.finished(&done);
        self.advance();
    }
}

/// The running tally on the progress bar (or the periodic log line without a terminal).
fn progress_line(c: &Counts, client: &OktaClient) -> String {
    let stats = client.stats();
    let ordering = std::sync::atomic::Ordering::Relaxed;
    format!(
        "uploaded {} present {} rejected {} failed {} | 429s {} | pace {}",
        c.uploaded,
        c.already_present,
        c.rejected,
        c.failed,
        stats.rate_limited.load(ordering) + stats.concurrency_limited.load(ordering),
        per_minute(client.token_pacer().per_minute())
    )
}

/// What a real run does with a decision: journal the rows settled without a POST, dispatch the
/// rows to send.
struct Live {
    journal: Arc<Journal>,
    dispatcher: Dispatcher,
}

impl Live {
    fn new(o: &UploadOptions, client: &OktaClient, journal: Arc<Journal>) -> Self {
        let ctx = Ctx::new(client, &journal, o.concurrency, o.max_attempts);
        Live {
            journal,
            dispatcher: Dispatcher::new(ctx),
        }
    }

    /// Journals or dispatches one row. `Interrupted` when Ctrl-C came while waiting for a slot.
    async fn act(
        &mut self,
        decision: Decision<'_>,
        pass: &mut Pass<'_>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> anyhow::Result<Dispatched> {
        match decision {
            Decision::Invalid(e) => {
                let line = e.line;
                let (serial, result) = invalid(e);
                self.record(serial, line, result, &mut pass.tally)?;
            }
            Decision::AlreadyPresent {
                row,
                serial,
                present,
                was_in_doubt,
                prior,
            } => {
                // One line per row would be 10,000 lines for 10,000 keys: the summary counts them.
                tracing::debug!(serial = %row.seed.serial, status = %present.status, "already in Okta; skipping");
                let offset = self.dispatcher.client().server_clock_offset();
                let answered = was_in_doubt && is_answer_to(present.created, prior.intent_at, offset);
                let result = present_result(present, answered);
                if answered {
                    self.journal_outcome(Some(serial), row.line, &result)?;
                    pass.tally.settled_from_listing();
                } else {
                    self.record(Some(serial), row.line, result, &mut pass.tally)?;
                }
                pass.advance();
            }
            Decision::Upload {
                row,
                was_in_doubt,
                prior,
            } => {
                let work = Work {
                    line: row.line,
                    seed: row.seed,
                    was_in_doubt,
                    intent_at: prior.intent_at,
                };
                return self
                    .dispatcher
                    .dispatch(work, shutdown, |done| pass.finished(done))
                    .await;
            }
            Decision::Skipped | Decision::Excluded | Decision::DoneBefore => {}
        }
        Ok(Dispatched::Sent)
    }

    /// Journals the outcome of a row settled without a POST, then counts it.
    fn record(
        &self,
        serial: Option<Serial>,
        line: u64,
        result: RowResult,
        tally: &mut Tally,
    ) -> anyhow::Result<()> {
        self.journal_outcome(serial, line, &result)?;
        tally.settled(&result);
        Ok(())
    }

    fn journal_outcome(&self, serial: Option<Serial>, line: u64, result: &RowResult) -> anyhow::Result<()> {
        self.journal.append(&Entry::Outcome {
            serial,
            line,
            result: result.clone(),
            at: Utc::now(),
        })
    }
}

/// An invalid row's journal line: its serial only when it parsed, the field, and the reason;
/// never a value.
fn invalid(e: RowError) -> (Option<Serial>, RowResult) {
    let serial = e
        .serial
        .as_deref()
        .and_then(|s| SerialNumber::parse(s).ok())
        .map(Serial::from);
    let result = RowResult::Invalid {
        field: e.field.map(|f| f.name().to_string()),
        reason: e.problem.to_string(),
    };
    (serial, result)
}

/// A listed serial is "already present", unless it `answers` an earlier run that sent it and
/// never saw the answer (a live record created after that run's intent): then the row was
/// uploaded.
fn present_result(present: &Present, answers: bool) -> RowResult {
    if answers {
        RowResult::Uploaded {
            token_id: present.id.clone(),
            request_id: None,
            confirmed_by_lookup: true,
        }
    } else {
        RowResult::AlreadyPresent {
            status: present.status.to_string(),
            token_id: present.id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::okta::models::TokenStatus;
    use crate::seed::{Field, FieldProblem, RowProblem};

    fn bad_key(serial: Option<&str>) -> RowError {
        RowError {
            file: "seeds.csv".into(),
            line: 4,
            field: Some(Field::AesKey),
            serial: serial.map(str::to_string),
            problem: RowProblem::Field(FieldProblem::Zero),
        }
    }

    #[test]
    fn an_invalid_row_is_journaled_with_its_padded_serial_field_and_reason() {
        let (serial, result) = invalid(bad_key(Some("7886622")));
        assert_eq!(serial.as_deref(), Some("000007886622"));
        assert!(
            matches!(&result, RowResult::Invalid { field: Some(f), reason } if f == "AES key" && !reason.is_empty()),
            "{result:?}"
        );
    }

    #[test]
    fn an_invalid_row_without_a_parsable_serial_is_journaled_without_one() {
        assert_eq!(invalid(bad_key(None)).0, None);
        assert_eq!(invalid(bad_key(Some("1e6"))).0, None);
    }

    #[test]
    fn a_listed_serial_is_already_present_unless_it_answers_an_earlier_run_in_doubt() {
        let present = Present {
            id: "ykk1".into(),
            status: TokenStatus::Unassigned,
            created: None,
        };
        assert!(matches!(
            present_result(&present, false),
            RowResult::AlreadyPresent { status, token_id } if status == "UNASSIGNED" && token_id == "ykk1"
        ));
        assert_eq!(
            present_result(&present, true),
            RowResult::Uploaded {
                token_id: "ykk1".into(),
                request_id: None,
                confirmed_by_lookup: true
            }
        );
    }
}
