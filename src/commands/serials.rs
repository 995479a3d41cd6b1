//! `--serials-from FILE`: one serial per line (padded or not), blank lines and `#` comments
//! ignored. The file is untrusted input: its size is capped, every bad line is named with its
//! number, and a file naming no serial is refused, since an empty `--serial` set would mean
//! "every serial" to `repair`.

use crate::seed::Serial;
use anyhow::Context;
use std::io::Read;
use std::path::Path;

/// Larger than this is not a list of serials someone reviewed.
const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// The serials a file's text names, in order; every bad line at once, with its number.
pub fn parse(text: &str) -> Result<Vec<Serial>, String> {
    let mut serials = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        match crate::seed::SerialNumber::parse(line) {
            Ok(s) => serials.push(Serial::from(s)),
            Err(e) => problems.push(format!("line {}: `{line}` is not a YubiKey serial: {e}", i + 1)),
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    if serials.is_empty() {
        return Err("names no serial".into());
    }
    Ok(serials)
}

/// Reads and parses `--serials-from FILE`, naming the flag and the file in any error.
pub fn read(path: &Path) -> anyhow::Result<Vec<Serial>> {
    let what = || format!("--serials-from {}", path.display());
    let file = std::fs::File::open(path).with_context(what)?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(what)?;
    if bytes.len() as u64 > MAX_BYTES {
        anyhow::bail!("{}: larger than {} MiB", what(), MAX_BYTES >> 20);
    }
    let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{}: not UTF-8 text", what()))?;
    parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", what()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_comments_and_blank_lines() {
        let got = parse("# keys of INC-4711\n31000004\n\n000031000005  # the spare\n").unwrap();
        let got: Vec<&str> = got.iter().map(|s| s.as_str()).collect();
        assert_eq!(got, ["000031000004", "000031000005"]);
    }

    #[test]
    fn bad_lines_are_named_and_an_empty_list_is_refused() {
        let err = parse("31000004\nx1\n\nabc\n").unwrap_err();
        assert!(err.contains("line 2") && err.contains("line 4"), "{err}");
        assert_eq!(parse("# nothing\n\n").unwrap_err(), "names no serial");
        assert_eq!(parse("").unwrap_err(), "names no serial");
    }
}
