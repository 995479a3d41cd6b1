//! Bytes to lines: opens the source (a file, or a sealed file's decrypted bytes), hashes every
//! raw byte as it streams past, handles the byte-order mark (UTF-8, or UTF-16 from PowerShell,
//! decoded here), and hands out one line at a time with its length capped, so a file with no
//! newlines cannot make us hold it all.
//!
//! Every buffer that holds file bytes is wiped when the reader is dropped (`Zeroizing`), since for
//! a sealed file those bytes are plaintext that exists nowhere else.
//!
//! It knows nothing about CSV or seeds; `reader` does.

use super::input::{Input, SeedSource};
use super::sealed::detect;
use sha2::{Digest, Sha256};
use std::io::{self, Chain, Cursor, Read};
use zeroize::Zeroizing;

/// The longest line kept in memory. A seed row is under 200 bytes; headered files with extra
/// columns get room to spare. Longer lines are reported, and the rest of them is skipped unread.
pub const MAX_LINE: usize = 16 * 1024;

/// How many bytes are sniffed for a byte-order mark and binary content.
const SNIFF: usize = 4096;

/// The read buffer.
const BUFFER: usize = 64 * 1024;

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

/// Feeds every byte read into SHA-256, so a file's hash comes from the same pass as its rows
/// (and `seal`'s plaintext hash from exactly the bytes it encrypts).
pub(crate) struct Hashing<R> {
    pub(crate) inner: R,
    pub(crate) hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// The sniffed prefix (minus any BOM), then the rest of the file.
type Raw = Chain<Cursor<Zeroizing<Vec<u8>>>, Hashing<Input>>;

/// Decodes UTF-16 to UTF-8 chunk by chunk with `char::decode_utf16`; malformed units become
/// U+FFFD, which later fails field validation with a position instead of aborting the file.
struct Utf16<R> {
    inner: R,
    big_endian: bool,
    /// Undecoded bytes carried over: an odd byte, or a high surrogate waiting for its pair.
    carry: Zeroizing<Vec<u8>>,
    units: Zeroizing<Vec<u16>>,
    out: Zeroizing<Vec<u8>>,
    pos: usize,
    eof: bool,
}

impl<R: Read> Utf16<R> {
    fn new(inner: R, big_endian: bool) -> Self {
        Utf16 {
            inner,
            big_endian,
            carry: Zeroizing::new(Vec::new()),
            units: Zeroizing::new(Vec::new()),
            out: Zeroizing::new(Vec::new()),
            pos: 0,
            eof: false,
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.pos = 0;
        let mut buf = Zeroizing::new([0u8; 8192]);
        while self.out.is_empty() && !self.eof {
            let n = self.inner.read(&mut buf[..])?;
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

/// `BufReader`'s `fill_buf`/`consume`, over a buffer that is wiped when dropped.
struct Buffered<R> {
    inner: R,
    buf: Zeroizing<Vec<u8>>,
    pos: usize,
    filled: usize,
}

impl<R: Read> Buffered<R> {
    fn new(inner: R) -> Self {
        Buffered {
            inner,
            buf: Zeroizing::new(vec![0; BUFFER]),
            pos: 0,
            filled: 0,
        }
    }

    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.filled {
            self.pos = 0;
            self.filled = loop {
                match self.inner.read(&mut self.buf[..]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other?,
                }
            };
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.filled);
    }
}

/// A line-at-a-time view of a seed file, as UTF-8 bytes (not checked: a bad byte is a row error).
pub struct Lines {
    inner: Buffered<Source>,
    /// Never grows past [`MAX_LINE`], so it is never reallocated (which would leave a copy).
    line: Zeroizing<Vec<u8>>,
    number: u64,
    too_long: bool,
}

impl Lines {
    /// Opens `source` and sniffs its encoding. Refuses binary files and BOM-less UTF-16, which
    /// show NUL bytes in the first few KiB, and a sealed file handed over as a plain path.
    pub fn open(source: &SeedSource) -> anyhow::Result<(Lines, TextEncoding)> {
        let path = source.path();
        let input = source.open()?;
        let from_disk = input.is_file();
        let mut hashing = Hashing {
            inner: input,
            hasher: Sha256::new(),
        };
        let mut prefix = Zeroizing::new(Vec::with_capacity(SNIFF));
        (&mut hashing)
            .take(SNIFF as u64)
            .read_to_end(&mut prefix)
            .map_err(|e| anyhow::Error::new(e).context(format!("cannot read {}", path.display())))?;
        if let Some(sealing) = detect::sniff(&prefix) {
            if from_disk {
                anyhow::bail!(
                    "{} is {}-sealed and was read as a plain file; open seed files with \
                     seed::sealed::open (a bug in ykprov)",
                    path.display(),
                    sealing.kind
                );
            }
            anyhow::bail!(
                "{} decrypts to another {}-sealed file; decrypt the outer layer, seal the seed file \
                 once, and try again",
                path.display(),
                sealing.kind
            );
        }
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
            inner: Buffered::new(source),
            line: Zeroizing::new(Vec::with_capacity(MAX_LINE)),
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
        // Through our own buffer: `io::copy` would leave a copy of the bytes on the stack.
        loop {
            let n = self.inner.fill_buf()?.len();
            if n == 0 {
                break;
            }
            self.inner.consume(n);
        }
        Ok(hex::encode(self.inner.inner.hasher().clone().finalize()))
    }
}
