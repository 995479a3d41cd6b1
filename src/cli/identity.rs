//! `ykprov whoami`'s arguments, and the refusal of a `--token` flag before clap sees it: an API
//! token on the command line shows up in `ps` and shell history, so no command takes one, and
//! the admin who tries is told where tokens are read from rather than clap's `-- --token` hint.

use super::OrgArgs;
use crate::okta::identity::Format;
use clap::Args;
use std::ffi::OsString;

/// `ykprov whoami`.
#[derive(Debug, Args, Clone)]
pub struct WhoamiArgs {
    /// Connection (read scopes only).
    #[command(flatten)]
    pub org: OrgArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// What to tell an admin who passed `--token` (or `--token=…`) anywhere before a `--`; `None`
/// when no argument is one. The value is never looked at, so it cannot end up in a message.
pub fn token_flag_refusal<I: IntoIterator<Item = OsString>>(args: I) -> Option<String> {
    let used = args
        .into_iter()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--token" || a.to_string_lossy().starts_with("--token="));
    used.then(|| {
        format!(
            "API tokens are read from {} or okta.yaml, never from a flag (a flag shows up in ps and shell history): export {}=… or put okta.client.token in ~/.okta/okta.yaml",
            crate::okta::config::ENV_TOKEN,
            crate::okta::config::ENV_TOKEN
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(args: &[&str]) -> bool {
        token_flag_refusal(args.iter().map(OsString::from)).is_some()
    }

    #[test]
    fn a_token_flag_is_refused_in_either_spelling_but_not_after_a_double_dash() {
        assert!(refused(&["ykprov", "upload", "s.csv", "--token", "00ab"]));
        assert!(refused(&["ykprov", "whoami", "--token=00ab"]));
        assert!(!refused(&["ykprov", "upload", "--", "--token"]));
        assert!(!refused(&["ykprov", "upload", "--token-file-not-a-flag-we-have"]));
    }

    #[test]
    fn the_refusal_never_quotes_the_value() {
        let msg = token_flag_refusal(["ykprov", "--token=00secret"].map(OsString::from)).unwrap();
        assert!(!msg.contains("00secret"), "{msg}");
    }
}
