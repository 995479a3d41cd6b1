//! `ykprov validate FILE...`: validates each file with [`validate_file`] and prints a summary per
//! file, then its problems one per line (`FILE:LINE: serial N: field reason`), or `--format json`.
//!
//! A file that cannot be used at all (unreadable, Traditional format, XML, a sealed file that
//! cannot be opened or whose signature does not satisfy `--signer`) does not stop the others;
//! after they are reported, the first such failure becomes the command's fatal error.

use super::sealed::{seal_line, unseal_options};
use super::Outcome;
use crate::cli::{resolve, GlobalArgs, TextOrJson, ValidateArgs};
use crate::seed::report::MAX_STORED;
use crate::seed::{validate_file, FileReport, ValidationOptions};
use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;

/// Runs `ykprov validate`.
pub fn run(args: &ValidateArgs, global: &GlobalArgs) -> anyhow::Result<Outcome> {
    let flags = resolve(args.format, args.input).warn();
    let json = args.json || flags.output == TextOrJson::Json;
    let opts = ValidationOptions {
        format: flags.layout,
        last_wins: args.last_wins,
    };
    let unseal = unseal_options(&args.sealed).map_err(|p| anyhow::anyhow!(p.join("; ")))?;
    let results: Vec<(PathBuf, anyhow::Result<FileReport>)> = args
        .files
        .iter()
        .map(|p| {
            crate::okta::config::warn_if_shared(p);
            let report = crate::seed::open(p, &unseal).and_then(|s| validate_file(&s, &opts));
            (p.clone(), report)
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if json {
        write_json(&results, &mut out)
    } else {
        write_text(&results, !global.quiet, &mut out)
    }
    .context("cannot write to stdout")?;
    out.flush().context("cannot write to stdout")?;
    outcome(results)
}

fn outcome(results: Vec<(PathBuf, anyhow::Result<FileReport>)>) -> anyhow::Result<Outcome> {
    let mut problems = false;
    let mut fatal = Vec::new();
    for (_, result) in results {
        match result {
            Ok(r) => problems |= !r.is_clean() || r.rows == 0,
            Err(e) => fatal.push(e),
        }
    }
    match fatal.len() {
        0 if problems => Ok(Outcome::Problems),
        0 => Ok(Outcome::Clean),
        1 => Err(fatal.remove(0)),
        n => {
            let all: Vec<String> = fatal.iter().map(|e| format!("{e:#}")).collect();
            anyhow::bail!("{n} files could not be validated:\n  {}", all.join("\n  "))
        }
    }
}

/// One summary line per file, then its errors and (unless quiet) warnings.
pub(super) fn write_text(
    results: &[(PathBuf, anyhow::Result<FileReport>)],
    warnings: bool,
    out: &mut impl Write,
) -> std::io::Result<()> {
    for (path, result) in results {
        let Ok(r) = result else {
            writeln!(out, "{}: not validated (see the error below)", path.display())?;
            continue;
        };
        if let Some(seal) = &r.sealed {
            writeln!(out, "{}", seal_line(path, seal))?;
        }
        if r.rows == 0 {
            writeln!(
                out,
                "{}: {} ({}): no seed rows found",
                path.display(),
                r.format,
                r.encoding
            )?;
            continue;
        }
        writeln!(
            out,
            "{}: {} ({}): {} rows: {} valid, {} invalid, {} skipped, {} warnings; {} to upload{}",
            path.display(),
            r.format,
            r.encoding,
            r.rows,
            r.valid,
            r.invalid(),
            r.skipped,
            r.warning_count,
            r.uploadable(),
            if r.error_count > r.invalid() {
                format!("; {} errors across rows", r.error_count - r.invalid())
            } else {
                String::new()
            }
        )?;
        for e in &r.errors {
            writeln!(out, "{e}")?;
        }
        if r.error_count > MAX_STORED as u64 {
            writeln!(
                out,
                "{}: … and {} more errors",
                path.display(),
                r.error_count - r.errors.len() as u64
            )?;
        }
        if warnings {
            for w in &r.warnings {
                writeln!(out, "{w}")?;
            }
            if r.warning_count > MAX_STORED as u64 {
                let more = r.warning_count - r.warnings.len() as u64;
                writeln!(out, "{}: … and {more} more warnings", path.display())?;
            }
        }
    }
    Ok(())
}

/// `{"clean": bool, "files": [report | {"path", "error"}]}`.
fn write_json(
    results: &[(PathBuf, anyhow::Result<FileReport>)],
    out: &mut impl Write,
) -> std::io::Result<()> {
    let files: Vec<serde_json::Value> = results
        .iter()
        .map(|(path, result)| match result {
            Ok(r) => {
                let mut v = serde_json::to_value(r).unwrap_or_default();
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("invalid".into(), r.invalid().into());
                    obj.insert("uploadable".into(), r.uploadable().into());
                    obj.insert("clean".into(), (r.is_clean() && r.rows > 0).into());
                }
                v
            }
            Err(e) => serde_json::json!({ "path": path, "error": format!("{e:#}") }),
        })
        .collect();
    let clean = results
        .iter()
        .all(|(_, r)| r.as_ref().is_ok_and(|r| r.is_clean() && r.rows > 0));
    serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "clean": clean, "files": files }))?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OKTA: &str =
        "7886622,ccccccijgibu,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067,,2020-01-10T23:04:10,";

    #[test]
    fn the_text_summary_lists_counts_then_problems() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seeds.csv");
        std::fs::write(&path, format!("{OKTA}\n{OKTA}\n0,cb,00,00\n")).unwrap();
        let r = validate_file(&path, &ValidationOptions::default());
        let mut out = Vec::new();
        write_text(&[(path.clone(), r)], true, &mut out).unwrap();
        let text = String::from_utf8(out)
            .unwrap()
            .replace(&path.display().to_string(), "FILE");
        insta::assert_snapshot!(text, @r"
        FILE: Yubico format (UTF-8): 3 rows: 2 valid, 1 invalid, 0 skipped, 1 warnings; 1 to upload
        FILE:3: serial is 0: the programming tool could not read the key's serial (enable serial-api-visible)
        FILE:2: warning: serial 7886622: same serial and seed as line 1; uploaded once, from that line
        ");
    }
}
