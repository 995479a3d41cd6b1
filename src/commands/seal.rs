//! `ykprov seal SEEDS.csv`: recipients checked together (every problem with its flag), the file
//! validated and sealed by `seed::sealed::seal`, the validation printed as `validate` prints it,
//! and the admin told to delete the plaintext, which ykprov never does itself. Exit 1 when the
//! file has problems (it is sealed anyway, byte for byte).

use super::output::require_seed_file;
use super::validate::write_text;
use super::Outcome;
use crate::cli::{GlobalArgs, SealArgs};
use crate::seed::sealed::age;
use crate::seed::sealed::gpg::GpgSettings;
use crate::seed::sealed::seal::{seal, Recipients, SealRequest, Sealed};
use crate::seed::sealed::SealKind;
use crate::seed::ValidationOptions;
use anyhow::Context;
use std::io::{IsTerminal, Write};

/// The recipients the flags name, or every problem with its flag.
fn recipients(args: &SealArgs) -> Result<Recipients, Vec<String>> {
    let mut problems = Vec::new();
    let mut age_keys = Vec::new();
    for r in &args.recipients {
        match age::parse_recipient(r) {
            Ok(k) => age_keys.push(k),
            Err(e) => problems.push(format!("--recipient: {e}")),
        }
    }
    for f in &args.recipients_files {
        match age::read_recipients_file(f) {
            Ok(keys) => age_keys.extend(keys),
            Err(e) => problems.push(format!("--recipients-file: {e:#}")),
        }
    }
    let age_named = !args.recipients.is_empty() || !args.recipients_files.is_empty();
    let gpg_named = !args.gpg_recipients.is_empty();
    match (age_named, gpg_named) {
        (true, true) => problems.push(
            "--recipient/--recipients-file (age) and --gpg-recipient (OpenPGP) cannot be mixed: a \
             file is sealed in one format"
                .into(),
        ),
        (false, false) => problems.push(
            "name who can open the sealed file: --recipient age1..., --recipients-file FILE or \
             --gpg-recipient ID"
                .into(),
        ),
        _ => {}
    }
    if age_named && args.sign_with.is_some() {
        problems.push("--sign-with needs --gpg-recipient: age files carry no signature".into());
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(if gpg_named {
        Recipients::OpenPgp {
            keys: args.gpg_recipients.clone(),
            sign_with: args.sign_with.clone(),
        }
    } else {
        Recipients::Age(age_keys)
    })
}

/// Runs `ykprov seal`.
pub fn run(args: &SealArgs, global: &GlobalArgs) -> anyhow::Result<Outcome> {
    let flags = crate::cli::resolve(args.format, args.input);
    if let Some(crate::cli::FormatArg::Output(_)) = args.format {
        anyhow::bail!("seal has no output format; the seed layout is --input-format auto|yubico|headered");
    }
    let flags = flags.warn();
    let recipients = recipients(args).map_err(|p| anyhow::anyhow!(p.join("; ")))?;
    require_seed_file(&args.file)?;
    crate::okta::config::warn_if_shared(&args.file);
    let request = SealRequest {
        input: args.file.clone(),
        recipients,
        out: args.out.clone(),
        force: args.force,
        validation: ValidationOptions {
            format: flags.layout,
            last_wins: false,
        },
        gpg: GpgSettings {
            interactive: std::io::stdin().is_terminal(),
            ..GpgSettings::default()
        },
    };
    let sealed = seal(&request)?;
    let mut out = std::io::stdout().lock();
    let problems =
        write_result(&request, &sealed, !global.quiet, &mut out).context("cannot write to stdout")?;
    out.flush().context("cannot write to stdout")?;
    Ok(Outcome::problems_if(problems))
}

/// The validation, what was written, and what to do next. Whether the file had problems.
fn write_result(r: &SealRequest, s: &Sealed, warnings: bool, out: &mut impl Write) -> std::io::Result<bool> {
    let input = r.input.display();
    let validation = s.validation.clone().map_err(anyhow::Error::msg);
    let problems = match &validation {
        Ok(report) => !report.is_clean() || report.rows == 0,
        Err(_) => true,
    };
    write_text(&[(r.input.clone(), validation)], warnings, out)?;
    if let Err(e) = &s.validation {
        writeln!(out, "warning: {e}")?;
    }
    if problems {
        writeln!(
            out,
            "warning: {input} has problems (above); it was sealed as it is, byte for byte"
        )?;
    }
    let signed = s
        .signed_with
        .as_ref()
        .map_or(String::new(), |k| format!(", signed by {k}"));
    let (name, open_with) = match s.kind {
        SealKind::Age => ("age recipient", "--identity KEY"),
        SealKind::OpenPgp => ("OpenPGP key", "(gpg finds the key)"),
    };
    writeln!(
        out,
        "sealed {input} to {} for {} {name}{}{signed} (mode 0600)\n  SHA-256 of the seeds:       {} (kept: journals and reconciliations still match)\n  SHA-256 of the sealed file: {}",
        s.out.display(),
        s.recipients,
        if s.recipients == 1 { "" } else { "s" },
        s.plaintext_sha256,
        s.sealed_sha256,
    )?;
    writeln!(
        out,
        "now delete the plaintext: rm {input} (and any copy of it: backups, the trash, the programming \
         machine). ykprov reads the sealed file itself: ykprov validate {} {open_with}",
        s.out.display()
    )?;
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn parse(args: &[&str]) -> SealArgs {
        let cli = Cli::try_parse_from(["ykprov", "seal"].iter().chain(args)).unwrap();
        let Command::Seal(a) = cli.command else {
            panic!("not seal")
        };
        a
    }

    #[test]
    fn every_recipient_problem_is_named_with_its_flag() {
        let args = parse(&["s.csv", "--recipient", "age1nope", "--gpg-recipient", "ABCD"]);
        let problems = recipients(&args).err().unwrap();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("--recipient: `age1nope` is not an age recipient"));
        assert!(problems[1].contains("cannot be mixed"));
        let none = recipients(&parse(&["s.csv"])).err().unwrap();
        assert!(none[0].contains("name who can open"), "{none:?}");
    }

    #[test]
    fn age_files_cannot_be_signed() {
        let key = ::age::x25519::Identity::generate().to_public().to_string();
        let args = parse(&["s.csv", "--recipient", &key, "--sign-with", "ABCD"]);
        let problems = recipients(&args).err().unwrap();
        assert_eq!(
            problems,
            ["--sign-with needs --gpg-recipient: age files carry no signature"]
        );
        assert!(matches!(
            recipients(&parse(&["s.csv", "--recipient", &key])),
            Ok(Recipients::Age(k)) if k.len() == 1
        ));
    }
}
