//! OpenPGP-sealed seed files through the real binary and the system's gpg, with throwaway keys:
//! signed, unsigned, tampered, signed by the wrong key or an unknown one, not encrypted to us;
//! an upload that leaves no plaintext anywhere; `ykprov seal --gpg-recipient --sign-with`.

use crate::gnupg::GnuPg;
use crate::helpers::{assert_exit, bin, spawn_emulator, ykprov_against, TestDir};
use crate::seeds;
use okta_emulator::EmulatorConfig;
use std::path::Path;
use ykprov::journal::{self, Entry};

/// Our home (an admin key to decrypt with, and a "Yubico" signing key) and an outsider's.
struct Keys {
    us: GnuPg,
    outsider: GnuPg,
    admin: String,
    yubico: String,
    stranger: String,
}

fn keys(test: &str) -> Option<Keys> {
    let us = GnuPg::new(test)?;
    let outsider = GnuPg::new(test)?;
    let admin = us.new_key("Ykprov Admin <admin@example.test>", true);
    let yubico = us.new_key("Yubico Fake <yubico@example.test>", false);
    let stranger = outsider.new_key("Stranger <stranger@example.test>", true);
    outsider.import_from(&us, &admin);
    Some(Keys {
        us,
        outsider,
        admin,
        yubico,
        stranger,
    })
}

/// `ykprov validate FILE ARGS` with our GNUPGHOME: (exit code, stdout, stderr).
fn validate(k: &Keys, file: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = bin();
    cmd.arg("validate")
        .arg(file)
        .args(args)
        .env("GNUPGHOME", k.us.home());
    cmd.env_remove("YKPROV_SIGNER");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn each_kind_of_openpgp_file_is_accepted_or_refused_for_its_reason() {
    let Some(k) = keys("each_kind_of_openpgp_file_is_accepted_or_refused_for_its_reason") else {
        return;
    };
    let dir = TestDir::new();
    let rows = seeds::rows(3000, 5);
    let plain = seeds::csv(&rows);
    let signed = dir.write(
        "signed.gpg",
        k.us.seal(plain.as_bytes(), &k.admin, Some(&k.yubico), false),
    );
    let armored = dir.write(
        "signed.asc",
        k.us.seal(plain.as_bytes(), &k.admin, Some(&k.yubico), true),
    );
    let unsigned = dir.write("unsigned.gpg", k.us.seal(plain.as_bytes(), &k.admin, None, false));
    let mut bytes = std::fs::read(&signed).unwrap();
    let at = bytes.len() - 20;
    bytes[at] ^= 0x40;
    let tampered = dir.write("tampered.gpg", bytes);
    let by_stranger = dir.write(
        "stranger.gpg",
        k.outsider
            .seal(plain.as_bytes(), &k.admin, Some(&k.stranger), false),
    );
    let not_for_us = dir.write(
        "theirs.gpg",
        k.outsider.seal(plain.as_bytes(), &k.stranger, None, false),
    );

    let (code, out, _) = validate(&k, &signed, &["--signer", &k.yubico], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "OpenPGP-sealed, signed by \"Yubico Fake <yubico@example.test>\" ({})",
            k.yubico
        )),
        "{out}"
    );
    assert!(out.contains("5 rows: 5 valid"), "{out}");
    let (code, out, _) = validate(&k, &armored, &[], &[]);
    assert_eq!(code, 0, "{out}");
    // Spaces and lower case, as a fingerprint is often pasted.
    let pasted = k
        .yubico
        .to_lowercase()
        .chars()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ");
    let (code, _, err) = validate(&k, &signed, &["--signer", &pasted], &[]);
    assert_eq!(code, 0, "{err}");

    let (code, _, err) = validate(&k, &signed, &["--signer", &k.admin], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "signed.gpg: it is signed by \"Yubico Fake <yubico@example.test>\" ({}), expected --signer {}",
            k.yubico, k.admin
        )),
        "{err}"
    );

    let (code, out, err) = validate(&k, &unsigned, &[], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("unsigned.gpg: OpenPGP-sealed, not signed"), "{out}");
    assert!(
        err.contains("it is not signed, so where it came from cannot be checked"),
        "{err}"
    );
    let (code, _, err) = validate(&k, &unsigned, &[], &[("YKPROV_SIGNER", &k.yubico)]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("it is not signed, but --signer requires a good signature"),
        "{err}"
    );

    let (code, _, err) = validate(&k, &tampered, &[], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("damaged or was tampered with"), "{err}");

    let (code, _, err) = validate(&k, &by_stranger, &["--signer", &k.yubico], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("which is not in your keyring"), "{err}");
    let (code, _, err) = validate(&k, &by_stranger, &[], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("was not checked: the signer's key is not in your keyring"),
        "{err}"
    );

    let (code, _, err) = validate(&k, &not_for_us, &[], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("theirs.gpg: it is not encrypted to any key in your keyring: it was sealed for key"),
        "{err}"
    );

    let (code, _, err) = validate(&k, &signed, &["--signer", "3A21A8CAD1418449"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is a key id, not a fingerprint"), "{err}");

    // No gpg on PATH: a clear error, naming GnuPG.
    let (code, _, err) = validate(&k, &signed, &[], &[("PATH", "/nonexistent")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs GnuPG; install it"), "{err}");
}

/// Every file under `dir` (recursively), with its bytes.
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            let bytes = std::fs::read(&p).unwrap_or_default();
            out.push((p, bytes));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_of_a_sealed_file_leaves_no_plaintext_in_tmpdir_the_folder_or_the_journal() {
    let Some(k) = keys("an_upload_of_a_sealed_file_leaves_no_plaintext_in_tmpdir_the_folder_or_the_journal")
    else {
        return;
    };
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let work = TestDir::new();
    let tmp = TestDir::new();
    let rows = seeds::rows(4000, 20);
    let sealed = work.write(
        "seeds.csv.gpg",
        k.us.seal(seeds::csv(&rows).as_bytes(), &k.admin, Some(&k.yubico), false),
    );
    let out = ykprov_against(
        &emu,
        &[
            "upload",
            "seeds.csv.gpg",
            "--signer",
            &k.yubico,
            "--rate",
            "6000/min",
        ],
    )
    .current_dir(work.path())
    .env("TMPDIR", tmp.path())
    .env("GNUPGHOME", k.us.home())
    .env_remove("YKPROV_SIGNER")
    .output()
    .await
    .unwrap();
    assert_exit(&out, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("seeds.csv.gpg: OpenPGP-sealed, signed by \"Yubico Fake"),
        "{stdout}"
    );
    assert_eq!(emu.tokens().len(), 20);

    assert!(
        files_under(tmp.path()).is_empty(),
        "TMPDIR: {:?}",
        files_under(tmp.path())
    );
    let left: Vec<String> = files_under(work.path())
        .iter()
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut expected = vec![
        "seeds.csv.gpg".to_string(),
        "seeds.csv.gpg.ykprov-journal.jsonl".to_string(),
        // The journal's lock file stays (it holds nothing once the run ended).
        "seeds.csv.gpg.ykprov-journal.jsonl.lock".to_string(),
    ];
    expected.sort();
    let mut left_sorted = left.clone();
    left_sorted.sort();
    assert_eq!(left_sorted, expected);
    for (path, bytes) in files_under(work.path())
        .into_iter()
        .chain(files_under(tmp.path()))
    {
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        for r in &rows {
            for secret in r.secrets() {
                assert!(
                    !text.contains(&secret.to_lowercase()),
                    "{} holds a secret",
                    path.display()
                );
            }
        }
    }
    for text in [
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    ] {
        for r in &rows {
            for secret in r.secrets() {
                assert!(!text.contains(&secret), "output holds a secret");
            }
        }
    }

    let journal_path = work.path().join("seeds.csv.gpg.ykprov-journal.jsonl");
    let replay = journal::replay(&journal_path).unwrap();
    let header = &replay.headers[0];
    let seal = header.sealed.as_ref().expect("the header records the seal");
    assert_eq!(seal.format, ykprov::seed::sealed::SealKind::OpenPgp);
    assert_eq!(seal.sealed_sha256, ykprov::seed::sha256_file(&sealed).unwrap());
    assert_eq!(seal.plaintext_sha256, header.input_sha256);
    assert_eq!(
        seal.signed_by.as_ref().map(|s| s.fingerprint.as_str()),
        Some(k.yubico.as_str())
    );
    let outcomes = std::fs::read_to_string(&journal_path)
        .unwrap()
        .lines()
        .filter(|l| serde_json::from_str::<Entry>(l).is_ok_and(|e| matches!(e, Entry::Outcome { .. })))
        .count();
    assert_eq!(outcomes, 20);
}

#[test]
fn seal_with_gpg_signs_and_keeps_the_bytes() {
    let Some(k) = keys("seal_with_gpg_signs_and_keeps_the_bytes") else {
        return;
    };
    let dir = TestDir::new();
    // CRLF and a BOM: bytes a re-encoding would change.
    let plain = format!(
        "\u{feff}{}",
        seeds::csv(&seeds::rows(5000, 3)).replace('\n', "\r\n")
    );
    let file = dir.write("seeds.csv", &plain);
    let out = bin()
        .args(["seal"])
        .arg(&file)
        .args(["--gpg-recipient", &k.admin, "--sign-with", &k.yubico])
        .env("GNUPGHOME", k.us.home())
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("now delete the plaintext: rm "), "{stdout}");
    let sealed = dir.path().join("seeds.csv.gpg");
    let opened = k.us.run(&["--decrypt"], &std::fs::read(&sealed).unwrap());
    assert_eq!(opened, plain.as_bytes(), "sealed byte for byte");
    assert!(file.exists(), "the plaintext is left for the admin to delete");
    let (code, out, _) = validate(&k, &sealed, &["--signer", &k.yubico], &[]);
    assert_eq!(code, 0, "{out}");

    let out = bin()
        .args(["seal"])
        .arg(&file)
        .args(["--gpg-recipient", "nobody@example.test"])
        .env("GNUPGHOME", k.us.home())
        .arg("--force")
        .output()
        .unwrap();
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("recipient nobody@example.test is not in your keyring"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_refused_for_its_signature_sends_nothing_to_okta_and_writes_no_journal() {
    let Some(k) = keys("an_upload_refused_for_its_signature_sends_nothing_to_okta_and_writes_no_journal")
    else {
        return;
    };
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let work = TestDir::new();
    let plain = seeds::csv(&seeds::rows(12_000, 4));
    work.write(
        "signed.gpg",
        k.us.seal(plain.as_bytes(), &k.admin, Some(&k.yubico), false),
    );
    work.write("unsigned.gpg", k.us.seal(plain.as_bytes(), &k.admin, None, false));
    let cases = [
        ("signed.gpg", k.admin.as_str(), "expected --signer"),
        (
            "unsigned.gpg",
            k.yubico.as_str(),
            "it is not signed, but --signer requires",
        ),
    ];
    for (file, signer, why) in cases {
        let out = ykprov_against(&emu, &["upload", file, "--signer", signer])
            .current_dir(work.path())
            .env("GNUPGHOME", k.us.home())
            .env_remove("YKPROV_SIGNER")
            .output()
            .await
            .unwrap();
        assert_exit(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{file}: {err}");
    }
    let log = emu.log();
    assert_eq!(
        log.counts.values().sum::<u64>(),
        0,
        "requests reached Okta: {:?}",
        log.counts
    );
    let mut left: Vec<String> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    // Only the journals' lock files, taken before the file is opened; they hold no secret.
    let want = [
        "signed.gpg",
        "signed.gpg.ykprov-journal.jsonl.lock",
        "unsigned.gpg",
        "unsigned.gpg.ykprov-journal.jsonl.lock",
    ];
    assert_eq!(left, want, "no journal, no plaintext");
}
