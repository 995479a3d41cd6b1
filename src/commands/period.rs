//! `ykprov report --since DATE [--until DATE]`: the period's audit report from the ledger.

use super::ledger::{open, org_only};
use super::Outcome;
use crate::cli::{GlobalArgs, ReportArgs};
use crate::report::{format_for, period};
use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// A date (`2026-10-01`, the day's start in UTC) or an RFC 3339 time.
pub fn parse_when(s: &str) -> Option<DateTime<Utc>> {
    crate::ledger::parse_time(s.trim()).or_else(|| {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
    })
}

/// `--until` as the period's exclusive end: a date includes its whole day.
fn end_of(s: &str) -> Option<DateTime<Utc>> {
    let t = parse_when(s)?;
    let date_only = crate::ledger::parse_time(s.trim()).is_none();
    Some(if date_only { t + Duration::days(1) } else { t })
}

/// Runs `ykprov report --since`.
pub fn run(args: &ReportArgs, since: &str, global: &GlobalArgs) -> anyhow::Result<Outcome> {
    let format = format_for(&args.out, args.format)?;
    let from = parse_when(since)
        .with_context(|| format!("--since: `{since}` is not a date (YYYY-MM-DD) or an RFC 3339 time"))?;
    let until = match &args.until {
        Some(u) => end_of(u)
            .with_context(|| format!("--until: `{u}` is not a date (YYYY-MM-DD) or an RFC 3339 time"))?,
        None => Utc::now(),
    };
    if until <= from {
        anyhow::bail!("--until must be after --since");
    }
    let org = org_only(args.org.as_deref())?;
    let ledger = open(global)?;
    let p = ledger.period(&org, from, until)?;
    let bytes = period::render(&p, format)?;
    super::output::emit(Some(&args.out), &bytes)?;
    eprintln!(
        "report written to {} ({} events in the period, {} keys, {} runs)",
        args.out.display(),
        p.activity.len(),
        p.inventory.values().sum::<u64>(),
        p.runs.len()
    );
    Ok(Outcome::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_whole_days_in_utc_and_times_are_exact() {
        assert_eq!(
            parse_when("2026-10-01").unwrap().to_rfc3339(),
            "2026-10-01T00:00:00+00:00"
        );
        assert_eq!(
            end_of("2026-10-01").unwrap().to_rfc3339(),
            "2026-10-02T00:00:00+00:00"
        );
        assert_eq!(
            end_of("2026-10-01T12:00:00Z").unwrap().to_rfc3339(),
            "2026-10-01T12:00:00+00:00"
        );
        assert!(parse_when("last week").is_none());
    }
}
