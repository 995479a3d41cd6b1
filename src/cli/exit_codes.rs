//! The exit-code table each command that writes to Okta prints after its `--help` (and so in
//! its man page): what 0, 1, 2 and 130 mean for that command, so a scheduler's author need not
//! read the README.

/// `ykprov upload --help`.
pub const UPLOAD: &str = "\
Exit codes:
  0    every row uploaded or already present
  1    finished, but rows were invalid, rejected or failed (failed rows are retried next run)
  2    fatal, nothing more sent: bad flags or credentials, unreachable org, an empty seed file or
       one not matching --expect-rows/--expect-sha256, an output that cannot be written, another
       run holding the journal's or the org's lock, or Okta failing too many requests (the retry
       budget); unfinished rows stay pending
  130  interrupted (Ctrl-C) after a clean shutdown";

/// `ykprov repair --help`.
pub const REPAIR: &str = "\
Exit codes:
  0    nothing needs action (after applying, or nothing to repair)
  1    actions planned (--dry-run), not consented to, or something still needs action after
       applying
  2    fatal, nothing more sent: bad flags or credentials, unreachable org, an empty seed file or
       one not matching --expect-rows/--expect-sha256, an output that cannot be written, another
       run holding the journal's or the org's lock, no terminal and no --yes, or Okta failing too
       many requests (the retry budget)
  130  interrupted (Ctrl-C) after a clean shutdown";

/// `ykprov revoke --help`.
pub const REVOKE: &str = "\
Exit codes:
  0    every key is safe (no live token, no enrolled factor)
  1    a key needs action or failed, writes are planned (--dry-run), or nothing was consented to
  2    fatal, nothing more sent: bad flags or credentials, unreachable org, an unknown serial,
       another run holding the journal's or the org's lock, no terminal and no --yes, or Okta
       failing too many requests (the retry budget)
  130  interrupted (Ctrl-C) after a clean shutdown";

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn each_writing_commands_help_ends_with_its_exit_codes() {
        let mut cli = crate::cli::Cli::command();
        for name in ["upload", "repair", "revoke"] {
            let sub = cli.find_subcommand_mut(name).expect("the subcommand exists");
            let help = sub.render_long_help().to_string();
            let table = help.split("Exit codes:").nth(1).unwrap_or_default();
            for code in ["  0 ", "  1 ", "  2 ", "  130 "] {
                assert!(table.contains(code), "{name}: {help}");
            }
        }
    }
}
