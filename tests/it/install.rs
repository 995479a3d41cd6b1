//! Installing ykprov: the completion scripts and man pages from the real binary, checked against
//! every subcommand `Cli::command()` has (so a subcommand added later is checked too).

use crate::helpers::{bin, TestDir};
use clap::CommandFactory;
use ykprov::Cli;

/// Every visible subcommand, nested ones too, as their paths (`["config", "show"]`); not clap's
/// `help`.
fn subcommands() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, path: &[String], out: &mut Vec<Vec<String>>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let mut p = path.to_vec();
            p.push(sub.get_name().to_string());
            out.push(p.clone());
            walk(sub, &p, out);
        }
    }
    let mut out = Vec::new();
    walk(&Cli::command(), &[], &mut out);
    out
}

fn completion(shell: &str) -> String {
    let out = bin()
        .args(["completions", shell])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 script")
}

/// How each shell's script names a subcommand at `path` (parent names, then its own).
fn offers(shell: &str, script: &str, path: &[String]) -> bool {
    let name = path.last().expect("a subcommand");
    let parent = std::iter::once("ykprov".to_string())
        .chain(path[..path.len() - 1].iter().cloned())
        .collect::<Vec<_>>();
    match shell {
        "bash" => script.contains(&format!("{},{name})", parent.join("__subcmd__"))),
        "zsh" => script.contains(&format!("\n'{name}:")),
        "fish" => script.contains(&format!("-a \"{name}\"")),
        "powershell" => script.contains(&format!("[CompletionResult]::new('{name}', '{name}'")),
        "elvish" => script.contains(&format!("cand {name} '")),
        _ => unreachable!("no such shell {shell}"),
    }
}

#[test]
fn a_completion_script_per_shell_offers_every_subcommand() {
    let subs = subcommands();
    assert!(subs.len() >= 10, "found only {subs:?}");
    assert!(subs.contains(&vec!["config".to_string(), "show".to_string()]));
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = completion(shell);
        let missing: Vec<String> = subs
            .iter()
            .filter(|p| !offers(shell, &script, p))
            .map(|p| p.join(" "))
            .collect();
        assert!(missing.is_empty(), "the {shell} script lacks {missing:?}");
    }
}

#[test]
fn the_bash_script_completes_subcommands_and_flags_in_a_real_bash() {
    let dir = TestDir::new();
    let script = dir.write("ykprov.bash", completion("bash"));
    // Completes `ykprov <TAB>` and `ykprov upload --dr<TAB>` the way bash's `complete -F` calls
    // the function: COMP_WORDS/COMP_CWORD set, then (command, current word, previous word).
    let probe = r#"source "$1"
COMP_WORDS=(ykprov ""); COMP_CWORD=1; _ykprov ykprov "" ykprov; echo "${COMPREPLY[*]}"
COMP_WORDS=(ykprov upload --dr); COMP_CWORD=2; _ykprov ykprov --dr upload; echo "${COMPREPLY[*]}""#;
    let out = std::process::Command::new("bash")
        .args(["-c", probe, "probe"])
        .arg(&script)
        .output()
        .expect("bash runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let top: Vec<&str> = lines.next().unwrap_or_default().split(' ').collect();
    for sub in subcommands().iter().filter(|p| p.len() == 1) {
        assert!(
            top.contains(&sub[0].as_str()),
            "`ykprov <TAB>` lacks {}: {top:?}",
            sub[0]
        );
    }
    assert_eq!(lines.next(), Some("--dry-run"));
}

#[test]
fn man_pages_exist_for_the_tool_and_every_subcommand_and_start_with_th() {
    let dir = TestDir::new();
    let out = dir.path().join("man");
    bin()
        .args(["manpage", "--out", out.to_str().unwrap()])
        .assert()
        .success()
        .stderr(predicates::str::contains("man pages to"));
    let mut expected = vec!["ykprov.1".to_string()];
    for path in subcommands() {
        expected.push(format!("ykprov-{}.1", path.join("-")));
    }
    let mut found: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    expected.sort();
    assert_eq!(found, expected, "one page per subcommand, no page for `help`");
    for name in &found {
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        assert!(
            text.starts_with(".TH "),
            "{name} starts with {:?}",
            text.lines().next()
        );
        assert!(text.contains(".SH NAME"), "{name}");
    }
    let upload = std::fs::read_to_string(out.join("ykprov-upload.1")).unwrap();
    assert!(
        upload.contains("\\-\\-dry\\-run"),
        "the upload page has its flags"
    );
}

#[test]
fn manpage_refuses_a_file_for_a_folder_with_exit_2() {
    let dir = TestDir::new();
    let file = dir.write("not-a-dir", "x");
    bin()
        .args(["manpage", "--out", file.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicates::str::starts_with("error: cannot create folder"));
}
