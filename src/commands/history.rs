//! `ykprov history SERIAL`: a key's timeline from the ledger, oldest first.

use super::ledger::open;
use super::Outcome;
use crate::cli::{GlobalArgs, HistoryArgs, TextOrJson};
use crate::ledger::chain::StoredEvent;
use crate::seed::Serial;
use serde_json::json;

/// Runs `ykprov history`.
pub fn run(args: &HistoryArgs, global: &GlobalArgs) -> anyhow::Result<Outcome> {
    let serial = super::retire::serials(std::slice::from_ref(&args.serial), None)?
        .pop()
        .unwrap_or_else(|| Serial::from_okta(&args.serial));
    let ledger = open(global)?;
    let events = ledger.history(args.org.as_deref(), &serial)?;
    let text = match args.format {
        TextOrJson::Json => {
            serde_json::to_string_pretty(&json!({"serial": serial, "events": events}))? + "\n"
        }
        TextOrJson::Text if events.is_empty() => format!("{serial}: the ledger has nothing about this key\n"),
        TextOrJson::Text => timeline(&serial, &events),
    };
    super::output::emit(None, text.as_bytes())?;
    Ok(Outcome::problems_if(events.is_empty()))
}

/// The text timeline: one line per event, the org once per change of org.
pub fn timeline(serial: &Serial, events: &[StoredEvent]) -> String {
    let mut out = format!("{serial}\n");
    let mut org = "";
    for e in events {
        if e.org != org {
            org = &e.org;
            out.push_str(&format!("  {org}\n"));
        }
        out.push_str(&format!("    {}  {:<15} {}\n", e.at, e.kind, describe(e)));
    }
    out
}

/// The event's details in words.
fn describe(e: &StoredEvent) -> String {
    let p = &e.payload;
    let s = |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    match e.kind.as_str() {
        "key_recorded" => format!("{}:{} (sha256 {})", s("file"), p["line"], short(&s("fileSha256"))),
        "upload_outcome" => format!("{} {}", s("result"), s("tokenId")).trim().to_string(),
        "status_changed" => {
            let who = [s("login"), s("userId")].into_iter().find(|v| !v.is_empty());
            let who = who.map(|w| format!(" by {w}")).unwrap_or_default();
            format!(
                "{} -> {}{who} ({})",
                p["from"].as_str().unwrap_or("first seen"),
                s("status"),
                s("tokenId")
            )
        }
        "gone" => format!("{} -> no record in Okta", s("from")),
        "retired" => format!(
            "{} by {}{}{}",
            s("reason"),
            s("operator"),
            p["ticket"]
                .as_str()
                .map(|t| format!(", ticket {t}"))
                .unwrap_or_default(),
            p["note"].as_str().map(|n| format!(": {n}")).unwrap_or_default()
        ),
        "unretired" => format!("by {}, ticket {}", s("operator"), s("ticket")),
        "repair_planned" => format!("{}: {}", s("action"), s("reason")),
        "token_deleted" => format!(
            "{} {}",
            s("tokenId"),
            p["result"]["result"].as_str().unwrap_or("")
        ),
        _ => p.to_string(),
    }
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}
