//! Operator progress: an indicatif bar on stderr when it is a terminal, otherwise (cron, CI, a
//! pipe) a plain log line every few seconds. Rates read as whole requests per minute (`742/min`),
//! the unit Okta states its limits in. The bar on screen is known to [`suspended`], through which
//! the log writer (`telemetry`) puts each line, so log lines and the bar never tear each other.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Progress for a run of `total` items.
pub struct Progress {
    bar: ProgressBar,
    /// The screen it is drawn on, and its id there.
    shown: Option<(&'static Screen, u64)>,
    last_log: Mutex<Instant>,
}

const LOG_EVERY: Duration = Duration::from_secs(5);

const TEMPLATE: &str = "{bar:30.cyan/blue} {pos}/{len} {per_min} eta {eta} {msg}";

/// A rate in requests per minute as the operator reads it everywhere: a whole number, `742/min`.
pub fn per_minute(rate: f64) -> String {
    // `max` maps NaN to 0; the cast saturates, so no input panics or prints `NaN`.
    format!("{}/min", rate.max(0.0).round() as u64)
}

impl Progress {
    /// A bar when stderr is a terminal and not `quiet`; hidden otherwise.
    pub fn new(total: u64, quiet: bool) -> Self {
        if !quiet && std::io::stderr().is_terminal() {
            Self::drawn_on(ProgressDrawTarget::stderr(), total, &SCREEN)
        } else {
            let bar = ProgressBar::hidden();
            bar.set_length(total);
            Progress {
                bar,
                shown: None,
                last_log: Mutex::new(Instant::now()),
            }
        }
    }

    /// A bar drawn on `target`, known to `screen` until it is finished.
    fn drawn_on(target: ProgressDrawTarget, total: u64, screen: &'static Screen) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total), target);
        let style = ProgressStyle::with_template(TEMPLATE)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key("per_min", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&per_minute(s.per_sec() * 60.0));
            });
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress {
            shown: Some((screen, screen.show(bar.clone()))),
            bar,
            last_log: Mutex::new(Instant::now()),
        }
    }

    /// One more item done; `msg` is the running tally.
    pub fn advance(&self, msg: impl FnOnce() -> String) {
        self.bar.inc(1);
        if self.shown.is_some() {
            self.bar.set_message(msg());
            return;
        }
        let mut last = self.last_log.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed() >= LOG_EVERY {
            *last = Instant::now();
            tracing::info!(
                "progress {}/{} at {}: {}",
                self.bar.position(),
                self.bar.length().unwrap_or(0),
                per_minute(self.bar.per_sec() * 60.0),
                msg()
            );
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.hide();
        self.bar.finish_and_clear();
    }

    fn hide(&self) {
        if let Some((screen, id)) = self.shown {
            screen.hide(id);
        }
    }
}

impl Drop for Progress {
    /// A bar dropped without [`Progress::finish`] (an early `?`) must not be suspended for later
    /// log lines.
    fn drop(&mut self) {
        self.hide();
    }
}

/// Runs `f` (a write to stderr) with the bar on screen, if any, cleared, then redraws the bar:
/// the text lands on its own lines, never inside the bar's.
pub fn suspended<R>(f: impl FnOnce() -> R) -> R {
    SCREEN.suspended(f)
}

/// The bar on screen (at most one: runs draw one after another).
static SCREEN: Screen = Screen::new();

/// Which bar is on a screen, so writers can step around it.
struct Screen {
    bar: Mutex<Option<(u64, ProgressBar)>>,
    next_id: AtomicU64,
}

impl Screen {
    const fn new() -> Self {
        Screen {
            bar: Mutex::new(None),
            next_id: AtomicU64::new(0),
        }
    }

    /// `bar` is on screen now; the id hides it again.
    fn show(&self, bar: ProgressBar) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        *self.bar.lock().unwrap_or_else(|e| e.into_inner()) = Some((id, bar));
        id
    }

    /// The bar `id` is gone (a later bar that replaced it stays).
    fn hide(&self, id: u64) {
        let mut bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        if bar.as_ref().is_some_and(|(shown, _)| *shown == id) {
            *bar = None;
        }
    }

    fn suspended<R>(&self, f: impl FnOnce() -> R) -> R {
        // Cloned out so the registry lock is not held while the bar draws.
        let bar = self
            .bar
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|(_, b)| b.clone());
        match bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indicatif::TermLike;
    use std::sync::Arc;

    /// A terminal that records what is done to it, and what the "log" writes in between.
    #[derive(Debug, Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<String>>>);

    impl Recorder {
        fn push(&self, op: impl Into<String>) {
            self.0.lock().unwrap().push(op.into());
        }
        fn ops(&self) -> Vec<String> {
            self.0.lock().unwrap().clone()
        }
    }

    impl TermLike for Recorder {
        fn width(&self) -> u16 {
            100
        }
        fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
            self.push(format!("up {n}"));
            Ok(())
        }
        fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
            self.push(format!("down {n}"));
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.push(format!("draw {s}"));
            Ok(())
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.push(format!("draw {s}"));
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            self.push("clear");
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn rates_are_whole_numbers_per_minute() {
        assert_eq!(per_minute(12.9508 * 60.0), "777/min");
        assert_eq!(per_minute(742.4), "742/min");
        assert_eq!(per_minute(0.0), "0/min");
        assert_eq!(per_minute(f64::NAN), "0/min");
        assert_eq!(per_minute(-3.0), "0/min");
    }

    #[test]
    fn a_log_line_is_written_with_the_bar_cleared_then_the_bar_comes_back() {
        static SCREEN: Screen = Screen::new();
        let term = Recorder::default();
        let target = ProgressDrawTarget::term_like(Box::new(term.clone()));
        let progress = Progress::drawn_on(target, 10, &SCREEN);
        progress.advance(|| "uploaded 1".into());
        progress.bar.tick();
        SCREEN.suspended(|| term.push("LOG warning: a line"));
        let ops = term.ops();
        let log = ops.iter().position(|o| o.starts_with("LOG")).unwrap();
        let last_draw = ops[..log].iter().rposition(|o| o.starts_with("draw"));
        let last_clear = ops[..log].iter().rposition(|o| o == "clear");
        assert!(
            last_draw.is_some() && last_clear > last_draw,
            "the bar was on screen and cleared before the line: {ops:?}"
        );
        assert!(
            ops[log + 1..].iter().any(|o| o.contains("1/10")),
            "the bar is drawn again after the line: {ops:?}"
        );
        assert!(
            ops.iter().any(|o| o.contains("/min")),
            "the bar shows a rate per minute: {ops:?}"
        );
        drop(progress);
    }

    #[test]
    fn a_finished_bar_is_not_suspended_for_later_lines() {
        static SCREEN: Screen = Screen::new();
        let term = Recorder::default();
        let target = ProgressDrawTarget::term_like(Box::new(term.clone()));
        let progress = Progress::drawn_on(target, 3, &SCREEN);
        progress.finish();
        let before = term.ops().len();
        SCREEN.suspended(|| term.push("LOG"));
        assert_eq!(
            term.ops()[before..],
            ["LOG".to_string()],
            "nothing drawn around it"
        );
    }

    #[test]
    fn hiding_an_old_bar_keeps_the_newer_one() {
        let screen = Screen::new();
        let old = screen.show(ProgressBar::hidden());
        let new = screen.show(ProgressBar::hidden());
        screen.hide(old);
        assert_eq!(screen.bar.lock().unwrap().as_ref().map(|(id, _)| *id), Some(new));
    }
}
