//! `--metrics-file`, flattened into the commands a schedule runs (upload, reconcile, repair), so
//! the flag and its help are written once.

use clap::Args;
use std::path::PathBuf;

/// Where a scheduled run leaves its metrics.
#[derive(Debug, Args, Clone, Default, PartialEq, Eq)]
pub struct MetricsArgs {
    /// Also write the run's metrics here in Prometheus's text format, for node_exporter's textfile
    /// collector (atomically, mode 0644; checked before the first request).
    #[arg(id = "metrics_file", long = "metrics-file", value_name = "PATH")]
    pub file: Option<PathBuf>,
}
