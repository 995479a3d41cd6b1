//! `ykprov emulate` as a person runs it: the lines it prints to paste into a shell point ykprov at
//! it, and carry the token only when the emulator generated it.

use crate::helpers::{assert_exit, private_binary, TestDir};
use tokio::io::AsyncBufReadExt;

/// Starts `ykprov emulate` on port 0 and returns it with what it printed before waiting.
pub(crate) async fn start(env: &[(&str, &str)], args: &[&str]) -> (tokio::process::Child, String) {
    let mut child = private_binary()
        .args(["emulate", "--bind", "127.0.0.1:0", "--users", "1"])
        .args(args)
        .env_remove("YKPROV_EMULATOR_TOKEN")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = String::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("stop with Ctrl-C") {
            break;
        }
    }
    (child, seen)
}

/// The `export NAME=VALUE` lines, as (NAME, VALUE).
fn exports(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulate_prints_export_lines_that_point_ykprov_at_it() {
    let (mut child, seen) = start(&[], &[]).await;
    let url = seen
        .lines()
        .find_map(|l| l.strip_prefix("Okta emulator listening on "))
        .unwrap_or_else(|| panic!("{seen}"))
        .to_owned();
    let token = seen
        .lines()
        .find_map(|l| l.strip_prefix("API token: "))
        .unwrap_or_else(|| panic!("{seen}"))
        .to_owned();
    let vars = exports(&seen);
    let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "OKTA_CLIENT_ORGURL",
            "OKTA_CLIENT_AUTHORIZATIONMODE",
            "OKTA_CLIENT_TOKEN"
        ],
        "{seen}"
    );
    assert_eq!(vars[0].1, url);
    assert_eq!(vars[2].1, token, "the generated token, as printed above");
    // Pasted into a shell, they work: whoami reaches the emulator with them and nothing else.
    let out = private_binary()
        .arg("whoami")
        .env("HOME", "/nonexistent")
        .env_remove("OKTA_CLIENT_ORGURL")
        .env_remove("OKTA_CLIENT_TOKEN")
        .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .await
        .unwrap();
    let _ = child.kill().await;
    assert_exit(&out, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(url.trim_end_matches('/')), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_the_user_chose_is_named_by_where_it_is_never_written_out() {
    let dir = TestDir::new();
    let file = dir.write("token", "00chosen-token-from-a-file\n");
    let (mut child, seen) = start(&[], &["--token-file", &file.to_string_lossy()]).await;
    let _ = child.kill().await;
    assert!(!seen.contains("00chosen-token-from-a-file"), "{seen}");
    let token = exports(&seen).into_iter().find(|(k, _)| k == "OKTA_CLIENT_TOKEN");
    assert_eq!(
        token.map(|(_, v)| v),
        Some(format!("\"$(head -n 1 {})\"", file.display())),
        "{seen}"
    );

    let (mut child, seen) = start(&[("YKPROV_EMULATOR_TOKEN", "00chosen-token-from-env")], &[]).await;
    let _ = child.kill().await;
    assert!(!seen.contains("00chosen-token-from-env"), "{seen}");
    assert!(
        seen.contains("export OKTA_CLIENT_TOKEN=\"$YKPROV_EMULATOR_TOKEN\""),
        "{seen}"
    );
}
