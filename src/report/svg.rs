//! Inline SVG charts: horizontal bars for counts, vertical bars for the requests in each Okta
//! rate-limit window against the run's share of a window. Plain strings; every label goes through [`crate::markup::html`]. Sized by `viewBox` so they
//! shrink on a phone.

use super::per_window::PerWindow;
use crate::markup::html as esc;
use std::fmt::Write as _;

/// One bar: label, value, colour.
pub struct Bar<'a> {
    /// Label left of the bar.
    pub label: &'a str,
    /// Its value.
    pub value: u64,
    /// CSS colour.
    pub color: &'a str,
}

/// Horizontal bars, one per item, with the value printed after each bar.
pub fn bars(title: &str, items: &[Bar<'_>]) -> String {
    const ROW: u32 = 26;
    const LABEL: f64 = 140.0;
    const WIDTH: f64 = 360.0;
    let height = ROW * items.len() as u32 + 8;
    let max = items.iter().map(|b| b.value).max().unwrap_or(0).max(1) as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 580 {height}" role="img" aria-label="{}"><title>{}</title>"#,
        esc(title),
        esc(title)
    );
    for (i, b) in items.iter().enumerate() {
        let y = i as u32 * ROW + 4;
        let w = if b.value == 0 {
            0.0
        } else {
            (b.value as f64 / max * WIDTH).max(2.0)
        };
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end" class="lbl">{}</text><rect x="{LABEL}" y="{y}" width="{w:.1}" height="{}" fill="{}"><title>{}: {}</title></rect><text x="{:.1}" y="{}" class="val">{}</text>"#,
            LABEL - 8.0,
            y + 14,
            esc(b.label),
            ROW - 8,
            esc(b.color),
            esc(b.label),
            b.value,
            LABEL + w + 6.0,
            y + 14,
            b.value
        );
    }
    s.push_str("</svg>");
    s
}

/// `HH:MM:SS` (UTC) of an epoch second, for the time axis and the bars' titles.
fn clock(epoch: i64) -> String {
    chrono::DateTime::from_timestamp(epoch, 0)
        .map(|t| t.format("%H:%M:%S").to_string())
        .unwrap_or_default()
}

/// The run's requests in each Okta window as bars, and its share of a window as a dashed line.
pub fn per_window(title: &str, v: &PerWindow) -> String {
    const LEFT: f64 = 48.0;
    const TOP: f64 = 14.0;
    const W: f64 = 520.0;
    const H: f64 = 160.0;
    let n = v.counts.len().max(1);
    let peak = v.counts.iter().copied().fold(0.0, f64::max);
    let top = peak.max(v.allowed.unwrap_or(0.0)).max(1.0) * 1.15;
    let y = |x: f64| TOP + H - x / top * H;
    let slot = W / n as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 580 210" role="img" aria-label="{}"><title>{}</title>"#,
        esc(title),
        esc(title)
    );
    // Axes and the y-axis scale.
    let _ = write!(
        s,
        r#"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{b}" class="axis"/><line x1="{LEFT}" y1="{b}" x2="{r}" y2="{b}" class="axis"/><text x="{lx}" y="{ty}" text-anchor="end" class="lbl">{top:.0}</text><text x="{lx}" y="{b}" text-anchor="end" class="lbl">0</text>"#,
        b = TOP + H,
        r = LEFT + W,
        lx = LEFT - 4.0,
        ty = TOP + 10.0,
    );
    let averaged = v.bar_secs > v.window_secs;
    for (i, &count) in v.counts.iter().enumerate() {
        let x = LEFT + i as f64 * slot + slot * 0.1;
        let from = v
            .start
            .map(|t| clock(t + i as i64 * v.bar_secs as i64))
            .unwrap_or_default();
        let what = if averaged {
            format!(
                "{count:.0} requests per window on average, {}-second bucket from {from}",
                v.bar_secs
            )
        } else {
            format!("{count:.0} requests in the window from {from}")
        };
        let _ = write!(
            s,
            r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{:.1}" class="bar"><title>{}</title></rect>"#,
            y(count),
            (slot * 0.8).max(0.5),
            TOP + H - y(count),
            esc(&what)
        );
    }
    if let Some(allowed) = v.allowed {
        let _ = write!(
            s,
            r#"<line x1="{LEFT}" y1="{ly:.1}" x2="{r}" y2="{ly:.1}" class="limit"/><text x="{r}" y="{ty:.1}" text-anchor="end" class="limit-lbl">share of a window: {allowed:.0}</text>"#,
            ly = y(allowed),
            r = LEFT + W,
            ty = y(allowed) - 4.0,
        );
    }
    let start = v.start.map(clock).unwrap_or_default();
    let window = if v.learned {
        format!("{}-second window", v.window_secs)
    } else {
        format!("{}-second window (Okta's, assumed)", v.window_secs)
    };
    let axis = if averaged {
        format!(
            "requests per {window}, averaged over {}-second buckets",
            v.bar_secs
        )
    } else {
        format!("requests per {window}")
    };
    let _ = write!(
        s,
        r#"<text x="{LEFT}" y="196" class="lbl">{}</text><text x="{r}" y="196" text-anchor="end" class="lbl">{}</text></svg>"#,
        esc(&start),
        esc(&axis),
        r = LEFT + W,
    );
    s
}
