//! `ykprov manpage --out DIR`: `ykprov.1` and one page per subcommand (`ykprov-upload.1`,
//! `ykprov-config-show.1`), rendered by clap_mangen from the same clap definition the parser
//! uses, so the pages never drift from the flags. Each page then gets the sections clap does not
//! know: EXIT STATUS from the command's exit-code table (the one its `--help` ends with),
//! ENVIRONMENT, FILES and EXAMPLES from `cli::manual`.

use super::Outcome;
use crate::cli::{exit_codes, manual, Cli, ManpageArgs};
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
    collect(&cmd, "", &mut out)?;
    Ok(out)
}

fn collect(cmd: &clap::Command, path: &str, out: &mut Vec<(String, String)>) -> std::io::Result<()> {
    let source = format!("ykprov {}", env!("CARGO_PKG_VERSION"));
    // The exit-code table after --help becomes EXIT STATUS here, not clap_mangen's EXTRA section.
    let bare = cmd.clone().after_help(None::<&'static str>);
    let man = Man::new(bare).source(source).manual("ykprov manual");
    let mut page = Vec::new();
    man.render(&mut page)?;
    let mut text = th_first(&String::from_utf8_lossy(&page));
    text.push_str(&sections(path));
    out.push((man.get_filename(), text));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let sub_path = format!("{path} {}", sub.get_name());
        collect(sub, sub_path.trim(), out)?;
    }
    Ok(())
}

/// EXIT STATUS, ENVIRONMENT, FILES and EXAMPLES, in man-pages(7)'s order, as roff without the
/// preamble (the page already has it).
fn sections(path: &str) -> String {
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in exit_codes::table(path).unwrap_or_default() {
        roff.control("TP", [])
            .text([bold(code.to_string())])
            .text([roman(*meaning)]);
    }
    roff.control("SH", ["ENVIRONMENT"]);
    for (var, meaning) in manual::environment(path) {
        roff.control("TP", []).text([bold(var)]).text([roman(meaning)]);
    }
    roff.control("SH", ["FILES"]);
    for (file, meaning) in manual::files(path) {
        roff.control("TP", []).text([bold(file)]).text([roman(meaning)]);
    }
    roff.control("SH", ["EXAMPLES"]);
    for example in manual::examples(path) {
        roff.control("PP", [])
            .control("nf", [])
            .text([roman(*example)])
            .control("fi", []);
    }
    let text = roff.render();
    match text.find(".SH") {
        Some(i) => text[i..].to_string(),
        None => text,
    }
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
    use clap::Parser;

    #[test]
    fn every_page_starts_with_its_title_line() {
        let pages = pages(Cli::command()).unwrap();
        assert_eq!(pages[0].0, "ykprov.1");
        for (name, text) in &pages {
            assert!(text.starts_with(".TH "), "{name} starts with {:?}", &text[..20]);
            assert_eq!(text.matches(".TH ").count(), 1, "{name}");
            assert_eq!(
                text.matches(".ds Aq").count(),
                2,
                "{name} keeps one apostrophe preamble"
            );
        }
        assert!(
            pages.iter().all(|(n, _)| !n.contains("help")),
            "no page for clap's help subcommand"
        );
    }

    #[test]
    fn every_page_has_its_exit_status_environment_files_and_examples() {
        let pages = pages(Cli::command()).unwrap();
        assert!(pages.len() > 20, "{} pages", pages.len());
        for (name, text) in &pages {
            let path = name
                .trim_end_matches(".1")
                .trim_start_matches("ykprov")
                .replace('-', " ");
            let path = path.trim();
            for section in ["EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES"] {
                assert_eq!(
                    text.matches(&format!(".SH \"{section}\"")).count()
                        + text.matches(&format!(".SH {section}\n")).count(),
                    1,
                    "{name}: {section}"
                );
            }
            assert!(
                !text.contains(".SH EXTRA"),
                "{name} repeats the exit codes as EXTRA"
            );
            let codes = exit_codes::table(path).unwrap_or_else(|| panic!("{name}: no exit-code table"));
            let exit = &text[text.find("EXIT STATUS").unwrap()..text.find("ENVIRONMENT").unwrap()];
            for (code, _) in codes {
                assert!(
                    exit.contains(&format!("\\fB{code}\\fR")),
                    "{name}: {code} in {exit}"
                );
            }
            assert!(!manual::examples(path).is_empty(), "{name}: no examples");
            assert!(text.contains("ykprov"), "{name}");
        }
        let upload = &pages.iter().find(|(n, _)| n == "ykprov-upload.1").unwrap().1;
        assert!(
            upload.contains("OKTA_CLIENT_TOKEN") && upload.contains("okta.yaml"),
            "{upload}"
        );
        assert!(upload.contains("\\fB130\\fR"), "{upload}");
    }

    #[test]
    fn every_example_parses() {
        let mut cmd = Cli::command().disable_help_subcommand(true);
        cmd.build();
        let mut paths = vec![String::new()];
        for sub in cmd.get_subcommands() {
            paths.push(sub.get_name().to_owned());
            paths.extend(
                sub.get_subcommands()
                    .map(|s| format!("{} {}", sub.get_name(), s.get_name())),
            );
        }
        for path in paths {
            for example in manual::examples(&path) {
                for command in example.split("&&") {
                    let words: Vec<&str> = command.split_whitespace().take_while(|w| *w != ">").collect();
                    if let Err(e) = Cli::try_parse_from(&words) {
                        panic!("`{example}` (ykprov {path}): {e}");
                    }
                }
            }
        }
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
