//! `ykprov probe` against the emulator: a fleet, an empty org, OAuth with and without DPoP, and
//! the real binary's exit codes and output file (`probe_hostile.rs` has the servers that read the
//! contract otherwise). The request log is the witness: at most 25 GETs, never anything else on
//! the token path, and nothing in the output that names a serial, a login, a user id or the token.

use crate::helpers::{assert_exit, spawn_emulator, ykprov_against, TestDir};
use crate::seeds;
use crate::upload;
use okta_emulator::fields::{AesKey, PrivateId, PublicId};
use okta_emulator::oauth::OAuthClient;
use okta_emulator::{otp, EmulatorConfig, EmulatorHandle, Endpoint, RateLimit};
use serde_json::{json, Value};
use ykprov::okta::config::{Credential, OAuthSettings};
use ykprov::okta::oauth::READ_SCOPES;
use ykprov::okta::pacing::RateSetting;
use ykprov::okta::probe::{self, BucketVerdict, CheckState, DpopNeed, Format, ProbeReport};
use ykprov::okta::{ClientConfig, OktaClient};
use ykprov::secret::Secret;

/// Serials with leading zeros in Okta's 12-digit form, so padded and unpadded differ.
const FIRST: u32 = 7_100_000;

pub fn started() -> chrono::DateTime<chrono::Utc> {
    "2026-12-01T09:00:00Z".parse().unwrap()
}

/// An emulator holding `n` tokens, the first `enrolled` of them enrolled by different users.
async fn fleet(n: u32, enrolled: u32) -> EmulatorHandle {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    if n > 0 {
        let dir = TestDir::new();
        let file = dir.write("s.csv", seeds::csv(&seeds::rows(FIRST, n)));
        let s = upload::run(&emu, &upload::options(&file)).await;
        assert_eq!(s.counts.uploaded, u64::from(n));
    }
    let users = emu.users();
    for (i, row) in seeds::rows(FIRST, enrolled).iter().enumerate() {
        let pass_code = otp::generate(
            &PublicId::parse(&row.public_id).unwrap(),
            &PrivateId::parse(&row.private_id).unwrap(),
            &AesKey::parse(&row.aes_key).unwrap(),
            1,
            0,
            0x10203,
            0x4242,
        );
        emu.enroll(&users[i % users.len()].id, &pass_code).await.unwrap();
    }
    emu
}

pub fn ssws_client(url: &str, token: &str) -> OktaClient {
    crate::helpers::init_test_log();
    let mut cfg = ClientConfig::new(url.parse().unwrap(), Secret::new(token.to_string()));
    cfg.timeout = std::time::Duration::from_secs(5);
    OktaClient::new(cfg).unwrap()
}

/// Everything the output must never contain: the token, every serial in both forms, every
/// user's id and login, every token id.
fn forbidden(emu: &EmulatorHandle, n: u32) -> Vec<String> {
    let mut words = vec![emu.token()];
    for s in FIRST..FIRST + n {
        words.push(format!("{s:012}"));
        words.push(s.to_string());
    }
    for u in emu.users() {
        words.push(u.id);
        words.push(u.login);
    }
    words.extend(emu.tokens().into_iter().map(|t| t.id));
    words
}

fn assert_clean(text: &str, forbidden: &[String]) {
    for word in forbidden {
        assert!(
            !text.contains(word.as_str()),
            "the output names `{word}`:\n{text}"
        );
    }
}

/// The probe's own requests in the emulator's log, after `before` earlier entries: all GETs,
/// as many as the report counts, at most 25.
fn assert_only_gets(emu: &EmulatorHandle, before: usize, report: &ProbeReport) {
    let log = emu.log();
    let mine: Vec<_> = log.entries[before..]
        .iter()
        .filter(|e| e.endpoint != Endpoint::OAuthToken)
        .collect();
    assert!(mine.iter().all(|e| e.method == "GET"), "only GETs: {mine:?}");
    assert!(
        mine.iter()
            .all(|e| matches!(e.endpoint, Endpoint::ListTokens | Endpoint::GetToken)),
        "only the token path: {mine:?}"
    );
    assert_eq!(mine.len(), report.gets as usize);
    assert!(report.gets <= probe::MAX_GETS);
}

fn mask_digits(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

/// The JSON with the values that change from run to run replaced: the org's port, times,
/// request ids, the version, and what the bucket's remaining count and window say.
fn redacted(report: &ProbeReport) -> String {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    let volatile = [
                        "org",
                        "tool",
                        "requestId",
                        "remaining",
                        "resetInSeconds",
                        "windowAtLeast",
                        "windowAtMost",
                        "evidence",
                    ];
                    if volatile.contains(&k.as_str()) && !x.is_null() {
                        *x = json!("[volatile]");
                    } else {
                        walk(x);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(report).unwrap();
    walk(&mut v);
    for check in ["rateLimits", "bucket"] {
        let s = mask_digits(v[check]["summary"].as_str().unwrap());
        v[check]["summary"] = json!(s);
    }
    serde_json::to_string_pretty(&v).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_passes_every_check_in_eight_gets_and_the_output_names_no_serial_or_user() {
    let emu = fleet(30, 3).await;
    let before = emu.log().entries.len();
    let report = probe::probe(&ssws_client(&emu.url(), &emu.token()), started())
        .await
        .unwrap();
    assert_only_gets(&emu, before, &report);
    assert_eq!(
        report.gets, 8,
        "list, get, 200, 1000, download, two filters, expand"
    );
    for (name, state, summary) in report.checks() {
        assert_eq!(state, CheckState::Passed, "{name}: {summary}");
    }
    assert!(!report.needs_attention());
    assert_eq!(
        report.bucket.facts.as_ref().unwrap().verdict,
        BucketVerdict::Shared
    );
    let json = String::from_utf8(probe::render(&report, Format::Json).unwrap()).unwrap();
    let text = String::from_utf8(probe::render(&report, Format::Text).unwrap()).unwrap();
    let words = forbidden(&emu, 30);
    assert_clean(&json, &words);
    assert_clean(&text, &words);
    assert!(
        text.contains(
            "passed   serial filter  a padded serial from page 1 found it; its unpadded form found it"
        ),
        "{text}"
    );
    assert!(text.contains("  8  list, limit=200, expand=user"), "{text}");
    assert!(text.ends_with("\nall checks passed\n"), "{text}");
    insta::assert_snapshot!(redacted(&report), @r#"
    {
      "auth": "ssws",
      "bucket": {
        "facts": {
          "evidence": "[volatile]",
          "verdict": "shared"
        },
        "state": "passed",
        "summary": "list and get-by-id share one bucket: Remaining ##### (list) → ##### (get) → ##### (list), one window"
      },
      "calls": [
        {
          "limit": 100000,
          "n": 1,
          "remaining": "[volatile]",
          "request": "list, limit=20",
          "requestId": "[volatile]",
          "resetInSeconds": "[volatile]",
          "status": 200
        },
        {
          "limit": 100000,
          "n": 2,
          "remaining": "[volatile]",
          "request": "get by id (a token from page 1)",
          "requestId": "[volatile]",
          "resetInSeconds": "[volatile]",
          "status": 200
        },
        {
          "limit": 100000,
          "n": 3,
          "remaining": "[volatile]",
          "request": "list, limit=200",
          "requestId": "[volatile]",
          "resetInSeconds": "[volatile]",
          "status": 200
        },
        {
          "limit": 100000,
          "n": 4,
          "remaining": "[volatile]",
          "request": "list, limit=1000",
          "requestId": "[volatile]",
          "resetInSeconds": "[volatile]",
          "status": 200
        },
        {
          "limit": 100000,
          "n": 5,
          "remaining": "[volatile]",
          "request": "download, forDownload=true",
          "requestId": "[volatile]",
          "resetInSeconds": "[volatile]",
          "status": 200
        },
        {
          "limit": 100000,
          "n": 6,
          "remaining": "[volatile]",
          "request": "list, filter on a padded serial from page 1",
          "requestId": "[volatile]",
          "resetInSeconds": "[volatile]",
          "status": 200
        },
        {
          "limit": 100000,
          "n": 7,
          "remaining": "[volatile]",
          "request": "list, filter on the same serial unpadded",
          "requestId": "[volatile]",
          "resetInSeconds": "[volatile]",
          "status": 200
        },
        {
          "limit": 100000,
          "n": 8,
          "remaining": "[volatile]",
          "request": "list, limit=200, expand=user",
          "requestId": "[volatile]",
          "resetInSeconds": "[volatile]",
          "status": 200
        }
      ],
      "download": {
        "facts": {
          "attachment": true,
          "columns": [
            "id",
            "serial",
            "status",
            "created",
            "activated",
            "lastVerified",
            "lastUpdated",
            "userId",
            "login"
          ],
          "contentType": "text/csv; charset=utf-8",
          "jsonTokens": 30,
          "link": true,
          "next": false,
          "query": "forDownload=true (Okta's default page size)",
          "rows": 30,
          "serialColumn": true,
          "status": 200
        },
        "state": "passed",
        "summary": "HTTP 200 text/csv; charset=utf-8; 9 columns (id, serial, status, created, activated, lastVerified, lastUpdated, userId, login), 30 rows, no next link"
      },
      "expandUser": {
        "facts": {
          "assigned": 3,
          "embedded": 3,
          "status": 200,
          "tokens": 30
        },
        "state": "passed",
        "summary": "expand=user embedded the user of 3 of 3 assigned tokens"
      },
      "gets": 8,
      "maxGets": 25,
      "org": "[volatile]",
      "pageLimit": {
        "facts": {
          "largestAccepted": 1000,
          "tries": [
            {
              "items": 20,
              "limit": 20,
              "next": true,
              "status": 200
            },
            {
              "items": 30,
              "limit": 200,
              "next": false,
              "status": 200
            },
            {
              "items": 30,
              "limit": 1000,
              "next": false,
              "status": 200
            }
          ]
        },
        "state": "passed",
        "summary": "largest accepted: 1000 (limit=20 → 20 tokens and a next link; 200 → 30 tokens; 1000 → 30 tokens)"
      },
      "rateLimits": {
        "facts": {
          "answered": 8,
          "concurrencyLimited": 0,
          "limits": [
            100000
          ],
          "rateLimited": 0,
          "windowAtLeast": "[volatile]",
          "windowAtMost": null,
          "withHeaders": 8
        },
        "state": "passed",
        "summary": "every answer carried X-Rate-Limit-* and Date: limit ###### per window of at least ## s"
      },
      "serialFilter": {
        "facts": {
          "padded": {
            "found": true,
            "others": 0,
            "status": 200
          },
          "unpadded": {
            "found": true,
            "others": 0,
            "status": 200
          }
        },
        "state": "passed",
        "summary": "a padded serial from page 1 found it; its unpadded form found it"
      },
      "started": "2026-12-01T09:00:00Z",
      "statuses": {
        "facts": {
          "complete": true,
          "counts": {
            "ACTIVE": 3,
            "UNASSIGNED": 27
          },
          "tokens": 30
        },
        "state": "passed",
        "summary": "30 tokens (all): ACTIVE 3, UNASSIGNED 27"
      },
      "tool": "[volatile]"
    }
    "#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_org_skips_the_filter_with_a_reason_and_still_settles_the_bucket() {
    let emu = fleet(0, 0).await;
    let report = probe::probe(&ssws_client(&emu.url(), &emu.token()), started())
        .await
        .unwrap();
    assert_only_gets(&emu, 0, &report);
    assert_eq!(report.gets, 6, "no filter without a serial");
    assert_eq!(report.serial_filter.state, CheckState::Skipped);
    assert_eq!(
        report.serial_filter.summary,
        "no token in the org to filter on: upload one key and probe again"
    );
    assert!(report.serial_filter.facts.is_none());
    // A made-up id answers 404, whose headers still show the bucket.
    assert_eq!(report.calls[1].status, Some(404));
    assert_eq!(
        report.bucket.state,
        CheckState::Passed,
        "{}",
        report.bucket.summary
    );
    assert_eq!(report.statuses.summary, "no token in the org");
    assert!(report.needs_attention(), "a check that did not run leaves exit 1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_is_paced_by_the_headers_and_draws_no_429_from_a_tight_bucket() {
    // Eight GETs at once would overrun 6 a second; paced at half the limit they never do.
    let emu = spawn_emulator(EmulatorConfig {
        get_limit: Some(RateLimit::new(6, std::time::Duration::from_secs(1))),
        ..EmulatorConfig::default()
    })
    .await;
    let dir = TestDir::new();
    let file = dir.write("s.csv", seeds::csv(&seeds::rows(FIRST, 3)));
    upload::run(&emu, &upload::options(&file)).await;
    let before = emu.log();
    let report = probe::probe(&ssws_client(&emu.url(), &emu.token()), started())
        .await
        .unwrap();
    assert_eq!(emu.log().served_429, before.served_429, "no 429 for the probe");
    assert_eq!(report.gets, 8);
    let rates = report.rate_limits.facts.as_ref().unwrap();
    assert_eq!(rates.rate_limited, 0);
    assert_eq!(rates.limits, [6]);
    // 1 s windows: Reset moves on during the probe, and the bounds bracket the true length.
    let (lo, hi) = (rates.window_at_least, rates.window_at_most);
    assert!(
        lo.is_some_and(|lo| lo <= 1) && hi.is_some_and(|hi| hi >= 1),
        "{rates:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_writes_a_0600_report_exits_by_its_checks_and_never_prints_the_token() {
    let emu = fleet(5, 1).await;
    let dir = TestDir::new();
    let path = dir.path().join("probe.json");
    let out = ykprov_against(
        &emu,
        &["probe", "--format", "json", "--out", path.to_str().unwrap()],
    )
    .output()
    .await
    .unwrap();
    assert_exit(&out, 0);
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(stderr.contains("wrote the probe report to"), "{stderr}");
    let written = std::fs::read_to_string(&path).unwrap();
    let report: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(report["auth"], "ssws");
    assert_eq!(report["serialFilter"]["state"], "passed");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let words = forbidden(&emu, 5);
    assert_clean(&written, &words);
    assert_clean(&stderr, &words);

    let empty = fleet(0, 0).await;
    let out = ykprov_against(&empty, &["probe"]).output().await.unwrap();
    assert_exit(&out, 1);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        stdout.contains("skipped  serial filter  no token in the org to filter on"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 check needs attention: serial filter (skipped)"),
        "{stdout}"
    );

    let out = ykprov_against(&emu, &["probe"])
        .env("OKTA_CLIENT_TOKEN", "not-the-token-00000")
        .output()
        .await
        .unwrap();
    assert_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(stderr.starts_with("error: cannot probe"), "{stderr}");
    assert!(stderr.contains("refused the credentials"), "{stderr}");
    assert!(!stderr.contains("not-the-token-00000"), "{stderr}");
    assert!(out.stdout.is_empty());

    let out = ykprov_against(&emu, &["probe", "--org", "http://127.0.0.1:1"])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(stderr.contains("cannot probe http://127.0.0.1:1"), "{stderr}");
}

const READ: &str = "okta.users.read";
const EC: &str = include_str!("../fixtures/keys/test-ec.pem");
const EC_PUB: &str = include_str!("../fixtures/keys/test-ec.pub.pem");

async fn oauth_probe(require_dpop: bool) -> (EmulatorHandle, ProbeReport) {
    let emu = spawn_emulator(EmulatorConfig {
        oauth_clients: vec![OAuthClient {
            client_id: "0oa-probe".into(),
            public_key_pem: EC_PUB.into(),
            scopes: vec![READ.into()],
        }],
        require_dpop,
        ..EmulatorConfig::default()
    })
    .await;
    let settings = OAuthSettings {
        client_id: "0oa-probe".into(),
        scopes: None,
        private_key: Secret::new(EC.to_string()),
        kid: Some("test-kid".into()),
        dpop: false,
    };
    let cfg = ClientConfig::with_credential(
        emu.url().parse().unwrap(),
        Credential::PrivateKey(settings),
        READ_SCOPES,
    );
    let client = OktaClient::new(ClientConfig {
        rate: RateSetting::Auto { share: 1.0 },
        ..cfg
    })
    .unwrap();
    let report = probe::probe(&client, started()).await.unwrap();
    (emu, report)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_oauth_it_says_whether_dpop_and_a_nonce_are_required_and_what_was_granted() {
    let (emu, report) = oauth_probe(true).await;
    assert_only_gets(&emu, 0, &report);
    let oauth = report.oauth.as_ref().expect("an oauth check");
    assert_eq!(oauth.state, CheckState::Passed, "{}", oauth.summary);
    let facts = oauth.facts.as_ref().unwrap();
    assert_eq!(facts.dpop, DpopNeed::Required);
    assert!(facts.nonce_required);
    assert_eq!(facts.token_type.as_deref(), Some("DPoP"));
    assert_eq!(facts.requested, [READ]);
    assert_eq!(facts.granted.as_deref(), Some(&[READ.to_string()][..]));
    assert_eq!(
        oauth.summary,
        "DPoP required (Okta refused a token request without a proof); the token endpoint asked for its nonce; granted okta.users.read"
    );
    let log = emu.log();
    assert_eq!(
        log.count(Endpoint::OAuthToken),
        3,
        "without a proof, without the nonce, with it"
    );
    let json = String::from_utf8(probe::render(&report, Format::Json).unwrap()).unwrap();
    for secret in emu.access_tokens() {
        assert!(!json.contains(&secret));
    }
    assert!(json.contains("\"auth\": \"oauth\""));

    let (emu, report) = oauth_probe(false).await;
    let facts = report.oauth.as_ref().unwrap().facts.clone().unwrap();
    assert_eq!((facts.dpop, facts.nonce_required), (DpopNeed::NotRequired, false));
    assert_eq!(facts.token_type.as_deref(), Some("Bearer"));
    assert_eq!(emu.log().count(Endpoint::OAuthToken), 1);
}
