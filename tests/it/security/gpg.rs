//! Finding 6: gpg's verdict with `--signer` (a good pinned signature beside an unknown one plus
//! trailing junk was accepted), its environment (a fake gpg on PATH recorded the token) and which
//! gpg runs.

use crate::gnupg::GnuPg;
use crate::helpers::{bin, TestDir};
use crate::seeds;
use std::os::unix::fs::PermissionsExt;

fn validate(home: &std::path::Path, file: &std::path::Path, signer: &str) -> std::process::Output {
    bin()
        .arg("validate")
        .arg(file)
        .args(["--signer", signer])
        .env("GNUPGHOME", home)
        .env_remove("YKPROV_SIGNER")
        .output()
        .unwrap()
}

#[test]
fn a_message_signed_by_the_pinned_key_and_a_stranger_with_trailing_junk_is_refused() {
    let Some(us) = GnuPg::new("a_message_signed_by_the_pinned_key_and_a_stranger") else {
        return;
    };
    let admin = us.new_key("Ykprov Admin <admin@example.test>", true);
    let yubico = us.new_key("Yubico Fake <yubico@example.test>", false);
    let ghost = us.new_key("Ghost <ghost@example.test>", false);
    // One row: a message this small gets definite packet lengths, so appended bytes stay outside
    // the encrypted packet (as in the review's file) instead of breaking its MDC.
    let plain = seeds::csv(&seeds::rows(7_600_000, 1));
    let sealed = us.run(
        &[
            "--trust-model",
            "always",
            "--encrypt",
            "--recipient",
            &admin,
            "--sign",
            "--local-user",
            &yubico,
            "--local-user",
            &ghost,
            "--output",
            "-",
        ],
        plain.as_bytes(),
    );
    // The second signer's key is not in the keyring that checks the file.
    us.run(&["--delete-secret-and-public-key", &ghost], b"");
    let dir = TestDir::new();
    let double = dir.write("double.gpg", &sealed);
    let mut junk = sealed.clone();
    junk.extend_from_slice(b"JUNKJUNKJUNK");
    let junk = dir.write("junk.gpg", junk);

    let out = validate(us.home(), &double, &yubico);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = validate(us.home(), &junk, &yubico);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not OpenPGP"), "{stderr}");
}

#[test]
fn a_gpg_on_path_sees_no_okta_or_ykprov_settings_and_its_path_is_shown() {
    let dir = TestDir::new();
    let record = dir.path().join("env.txt");
    let fake_dir = dir.path().join("bin");
    std::fs::create_dir(&fake_dir).unwrap();
    let fake = fake_dir.join("gpg");
    std::fs::write(
        &fake,
        format!("#!/bin/sh\nenv > '{}'\nexit 2\n", record.display()),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let sealed = dir.write(
        "seeds.csv.asc",
        "-----BEGIN PGP MESSAGE-----\n\nhF4DAAAAAAAAAAASAQdA\n-----END PGP MESSAGE-----\n",
    );
    let path = format!(
        "{}:{}",
        fake_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = bin()
        .args(["-v", "validate"])
        .arg(&sealed)
        .env("PATH", path)
        .env("OKTA_CLIENT_TOKEN", "00fake-gpg-must-not-see-this")
        .env("OKTA_CLIENT_PRIVATEKEY", "/some/key.pem")
        .env("YKPROV_AGE_IDENTITY", "/some/identity")
        .env_remove("YKPROV_SIGNER")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let seen = std::fs::read_to_string(&record).expect("the fake gpg ran");
    assert!(
        !seen.contains("OKTA_CLIENT_"),
        "gpg saw the Okta settings: {seen}"
    );
    assert!(!seen.contains("YKPROV_"), "gpg saw ykprov's settings: {seen}");
    assert!(seen.contains("PATH="), "the rest of the environment is kept");
    assert!(
        stderr.contains(&fake.display().to_string()),
        "-v names the gpg that runs: {stderr}"
    );
}
