//! What a man page says beyond the flags: EXAMPLES, ENVIRONMENT and FILES per command (the flags,
//! the description and the exit codes come from the clap definitions and `exit_codes`). Kept
//! beside the clap types so a new command gets its examples where its flags are written; a test
//! makes sure every visible command has some.

use crate::okta::config;

/// What a command reads from where: picks its ENVIRONMENT and FILES.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// Talks to Okta (the org and a credential).
    Okta,
    /// Needs an org only (the ledger commands, `report --since`).
    Org,
    /// Reads seed files, sealed ones too.
    Seeds,
    /// Writes to Okta under the org lock.
    Locks,
    /// The emulator's token.
    Emulator,
}

/// The examples of a command, by its path below `ykprov` (`""`, `upload`, `ledger verify`).
pub fn examples(path: &str) -> &'static [&'static str] {
    match path {
        "" => &[
            "ykprov validate seeds.csv",
            "ykprov upload --dry-run seeds.csv && ykprov upload seeds.csv",
            "ykprov reconcile --format csv -o reconcile.csv seeds.csv",
            "ykprov demo",
        ],
        "validate" => &["ykprov validate seeds.csv", "ykprov validate --format json --input-format yubico batch-*.csv"],
        "upload" => &[
            "ykprov upload --dry-run seeds.csv",
            "ykprov upload --rate 5/s --report upload.html seeds.csv",
            "ykprov upload --identity ~/.config/ykprov/age.key seeds.csv.age",
        ],
        "reconcile" => &[
            "ykprov reconcile seeds.csv",
            "ykprov reconcile --format json -o reconcile.json --expand-user seeds.csv",
            "ykprov reconcile --scope org --fail-on missing,unexpected seeds.csv",
        ],
        "repair" => &[
            "ykprov repair --dry-run --plan-out plan.json seeds.csv",
            "ykprov repair --plan plan.json --yes seeds.csv",
        ],
        "revoke" => &[
            "ykprov revoke --reason lost --ticket INC-1234 --dry-run 000012345678",
            "ykprov revoke --reason stolen --ticket INC-1234 --yes 000012345678",
        ],
        "export" => &["ykprov export -o tokens.csv", "ykprov export --format json --expand-user -o tokens.json"],
        "probe" => &["ykprov probe", "ykprov probe --format json -o probe.json"],
        "report" => &[
            "ykprov report --journal seeds.csv.ykprov-journal.jsonl --reconcile reconcile.json -o report.html",
            "ykprov report --since 2026-01-01 --until 2026-03-31 -o q1.md",
        ],
        "demo" => &["ykprov demo", "ykprov demo --rows 40 --dir /tmp/ykprov-demo"],
        "emulate" => &[
            "ykprov emulate --bind 127.0.0.1:8080 --users 20 --state rehearsal.json",
            "ykprov emulate --rate-limit 10/s --latency 20ms --fail-rate 0.05",
        ],
        "config" | "config show" => &["ykprov config show", "ykprov config show --org https://acme.okta.com"],
        "whoami" => &["ykprov whoami", "ykprov whoami --format json"],
        "seal" => &[
            "ykprov seal --recipient age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p seeds.csv",
            "ykprov seal --recipients-file recipients.txt -o seeds.csv.age seeds.csv",
        ],
        "completions" => &["ykprov completions bash > ~/.local/share/bash-completion/completions/ykprov"],
        "manpage" => &["ykprov manpage -o /usr/local/share/man/man1"],
        "retire" => &["ykprov retire --reason destroyed --ticket INC-1234 000012345678"],
        "unretire" => &["ykprov unretire --ticket INC-1240 000012345678"],
        "history" => &["ykprov history 000012345678", "ykprov history --format json 12345678"],
        "ledger" => &["ykprov ledger verify", "ykprov ledger import *.ykprov-journal.jsonl"],
        "ledger verify" => &["ykprov ledger verify", "ykprov ledger verify --format json"],
        "ledger import" => &["ykprov ledger import *.ykprov-journal.jsonl *.ykprov-repair-journal.jsonl"],
        _ => &[],
    }
}

fn needs(path: &str) -> &'static [Needs] {
    use Needs::*;
    match path {
        "" => &[Okta, Seeds, Locks, Emulator],
        "upload" | "repair" => &[Okta, Seeds, Locks],
        "revoke" => &[Okta, Locks],
        "reconcile" => &[Okta, Seeds],
        "export" | "probe" | "whoami" | "config" | "config show" => &[Okta],
        "validate" | "seal" => &[Seeds],
        "report" | "retire" | "unretire" | "history" | "ledger" | "ledger verify" | "ledger import" => &[Org],
        "emulate" => &[Emulator],
        _ => &[],
    }
}

const OKTA_ENV: &[(&str, &str)] = &[
    (
        "OKTA_CLIENT_ORGURL",
        "the org, when --org is not given (then okta.yaml)",
    ),
    (
        "OKTA_CLIENT_TOKEN",
        "the SSWS API token (never a flag, so it stays out of ps)",
    ),
    (
        "OKTA_CLIENT_AUTHORIZATIONMODE",
        "SSWS (the default) or PrivateKey (an OAuth API Services app)",
    ),
    (config::ENV_CLIENT_ID, "the OAuth app's client id"),
    (config::ENV_SCOPES, "the OAuth scopes to ask for"),
    (
        "OKTA_CLIENT_PRIVATEKEY",
        "the OAuth app's private key (PEM, or a path to it)",
    ),
    (config::ENV_KID, "the key id of that private key"),
    (
        "OKTA_CLIENT_DPOP",
        "true to use DPoP-bound tokens from the start (an app that requires DPoP)",
    ),
];

/// ENVIRONMENT: (variable, meaning) for a command.
pub fn environment(path: &str) -> Vec<(&'static str, &'static str)> {
    let needs = needs(path);
    let mut env = Vec::new();
    if needs.contains(&Needs::Okta) {
        env.extend_from_slice(OKTA_ENV);
    } else if needs.contains(&Needs::Org) {
        env.push(OKTA_ENV[0]);
    }
    if needs.contains(&Needs::Seeds) {
        env.push((
            "YKPROV_AGE_IDENTITY",
            "the age identity file for sealed seed files (as --identity)",
        ));
        env.push(("GNUPGHOME", "gpg's home, for OpenPGP-sealed seed files"));
    }
    if needs.contains(&Needs::Locks) {
        env.push((
            "YKPROV_STATE_DIR",
            "where the org locks live (writers to one org should share it)",
        ));
    }
    if needs.contains(&Needs::Emulator) {
        env.push((
            "YKPROV_EMULATOR_TOKEN",
            "the API token the emulator accepts (else it makes one and prints it)",
        ));
    }
    env.push(("YKPROV_LEDGER", "the ledger (as --ledger)"));
    env.push(("RUST_LOG", "log filter, overriding -v and -q"));
    env.push(("NO_COLOR", "no colour on stderr when set and not empty"));
    env
}

/// FILES: (path, meaning) for a command.
pub fn files(path: &str) -> Vec<(&'static str, &'static str)> {
    let needs = needs(path);
    let mut files = Vec::new();
    if needs.contains(&Needs::Okta) || needs.contains(&Needs::Org) {
        files.push((
            "./okta.yaml, ~/.okta/okta.yaml",
            "connection settings as the Okta SDKs read them (mode 0600)",
        ));
    }
    if needs.contains(&Needs::Seeds) {
        files.push((
            "SEEDS.csv.ykprov-journal.jsonl",
            "upload's journal beside the seed file (--journal); a re-run resumes it",
        ));
    }
    if path == "repair" || path.is_empty() {
        files.push((
            "SEEDS.csv.ykprov-repair-journal.jsonl",
            "repair's journal beside the first seed file",
        ));
    }
    if path == "revoke" || path.is_empty() {
        files.push(("./ykprov-revoke-journal.jsonl", "revoke's journal (--journal)"));
    }
    if needs.contains(&Needs::Locks) {
        files.push((
            "$YKPROV_STATE_DIR/locks/, else ~/.local/state/ykprov/locks/",
            "one lock per org: one writer at a time",
        ));
    }
    files.push((
        "~/.local/state/ykprov/ledger.sqlite3",
        "the ledger ($XDG_STATE_HOME/ykprov/ when set; --ledger, YKPROV_LEDGER): each key's lifecycle",
    ));
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_shown_in_an_example_is_the_command_itself() {
        for path in ["", "upload", "ledger verify", "config show", "emulate"] {
            for e in examples(path) {
                assert!(
                    e.starts_with(&format!("ykprov {path}").trim().to_owned()),
                    "{path}: {e}"
                );
            }
        }
        assert!(environment("upload")
            .iter()
            .any(|(v, _)| *v == "OKTA_CLIENT_TOKEN"));
        assert!(!environment("validate")
            .iter()
            .any(|(v, _)| *v == "OKTA_CLIENT_TOKEN"));
        assert!(environment("emulate")
            .iter()
            .any(|(v, _)| *v == "YKPROV_EMULATOR_TOKEN"));
        assert!(files("upload").iter().any(|(f, _)| f.contains("locks")));
    }
}
