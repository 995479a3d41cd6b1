//! The command line of sealed seed files: [`SealedArgs`], the flags every command that reads seed
//! files flattens in (signers to require, age identities), and `ykprov seal`'s [`SealArgs`].

use clap::Args;
use std::path::PathBuf;

/// Reading sealed (OpenPGP or age) seed files.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Sealed seed files")]
pub struct SealedArgs {
    /// Require a good OpenPGP signature by this key (full fingerprint; repeatable, or
    /// comma-separated in YKPROV_SIGNER). Without it, an unsigned file is read with a warning.
    #[arg(
        long = "signer",
        value_name = "FINGERPRINT",
        env = "YKPROV_SIGNER",
        value_delimiter = ','
    )]
    pub signers: Vec<String>,
    /// An age identity file to decrypt age-sealed seed files with (repeatable; default:
    /// YKPROV_AGE_IDENTITY). A passphrase-sealed age file asks on the terminal instead.
    #[arg(long = "identity", value_name = "FILE", env = "YKPROV_AGE_IDENTITY")]
    pub identities: Vec<PathBuf>,
}

/// `ykprov seal`.
#[derive(Debug, Args, Clone)]
pub struct SealArgs {
    /// The plaintext seed file (sealed byte for byte; delete it afterwards).
    #[arg(value_name = "SEEDS.csv")]
    pub file: PathBuf,
    /// An age recipient (`age1...`, from `age-keygen -y KEY`); repeatable.
    #[arg(long = "recipient", value_name = "age1...")]
    pub recipients: Vec<String>,
    /// A file of age recipients, one per line (`#` comments); repeatable.
    #[arg(long = "recipients-file", value_name = "FILE")]
    pub recipients_files: Vec<PathBuf>,
    /// An OpenPGP key to encrypt to (a fingerprint is best); repeatable. Uses the system's gpg.
    #[arg(long = "gpg-recipient", value_name = "ID")]
    pub gpg_recipients: Vec<String>,
    /// Also sign with this OpenPGP key (OpenPGP only; age files carry no signature).
    #[arg(long, value_name = "ID")]
    pub sign_with: Option<String>,
    /// Where to write the sealed file (default: SEEDS.csv.age, or SEEDS.csv.gpg).
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Seed file layout, for the validation before sealing.
    #[command(flatten)]
    pub input: super::InputFormatArgs,
    /// The old spelling of --input-format (seal writes no report, so it has no output format).
    #[arg(long, hide = true, value_parser = super::FormatArgParser, value_name = "LAYOUT")]
    pub format: Option<super::FormatArg>,
}
