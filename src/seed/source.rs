//! Bytes to lines: opens the file, hashes every raw byte as it streams past, handles the byte-order
//! mark (UTF-8, or UTF-16 from PowerShell, decoded here), and hands out one line at a time with its
//! length capped, so a file with no newlines cannot make us hold it all.
//!
//! It knows nothing about CSV or seeds; `reader` does.

use anyhow::Context;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Chain, Cursor, Read};
use std::path::Path;

/// The longest line kept in memory. A seed row is under 200 bytes; headered files with extra
/// columns get room to spare. Longer lines are reported, and the rest of them is skipped unread.
pub const MAX_LINE: usize = 16 * 1024;

/// How many bytes are sniffed for a byte-order mark and binary content.
const SNIFF: usize = 4096;

/// The text encoding, from the byte-order mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    /// UTF-8 (or ASCII) without a byte-order mark.
    Utf8,
    /// UTF-8 with a byte-order mark (Excel, Notepad).
    Utf8Bom,
    /// UTF-16 little-endian with a byte-order mark (Windows PowerShell 5.1 `Out-File`, `>>`).
    Utf16Le,
    /// UTF-16 big-endian with a byte-order mark.
    Utf16Be,
}

impl std::fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf8Bom => "UTF-8 with BOM",
            TextEncoding::Utf16Le => "UTF-16LE",
            TextEncoding::Utf16Be => "UTF-16BE",
        })
    }
}

/// Feeds every byte read into SHA-256, so the file's hash comes from the same pass as the rows.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// The sniffed prefix (minus any BOM), then the rest of the file.
type Raw = Chain<Cursor<Vec<u8>>, Hashing<File>>;

/// Decodes UTF-16 to UTF-8 chunk by chunk with `char::decode_utf16`; malformed units become
/// U+FFFD, which later fails field validation with a position instead of aborting the file.
struct Utf16<R> {
    inner: R,
    big_endian: bool,
    /// Undecoded bytes carried over: an odd byte, or a high surrogate waiting for its pair.
    carry: Vec<u8>,
    units: Vec<u16>,
    out: Vec<u8>,
    pos: usize,
    eof: bool,
}

impl<R: Read> Utf16<R> {
    fn new(inner: R, big_endian: bool) -> Self {
        Utf16 {
            inner,
            big_endian,
            carry: Vec::new(),
            units: Vec::new(),
            out: Vec::new(),
            pos: 0,
            eof: false,
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.pos = 0;
        let mut buf = [0u8; 8192];
        while self.out.is_empty() && !self.eof {
            let n = self.inner.read(&mut buf)?;
            if n == 0 {
                self.eof = true;
                if !self.carry.is_empty() {
                    self.out.extend_from_slice("\u{FFFD}".as_bytes());
                }
                break;
            }
            self.carry.extend_from_slice(&buf[..n]);
            let even = self.carry.len() & !1;
            self.units.clear();
            let be = self.big_endian;
            self.units.extend(self.carry[..even].chunks_exact(2).map(|p| {
                if be {
                    u16::from_be_bytes([p[0], p[1]])
                } else {
                    u16::from_le_bytes([p[0], p[1]])
                }
            }));
            self.carry.drain(..even);
            // A high surrogate at the end of the chunk waits for its low half in the next one.
            if let Some(&last) = self.units.last() {
                if (0xD800..0xDC00).contains(&last) {
                    self.units.pop();
                    let bytes = if be {
                        last.to_be_bytes()
                    } else {
                        last.to_le_bytes()
                    };
                    self.carry.splice(0..0, bytes);
                }
            }
            for c in char::decode_utf16(self.units.iter().copied()) {
                let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
                let mut b = [0u8; 4];
                self.out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Utf16<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.out.len() {
            self.fill()?;
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

enum Source {
    Plain(Raw),
    Utf16(Utf16<Raw>),
}

impl Source {
    fn hasher(&self) -> &Sha256 {
        match self {
            Source::Plain(r) => &r.get_ref().1.hasher,
            Source::Utf16(u) => &u.inner.get_ref().1.hasher,
        }
    }
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::Plain(r) => r.read(buf),
            Source::Utf16(u) => u.read(buf),
        }
    }
}

/// A line-at-a-time view of a seed file, as UTF-8 bytes (not checked: a bad byte is a row error).
pub struct Lines {
    inner: BufReader<Source>,
    line: Vec<u8>,
    number: u64,
    too_long: bool,
}

impl Lines {
    /// Opens `path` and sniffs its encoding. Refuses binary files and BOM-less UTF-16, which show
    /// NUL bytes in the first few KiB.
    pub fn open(path: &Path) -> anyhow::Result<(Lines, TextEncoding)> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut hashing = Hashing {
            inner: file,
            hasher: Sha256::new(),
        };
        let mut prefix = Vec::with_capacity(SNIFF);
        (&mut hashing)
            .take(SNIFF as u64)
            .read_to_end(&mut prefix)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let (encoding, bom) = match prefix.as_slice() {
            [0xEF, 0xBB, 0xBF, ..] => (TextEncoding::Utf8Bom, 3),
            [0xFF, 0xFE, ..] => (TextEncoding::Utf16Le, 2),
            [0xFE, 0xFF, ..] => (TextEncoding::Utf16Be, 2),
            _ => (TextEncoding::Utf8, 0),
        };
        let utf16 = matches!(encoding, TextEncoding::Utf16Le | TextEncoding::Utf16Be);
        if !utf16 && prefix.contains(&0) {
            anyhow::bail!(
                "{} contains NUL bytes near the start: it is a binary file, or UTF-16 text without a \
                 byte-order mark; save it as UTF-8 CSV",
                path.display()
            );
        }
        prefix.drain(..bom);
        let raw = Cursor::new(prefix).chain(hashing);
        let source = match encoding {
            TextEncoding::Utf16Le => Source::Utf16(Utf16::new(raw, false)),
            TextEncoding::Utf16Be => Source::Utf16(Utf16::new(raw, true)),
            _ => Source::Plain(raw),
        };
        let lines = Lines {
            inner: BufReader::with_capacity(64 * 1024, source),
            line: Vec::with_capacity(256),
            number: 0,
            too_long: false,
        };
        Ok((lines, encoding))
    }

    /// Reads the next line (without its `\n` or `\r\n`). `Ok(false)` at the end of the file.
    pub fn next_line(&mut self) -> io::Result<bool> {
        self.line.clear();
        self.too_long = false;
        let mut any = false;
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                if !any {
                    return Ok(false);
                }
                break;
            }
            any = true;
            let (chunk, used, found) = match memchr::memchr(b'\n', buf) {
                Some(i) => (&buf[..i], i + 1, true),
                None => (buf, buf.len(), false),
            };
            let room = MAX_LINE - self.line.len();
            if chunk.len() > room {
                self.line.extend_from_slice(&chunk[..room]);
                self.too_long = true;
            } else {
                self.line.extend_from_slice(chunk);
            }
            self.inner.consume(used);
            if found {
                break;
            }
        }
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        self.number += 1;
        Ok(true)
    }

    /// The current line's bytes (at most [`MAX_LINE`]).
    pub fn line(&self) -> &[u8] {
        &self.line
    }

    /// The current line's 1-based number.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// Whether the current line was cut at [`MAX_LINE`].
    pub fn too_long(&self) -> bool {
        self.too_long
    }

    /// Reads whatever is left and returns the SHA-256 (hex) of the file's raw bytes.
    pub fn finish(mut self) -> io::Result<String> {
        io::copy(&mut self.inner, &mut io::sink())?;
        Ok(hex::encode(self.inner.get_ref().hasher().clone().finalize()))
    }
}
