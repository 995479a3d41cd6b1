//! One vocabulary (issue 23): `--format` is always an output format, and every command that reads
//! seed files names their layout `--input-format`. The old spellings still parse, and warn.

use crate::helpers::{bin, TestDir};
use crate::seeds;
use clap::{CommandFactory, Parser};
use ykprov::cli::{Cli, Command, FormatArg, TextOrJson};
use ykprov::seed::SeedFormat;

/// The commands that read seed files.
const READS_SEEDS: [&str; 5] = ["validate", "upload", "seal", "reconcile", "repair"];

fn layouts() -> Vec<String> {
    use clap::ValueEnum;
    SeedFormat::value_variants()
        .iter()
        .filter_map(|v| v.to_possible_value())
        .map(|v| v.get_name().to_owned())
        .collect()
}

/// Every command and subcommand, with its path (`ledger verify`).
fn walk(cmd: &clap::Command, path: String, out: &mut Vec<(String, clap::Command)>) {
    for sub in cmd.get_subcommands() {
        let p = format!("{path} {}", sub.get_name()).trim().to_owned();
        out.push((p.clone(), sub.clone()));
        walk(sub, p, out);
    }
}

fn all_commands() -> Vec<(String, clap::Command)> {
    let mut out = Vec::new();
    walk(&Cli::command(), String::new(), &mut out);
    out
}

#[test]
fn no_format_flag_offers_a_seed_layout() {
    let layouts = layouts();
    for (path, cmd) in all_commands() {
        for arg in cmd.get_arguments() {
            if arg.get_long() != Some("format") {
                continue;
            }
            for v in arg.get_possible_values() {
                assert!(
                    !layouts.contains(&v.get_name().to_owned()),
                    "`ykprov {path} --format` offers the seed layout `{}`; layouts are --input-format",
                    v.get_name()
                );
            }
        }
    }
}

#[test]
fn only_input_format_offers_seed_layouts_and_every_seed_reader_has_it() {
    let layouts = layouts();
    let mut with_input_format = Vec::new();
    for (path, cmd) in all_commands() {
        for arg in cmd.get_arguments() {
            let names: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_owned())
                .collect();
            let offers_layouts = layouts.iter().all(|l| names.contains(l));
            let long = arg.get_long().unwrap_or_default();
            if offers_layouts && !arg.is_hide_set() {
                assert_eq!(
                    long, "input-format",
                    "`ykprov {path}` names the seed layout --{long}"
                );
            }
            if long == "input-format" {
                with_input_format.push(path.clone());
            }
        }
    }
    for c in READS_SEEDS {
        assert!(
            with_input_format.iter().any(|p| p == c),
            "`ykprov {c}` has no --input-format"
        );
    }
}

#[test]
fn every_out_has_the_short_form_o_and_nothing_else_does() {
    let mut with_out = 0;
    for (path, cmd) in all_commands() {
        for arg in cmd.get_arguments() {
            let is_out = arg.get_long() == Some("out");
            with_out += usize::from(is_out);
            if is_out {
                assert_eq!(arg.get_short(), Some('o'), "`ykprov {path} --out` has no -o");
            } else {
                assert_ne!(
                    arg.get_short(),
                    Some('o'),
                    "`ykprov {path}` gives -o to --{:?}",
                    arg.get_long()
                );
            }
        }
    }
    assert!(with_out >= 6, "only {with_out} commands have --out");
    let Command::Export(e) = parse(&["export", "-o", "tokens.csv"]) else {
        panic!("not export")
    };
    assert_eq!(e.out.as_deref(), Some(std::path::Path::new("tokens.csv")));
}

fn parse(args: &[&str]) -> Command {
    Cli::try_parse_from(std::iter::once("ykprov").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
        .command
}

#[test]
fn the_old_spellings_still_parse() {
    let Command::Validate(v) = parse(&["validate", "--format", "yubico", "s.csv"]) else {
        panic!("not validate")
    };
    assert_eq!(v.format, Some(FormatArg::Layout(SeedFormat::Yubico)));
    let Command::Validate(v) = parse(&["validate", "--format", "json", "s.csv"]) else {
        panic!("not validate")
    };
    assert_eq!(v.format, Some(FormatArg::Output(TextOrJson::Json)));
    let Command::Validate(v) = parse(&["validate", "--json", "s.csv"]) else {
        panic!("not validate")
    };
    assert!(v.json);
    let Command::Upload(u) = parse(&["upload", "--format", "headered", "s.csv"]) else {
        panic!("not upload")
    };
    assert_eq!(u.format, Some(FormatArg::Layout(SeedFormat::Headered)));
    let Command::Reconcile(r) = parse(&["reconcile", "--seed-format", "yubico", "s.csv"]) else {
        panic!("not reconcile")
    };
    assert_eq!(r.input.seed_format, Some(SeedFormat::Yubico));
    let Command::Repair(r) = parse(&["repair", "--input-format", "yubico", "s.csv"]) else {
        panic!("not repair")
    };
    assert_eq!(r.input.input_format, Some(SeedFormat::Yubico));
    let Command::Seal(s) = parse(&["seal", "--format", "yubico", "--recipient", "age1x", "s.csv"]) else {
        panic!("not seal")
    };
    assert_eq!(s.format, Some(FormatArg::Layout(SeedFormat::Yubico)));
}

#[test]
fn format_refuses_what_is_neither_an_output_nor_a_layout() {
    let err = Cli::try_parse_from(["ykprov", "validate", "--format", "xml", "s.csv"]).unwrap_err();
    assert!(err.to_string().contains("[possible values: text, json]"), "{err}");
    assert!(Cli::try_parse_from([
        "ykprov",
        "reconcile",
        "--input-format",
        "yubico",
        "--seed-format",
        "yubico",
        "s.csv"
    ])
    .is_err());
    // `--format yubico --json` was valid before --format became the output format; it still is.
    let Command::Validate(v) = parse(&["validate", "--format", "yubico", "--json", "s.csv"]) else {
        panic!("not validate")
    };
    assert!(v.json && v.format == Some(FormatArg::Layout(SeedFormat::Yubico)));
}

fn seed_file(dir: &TestDir) -> std::path::PathBuf {
    dir.write("seeds.csv", seeds::csv(&seeds::rows(31_000_001, 2)))
}

fn validate(args: &[&str], file: &std::path::Path) -> (String, String) {
    let out = bin()
        .arg("validate")
        .args(args)
        .arg(file)
        .assert()
        .success()
        .get_output()
        .clone();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (text(&out.stdout), text(&out.stderr))
}

#[test]
fn a_layout_in_format_is_taken_as_input_format_with_a_warning() {
    let dir = TestDir::new();
    let f = seed_file(&dir);
    let (stdout, stderr) = validate(&["--format", "yubico"], &f);
    assert!(
        stderr.contains("--format yubico is a seed layout: taken as --input-format yubico"),
        "{stderr}"
    );
    assert!(stdout.contains("Yubico format"), "{stdout}");
    let (_, stderr) = validate(&["--input-format", "yubico"], &f);
    assert!(!stderr.contains("warn"), "{stderr}");
}

#[test]
fn seed_format_and_json_are_old_names_that_still_work() {
    let dir = TestDir::new();
    let f = seed_file(&dir);
    let (_, stderr) = validate(&["--seed-format", "yubico"], &f);
    assert!(stderr.contains("--seed-format is now --input-format"), "{stderr}");
    let (stdout, _) = validate(&["--json"], &f);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["clean"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_format_json_prints_its_summary_as_camel_case_json() {
    use okta_emulator::{self as emulator, EmulatorConfig};
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let file = dir.write("s.csv", seeds::csv(&seeds::rows(71_000, 3)));
    let out = crate::helpers::ykprov_against(&emu, &["upload", "--format", "json"])
        .arg(&file)
        .output()
        .await
        .unwrap();
    crate::helpers::assert_exit(&out, 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(v["clean"], true);
    assert_eq!(v["counts"]["uploaded"], 3);
    assert_eq!(v["plan"]["toUpload"], 3);
    assert!(v["counts"].get("alreadyPresent").is_some(), "{v}");
    for obj in [&v, &v["plan"], &v["counts"]] {
        let keys = obj.as_object().unwrap().keys();
        assert!(keys.clone().all(|k| !k.contains('_')), "a snake_case key: {obj}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_format_json_lists_the_tokens_under_the_csv_column_names() {
    use okta_emulator::{self as emulator, EmulatorConfig};
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let file = dir.write("s.csv", seeds::csv(&seeds::rows(72_000, 2)));
    let up = crate::helpers::ykprov_against(&emu, &["upload", "-q"])
        .arg(&file)
        .output()
        .await
        .unwrap();
    crate::helpers::assert_exit(&up, 0);
    let out = crate::helpers::ykprov_against(&emu, &["export", "--format", "json"])
        .output()
        .await
        .unwrap();
    crate::helpers::assert_exit(&out, 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let keys: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
    for column in ykprov::okta::inventory::EXPORT_COLUMNS {
        assert!(keys.iter().any(|k| *k == column), "no {column} in {keys:?}");
    }
    assert_eq!(rows[0]["serial"], "000000072000");
    assert_eq!(rows[0]["status"], "UNASSIGNED");
}

/// The names a token id could be given; only `tokenId` is ykprov's.
const OTHER_TOKEN_ID_NAMES: [&str; 4] = ["id", "token_id", "tokenid", "TokenId"];

/// Every key of every object in `v`, at any depth.
fn json_keys(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                json_keys(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| json_keys(v, out)),
        _ => {}
    }
}

fn assert_one_token_id_name(what: &str, names: &[String]) {
    assert!(
        names.iter().any(|n| n == "tokenId"),
        "{what}: no tokenId in {names:?}"
    );
    for other in OTHER_TOKEN_ID_NAMES {
        assert!(
            !names.iter().any(|n| n == other),
            "{what}: `{other}` names a token id: {names:?}"
        );
    }
    assert!(
        names.iter().all(|n| !n.contains('_')),
        "{what}: a snake_case name in {names:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_reconcile_and_report_name_the_token_id_column_alike() {
    use crate::helpers::{assert_exit, ykprov_against};
    use okta_emulator::{self as emulator, EmulatorConfig};
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let seeds = dir.write("s.csv", seeds::csv(&seeds::rows(73_000, 2)));
    let journal = dir.path().join("upload.journal");
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cmd = ykprov_against(&emu, &args);
        async move { cmd.output().await.unwrap() }
    };
    let p = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let s = |v: &str| v.to_owned();
    let seeds = seeds.to_string_lossy().into_owned();
    let journal = journal.to_string_lossy().into_owned();
    assert_exit(
        &run(vec![
            s("upload"),
            s("-q"),
            s("--journal"),
            journal.clone(),
            seeds.clone(),
        ])
        .await,
        0,
    );
    let csv_header = |text: &str| -> Vec<String> {
        text.lines()
            .next()
            .unwrap_or_default()
            .split(',')
            .map(str::to_owned)
            .collect()
    };
    let json_names = |bytes: &[u8]| {
        let v: serde_json::Value = serde_json::from_slice(bytes)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)));
        let mut keys = Vec::new();
        json_keys(&v, &mut keys);
        keys
    };
    let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();

    for (format, file) in [("csv", "export.csv"), ("json", "export.json")] {
        assert_exit(
            &run(vec![s("export"), s("--format"), s(format), s("--out"), p(file)]).await,
            0,
        );
    }
    assert_one_token_id_name(
        "export csv",
        &csv_header(&String::from_utf8_lossy(&read("export.csv"))),
    );
    assert_one_token_id_name("export json", &json_names(&read("export.json")));

    for (format, file) in [("csv", "reconcile.csv"), ("json", "reconcile.json")] {
        let out = run(vec![
            s("reconcile"),
            s("--format"),
            s(format),
            s("--out"),
            p(file),
            seeds.clone(),
        ])
        .await;
        assert_exit(&out, 0);
    }
    assert_one_token_id_name(
        "reconcile csv",
        &csv_header(&String::from_utf8_lossy(&read("reconcile.csv"))),
    );
    let reconcile_keys = json_names(&read("reconcile.json"));
    assert!(
        reconcile_keys.iter().any(|k| k == "tokenId"),
        "{reconcile_keys:?}"
    );
    assert!(!reconcile_keys
        .iter()
        .any(|k| OTHER_TOKEN_ID_NAMES.contains(&k.as_str())));

    for file in ["report.csv", "report.json"] {
        let args = vec![
            s("report"),
            s("--journal"),
            journal.clone(),
            s("--reconcile"),
            p("reconcile.json"),
            s("--out"),
            p(file),
        ];
        assert_exit(&run(args).await, 0);
    }
    assert_one_token_id_name(
        "report csv",
        &csv_header(&String::from_utf8_lossy(&read("report.csv"))),
    );
    let report_keys = json_names(&read("report.json"));
    assert!(report_keys.iter().any(|k| k == "tokenId"), "{report_keys:?}");
    assert!(!report_keys
        .iter()
        .any(|k| OTHER_TOKEN_ID_NAMES.contains(&k.as_str())));
}
