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

/// The `ykprov …` part of a line: from the command to the end, a comment, or a shell operator.
fn command_in(line: &str) -> Option<String> {
    let line = line.trim().trim_start_matches("$ ");
    if let Some(args) = line.strip_prefix("cargo run --release -- ") {
        return Some(format!("ykprov {args}"));
    }
    let start = line
        .split_whitespace()
        .find(|w| *w == "ykprov" || w.ends_with("/ykprov"))
        .and_then(|w| line.find(&format!("{w} ")))?;
    let rest = &line[start..];
    let rest = rest.split_once(" #").map_or(rest, |(a, _)| a);
    let rest = rest.split(" || ").next().unwrap_or(rest);
    let rest = rest.split(" && ").next().unwrap_or(rest);
    let rest = rest.split(" | ").next().unwrap_or(rest);
    let rest = rest.strip_prefix("/usr/local/bin/").unwrap_or(rest);
    Some(rest.trim().to_string())
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
}
