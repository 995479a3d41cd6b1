//! The domain's enums as clap values. The enums live in their domain modules (which know nothing
//! of clap); this is where the command line names them and gives each its help line.

use crate::okta::inventory::Via;
use crate::okta::probe::Format as ProbeFormat;
use crate::reconcile::diff::{Category, Scope};
use crate::reconcile::output::Format as ReconcileFormat;
use crate::repair::output::Format as RepairFormat;
use crate::report::ReportFormat;
use crate::seed::{SeedFormat, Serial, SerialNumber};
use crate::telemetry::LogFormat;
use clap::builder::PossibleValue;

/// A `--serial`/`--restore` value or a serial argument: a key's serial in decimal, padded or not
/// (`31000004`, `000031000004`), checked as a seed file's serial is (1 to 4294967295).
pub fn parse_serial(s: &str) -> Result<Serial, String> {
    SerialNumber::parse(s.trim())
        .map(Serial::from)
        .map_err(|e| format!("`{s}` is not a YubiKey serial: {e}"))
}

/// `impl clap::ValueEnum` for a domain enum: each variant with its value name and help line.
macro_rules! value_enum {
    ($ty:ty { $($variant:path => $name:literal : $help:literal,)+ }) => {
        impl clap::ValueEnum for $ty {
            fn value_variants<'a>() -> &'a [Self] {
                &[$($variant),+]
            }
            fn to_possible_value(&self) -> Option<PossibleValue> {
                Some(match self {
                    $($variant => PossibleValue::new($name).help($help),)+
                })
            }
        }
    };
}

value_enum!(crate::okta::identity::Format {
    crate::okta::identity::Format::Text => "text": "Aligned lines",
    crate::okta::identity::Format::Json => "json": "One JSON object, camelCase keys",
});

value_enum!(LogFormat {
    LogFormat::Text => "text": "Human-readable lines",
    LogFormat::Json => "json": "One JSON object per line, for scheduled runs",
});

value_enum!(SeedFormat {
    SeedFormat::Auto => "auto": "Detect from the first lines",
    SeedFormat::Yubico => "yubico": "`serial,publicId,privateId,aesKey,accessCode,timestamp,` (ykman -O, Personalization Tool, ykksm)",
    SeedFormat::Headered => "headered": "A header row names the columns (serialNumber, publicId, privateId, aesKey)",
});

value_enum!(Via {
    Via::Download => "download": "The CSV export, `forDownload=true`",
    Via::Pages => "pages": "The JSON list, `limit=200`",
});

value_enum!(ProbeFormat {
    ProbeFormat::Text => "text": "Lines for people (and tickets)",
    ProbeFormat::Json => "json": "The whole report as data",
});

value_enum!(Scope {
    Scope::File => "file": "Only serials in the files",
    Scope::Org => "org": "Also tokens in Okta that no file accounts for",
});

value_enum!(Category {
    Category::Unassigned => "unassigned": "Uploaded, not enrolled",
    Category::Active => "active": "Enrolled and in use",
    Category::Blocked => "blocked": "Assigned to a user who is no longer active",
    Category::Revoked => "revoked": "Only REVOKED, DELETED or INACTIVE records (older reconciliations; now reported as removed)",
    Category::Other => "other": "A status this version does not know; shown as-is",
    Category::Missing => "missing": "In a file, not in Okta: needs upload",
    Category::Unexpected => "unexpected": "In Okta, in no file (`--scope org`)",
    Category::Stale => "stale": "ACTIVE but not used for longer than `--stale-after`",
    Category::Invalid => "invalid": "An invalid row in a file",
    Category::Retired => "retired": "Retired by an admin, and Okta has no live record",
    Category::RetiredLive => "retired_live": "Retired by an admin, but still enrollable in Okta: run `ykprov revoke`",
    Category::Removed => "removed": "Uploaded once, gone (or only history) now: `ykprov retire`, or `repair --restore`",
});

value_enum!(ReconcileFormat {
    ReconcileFormat::Text => "text": "Counts and the first rows of each actionable category",
    ReconcileFormat::Json => "json": "The whole result",
    ReconcileFormat::Csv => "csv": "One row per serial",
    ReconcileFormat::Md => "md": "Markdown tables",
});

value_enum!(ReportFormat {
    ReportFormat::Html => "html": "One self-contained page with charts",
    ReportFormat::Md => "md": "Markdown, for tickets and wikis",
    ReportFormat::Csv => "csv": "One row per serial: the full list",
    ReportFormat::Json => "json": "The whole report as data",
});

value_enum!(RepairFormat {
    RepairFormat::Text => "text": "The plan and the outcome, for people",
    RepairFormat::Json => "json": "One JSON document: the plan, what was done, the counts after",
});

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    /// The command line must name each value as the domain serializes it, so a value written to
    /// a journal or a result reads back the same on the command line.
    #[test]
    fn value_names_match_the_serialized_names() {
        for c in Category::ALL {
            assert_eq!(c.to_possible_value().unwrap().get_name(), c.name());
        }
        for v in SeedFormat::value_variants() {
            let json = serde_json::to_value(v).unwrap();
            assert_eq!(json.as_str(), Some(v.to_possible_value().unwrap().get_name()));
        }
        for v in Via::value_variants() {
            let json = serde_json::to_value(v).unwrap();
            assert_eq!(json.as_str(), Some(v.to_possible_value().unwrap().get_name()));
        }
        for v in ProbeFormat::value_variants() {
            let json = serde_json::to_value(v).unwrap();
            assert_eq!(json.as_str(), Some(v.to_possible_value().unwrap().get_name()));
        }
        for v in Scope::value_variants() {
            let json = serde_json::to_value(v).unwrap();
            assert_eq!(json.as_str(), Some(v.to_possible_value().unwrap().get_name()));
        }
    }
}
