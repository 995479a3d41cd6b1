//! The seed-layout half of the one vocabulary: `--input-format` names the seed file's layout in
//! every command that reads seed files, and `--format` is always an output format. The old
//! spellings (`--seed-format`, and a layout given to `--format`) still parse for one release and
//! warn, so scripts written for 0.x keep working while they are updated.

use super::TextOrJson;
use crate::seed::SeedFormat;
use clap::builder::{EnumValueParser, PossibleValue, TypedValueParser};
use clap::{Args, ValueEnum};

/// `--input-format` (and its hidden old name `--seed-format`), flattened into every command that
/// reads seed files.
#[derive(Debug, Args, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputFormatArgs {
    /// Seed file layout (default: auto).
    #[arg(long, value_enum, value_name = "LAYOUT")]
    pub input_format: Option<SeedFormat>,
    /// The old name of --input-format; warns.
    #[arg(long, value_enum, hide = true, conflicts_with = "input_format")]
    pub seed_format: Option<SeedFormat>,
}

/// What `--format` held in a command whose `--format` named the seed layout before 1.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatArg {
    /// An output format: what `--format` means everywhere now.
    Output(TextOrJson),
    /// A seed layout: the old meaning, taken as `--input-format` with a warning.
    Layout(SeedFormat),
}

/// Parses `--format` as an output format, or else as a seed layout. Only the output formats are
/// listed as possible values, so `--help`, completions and the vocabulary test never offer a
/// layout there.
#[derive(Debug, Clone, Copy, Default)]
pub struct FormatArgParser;

impl TypedValueParser for FormatArgParser {
    type Value = FormatArg;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<FormatArg, clap::Error> {
        if let Some(layout) = value.to_str().and_then(|s| SeedFormat::from_str(s, true).ok()) {
            return Ok(FormatArg::Layout(layout));
        }
        // Clap's own enum parser gives the usual "possible values: text, json" error.
        EnumValueParser::<TextOrJson>::new()
            .parse_ref(cmd, arg, value)
            .map(FormatArg::Output)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            TextOrJson::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

/// The seed layout and output format a command's flags settle on, with the warnings to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The seed layout to read.
    pub layout: SeedFormat,
    /// The output format (text when `--format` held a layout or was absent).
    pub output: TextOrJson,
    /// Deprecation warnings, one line each, without the `warning:` prefix.
    pub warnings: Vec<String>,
}

/// Settles `--format`, `--input-format` and `--seed-format`. Pure, so every old spelling is unit
/// tested; [`Resolved::warn`] logs what it found.
pub fn resolve(format: Option<FormatArg>, input: InputFormatArgs) -> Resolved {
    let mut warnings = Vec::new();
    if input.seed_format.is_some() {
        warnings.push("--seed-format is now --input-format".to_owned());
    }
    let mut layout = input.input_format.or(input.seed_format);
    let mut output = TextOrJson::Text;
    match format {
        Some(FormatArg::Output(o)) => output = o,
        Some(FormatArg::Layout(l)) => {
            let name = layout_name(l);
            if layout.is_some() {
                warnings.push(format!(
                    "--format {name} ignored: --format is the output format; the layout given with --input-format is used"
                ));
            } else {
                warnings.push(format!(
                    "--format {name} is a seed layout: taken as --input-format {name} (--format is the output format from the next release)"
                ));
                layout = Some(l);
            }
        }
        None => {}
    }
    Resolved {
        layout: layout.unwrap_or_default(),
        output,
        warnings,
    }
}

impl Resolved {
    /// Logs each warning once (logging is set up by the time a command resolves its flags).
    pub fn warn(self) -> Self {
        for w in &self.warnings {
            tracing::warn!("{w}");
        }
        self
    }
}

impl InputFormatArgs {
    /// The layout for a command whose `--format` never meant a layout (reconcile, repair):
    /// `--input-format`, else `--seed-format` with a warning, else auto.
    pub fn layout(self) -> SeedFormat {
        resolve(None, self).warn().layout
    }
}

fn layout_name(l: SeedFormat) -> String {
    l.to_possible_value()
        .map_or_else(|| format!("{l:?}"), |v| v.get_name().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(input_format: Option<SeedFormat>, seed_format: Option<SeedFormat>) -> InputFormatArgs {
        InputFormatArgs {
            input_format,
            seed_format,
        }
    }

    #[test]
    fn nothing_given_is_auto_and_text_without_warnings() {
        let r = resolve(None, InputFormatArgs::default());
        assert_eq!((r.layout, r.output), (SeedFormat::Auto, TextOrJson::Text));
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn input_format_and_an_output_format_do_not_warn() {
        let r = resolve(
            Some(FormatArg::Output(TextOrJson::Json)),
            input(Some(SeedFormat::Yubico), None),
        );
        assert_eq!((r.layout, r.output), (SeedFormat::Yubico, TextOrJson::Json));
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn seed_format_is_taken_with_a_warning() {
        let r = resolve(None, input(None, Some(SeedFormat::Headered)));
        assert_eq!(r.layout, SeedFormat::Headered);
        assert_eq!(r.warnings, ["--seed-format is now --input-format"]);
    }

    #[test]
    fn a_layout_given_to_format_is_taken_as_input_format_with_a_warning() {
        let r = resolve(
            Some(FormatArg::Layout(SeedFormat::Yubico)),
            InputFormatArgs::default(),
        );
        assert_eq!((r.layout, r.output), (SeedFormat::Yubico, TextOrJson::Text));
        assert_eq!(r.warnings.len(), 1);
        assert!(r.warnings[0].starts_with("--format yubico is a seed layout: taken as --input-format yubico"));
    }

    #[test]
    fn input_format_wins_over_a_layout_in_format() {
        let r = resolve(
            Some(FormatArg::Layout(SeedFormat::Yubico)),
            input(Some(SeedFormat::Headered), None),
        );
        assert_eq!(r.layout, SeedFormat::Headered);
        assert!(r.warnings[0].contains("ignored"));
    }
}
