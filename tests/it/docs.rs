//! The docs cannot rot: every `ykprov …` command in a code block of README.md and docs/*.md must
//! parse with the real command line definition (the demo itself runs in `demo.rs`).

use clap::Parser;
use ykprov::Cli;

/// Splits a command line like a POSIX shell would, for the simple quoting used in the docs.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            (None, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// The `ykprov …` command of a line: the first shell command (split at `;`, `&&`, `||` and `|`)
/// whose program, after any `VAR=value` assignments and `sudo` (or a unit's `ExecStart=`), is
/// `ykprov` or `…/ykprov`; up to a comment or a redirection. `ykprov` elsewhere (a path, an
/// argument, a word in a comment) is not a command.
fn command_in(line: &str) -> Option<String> {
    let line = line.trim().trim_start_matches("$ ");
    // A systemd unit's command line, in an ini block.
    let line = line.strip_prefix("ExecStart=").unwrap_or(line);
    if let Some(args) = line.strip_prefix("cargo run --release -- ") {
        return Some(format!("ykprov {args}"));
    }
    let line = line.split_once(" #").map_or(line, |(a, _)| a);
    let line = placeholders_as_words(line);
    line.split([';', '|', '&']).find_map(|part| {
        let words: Vec<&str> = part.split_whitespace().collect();
        let start = words.iter().position(|w| !is_assignment(w) && *w != "sudo")?;
        let program = words[start].rsplit('/').next()?;
        if program != "ykprov" {
            return None;
        }
        let args: Vec<&str> = words[start + 1..]
            .iter()
            .take_while(|w| !w.starts_with('>') && !w.starts_with("2>") && !w.starts_with('<'))
            .copied()
            .collect();
        Some(
            std::iter::once("ykprov")
                .chain(args)
                .collect::<Vec<_>>()
                .join(" "),
        )
    })
}

/// `<printed token>` is one word to the reader: its spaces become `_`, so it stays one (a
/// redirection `< file` has a space after the `<` and is left alone).
fn placeholders_as_words(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut inside = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '<' if chars.peek().is_some_and(|n| !n.is_whitespace()) => inside = true,
            '>' if inside => inside = false,
            ' ' if inside => {
                out.push('_');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// `NAME=value`, as a shell reads a word before the program.
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

fn doc_commands() -> Vec<(String, String)> {
    let mut files = vec![std::path::PathBuf::from("README.md")];
    for entry in std::fs::read_dir("docs").expect("docs folder") {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "md") {
            files.push(p);
        }
    }
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let mut in_block = false;
        let mut pending = String::new();
        for raw in text.lines() {
            if raw.trim_start().starts_with("```") {
                in_block = !in_block;
                continue;
            }
            if in_block {
                // Join shell line continuations.
                if let Some(head) = raw.trim_end().strip_suffix('\\') {
                    pending.push_str(head);
                    pending.push(' ');
                    continue;
                }
                let line = std::mem::take(&mut pending) + raw;
                if let Some(cmd) = command_in(&line) {
                    out.push((f.display().to_string(), cmd));
                }
            }
        }
    }
    out
}

#[test]
fn every_documented_command_parses() {
    let cmds = doc_commands();
    assert!(cmds.len() >= 20, "found only {} commands in the docs", cmds.len());
    let mut failures = Vec::new();
    for (file, cmd) in &cmds {
        let words = shell_words(cmd);
        if let Err(e) = Cli::try_parse_from(&words) {
            if !matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) {
                failures.push(format!(
                    "{file}: `{cmd}`: {}",
                    e.to_string().lines().next().unwrap_or("")
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "documented commands that do not parse:\n{}",
        failures.join("\n")
    );
}

#[test]
fn shell_words_handles_the_quoting_used_in_the_docs() {
    assert_eq!(
        shell_words(r#"ykprov export --filter 'status eq "BLOCKED"'"#),
        ["ykprov", "export", "--filter", "status eq \"BLOCKED\""]
    );
    assert_eq!(
        command_in("OKTA_CLIENT_TOKEN=x ykprov upload s.csv  # note").as_deref(),
        Some("ykprov upload s.csv")
    );
    assert_eq!(
        command_in("cargo run --release -- demo").as_deref(),
        Some("ykprov demo")
    );
    assert_eq!(
        command_in("ykprov completions bash > ~/.local/share/bash-completion/completions/ykprov").as_deref(),
        Some("ykprov completions bash")
    );
    assert_eq!(
        command_in("set -a; . /etc/ykprov/env; set +a; /usr/local/bin/ykprov -q reconcile s.csv || echo \"ykprov failed\"")
            .as_deref(),
        Some("ykprov -q reconcile s.csv")
    );
    assert_eq!(
        command_in("sudo useradd --system --home-dir /var/lib/ykprov ykprov"),
        None,
        "a path or an argument named ykprov is not a command"
    );
    assert_eq!(
        command_in("sudo ykprov manpage --out /tmp/m").as_deref(),
        Some("ykprov manpage --out /tmp/m")
    );
    assert_eq!(
        command_in(
            "OKTA_CLIENT_ORGURL=http://127.0.0.1:8080 OKTA_CLIENT_TOKEN=<printed token> ykprov upload s.csv"
        )
        .as_deref(),
        Some("ykprov upload s.csv")
    );
}
