//! Hostile input: every file in `tests/fixtures/hostile/` (made by `scripts/gen-hostile-corpus`)
//! and a few huge ones made here goes through the real `ykprov validate`. Each must end in a
//! per-line error or a clean refusal with exit 0/1/2, never a panic, and nothing printed may
//! echo a secret or a terminal control sequence from the file. Then the CSV outputs of
//! `reconcile`, `export` and `--report` must defuse spreadsheet formulas a hostile org sends.

use crate::helpers::{bin, TestDir};
use crate::seeds;
use std::path::{Path, PathBuf};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile")
}

/// Every corpus file and the exit code `validate` must give it: 2 = the whole file is refused
/// with one `error:` line; 1 = per-line errors (or no rows at all); 0 = accepted as it is.
const EXPECTED: &[(&str, i32)] = &[
    ("access-code-damage.csv", 1),
    ("aes-key-lengths.csv", 1),
    ("ansi-escape-serial.csv", 1),
    ("bidi-override-serial.csv", 1),
    ("binary-garbage.bin", 2),
    ("binary-no-nul.bin", 1),
    ("bom-in-middle.csv", 1),
    ("cr-cr-lf.csv", 0),
    ("duplicate-public-id.csv", 1),
    ("duplicate-serial-conflict.csv", 1),
    ("elf-magic.csv", 2),
    ("empty.csv", 1),
    ("excel-leading-zero-lost.csv", 1),
    ("excel-no-trailing-comma.csv", 0),
    ("excel-scientific.csv", 1),
    ("excel-semicolon.csv", 0),
    ("formula-at-serial.csv", 1),
    ("formula-cmd-serial.csv", 1),
    ("formula-header.csv", 0),
    ("formula-minus-serial.csv", 1),
    ("formula-plus-serial.csv", 1),
    ("formula-public-id.csv", 1),
    ("formula-quoted.csv", 1),
    ("formula-tab-cr-prefix.csv", 1),
    ("header-duplicate-column.csv", 2),
    ("header-missing-column.csv", 2),
    ("header-only.csv", 1),
    ("header-then-garbage.csv", 1),
    ("hex-and-float-serial.csv", 1),
    ("html-page.csv", 2),
    ("huge-serial.csv", 1),
    ("invalid-utf8-field.csv", 1),
    ("invalid-utf8-serial.csv", 1),
    ("json-document.csv", 1),
    ("ksm-edge-cases.csv", 1),
    ("latin1-accents.csv", 0),
    ("lone-cr-only.csv", 1),
    ("long-line-20k.csv", 1),
    ("mixed-line-endings.csv", 1),
    ("mixed-modes-log.csv", 0),
    ("modhex-invalid-public-id.csv", 1),
    ("negative-serial.csv", 1),
    ("no-newline-anywhere.csv", 0),
    ("nul-at-start.csv", 2),
    ("nul-in-late-row.csv", 1),
    ("nul-only.csv", 2),
    ("only-blank-lines.csv", 1),
    ("only-commas.csv", 0),
    ("only-comments.csv", 1),
    ("overlong-utf8.csv", 1),
    ("pipe-separated.csv", 1),
    ("pskc-bom-no-decl.xml", 2),
    ("pskc.xml", 2),
    ("quote-in-middle.csv", 1),
    ("quotes-doubled.csv", 1),
    ("quotes-embedded-newline.csv", 1),
    ("quotes-unbalanced.csv", 1),
    ("semicolon-and-comma.csv", 1),
    ("serial-zero.csv", 1),
    ("tab-separated.csv", 1),
    ("thousand-columns.csv", 1),
    ("too-few-fields.csv", 1),
    ("too-many-fields.csv", 1),
    ("traditional-appended.csv", 1),
    ("traditional-localized.csv", 2),
    ("traditional-logging-start.csv", 2),
    ("traditional.csv", 2),
    ("unicode-digits-serial.csv", 1),
    ("utf16be-no-bom.csv", 2),
    ("utf16le-bom-lone-surrogate.csv", 1),
    ("utf16le-bom-odd-length.csv", 1),
    ("utf16le-no-bom.csv", 2),
    ("utf32le-bom.csv", 1),
    ("utf8-bom-only.csv", 1),
    ("whitespace-and-case.csv", 0),
    ("zip-magic.csv", 2),
];

/// Runs of 12+ hex digits with both a digit and a letter: private ids, AES keys, access codes.
/// (All-digit runs are serials and all-letter runs are modhex public ids; both may be printed.)
fn secrets_in(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for run in bytes.split(|b| !b.is_ascii_hexdigit()) {
        if run.len() >= 12 && run.iter().any(u8::is_ascii_digit) && run.iter().any(u8::is_ascii_alphabetic) {
            out.push(String::from_utf8_lossy(run).to_ascii_lowercase());
        }
    }
    out
}

/// Validates one file with the real binary and checks the universal rules; returns the exit
/// code, stdout and stderr.
fn validate(path: &Path) -> (i32, String, String) {
    let out = bin()
        .arg("validate")
        .arg(path)
        .env("HOME", "/nonexistent")
        .env("YKPROV_STATE_DIR", crate::helpers::private_state())
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("runs");
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("{name}: killed by a signal"));
    let stdout = String::from_utf8(out.stdout).unwrap_or_else(|_| panic!("{name}: stdout is not UTF-8"));
    let stderr = String::from_utf8(out.stderr).unwrap_or_else(|_| panic!("{name}: stderr is not UTF-8"));
    assert!((0..=2).contains(&code), "{name}: exit {code}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{name}: panic\n{stderr}");
    let all = format!("{stdout}{stderr}");
    assert!(
        !all.chars().any(|c| c.is_control() && c != '\n'),
        "{name}: a control character from the file reached the terminal: {all:?}"
    );
    assert!(
        !all.contains('\u{202e}'),
        "{name}: a bidi override reached the terminal"
    );
    let lower = all.to_ascii_lowercase();
    if let Ok(bytes) = std::fs::read(path) {
        for s in secrets_in(&bytes) {
            assert!(!lower.contains(&s), "{name}: printed a secret-looking value {s}");
        }
    }
    match code {
        2 => {
            let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
            assert_eq!(errors.len(), 1, "{name}: one fatal message\n{stderr}");
            assert!(
                errors[0].contains(&name),
                "{name}: the message names the file: {}",
                errors[0]
            );
        }
        1 => assert!(
            stdout.contains("no seed rows found")
                || stdout
                    .lines()
                    .any(
                        |l| l.starts_with(&format!("{}:", path.display())) && l.contains(".csv:")
                            || l.contains(&format!("{name}:"))
                    ),
            "{name}: neither a per-line error nor 'no seed rows'\n{stdout}"
        ),
        _ => {}
    }
    (code, stdout, stderr)
}

#[test]
fn the_corpus_has_at_least_40_files_and_each_has_an_expectation() {
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README.md")
        .collect();
    names.sort();
    let expected: Vec<&str> = EXPECTED.iter().map(|(n, _)| *n).collect();
    assert!(names.len() >= 40, "{} files", names.len());
    assert_eq!(
        names, expected,
        "regenerate with scripts/gen-hostile-corpus and update EXPECTED"
    );
}

#[test]
fn every_hostile_file_gets_a_per_line_error_or_a_clean_refusal() {
    let dir = corpus_dir();
    for (name, want) in EXPECTED {
        let (code, stdout, stderr) = validate(&dir.join(name));
        assert_eq!(code, *want, "{name}\n{stdout}{stderr}");
        if code == 1 && !stdout.contains("no seed rows found") {
            let per_line = stdout
                .lines()
                .filter(|l| l.starts_with(&format!("{}:", dir.join(name).display())));
            assert!(
                per_line
                    .clone()
                    .any(|l| l.split(':').nth(1).is_some_and(|n| n.parse::<u64>().is_ok())),
                "{name}: exit 1 needs a FILE:LINE: message\n{stdout}"
            );
        }
    }
}

#[test]
fn formula_cells_are_rejected_as_rows_without_being_echoed() {
    let dir = corpus_dir();
    for name in [
        "formula-cmd-serial.csv",
        "formula-at-serial.csv",
        "formula-quoted.csv",
    ] {
        let (_, stdout, stderr) = validate(&dir.join(name));
        assert!(
            stdout.contains(":1: serial is not a decimal number"),
            "{name}: {stdout}"
        );
        assert!(
            !stdout.contains("cmd|") && !stderr.contains("cmd|"),
            "{name}: echoed the formula"
        );
    }
}

/// Big inputs are made here rather than committed.
#[test]
fn ten_megabyte_lines_and_millions_of_columns_are_refused_per_line() {
    let dir = TestDir::new();
    let good = seeds::row(4242).line();
    let mut long = good.clone() + "\n";
    long.push_str(&"A".repeat(10 * 1024 * 1024));
    long.push('\n');
    long.push_str(&seeds::row(4243).line());
    long.push('\n');
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("ten-mb-line.csv", long.into_bytes(), ":2: row is longer than"),
        (
            "ten-mb-no-newline.csv",
            vec![b'7'; 10 * 1024 * 1024],
            ":1: row is longer than",
        ),
        (
            "two-million-columns.csv",
            ",".repeat(2_000_000).into_bytes(),
            ":1: row is longer than",
        ),
        (
            "short-columns-many-lines.csv",
            (0..200_000)
                .map(|_| "1,2,3,4,5,6,7,8,9\n")
                .collect::<String>()
                .into_bytes(),
            "200000 rows: 0 valid, 200000 invalid",
        ),
        (
            "million-column-header.csv",
            format!(
                "serialNumber,publicId,privateId,aesKey{}\n{good}\n",
                ",x".repeat(1_000_000)
            )
            .into_bytes(),
            // The header is read up to the 16 KiB line cap; its first columns name everything
            // needed, so the one data row is read by name and is valid.
            "1 rows: 1 valid, 0 invalid",
        ),
    ];
    for (name, bytes, want) in cases {
        let path = dir.write(name, bytes);
        let (code, stdout, stderr) = validate(&path);
        let want_code = if name == "million-column-header.csv" { 0 } else { 1 };
        assert_eq!(code, want_code, "{name}\n{stdout}{stderr}");
        assert!(
            stdout.contains(want),
            "{name}: wanted {want:?}\n{}",
            &stdout[..stdout.len().min(2000)]
        );
    }
}

/// A tiny Okta whose tokens carry spreadsheet formulas in every text field it controls; the
/// JSON list and the CSV export both say the same.
async fn formula_org() -> String {
    use axum::{extract::Query, response::IntoResponse, routing::get, Router};
    use std::collections::HashMap;
    const EVIL: [&str; 5] = [
        "=cmd|' /C calc'!A0",
        "+1+cmd|' /C calc'!A0",
        "-1+1",
        "@SUM(1+1)",
        "\t=1+1",
    ];
    async fn tokens(Query(q): Query<HashMap<String, String>>) -> axum::response::Response {
        if q.contains_key("forDownload") {
            let mut csv = String::from("serial,id,status,created,activated,lastVerified,userId,login\n");
            for (i, e) in EVIL.iter().enumerate() {
                let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
                csv.push_str(&format!(
                    "{},{},ACTIVE,,,,{},{}\n",
                    q(e),
                    q(e),
                    q(e),
                    q(&format!("{e}{i}"))
                ));
            }
            csv.push_str("000000000042,=ykk42,UNASSIGNED,,,,,\n");
            ([("content-type", "text/csv")], csv).into_response()
        } else {
            let mut list: Vec<serde_json::Value> = EVIL
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    serde_json::json!({"id": e, "status": "ACTIVE", "profile": {"serial": e},
                        "_embedded": {"user": {"id": e, "profile": {"login": format!("{e}{i}")}}}})
                })
                .collect();
            list.push(serde_json::json!({"id": "=ykk42", "status": "UNASSIGNED", "profile": {"serial": "000000000042"}}));
            axum::Json(list).into_response()
        }
    }
    let app = Router::new().route(ykprov::okta::models::TOKENS_PATH, get(tokens));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn assert_formula_safe(what: &str, bytes: &[u8]) {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut cells = 0;
    for rec in rdr.records() {
        for cell in rec.unwrap().iter() {
            cells += 1;
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{what}: cell {cell:?} would run as a formula"
            );
        }
    }
    assert!(cells > 0, "{what}: empty");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_export_and_report_csv_cells_cannot_start_a_formula() {
    let url = formula_org().await;
    let dir = TestDir::new();
    let file = dir.write("s.csv", seeds::csv(&[seeds::row(42)]));
    let mut checked = 0;
    for via in ["pages", "download"] {
        let out = dir.path().join(format!("r-{via}.csv"));
        let report = dir.path().join(format!("report-{via}.csv"));
        let export = dir.path().join(format!("e-{via}.csv"));
        let runs: [Vec<&str>; 2] = [
            vec![
                "reconcile",
                file.to_str().unwrap(),
                "--via",
                via,
                "--expand-user",
                "--scope",
                "org",
                "--format",
                "csv",
                "--out",
                out.to_str().unwrap(),
                "--report",
                report.to_str().unwrap(),
                "-q",
            ],
            vec![
                "export",
                "--via",
                via,
                "--expand-user",
                "--out",
                export.to_str().unwrap(),
            ],
        ];
        for args in runs {
            let o = bin()
                .args(&args)
                .env("OKTA_CLIENT_ORGURL", &url)
                .env("OKTA_CLIENT_TOKEN", "00t")
                .env("HOME", "/nonexistent")
                .env("YKPROV_STATE_DIR", crate::helpers::private_state())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert!(matches!(o.status.code(), Some(0 | 1)), "{args:?}: {stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
        for path in [&out, &report, &export] {
            let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                text.contains("cmd|"),
                "{}: the hostile rows are present, escaped:\n{text}",
                path.display()
            );
            assert_formula_safe(&path.display().to_string(), &bytes);
            checked += 1;
        }
    }
    assert_eq!(checked, 6);
}
