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

/// Asks for an age file's passphrase on the terminal (not stdout), without echo.
fn prompt() -> PassphrasePrompt {
    Arc::new(|path: &Path| {
        let question = format!("passphrase for {}: ", path.display());
        let answer = rpassword::prompt_password(question).map_err(|e| {
            anyhow::anyhow!(
                "{} is sealed with an age passphrase, and it could not be asked for ({e}): run ykprov \
                 in a terminal, or seal the file to an age key and pass --identity",
                path.display()
            )
        })?;
        Ok(Secret::new(answer))
    })
}

/// One line on a sealed file for the operator: its format and who signed it.
pub fn seal_line(path: &Path, info: &SealInfo) -> String {
    format!("{}: {info}", path.display())
}
