//! Finding 7: a server that echoes its input (the `echo-errors` quirk) puts no seed value in the
//! journal, stderr, stdout or the report, and none of its control or bidi characters either.

use crate::helpers::{assert_exit, spawn_emulator, ykprov_against, TestDir};
use crate::seeds;
use okta_emulator::{EmulatorConfig, Endpoint};

#[tokio::test]
async fn an_echoing_server_leaves_no_seed_or_escape_in_journal_output_or_report() {
    let mut config = EmulatorConfig::default();
    config.quirks.echo_errors = true;
    let emu = spawn_emulator(config).await;
    let dir = TestDir::new();
    let rows = seeds::rows(7_400_000, 5);
    let file = dir.write("seeds.csv", seeds::csv(&rows));
    let report = dir.path().join("report.json");
    let out = ykprov_against(
        &emu,
        &[
            "-v",
            "upload",
            file.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
    )
    .output()
    .await
    .unwrap();
    assert_exit(&out, 1);
    assert_eq!(
        emu.log().count(Endpoint::UploadToken),
        5,
        "each row was sent once"
    );
    let journal = std::fs::read_to_string(dir.path().join("seeds.csv.ykprov-journal.jsonl")).unwrap();
    let texts = [
        ("stdout", String::from_utf8_lossy(&out.stdout).to_string()),
        ("stderr", String::from_utf8_lossy(&out.stderr).to_string()),
        ("journal", journal.clone()),
        ("report", std::fs::read_to_string(&report).unwrap()),
    ];
    assert!(
        journal.contains("[redacted]"),
        "the cause is kept, redacted: {journal}"
    );
    for (name, text) in &texts {
        for row in &rows {
            for secret in [&row.aes_key, &row.private_id] {
                assert!(
                    !text.to_lowercase().contains(secret.as_str()),
                    "{name} holds a seed value echoed by the server: {text}"
                );
            }
        }
        assert!(!text.contains('\u{1b}'), "{name} holds an ESC from the server");
        assert!(
            !text.contains('\u{202E}'),
            "{name} holds a bidi override from the server"
        );
    }
}
