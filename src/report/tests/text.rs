//! The CSV, Markdown and HTML formats of the fixed report, locked.

use super::*;

#[test]
fn csv_snapshot() {
    insta::assert_snapshot!(text(&fixed_report(), ReportFormat::Csv), @r#"
    serial,line,outcome,attempts,at,tokenId,status,category,user,requestId,httpStatus,errorCode,error,causes,confirmedByLookup,runId
    000000000001,1,uploaded,1,2026-11-20T10:00:01.400Z,ykk1,UNASSIGNED,unassigned,,req-1,,,,,,0123456789abcdef
    000000000002,2,uploaded,2,2026-11-20T10:00:04.000Z,ykk2,ACTIVE,active,bob@acme.example,,,,,,true,0123456789abcdef
    000000000003,3,already_present,,2026-11-20T10:00:04.000Z,ykk3,BLOCKED,blocked,carol@acme.example,,,,,,,0123456789abcdef
    000000000004,4,rejected,1,2026-11-20T10:00:05.000Z,,,missing,,req-4,400,E0000001,Api validation failed: factorProfile,'=cmd|' /C calc'!A0 | serial number is invalid,,0123456789abcdef
    000000000005,5,failed,2,2026-11-20T10:00:07.000Z,,,missing,,req-5,,,HTTP 503 <Service Unavailable>,,,0123456789abcdef
    000000000006,6,in_doubt,1,,,,,,,,,,,,0123456789abcdef
    000000000008,8,,,,ykk8,REVOKED,revoked,,,,,,,,
    ,7,invalid,,2026-11-20T10:00:00.100Z,,,,,,,,AES key: must be 32 hex digits,,,0123456789abcdef
    "#);
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(text(&fixed_report(), ReportFormat::Md), @r#"
    # ykprov audit report

    Generated 2026-11-20T12:00:00.000Z by ykprov 0.1.0; journals: upload.jsonl.

    **5 things need action.**

    - 2 key(s) in the seed files are not in Okta: `ykprov repair --org https://acme.okta.com seeds.csv` (shows the plan and asks before it uploads them)
    - 1 token(s) BLOCKED: enrolled by a user who is no longer active: `ykprov repair --reissue-blocked --org https://acme.okta.com seeds.csv` (deletes the BLOCKED token of each deactivated user and uploads its seed again (a key of a user still active is held); it shows the plan and asks first)
    - 1 key(s) uploaded once and removed in Okta since: `ykprov retire --reason <lost|stolen|destroyed|returned|other> --org https://acme.okta.com 000000000008` (records why they left service (no Okta call); uploading one again is a person's decision, never the default)
    - 1 invalid row(s) in the seed files: `ykprov validate seeds.csv` (names each bad field; open the original file from the programming tool, not a copy Excel saved)
    - 1 row(s) refused by Okta (the Serials section gives each refusal's error code and summary)

    Changes in Okta: 2 uploaded, 0 token(s) deleted, 0 factor(s) unenrolled, 0 key(s) revoked.

    ## Runs

    | Run | Operator | Okta identity | Org | Input | SHA-256 | Started | Ended | Options | Finished |
    |---|---|---|---|---|---|---|---|---|---|
    | 0123456789abcdef | alice@provisioner | alice.admin@acme.example (SSWS token) | https://acme.okta.com | seeds.csv | `9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08` | 2026-11-20T10:00:00.000Z | 2026-11-20T10:00:09.000Z | concurrency=4, format=yubico, last_wins=false, max_attempts=6, rate.mode=fixed, rate.per_minute=120, skip_invalid=true | yes |

    ## Outcomes

    | Outcome | Count |
    |---|---:|
    | uploaded | 2 |
    | already_present | 1 |
    | rejected | 1 |
    | failed | 1 |
    | invalid | 1 |
    | in_doubt | 1 |

    ## Anomalies

    - 429 responses: 2 rate limit, 0 concurrency limit
    - Retries: 2
    - In-doubt lookups: 1
    - Uploads confirmed by lookup after a lost answer (1): 000000000002
    - Sent more than once (2): 000000000002 (2 attempts), 000000000005 (2 attempts)
    - Still in doubt (request sent, no outcome) (1): 000000000006

    ## Reconciliation

    Against https://acme.okta.com at 2026-11-20T11:00:00.000Z, scope file, stale after 90 days, 4 tokens in Okta; files: seeds.csv (`9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`).

    | Category | Count | Needs action |
    |---|---:|---|
    | missing | 2 | yes |
    | blocked | 1 | yes |
    | revoked | 1 |  |
    | stale | 0 |  |
    | unexpected | 0 |  |
    | other | 0 |  |
    | invalid | 1 | yes |
    | active | 1 |  |
    | unassigned | 1 |  |

    ### Needs action

    | Serial | Category | Status | Token id | User | File:line |
    |---|---|---|---|---|---|
    | 000000000004 | missing |  |  |  | seeds.csv:4 |
    | 000000000005 | missing |  |  |  | seeds.csv:5 |
    | 000000000003 | blocked | BLOCKED | ykk3 | carol@acme.example | seeds.csv:3 |
    | 000000000008 | revoked | REVOKED | ykk8 |  | seeds.csv:8 |

    ### Invalid rows

    | File | Line | Serial | Field | Reason |
    |---|---:|---|---|---|
    | seeds.csv | 7 |  | AES key | must be 32 hex digits |

    ## Serials

    | Serial | Outcome | Token id | Status | User | Request id | Error code | Error and causes |
    |---|---|---|---|---|---|---|---|
    | 000000000001 | uploaded | ykk1 | UNASSIGNED |  | req-1 |  |  |
    | 000000000002 | uploaded (confirmed by lookup) | ykk2 | ACTIVE | bob@acme.example |  |  |  |
    | 000000000003 | already_present | ykk3 | BLOCKED | carol@acme.example |  |  |  |
    | 000000000004 | rejected |  |  |  | req-4 | E0000001 | Api validation failed: factorProfile; =cmd\|' /C calc'!A0; serial number is invalid |
    | 000000000005 | failed |  |  |  | req-5 |  | HTTP 503 &lt;Service Unavailable> |
    | 000000000006 | in_doubt |  |  |  |  |  |  |
    | 000000000008 |  | ykk8 | REVOKED |  |  |  |  |
    | (line 7) | invalid |  |  |  |  |  | AES key: must be 32 hex digits |

    ---

    This report contains no secrets: only serial numbers, outcomes, Okta ids, users and request ids. Seeds (AES keys, private ids, access codes) are never read into it. ykprov 0.1.0.
    "#);
}

/// The page from its header on, a line per block, without the charts' SVG (the browser check
/// counts their bars).
fn html_blocks(html: &str) -> String {
    let body = &html[html.find("<header>").expect("a header")..];
    let charts = body.find(r#"<div class="charts">"#).expect("charts");
    let runs = body.find(r#"<section id="runs">"#).expect("runs");
    let mut out = format!(
        "{}<div class=\"charts\">…</div></section>\n{}",
        &body[..charts],
        &body[runs..]
    );
    for tag in [
        "<tr>",
        "<details",
        "<summary>",
        "<section",
        "<h2>",
        "<h3>",
        "<dl",
        "<dt>",
        "<p",
        "<div",
        "<footer",
    ] {
        out = out.replace(&format!("><{}", &tag[1..]), &format!(">\n{tag}"));
    }
    out
}

#[test]
#[allow(clippy::too_many_lines)] // an inline snapshot is one long literal
fn html_snapshot() {
    insta::assert_snapshot!(html_blocks(&text(&fixed_report(), ReportFormat::Html)), @r#"
    <header><h1>ykprov audit report</h1>
    <p class="meta">Generated 2026-11-20T12:00:00.000Z by ykprov 0.1.0; journals: upload.jsonl.</p></header>
    <section id="verdict" class="verdict needs-action">
    <h2>5 things need action.</h2><ol><li id="verdict-missing"><b>2 key(s) in the seed files are not in Okta</b>
    <pre class="cmd"><code>ykprov repair --org https://acme.okta.com seeds.csv</code></pre><span class="note">shows the plan and asks before it uploads them</span></li><li id="verdict-blocked"><b>1 token(s) BLOCKED: enrolled by a user who is no longer active</b>
    <pre class="cmd"><code>ykprov repair --reissue-blocked --org https://acme.okta.com seeds.csv</code></pre><span class="note">deletes the BLOCKED token of each deactivated user and uploads its seed again (a key of a user still active is held); it shows the plan and asks first</span></li><li id="verdict-removed"><b>1 key(s) uploaded once and removed in Okta since</b>
    <pre class="cmd"><code>ykprov retire --reason &lt;lost|stolen|destroyed|returned|other&gt; --org https://acme.okta.com 000000000008</code></pre><span class="note">records why they left service (no Okta call); uploading one again is a person&#39;s decision, never the default</span></li><li id="verdict-invalid"><b>1 invalid row(s) in the seed files</b>
    <pre class="cmd"><code>ykprov validate seeds.csv</code></pre><span class="note">names each bad field; open the original file from the programming tool, not a copy Excel saved</span></li><li id="verdict-rejected"><b>1 row(s) refused by Okta</b><span class="note">the Serials section gives each refusal&#39;s error code and summary</span></li></ol>
    <p id="changes">Changes in Okta: 2 uploaded, 0 token(s) deleted, 0 factor(s) unenrolled, 0 key(s) revoked.</p></section>
    <section id="outcomes">
    <h2>Outcomes</h2>
    <div class="stats">
    <div class="stat" id="count-uploaded" style="--c:#2e7d32"><b>2</b>uploaded</div>
    <div class="stat destructive" id="count-tokens-deleted" style="--c:#b71c1c"><b>0</b>tokens deleted</div>
    <div class="stat destructive" id="count-factors-unenrolled" style="--c:#b71c1c"><b>0</b>factors unenrolled</div>
    <div class="stat destructive" id="count-keys-revoked" style="--c:#b71c1c"><b>0</b>keys revoked</div>
    <div class="stat" id="count-already_present" style="--c:#1565c0"><b>1</b>already present</div>
    <div class="stat" id="count-rejected" style="--c:#c62828"><b>1</b>rejected</div>
    <div class="stat" id="count-failed" style="--c:#ef6c00"><b>1</b>failed</div>
    <div class="stat" id="count-invalid" style="--c:#6a1b9a"><b>1</b>invalid</div>
    <div class="stat" id="count-in_doubt" style="--c:#8d6e63"><b>1</b>in doubt</div></div>
    <div class="charts">…</div></section>
    <section id="runs">
    <h2>Runs</h2>
    <h3>Run <span class="id">0123456789abcdef</span></h3>
    <dl class="kv">
    <dt>Operator</dt><dd>alice@provisioner</dd>
    <dt>Okta identity</dt><dd>alice.admin@acme.example (SSWS token)</dd>
    <dt>Org</dt><dd>https://acme.okta.com</dd>
    <dt>Input</dt><dd>seeds.csv</dd>
    <dt>SHA-256</dt><dd><code>9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08</code></dd>
    <dt>Started</dt><dd>2026-11-20T10:00:00.000Z</dd>
    <dt>Ended</dt><dd>2026-11-20T10:00:09.000Z</dd>
    <dt>Options</dt><dd>concurrency=4, format=yubico, last_wins=false, max_attempts=6, rate.mode=fixed, rate.per_minute=120, skip_invalid=true</dd>
    <dt>Finished</dt><dd>yes</dd>
    <dt>Pace limit</dt><dd>120/min</dd>
    <dt>Tool version</dt><dd>0.1.0</dd>
    <dt>Journal</dt><dd>upload.jsonl</dd></dl>
    </section>
    <section id="anomalies">
    <h2>Anomalies</h2>
    <dl class="kv">
    <dt>429 rate limit</dt><dd id="anomaly-rate-limited">2</dd>
    <dt>429 concurrency limit</dt><dd>0</dd>
    <dt>Retries</dt><dd>2</dd>
    <dt>In-doubt lookups</dt><dd>1</dd></dl>
    <details open>
    <summary>Uploads confirmed by lookup after a lost answer (1)</summary>
    <p class="id"><span class="serial">000000000002</span></p></details>
    <details open>
    <summary>Sent more than once (2)</summary>
    <p class="id"><span class="serial">000000000002 (2 attempts)</span>, <span class="serial">000000000005 (2 attempts)</span></p></details>
    <details open>
    <summary>Still in doubt (request sent, no outcome) (1)</summary>
    <p class="id"><span class="serial">000000000006</span></p></details>
    </section>
    <section id="reconciliation">
    <h2>Reconciliation</h2>
    <p>Against https://acme.okta.com at 2026-11-20T11:00:00.000Z, scope file, stale after 90 days, 4 tokens in Okta; files: seeds.csv (<code>9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08</code>).</p>
    <div class="scroll"><table><thead>
    <tr><th>Category</th><th class="num">Count</th><th>Needs action</th></tr></thead><tbody>
    <tr><td data-label="Category">missing</td><td class="num" data-label="Count" id="category-missing">2</td><td data-label="Needs action"><span class="action">yes</span></td></tr>
    <tr><td data-label="Category">blocked</td><td class="num" data-label="Count" id="category-blocked">1</td><td data-label="Needs action"><span class="action">yes</span></td></tr>
    <tr><td data-label="Category">revoked</td><td class="num" data-label="Count" id="category-revoked">1</td><td data-label="Needs action"></td></tr>
    <tr><td data-label="Category">stale</td><td class="num" data-label="Count" id="category-stale">0</td><td data-label="Needs action"></td></tr>
    <tr><td data-label="Category">unexpected</td><td class="num" data-label="Count" id="category-unexpected">0</td><td data-label="Needs action"></td></tr>
    <tr><td data-label="Category">other</td><td class="num" data-label="Count" id="category-other">0</td><td data-label="Needs action"></td></tr>
    <tr><td data-label="Category">invalid</td><td class="num" data-label="Count" id="category-invalid">1</td><td data-label="Needs action"><span class="action">yes</span></td></tr>
    <tr><td data-label="Category">active</td><td class="num" data-label="Count" id="category-active">1</td><td data-label="Needs action"></td></tr>
    <tr><td data-label="Category">unassigned</td><td class="num" data-label="Count" id="category-unassigned">1</td><td data-label="Needs action"></td></tr></tbody></table></div>
    <details open>
    <summary>missing (2)</summary>
    <div class="scroll"><table><thead>
    <tr><th>Serial</th><th>Status</th><th>Token id</th><th>User</th><th>File:line</th></tr></thead><tbody>
    <tr><td class="id serial" data-label="Serial">000000000004</td><td data-label="Status"></td><td class="id" data-label="Token id"></td><td data-label="User"></td><td data-label="File:line">seeds.csv:4</td></tr>
    <tr><td class="id serial" data-label="Serial">000000000005</td><td data-label="Status"></td><td class="id" data-label="Token id"></td><td data-label="User"></td><td data-label="File:line">seeds.csv:5</td></tr></tbody></table></div></details>
    <details open>
    <summary>blocked (1)</summary>
    <div class="scroll"><table><thead>
    <tr><th>Serial</th><th>Status</th><th>Token id</th><th>User</th><th>File:line</th></tr></thead><tbody>
    <tr><td class="id serial" data-label="Serial">000000000003</td><td data-label="Status">BLOCKED</td><td class="id" data-label="Token id">ykk3</td><td data-label="User">carol@acme.example</td><td data-label="File:line">seeds.csv:3</td></tr></tbody></table></div></details>
    <details open>
    <summary>revoked (1)</summary>
    <div class="scroll"><table><thead>
    <tr><th>Serial</th><th>Status</th><th>Token id</th><th>User</th><th>File:line</th></tr></thead><tbody>
    <tr><td class="id serial" data-label="Serial">000000000008</td><td data-label="Status">REVOKED</td><td class="id" data-label="Token id">ykk8</td><td data-label="User"></td><td data-label="File:line">seeds.csv:8</td></tr></tbody></table></div></details>
    <details open>
    <summary>Invalid rows (1)</summary>
    <div class="scroll"><table><thead>
    <tr><th>File</th><th class="num">Line</th><th>Serial</th><th>Field</th><th>Reason</th></tr></thead><tbody>
    <tr><td data-label="File">seeds.csv</td><td class="num" data-label="Line">7</td><td class="id serial" data-label="Serial"></td><td data-label="Field">AES key</td><td data-label="Reason">must be 32 hex digits</td></tr></tbody></table></div></details>
    </section>
    <section id="serials">
    <h2>Serials</h2>
    <p class="note">8 serials, grouped by outcome. Groups over 50 rows start collapsed; each shows at most 300 rows.</p>
    <details open>
    <summary>uploaded (2)</summary>
    <div class="scroll"><table><thead>
    <tr><th>Serial</th><th class="num">Line</th><th>Outcome</th><th class="num">Attempts</th><th>Token id</th><th>Status</th><th>User</th><th>Request id</th><th>Error code</th><th>Error and causes</th></tr></thead><tbody>
    <tr><td class="id serial" data-label="Serial">000000000001</td><td class="num" data-label="Line">1</td><td data-label="Outcome">uploaded</td><td class="num" data-label="Attempts">1</td><td class="id" data-label="Token id">ykk1</td><td data-label="Status">UNASSIGNED</td><td data-label="User"></td><td class="id" data-label="Request id">req-1</td><td data-label="Error code"></td><td data-label="Error and causes"></td></tr>
    <tr><td class="id serial" data-label="Serial">000000000002</td><td class="num" data-label="Line">2</td><td data-label="Outcome">uploaded (confirmed by lookup)</td><td class="num" data-label="Attempts">2</td><td class="id" data-label="Token id">ykk2</td><td data-label="Status">ACTIVE</td><td data-label="User">bob@acme.example</td><td class="id" data-label="Request id"></td><td data-label="Error code"></td><td data-label="Error and causes"></td></tr></tbody></table></div></details>
    <details open>
    <summary>already present (1)</summary>
    <div class="scroll"><table><thead>
    <tr><th>Serial</th><th class="num">Line</th><th>Outcome</th><th class="num">Attempts</th><th>Token id</th><th>Status</th><th>User</th><th>Request id</th><th>Error code</th><th>Error and causes</th></tr></thead><tbody>
    <tr><td class="id serial" data-label="Serial">000000000003</td><td class="num" data-label="Line">3</td><td data-label="Outcome">already_present</td><td class="num" data-label="Attempts"></td><td class="id" data-label="Token id">ykk3</td><td data-label="Status">BLOCKED</td><td data-label="User">carol@acme.example</td><td class="id" data-label="Request id"></td><td data-label="Error code"></td><td data-label="Error and causes"></td></tr></tbody></table></div></details>
    <details open>
    <summary>rejected (1)</summary>
    <div class="scroll"><table><thead>
    <tr><th>Serial</th><th class="num">Line</th><th>Outcome</th><th class="num">Attempts</th><th>Token id</th><th>Status</th><th>User</th><th>Request id</th><th>Error code</th><th>Error and causes</th></tr></thead><tbody>
    <tr><td class="id serial" data-label="Serial">000000000004</td><td class="num" data-label="Line">4</td><td data-label="Outcome">rejected</td><td class="num" data-label="Attempts">1</td><td class="id" data-label="Token id"></td><td data-label="Status"></td><td data-label="User"></td><td class="id" data-label="Request id">req-4</td><td data-label="Error code">E0000001</td><td data-label="Error and causes">Api validation failed: factorProfile; =cmd|&#39; /C calc&#39;!A0; serial number is invalid</td></tr></tbody></table></div></details>
    <details open>
    <summary>failed (1)</summary>
    <div class="scroll"><table><thead>
    <tr><th>Serial</th><th class="num">Line</th><th>Outcome</th><th class="num">Attempts</th><th>Token id</th><th>Status</th><th>User</th><th>Request id</th><th>Error code</th><th>Error and causes</th></tr></thead><tbody>
    <tr><td class="id serial" data-label="Serial">000000000005</td><td class="num" data-label="Line">5</td><td data-label="Outcome">failed</td><td class="num" data-label="Attempts">2</td><td class="id" data-label="Token id"></td><td data-label="Status"></td><td data-label="User"></td><td class="id" data-label="Request id">req-5</td><td data-label="Error code"></td><td data-label="Error and causes">HTTP 503 &lt;Service Unavailable&gt;</td></tr></tbody></table></div></details>
    <details open>
    <summary>invalid (1)</summary>
    <div class="scroll"><table><thead>
    <tr><th>Serial</th><th class="num">Line</th><th>Outcome</th><th class="num">Attempts</th><th>Token id</th><th>Status</th><th>User</th><th>Request id</th><th>Error code</th><th>Error and causes</th></tr></thead><tbody>
    <tr><td class="id serial" data-label="Serial">(line 7)</td><td class="num" data-label="Line">7</td><td data-label="Outcome">invalid</td><td class="num" data-label="Attempts"></td><td class="id" data-label="Token id"></td><td data-label="Status"></td><td data-label="User"></td><td class="id" data-label="Request id"></td><td data-label="Error code"></td><td data-label="Error and causes">AES key: must be 32 hex digits</td></tr></tbody></table></div></details>
    <details open>
    <summary>in doubt (1)</summary>
    <div class="scroll"><table><thead>
    <tr><th>Serial</th><th class="num">Line</th><th>Outcome</th><th class="num">Attempts</th><th>Token id</th><th>Status</th><th>User</th><th>Request id</th><th>Error code</th><th>Error and causes</th></tr></thead><tbody>
    <tr><td class="id serial" data-label="Serial">000000000006</td><td class="num" data-label="Line">6</td><td data-label="Outcome">in_doubt</td><td class="num" data-label="Attempts">1</td><td class="id" data-label="Token id"></td><td data-label="Status"></td><td data-label="User"></td><td class="id" data-label="Request id"></td><td data-label="Error code"></td><td data-label="Error and causes"></td></tr></tbody></table></div></details>
    <details open>
    <summary>not in the journals (reconciliation only) (1)</summary>
    <div class="scroll"><table><thead>
    <tr><th>Serial</th><th class="num">Line</th><th>Outcome</th><th class="num">Attempts</th><th>Token id</th><th>Status</th><th>User</th><th>Request id</th><th>Error code</th><th>Error and causes</th></tr></thead><tbody>
    <tr><td class="id serial" data-label="Serial">000000000008</td><td class="num" data-label="Line">8</td><td data-label="Outcome"></td><td class="num" data-label="Attempts"></td><td class="id" data-label="Token id">ykk8</td><td data-label="Status">REVOKED</td><td data-label="User"></td><td class="id" data-label="Request id"></td><td data-label="Error code"></td><td data-label="Error and causes"></td></tr></tbody></table></div></details>
    </section>
    <footer id="footer">
    <p>This report contains no secrets: only serial numbers, outcomes, Okta ids, users and request ids. Seeds (AES keys, private ids, access codes) are never read into it. ykprov 0.1.0.</p></footer>
    </main></body></html>
    "#);
}

/// A key revoked and uploaded again: its status cell says so in every format, and the
/// reconciliation lists it apart. (Without history, the snapshots above are unchanged.)
#[test]
fn a_key_uploaded_again_is_shown_with_its_history() {
    let mut rec = reconcile_result();
    rec.reconciliation.items[0].history = vec!["REVOKED".into()];
    let r = build(&[], Some(&rec)).unwrap();
    let summary = r.reconciliation.as_ref().unwrap();
    assert_eq!(summary.uploaded_again.len(), 1);
    let cell = "UNASSIGNED (revoked, uploaded again)";
    let md = text(&r, ReportFormat::Md);
    assert!(md.contains("### Uploaded again") && md.contains(cell), "{md}");
    let html = text(&r, ReportFormat::Html);
    assert!(html.contains("Uploaded again") && html.contains(cell), "{html}");
    assert!(text(&r, ReportFormat::Csv).contains(cell));
    assert!(text(&r, ReportFormat::Json).contains("\"uploadedAgain\""));
    let plain = build(&[], Some(&reconcile_result())).unwrap();
    assert!(!text(&plain, ReportFormat::Json).contains("uploadedAgain"));
}
