//! One exit-code table per command: what 0, 1, 2 (and 130 where Ctrl-C stops a run cleanly)
//! mean for that command. Each command prints its table after `--help` ([`help`]) and its man page
//! has it as EXIT STATUS ([`table`]), both from here, so a scheduler's author need not read the
//! README and the two cannot disagree.

/// One code and what it means for the command.
pub type Code = (u8, &'static str);

const INTERRUPTED: Code = (
    130,
    "interrupted (Ctrl-C) after a clean shutdown; the journal is flushed, so the same command resumes",
);

/// `ykprov` itself: what every command follows.
const YKPROV: &[Code] = &[
    (0, "done, and nothing needs action"),
    (1, "done, but something needs action (each command's page says what)"),
    (2, "fatal: nothing more was attempted (bad flags, unreadable file, no credential, Okta unreachable at start); the error is printed once"),
    INTERRUPTED,
];

const VALIDATE: &[Code] = &[
    (0, "every file is valid and has rows"),
    (1, "a file has invalid or conflicting rows, or no data rows"),
    (2, "fatal: bad flags, or a file that cannot be read or decrypted"),
];

const UPLOAD: &[Code] = &[
    (0, "every row uploaded or already present"),
    (1, "finished, but rows were invalid, rejected or failed (failed rows are retried next run)"),
    (2, "fatal, nothing more sent: bad flags or credentials, unreachable org, an empty seed file or one not matching --expect-rows/--expect-sha256, an output that cannot be written, another run holding the journal's or the org's lock, or Okta failing too many requests (the retry budget); unfinished rows stay pending"),
    INTERRUPTED,
];

const RECONCILE: &[Code] = &[
    (0, "nothing in a --fail-on category (its default is shown above)"),
    (1, "something in a --fail-on category, or Okta listed none of the keys the ledger knows (the wrong org or a narrowed credential, more likely than a wiped org)"),
    (2, "fatal: bad flags or credentials, unreachable org, an unreadable seed file, an output that cannot be written, or no seed file and a ledger that knows no key of the org"),
];

const REPAIR: &[Code] = &[
    (0, "nothing needs action (after applying, or nothing to repair)"),
    (1, "actions planned (--dry-run), not consented to, or something still needs action after applying"),
    (2, "fatal, nothing more sent: bad flags or credentials, unreachable org, an empty seed file or one not matching --expect-rows/--expect-sha256, an output that cannot be written, another run holding the journal's or the org's lock, no terminal and no --yes, or Okta failing too many requests (the retry budget)"),
    INTERRUPTED,
];

const REVOKE: &[Code] = &[
    (0, "every key is safe (no live token, no enrolled factor)"),
    (1, "a key needs action or failed, writes are planned (--dry-run), or nothing was consented to"),
    (2, "fatal, nothing more sent: bad flags or credentials, unreachable org, an unknown serial, another run holding the journal's or the org's lock, no terminal and no --yes, or Okta failing too many requests (the retry budget)"),
    INTERRUPTED,
];

const EXPORT: &[Code] = &[
    (0, "the inventory was written"),
    (2, "fatal: bad flags or credentials, unreachable org, a listing Okta did not finish, or an output that cannot be written"),
];

const PROBE: &[Code] = &[
    (0, "every check passed"),
    (1, "a check failed or could not run: its line says which and why"),
    (
        2,
        "fatal: bad flags or credentials, unreachable org, or an output that cannot be written",
    ),
];

const REPORT: &[Code] = &[
    (0, "the report was written"),
    (2, "fatal: nothing to report, an unreadable journal, reconciliation or ledger, an unknown format, or an output that cannot be written"),
];

const DEMO: &[Code] = &[
    (
        0,
        "the demo ran and its last reconciliation shows what the narration promised",
    ),
    (
        1,
        "the demo ran, but its last reconciliation differs from what the narration promised",
    ),
    (
        2,
        "fatal: the folder cannot be written, or the embedded emulator could not start",
    ),
];

const EMULATE: &[Code] = &[
    (0, "stopped with Ctrl-C (the state saved to --state, if given)"),
    (2, "fatal: bad flags, a non-loopback --bind without --allow-remote, an address in use, or an unreadable token, users, key or state file"),
];

const CONFIG: &[Code] = &[
    (0, "the settings were shown"),
    (
        2,
        "fatal: bad flags, an unreadable or unsafe okta.yaml, or settings that contradict each other",
    ),
];

const WHOAMI: &[Code] = &[
    (0, "Okta answered and the credential's identity was shown"),
    (
        2,
        "fatal: no org or credential, a credential Okta refuses (401/403), or an unreachable org",
    ),
];

const SEAL: &[Code] = &[
    (0, "sealed, and the plaintext validated clean"),
    (1, "sealed as it is, byte for byte, but the plaintext has problems (shown above)"),
    (2, "fatal, nothing written: bad flags, no recipient, an unreadable input, an existing output without --force, or gpg or age failing"),
];

const COMPLETIONS: &[Code] = &[
    (0, "the script was printed"),
    (2, "fatal: bad flags (an unknown shell)"),
];

const MANPAGE: &[Code] = &[
    (0, "the pages were written"),
    (2, "fatal: the folder cannot be created or written"),
];

const RETIRE: &[Code] = &[
    (0, "recorded in the ledger (nothing is sent to Okta)"),
    (
        2,
        "fatal: not a serial, no serial, no org, or a ledger that cannot be opened or written",
    ),
];

const UNRETIRE: &[Code] = &[
    (0, "the key is back in service in the ledger"),
    (1, "the key was not retired in that org; nothing was recorded"),
    (
        2,
        "fatal: not a serial, no org, or a ledger that cannot be opened or written",
    ),
];

const HISTORY: &[Code] = &[
    (0, "the key's timeline was printed"),
    (1, "the ledger has no event for the key"),
    (2, "fatal: not a serial, or a ledger that cannot be opened"),
];

const LEDGER: &[Code] = &[
    (0, "done (see ykprov ledger verify and ykprov ledger import)"),
    (1, "ledger verify found a broken hash chain"),
    (
        2,
        "fatal: bad flags, or a ledger or journal that cannot be read or written",
    ),
];

const LEDGER_VERIFY: &[Code] = &[
    (0, "every event's hash chains to the one before"),
    (1, "the chain is broken: the first broken event is named"),
    (2, "fatal: a ledger that cannot be opened"),
];

const LEDGER_IMPORT: &[Code] = &[
    (
        0,
        "the journals are in the ledger (a journal imported before adds nothing)",
    ),
    (
        2,
        "fatal: an unreadable journal, or a ledger that cannot be written",
    ),
];

/// The table of a command, by its path below `ykprov` (`""`, `upload`, `ledger verify`); `None`
/// for a command that has none (a test makes sure every visible command has one).
pub fn table(path: &str) -> Option<&'static [Code]> {
    Some(match path {
        "" => YKPROV,
        "validate" => VALIDATE,
        "upload" => UPLOAD,
        "reconcile" => RECONCILE,
        "repair" => REPAIR,
        "revoke" => REVOKE,
        "export" => EXPORT,
        "probe" => PROBE,
        "report" => REPORT,
        "demo" => DEMO,
        "emulate" => EMULATE,
        "config" | "config show" => CONFIG,
        "whoami" => WHOAMI,
        "seal" => SEAL,
        "completions" => COMPLETIONS,
        "manpage" => MANPAGE,
        "retire" => RETIRE,
        "unretire" => UNRETIRE,
        "history" => HISTORY,
        "ledger" => LEDGER,
        "ledger verify" => LEDGER_VERIFY,
        "ledger import" => LEDGER_IMPORT,
        _ => return None,
    })
}

/// Where a meaning wraps in `--help` (the code column is 7 wide).
const WIDTH: usize = 100;

/// The `Exit codes:` block printed after a command's `--help`; empty for an unknown path.
pub fn help(path: &str) -> String {
    let mut out = String::from("Exit codes:");
    for (code, meaning) in table(path).unwrap_or_default() {
        let mut line = format!("\n  {code:<5}");
        for word in meaning.split(' ') {
            if line.len() + 1 + word.len() > WIDTH && line.trim_end().len() > 7 {
                out.push_str(line.trim_end());
                line = format!("\n{:7}", "");
            } else if !line.ends_with(' ') {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(&line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every visible command below `cmd`, with its path.
    fn walk(cmd: &clap::Command, path: &str, out: &mut Vec<(String, clap::Command)>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let p = format!("{path} {}", sub.get_name()).trim().to_owned();
            out.push((p.clone(), sub.clone()));
            walk(sub, &p, out);
        }
    }

    #[test]
    fn every_commands_help_ends_with_its_own_exit_codes() {
        let mut cmd = crate::cli::Cli::command().disable_help_subcommand(true);
        cmd.build();
        let mut all = vec![(String::new(), cmd.clone())];
        walk(&cmd, "", &mut all);
        assert!(all.len() > 20, "{} commands", all.len());
        for (path, mut sub) in all {
            let codes = table(&path).unwrap_or_else(|| panic!("`ykprov {path}` has no exit-code table"));
            let help = sub.render_long_help().to_string();
            let block = help
                .split("Exit codes:")
                .nth(1)
                .unwrap_or_else(|| panic!("{path}: {help}"));
            for (code, meaning) in codes {
                let first = meaning.split(' ').take(3).collect::<Vec<_>>().join(" ");
                assert!(
                    block.contains(&format!("\n  {code:<5}{first}")),
                    "`ykprov {path}` {code}: {block}"
                );
            }
            assert!(codes.iter().any(|(c, _)| *c == 2), "{path}: no fatal code");
        }
    }

    #[test]
    fn long_meanings_wrap_under_the_meaning_column() {
        let text = help("upload");
        assert!(text.lines().all(|l| l.len() <= WIDTH), "{text}");
        assert!(text.contains("\n  2    fatal, nothing more sent:"), "{text}");
        assert!(
            text.lines().filter(|l| l.starts_with("       ")).count() >= 2,
            "{text}"
        );
        assert_eq!(help("no such command"), "Exit codes:");
    }
}
