//! The operator's end-of-run text for an upload: the invalid rows, then the counts. Plain text
//! built from an [`UploadSummary`]; the commands (upload, the demo) decide where it goes.

use super::UploadSummary;

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
    out.push_str(&format!(
        "pace {:.0}/min, achieved {:.0}/min; {} rate-limit 429s, {} concurrency 429s, {} retries, {} in-doubt lookups\n",
        s.pace_per_minute, achieved, c.rate_limited, c.concurrency_limited, c.retries, c.in_doubt_lookups
    ));
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
