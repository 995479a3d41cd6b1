//! Logging: `tracing` to stderr, filtered by `RUST_LOG` or by `-v`/`-q`. A person at a terminal
//! reads short lines (`warning: …`, in the style of cargo and ripgrep); a log file or the journal
//! gets timestamped lines or JSON. Every line goes through [`crate::progress::suspended`], so it
//! never tears the progress bar. Operator messages (summaries) are printed by the commands
//! themselves, not logged.

mod human;

pub use human::Human;

use std::io::{IsTerminal, Write};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for scheduled runs.
    Json,
}

/// How much to log, and how.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogSettings {
    /// Only errors (`-q`).
    pub quiet: bool,
    /// `-v` count: 1 debug, 2 or more trace.
    pub verbose: u8,
    /// Line format on stderr.
    pub format: LogFormat,
}

/// What a log line looks like, chosen once from the format and where stderr goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `warning: message key=value`: no timestamp, no padding; for a person at a terminal.
    Human {
        /// Colour the level word (a terminal, and `NO_COLOR` unset).
        color: bool,
    },
    /// An RFC 3339 timestamp, the level, the message and its fields: for a log file.
    Timestamped,
    /// One JSON object per line, with a timestamp: for the journal and log collectors.
    Json,
}

impl Style {
    /// Text on a terminal is for a person; text elsewhere is a log file; JSON is JSON anywhere.
    pub fn choose(format: LogFormat, terminal: bool, color: bool) -> Style {
        match (format, terminal) {
            (LogFormat::Json, _) => Style::Json,
            (LogFormat::Text, true) => Style::Human { color },
            (LogFormat::Text, false) => Style::Timestamped,
        }
    }
}

/// Installs the global subscriber on stderr. Safe to call more than once (later calls do nothing).
pub fn init(settings: &LogSettings) {
    let terminal = std::io::stderr().is_terminal();
    // https://no-color.org: set and not empty means no colour.
    let color = terminal && !matches!(std::env::var_os("NO_COLOR"), Some(v) if !v.is_empty());
    let style = Style::choose(settings.format, terminal, color);
    let _ = subscriber(filter(settings), style, AroundBar(std::io::stderr)).try_init();
}

/// `RUST_LOG` when set, else the level `-q`/`-v` ask for.
pub fn filter(settings: &LogSettings) -> EnvFilter {
    let default = match (settings.quiet, settings.verbose) {
        (true, _) => "error",
        (false, 0) => "info",
        (false, 1) => "ykprov=debug,info",
        (false, _) => "ykprov=trace,debug",
    };
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default))
}

/// The subscriber for `filter` in `style`, writing through `writer` (stderr, or a buffer in
/// tests).
pub fn subscriber<W>(filter: EnvFilter, style: Style, writer: W) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_target(false);
    match style {
        Style::Human { color } => Box::new(builder.with_ansi(color).event_format(Human { color }).finish()),
        Style::Timestamped => Box::new(builder.with_ansi(false).finish()),
        Style::Json => Box::new(builder.with_ansi(false).json().finish()),
    }
}

/// A [`MakeWriter`] whose writes step around the progress bar ([`crate::progress::suspended`]).
/// The fmt layer writes each formatted line with one `write_all`, so a line is never split
/// around a redraw.
#[derive(Debug, Clone, Copy)]
pub struct AroundBar<M>(pub M);

impl<'w, M: MakeWriter<'w>> MakeWriter<'w> for AroundBar<M> {
    type Writer = AroundBarWriter<M::Writer>;
    fn make_writer(&'w self) -> Self::Writer {
        AroundBarWriter(self.0.make_writer())
    }
}

/// One line's writer from [`AroundBar`].
#[derive(Debug)]
pub struct AroundBarWriter<W>(W);

impl<W: Write> Write for AroundBarWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        crate::progress::suspended(|| self.0.write_all(buf))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_human_on_a_terminal_and_timestamped_elsewhere() {
        assert_eq!(
            Style::choose(LogFormat::Text, true, true),
            Style::Human { color: true }
        );
        assert_eq!(
            Style::choose(LogFormat::Text, true, false),
            Style::Human { color: false }
        );
        assert_eq!(Style::choose(LogFormat::Text, false, false), Style::Timestamped);
        assert_eq!(Style::choose(LogFormat::Json, true, true), Style::Json);
        assert_eq!(Style::choose(LogFormat::Json, false, false), Style::Json);
    }
}
