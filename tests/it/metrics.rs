//! Issue 23: `--metrics-file` on `upload`, `reconcile` and `repair`, read back by a Prometheus
//! text-format parser (the `prometheus-parse` crate) and by the strict checks below, and compared
//! with the emulator's own state: its request log (429s served) and what it stores.

use crate::helpers::{assert_exit, spawn_emulator, ykprov_against, TestDir};
use crate::seeds;
use okta_emulator::EmulatorConfig;
use prometheus_parse::{Scrape, Value};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::Duration;

/// The file parsed by `prometheus-parse`, after the checks that parser does not make.
fn scrape(path: &Path) -> Scrape {
    let text = std::fs::read_to_string(path).unwrap();
    strict(&text);
    Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap()
}

/// What `prometheus-parse` lets pass: every family introduced by `# HELP` then `# TYPE … gauge`
/// before its first sample, names and label names well formed, no series twice, every value a
/// number, and every sample labelled with the command and the org.
fn strict(text: &str) {
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.chars().enumerate().all(|(i, c)| {
                c == '_' || c == ':' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())
            })
    };
    let (mut helped, mut typed, mut series) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    assert!(text.ends_with('\n'), "the file ends with a newline");
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap();
            assert!(
                name_ok(name) && !help.is_empty() && helped.insert(name.to_string()),
                "{line}"
            );
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(
                helped.contains(name) && kind == "gauge" && typed.insert(name.to_string()),
                "{line}"
            );
        } else {
            let (sample, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
            let name = sample.split('{').next().unwrap();
            assert!(typed.contains(name), "a sample before its TYPE: {line}");
            let labels = sample.strip_prefix(name).unwrap();
            assert!(
                labels.starts_with("{command=\"") && labels.contains(",org=\"") && labels.ends_with('}'),
                "{line}"
            );
            assert!(series.insert(sample.to_string()), "a series twice: {line}");
        }
    }
}

/// The value of the sample of `name` whose labels include `with`.
fn value(s: &Scrape, name: &str, with: &[(&str, &str)]) -> f64 {
    let found: Vec<f64> = s
        .samples
        .iter()
        .filter(|x| x.metric == name && with.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
        .map(|x| match x.value {
            Value::Gauge(v) | Value::Untyped(v) | Value::Counter(v) => v,
            _ => panic!("{name} is not a plain value"),
        })
        .collect();
    assert_eq!(found.len(), 1, "one {name}{with:?} in {:?}", s.samples);
    found[0]
}

fn labels_of(s: &Scrape, name: &str) -> HashMap<String, String> {
    let x = s.samples.iter().find(|x| x.metric == name).unwrap();
    x.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_reconcile_and_repair_write_metrics_a_parser_reads_and_the_emulator_confirms() {
    // One request at a time in the emulator, four in flight from ykprov, each answer slow: some of
    // ykprov's requests meet Okta's (the emulator's) concurrency limit and get a 429.
    let config = EmulatorConfig {
        concurrency_limit: Some(1),
        latency: Duration::from_millis(40),
        ..EmulatorConfig::default()
    };
    let emu = spawn_emulator(config).await;
    let dir = TestDir::new();
    let rows = seeds::rows(620_000, 14);
    let uploaded = dir.write("uploaded.csv", seeds::csv(&rows[..12]));
    let all = dir.write("all.csv", seeds::csv(&rows));
    let prom = |name: &str| dir.path().join(name);

    let out = ykprov_against(
        &emu,
        &["upload", uploaded.to_str().unwrap(), "--concurrency", "4"],
    )
    .args(["--metrics-file", prom("upload.prom").to_str().unwrap()])
    .output()
    .await
    .unwrap();
    assert_exit(&out, 0);
    let s = scrape(&prom("upload.prom"));
    let log = emu.log();
    assert_eq!(value(&s, "ykprov_upload_rows", &[("outcome", "uploaded")]), 12.0);
    assert_eq!(value(&s, "ykprov_upload_rows", &[("outcome", "failed")]), 0.0);
    assert_eq!(
        log.stored_per_serial.len(),
        12,
        "the emulator stores what the metrics say"
    );
    let rate_429 = (log.served_429 - log.served_concurrency_429) as f64;
    assert!(
        log.served_concurrency_429 > 0,
        "the run met the concurrency limit"
    );
    assert_eq!(
        value(&s, "ykprov_last_run_http_429_responses", &[("limit", "rate")]),
        rate_429
    );
    assert_eq!(
        value(
            &s,
            "ykprov_last_run_http_429_responses",
            &[("limit", "concurrency")]
        ),
        log.served_concurrency_429 as f64
    );
    assert_eq!(value(&s, "ykprov_last_run_success", &[]), 1.0);
    assert_eq!(value(&s, "ykprov_last_run_exit_code", &[]), 0.0);
    let labels = labels_of(&s, "ykprov_last_run_success");
    assert_eq!(labels["command"], "upload");
    assert!(
        emu.url().starts_with(labels["org"].trim_end_matches('/')),
        "{labels:?}"
    );
    let now = chrono::Utc::now().timestamp() as f64;
    let success = value(&s, "ykprov_last_success_timestamp_seconds", &[]);
    assert!((now - success).abs() < 600.0, "unix seconds: {success}");
    assert!(
        s.docs.contains_key("ykprov_upload_rows"),
        "HELP read by the parser"
    );

    // Drift: two keys of the file are not in Okta.
    let out = ykprov_against(&emu, &["reconcile", all.to_str().unwrap()])
        .args(["--metrics-file", prom("reconcile.prom").to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 1);
    let s = scrape(&prom("reconcile.prom"));
    assert_eq!(
        value(&s, "ykprov_reconcile_keys", &[("category", "missing")]),
        2.0
    );
    assert_eq!(
        value(&s, "ykprov_reconcile_keys", &[("category", "unassigned")]),
        12.0
    );
    assert_eq!(
        value(&s, "ykprov_reconcile_totals", &[("source", "needs_action")]),
        2.0
    );
    assert_eq!(value(&s, "ykprov_reconcile_totals", &[("source", "okta")]), 12.0);
    assert_eq!(
        (
            value(&s, "ykprov_last_run_success", &[]),
            value(&s, "ykprov_last_run_exit_code", &[])
        ),
        (1.0, 1.0)
    );
    let reconciled_at = value(&s, "ykprov_last_success_timestamp_seconds", &[]);

    // A failed run (a refused token) rewrites the file but keeps the last success.
    let out = ykprov_against(&emu, &["reconcile", all.to_str().unwrap()])
        .env("OKTA_CLIENT_TOKEN", "00refused-token")
        .args(["--metrics-file", prom("reconcile.prom").to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 2);
    let s = scrape(&prom("reconcile.prom"));
    assert_eq!(
        (
            value(&s, "ykprov_last_run_success", &[]),
            value(&s, "ykprov_last_run_exit_code", &[])
        ),
        (0.0, 2.0)
    );
    assert_eq!(
        value(&s, "ykprov_last_success_timestamp_seconds", &[]),
        reconciled_at
    );

    // The repair uploads the two, and its file says so, with the state after.
    let out = ykprov_against(&emu, &["repair", all.to_str().unwrap(), "--yes"])
        .args(["--metrics-file", prom("repair.prom").to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    let s = scrape(&prom("repair.prom"));
    assert_eq!(value(&s, "ykprov_repair_actions", &[("outcome", "done")]), 2.0);
    assert_eq!(
        value(&s, "ykprov_repair_actions", &[("outcome", "tokens_deleted")]),
        0.0
    );
    assert_eq!(
        value(&s, "ykprov_reconcile_keys", &[("category", "missing")]),
        0.0
    );
    assert_eq!(emu.log().stored_per_serial.len(), 14);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(prom("repair.prom")).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o644, "node_exporter's account can read it");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".ykprov-")),
        "no temporary file left: {names:?}"
    );
}

#[tokio::test]
async fn an_unwritable_metrics_file_stops_the_run_before_any_request() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(621_000, 2)));
    let blocked = dir.path().join("not-a-folder");
    std::fs::write(&blocked, "x").unwrap();
    let metrics = blocked.join("ykprov.prom");
    for command in [&["upload"][..], &["reconcile"], &["repair", "--yes"]] {
        let out = ykprov_against(&emu, command)
            .arg(&file)
            .args(["--metrics-file", metrics.to_str().unwrap()])
            .output()
            .await
            .unwrap();
        assert_exit(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("--metrics-file") && err.contains("ykprov.prom"),
            "{command:?}: {err}"
        );
    }
    assert_eq!(emu.log().entries.len(), 0, "nothing was sent");
}
