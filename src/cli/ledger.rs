//! clap types of the ledger's commands: `retire`, `unretire`, `history`, `ledger verify|import`.

use crate::lifecycle::RetireReason;
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `--format` of the ledger's commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum TextOrJson {
    /// For people.
    #[default]
    Text,
    /// One JSON document (camelCase keys).
    Json,
}

/// The org a ledger command is about, without a connection: `--org`, else OKTA_CLIENT_ORGURL,
/// else okta.yaml. No token is needed and nothing is sent to Okta.
#[derive(Debug, Args, Clone, Default)]
pub struct OrgOnly {
    /// The Okta org, e.g. `https://acme.okta.com` (default: OKTA_CLIENT_ORGURL, then okta.yaml).
    #[arg(long, value_name = "URL")]
    pub org: Option<String>,
}

/// `ykprov retire`.
#[derive(Debug, Args, Clone)]
pub struct RetireArgs {
    /// 12-digit serials (or plain numbers) to retire.
    #[arg(value_name = "SERIAL", required_unless_present = "from")]
    pub serials: Vec<String>,
    /// A file of serials, one per line (`#` starts a comment).
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// Why the keys leave service.
    #[arg(long, value_parser = parse_reason, value_name = "lost|stolen|destroyed|returned|other")]
    pub reason: RetireReason,
    /// The change or incident ticket.
    #[arg(long, value_name = "T")]
    pub ticket: Option<String>,
    /// Free text kept with the decision (never put a secret here).
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// The org.
    #[command(flatten)]
    pub org: OrgOnly,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

/// `ykprov unretire`.
#[derive(Debug, Args, Clone)]
pub struct UnretireArgs {
    /// The serial to put back in service.
    #[arg(value_name = "SERIAL")]
    pub serial: String,
    /// The ticket that authorises it.
    #[arg(long, value_name = "T")]
    pub ticket: String,
    /// The org.
    #[command(flatten)]
    pub org: OrgOnly,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

/// `ykprov history`.
#[derive(Debug, Args, Clone)]
pub struct HistoryArgs {
    /// The serial.
    #[arg(value_name = "SERIAL")]
    pub serial: String,
    /// Only this org (default: every org in the ledger).
    #[arg(long, value_name = "URL")]
    pub org: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

/// `ykprov ledger`.
#[derive(Debug, Args, Clone)]
pub struct LedgerArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: LedgerAction,
}

/// `ykprov ledger` actions.
#[derive(Debug, Subcommand, Clone)]
pub enum LedgerAction {
    /// Check the hash chain of every event; exit 1 naming the first broken event.
    #[command(after_help = super::exit_codes::help("ledger verify"))]
    Verify(LedgerVerifyArgs),
    /// Bring upload and repair journals of earlier runs into the ledger (read-only; importing a
    /// journal twice adds nothing).
    #[command(after_help = super::exit_codes::help("ledger import"))]
    Import(LedgerImportArgs),
}

/// `ykprov ledger verify`.
#[derive(Debug, Args, Clone)]
pub struct LedgerVerifyArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

/// `ykprov ledger import`.
#[derive(Debug, Args, Clone)]
pub struct LedgerImportArgs {
    /// Journals (`*.ykprov-journal.jsonl`, `*.ykprov-repair-journal.jsonl`).
    #[arg(required = true, value_name = "JOURNAL")]
    pub journals: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

fn parse_reason(s: &str) -> Result<RetireReason, String> {
    s.parse()
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use clap::Parser;

    #[test]
    fn retire_takes_serials_a_reason_and_a_ticket() {
        let cli = Cli::try_parse_from([
            "ykprov", "retire", "31000004", "31000005", "--reason", "stolen", "--ticket", "INC-7",
        ])
        .unwrap();
        let Command::Retire(a) = cli.command else {
            panic!("not retire")
        };
        assert_eq!(a.serials.len(), 2);
        assert_eq!(a.reason, crate::lifecycle::RetireReason::Stolen);
        assert_eq!(a.ticket.as_deref(), Some("INC-7"));
    }

    #[test]
    fn retire_needs_a_known_reason_and_serials_or_a_file() {
        assert!(Cli::try_parse_from(["ykprov", "retire", "1", "--reason", "misplaced"]).is_err());
        assert!(Cli::try_parse_from(["ykprov", "retire", "--reason", "lost"]).is_err());
        assert!(Cli::try_parse_from(["ykprov", "retire", "--reason", "lost", "--from", "s.txt"]).is_ok());
        assert!(
            Cli::try_parse_from(["ykprov", "retire", "1"]).is_err(),
            "--reason is required"
        );
    }

    #[test]
    fn unretire_needs_a_ticket() {
        assert!(Cli::try_parse_from(["ykprov", "unretire", "1"]).is_err());
        assert!(Cli::try_parse_from(["ykprov", "unretire", "1", "--ticket", "T"]).is_ok());
    }

    #[test]
    fn the_ledger_flag_is_global() {
        let cli = Cli::try_parse_from(["ykprov", "ledger", "verify", "--ledger", "/tmp/l.sqlite3"]).unwrap();
        assert_eq!(
            cli.global.ledger.as_deref(),
            Some(std::path::Path::new("/tmp/l.sqlite3"))
        );
        assert!(Cli::try_parse_from(["ykprov", "ledger", "import"]).is_err());
    }
}
