//! The operator's end-of-run text for an upload: the invalid rows, then the counts. Plain text
//! (or, for `--format json`, one JSON object) built from an [`UploadSummary`]; the commands
//! (upload, the demo) decide where it goes.

use super::UploadSummary;
use crate::progress::per_minute;

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

/// The end-of-run summary as one JSON object with camelCase keys (`upload --format json`): the
/// same facts as [`summary_text`] and [`invalid_text`], for scripts. Never a seed value.
pub fn summary_json(s: &UploadSummary) -> serde_json::Value {
    let v = &s.validation;
    serde_json::json!({
        "file": v.path,
        "clean": s.is_clean(),
        "dryRun": s.dry_run,
        "interrupted": s.interrupted,
        "stoppedForInvalid": s.stopped_for_invalid,
        "fatal": s.fatal,
        "journal": s.journal,
        "elapsedSeconds": s.elapsed.as_secs_f64(),
        "pacePerMinute": s.pace_per_minute,
        "rows": v.rows,
        "invalidRows": v.error_count,
        "invalid": v.errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "plan": camel_case_keys(serde_json::to_value(&s.plan).unwrap_or_default()),
        "counts": camel_case_keys(serde_json::to_value(&s.counts).unwrap_or_default()),
    })
}

/// Plan and Counts serialize snake_case because the journal (read by older versions) does; the
/// command's output speaks camelCase like every other JSON ykprov prints.
fn camel_case_keys(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| (camel_case(&k), camel_case_keys(v)))
            .collect(),
        other => other,
    }
}

fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
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
        out.push_str(&dry_run_text(s));
        return out;
    }
    let c = &s.counts;
    let secs = s.elapsed.as_secs_f64();
    let achieved = if secs > 0.0 {
        c.uploaded as f64 * 60.0 / secs
    } else {
        0.0
    };
    let ended = if s.fatal.is_some() {
        "upload stopped"
    } else if s.interrupted {
        "upload interrupted"
    } else {
        "upload finished"
    };
    out.push_str(&format!(
        "{} in {:.1}s: {} uploaded, {} already present, {} rejected, {} failed, {} invalid skipped, {} done before\n",
        ended,
        secs,
        c.uploaded,
        c.already_present,
        c.rejected,
        c.failed,
        c.invalid,
        c.done_before
    ));
    if c.settled_from_listing > 0 {
        out.push_str(&format!(
            "{} upload(s) an earlier run left in doubt were found in Okta's listing (sent by that run, not this one)\n",
            c.settled_from_listing
        ));
    }
    // A pace says nothing about a run that sent nothing.
    if sent_anything(c) {
        out.push_str(&format!(
            "pace {}, achieved {}; {} rate-limit 429s, {} concurrency 429s, {} retries, {} in-doubt lookups\n",
            per_minute(s.pace_per_minute),
            per_minute(achieved),
            c.rate_limited,
            c.concurrency_limited,
            c.retries,
            c.in_doubt_lookups
        ));
    }
    if p.retried_rejected > 0 {
        out.push_str(&format!(
            "{} row(s) journaled as rejected by an earlier run were tried again (--retry-rejected)\n",
            p.retried_rejected
        ));
    }
    if let Some(j) = &s.journal {
        out.push_str(&format!("journal: {}\n", j.display()));
    }
    if c.failed > 0 || s.interrupted || s.fatal.is_some() {
        out.push_str("re-run the same command to retry the rest; rows already done are skipped\n");
    }
    out
}

/// What a dry run would do, and how long the uploads would take.
fn dry_run_text(s: &UploadSummary) -> String {
    let p = &s.plan;
    let eta = if s.pace_per_minute > 0.0 && p.to_upload > 0 {
        format!(
            "about {:.0} min at {}",
            (p.to_upload as f64 / s.pace_per_minute).ceil(),
            per_minute(s.pace_per_minute)
        )
    } else {
        "learned from Okta's headers on the first upload".to_string()
    };
    format!(
        "dry run (only reads were sent; nothing was written to Okta): {} to upload, {} already in Okta, {} done by an earlier run, {} invalid, {} repeated rows skipped\nETA: {eta}\n",
        p.to_upload, p.already_present, p.done_before, p.invalid, p.excluded
    )
}

/// Whether this run sent any write (or was answered with a 429 or needed a lookup).
fn sent_anything(c: &crate::journal::Counts) -> bool {
    c.uploaded
        + c.rejected
        + c.failed
        + c.retries
        + c.rate_limited
        + c.concurrency_limited
        + c.in_doubt_lookups
        > 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn snake_case_keys_become_camel_case() {
        let v = super::camel_case_keys(
            serde_json::json!({"already_present": 1, "in_doubt_lookups": 2, "uploaded": 3}),
        );
        assert_eq!(
            v,
            serde_json::json!({"alreadyPresent": 1, "inDoubtLookups": 2, "uploaded": 3})
        );
    }

    use super::*;
    use crate::seed::{validate_file, ValidationOptions};
    use std::time::Duration;

    fn summary_of_one_row() -> UploadSummary {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s.csv");
        std::fs::write(
            &file,
            "7886622,cccccccccccb,0123456789ab,0123456789abcdef0123456789abcdef,,2024-01-01T00:00:00,\n",
        )
        .unwrap();
        let report = validate_file(&file, &ValidationOptions::default()).unwrap();
        UploadSummary::validated(report, false)
    }

    #[test]
    fn rates_in_the_summary_are_whole_numbers_per_minute() {
        let mut s = summary_of_one_row();
        s.counts.uploaded = 742;
        s.elapsed = Duration::from_secs(60);
        s.pace_per_minute = 299.6;
        let text = summary_text(&s);
        assert!(text.contains("\npace 300/min, achieved 742/min; "), "{text}");
    }

    #[test]
    fn a_run_that_sent_nothing_has_no_pace_line_and_settled_rows_are_not_uploads() {
        let mut s = summary_of_one_row();
        s.counts.already_present = 600;
        s.counts.settled_from_listing = 3;
        s.elapsed = Duration::from_secs(2);
        s.pace_per_minute = 1286.0;
        let text = summary_text(&s);
        assert!(!text.contains("pace"), "{text}");
        assert!(text.contains(": 0 uploaded, 600 already present, "), "{text}");
        assert!(
            text.contains("\n3 upload(s) an earlier run left in doubt were found in Okta's listing (sent by that run, not this one)\n"),
            "{text}"
        );
    }

    #[test]
    fn a_dry_run_eta_states_the_pace_per_minute() {
        let mut s = summary_of_one_row();
        s.dry_run = true;
        s.plan.to_upload = 900;
        s.pace_per_minute = 300.2;
        assert!(
            summary_text(&s).contains("ETA: about 3 min at 300/min\n"),
            "{}",
            summary_text(&s)
        );
    }
}
