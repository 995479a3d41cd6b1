//! The one place a decrypted seed file lives: a zeroizing buffer with a size bound. It grows by
//! copying into a bigger zeroizing buffer and wiping the old one, so no stale copy of the plaintext
//! is left behind in freed memory (a `Vec` that reallocates in place of us would leave one). Each
//! buffer is `mlock`ed and marked `MADV_DONTDUMP` before plaintext goes in, as far as the kernel
//! allows ([`crate::hardening::protect_buffer`]).

use std::io::{self, Read};
use zeroize::Zeroizing;

/// Decrypted bytes, wiped when dropped. There is deliberately no `Debug` that shows them.
pub struct Plaintext {
    bytes: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Plaintext([{} bytes redacted])", self.bytes.len())
    }
}

/// Why a plaintext could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// More than the bound.
    #[error("the decrypted file is larger than {limit} bytes")]
    TooLarge {
        /// The bound.
        limit: usize,
    },
    /// The decrypting reader failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl Plaintext {
    /// Reads `r` to its end, refusing more than `limit` bytes. `expected` (a guess at the size,
    /// such as the sealed file's) saves most of the growing.
    pub fn read_from(r: &mut impl Read, limit: usize, expected: usize) -> Result<Plaintext, ReadError> {
        let mut buf = Zeroizing::new(vec![0u8; expected.max(4096).min(limit.saturating_add(1))]);
        // Each buffer is protected before any plaintext is in it.
        let mut protected = crate::hardening::protect_buffer(&buf);
        let mut len = 0;
        loop {
            if len == buf.len() {
                if len > limit {
                    return Err(ReadError::TooLarge { limit });
                }
                let bigger = (len * 2).min(limit.saturating_add(1)).max(len + 1);
                let mut next = Zeroizing::new(vec![0u8; bigger]);
                protected = crate::hardening::protect_buffer(&next);
                next[..len].copy_from_slice(&buf[..len]);
                // The old buffer is wiped as it drops here.
                buf = next;
            }
            match r.read(&mut buf[len..]) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ReadError::Io(e)),
            }
        }
        if len > limit {
            return Err(ReadError::TooLarge { limit });
        }
        tracing::debug!(
            locked_in_ram = protected.locked,
            kept_out_of_core_dumps = protected.not_dumped,
            "sealed plaintext buffer protected as far as the kernel allows (RLIMIT_MEMLOCK bounds mlock)"
        );
        // Truncating keeps the capacity, which the drop wipes with the rest.
        buf.truncate(len);
        Ok(Plaintext { bytes: buf })
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out at most 7 bytes a call, so the buffer must grow many times.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(7).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn reads_everything_through_many_growths() {
        let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        let p = Plaintext::read_from(&mut Trickle(&data), 1 << 20, 0).unwrap();
        assert_eq!(p.as_bytes(), &data[..]);
    }

    #[test]
    fn exactly_the_limit_is_accepted_and_one_more_byte_refused() {
        let data = vec![b'x'; 10_000];
        let p = Plaintext::read_from(&mut &data[..], 10_000, 10_000).unwrap();
        assert_eq!(p.as_bytes().len(), 10_000);
        let err = Plaintext::read_from(&mut &data[..], 9_999, 100).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { limit: 9_999 }), "{err}");
    }

    #[test]
    fn debug_never_shows_the_bytes() {
        let p = Plaintext::read_from(&mut &b"7886622,cccc"[..], 100, 0).unwrap();
        assert_eq!(format!("{p:?}"), "Plaintext([12 bytes redacted])");
    }
}
