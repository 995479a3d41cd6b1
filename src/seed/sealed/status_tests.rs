//! The status lines below are what gpg 2.2 wrote for the throwaway files in tests/it/sealed.rs
//! (cut to the lines that matter), plus the shapes other versions send.
use super::*;

fn fp(s: &str) -> Fingerprint {
    Fingerprint::parse(s).unwrap()
}

const YUBICO: &str = "ABA194815E4CE11E2A2E61443A21A8CAD1418449";
const OTHER: &str = "F622EE48429E3794C3F58C4F5FA12CF55F872B17";

const ENCRYPTED: &str = "\
[GNUPG:] ENC_TO 08AE22E78AD26289 18 0
[GNUPG:] DECRYPTION_KEY 2E545FF8A0BD3A07E0D041E208AE22E78AD26289 F622EE48429E3794C3F58C4F5FA12CF55F872B17 u
gpg: encrypted with 255-bit ECDH key, ID 08AE22E78AD26289, created 2026-12-02
[GNUPG:] BEGIN_DECRYPTION
[GNUPG:] DECRYPTION_INFO 2 9 0
[GNUPG:] PLAINTEXT 62 1796223278 p.csv
[GNUPG:] PLAINTEXT_LENGTH 89
";

const GOOD_SIG: &str = "\
[GNUPG:] NEWSIG
gpg: Signature made Wed Dec  2 14:54:39 2026 UTC
[GNUPG:] SIG_ID 7O/bggAIUu5shiRuE3NKpOrKNXU 2026-12-02 1796223279
[GNUPG:] GOODSIG 3A21A8CAD1418449 Yubico Fake <yubico@example.test>
gpg: Good signature from \"Yubico Fake <yubico@example.test>\" [ultimate]
[GNUPG:] VALIDSIG ABA194815E4CE11E2A2E61443A21A8CAD1418449 2026-12-02 1796223279 0 4 0 22 10 00 ABA194815E4CE11E2A2E61443A21A8CAD1418449
[GNUPG:] TRUST_ULTIMATE 0 pgp
";

const UNKNOWN_SIG: &str = "\
[GNUPG:] NEWSIG
[GNUPG:] ERRSIG 3A21A8CAD1418449 22 10 00 1796223279 9 ABA194815E4CE11E2A2E61443A21A8CAD1418449
[GNUPG:] NO_PUBKEY 3A21A8CAD1418449
gpg: Can't check signature: No public key
";

const OKAY: &str = "\
[GNUPG:] DECRYPTION_OKAY
[GNUPG:] GOODMDC
[GNUPG:] END_DECRYPTION
";

fn status(parts: &[&str]) -> Status {
    let text = parts.concat();
    parse(text.lines())
}

#[test]
fn an_unsigned_file_is_read_with_a_warning_without_signer() {
    let s = status(&[ENCRYPTED, OKAY]);
    let v = verdict(&s, true, &[]).unwrap();
    assert!(v.encrypted);
    assert_eq!(v.signature, SignatureCheck::NotSigned);
    assert_eq!(v.warnings.len(), 1);
    assert!(v.warnings[0].contains("not signed"), "{:?}", v.warnings);
}

#[test]
fn an_unsigned_file_is_refused_with_signer() {
    let s = status(&[ENCRYPTED, OKAY]);
    let err = verdict(&s, true, &[fp(YUBICO)]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("it is not signed, but --signer requires a good signature from --signer {YUBICO}")
    );
}

#[test]
fn a_good_signature_names_the_signer() {
    let s = status(&[ENCRYPTED, GOOD_SIG, OKAY]);
    assert_eq!(s.sigs.len(), 1);
    let expected = Signer {
        fingerprint: YUBICO.into(),
        user_id: Some("Yubico Fake <yubico@example.test>".into()),
    };
    for signers in [vec![], vec![fp(YUBICO)], vec![fp(OTHER), fp(YUBICO)]] {
        let v = verdict(&s, true, &signers).unwrap();
        assert_eq!(
            v.signature,
            SignatureCheck::Good {
                signer: expected.clone()
            }
        );
        assert!(v.warnings.is_empty(), "{:?}", v.warnings);
    }
}

#[test]
fn a_good_signature_from_another_key_is_the_wrong_signer() {
    let s = status(&[ENCRYPTED, GOOD_SIG, OKAY]);
    let err = verdict(&s, true, &[fp(OTHER)]).unwrap_err();
    assert!(matches!(err, Refusal::WrongSigner { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "it is signed by \"Yubico Fake <yubico@example.test>\" ({YUBICO}), expected --signer {OTHER}"
        )
    );
}

#[test]
fn a_signature_by_an_unknown_key_is_refused_with_signer_and_a_warning_without() {
    let s = status(&[ENCRYPTED, UNKNOWN_SIG, OKAY]);
    // gpg exits 2 here, although it decrypted the file.
    let err = verdict(&s, false, &[fp(OTHER)]).unwrap_err();
    assert!(matches!(err, Refusal::UnknownSigner { .. }), "{err:?}");
    assert!(err.to_string().contains("not in your keyring"), "{err}");
    // The expected signer's own key missing: still refused, saying to import it.
    let err = verdict(&s, false, &[fp(YUBICO)]).unwrap_err();
    assert!(err.to_string().contains("gpg --import"), "{err}");
    let v = verdict(&s, false, &[]).unwrap();
    assert!(matches!(v.signature, SignatureCheck::Unchecked { .. }));
    assert!(v.warnings[0].contains(YUBICO), "{:?}", v.warnings);
}

#[test]
fn a_bad_signature_is_always_refused() {
    let bad = "\
[GNUPG:] PLAINTEXT 62 1796223290 p.csv
[GNUPG:] NEWSIG
[GNUPG:] BADSIG 3A21A8CAD1418449 Yubico Fake <yubico@example.test>
[GNUPG:] FAILURE gpg-exit 33554433
";
    let s = status(&[bad]);
    for signers in [vec![], vec![fp(YUBICO)]] {
        let err = verdict(&s, false, &signers).unwrap_err();
        assert!(matches!(err, Refusal::BadSignature { .. }), "{err:?}");
        assert!(err.to_string().contains("BAD signature"), "{err}");
    }
}

#[test]
fn a_file_for_someone_else_names_the_keys_it_was_sealed_for() {
    let s = status(&["\
[GNUPG:] ENC_TO 08AE22E78AD26289 18 0
[GNUPG:] NO_SECKEY 08AE22E78AD26289
[GNUPG:] BEGIN_DECRYPTION
[GNUPG:] DECRYPTION_FAILED
gpg: decryption failed: No secret key
[GNUPG:] END_DECRYPTION
"]);
    let err = verdict(&s, false, &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "it is not encrypted to any key in your keyring: it was sealed for key 08AE22E78AD26289; \
         import that secret key, or plug in the card that holds it"
    );
}

#[test]
fn a_tampered_file_that_fails_to_decrypt_is_refused_even_after_plaintext_started() {
    let s = status(&[
        ENCRYPTED,
        "gpg: Fatal: zlib inflate problem: incorrect data check\n",
    ]);
    let err = verdict(&s, false, &[]).unwrap_err();
    assert!(matches!(err, Refusal::DecryptionFailed { .. }), "{err:?}");
    let s = status(&[ENCRYPTED, "[GNUPG:] BADMDC\n", OKAY]);
    assert!(matches!(
        verdict(&s, false, &[]),
        Err(Refusal::DecryptionFailed { .. })
    ));
}

#[test]
fn a_nonzero_exit_with_nothing_to_explain_it_is_a_failure() {
    let s = status(&[ENCRYPTED, OKAY]);
    assert!(matches!(verdict(&s, false, &[]), Err(Refusal::Failed { .. })));
}

#[test]
fn no_openpgp_data_is_its_own_refusal() {
    let s = status(&["[GNUPG:] NODATA 1\n[GNUPG:] FAILURE decrypt 4294967295\n"]);
    assert_eq!(verdict(&s, false, &[]), Err(Refusal::NotOpenPgp));
}

#[test]
fn a_signed_only_file_is_read_with_a_warning_that_it_was_not_encrypted() {
    let s = status(&["[GNUPG:] PLAINTEXT 62 1796223290 p.csv\n", GOOD_SIG]);
    let v = verdict(&s, true, &[fp(YUBICO)]).unwrap();
    assert!(!v.encrypted);
    assert!(v.warnings[0].contains("not encrypted"), "{:?}", v.warnings);
}

#[test]
fn expired_and_revoked_keys_do_not_satisfy_signer() {
    for (line, why) in [
        ("EXPKEYSIG", "has expired"),
        ("REVKEYSIG", "revoked"),
        ("EXPSIG", "signature has expired"),
    ] {
        let sig = format!(
            "[GNUPG:] NEWSIG\n[GNUPG:] {line} 3A21A8CAD1418449 Yubico Fake <y@example.test>\n\
             [GNUPG:] VALIDSIG {YUBICO} 2026-12-02 1 0 4 0 22 10 00 {YUBICO}\n"
        );
        let s = status(&[ENCRYPTED, &sig, OKAY]);
        let err = verdict(&s, false, &[fp(YUBICO)]).unwrap_err();
        assert!(err.to_string().contains(why), "{line}: {err}");
        let v = verdict(&s, false, &[]).unwrap();
        assert!(matches!(v.signature, SignatureCheck::Unchecked { .. }), "{line}");
    }
}

#[test]
fn signatures_from_gpg_1_without_newsig_are_still_counted() {
    let s = status(&[
        ENCRYPTED,
        "[GNUPG:] GOODSIG 3A21A8CAD1418449 Yubico\n",
        &format!("[GNUPG:] VALIDSIG {YUBICO} 2026-12-02 1 0 4 0 22 10 00 {YUBICO}\n"),
        OKAY,
    ]);
    assert_eq!(s.sigs.len(), 1);
    assert!(verdict(&s, true, &[fp(YUBICO)]).is_ok());
}

#[test]
fn user_ids_are_unescaped_and_stripped_of_control_characters() {
    let s = status(&[
        "[GNUPG:] PLAINTEXT 62 1 p.csv\n",
        "[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG 3A21A8CAD1418449 Evil%1B[2J %25 Name\n",
    ]);
    assert_eq!(s.sigs[0].user_id.as_deref(), Some("Evil?[2J % Name"));
}

#[test]
fn human_text_that_imitates_status_lines_is_ignored() {
    // Only lines that start with the prefix count; a user id echoed in gpg's text cannot forge one.
    let s = status(&[ENCRYPTED, "gpg: [GNUPG:] GOODSIG 3A21A8CAD1418449 forged\n", OKAY]);
    assert!(s.sigs.is_empty());
}

/// A second signature, by a key not in the keyring (what gpg 2.2 wrote for a message signed by
/// the pinned key and a stranger's).
const STRANGER_SIG: &str = "\
[GNUPG:] NEWSIG
[GNUPG:] ERRSIG E227B1730A5BDF95 22 10 00 1796547520 9 A1A8518B54DCC909B3E31C1FE227B1730A5BDF95
[GNUPG:] NO_PUBKEY E227B1730A5BDF95
";

#[test]
fn with_signer_a_second_signature_by_an_unpinned_unknown_key_explains_the_exit_code() {
    let s = status(&[ENCRYPTED, GOOD_SIG, STRANGER_SIG, OKAY]);
    assert!(verdict(&s, false, &[fp(YUBICO)]).is_ok());
}

#[test]
fn with_signer_trailing_junk_is_refused_even_beside_a_good_pinned_signature() {
    // gpg 2.2 on the same message with bytes appended: NODATA 3 after the plaintext, exit 2.
    let s = status(&[ENCRYPTED, GOOD_SIG, STRANGER_SIG, OKAY, "[GNUPG:] NODATA 3\n"]);
    let err = verdict(&s, false, &[fp(YUBICO)]).unwrap_err();
    assert!(err.to_string().contains("not OpenPGP"), "{err}");
}

#[test]
fn with_signer_an_error_status_or_an_unexplained_exit_is_refused() {
    let s = status(&[
        ENCRYPTED,
        GOOD_SIG,
        OKAY,
        "[GNUPG:] ERROR proc_pkt.plaintext 89_BAD_DATA\n",
    ]);
    assert!(verdict(&s, true, &[fp(YUBICO)]).is_err());
    let s = status(&[ENCRYPTED, GOOD_SIG, OKAY]);
    assert!(verdict(&s, false, &[fp(YUBICO)]).is_err());
    // A failed check of the pinned key's own second signature does not excuse the exit code.
    let pinned_error = format!("[GNUPG:] NEWSIG\n[GNUPG:] ERRSIG 3A21A8CAD1418449 22 10 00 1 4 {YUBICO}\n");
    let s = status(&[ENCRYPTED, GOOD_SIG, &pinned_error, OKAY]);
    assert!(verdict(&s, false, &[fp(YUBICO)]).is_err());
}
