//! Finding 3: an empty signer value must not turn signature pinning off.

use crate::helpers::{bin, TestDir};
use crate::seeds;

#[test]
fn an_empty_signer_flag_or_variable_is_refused_with_exit_2() {
    let dir = TestDir::new();
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(7_200_000, 2)));
    let file = file.to_str().unwrap();
    for (args, env) in [
        (vec!["validate", file, "--signer", ""], None),
        (vec!["validate", file], Some(",")),
        (vec!["validate", file], Some(" , ")),
    ] {
        let mut cmd = bin();
        cmd.args(&args)
            .env("HOME", "/nonexistent")
            .env("YKPROV_STATE_DIR", crate::helpers::private_state());
        match env {
            Some(v) => cmd.env("YKPROV_SIGNER", v),
            None => cmd.env_remove("YKPROV_SIGNER"),
        };
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?} {env:?}: {stderr}");
        assert!(stderr.contains("empty fingerprint"), "{stderr}");
    }
}
