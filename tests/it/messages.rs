//! Issue 23: errors say what happened, where the setting came from and what to do, once; and
//! `ykprov whoami` against the emulator. The real binary, with no okta.yaml in reach unless a test
//! writes one into its own working directory.

use crate::helpers::{assert_exit, spawn_emulator, TestDir};
use crate::seeds;
use okta_emulator::EmulatorConfig;
use std::process::Output;

/// The binary in `dir` (so `./okta.yaml` is the test's own), with no `OKTA_CLIENT_*` inherited.
fn ykprov_in(dir: &TestDir, args: &[&str]) -> tokio::process::Command {
    let mut cmd = crate::helpers::private_binary();
    cmd.args(args)
        .current_dir(dir.path())
        .env("HOME", "/nonexistent")
        .env_remove("OKTA_CLIENT_ORGURL")
        .env_remove("OKTA_CLIENT_TOKEN")
        .env_remove("OKTA_CLIENT_AUTHORIZATIONMODE")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    cmd
}

async fn run(cmd: &mut tokio::process::Command) -> Output {
    cmd.output().await.expect("the binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An okta.yaml in `dir` as the SDKs write it, private to this user.
fn okta_yaml(dir: &TestDir, org: &str, token: &str) {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.write(
        "okta.yaml",
        format!("okta:\n  client:\n    orgUrl: {org}\n    token: {token}\n"),
    );
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// A private seed file of `n` rows in `dir`.
fn seed_file(dir: &TestDir, first: u32, n: u32) -> String {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.write("s.csv", seeds::csv(&seeds::rows(first, n)));
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p.to_str().unwrap().to_string()
}

#[tokio::test]
async fn an_org_without_a_scheme_gets_did_you_mean() {
    let dir = TestDir::new();
    let out =
        run(ykprov_in(&dir, &["whoami", "--org", "acme.okta.com"]).env("OKTA_CLIENT_TOKEN", "00x")).await;
    assert_exit(&out, 2);
    assert_eq!(
        stderr(&out),
        "error: the org URL `acme.okta.com` from --org has no scheme: did you mean https://acme.okta.com\n"
    );
}

/// Only one line, naming the org URL and where it came from, and nothing about the export.
fn assert_unreachable_once(out: &Output, org: &str, source: &str) {
    assert_exit(out, 2);
    let err = stderr(out);
    assert_eq!(err.lines().count(), 1, "{err}");
    let prefix = format!("error: could not reach Okta: {org} (the org URL from {source}): ");
    assert!(err.starts_with(&prefix), "{err}");
    assert!(
        err.ends_with("; check the URL, and this machine's DNS, network and proxy\n"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unreachable_org_names_where_its_url_came_from_and_fails_once() {
    // Port 1 on loopback refuses at once: a connection failure without a DNS lookup.
    let org = "http://127.0.0.1:1/";
    let dir = TestDir::new();
    let file = seed_file(&dir, 300_000, 2);
    let out = run(ykprov_in(&dir, &["reconcile", &file, "--org", org]).env("OKTA_CLIENT_TOKEN", "00x")).await;
    assert_unreachable_once(&out, org, "--org");
    assert!(!stderr(&out).contains("falling back"));

    let out = run(ykprov_in(&dir, &["whoami"])
        .env("OKTA_CLIENT_ORGURL", org)
        .env("OKTA_CLIENT_TOKEN", "00x"))
    .await;
    assert_unreachable_once(&out, org, "OKTA_CLIENT_ORGURL");

    okta_yaml(&dir, org, "00x");
    let out = run(&mut ykprov_in(&dir, &["whoami"])).await;
    assert_unreachable_once(&out, org, "./okta.yaml");
}

#[tokio::test]
async fn a_refused_token_names_its_kind_and_source_once_and_is_never_quoted() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let file = seed_file(&dir, 310_000, 2);
    okta_yaml(&dir, &emu.url(), "00wrongwrongwrong");
    for args in [
        vec!["upload", file.as_str()],
        vec!["reconcile", file.as_str()],
        vec!["whoami"],
    ] {
        let out = run(&mut ykprov_in(&dir, &args)).await;
        assert_exit(&out, 2);
        let err = stderr(&out);
        let refusals: Vec<&str> = err.lines().filter(|l| l.contains("refused")).collect();
        assert_eq!(refusals.len(), 1, "{args:?}: {err}");
        let line = refusals[0];
        assert!(line.starts_with("error: "), "{line}");
        assert!(
            line.contains("Okta refused the credentials: the SSWS API token from ./okta.yaml (HTTP 401 E0000011, request "),
            "{line}"
        );
        assert!(
            line.ends_with("): check that it is current and that its admin may manage factors"),
            "{line}"
        );
        assert!(
            !err.contains("OKTA_CLIENT_TOKEN") && !err.contains("00wrongwrongwrong"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_token_flag_is_refused_with_where_tokens_are_read_from() {
    let dir = TestDir::new();
    for args in [
        vec!["upload", "s.csv", "--token", "00abcdefsecret"],
        vec!["whoami", "--token=00abcdefsecret"],
    ] {
        let out = run(&mut ykprov_in(&dir, &args)).await;
        assert_exit(&out, 2);
        assert_eq!(
            stderr(&out),
            "error: API tokens are read from OKTA_CLIENT_TOKEN or okta.yaml, never from a flag (a flag shows up in ps and shell history): export OKTA_CLIENT_TOKEN=… or put okta.client.token in ~/.okta/okta.yaml\n"
        );
    }
}

#[tokio::test]
async fn whitespace_and_an_ssws_prefix_around_a_token_are_dropped_with_a_warning() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    for (token, warning) in [
        (
            format!("{}\n", emu.token()),
            "the API token from OKTA_CLIENT_TOKEN had whitespace around it (a trailing newline?); it was trimmed",
        ),
        (
            format!("SSWS {}", emu.token()),
            "the API token from OKTA_CLIENT_TOKEN starts with `SSWS `; that is the header's prefix, not part of the token, so it was dropped",
        ),
    ] {
        let out = run(ykprov_in(&dir, &["whoami"])
            .env("OKTA_CLIENT_ORGURL", emu.url())
            .env("OKTA_CLIENT_TOKEN", &token))
        .await;
        assert_exit(&out, 0);
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.trim_end().ends_with(warning), "{err}");
        assert!(!err.contains(&emu.token()), "{err}");
    }
}

#[tokio::test]
async fn excel_damage_gets_advice_that_can_be_followed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TestDir::new();
    let p = dir.write(
        "x.csv",
        "7.89E+06,ccccccijgibu,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067\n",
    );
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(&mut ykprov_in(&dir, &["validate", "x.csv"])).await;
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("x.csv:1: serial looks like a spreadsheet reformatted it (scientific notation); open the original file from the programming tool, not the copy Excel saved\n"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn a_directory_given_as_a_seed_file_is_a_directory() {
    let dir = TestDir::new();
    std::fs::create_dir(dir.path().join("seeds")).unwrap();
    for command in ["reconcile", "upload"] {
        let out = run(
            ykprov_in(&dir, &[command, "seeds", "--org", "https://acme.okta.com"])
                .env("OKTA_CLIENT_TOKEN", "00x"),
        )
        .await;
        assert_exit(&out, 2);
        assert_eq!(
            stderr(&out),
            "error: cannot read seed file seeds: is a directory; name the seed file inside it\n"
        );
    }
}

#[tokio::test]
async fn whoami_shows_the_org_the_credential_and_the_admin() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let whoami = |format: &'static str| {
        let mut cmd = ykprov_in(&dir, &["whoami", "--format", format]);
        cmd.env("OKTA_CLIENT_ORGURL", emu.url())
            .env("OKTA_CLIENT_TOKEN", emu.token());
        cmd
    };
    let out = run(&mut whoami("text")).await;
    assert_exit(&out, 0);
    let org = format!("{}/", emu.url().trim_end_matches('/'));
    assert_eq!(
        stdout(&out),
        format!(
            "org          {org} (from OKTA_CLIENT_ORGURL)\n\
             credential   SSWS (from OKTA_CLIENT_TOKEN)\n\
             login        admin@emulator.example\n\
             userId       00uemulatoradmin0001\n"
        )
    );
    let out = run(&mut whoami("json")).await;
    assert_exit(&out, 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "org": org,
            "orgSource": "OKTA_CLIENT_ORGURL",
            "credentialKind": "SSWS",
            "credentialSource": "OKTA_CLIENT_TOKEN",
            "login": "admin@emulator.example",
            "userId": "00uemulatoradmin0001",
        })
    );
    assert!(!stdout(&out).contains(&emu.token()));
}

#[tokio::test]
async fn whoami_with_a_refused_token_exits_2() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let out = run(ykprov_in(&dir, &["whoami", "--format", "json"])
        .env("OKTA_CLIENT_ORGURL", emu.url())
        .env("OKTA_CLIENT_TOKEN", "00refusedrefused"))
    .await;
    assert_exit(&out, 2);
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("the SSWS API token from OKTA_CLIENT_TOKEN"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn whoami_with_an_oauth_app_shows_its_client_id_and_granted_scopes() {
    let app = okta_emulator::oauth::OAuthClient {
        client_id: "0oa-whoami".into(),
        public_key_pem: include_str!("../fixtures/keys/test-rsa.pub.pem").into(),
        scopes: vec!["okta.users.read".into(), "okta.users.manage".into()],
    };
    let emu = spawn_emulator(EmulatorConfig {
        oauth_clients: vec![app],
        ..EmulatorConfig::default()
    })
    .await;
    let dir = TestDir::new();
    let out = run(ykprov_in(&dir, &["whoami", "--format", "json"])
        .env("OKTA_CLIENT_ORGURL", emu.url())
        .env("OKTA_CLIENT_AUTHORIZATIONMODE", "PrivateKey")
        .env("OKTA_CLIENT_CLIENTID", "0oa-whoami")
        .env(
            "OKTA_CLIENT_PRIVATEKEY",
            include_str!("../fixtures/keys/test-rsa.pem"),
        )
        .env("OKTA_CLIENT_KID", "kid-1"))
    .await;
    assert_exit(&out, 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["credentialKind"], "OAuth");
    assert_eq!(v["credentialSource"], "OKTA_CLIENT_PRIVATEKEY");
    assert_eq!(v["clientId"], "0oa-whoami");
    assert_eq!(v["scopes"], serde_json::json!(["okta.users.read"]));
    assert!(v.get("login").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_over_600_present_rows_is_quiet() {
    let emu = spawn_emulator(EmulatorConfig {
        api_limit: None,
        post_limit: None,
        get_limit: None,
        ..EmulatorConfig::default()
    })
    .await;
    let dir = TestDir::new();
    let file = seed_file(&dir, 320_000, 600);
    let upload = |journal: &str| {
        let mut cmd = ykprov_in(
            &dir,
            &[
                "upload",
                &file,
                "--rate",
                "60000/min",
                "--concurrency",
                "8",
                "--journal",
                journal,
            ],
        );
        cmd.env("OKTA_CLIENT_ORGURL", emu.url())
            .env("OKTA_CLIENT_TOKEN", emu.token());
        cmd
    };
    let first = run(&mut upload("first.jsonl")).await;
    assert_exit(&first, 0);
    let again = run(&mut upload("second.jsonl")).await;
    assert_exit(&again, 0);
    let err = stderr(&again);
    assert!(err.lines().count() <= 5, "{err}");
    assert!(!err.contains("skipping"), "{err}");
    let out = stdout(&again);
    assert!(out.contains(": 0 uploaded, 600 already present, "), "{out}");
    assert!(!out.contains("pace "), "{out}");

    let dry = run(
        ykprov_in(&dir, &["upload", &file, "--dry-run", "--journal", "third.jsonl"])
            .env("OKTA_CLIENT_ORGURL", emu.url())
            .env("OKTA_CLIENT_TOKEN", emu.token()),
    )
    .await;
    assert_exit(&dry, 0);
    assert!(
        stdout(&dry).contains(
            "dry run (only reads were sent; nothing was written to Okta): 0 to upload, 600 already in Okta, "
        ),
        "{}",
        stdout(&dry)
    );
}
