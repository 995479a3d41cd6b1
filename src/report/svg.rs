//! Inline SVG charts: horizontal bars for counts, vertical bars for the request rate against the
//! pacing limit. Plain strings; every label goes through [`crate::markup::html`]. Sized by `viewBox` so they
//! shrink on a phone.

use super::RateSeries;
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

/// `HH:MM:SS` of an Okta timestamp, for the time axis.
fn clock(ts: &str) -> &str {
    ts.get(11..19).unwrap_or(ts)
}

/// The request rate per bucket (as requests per minute) and the pace limit as a dashed line.
pub fn rate(title: &str, series: &RateSeries, limit_per_minute: Option<f64>) -> String {
    const LEFT: f64 = 48.0;
    const TOP: f64 = 14.0;
    const W: f64 = 520.0;
    const H: f64 = 160.0;
    let n = series.counts.len().max(1);
    let peak = (0..series.counts.len())
        .map(|i| series.per_minute(i))
        .fold(0.0, f64::max);
    let top = peak.max(limit_per_minute.unwrap_or(0.0)).max(1.0) * 1.15;
    let y = |v: f64| TOP + H - v / top * H;
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
    for i in 0..series.counts.len() {
        let v = series.per_minute(i);
        let x = LEFT + i as f64 * slot + slot * 0.1;
        let _ = write!(
            s,
            r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{:.1}" class="bar"><title>{} requests ({v:.0}/min)</title></rect>"#,
            y(v),
            (slot * 0.8).max(0.5),
            TOP + H - y(v),
            series.counts[i]
        );
    }
    if let Some(limit) = limit_per_minute {
        let _ = write!(
            s,
            r#"<line x1="{LEFT}" y1="{ly:.1}" x2="{r}" y2="{ly:.1}" class="limit"/><text x="{r}" y="{ty:.1}" text-anchor="end" class="limit-lbl">pace limit {limit:.0}/min</text>"#,
            ly = y(limit),
            r = LEFT + W,
            ty = y(limit) - 4.0,
        );
    }
    let start = series.start.as_deref().unwrap_or("");
    let _ = write!(
        s,
        r#"<text x="{LEFT}" y="196" class="lbl">{}</text><text x="{r}" y="196" text-anchor="end" class="lbl">requests/min, {}-second buckets</text></svg>"#,
        esc(clock(start)),
        series.bucket_secs,
        r = LEFT + W,
    );
    s
}
