//! The systemd units in `contrib/systemd/`: the service's `ExecStart` parses with the real command
//! line (a renamed flag fails here, not at 06:15), writes only where the unit lets it, logs JSON to
//! the journal, and both units carry the settings docs/operations.md promises.

use clap::Parser;
use std::path::Path;
use ykprov::cli::Command;
use ykprov::telemetry::LogFormat;
use ykprov::Cli;

const SERVICE: &str = "ykprov-reconcile.service";
const TIMER: &str = "ykprov-reconcile.timer";

/// A unit file as (section, key, value) in order: comments dropped, continuation lines joined.
fn unit(name: &str) -> Vec<(String, String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("contrib/systemd")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("unit file");
    let mut out = Vec::new();
    let mut section = String::new();
    let mut pending = String::new();
    for raw in text.lines() {
        let line = raw.trim();
        if pending.is_empty() && (line.is_empty() || line.starts_with('#') || line.starts_with(';')) {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        let line = std::mem::take(&mut pending) + line;
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
        } else if let Some((key, value)) = line.split_once('=') {
            out.push((section.clone(), key.trim().to_string(), value.trim().to_string()));
        } else {
            panic!("{name}: a line that is neither a section nor a setting: {line}");
        }
    }
    out
}

/// The values of `section`'s `key`, in order.
fn values<'a>(unit: &'a [(String, String, String)], section: &str, key: &str) -> Vec<&'a str> {
    unit.iter()
        .filter(|(s, k, _)| s == section && k == key)
        .map(|(_, _, v)| v.as_str())
        .collect()
}

fn one<'a>(unit: &'a [(String, String, String)], section: &str, key: &str) -> &'a str {
    match values(unit, section, key).as_slice() {
        [v] => v,
        other => panic!("[{section}] {key}= should be set once, found {other:?}"),
    }
}

/// What systemd substitutes before it runs the command: specifiers (`%S`, `%d`, `%n`, `%%`) and
/// `${VAR}` for the variables a unit gets (`STATE_DIRECTORY`, `CREDENTIALS_DIRECTORY`). Anything
/// else is refused, so a typo'd specifier fails here.
fn expand(value: &str, state_dir: &str) -> String {
    let credentials = format!("/run/credentials/{SERVICE}");
    let mut out = String::new();
    let mut rest = value;
    while let Some(i) = rest.find(['%', '$']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let (with, len) = if let Some(var) = tail.strip_prefix("${") {
            let end = var.find('}').expect("a closed ${...}");
            let with = match &var[..end] {
                "STATE_DIRECTORY" => state_dir.to_string(),
                "CREDENTIALS_DIRECTORY" => credentials.clone(),
                other => panic!("${{{other}}} is not set by the unit"),
            };
            (with, end + 3)
        } else {
            let with = match tail.as_bytes().get(1) {
                Some(b'%') => "%".to_string(),
                Some(b'S') => "/var/lib".to_string(),
                Some(b'd') => credentials.clone(),
                Some(b'n') => SERVICE.to_string(),
                _ => panic!("an unexpected specifier or `$` in {value:?}"),
            };
            (with, 2)
        };
        out.push_str(&with);
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

/// systemd's word splitting for the simple quoting a unit uses: spaces separate, "…" and '…'
/// group.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            (None, c) => cur.push(c),
        }
    }
    assert!(quote.is_none(), "unclosed quote in {line:?}");
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

#[test]
fn the_service_command_line_parses_with_the_real_cli_and_writes_only_its_state_folder() {
    let service = unit(SERVICE);
    let state_dir = format!("/var/lib/{}", one(&service, "Service", "StateDirectory"));
    let exec = one(&service, "Service", "ExecStart");
    // `-`, `@`, `:`, `+`, `!` before the path change how systemd runs it, not the arguments.
    let exec = exec.trim_start_matches(['-', '@', ':', '+', '!']);
    let argv = words(&expand(exec, &state_dir));
    assert_eq!(
        argv[0], "/usr/local/bin/ykprov",
        "where `cargo install --root /usr/local` puts it"
    );
    let cli = Cli::try_parse_from(&argv).unwrap_or_else(|e| panic!("ExecStart does not parse: {e}"));
    assert_eq!(
        cli.global.log_format,
        LogFormat::Json,
        "JSON lines for the journal"
    );
    assert!(!cli.global.quiet, "info lines reach the journal too");
    let Command::Reconcile(args) = cli.command else {
        panic!("the service runs reconcile")
    };
    let writable = values(&service, "Service", "ReadWritePaths");
    let written: Vec<&Path> = args
        .out
        .iter()
        .chain(&args.report)
        .chain(&cli.global.ledger)
        .map(|p| p.as_path())
        .collect();
    assert_eq!(written.len(), 3, "the result, the audit report and the ledger");
    assert!(
        args.files.is_empty(),
        "no seed file on the server: the ledger's keys are reconciled"
    );
    for path in written {
        assert!(
            path.starts_with(&state_dir) && writable.iter().any(|w| path.starts_with(w)),
            "{} is outside the StateDirectory or ReadWritePaths",
            path.display()
        );
    }
    // The metrics go to node_exporter's textfile collector, which reads `*.prom` in its folder.
    let metrics = args
        .metrics
        .file
        .as_deref()
        .expect("the service writes --metrics-file");
    assert_eq!(metrics.extension().and_then(|e| e.to_str()), Some("prom"));
    assert!(
        writable
            .iter()
            .any(|w| metrics.parent() == Some(Path::new(w.trim_start_matches('-')))),
        "{} is not in a ReadWritePaths folder",
        metrics.display()
    );
    for file in &args.files {
        assert!(
            !file.starts_with("/home") && !file.starts_with("/root"),
            "ProtectHome hides {}",
            file.display()
        );
    }
}

#[test]
fn the_service_takes_credentials_from_a_file_and_is_hardened() {
    let service = unit(SERVICE);
    for (key, value) in [
        ("Type", "oneshot"),
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("StandardError", "journal"),
    ] {
        assert_eq!(one(&service, "Service", key), value, "{key}=");
    }
    assert!(one(&service, "Service", "EnvironmentFile").starts_with("/etc/ykprov/"));
    assert!(!one(&service, "Service", "User").is_empty());
    assert!(!values(&service, "Service", "ReadWritePaths").is_empty());
    assert!(
        values(&service, "Service", "Environment")
            .iter()
            .all(|v| !v.contains("OKTA_CLIENT_TOKEN")),
        "the token is never written into the unit"
    );
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("contrib/systemd")
            .join(SERVICE),
    )
    .unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("#OnFailure=")),
        "OnFailure= is offered as a commented hook"
    );
}

#[test]
fn the_timer_runs_the_service_daily_spread_and_catches_up() {
    let timer = unit(TIMER);
    assert!(!one(&timer, "Timer", "OnCalendar").is_empty());
    assert!(!one(&timer, "Timer", "RandomizedDelaySec").is_empty());
    assert_eq!(one(&timer, "Timer", "Persistent"), "true");
    assert_eq!(one(&timer, "Timer", "Unit"), SERVICE);
    assert_eq!(one(&timer, "Install", "WantedBy"), "timers.target");
}

#[test]
fn expansion_is_what_systemd_would_do_and_nothing_else() {
    assert_eq!(
        expand("${STATE_DIRECTORY}/a %S/b 100%%", "/var/lib/x"),
        "/var/lib/x/a /var/lib/b 100%"
    );
    assert_eq!(
        expand("%d/key.pem", ""),
        format!("/run/credentials/{SERVICE}/key.pem")
    );
    assert!(std::panic::catch_unwind(|| expand("${HOME}/x", "")).is_err());
    assert!(std::panic::catch_unwind(|| expand("%Q", "")).is_err());
    assert_eq!(words("a 'b c' \"d\"  e"), ["a", "b c", "d", "e"]);
}
