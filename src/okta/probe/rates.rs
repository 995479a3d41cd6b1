//! What the rate-limit headers say, as pure functions of the calls: whether every answer carried
//! them, the window they imply, and whether the list and get-by-id draw on one counter.

use super::calls::Kind;
use super::report::{BucketFacts, BucketVerdict, Call, Check, CheckState, RateFacts};
use crate::okta::pacing::RateHeaders;

/// The bounds on the window length that the headers give: at least the largest `Reset - Date`
/// less a second (both headers are whole seconds), at most the smallest step of `Reset` moving on
/// between two answers (windows never overlap, and a window that opened late only lengthens the
/// step).
pub fn window(seen: &[RateHeaders]) -> (Option<u64>, Option<u64>) {
    let at_least = seen
        .iter()
        .filter_map(|h| Some(h.reset?.saturating_sub(h.date?)))
        .max()
        .map(|s| s.saturating_sub(1));
    let resets: Vec<u64> = seen.iter().filter_map(|h| h.reset).collect();
    let at_most = resets
        .windows(2)
        .filter(|w| w[1] > w[0])
        .map(|w| w[1] - w[0])
        .min();
    (at_least, at_most)
}

/// The window in words, from its bounds.
pub fn window_text(at_least: Option<u64>, at_most: Option<u64>) -> String {
    match (at_least, at_most) {
        (Some(lo), Some(hi)) if hi <= lo + 1 => format!("{hi} s window"),
        (Some(lo), Some(hi)) => format!("window of {lo} to {hi} s"),
        (None, Some(hi)) => format!("window of at most {hi} s"),
        (Some(lo), None) => format!("window of at least {lo} s"),
        (None, None) => "window of unknown length".into(),
    }
}

fn complete(h: &RateHeaders) -> bool {
    h.limit.is_some() && h.remaining.is_some() && h.reset.is_some() && h.date.is_some()
}

/// The rate-limit check: a finding when an answer came without the headers (the pacer cannot
/// learn the pace: `--rate N/min` is then the only guard) or when Okta answered 429.
pub fn rate_check(
    calls: &[Call],
    seen: &[(Kind, RateHeaders)],
    rate_limited: u32,
    concurrency_limited: u32,
) -> Check<RateFacts> {
    let headers: Vec<RateHeaders> = seen.iter().map(|(_, h)| *h).collect();
    let answered = u32::try_from(calls.iter().filter(|c| c.status.is_some()).count()).unwrap_or(u32::MAX);
    let with_headers = u32::try_from(headers.iter().filter(|h| complete(h)).count()).unwrap_or(u32::MAX);
    let mut limits: Vec<u64> = headers
        .iter()
        .filter_map(|h| h.limit)
        .filter(|l| *l > 0)
        .collect();
    limits.sort_unstable();
    limits.dedup();
    let (window_at_least, window_at_most) = window(&headers);
    let facts = RateFacts {
        answered,
        with_headers,
        limits: limits.clone(),
        window_at_least,
        window_at_most,
        rate_limited,
        concurrency_limited,
    };
    let missing = headers.len() - usize::try_from(with_headers).unwrap_or(0);
    let window_text = window_text(window_at_least, window_at_most);
    let limit_text = match limits.as_slice() {
        [] => "no limit".to_string(),
        [one] => format!("limit {one}"),
        many => format!(
            "limits {}",
            many.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
        ),
    };
    let busy = rate_limited + concurrency_limited;
    if headers.is_empty() {
        return Check::new(
            CheckState::Failed,
            "no answer to read rate-limit headers from",
            facts,
        );
    }
    if missing > 0 {
        let text = format!(
            "{missing} of {} answers lacked X-Rate-Limit-* or Date: ykprov cannot learn the pace; use --rate N/min",
            headers.len()
        );
        return Check::new(CheckState::Finding, text, facts);
    }
    let text = format!("every answer carried X-Rate-Limit-* and Date: {limit_text} per {window_text}");
    if busy > 0 {
        let text =
            format!("{text}; Okta answered {busy} GETs with 429: the bucket is busy (other integrations?)");
        return Check::new(CheckState::Finding, text, facts);
    }
    Check::new(CheckState::Passed, text, facts)
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::List => "list",
        Kind::Get => "get",
    }
}

/// Whether list and get-by-id share a counter, from the first list, get, list run of answers:
/// one counter falls by at least one per call across the three; separate counters do not (or
/// show different limits). A window reset between them leaves it open.
pub fn bucket_verdict(seen: &[(Kind, RateHeaders)]) -> BucketFacts {
    let triple = seen
        .windows(3)
        .find(|w| w[0].0 == Kind::List && w[1].0 == Kind::Get && w[2].0 == Kind::List);
    let Some([a, g, b]) = triple else {
        return BucketFacts {
            verdict: BucketVerdict::Inconclusive,
            evidence: "no list, get, list run of answers to compare".into(),
        };
    };
    let evidence = |rest: &str| {
        let part = |(k, h): &(Kind, RateHeaders)| {
            let r = h.remaining.map_or("-".to_string(), |r| r.to_string());
            format!("{r} ({})", kind_name(*k))
        };
        format!("Remaining {} → {} → {}{rest}", part(a), part(g), part(b))
    };
    let verdict = |verdict, rest: &str| BucketFacts {
        verdict,
        evidence: evidence(rest),
    };
    let (Some(ra), Some(rg), Some(rb)) = (a.1.remaining, g.1.remaining, b.1.remaining) else {
        return BucketFacts {
            verdict: BucketVerdict::Inconclusive,
            evidence: "no X-Rate-Limit-Remaining on the list, get and list answers".into(),
        };
    };
    if a.1.limit != g.1.limit || g.1.limit != b.1.limit {
        let lim = |h: &RateHeaders| h.limit.map_or("-".to_string(), |l| l.to_string());
        let rest = format!("; limits {} / {} / {}", lim(&a.1), lim(&g.1), lim(&b.1));
        return verdict(BucketVerdict::Separate, &rest);
    }
    if a.1.reset.is_none() || a.1.reset != g.1.reset || g.1.reset != b.1.reset {
        return verdict(BucketVerdict::Inconclusive, "; a window reset between the calls");
    }
    if ra > rg && rg > rb {
        verdict(BucketVerdict::Shared, ", one window")
    } else {
        verdict(BucketVerdict::Separate, ", one window")
    }
}

/// The bucket check: either answer is fine for ykprov (it paces the token path as one bucket,
/// which is the cautious reading); an open question is reported as skipped.
pub fn bucket_check(facts: BucketFacts) -> Check<BucketFacts> {
    let (state, text) = match facts.verdict {
        BucketVerdict::Shared => (
            CheckState::Passed,
            format!("list and get-by-id share one bucket: {}", facts.evidence),
        ),
        BucketVerdict::Separate => (
            CheckState::Passed,
            format!(
                "list and get-by-id count separately: {}; ykprov's single budget is the cautious reading",
                facts.evidence
            ),
        ),
        BucketVerdict::Inconclusive => (
            CheckState::Skipped,
            format!(
                "cannot tell whether list and get-by-id share a bucket: {}",
                facts.evidence
            ),
        ),
    };
    Check::new(state, text, facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(limit: u64, remaining: u64, reset: u64) -> RateHeaders {
        RateHeaders {
            limit: Some(limit),
            remaining: Some(remaining),
            reset: Some(reset),
            date: Some(reset - 50),
        }
    }

    #[test]
    fn one_counter_falling_across_list_get_list_is_one_bucket() {
        let seen = [
            (Kind::List, h(600, 599, 1060)),
            (Kind::Get, h(600, 598, 1060)),
            (Kind::List, h(600, 597, 1060)),
        ];
        let f = bucket_verdict(&seen);
        assert_eq!(f.verdict, BucketVerdict::Shared);
        assert_eq!(
            f.evidence,
            "Remaining 599 (list) → 598 (get) → 597 (list), one window"
        );
        // Other integrations' calls in between make it fall faster, still one bucket.
        let busy = [
            (Kind::List, h(600, 599, 1060)),
            (Kind::Get, h(600, 590, 1060)),
            (Kind::List, h(600, 580, 1060)),
        ];
        assert_eq!(bucket_verdict(&busy).verdict, BucketVerdict::Shared);
    }

    #[test]
    fn a_get_whose_counter_does_not_move_with_the_list_is_another_bucket() {
        let seen = [
            (Kind::List, h(600, 599, 1060)),
            (Kind::Get, h(600, 599, 1060)),
            (Kind::List, h(600, 598, 1060)),
        ];
        assert_eq!(bucket_verdict(&seen).verdict, BucketVerdict::Separate);
        let limits = [
            (Kind::List, h(600, 599, 1060)),
            (Kind::Get, h(100, 99, 1060)),
            (Kind::List, h(600, 598, 1060)),
        ];
        let f = bucket_verdict(&limits);
        assert_eq!(f.verdict, BucketVerdict::Separate);
        assert!(f.evidence.ends_with("limits 600 / 100 / 600"), "{}", f.evidence);
    }

    #[test]
    fn a_window_reset_or_missing_headers_leave_the_bucket_open() {
        let reset = [
            (Kind::List, h(600, 1, 1060)),
            (Kind::Get, h(600, 599, 1120)),
            (Kind::List, h(600, 598, 1120)),
        ];
        assert_eq!(bucket_verdict(&reset).verdict, BucketVerdict::Inconclusive);
        let none = [
            (Kind::List, RateHeaders::default()),
            (Kind::Get, RateHeaders::default()),
            (Kind::List, RateHeaders::default()),
        ];
        assert_eq!(bucket_verdict(&none).verdict, BucketVerdict::Inconclusive);
        assert_eq!(
            bucket_verdict(&[(Kind::List, h(600, 599, 1060))]).verdict,
            BucketVerdict::Inconclusive
        );
        assert_eq!(bucket_check(bucket_verdict(&none)).state, CheckState::Skipped);
    }

    #[test]
    fn the_window_lies_between_reset_minus_date_and_the_step_of_reset() {
        let moved = [
            h(600, 2, 1060),
            h(600, 1, 1060),
            h(600, 599, 1122),
            h(600, 599, 1182),
        ];
        assert_eq!(window(&moved), (Some(49), Some(60)));
        let one = [
            h(600, 599, 1060),
            RateHeaders {
                date: Some(1000),
                ..h(600, 598, 1060)
            },
        ];
        assert_eq!(window(&one), (Some(59), None));
        assert_eq!(window(&[RateHeaders::default()]), (None, None));
        assert_eq!(window_text(Some(59), Some(60)), "60 s window");
        assert_eq!(window_text(Some(0), Some(3)), "window of 0 to 3 s");
        assert_eq!(window_text(Some(59), None), "window of at least 59 s");
        assert_eq!(window_text(None, None), "window of unknown length");
    }

    fn call(status: Option<u16>) -> Call {
        Call {
            n: 1,
            request: "list".into(),
            status,
            error_code: None,
            no_answer: None,
            limit: None,
            remaining: None,
            reset_in_seconds: None,
            request_id: None,
        }
    }

    #[test]
    fn answers_without_rate_headers_are_a_finding() {
        let seen = [
            (Kind::List, h(600, 599, 1060)),
            (Kind::Get, RateHeaders::default()),
        ];
        let c = rate_check(&[call(Some(200)), call(Some(200))], &seen, 0, 0);
        assert_eq!(c.state, CheckState::Finding);
        assert!(c.summary.starts_with("1 of 2 answers lacked"), "{}", c.summary);
        let ok = rate_check(&[call(Some(200))], &seen[..1], 0, 0);
        assert_eq!(ok.state, CheckState::Passed);
        assert_eq!(
            ok.summary,
            "every answer carried X-Rate-Limit-* and Date: limit 600 per window of at least 49 s"
        );
        assert_eq!(
            rate_check(&[call(Some(200))], &seen[..1], 1, 0).state,
            CheckState::Finding
        );
        assert_eq!(rate_check(&[call(None)], &[], 0, 0).state, CheckState::Failed);
    }
}
