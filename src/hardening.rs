//! Process hardening against other users of the same host: no core dumps (a dump of an upload
//! holds every seed and the token), memory holding plaintext kept out of dumps and swap where the
//! kernel allows it, and the effective uid for owner checks of files that steer credentials
//! (okta.yaml) or record a run (journals).
//!
//! Everything here is best effort and never fatal: a kernel or container that refuses a call
//! leaves the process as it was, and the caller says so at `-v`. This is the only file with
//! `unsafe`: each block is one libc call on arguments it owns.

/// What [`harden_process`] achieved, for the `-v` log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hardened {
    /// `PR_SET_DUMPABLE` is 0: no core dump, no ptrace by the same user.
    pub not_dumpable: bool,
    /// `RLIMIT_CORE` is 0 (soft and hard).
    pub no_core: bool,
}

/// Turns core dumps off for the whole process (Linux: `PR_SET_DUMPABLE=0` and `RLIMIT_CORE=0`).
/// Call once at start, before any secret is read.
pub fn harden_process() -> Hardened {
    let mut done = Hardened::default();
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl with PR_SET_DUMPABLE takes plain integers and touches no memory of ours.
        done.not_dumpable = unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } == 0;
    }
    #[cfg(unix)]
    {
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `zero` is a valid rlimit that outlives the call; setrlimit only reads it.
        done.no_core = unsafe { libc::setrlimit(libc::RLIMIT_CORE, &zero) } == 0;
    }
    done
}

/// What [`protect_buffer`] managed for one buffer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Protected {
    /// The pages are locked in RAM (`mlock`): never written to swap.
    pub locked: bool,
    /// The pages are left out of core dumps (`MADV_DONTDUMP`).
    pub not_dumped: bool,
}

/// Keeps `buf`'s pages out of swap (`mlock`) and out of core dumps (`MADV_DONTDUMP`), as far as
/// the kernel and `RLIMIT_MEMLOCK` allow. Pages are shared with neighbouring allocations, so this
/// covers at least the buffer; the buffer must not be reallocated afterwards (the protection
/// stays with the old pages).
pub fn protect_buffer(buf: &[u8]) -> Protected {
    let mut done = Protected::default();
    if buf.is_empty() {
        return done;
    }
    #[cfg(target_os = "linux")]
    {
        let (start, len) = page_span(buf.as_ptr() as usize, buf.len(), page_size());
        let addr = start as *mut libc::c_void;
        // SAFETY: [start, start+len) covers only pages that hold `buf`, which is allocated; madvise
        // and mlock change how the kernel treats those pages, not their contents.
        done.not_dumped = unsafe { libc::madvise(addr, len, libc::MADV_DONTDUMP) } == 0;
        // SAFETY: as above.
        done.locked = unsafe { libc::mlock(addr, len) } == 0;
    }
    done
}

#[cfg(target_os = "linux")]
fn page_size() -> usize {
    // SAFETY: sysconf takes an integer and returns one.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(n).ok().filter(|n| *n > 0).unwrap_or(4096)
}

/// The page-aligned start and length that cover `[addr, addr+len)`.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn page_span(addr: usize, len: usize, page: usize) -> (usize, usize) {
    let start = addr - addr % page;
    let end = addr + len;
    let end = end.div_ceil(page) * page;
    (start, end - start)
}

/// The effective user id (owner checks of okta.yaml and journals).
#[cfg(unix)]
pub fn euid() -> u32 {
    // SAFETY: geteuid cannot fail and takes no arguments.
    unsafe { libc::geteuid() }
}

/// A pipe whose write end a child process inherits under the same descriptor number (it is not
/// close-on-exec), for a dedicated channel such as gpg's `--status-fd N`. The read end is
/// close-on-exec. Drop the write end in the parent right after spawning, so the read end sees the
/// end of the stream when the child exits.
#[cfg(unix)]
pub fn inheritable_pipe() -> std::io::Result<(std::fs::File, std::os::fd::OwnedFd)> {
    use std::os::fd::FromRawFd;
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded, so both descriptors are open and owned by nobody else.
    let (read, write) = unsafe {
        (
            std::fs::File::from_raw_fd(fds[0]),
            std::os::fd::OwnedFd::from_raw_fd(fds[1]),
        )
    };
    // SAFETY: F_SETFD on a descriptor we own, clearing FD_CLOEXEC.
    if unsafe { libc::fcntl(fds[1], libc::F_SETFD, 0) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok((read, write))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_span_covers_the_buffer_with_whole_pages() {
        assert_eq!(page_span(4096, 10, 4096), (4096, 4096));
        assert_eq!(page_span(5000, 4000, 4096), (4096, 8192));
        assert_eq!(page_span(8191, 1, 4096), (4096, 4096));
    }

    #[test]
    fn the_write_end_of_an_inheritable_pipe_survives_exec_and_the_read_end_does_not() {
        use std::os::fd::AsRawFd;
        let (read, write) = inheritable_pipe().unwrap();
        // SAFETY (test): F_GETFD on descriptors this test owns.
        let flags = |fd: i32| unsafe { libc::fcntl(fd, libc::F_GETFD) };
        assert_eq!(flags(write.as_raw_fd()) & libc::FD_CLOEXEC, 0);
        assert_ne!(flags(read.as_raw_fd()) & libc::FD_CLOEXEC, 0);
    }

    #[test]
    fn an_empty_buffer_is_left_alone() {
        assert_eq!(protect_buffer(&[]), Protected::default());
    }
}
