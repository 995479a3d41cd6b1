//! Integration tests of `ykprov validate` (issue 2): the real binary's exit codes, output format,
//! and that no secret from the seed file ever reaches stdout or stderr.

use crate::helpers::{bin, TestDir};
use predicates::prelude::*;
use std::path::Path;

const OKTA: &str = "7886622,ccccccijgibu,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067,,2020-01-10T23:04:10,";

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn a_clean_file_exits_0_with_a_summary() {
    let dir = TestDir::new();
    let f = dir.write("seeds.csv", format!("{OKTA}\n"));
    bin()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "Yubico format (UTF-8): 1 rows: 1 valid, 0 invalid, 0 skipped, 0 warnings; 1 to upload",
        ));
}

#[test]
fn the_samples_validate_as_documented() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    for name in ["yubico.csv", "headered.csv", "ykksm.csv"] {
        bin().arg("validate").arg(samples.join(name)).assert().code(0);
    }
    bin()
        .arg("validate")
        .arg(samples.join("mistakes.csv"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "16 rows: 3 valid, 11 invalid, 2 skipped",
        ));
}

#[test]
fn byte_level_quirks_are_read() {
    for name in [
        "utf8-bom.csv",
        "utf16le-bom.csv",
        "utf16be-bom.csv",
        "crlf-no-final-newline.csv",
    ] {
        bin()
            .arg("validate")
            .arg(fixture(name))
            .assert()
            .code(0)
            .stdout(predicate::str::contains("2 rows: 2 valid"));
    }
}

#[test]
fn invalid_rows_exit_1_and_name_file_line_field_and_reason() {
    let dir = TestDir::new();
    let f = dir.write(
        "seeds.csv",
        format!("{OKTA}\n7538154,ejfhcciecgul,ea8d4cf9b363,aa4badc3,,\n"),
    );
    bin()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "{}:2: serial 7538154: AES key has 8 characters, expected 32 hex",
            f.display()
        )));
}

#[test]
fn warnings_alone_exit_0() {
    let dir = TestDir::new();
    let f = dir.write("seeds.csv", format!("{OKTA}\n{OKTA}\n"));
    bin()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("warning:"));
}

#[test]
fn traditional_format_exits_2_with_one_error_line() {
    let dir = TestDir::new();
    let f = dir.write(
        "log.csv",
        "LOGGING START,12/11/2013 11:10\nYubico OTP,12/11/2013 11:10,1,vvgutbiedkvi,ab86c04de6a3,d26a7c0f85fdda28bd816e406342b214,,,0,0,0,0,0,0,0,0,0,0\n",
    );
    let out = bin()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    // A warning about the file's mode (0644 here) may come first; the error is one line.
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_default();
    assert!(error.contains("Traditional format"), "{stderr}");
    assert!(!stderr.contains("d26a7c0f85fdda28bd816e406342b214") && !stderr.contains("ab86c04de6a3"));
}

#[test]
fn a_missing_file_exits_2_and_the_other_files_are_still_reported() {
    let dir = TestDir::new();
    let good = dir.write("seeds.csv", format!("{OKTA}\n"));
    bin()
        .arg("validate")
        .arg(&good)
        .arg(dir.path().join("missing.csv"))
        .assert()
        .code(2)
        .stdout(predicate::str::contains("1 valid"))
        .stderr(
            predicate::str::contains("\nerror: cannot open")
                .or(predicate::str::starts_with("error: cannot open")),
        );
}

#[test]
fn json_output_is_machine_readable() {
    let dir = TestDir::new();
    let f = dir.write(
        "seeds.csv",
        format!("{OKTA}\n0,cccccccccccb,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067\n"),
    );
    let out = bin()
        .args(["validate", "--format", "json"])
        .arg(&f)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["clean"], false);
    let file = &v["files"][0];
    assert_eq!(
        (
            file["rows"].as_u64(),
            file["valid"].as_u64(),
            file["invalid"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(file["format"], "yubico");
    assert_eq!(file["errors"][0]["line"], 2);
    assert_eq!(file["errors"][0]["field"], "serialNumber");
    assert_eq!(file["errors"][0]["code"], "serial_zero");
    assert_eq!(file["sha256"].as_str().map(str::len), Some(64));
}

#[test]
fn last_wins_turns_a_reprogrammed_key_into_a_warning() {
    let dir = TestDir::new();
    let later = OKTA.replace("b74be6169486", "b74be6169487");
    let f = dir.write("seeds.csv", format!("{OKTA}\n{later}\n"));
    bin().arg("validate").arg(&f).assert().code(1);
    bin()
        .args(["validate", "--last-wins"])
        .arg(&f)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("superseded"));
}

/// Every secret of a file full of good and bad rows; none may appear in any output.
#[test]
fn no_secret_appears_in_stdout_or_stderr() {
    let secrets = [
        // private ids, AES keys, access codes of valid rows
        "b74be6169486",
        "1fcc6d8ce39bf1604e0b17f3e0a11067",
        "0a0b0c0d0e0f",
        "ea8d4cf9b363",
        "aa4badc32d149a4c5df0612d278e28e1",
        // bad values in secret columns
        "ea8d4cf9b36",
        "aa4badc32d149a4c5df0612d278e28",
        "aa4badc32d149a4c5df0612d278e28ez",
        "0a0b0c",
        "69cfb9202438ca68964ec3244bfa4843d073a43b",
        "9e2fd386224a7f77e9b5aee775464033",
        "d26a7c0f85fdda28bd816e406342b214",
    ];
    let rows = [
        "7886622,ccccccijgibu,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067,0a0b0c0d0e0f,2020-01-10T23:04:10,",
        "7886622,ccccccijgibu,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067,0a0b0c0d0e0f,2020-01-10T23:04:10,",
        "7886622,ccccccijgibu,ea8d4cf9b363,1fcc6d8ce39bf1604e0b17f3e0a11067,,",
        "7538154,ejfhcciecgul,ea8d4cf9b36,aa4badc32d149a4c5df0612d278e28e1,,",
        "7538155,ejfhcciecgub,ea8d4cf9b363,aa4badc32d149a4c5df0612d278e28,,",
        "7538156,ejfhcciecgud,ea8d4cf9b363,aa4badc32d149a4c5df0612d278e28ez,,",
        "7538157,ejfhcciecgue,ea8d4cf9b363,aa4badc32d149a4c5df0612d278e28e1,0a0b0c,",
        "ea8d4cf9b363,aa4badc32d149a4c5df0612d278e28e1,7538158,ejfhcciecguf",
        "aa4badc32d149a4c5df0612d278e28e1",
        "508327,,0,69cfb9202438ca68964ec3244bfa4843d073a43b,,2013-12-12T08:41:07,",
        "508329,,,9e2fd386224a7f77e9b5aee775464033,,2013-12-12T08:44:34,",
        "Yubico OTP,12/11/2013 11:10,1,vvgutbiedkvi,ab86c04de6a3,d26a7c0f85fdda28bd816e406342b214,,,0,0,0,0,0,0,0,0,0,0",
    ];
    let dir = TestDir::new();
    let f = dir.write("seeds.csv", rows.join("\n"));
    let headered = dir.write(
        "headered.csv",
        format!("aesKey,serial,publicId,privateId\n{}\n", rows[3]),
    );
    for args in [
        vec!["validate"],
        vec!["validate", "--format", "json"],
        vec!["validate", "--last-wins", "-v"],
    ] {
        for file in [&f, &headered] {
            let out = bin().args(&args).arg(file).assert().get_output().clone();
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(all.contains("seeds.csv") || all.contains("headered.csv"), "{all}");
            for s in secrets {
                assert!(!all.contains(s), "secret {s} leaked with {args:?}:\n{all}");
            }
        }
    }
}
