//! Splitting one line into trimmed fields, with RFC 4180 quotes. Fields are byte ranges into the
//! line, or into a scratch buffer when quotes had to be removed, so a row costs no allocation
//! once the buffers have grown.

use zeroize::Zeroizing;

/// Fields kept per row; a longer row is an error, so its width is counted but not stored.
pub const MAX_FIELDS: usize = 64;

/// Strips ASCII spaces and tabs from both ends.
pub fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t'))
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !matches!(c, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    &b[start..end]
}

fn trim_range(buf: &[u8], start: usize, end: usize) -> (usize, usize) {
    let t = trim(&buf[start..end]);
    let s = start + (t.as_ptr() as usize - buf[start..].as_ptr() as usize);
    (s, s + t.len())
}

/// The fields of the last line split, reused from row to row.
#[derive(Default)]
pub struct Fields {
    ranges: Vec<(usize, usize)>,
    /// Unquoted copies of a line's fields: wiped on drop, as they may be a sealed file's plaintext.
    scratch: Zeroizing<Vec<u8>>,
    in_scratch: bool,
    count: usize,
}

impl Fields {
    /// Splits `line` on `sep`. Quoted fields may contain the separator and `""`; text after a
    /// closing quote is kept (lenient: the field check will complain about it).
    pub fn split(&mut self, line: &[u8], sep: u8) {
        self.ranges.clear();
        self.count = 0;
        self.in_scratch = memchr::memchr(b'"', line).is_some();
        if !self.in_scratch {
            let mut start = 0;
            for i in memchr::memchr_iter(sep, line) {
                self.push(line, start, i);
                start = i + 1;
            }
            self.push(line, start, line.len());
            return;
        }
        self.scratch.clear();
        // Sized once for the longest line, so it never reallocates and leaves a copy behind.
        self.scratch.reserve(line.len().max(super::source::MAX_LINE));
        let mut j = 0;
        loop {
            let out_start = self.scratch.len();
            while j < line.len() && matches!(line[j], b' ' | b'\t') {
                j += 1;
            }
            if j < line.len() && line[j] == b'"' {
                j += 1;
                while j < line.len() {
                    if line[j] == b'"' {
                        if line.get(j + 1) == Some(&b'"') {
                            self.scratch.push(b'"');
                            j += 2;
                            continue;
                        }
                        j += 1;
                        break;
                    }
                    self.scratch.push(line[j]);
                    j += 1;
                }
            }
            while j < line.len() && line[j] != sep {
                self.scratch.push(line[j]);
                j += 1;
            }
            let (s, e) = trim_range(&self.scratch, out_start, self.scratch.len());
            self.count += 1;
            if self.ranges.len() < MAX_FIELDS {
                self.ranges.push((s, e));
            }
            if j >= line.len() {
                break;
            }
            j += 1;
        }
    }

    fn push(&mut self, line: &[u8], start: usize, end: usize) {
        self.count += 1;
        if self.ranges.len() < MAX_FIELDS {
            let r = trim_range(line, start, end);
            self.ranges.push(r);
        }
    }

    /// How many fields the line had (stored or not).
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the line had no fields (never true after a split).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The bytes the fields index into: `line`, or the unquoted copy.
    pub fn buffer<'a>(&'a self, line: &'a [u8]) -> &'a [u8] {
        if self.in_scratch {
            &self.scratch
        } else {
            line
        }
    }

    /// Field `i` as a range into [`Fields::buffer`]; an empty range when the row is shorter.
    pub fn range(&self, i: usize) -> (usize, usize) {
        self.ranges.get(i).copied().unwrap_or((0, 0))
    }

    /// Field `i` (trimmed, unquoted), or empty when the row is shorter. `line` must be the line
    /// last split.
    pub fn get<'a>(&'a self, line: &'a [u8], i: usize) -> &'a [u8] {
        let buf = if self.in_scratch { &self.scratch[..] } else { line };
        self.ranges.get(i).map_or(&[][..], |&(s, e)| &buf[s..e])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str, sep: u8) -> Vec<String> {
        let mut f = Fields::default();
        f.split(line.as_bytes(), sep);
        (0..f.len())
            .map(|i| String::from_utf8_lossy(f.get(line.as_bytes(), i)).into_owned())
            .collect()
    }

    #[test]
    fn trailing_comma_gives_an_empty_last_field() {
        assert_eq!(split("1,cb,,", b','), ["1", "cb", "", ""]);
    }

    #[test]
    fn spaces_around_fields_are_trimmed() {
        assert_eq!(split(" 1 ,\tcb ", b','), ["1", "cb"]);
    }

    #[test]
    fn quoted_fields_may_hold_separators_and_doubled_quotes() {
        assert_eq!(
            split(r#""1", "a,b" ,"say ""hi""",x"#, b','),
            ["1", "a,b", r#"say "hi""#, "x"]
        );
    }

    #[test]
    fn an_unterminated_quote_runs_to_the_end_of_the_line() {
        assert_eq!(split(r#"1,"abc"#, b','), ["1", "abc"]);
    }

    #[test]
    fn wide_rows_are_counted_but_not_stored() {
        let line = ",".repeat(100);
        let mut f = Fields::default();
        f.split(line.as_bytes(), b',');
        assert_eq!(f.len(), 101);
        assert_eq!(f.get(line.as_bytes(), 100), b"");
    }
}
