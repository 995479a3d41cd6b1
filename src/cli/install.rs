//! The arguments of the commands that install ykprov itself: shell completions and man pages.
//! Both are generated from [`super::Cli`], so they list every subcommand and flag of this build.

use clap::Args;
use std::path::PathBuf;

/// `ykprov completions`.
#[derive(Debug, Args, Clone)]
pub struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `ykprov manpage`.
#[derive(Debug, Args, Clone)]
pub struct ManpageArgs {
    /// The folder to write `ykprov.1` and one page per subcommand into (created if missing).
    #[arg(short, long, value_name = "DIR")]
    pub out: PathBuf,
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use clap::Parser;
    use clap_complete::Shell;

    #[test]
    fn completions_take_one_of_the_five_shells() {
        for (name, shell) in [
            ("bash", Shell::Bash),
            ("zsh", Shell::Zsh),
            ("fish", Shell::Fish),
            ("powershell", Shell::PowerShell),
            ("elvish", Shell::Elvish),
        ] {
            let cli = Cli::try_parse_from(["ykprov", "completions", name]).unwrap();
            let Command::Completions(args) = cli.command else {
                panic!("not completions")
            };
            assert_eq!(args.shell, shell);
        }
        assert!(Cli::try_parse_from(["ykprov", "completions", "tcsh"]).is_err());
        assert!(Cli::try_parse_from(["ykprov", "completions"]).is_err());
    }

    #[test]
    fn manpage_needs_an_out_folder() {
        let cli = Cli::try_parse_from(["ykprov", "manpage", "--out", "target/man"]).unwrap();
        let Command::Manpage(args) = cli.command else {
            panic!("not manpage")
        };
        assert_eq!(args.out, std::path::Path::new("target/man"));
        assert!(Cli::try_parse_from(["ykprov", "manpage"]).is_err());
    }
}
