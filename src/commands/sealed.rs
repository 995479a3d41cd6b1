//! The sealed-file flags as the domain's [`UnsealOptions`]: fingerprints checked (every bad one
//! named at once), gpg told whether a person is at the terminal, and the age passphrase prompt,
//! which reads the terminal without echo. Every command that reads seed files uses this; it is not
//! a subcommand (there is deliberately no `unseal`: the plaintext never goes to disk).

use crate::cli::SealedArgs;
use crate::secret::Secret;
use crate::seed::sealed::gpg::GpgSettings;
use crate::seed::sealed::{Fingerprint, PassphrasePrompt, SealInfo};
use crate::seed::UnsealOptions;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

/// The options for `args`, or every problem with its flag.
pub fn unseal_options(args: &SealedArgs) -> Result<UnsealOptions, Vec<String>> {
    let mut problems = Vec::new();
    if args.signers.iter().any(|s| s.trim().is_empty()) {
        // `--signer "$FPR"` with the variable unset, or `YKPROV_SIGNER=','`: skipping the blank
        // would turn signature pinning off without a word (fail open).
        problems.push(
            "--signer: an empty fingerprint (from --signer '' or a blank item in YKPROV_SIGNER) would turn signature checking off; give full fingerprints, or leave both unset"
                .to_string(),
        );
    }
    let signers = args
        .signers
        .iter()
        .filter(|s| !s.trim().is_empty())
        .filter_map(|s| {
            Fingerprint::parse(s)
                .map_err(|e| problems.push(format!("--signer: {e}")))
                .ok()
        })
        .collect();
    if !problems.is_empty() {
        return Err(problems);
    }
    let interactive = std::io::stdin().is_terminal();
    Ok(UnsealOptions {
        signers,
        identities: args.identities.clone(),
        gpg: GpgSettings {
            interactive,
            ..GpgSettings::default()
        },
        passphrase: interactive.then(prompt),
    })
}

/// Asks a secret question (an age passphrase, a YubiKey PIN for age-plugin-yubikey) on the
/// terminal (not stdout), without echo.
fn prompt() -> PassphrasePrompt {
    Arc::new(|question: &str| {
        let answer = rpassword::prompt_password(format!("{question}: "))
            .map_err(|e| anyhow::anyhow!("cannot ask on the terminal ({e})"))?;
        Ok(Secret::new(answer))
    })
}

/// One line on a sealed file for the operator: its format and who signed it.
pub fn seal_line(path: &Path, info: &SealInfo) -> String {
    format!("{}: {info}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(signers: &[&str]) -> SealedArgs {
        SealedArgs {
            signers: signers.iter().map(|s| s.to_string()).collect(),
            ..SealedArgs::default()
        }
    }

    #[test]
    fn an_empty_signer_is_an_error_not_no_signer() {
        for blank in [vec![""], vec!["", ""], vec!["  "]] {
            let problems = unseal_options(&with(&blank)).expect_err("refused");
            assert!(problems[0].contains("empty fingerprint"), "{problems:?}");
        }
        let fpr = "0123456789ABCDEF0123456789ABCDEF01234567";
        assert!(unseal_options(&with(&[fpr, ""])).is_err());
        assert_eq!(unseal_options(&with(&[fpr])).unwrap().signers.len(), 1);
    }
}
