//! Operator progress: an indicatif bar on stderr when it is a terminal, otherwise (cron, CI, a
//! pipe) a plain log line every few seconds. Log lines are routed through the bar so they do not
//! tear it.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Progress for a run of `total` items.
pub struct Progress {
    bar: ProgressBar,
    visible: bool,
    last_log: std::sync::Mutex<Instant>,
}

const LOG_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    /// A bar when stderr is a terminal and not `quiet`; hidden otherwise.
    pub fn new(total: u64, quiet: bool) -> Self {
        let visible = !quiet && std::io::stderr().is_terminal();
        let bar = if visible {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{bar:30.cyan/blue} {pos}/{len} {per_sec} eta {eta} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        } else {
            let bar = ProgressBar::hidden();
            bar.set_length(total);
            bar
        };
        Progress {
            bar,
            visible,
            last_log: std::sync::Mutex::new(Instant::now()),
        }
    }

    /// One more item done; `msg` is the running tally.
    pub fn advance(&self, msg: impl FnOnce() -> String) {
        self.bar.inc(1);
        if self.visible {
            self.bar.set_message(msg());
            return;
        }
        let mut last = self.last_log.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed() >= LOG_EVERY {
            *last = Instant::now();
            tracing::info!(
                "progress {}/{}: {}",
                self.bar.position(),
                self.bar.length().unwrap_or(0),
                msg()
            );
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
