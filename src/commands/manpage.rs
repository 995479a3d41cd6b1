//! `ykprov manpage --out DIR`: `ykprov.1` and one page per subcommand (`ykprov-upload.1`,
//! `ykprov-config-show.1`), rendered by clap_mangen from the same clap definition the parser
//! uses, so the pages never drift from the flags. Each page also gets the exit codes.

use super::Outcome;
use crate::cli::{Cli, ManpageArgs};
use anyhow::Context;
use clap::CommandFactory;
use clap_mangen::roff::{bold, roman, Roff};
use clap_mangen::Man;

/// Runs `ykprov manpage`.
pub fn run(args: &ManpageArgs) -> anyhow::Result<Outcome> {
    let dir = &args.out;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create folder {}", dir.display()))?;
    let pages = pages(Cli::command()).context("cannot render the man pages")?;
    for (name, text) in &pages {
        let path = dir.join(name);
        // Not secret, and meant to be installed: the usual 0644, not the 0600 of our reports.
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    eprintln!("wrote {} man pages to {}", pages.len(), dir.display());
    Ok(Outcome::Clean)
}

/// Every page as (file name, roff text): the tool's, then each visible subcommand's, nested ones
/// included; no page for clap's `help` subcommand.
fn pages(cmd: clap::Command) -> std::io::Result<Vec<(String, String)>> {
    let mut cmd = cmd.disable_help_subcommand(true);
    // Building gives each subcommand its display name (`ykprov-upload`), hence its file name.
    cmd.build();
    let mut out = Vec::new();
    collect(&cmd, &mut out)?;
    Ok(out)
}

fn collect(cmd: &clap::Command, out: &mut Vec<(String, String)>) -> std::io::Result<()> {
    let source = format!("ykprov {}", env!("CARGO_PKG_VERSION"));
    let man = Man::new(cmd.clone()).source(source).manual("ykprov manual");
    let mut page = Vec::new();
    man.render(&mut page)?;
    exit_status().to_writer(&mut page)?;
    out.push((man.get_filename(), th_first(&String::from_utf8_lossy(&page))));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, out)?;
    }
    Ok(())
}

/// The EXIT STATUS section: the same codes for every command (README "Exit codes").
fn exit_status() -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in [
        ("0", "Everything uploaded or present; nothing actionable found."),
        (
            "1",
            "Finished, but rows were invalid, rejected or failed, or the reconciliation needs action.",
        ),
        (
            "2",
            "Fatal: bad usage, unreadable file, bad credentials, unreachable org, journal not writable.",
        ),
        ("130", "Interrupted by Ctrl-C after a clean shutdown."),
    ] {
        roff.control("TP", []).text([bold(code)]).text([roman(meaning)]);
    }
    roff
}

/// man-pages(7): "the first command in a man page should be TH". roff puts its apostrophe
/// preamble (`.ie \n(.g .ds Aq …`) first; the title line names no apostrophe, so it can go before.
fn th_first(page: &str) -> String {
    let Some(start) = page.find("\n.TH ").map(|i| i + 1) else {
        return page.to_string();
    };
    let end = page[start..].find('\n').map_or(page.len(), |i| start + i + 1);
    format!("{}{}{}", &page[start..end], &page[..start], &page[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_starts_with_its_title_line() {
        let pages = pages(Cli::command()).unwrap();
        assert_eq!(pages[0].0, "ykprov.1");
        for (name, text) in &pages {
            assert!(text.starts_with(".TH "), "{name} starts with {:?}", &text[..20]);
            assert_eq!(text.matches(".TH ").count(), 1, "{name}");
            assert!(text.contains(".ds Aq"), "{name} keeps the apostrophe preamble");
            assert!(text.contains("EXIT STATUS"), "{name}");
        }
        assert!(
            pages.iter().all(|(n, _)| !n.contains("help")),
            "no page for clap's help subcommand"
        );
    }

    #[test]
    fn the_title_line_moves_before_the_preamble_only() {
        assert_eq!(
            th_first(".ie x\n.el y\n.TH A 1\n.SH B\n"),
            ".TH A 1\n.ie x\n.el y\n.SH B\n"
        );
        assert_eq!(th_first(".SH B\n"), ".SH B\n");
    }
}
