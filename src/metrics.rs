//! A run's metrics in the Prometheus text exposition format (version 0.0.4), for node_exporter's
//! textfile collector: gauge families with `# HELP` and `# TYPE` lines, label values escaped,
//! written atomically (a temporary file in the same folder, then a rename) so the collector never
//! reads half a file, mode 0644 so node_exporter's account can read it. It holds counts, times
//! and the org URL: nothing private. What the values mean is the command layer's business; this
//! module only lays them out, and reads back the last success time of the file it replaces.

use std::fmt::Write as _;
use std::path::Path;

/// The family that carries the last success time over a failed run.
pub const LAST_SUCCESS: &str = "ykprov_last_success_timestamp_seconds";

/// One metric family (every ykprov metric is a gauge: each file describes one run).
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// `ykprov_…`, matching `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    pub name: String,
    /// The `# HELP` text.
    pub help: String,
    /// Its samples.
    pub samples: Vec<Sample>,
}

/// One sample: labels in order, and a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// `(name, value)` pairs; values are escaped when written.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
}

impl Family {
    /// A family with one sample.
    pub fn one(name: &str, help: &str, labels: &[(&str, &str)], value: f64) -> Self {
        Family {
            name: name.to_string(),
            help: help.to_string(),
            samples: vec![Sample::new(labels, value)],
        }
    }
}

impl Sample {
    /// A sample with these labels.
    pub fn new(labels: &[(&str, &str)], value: f64) -> Self {
        Sample {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value,
        }
    }
}

/// The families as exposition text; a family without samples is left out.
pub fn render(families: &[Family]) -> String {
    let mut out = String::new();
    for f in families.iter().filter(|f| !f.samples.is_empty()) {
        let _ = writeln!(out, "# HELP {} {}", f.name, escape_help(&f.help));
        let _ = writeln!(out, "# TYPE {} gauge", f.name);
        for s in &f.samples {
            out.push_str(&f.name);
            if !s.labels.is_empty() {
                let labels: Vec<String> = s
                    .labels
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                    .collect();
                let _ = write!(out, "{{{}}}", labels.join(","));
            }
            let _ = writeln!(out, " {}", number(s.value));
        }
    }
    out
}

/// Writes the families to `path` atomically, mode 0644.
pub fn write(path: &Path, families: &[Family]) -> anyhow::Result<()> {
    let text = render(families);
    crate::atomic::write_readable(path, |w| Ok(w.write_all(text.as_bytes())?))
}

/// The value of the first sample of `name` in exposition text (ours: one sample per line, no
/// timestamps), or `None`.
pub fn first_value(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(['{', ' ']))
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// A value as Prometheus reads it: whole numbers without a fraction.
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// `\` and newline escaped, as the format asks of HELP text.
fn escape_help(s: &str) -> String {
    s.replace('\\', r"\\").replace('\n', r"\n")
}

/// `\`, `"` and newline escaped, as the format asks of label values.
fn escape_label(s: &str) -> String {
    s.replace('\\', r"\\").replace('"', "\\\"").replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_have_help_and_type_and_escaped_labels() {
        let text = render(&[
            Family::one(
                "ykprov_a",
                "A \\ thing\nsecond line",
                &[("org", "https://x\"y\\z\n")],
                3.0,
            ),
            Family {
                name: "ykprov_empty".into(),
                help: "left out".into(),
                samples: Vec::new(),
            },
            Family::one("ykprov_b", "B", &[], 1.5),
        ]);
        assert_eq!(
            text,
            "# HELP ykprov_a A \\\\ thing\\nsecond line\n# TYPE ykprov_a gauge\nykprov_a{org=\"https://x\\\"y\\\\z\\n\"} 3\n\
             # HELP ykprov_b B\n# TYPE ykprov_b gauge\nykprov_b 1.5\n"
        );
    }

    #[test]
    fn the_first_value_of_a_family_is_read_back() {
        let text = render(&[
            Family::one("ykprov_last_success_timestamp_seconds_x", "other", &[], 9.0),
            Family::one(LAST_SUCCESS, "t", &[("org", "o")], 1_765_000_000.0),
        ]);
        assert_eq!(first_value(&text, LAST_SUCCESS), Some(1_765_000_000.0));
        assert_eq!(first_value(&text, "ykprov_missing"), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_readable_by_the_collector() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ykprov.prom");
        write(&path, &[Family::one("ykprov_a", "a", &[], 1.0)]).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }
}
