//! The terminal's log line, as cargo and ripgrep write theirs: `warning: message key=value`, with
//! no timestamp and no level padding. The fields of the spans the event happened in (an upload's
//! serial and line) follow the event's own, so a warning still says which row it is about.

use std::fmt;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The human line format (see the module doc).
#[derive(Debug, Clone, Copy, Default)]
pub struct Human {
    /// Colour the level word with ANSI escapes.
    pub color: bool,
}

/// The level's word and its colour (bold, as cargo colours its own).
fn label(level: Level) -> (&'static str, &'static str) {
    match level {
        Level::ERROR => ("error", "\x1b[1;31m"),
        Level::WARN => ("warning", "\x1b[1;33m"),
        Level::INFO => ("info", "\x1b[1;32m"),
        Level::DEBUG => ("debug", "\x1b[1;34m"),
        Level::TRACE => ("trace", "\x1b[1;35m"),
    }
}

impl<S, N> FormatEvent<S, N> for Human
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let (word, color) = label(*event.metadata().level());
        if self.color {
            write!(writer, "{color}{word}\x1b[0m: ")?;
        } else {
            write!(writer, "{word}: ")?;
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                let Some(fields) = extensions.get::<FormattedFields<N>>() else {
                    continue;
                };
                if !fields.is_empty() {
                    write!(writer, " {fields}")?;
                }
            }
        }
        writeln!(writer)
    }
}

#[cfg(test)]
mod tests {
    use crate::telemetry::{subscriber, AroundBar, Style};
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::EnvFilter;

    /// Log output captured in memory.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// What `log` writes in `style` at the default level (info).
    fn logged(style: Style, log: impl FnOnce()) -> String {
        let buffer = Buffer::default();
        let sink = buffer.clone();
        let sub = subscriber(EnvFilter::new("info"), style, AroundBar(move || sink.clone()));
        tracing::subscriber::with_default(sub, log);
        let bytes = buffer.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn a_terminal_warning_has_no_timestamp_and_no_padding() {
        let text = logged(Style::Human { color: false }, || {
            tracing::warn!("seeds.csv is readable by other users (mode 644); run chmod 600 on it");
        });
        assert_eq!(
            text,
            "warning: seeds.csv is readable by other users (mode 644); run chmod 600 on it\n"
        );
    }

    #[test]
    fn each_level_has_its_word_and_fields_follow_the_message() {
        let text = logged(Style::Human { color: false }, || {
            tracing::error!("journal not writable");
            tracing::info!(tokens = 12, "preflight: tokens already in Okta");
            tracing::debug!("not shown at the default level");
        });
        assert_eq!(
            text,
            "error: journal not writable\ninfo: preflight: tokens already in Okta tokens=12\n"
        );
    }

    #[test]
    fn a_warning_inside_a_span_keeps_the_span_fields() {
        let text = logged(Style::Human { color: false }, || {
            let span = tracing::info_span!("upload_one", serial = "000000000042", line = 7);
            let _in = span.enter();
            tracing::warn!(status = 400, "upload rejected");
        });
        assert_eq!(
            text,
            "warning: upload rejected status=400 serial=\"000000000042\" line=7\n"
        );
    }

    #[test]
    fn colour_marks_only_the_level_word() {
        let text = logged(Style::Human { color: true }, || tracing::warn!("careful"));
        assert_eq!(text, "\x1b[1;33mwarning\x1b[0m: careful\n");
    }

    #[test]
    fn off_a_terminal_lines_keep_their_timestamp() {
        let text = logged(Style::Timestamped, || tracing::warn!("careful"));
        let (stamp, rest) = text.split_once(' ').unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(stamp).is_ok(),
            "starts with an RFC 3339 timestamp: {text}"
        );
        assert!(rest.trim_start().starts_with("WARN careful"), "{text}");
    }

    #[test]
    fn json_lines_keep_their_timestamp() {
        let text = logged(Style::Json, || tracing::warn!(serial = "000000000042", "careful"));
        let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["fields"]["message"], "careful");
        assert!(
            line["timestamp"].as_str().is_some_and(|t| t.starts_with("20")),
            "{text}"
        );
    }
}
