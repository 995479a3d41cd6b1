//! The one confirmation every command that writes to Okta asks before its first write
//! (`repair`, `revoke`): on a terminal, `apply N changes to ORG? [y/N]`; off one, only `--yes`
//! consents, and without it the command stops (exit 2) with nothing sent.

use std::io::{IsTerminal, Write};

/// Asks the operator whether to apply `n` changes to `org`. `Err` (exit 2) when there is no
/// terminal to ask on and no `--yes`.
pub fn ask(n: usize, org: &str, yes: bool) -> anyhow::Result<bool> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "refusing to apply {n} change(s) to {org} without a terminal to confirm on; nothing was sent. Review the plan with --dry-run, then pass --yes"
        );
    }
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "apply {n} changes to {org}? [y/N] ");
    let _ = stderr.flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}
