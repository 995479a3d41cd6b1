//! age-sealed seed files: `ykprov seal --recipient` byte for byte, mode 0600 and never over a file
//! without --force; `validate`, `upload` and `reconcile` reading them with identities made by the
//! crate; the plaintext nowhere on disk afterwards; a passphrase file without a terminal.

use crate::helpers::{assert_exit, bin, spawn_emulator, ykprov_against, TestDir};
use crate::seeds;
use crate::upload::{client_for, options, run};
use age::secrecy::ExposeSecret;
use okta_emulator::EmulatorConfig;
use std::io::Read;
use std::path::{Path, PathBuf};
use ykprov::okta::pacing::RateSetting;
use ykprov::reconcile::{reconcile, ReconcileOptions};
use ykprov::seed::sealed::SealKind;
use ykprov::seed::UnsealOptions;

/// A new age identity in `dir/name` (mode 0600) and its recipient.
fn identity(dir: &TestDir, name: &str) -> (PathBuf, String) {
    let id = age::x25519::Identity::generate();
    let path = dir.write(name, format!("{}\n", id.to_string().expose_secret()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    (path, id.to_public().to_string())
}

fn open_with(sealed: &Path, key: &Path) -> Vec<u8> {
    let ids = age::IdentityFile::from_file(key.to_string_lossy().into_owned())
        .unwrap()
        .into_identities()
        .unwrap();
    let bytes = std::fs::read(sealed).unwrap();
    let d = age::Decryptor::new(&bytes[..]).unwrap();
    let mut r = d
        .decrypt(ids.iter().map(|i| i.as_ref() as &dyn age::Identity))
        .unwrap();
    let mut out = Vec::new();
    r.read_to_end(&mut out).unwrap();
    out
}

fn seal(file: &Path, args: &[&str]) -> std::process::Output {
    bin().arg("seal").arg(file).args(args).output().unwrap()
}

#[test]
fn seal_writes_the_file_byte_for_byte_private_and_never_over_another() {
    let dir = TestDir::new();
    let (key, recipient) = identity(&dir, "key.txt");
    let (key2, recipient2) = identity(&dir, "key2.txt");
    let recipients = dir.write("team.txt", format!("# the team\n{recipient2}\n"));
    let plain = format!(
        "\u{feff}{}",
        seeds::csv(&seeds::rows(6000, 4)).replace('\n', "\r\n")
    );
    let file = dir.write("seeds.csv", &plain);
    let out = seal(
        &file,
        &[
            "--recipient",
            &recipient,
            "--recipients-file",
            &recipients.to_string_lossy(),
        ],
    );
    assert_exit(&out, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("for 2 age recipients"), "{stdout}");
    assert!(stdout.contains("now delete the plaintext: rm "), "{stdout}");
    let sealed = dir.path().join("seeds.csv.age");
    assert!(std::fs::read(&sealed)
        .unwrap()
        .starts_with(b"age-encryption.org/v1\n"));
    assert_eq!(open_with(&sealed, &key), plain.as_bytes(), "sealed byte for byte");
    assert_eq!(open_with(&sealed, &key2), plain.as_bytes());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&sealed).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let before = std::fs::read(&sealed).unwrap();
    let again = seal(&file, &["--recipient", &recipient]);
    assert_exit(&again, 2);
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists; pass --force"));
    assert_eq!(std::fs::read(&sealed).unwrap(), before, "not overwritten");
    assert_exit(&seal(&file, &["--recipient", &recipient, "--force"]), 0);
    assert_ne!(std::fs::read(&sealed).unwrap(), before, "replaced with --force");
    let twice = seal(&sealed, &["--recipient", &recipient, "--out", "x.age"]);
    assert_exit(&twice, 2);
    assert!(String::from_utf8_lossy(&twice.stderr).contains("is already age-sealed"));
    assert!(file.exists(), "the plaintext is left for the admin to delete");
}

#[test]
fn seal_reports_problems_and_still_seals_the_file_as_it_is() {
    let dir = TestDir::new();
    let (key, recipient) = identity(&dir, "key.txt");
    let rows = vec![seeds::row(7000), seeds::row(7001).bad_key()];
    let file = dir.write("seeds.csv", seeds::csv(&rows));
    let out_path = dir.path().join("out.age");
    let out = seal(
        &file,
        &["--recipient", &recipient, "--out", &out_path.to_string_lossy()],
    );
    assert_exit(&out, 1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2 rows: 1 valid, 1 invalid"), "{stdout}");
    assert!(
        stdout.contains("it was sealed as it is, byte for byte"),
        "{stdout}"
    );
    assert_eq!(open_with(&out_path, &key), std::fs::read(&file).unwrap());
    for r in &rows {
        for secret in r.secrets() {
            assert!(!stdout.contains(&secret), "seal printed a secret");
        }
    }
}

#[test]
fn validate_reads_age_files_with_an_identity_and_explains_what_is_missing() {
    let dir = TestDir::new();
    let (key, recipient) = identity(&dir, "key.txt");
    let (other, _) = identity(&dir, "other.txt");
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(8000, 3)));
    assert_exit(&seal(&file, &["--recipient", &recipient]), 0);
    std::fs::remove_file(&file).unwrap();
    let sealed = dir.path().join("seeds.csv.age");
    let run = |args: &[&str], env: Option<&Path>| {
        let mut cmd = bin();
        cmd.arg("validate")
            .arg(&sealed)
            .args(args)
            .env_remove("YKPROV_AGE_IDENTITY");
        if let Some(k) = env {
            cmd.env("YKPROV_AGE_IDENTITY", k);
        }
        cmd.output().unwrap()
    };
    let ok = run(&["--identity", &key.to_string_lossy()], None);
    assert_exit(&ok, 0);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(stdout.contains("seeds.csv.age: age-sealed\n"), "{stdout}");
    assert!(stdout.contains("3 rows: 3 valid"), "{stdout}");
    assert_exit(&run(&[], Some(&key)), 0);
    let json = run(&["--format", "json", "--identity", &key.to_string_lossy()], None);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["files"][0]["sealed"]["kind"], "age");
    assert_eq!(
        v["files"][0]["sealed"]["plaintextSha256"],
        v["files"][0]["sha256"]
    );

    let none = run(&[], None);
    assert_exit(&none, 2);
    assert!(
        String::from_utf8_lossy(&none.stderr).contains("pass --identity FILE (or set YKPROV_AGE_IDENTITY)")
    );
    let wrong = run(&["--identity", &other.to_string_lossy()], None);
    assert_exit(&wrong, 2);
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("it was sealed for other recipients"));
    let signer = run(
        &[
            "--identity",
            &key.to_string_lossy(),
            "--signer",
            "ABA194815E4CE11E2A2E61443A21A8CAD1418449",
        ],
        None,
    );
    assert_exit(&signer, 2);
    assert!(String::from_utf8_lossy(&signer.stderr).contains("age files carry no signature"));
}

#[test]
fn a_passphrase_file_without_a_terminal_fails_clearly() {
    let dir = TestDir::new();
    let enc = age::Encryptor::with_user_passphrase(age::secrecy::SecretString::from("hunter2".to_string()));
    let mut sealed = Vec::new();
    let mut w = enc.wrap_output(&mut sealed).unwrap();
    std::io::Write::write_all(&mut w, seeds::csv(&seeds::rows(9000, 2)).as_bytes()).unwrap();
    w.finish().unwrap();
    let file = dir.write("seeds.csv.age", sealed);
    let out = bin().arg("validate").arg(&file).output().unwrap();
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sealed with an age passphrase, and there is no terminal"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_and_reconcile_read_an_age_file_once_and_record_its_seal() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let (key, recipient) = identity(&dir, "key.txt");
    let rows = seeds::rows(10_000, 12);
    let plain = dir.write("seeds.csv", seeds::csv(&rows));
    assert_exit(&seal(&plain, &["--recipient", &recipient]), 0);
    let plain_sha = ykprov::seed::sha256_file(&plain).unwrap();
    std::fs::remove_file(&plain).unwrap();
    let sealed = dir.path().join("seeds.csv.age");
    let unseal = UnsealOptions {
        identities: vec![key.clone()],
        ..UnsealOptions::default()
    };
    let o = ykprov::upload::UploadOptions {
        unseal: unseal.clone(),
        ..options(&sealed)
    };
    let s = run(&emu, &o).await;
    assert!(s.is_clean(), "{s:?}");
    assert_eq!(s.counts.uploaded, 12);
    assert_eq!(s.validation.sha256, plain_sha, "validated the decrypted bytes");
    let header = &ykprov::journal::replay(s.journal.as_ref().unwrap())
        .unwrap()
        .headers[0];
    let seal = header.sealed.as_ref().unwrap();
    assert_eq!(seal.format, SealKind::Age);
    assert_eq!(seal.plaintext_sha256, plain_sha);
    assert_eq!(header.input_sha256, plain_sha);
    assert_eq!(seal.signed_by, None);

    let rec = reconcile(
        &ReconcileOptions {
            unseal,
            ..ReconcileOptions::new(vec![sealed.clone()])
        },
        &client_for(&emu, RateSetting::Auto { share: 1.0 }),
    )
    .await
    .unwrap();
    assert_eq!(rec.file_info[0].valid, 12);
    assert_eq!(rec.file_info[0].sha256, plain_sha);
    assert_eq!(
        rec.reconciliation
            .count(&ykprov::reconcile::diff::Category::Missing),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_uploads_an_age_file_leaving_no_plaintext_in_tmpdir_or_the_folder() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let keys = TestDir::new();
    let (key, recipient) = identity(&keys, "key.txt");
    let staging = TestDir::new();
    let rows = seeds::rows(11_000, 8);
    let plain = staging.write("seeds.csv", seeds::csv(&rows));
    let work = TestDir::new();
    let sealed = work.path().join("seeds.age");
    assert_exit(
        &seal(
            &plain,
            &["--recipient", &recipient, "--out", &sealed.to_string_lossy()],
        ),
        0,
    );
    drop(staging);
    let tmp = TestDir::new();
    let out = ykprov_against(
        &emu,
        &["upload", "seeds.age", "--identity", &key.to_string_lossy()],
    )
    .current_dir(work.path())
    .env("TMPDIR", tmp.path())
    .output()
    .await
    .unwrap();
    assert_exit(&out, 0);
    assert_eq!(emu.tokens().len(), 8);
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "TMPDIR stays empty"
    );
    let mut names: Vec<String> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // The journal's lock file stays (it holds nothing once the run ended); it holds no secret.
    assert_eq!(
        names,
        [
            "seeds.age",
            "seeds.age.ykprov-journal.jsonl",
            "seeds.age.ykprov-journal.jsonl.lock"
        ]
    );
    for name in &names {
        let text = String::from_utf8_lossy(&std::fs::read(work.path().join(name)).unwrap()).to_lowercase();
        for r in &rows {
            for secret in r.secrets() {
                assert!(!text.contains(&secret.to_lowercase()), "{name} holds a secret");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repair_reads_an_age_file_once_and_uploads_what_okta_is_missing() {
    let emu = spawn_emulator(EmulatorConfig::default()).await;
    let dir = TestDir::new();
    let (key, recipient) = identity(&dir, "key.txt");
    let plain = dir.write("seeds.csv", seeds::csv(&seeds::rows(13_000, 3)));
    assert_exit(&seal(&plain, &["--recipient", &recipient]), 0);
    std::fs::remove_file(&plain).unwrap();
    let out = ykprov_against(
        &emu,
        &[
            "repair",
            "seeds.csv.age",
            "--yes",
            "--identity",
            &key.to_string_lossy(),
        ],
    )
    .current_dir(dir.path())
    .output()
    .await
    .unwrap();
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(emu.tokens().len(), 3, "{}", String::from_utf8_lossy(&out.stdout));
    let journal = dir.path().join("seeds.csv.age.ykprov-repair-journal.jsonl");
    let header = &ykprov::journal::replay(&journal).unwrap().headers[0];
    assert_eq!(header.sealed.as_ref().map(|s| s.format), Some(SealKind::Age));
}

/// An identity file as age-plugin-yubikey writes it (`age-plugin-yubikey --identity`): its
/// comments, then one `AGE-PLUGIN-YUBIKEY-1…` line (a valid Bech32 string; no YubiKey behind it).
const YUBIKEY_IDENTITY: &str = "\
#       Serial: 12345678, Slot: 1
#         Name: age identity 1a2b3c4d
#   PIN policy: Once   (A PIN is required once per session, if set)
# Touch policy: Always (A physical touch is required for every decryption)
#    Recipient: age1yubikey1q…
AGE-PLUGIN-YUBIKEY-1QZ7XZNSP5XEV84897CR3S2GGX57A8
";

#[test]
fn a_yubikey_identity_without_its_plugin_names_the_missing_age_plugin_yubikey() {
    let dir = TestDir::new();
    let (_, recipient) = identity(&dir, "key.txt");
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(8100, 2)));
    assert_exit(&seal(&file, &["--recipient", &recipient]), 0);
    let yubikey = dir.write("yubikey-identity.txt", YUBIKEY_IDENTITY);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&yubikey, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    // No plugin binary can be found on this PATH, whatever the machine has installed.
    let empty_path = dir.path().join("no-plugins");
    std::fs::create_dir(&empty_path).unwrap();
    let out = bin()
        .arg("validate")
        .arg(dir.path().join("seeds.csv.age"))
        .arg("--identity")
        .arg(&yubikey)
        .env("PATH", &empty_path)
        .env_remove("YKPROV_AGE_IDENTITY")
        .output()
        .unwrap();
    assert_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("holds a plugin identity for age-plugin-yubikey")
            && stderr.contains("age-plugin-yubikey is not installed (not found on PATH)")
            && stderr.contains("cargo install age-plugin-yubikey"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.to_lowercase().contains("invalid"),
        "{stderr}"
    );
    assert!(
        stderr.contains("yubikey-identity.txt"),
        "the file is named: {stderr}"
    );
}
