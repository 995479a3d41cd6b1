//! Where a seed file's bytes come from: a [`SeedSource`] is a plain file, streamed from disk as
//! ever, or a sealed file already decrypted into memory by `sealed::open`. `validate_file` and
//! `SeedReader::open` both take one, so upload's two passes read the same decrypted bytes, and a
//! path still converts into a source for the plain files most callers have.

use super::report::sha256_file;
use super::sealed::{Plaintext, SealInfo};
use anyhow::Context;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A decrypted file: the plaintext (wiped on drop) and what was learnt opening it.
#[derive(Debug)]
pub struct Unsealed {
    /// The decrypted bytes.
    pub plaintext: Plaintext,
    /// Format, hashes, signature.
    pub info: SealInfo,
}

/// A seed file to read: its path (for messages and the journal) and, when it was sealed, its
/// decrypted bytes. Cloning shares the bytes.
#[derive(Clone, Debug)]
pub struct SeedSource {
    path: PathBuf,
    unsealed: Option<Arc<Unsealed>>,
}

impl SeedSource {
    /// A plain file, read from disk each time.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        SeedSource {
            path: path.into(),
            unsealed: None,
        }
    }

    /// A sealed file, already decrypted.
    pub fn unsealed(path: impl Into<PathBuf>, unsealed: Unsealed) -> Self {
        SeedSource {
            path: path.into(),
            unsealed: Some(Arc::new(unsealed)),
        }
    }

    /// The file as the operator named it.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the seal said, for a sealed file.
    pub fn seal(&self) -> Option<&SealInfo> {
        self.unsealed.as_ref().map(|u| &u.info)
    }

    /// The bytes to read: the file, or the decrypted buffer.
    pub(crate) fn open(&self) -> anyhow::Result<Input> {
        Ok(match &self.unsealed {
            None => Input::File(
                File::open(&self.path).with_context(|| format!("cannot open {}", self.path.display()))?,
            ),
            Some(u) => Input::Memory {
                data: Arc::clone(u),
                pos: 0,
            },
        })
    }

    /// The size of what will be read, for sizing buffers (0 when unknown).
    pub(crate) fn len_hint(&self) -> u64 {
        match &self.unsealed {
            None => std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0),
            Some(u) => u.plaintext.as_bytes().len() as u64,
        }
    }

    /// Whether the file on disk is still the one read. `validated_sha256` is the hash a pass
    /// computed of what it read: for a plain file, the file; for a sealed one the plaintext, which
    /// cannot change, so the sealed file is compared with the hash taken when it was opened.
    pub fn unchanged_since(&self, validated_sha256: &str) -> anyhow::Result<bool> {
        let expected = self.seal().map_or(validated_sha256, |s| &s.sealed_sha256);
        Ok(sha256_file(&self.path)? == expected)
    }
}

impl From<&Path> for SeedSource {
    fn from(path: &Path) -> Self {
        SeedSource::file(path)
    }
}

impl From<PathBuf> for SeedSource {
    fn from(path: PathBuf) -> Self {
        SeedSource::file(path)
    }
}

impl From<&PathBuf> for SeedSource {
    fn from(path: &PathBuf) -> Self {
        SeedSource::file(path.as_path())
    }
}

impl From<&SeedSource> for SeedSource {
    fn from(source: &SeedSource) -> Self {
        source.clone()
    }
}

/// A source's bytes as a reader.
pub(crate) enum Input {
    File(File),
    Memory { data: Arc<Unsealed>, pos: usize },
}

impl Input {
    /// Whether these bytes are a plain file on disk (which must not turn out to be sealed).
    pub(crate) fn is_file(&self) -> bool {
        matches!(self, Input::File(_))
    }
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::File(f) => f.read(buf),
            Input::Memory { data, pos } => {
                let rest = &data.plaintext.as_bytes()[*pos..];
                let n = rest.len().min(buf.len());
                buf[..n].copy_from_slice(&rest[..n]);
                *pos += n;
                Ok(n)
            }
        }
    }
}
