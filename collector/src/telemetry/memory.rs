//! Memory readers: the worker's resident set size from procfs, and Jetson unified (nvmap) memory.

use std::path::{Path, PathBuf};

use super::sysfs::{SmallFile, io_reason, kb_field_bytes};

/// Resident set size of process `pid`: `VmRSS` of `<proc_root>/<pid>/status`, kB × 1024.
///
/// `Err` with a reason when the process does not exist (any more), the file is unreadable, or it
/// has no `VmRSS` line (kernel threads and zombies have none).
pub fn proc_rss_bytes(proc_root: impl AsRef<Path>, pid: u32) -> Result<u64, String> {
    let path = status_path(proc_root.as_ref(), pid);
    let text = std::fs::read(&path).map_err(|e| io_reason(&path, &e))?;
    rss_from_status(&text, &path)
}

/// Jetson unified memory in use by the nvmap allocator (all processes): `NvMapMemUsed` of
/// `<proc_root>/meminfo`, kB × 1024.
///
/// `Err` with a reason on hosts without the nvmap driver (every non-Jetson host).
pub fn nvmap_used_bytes(proc_root: impl AsRef<Path>) -> Result<u64, String> {
    let path = proc_root.as_ref().join("meminfo");
    let text = std::fs::read(&path).map_err(|e| io_reason(&path, &e))?;
    nvmap_from_meminfo(&text, &path)
}

fn status_path(proc_root: &Path, pid: u32) -> PathBuf {
    proc_root.join(pid.to_string()).join("status")
}

fn rss_from_status(text: &[u8], path: &Path) -> Result<u64, String> {
    match kb_field_bytes(text, "VmRSS") {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(format!("{}: no VmRSS line (kernel thread or zombie process)", path.display())),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

fn nvmap_from_meminfo(text: &[u8], path: &Path) -> Result<u64, String> {
    match kb_field_bytes(text, "NvMapMemUsed") {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(format!(
            "no NvMapMemUsed in {} (not a Jetson: the nvmap driver is absent)",
            path.display()
        )),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Why a sampler-thread read failed, kept small and allocation-free; turned into a sentence only
/// for the first failure the sampler keeps (see [`RssReader::describe`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum ReadFail {
    Open(std::io::ErrorKind, Option<i32>),
    Read(std::io::ErrorKind, Option<i32>),
    NoField,
    BadField,
}

fn fail_reason(path: &Path, fail: ReadFail, field: &str, absent: &str) -> String {
    match fail {
        ReadFail::Open(kind, raw) | ReadFail::Read(kind, raw) => {
            let err = match raw {
                Some(code) => std::io::Error::from_raw_os_error(code),
                None => std::io::Error::from(kind),
            };
            io_reason(path, &err)
        }
        ReadFail::NoField => format!("{}: no {field} line ({absent})", path.display()),
        ReadFail::BadField => format!("{}: {field} line is not a number of kB", path.display()),
    }
}

fn field(text: &[u8], key: &str) -> Result<u64, ReadFail> {
    match kb_field_bytes(text, key) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(ReadFail::NoField),
        Err(_) => Err(ReadFail::BadField),
    }
}

fn open_small(path: &Path) -> Result<SmallFile, ReadFail> {
    match std::fs::File::open(path) {
        Ok(file) => Ok(SmallFile::from_file(path.to_path_buf(), file)),
        Err(e) => Err(ReadFail::Open(e.kind(), e.raw_os_error())),
    }
}

/// `VmRSS` of one process, re-read from an open descriptor by the sampler thread.
pub(crate) struct RssReader {
    path: PathBuf,
    file: Option<SmallFile>,
}

impl RssReader {
    /// Opens `<proc>/<pid>/status` now if it can; otherwise every read retries the open.
    pub(crate) fn new(proc_root: &Path, pid: u32) -> Self {
        let path = status_path(proc_root, pid);
        let file = open_small(&path).ok();
        RssReader { path, file }
    }

    pub(crate) fn read(&mut self) -> Result<u64, ReadFail> {
        if self.file.is_none() {
            self.file = Some(open_small(&self.path)?);
        }
        let Some(file) = self.file.as_mut() else { return Err(ReadFail::NoField) };
        match file.read() {
            Ok(text) => field(text, "VmRSS"),
            Err(e) => Err(ReadFail::Read(e.kind(), e.raw_os_error())),
        }
    }

    pub(crate) fn describe(&self, fail: ReadFail) -> String {
        fail_reason(&self.path, fail, "VmRSS", "kernel thread or zombie process")
    }
}

/// `NvMapMemUsed`, re-read from an open descriptor on `<proc>/meminfo`.
pub(crate) struct NvmapReader {
    path: PathBuf,
    file: SmallFile,
}

impl NvmapReader {
    /// Opens `<proc>/meminfo` and checks that it has an `NvMapMemUsed` line.
    pub(crate) fn open(proc_root: &Path) -> Result<Self, String> {
        let path = proc_root.join("meminfo");
        let file = open_small(&path).map_err(|f| fail_reason(&path, f, "", ""))?;
        let mut reader = NvmapReader { path, file };
        reader.read().map_err(|f| reader.describe(f))?;
        Ok(reader)
    }

    pub(crate) fn read(&mut self) -> Result<u64, ReadFail> {
        match self.file.read() {
            Ok(text) => field(text, "NvMapMemUsed"),
            Err(e) => Err(ReadFail::Read(e.kind(), e.raw_os_error())),
        }
    }

    pub(crate) fn describe(&self, fail: ReadFail) -> String {
        match fail {
            ReadFail::NoField => format!(
                "no NvMapMemUsed in {} (not a Jetson: the nvmap driver is absent)",
                self.path.display()
            ),
            other => fail_reason(&self.path, other, "NvMapMemUsed", ""),
        }
    }
}
