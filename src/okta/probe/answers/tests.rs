use super::*;
use crate::okta::client::RawAnswer;
use crate::okta::error::ApiError;
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, LINK};

fn answer(status: u16, content_type: &str, body: &str) -> Reply {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
    Reply::Answer(RawAnswer {
        status,
        headers,
        body: body.as_bytes().to_vec(),
    })
}

fn with_next(reply: Reply) -> Reply {
    let Reply::Answer(mut a) = reply else {
        unreachable!()
    };
    a.headers.insert(
        LINK,
        HeaderValue::from_static("<https://x/t?after=a>; rel=\"next\""),
    );
    Reply::Answer(a)
}

fn json_tokens(n: usize) -> String {
    let items: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"id":"ykk{i}","status":"UNASSIGNED","profile":{{"serial":"{:012}"}}}}"#,
                7_000_000 + i
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

const CSV: &str = "\u{feff}id,serial,status\nykk1,000007000001,ACTIVE\nykk2,000007000002,UNASSIGNED\n";

#[test]
fn a_header_name_that_looks_like_a_value_is_withheld() {
    assert_eq!(column_name("\u{feff} Serial "), "Serial");
    for value in [
        "000007886622",
        "7886622",
        "a@example.com",
        "00uu0x8sxTr9HcHOo0g3",
        "ykkxdtCA1fKVxyu6R0g3",
    ] {
        assert_eq!(column_name(value), "[withheld: looks like a value]", "{value}");
    }
    assert_eq!(column_name("last\u{7}Verified"), "lastVerified");
}

#[test]
fn the_csv_shape_is_its_header_rows_and_serial_column() {
    let (cols, rows, verdict) = csv_shape(CSV);
    assert_eq!(cols, ["id", "serial", "status"]);
    assert_eq!((rows, verdict), (Some(2), Ok(())));
    let (cols, rows, verdict) = csv_shape("a,b\n1,2\n\n");
    assert_eq!((cols.len(), rows), (2, Some(1)));
    assert_eq!(verdict, Err("no column ykprov reads as the serial".to_string()));
    assert!(csv_shape("").2.is_err());
}

#[test]
fn a_csv_download_with_a_serial_column_and_the_json_count_passes() {
    let c = download_check(&answer(200, "text/csv", CSV), Some(2));
    assert_eq!(c.state, CheckState::Passed, "{}", c.summary);
    assert_eq!(
        c.summary,
        "HTTP 200 text/csv; 3 columns (id, serial, status), 2 rows, no next link"
    );
    assert_eq!(c.facts.unwrap().json_tokens, Some(2));
}

#[test]
fn a_download_that_is_not_a_usable_csv_is_a_finding_and_no_answer_a_failure() {
    let json = download_check(&answer(200, "application/json", "[]"), None);
    assert_eq!(json.state, CheckState::Finding);
    let refused = download_check(
        &answer(400, "application/json", r#"{"errorCode":"E0000001"}"#),
        None,
    );
    assert_eq!(
        refused.summary,
        "forDownload=true refused (HTTP 400 E0000001): ykprov falls back to the JSON pages"
    );
    let short = download_check(&answer(200, "text/csv", CSV), Some(3));
    assert_eq!(short.state, CheckState::Finding);
    assert!(
        short
            .summary
            .ends_with("the JSON list has 3 tokens: ykprov would under-count"),
        "{}",
        short.summary
    );
    // A CSV with more pages cannot be compared with the JSON count.
    assert_eq!(
        download_check(&with_next(answer(200, "text/csv", CSV)), Some(3)).state,
        CheckState::Passed
    );
    assert_eq!(
        download_check(&answer(503, "text/plain", ""), None).state,
        CheckState::Failed
    );
    let lost = Reply::NoAnswer(ApiError::Unreachable {
        reason: "refused".into(),
    });
    assert_eq!(download_check(&lost, None).state, CheckState::Failed);
}

#[test]
fn the_limit_check_needs_200_and_reports_1000_either_way() {
    let ok = answer(200, "application/json", &json_tokens(3));
    let refused = answer(400, "application/json", r#"{"errorCode":"E0000001"}"#);
    let tries = |r200: &Reply, r1000: &Reply| {
        vec![
            (limit_try(20, &ok), ok.why_not()),
            (limit_try(200, r200), r200.why_not()),
            (limit_try(1000, r1000), r1000.why_not()),
        ]
    };
    let c = limit_check(tries(&ok, &refused));
    assert_eq!(c.state, CheckState::Passed);
    assert_eq!(c.facts.unwrap().largest_accepted, Some(200));
    let c = limit_check(tries(&refused, &refused));
    assert_eq!(c.state, CheckState::Finding);
    assert!(
        c.summary.ends_with(": ykprov's JSON pages use limit=200"),
        "{}",
        c.summary
    );
    let c = limit_check(tries(&answer(503, "text/plain", ""), &refused));
    assert_eq!(c.state, CheckState::Failed);
    let capped = with_next(answer(200, "application/json", &json_tokens(3)));
    assert_eq!(
        describe_try(&limit_try(1000, &capped), ""),
        "1000 → 3 tokens and a next link (capped at 3)"
    );
}

#[test]
fn the_serial_to_filter_on_prefers_leading_zeros() {
    let tokens: Vec<YubikeyToken> = serde_json::from_str(
        r#"[{"id":"a","status":"ACTIVE","profile":{"serial":"x1"}},
            {"id":"b","status":"ACTIVE","profile":{"serial":"123456789012"}},
            {"id":"c","status":"ACTIVE","profile":{"serial":"7886622"}}]"#,
    )
    .unwrap();
    let s = pick_serial(&tokens).unwrap();
    assert_eq!(s.as_str(), "000007886622");
    assert_eq!(unpadded(&s).as_deref(), Some("7886622"));
    assert_eq!(unpadded(&pick_serial(&tokens[..2]).unwrap()), None);
    assert_eq!(unpadded(&Serial::from_okta("0")).as_deref(), Some("0"));
    assert!(pick_serial(&tokens[..1]).is_none());
}

fn try_of(status: Option<u16>, found: bool, others: usize) -> FilterTry {
    FilterTry {
        status,
        error_code: None,
        found,
        others,
    }
}

#[test]
fn the_filter_check_wants_the_padded_form_to_find_only_its_token() {
    let ok = filter_check(try_of(Some(200), true, 0), Some(try_of(Some(200), false, 0)));
    assert_eq!(ok.state, CheckState::Passed);
    assert_eq!(
        ok.summary,
        "a padded serial from page 1 found it; its unpadded form found nothing"
    );
    let unpadded_only = filter_check(try_of(Some(200), false, 0), Some(try_of(Some(200), true, 0)));
    assert_eq!(unpadded_only.state, CheckState::Finding);
    assert!(unpadded_only
        .summary
        .ends_with("only the unpadded form works, so each lookup takes two GETs"));
    let neither = filter_check(try_of(Some(400), false, 0), Some(try_of(Some(400), false, 0)));
    assert!(neither.summary.contains("was refused"), "{}", neither.summary);
    assert_eq!(neither.state, CheckState::Finding);
    let ignored = filter_check(try_of(Some(200), true, 19), None);
    assert_eq!(ignored.state, CheckState::Finding);
    assert!(
        ignored.summary.contains("no leading zeros")
            && ignored.summary.contains("19 tokens with another serial")
    );
    assert_eq!(
        filter_check(try_of(None, false, 0), None).state,
        CheckState::Failed
    );
}

#[test]
fn expand_user_that_embeds_no_user_for_assigned_tokens_is_a_finding() {
    let page = r#"[{"id":"a","status":"ACTIVE","_links":{"user":{"href":"https://x/api/v1/users/00u1"}}},
                   {"id":"b","status":"UNASSIGNED"}]"#;
    let c = expand_check(&answer(200, "application/json", page));
    assert_eq!(c.state, CheckState::Finding);
    assert_eq!(
        (
            c.facts.as_ref().unwrap().assigned,
            c.facts.as_ref().unwrap().embedded
        ),
        (1, 0)
    );
    let embedded = r#"[{"id":"a","status":"ACTIVE","_embedded":{"user":{"id":"00u1"}}}]"#;
    assert_eq!(
        expand_check(&answer(200, "application/json", embedded)).state,
        CheckState::Passed
    );
    assert_eq!(
        expand_check(&answer(400, "application/json", "{}")).state,
        CheckState::Finding
    );
    assert_eq!(
        expand_check(&answer(500, "application/json", "{}")).state,
        CheckState::Failed
    );
}

#[test]
fn statuses_are_counted_and_an_unknown_one_is_a_finding() {
    let mut seen = BTreeMap::new();
    seen.insert("a".to_string(), TokenStatus::Active);
    seen.insert("b".to_string(), TokenStatus::Active);
    seen.insert("c".to_string(), TokenStatus::Revoked);
    let c = status_check(&seen, false);
    assert_eq!(c.state, CheckState::Passed);
    assert_eq!(c.summary, "3 tokens (the first pages only): ACTIVE 2, REVOKED 1");
    seen.insert("d".to_string(), TokenStatus::Other("QUARANTINED\u{1b}".into()));
    let c = status_check(&seen, true);
    assert_eq!(c.state, CheckState::Finding);
    assert!(
        c.summary
            .ends_with("statuses ykprov does not know: QUARANTINED (treated as live)"),
        "{}",
        c.summary
    );
    assert_eq!(
        status_check(&BTreeMap::new(), true).summary,
        "no token in the org"
    );
}

#[test]
fn the_oauth_check_reads_what_the_token_endpoint_said() {
    let facts = TokenFacts {
        dpop_configured: true,
        token_type: Some("DPoP".into()),
        requested: vec![SCOPE_READ.into()],
        granted: Some(vec![SCOPE_READ.into()]),
        ..TokenFacts::default()
    };
    let c = oauth_check(facts.clone());
    assert_eq!(c.state, CheckState::Passed);
    assert_eq!(c.facts.as_ref().unwrap().dpop, DpopNeed::Configured);
    assert!(c.summary.contains("no nonce asked for"), "{}", c.summary);
    let lacking = oauth_check(TokenFacts {
        granted: Some(vec!["okta.groups.read".into()]),
        ..facts
    });
    assert_eq!(lacking.state, CheckState::Finding);
    let silent = oauth_check(TokenFacts::default());
    assert_eq!(silent.facts.unwrap().dpop, DpopNeed::NotRequired);
    assert!(silent
        .summary
        .ends_with("Okta did not say which scopes it granted"));
}
