//! The command line, as clap derive types. Kept dumb: checks that need more than one flag live in
//! each command's config builder, so errors can name every offending flag at once.

#[cfg(test)]
mod defaults;
mod emulate;
pub mod exit_codes;
mod expect;
mod identity;
mod input;
mod install;
mod ledger;
pub mod manual;
mod metrics;
mod rate;
mod repair;
mod revoke;
mod sealed;
mod seeds;
mod values;

pub use emulate::EmulateArgs;
pub use expect::ExpectArgs;
pub use identity::{token_flag_refusal, WhoamiArgs};
pub use input::{resolve, FormatArg, FormatArgParser, InputFormatArgs, Resolved};
pub use install::{CompletionsArgs, ManpageArgs};
pub use ledger::{
    HistoryArgs, LedgerAction, LedgerArgs, LedgerImportArgs, LedgerVerifyArgs, OrgOnly, RetireArgs,
    TextOrJson, UnretireArgs,
};
pub use metrics::MetricsArgs;
pub use rate::{parse_rate, Rate, RateArg};
pub use repair::RepairArgs;
pub use revoke::RevokeArgs;
pub use sealed::{SealArgs, SealedArgs};
pub use seeds::{UploadArgs, ValidateArgs};

use crate::demo::DemoOptions;
use crate::okta::inventory::Via;
use crate::okta::probe::Format as ProbeFormat;
use crate::okta::ClientConfig;
use crate::reconcile::diff::{Category, Scope};
use crate::reconcile::output::Format as ReconcileFormat;
use crate::reconcile::ReconcileOptions;
use crate::report::ReportFormat;
use crate::telemetry::{LogFormat, LogSettings};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Provision YubiKey OTP seeds into Okta in bulk, and keep them reconciled.
///
/// Seeds are secrets: ykprov never prints, logs or journals an AES key, private id or access
/// code, and reads API tokens only from the environment or okta.yaml.
#[derive(Debug, Parser)]
#[command(name = "ykprov", version, propagate_version = true, after_help = exit_codes::help(""))]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// More log output (-v debug, -vv trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors; no progress bar.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log line format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// The ledger (default: $XDG_STATE_HOME/ykprov/ledger.sqlite3, else
    /// ~/.local/state/ykprov/ledger.sqlite3).
    #[arg(long, global = true, env = "YKPROV_LEDGER", value_name = "PATH")]
    pub ledger: Option<PathBuf>,
}

impl GlobalArgs {
    /// The logging settings these flags ask for.
    pub fn log_settings(&self) -> LogSettings {
        LogSettings {
            quiet: self.quiet,
            verbose: self.verbose,
            format: self.log_format,
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
// Built once per process; boxing EmulateArgs would only make the dispatch in commands/ noisier.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Check seed files row by row without contacting Okta.
    #[command(after_help = exit_codes::help("validate"))]
    Validate(ValidateArgs),
    /// Upload seeds to Okta: paced, bounded, journaled and resumable.
    #[command(after_help = exit_codes::help("upload"))]
    Upload(UploadArgs),
    /// Compare seed files with what Okta holds: missing, in use, blocked, revoked, stale.
    #[command(after_help = exit_codes::help("reconcile"))]
    Reconcile(ReconcileArgs),
    /// Plan and apply the fixes a reconciliation calls for: upload what is missing or revoked,
    /// and (with --reissue-blocked) delete blocked tokens and upload their seeds again.
    #[command(after_help = exit_codes::help("repair"))]
    Repair(RepairArgs),
    /// Take keys out of service now (lost, stolen, destroyed, returned): unenroll each from its
    /// user and delete its token, so nobody can enroll it again.
    #[command(after_help = exit_codes::help("revoke"))]
    Revoke(RevokeArgs),
    /// Download Okta's YubiKey token inventory as CSV or JSON.
    #[command(after_help = exit_codes::help("export"))]
    Export(ExportArgs),
    /// Check the org's contract read-only (at most 25 GETs) before a rollout.
    #[command(after_help = exit_codes::help("probe"))]
    Probe(ProbeArgs),
    /// The whole job against an embedded emulator: validate, upload, enroll, reconcile, report.
    #[command(after_help = exit_codes::help("demo"))]
    Demo(DemoArgs),
    /// Write an audit report (HTML, Markdown, CSV or JSON) from upload journals and a reconciliation.
    #[command(after_help = exit_codes::help("report"))]
    Report(ReportArgs),
    /// Run a local Okta emulator of the YubiKey token API (for rehearsals and tests).
    #[command(after_help = exit_codes::help("emulate"))]
    Emulate(EmulateArgs),
    /// Show the resolved connection settings (org, authorization mode, client, scopes, key).
    #[command(after_help = exit_codes::help("config"))]
    Config(ConfigArgs),
    /// Show who Okta takes the credential for: the org, the credential's kind and source, and
    /// the admin's login (SSWS) or the app's client id and granted scopes (OAuth).
    #[command(after_help = exit_codes::help("whoami"))]
    Whoami(WhoamiArgs),
    /// Encrypt a plaintext seed file to age or OpenPGP recipients, so only the sealed copy is kept.
    #[command(after_help = exit_codes::help("seal"))]
    Seal(SealArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on stdout.
    ///
    /// Where each shell looks for it: bash, ~/.local/share/bash-completion/completions/ykprov;
    /// zsh, a file _ykprov in a folder of $fpath; fish, ~/.config/fish/completions/ykprov.fish;
    /// PowerShell, appended to $PROFILE; elvish, appended to ~/.config/elvish/rc.elv.
    #[command(after_help = exit_codes::help("completions"))]
    Completions(CompletionsArgs),
    /// Record that keys left service (lost, stolen, destroyed, returned): no Okta call; repair
    /// never uploads them again.
    #[command(after_help = exit_codes::help("retire"))]
    Retire(RetireArgs),
    /// Undo a retirement (with the ticket that authorises it).
    #[command(after_help = exit_codes::help("unretire"))]
    Unretire(UnretireArgs),
    /// Print a key's timeline from the ledger.
    #[command(after_help = exit_codes::help("history"))]
    History(HistoryArgs),
    /// Check or feed the ledger: `verify` its hash chain, `import` old journals.
    #[command(after_help = exit_codes::help("ledger"))]
    Ledger(LedgerArgs),
    /// Write man pages: ykprov.1 and one per subcommand (ykprov-upload.1, ...).
    #[command(after_help = exit_codes::help("manpage"))]
    Manpage(ManpageArgs),
}

/// Connection options shared by the commands that talk to Okta.
#[derive(Debug, Args, Clone)]
pub struct OrgArgs {
    /// The Okta org, e.g. `https://acme.okta.com` (default: OKTA_CLIENT_ORGURL, then okta.yaml).
    /// The API token is read from OKTA_CLIENT_TOKEN or okta.yaml, never from a flag.
    #[arg(long, value_name = "URL")]
    pub org: Option<String>,
    /// Seconds to wait for a connection.
    #[arg(long, default_value_t = ClientConfig::DEFAULT_CONNECT_TIMEOUT.as_secs(), value_name = "SECS")]
    pub connect_timeout: u64,
    /// Seconds to wait for a whole request.
    #[arg(long, default_value_t = ClientConfig::DEFAULT_TIMEOUT.as_secs(), value_name = "SECS")]
    pub timeout: u64,
    /// SSWS (an admin's API token, the default) or PrivateKey (an OAuth API Services app)
    /// (default: OKTA_CLIENT_AUTHORIZATIONMODE, then okta.yaml).
    #[arg(long, value_name = "SSWS|PrivateKey")]
    pub authorization_mode: Option<crate::okta::config::AuthMode>,
    /// The service app's client id (default: OKTA_CLIENT_CLIENTID, then okta.yaml).
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Scopes the app may request, space or comma separated (default: OKTA_CLIENT_SCOPES, then
    /// okta.yaml, else each command asks only for what it needs).
    #[arg(long, value_name = "SCOPES")]
    pub scopes: Option<String>,
    /// Path to the app's private key PEM (default: OKTA_CLIENT_PRIVATEKEY, a PEM or a path, then
    /// okta.yaml). Never the key itself on the command line.
    #[arg(long, value_name = "KEY.pem")]
    pub private_key: Option<PathBuf>,
    /// The key id registered for the app's public key (default: OKTA_CLIENT_KID, then okta.yaml).
    #[arg(long, value_name = "KID")]
    pub kid: Option<String>,
    /// Bind tokens with DPoP from the first token request (default: OKTA_CLIENT_DPOP; also turned
    /// on by itself when Okta answers invalid_dpop_proof).
    #[arg(long)]
    pub dpop: bool,
    /// Also trust the CA certificates in this PEM file (a private CA, or a TLS-inspecting proxy's)
    /// besides the system's (default: SSL_CERT_FILE). Certificate checks cannot be turned off.
    #[arg(long, value_name = "CA.pem")]
    pub ca_file: Option<PathBuf>,
}

impl OrgArgs {
    /// The connection flags for [`crate::okta::config::resolve`].
    pub fn flags(&self) -> crate::okta::config::Flags {
        crate::okta::config::Flags {
            org: self.org.clone(),
            mode: self.authorization_mode,
            client_id: self.client_id.clone(),
            scopes: self.scopes.clone(),
            private_key: self.private_key.clone(),
            kid: self.kid.clone(),
            dpop: self.dpop,
            ca_file: self.ca_file.clone(),
        }
    }
}

/// `ykprov config`.
#[derive(Debug, Args, Clone)]
pub struct ConfigArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ConfigAction,
}

/// `ykprov config` actions.
#[derive(Debug, Subcommand, Clone)]
pub enum ConfigAction {
    /// Print the resolved connection settings and where each came from (secrets redacted).
    #[command(after_help = exit_codes::help("config show"))]
    Show(ConfigShowArgs),
}

/// `ykprov config show`.
#[derive(Debug, Args, Clone)]
pub struct ConfigShowArgs {
    /// Connection.
    #[command(flatten)]
    pub org: OrgArgs,
}

/// `ykprov reconcile`.
#[derive(Debug, Args, Clone)]
pub struct ReconcileArgs {
    /// Seed files to check against Okta (none: every key the ledger knows for the org).
    #[arg(value_name = "SEEDS.csv")]
    pub files: Vec<PathBuf>,
    /// Connection.
    #[command(flatten)]
    pub org: OrgArgs,
    /// How to fetch Okta's inventory.
    #[arg(long, value_enum, default_value_t = Via::Download)]
    pub via: Via,
    /// `file`: only serials in the files; `org`: also tokens no file accounts for.
    #[arg(long, value_enum, default_value_t = Scope::File)]
    pub scope: Scope,
    /// ACTIVE tokens unused for longer than this are stale (e.g. 90d, 12w).
    #[arg(
        long,
        default_value = ReconcileOptions::DEFAULT_STALE_AFTER,
        value_parser = crate::reconcile::parse_age
    )]
    pub stale_after: chrono::Duration,
    /// Output format.
    #[arg(long = "format", value_enum, default_value_t = ReconcileFormat::Text)]
    pub output: ReconcileFormat,
    /// Write the output here (atomically, mode 0600) instead of stdout.
    #[arg(short, long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Categories that make the exit code 1.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_values_t = ReconcileOptions::DEFAULT_FAIL_ON
    )]
    pub fail_on: Vec<Category>,
    /// Ask Okta to embed each token's user, to show logins.
    #[arg(long)]
    pub expand_user: bool,
    /// Seed file layout.
    #[command(flatten)]
    pub input: InputFormatArgs,
    /// Also write an audit report here (.html, .md, .csv or .json).
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    /// `--metrics-file`.
    #[command(flatten)]
    pub metrics: MetricsArgs,
    /// Sealed seed files.
    #[command(flatten)]
    pub sealed: SealedArgs,
    /// What the seed files must hold.
    #[command(flatten)]
    pub expect: ExpectArgs,
}

/// `ykprov export`.
#[derive(Debug, Args, Clone)]
pub struct ExportArgs {
    /// Connection.
    #[command(flatten)]
    pub org: OrgArgs,
    /// Where to write the inventory (atomically, mode 0600); `-` for stdout.
    #[arg(short, long, value_name = "PATH", default_value = "-")]
    pub out: Option<PathBuf>,
    /// An Okta filter expression, e.g. 'status eq "BLOCKED"'.
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// Ask Okta to embed each token's user, to show logins.
    #[arg(long)]
    pub expand_user: bool,
    /// How to fetch Okta's inventory.
    #[arg(long, value_enum, default_value_t = Via::Download)]
    pub via: Via,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    pub format: ExportFormat,
}

/// `--format` of `ykprov export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One row per token, formula-safe.
    Csv,
    /// One JSON array of objects with the CSV's column names as keys.
    Json,
}

/// `ykprov probe`: rate limits, page sizes, the CSV export, the serial filter, `expand=user`,
/// statuses and OAuth details, with no write and no user data in the output.
#[derive(Debug, Args, Clone)]
pub struct ProbeArgs {
    /// Connection (read scopes only).
    #[command(flatten)]
    pub org: OrgArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ProbeFormat::Text)]
    pub format: ProbeFormat,
    /// Write the report here (atomically, mode 0600) instead of stdout.
    #[arg(short, long, value_name = "PATH")]
    pub out: Option<PathBuf>,
}

/// `ykprov demo`.
#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    /// Keys in the generated (fake) seed file.
    #[arg(long, default_value_t = DemoOptions::DEFAULT_ROWS)]
    pub rows: u32,
    /// Where to write the seed file, journal and reports.
    #[arg(long, default_value = DemoOptions::DEFAULT_DIR)]
    pub dir: PathBuf,
    /// Seed of the generator and the emulator's faults: the same seed gives the same run.
    #[arg(long, default_value_t = DemoOptions::DEFAULT_SEED)]
    pub seed: u64,
}

/// `ykprov report`.
#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// An upload journal (repeatable; read in order, a later outcome for a serial wins).
    #[arg(long, value_name = "PATH")]
    pub journal: Vec<PathBuf>,
    /// A reconciliation written by `ykprov reconcile --format json`.
    #[arg(long, value_name = "RESULT.json")]
    pub reconcile: Option<PathBuf>,
    /// Where to write the report (atomically, mode 0600): .html, .md, .csv or .json.
    #[arg(short, long, value_name = "PATH")]
    pub out: PathBuf,
    /// The period's audit report from the ledger, from this date (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "DATE", conflicts_with_all = ["journal", "reconcile"])]
    pub since: Option<String>,
    /// The period's end (default: now).
    #[arg(long, value_name = "DATE", requires = "since")]
    pub until: Option<String>,
    /// With --since: the org (default: OKTA_CLIENT_ORGURL, then okta.yaml).
    #[arg(long, value_name = "URL", requires = "since")]
    pub org: Option<String>,
    /// The format, when the extension does not say.
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use std::time::Duration;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn validate_takes_several_files_and_an_input_format() {
        let cli = Cli::try_parse_from(["ykprov", "validate", "a.csv", "b.csv", "--input-format", "yubico"])
            .unwrap();
        let Command::Validate(args) = cli.command else {
            panic!("not validate")
        };
        assert_eq!(args.files.len(), 2);
        assert_eq!(args.input.input_format, Some(crate::seed::SeedFormat::Yubico));
    }

    #[test]
    fn upload_has_no_token_flag() {
        let err = Cli::try_parse_from(["ykprov", "upload", "s.csv", "--token", "x"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::UnknownArgument);
    }

    #[test]
    fn emulate_parses_limits_durations_and_faults() {
        let cli = Cli::try_parse_from([
            "ykprov",
            "emulate",
            "--bind",
            "127.0.0.1:0",
            "--rate-limit",
            "100/1s",
            "--latency",
            "5ms",
            "--fail-rate",
            "0.1",
            "--concurrency-limit",
            "0",
        ])
        .unwrap();
        let Command::Emulate(args) = cli.command else {
            panic!("not emulate")
        };
        assert_eq!(args.rate_limit, Rate::new(100, Duration::from_secs(1)));
        assert_eq!(args.latency, Duration::from_millis(5));
        assert_eq!(args.concurrency_limit, 0);
        assert!(Cli::try_parse_from(["ykprov", "emulate", "--rate-limit", "lots"]).is_err());
        assert!(Cli::try_parse_from(["ykprov", "emulate", "--token", "x"]).is_err());
    }

    #[test]
    fn report_takes_several_journals_and_an_optional_format() {
        let cli = Cli::try_parse_from([
            "ykprov",
            "report",
            "--journal",
            "a.jsonl",
            "--journal",
            "b.jsonl",
            "--reconcile",
            "r.json",
            "--out",
            "x.txt",
            "--format",
            "md",
        ])
        .unwrap();
        let Command::Report(args) = cli.command else {
            panic!("not report")
        };
        assert_eq!(args.journal.len(), 2);
        assert_eq!(args.format, Some(ReportFormat::Md));
        assert!(
            Cli::try_parse_from(["ykprov", "report", "--journal", "a.jsonl"]).is_err(),
            "--out is required"
        );
    }

    #[test]
    fn probe_takes_an_org_a_format_and_an_out_file() {
        let cli = Cli::try_parse_from([
            "ykprov",
            "probe",
            "--org",
            "https://a.okta.com",
            "--format",
            "json",
        ]);
        let Command::Probe(args) = cli.unwrap().command else {
            panic!("not probe")
        };
        assert_eq!(args.format, ProbeFormat::Json);
        assert!(Cli::try_parse_from(["ykprov", "probe", "--format", "html"]).is_err());
    }

    #[test]
    fn validate_needs_a_file() {
        assert!(Cli::try_parse_from(["ykprov", "validate"]).is_err());
    }
}
