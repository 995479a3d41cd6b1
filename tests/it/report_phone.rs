//! The HTML report on a phone, measured in headless Chromium at 390 CSS px: no horizontal scroll,
//! no serial wrapped onto a second line, every chart label at 11 px or more, tables stacked.
//!
//! Headless Chromium will not make a window narrower than 500 px, so the report is loaded into a
//! 390 px `<iframe srcdoc>` (same origin as its wrapper, so its layout can be read): its media
//! queries see a 390 px viewport, as a phone's would. The measuring script lives in the wrapper,
//! never in the report, which stays script-free. It writes what it measured into the DOM, and
//! `--dump-dom` brings that back. A screenshot of the wrapper is kept for a person to look at.

use crate::helpers::TestDir;
use serde::Deserialize;
use std::path::Path;
use std::process::Command;
use ykprov::report::{self, ReportFormat};

/// What the wrapper's script measured inside the 390 px frame.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Measured {
    /// The frame's viewport width (CSS px).
    viewport: f64,
    /// `document.documentElement.scrollWidth`.
    scroll_width: f64,
    /// Elements whose right edge is past the viewport (`tag.class:right`).
    too_wide: Vec<String>,
    /// Serial elements measured.
    serials: usize,
    /// Serials laid out on more than one line (`text:lines`).
    wrapped: Vec<String>,
    /// SVG text elements measured.
    labels: usize,
    /// Chart labels under 11 px as drawn (`text:px`).
    small_labels: Vec<String>,
    /// Chart labels cut by the viewport's edges.
    clipped_labels: Vec<String>,
    /// Table rows shown as blocks (stacked).
    stacked_rows: usize,
    /// Table rows still laid out as table rows.
    table_rows: usize,
}

/// Opens every group, then measures. Serial lines are counted with a Range's client rects: one
/// rect per line box the text occupies.
const MEASURE: &str = r#"<script>
window.addEventListener('load', function () {
  var f = document.getElementById('phone'), w = f.contentWindow, doc = f.contentDocument;
  doc.querySelectorAll('details').forEach(function (d) { d.open = true; });
  var vw = w.innerWidth, m = {viewport: vw, scrollWidth: doc.documentElement.scrollWidth,
    tooWide: [], serials: 0, wrapped: [], labels: 0, smallLabels: [], clippedLabels: [],
    stackedRows: 0, tableRows: 0};
  doc.querySelectorAll('body *').forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.right > vw + 0.5) m.tooWide.push(e.tagName + '.' + e.className + ':' + r.right.toFixed(0));
  });
  doc.querySelectorAll('.serial').forEach(function (e) {
    var range = doc.createRange(); range.selectNodeContents(e);
    var lines = range.getClientRects().length;
    m.serials++;
    if (lines !== 1) m.wrapped.push(e.textContent + ':' + lines);
  });
  doc.querySelectorAll('svg.chart text').forEach(function (t) {
    var px = parseFloat(w.getComputedStyle(t).fontSize) * t.getScreenCTM().a, r = t.getBoundingClientRect();
    m.labels++;
    if (px < 11) m.smallLabels.push(t.textContent + ':' + px.toFixed(1));
    if (r.left < 0 || r.right > vw) m.clippedLabels.push(t.textContent + ':' + r.left.toFixed(0) + '..' + r.right.toFixed(0));
  });
  doc.querySelectorAll('tbody tr').forEach(function (tr) {
    if (w.getComputedStyle(tr).display === 'block') m.stackedRows++; else m.tableRows++;
  });
  var pre = document.createElement('pre'); pre.id = 'measured'; pre.textContent = JSON.stringify(m);
  document.body.appendChild(pre);
});
</script>"#;

/// A page holding `report` in a 390 px frame, with the measuring script.
fn wrapper(report: &str) -> String {
    let srcdoc = report.replace('&', "&amp;").replace('"', "&quot;");
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0"><iframe id="phone" style="width:390px;height:2400px;border:0" srcdoc="{srcdoc}"></iframe>{MEASURE}</body></html>"#
    )
}

fn chromium(dir: &Path, args: &[&str], page: &Path) -> std::process::Output {
    let profile = tempfile::tempdir_in(dir).unwrap();
    Command::new("timeout")
        .arg("120")
        .arg("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--window-size=500,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap()
}

#[test]
fn on_a_390_px_phone_nothing_scrolls_sideways_no_serial_wraps_and_labels_are_legible() {
    let test = "on_a_390_px_phone_nothing_scrolls_sideways_no_serial_wraps_and_labels_are_legible";
    if crate::helpers::require_tool("chromium", test).is_none() {
        return;
    }
    let work = TestDir::new();
    let r = crate::report::sample_report(work.path());
    let html = String::from_utf8(report::render(&r, ReportFormat::Html).unwrap()).unwrap();
    assert!(!html.contains("<script"), "the report itself stays script-free");
    let page = work.write("phone.html", wrapper(&html));

    let out = chromium(work.path(), &["--dump-dom"], &page);
    let dom = String::from_utf8_lossy(&out.stdout);
    let json = dom
        .split_once(r#"<pre id="measured">"#)
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(json, _)| {
            json.replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
        })
        .unwrap_or_else(|| {
            panic!(
                "no measurement in the DOM; chromium said: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let m: Measured = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));

    assert_eq!(m.viewport, 390.0, "the frame is a 390 px viewport: {m:?}");
    assert!(m.scroll_width <= 390.0, "horizontal scroll: {m:?}");
    assert!(m.too_wide.is_empty(), "past the right edge: {:?}", m.too_wide);
    assert!(m.serials >= 200, "the sample's serials were measured: {m:?}");
    assert!(m.wrapped.is_empty(), "wrapped serials: {:?}", m.wrapped);
    assert!(m.labels >= 20, "the charts' labels were measured: {m:?}");
    assert!(
        m.small_labels.is_empty(),
        "labels under 11 px: {:?}",
        m.small_labels
    );
    assert!(
        m.clipped_labels.is_empty(),
        "labels cut off: {:?}",
        m.clipped_labels
    );
    assert!(
        m.stacked_rows > 0 && m.table_rows == 0,
        "every table row stacks into a block: {m:?}"
    );

    // The picture for a person (target/report-sample/, beside the browser check's).
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/report-sample");
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join("report-390px.png");
    let arg = format!("--screenshot={}", shot.display());
    let out = chromium(work.path(), &[&arg], &page);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "a real screenshot"
    );
}
