//! Whether a model file's pages are in the OS page cache, and dropping them from it: the
//! difference between a cold load (read from storage) and a warm one (copied or mapped from
//! memory), which changes load time severalfold and which a run must record.
//!
//! # Unsafe code, and its invariants
//!
//! [`residency`] maps the file read-only (`mmap(PROT_READ, MAP_SHARED)`) only to ask the kernel
//! which of its pages are resident (`mincore`), then unmaps it. Invariants:
//! - the mapping is never read or written through: `mincore` only reports residency, it faults
//!   nothing in, so asking does not change the answer;
//! - the mapping's length is the file's length at `fstat` time, non-zero (an empty file is
//!   answered without mapping), and the vector `mincore` fills has one byte per page of it;
//! - the mapping is unmapped on every path after a successful `mmap`, and the descriptor is a
//!   `File` closed by drop.
//!
//! [`preload`] reads the file through the page cache with ordinary reads (`--warm`).
//!
//! [`evict`] writes back the file's dirty pages (`fdatasync`), then calls
//! `posix_fadvise(POSIX_FADV_DONTNEED)` on a read-only descriptor: the kernel drops the file's
//! *clean, unmapped* pages. Pages that another process has mapped (a running
//! worker) or that are dirty stay; the residency measured afterwards says what actually happened.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;

/// How much of a file is in the page cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Residency {
    pub resident_pages: u64,
    pub total_pages: u64,
}

impl Residency {
    /// Resident share, 0 to 1 (1 for an empty file: nothing to read).
    pub fn fraction(&self) -> f64 {
        if self.total_pages == 0 { 1.0 } else { self.resident_pages as f64 / self.total_pages as f64 }
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n > 0 { n as usize } else { 4096 }
}

/// The file's resident pages (see the module doc for the unsafe code's invariants).
pub fn residency(path: &Path) -> Result<Residency, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let len = file.metadata().map_err(|e| format!("{}: {e}", path.display()))?.len();
    let page = page_size();
    if len == 0 {
        return Ok(Residency { resident_pages: 0, total_pages: 0 });
    }
    let len = usize::try_from(len).map_err(|_| format!("{}: too large to map", path.display()))?;
    let pages = len.div_ceil(page);
    // SAFETY: a fresh read-only shared mapping of `len` > 0 bytes of an open file; never
    // dereferenced (module doc).
    let addr = unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_SHARED, file.as_raw_fd(), 0) };
    if addr == libc::MAP_FAILED {
        return Err(format!("{}: mmap: {}", path.display(), std::io::Error::last_os_error()));
    }
    let mut vec = vec![0u8; pages];
    // SAFETY: `addr` is page-aligned (mmap's result), `len` bytes are mapped, and `vec` has one
    // byte per page of them. (`mincore` takes `*mut c_uchar` on Linux, `*mut c_char` on macOS.)
    let rc = unsafe { libc::mincore(addr, len, vec.as_mut_ptr().cast()) };
    let err = std::io::Error::last_os_error();
    // SAFETY: unmaps exactly the mapping made above.
    unsafe { libc::munmap(addr, len) };
    if rc != 0 {
        return Err(format!("{}: mincore: {err}", path.display()));
    }
    let resident = vec.iter().filter(|b| **b & 1 == 1).count();
    Ok(Residency { resident_pages: resident as u64, total_pages: pages as u64 })
}

/// Reads the whole file through the page cache (a warm start for the load that follows), then
/// measures what is resident: all of it unless the file does not fit in the memory the kernel
/// will give the cache, which the residency then shows. Plain buffered reads, no unsafe code.
pub fn preload(path: &Path) -> Result<Residency, String> {
    use std::io::Read;
    let mut file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("{}: read: {e}", path.display())),
        }
    }
    drop(file);
    residency(path)
}

/// Asks the kernel to drop the file's pages from the page cache, then measures what is left.
/// Err when the OS offers no way (macOS) or the call failed; the residency afterwards otherwise,
/// which may be above zero (pages mapped by a running process stay).
pub fn evict(path: &Path) -> Result<Residency, String> {
    #[cfg(target_os = "linux")]
    {
        let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        // Dirty pages (a file just written or copied) are not dropped: write them back first.
        // fdatasync works on a read-only descriptor, and costs nothing for a clean file.
        file.sync_data().map_err(|e| format!("{}: fdatasync: {e}", path.display()))?;
        // SAFETY: a valid descriptor; offset 0 and length 0 mean the whole file.
        let rc = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        if rc != 0 {
            return Err(format!("{}: posix_fadvise(DONTNEED): {}", path.display(), std::io::Error::from_raw_os_error(rc)));
        }
        drop(file);
        residency(path)
    }
    #[cfg(not(target_os = "linux"))]
    {
        Err(format!("{}: dropping a file from the page cache is not implemented on this OS (no posix_fadvise)", path.display()))
    }
}
