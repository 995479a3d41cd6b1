//! No secret in anything the tool prints or writes, and `config show` redacting them.

use super::*;

/// Every line of a PEM's body (any of them appearing would leak part of the key).
fn pem_lines(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 16)
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_appears_in_output_logs_journal_exports_or_reports() {
    let emu = emulator_with(vec![app("0oa-leak", RSA_PUB, &[READ, MANAGE])], |_| {}).await;
    let dir = TestDir::new();
    let rows = seeds::rows(860_000, 8);
    dir.write("s.csv", seeds::csv(&rows));
    let ssws_rows = seeds::rows(870_000, 4);
    let ssws_file = dir.write("t.csv", seeds::csv(&ssws_rows));
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let oauth_env = |cmd: &mut tokio::process::Command| {
        cmd.env("OKTA_CLIENT_ORGURL", emu.url())
            .env("OKTA_CLIENT_AUTHORIZATIONMODE", "PrivateKey")
            .env("OKTA_CLIENT_CLIENTID", "0oa-leak")
            .env("OKTA_CLIENT_PRIVATEKEY", RSA)
            .env("OKTA_CLIENT_KID", "kid-1")
            // The SSWS token is set too: config show must redact it, OAuth must not send it.
            .env("OKTA_CLIENT_TOKEN", emu.token())
            .env("HOME", "/nonexistent")
            .env("YKPROV_STATE_DIR", crate::helpers::private_state())
            .env("RUST_LOG", "trace")
            .current_dir(dir.path());
    };
    let runs: Vec<Vec<String>> = vec![
        vec![
            "upload".into(),
            d("s.csv"),
            "-v".into(),
            "--report".into(),
            d("upload.html"),
        ],
        vec![
            "reconcile".into(),
            d("s.csv"),
            "--format".into(),
            "json".into(),
            "--out".into(),
            d("r.json"),
        ],
        vec!["reconcile".into(), d("s.csv"), "--report".into(), d("r.md")],
        vec![
            "export".into(),
            "--out".into(),
            d("export.csv"),
            "--expand-user".into(),
        ],
        vec!["config".into(), "show".into()],
    ];
    let mut printed = String::new();
    for args in &runs {
        let mut cmd = crate::helpers::private_binary();
        cmd.args(args);
        oauth_env(&mut cmd);
        let out = cmd.output().await.unwrap();
        assert!(
            out.status.code() == Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        printed.push_str(&String::from_utf8_lossy(&out.stdout));
        printed.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    // SSWS mode, with the same checks.
    let out = crate::helpers::private_binary()
        .args(["upload", ssws_file.to_str().unwrap(), "-v"])
        .env("OKTA_CLIENT_ORGURL", emu.url())
        .env("OKTA_CLIENT_TOKEN", emu.token())
        .env("HOME", "/nonexistent")
        .env("YKPROV_STATE_DIR", crate::helpers::private_state())
        .env("RUST_LOG", "trace")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    printed.push_str(&String::from_utf8_lossy(&out.stdout));
    printed.push_str(&String::from_utf8_lossy(&out.stderr));
    assert!(printed.contains("[redacted]"), "config show ran");
    assert!(emu.tokens().len() == 12);
    let mut written = String::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n != "s.csv" && n != "t.csv") {
            written.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        }
    }
    assert!(
        written.contains("860000") || written.contains("000000860000"),
        "files were written"
    );
    let mut secrets: Vec<String> = rows.iter().chain(&ssws_rows).flat_map(|r| r.secrets()).collect();
    secrets.push(emu.token());
    secrets.extend(pem_lines(RSA));
    let access = emu.access_tokens();
    assert!(access.len() >= 4, "each OAuth command got a token");
    secrets.extend(access);
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        assert!(
            !printed.contains(s.as_str()),
            "a secret was printed: {}…",
            &s[..4]
        );
        assert!(
            !written.contains(s.as_str()),
            "a secret was written to a file: {}…",
            &s[..4]
        );
    }
}

#[test]
fn config_show_prints_each_setting_with_its_source_and_redacts_secrets() {
    let dir = TestDir::new();
    dir.write(
        "okta.yaml",
        "okta:\n  client:\n    orgUrl: https://yaml.okta.com\n    authorizationMode: PrivateKey\n    clientId: yaml-client\n    scopes:\n      - okta.users.read\n    token: 00yaml-ssws-token-value\n",
    );
    let out = crate::helpers::bin()
        .args(["config", "show", "--client-id", "flag-client"])
        .current_dir(dir.path())
        .env("HOME", "/nonexistent")
        .env("YKPROV_STATE_DIR", crate::helpers::private_state())
        .env("OKTA_CLIENT_PRIVATEKEY", EC)
        .env("OKTA_CLIENT_KID", "env-kid")
        .env_remove("OKTA_CLIENT_ORGURL")
        .env_remove("OKTA_CLIENT_TOKEN")
        .env_remove("OKTA_CLIENT_AUTHORIZATIONMODE")
        .env_remove("OKTA_CLIENT_CLIENTID")
        .env_remove("OKTA_CLIENT_SCOPES")
        .env_remove("OKTA_CLIENT_DPOP")
        .assert()
        .success()
        .get_output()
        .clone();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} line in {text}"))
            .to_string()
    };
    assert!(line("orgUrl").contains("https://yaml.okta.com") && line("orgUrl").ends_with("okta.yaml"));
    assert!(line("authorizationMode").contains("PrivateKey"));
    assert!(line("clientId").contains("flag-client") && line("clientId").ends_with("--client-id"));
    assert!(line("scopes").contains("okta.users.read"));
    assert!(line("token").contains("[redacted]"));
    assert!(
        line("privateKey").contains("[redacted] (ES256 key)")
            && line("privateKey").ends_with("OKTA_CLIENT_PRIVATEKEY")
    );
    assert!(line("kid").contains("env-kid"));
    assert!(line("dpop").contains("false") && line("dpop").ends_with("default"));
    let all = format!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(!all.contains("00yaml-ssws-token-value"));
    for l in pem_lines(EC) {
        assert!(!all.contains(&l));
    }
}
