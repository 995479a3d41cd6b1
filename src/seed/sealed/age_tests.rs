//! age round trips with identities made by the crate: each way of failing, and the passphrase
//! prompt the command layer supplies.
use super::*;
use crate::secret::Secret;
use std::sync::Arc;

const SEEDS: &[u8] =
    b"7886622,ccccccijgibu,b74be6169486,1fcc6d8ce39bf1604e0b17f3e0a11067,,2020-01-10T23:04:10,\n";

fn identity_file(dir: &Path, name: &str) -> (PathBuf, age::x25519::Recipient) {
    let id = age::x25519::Identity::generate();
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!("# test key\n{}\n", {
            use age::secrecy::ExposeSecret;
            id.to_string().expose_secret().to_string()
        }),
    )
    .unwrap();
    (path, id.to_public())
}

fn options(identities: Vec<PathBuf>) -> UnsealOptions {
    UnsealOptions {
        identities,
        ..UnsealOptions::default()
    }
}

#[test]
fn a_file_sealed_for_an_identity_opens_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let (key, recipient) = identity_file(dir.path(), "key.txt");
    let sealed = encrypt(&mut &SEEDS[..], &[recipient]).unwrap();
    let plain = decrypt(Path::new("s.age"), &sealed, &options(vec![key])).unwrap();
    assert_eq!(plain.as_bytes(), SEEDS);
}

#[test]
fn armoured_files_open_too() {
    let dir = tempfile::tempdir().unwrap();
    let (key, recipient) = identity_file(dir.path(), "key.txt");
    let binary = encrypt(&mut &SEEDS[..], &[recipient]).unwrap();
    let mut armoured = Vec::new();
    {
        use std::io::Write;
        let mut w =
            age::armor::ArmoredWriter::wrap_output(&mut armoured, age::armor::Format::AsciiArmor).unwrap();
        w.write_all(&binary).unwrap();
        w.finish().unwrap();
    }
    assert!(armoured.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"));
    let plain = decrypt(Path::new("s.age"), &armoured, &options(vec![key])).unwrap();
    assert_eq!(plain.as_bytes(), SEEDS);
}

#[test]
fn the_wrong_identity_says_it_was_sealed_for_others() {
    let dir = tempfile::tempdir().unwrap();
    let (_, recipient) = identity_file(dir.path(), "theirs.txt");
    let (mine, _) = identity_file(dir.path(), "mine.txt");
    let sealed = encrypt(&mut &SEEDS[..], &[recipient]).unwrap();
    let err = decrypt(Path::new("s.age"), &sealed, &options(vec![mine])).unwrap_err();
    assert!(err.to_string().contains("sealed for other recipients"), "{err}");
}

#[test]
fn no_identity_says_to_pass_one() {
    let dir = tempfile::tempdir().unwrap();
    let (_, recipient) = identity_file(dir.path(), "key.txt");
    let sealed = encrypt(&mut &SEEDS[..], &[recipient]).unwrap();
    let err = decrypt(Path::new("s.age"), &sealed, &options(vec![])).unwrap_err();
    assert!(err.to_string().contains("--identity FILE"), "{err}");
}

#[test]
fn a_tampered_file_is_refused_and_nothing_of_it_returned() {
    let dir = tempfile::tempdir().unwrap();
    let (key, recipient) = identity_file(dir.path(), "key.txt");
    let mut sealed = encrypt(&mut &SEEDS[..], &[recipient]).unwrap();
    let last = sealed.len() - 5;
    sealed[last] ^= 1;
    let err = decrypt(Path::new("s.age"), &sealed, &options(vec![key])).unwrap_err();
    assert!(err.to_string().contains("tampered"), "{err}");
}

fn passphrase_sealed(pass: &str) -> Vec<u8> {
    let enc = age::Encryptor::with_user_passphrase(SecretString::from(pass.to_string()));
    let mut out = Vec::new();
    let mut w = enc.wrap_output(&mut out).unwrap();
    io::copy(&mut &SEEDS[..], &mut w).unwrap();
    w.finish().unwrap();
    out
}

#[test]
fn a_passphrase_file_asks_through_the_prompt() {
    let sealed = passphrase_sealed("correct horse");
    let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = asked.clone();
    let o = UnsealOptions {
        passphrase: Some(Arc::new(move |_: &str| {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(Secret::new("correct horse".to_string()))
        })),
        ..UnsealOptions::default()
    };
    let plain = decrypt(Path::new("s.age"), &sealed, &o).unwrap();
    assert_eq!(plain.as_bytes(), SEEDS);
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
    let wrong = UnsealOptions {
        passphrase: Some(Arc::new(|_: &str| Ok(Secret::new("wrong".to_string())))),
        ..UnsealOptions::default()
    };
    let err = decrypt(Path::new("s.age"), &sealed, &wrong).unwrap_err();
    assert!(err.to_string().contains("wrong passphrase"), "{err}");
}

#[test]
fn a_passphrase_file_without_a_terminal_fails_clearly() {
    let sealed = passphrase_sealed("x");
    let err = decrypt(Path::new("s.age"), &sealed, &UnsealOptions::default()).unwrap_err();
    assert!(err.to_string().contains("no terminal"), "{err}");
}

#[test]
fn signer_cannot_be_satisfied_by_an_age_file() {
    let o = UnsealOptions {
        signers: vec![super::super::Fingerprint::parse("ABA194815E4CE11E2A2E61443A21A8CAD1418449").unwrap()],
        ..UnsealOptions::default()
    };
    let err = verified(Path::new("s.age"), &o).unwrap_err();
    assert!(err.to_string().contains("carry no signature"), "{err}");
}

#[test]
fn recipients_files_skip_comments_and_name_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let (_, r) = identity_file(dir.path(), "k.txt");
    let file = dir.path().join("recipients.txt");
    std::fs::write(&file, format!("# ops team\n\n{r}\n")).unwrap();
    assert_eq!(read_recipients_file(&file).unwrap().len(), 1);
    std::fs::write(&file, format!("{r}\nssh-ed25519 AAAA\n")).unwrap();
    let err = read_recipients_file(&file).unwrap_err().to_string();
    assert!(
        err.ends_with(
            "recipients.txt:2: `ssh-ed25519 AAAA` is not an age recipient (age1... from age-keygen -y)"
        ),
        "{err}"
    );
}
