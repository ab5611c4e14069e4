//! Small-file helpers shared by the sysfs and procfs readers.
//!
//! Every reader turns an I/O error into a sentence that names the path and what went wrong, so
//! that a null column in the dataset always comes with a reason a person can act on.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// `path: what went wrong`, with the common kinds spelled the way `ls` users expect.
pub(crate) fn io_reason(path: &Path, err: &io::Error) -> String {
    let what = match err.kind() {
        io::ErrorKind::NotFound => "not found".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => match err.raw_os_error() {
            Some(libc::ESRCH) => "no such process (it has exited)".to_string(),
            _ => err.to_string(),
        },
    };
    format!("{}: {}", path.display(), what)
}

/// The whole file as trimmed text (for names and labels, read once at discovery).
pub(crate) fn read_trimmed(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| io_reason(path, &e))
}

/// Sorted entries of a directory (sorted so that discovery is deterministic).
pub(crate) fn sorted_entries(dir: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let rd = std::fs::read_dir(dir).map_err(|e| io_reason(dir, &e))?;
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| io_reason(dir, &e))?;
        if let Some(name) = entry.file_name().to_str() {
            out.push((name.to_string(), entry.path()));
        }
    }
    out.sort_by(|a, b| natural_cmp(&a.0, &b.0));
    Ok(out)
}

/// Orders `hwmon2` before `hwmon10` and `intel-rapl:2` before `intel-rapl:10`.
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let split = |s: &str| {
        let head = s.trim_end_matches(|c: char| c.is_ascii_digit());
        let num = s[head.len()..].parse::<u64>().ok();
        (head.to_string(), num)
    };
    let (ha, na) = split(a);
    let (hb, nb) = split(b);
    ha.cmp(&hb).then(na.cmp(&nb)).then(a.cmp(b))
}

/// A small file kept open and re-read from offset 0 at every sample.
///
/// sysfs attributes and procfs seq files regenerate their content when read from offset 0, so
/// one open descriptor serves every sample: no `open`, no path handling and no allocation per
/// read (the buffer is allocated once and only grows if the file is larger than it). For
/// `/proc/<pid>/status`, keeping the descriptor also pins the process: once it exits, reads fail
/// with `ESRCH` even if the pid is reused by another process.
pub(crate) struct SmallFile {
    path: PathBuf,
    file: File,
    buf: Vec<u8>,
}

impl SmallFile {
    pub(crate) fn open(path: PathBuf) -> Result<Self, String> {
        let file = File::open(&path).map_err(|e| io_reason(&path, &e))?;
        Ok(Self::from_file(path, file))
    }

    pub(crate) fn from_file(path: PathBuf, file: File) -> Self {
        SmallFile { path, file, buf: vec![0; 4096] }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The current content of the file.
    pub(crate) fn read(&mut self) -> io::Result<&[u8]> {
        let len = fill(&self.file, &mut self.buf)?;
        Ok(&self.buf[..len])
    }

    /// The file's content parsed as one integer (sysfs attributes hold one value each).
    pub(crate) fn read_int<T>(&mut self, parse: fn(&[u8]) -> Option<T>) -> Result<T, IntError> {
        let len = fill(&self.file, &mut self.buf).map_err(IntError::Io)?;
        let bytes = &self.buf[..len];
        parse(bytes).ok_or_else(|| {
            IntError::Parse(format!(
                "{}: not an integer: {:?}",
                self.path.display(),
                String::from_utf8_lossy(bytes).trim()
            ))
        })
    }

    /// [`SmallFile::read_int`] for a signed value, every error as a sentence.
    pub(crate) fn read_i64(&mut self) -> Result<i64, String> {
        self.read_int(parse_i64).map_err(|e| match e {
            IntError::Io(e) => io_reason(&self.path, &e),
            IntError::Parse(reason) => reason,
        })
    }
}

/// Why [`SmallFile::read_int`] failed.
pub(crate) enum IntError {
    Io(io::Error),
    /// The reason, with the path.
    Parse(String),
}

/// Reads the whole file from offset 0 into `buf` (growing it if needed); returns the length.
fn fill(file: &File, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut len = 0;
    loop {
        if len == buf.len() {
            let grown = buf.len().max(64) * 2;
            buf.resize(grown, 0);
        }
        let n = read_at(file, &mut buf[len..], len as u64)?;
        if n == 0 {
            return Ok(len);
        }
        len += n;
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    loop {
        match file.read_at(buf, offset) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[cfg(not(unix))]
fn read_at(_file: &File, _buf: &mut [u8], _offset: u64) -> io::Result<usize> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "sysfs/procfs readers need a Unix host"))
}

/// An optionally signed decimal integer surrounded by ASCII whitespace.
pub(crate) fn parse_i64(bytes: &[u8]) -> Option<i64> {
    let s = bytes.trim_ascii();
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let v = parse_u64(digits)?;
    let v = i64::try_from(v).ok()?;
    Some(if neg { -v } else { v })
}

/// An unsigned decimal integer surrounded by ASCII whitespace.
pub(crate) fn parse_u64(bytes: &[u8]) -> Option<u64> {
    let s = bytes.trim_ascii();
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

/// Value of a `Key:   1234 kB` line (as in `/proc/meminfo` and `/proc/<pid>/status`), in bytes.
///
/// `Ok(None)` when the key is absent, `Err` when the line is there but not in kB.
pub(crate) fn kb_field_bytes(text: &[u8], key: &str) -> Result<Option<u64>, String> {
    for line in text.split(|&b| b == b'\n') {
        let Some(rest) = line.strip_prefix(key.as_bytes()) else { continue };
        let Some(rest) = rest.strip_prefix(b":") else { continue };
        let rest = rest.trim_ascii();
        let Some(number) = rest.strip_suffix(b"kB") else {
            return Err(format!("{key} line is not in kB: {:?}", String::from_utf8_lossy(line)));
        };
        let kb = parse_u64(number)
            .ok_or_else(|| format!("{key} line has no number: {:?}", String::from_utf8_lossy(line)))?;
        return kb
            .checked_mul(1024)
            .map(Some)
            .ok_or_else(|| format!("{key} value overflows: {kb} kB"));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_u64(b" 4984\n"), Some(4984));
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_u64(b"12a"), None);
        assert_eq!(parse_i64(b"-12\n"), Some(-12));
        assert_eq!(parse_u64(b"99999999999999999999999"), None);
    }

    #[test]
    fn kb_fields() {
        let t = b"Name:\tcat\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\n";
        assert_eq!(kb_field_bytes(t, "VmRSS").unwrap(), Some(1024 * 1024));
        assert_eq!(kb_field_bytes(t, "VmRS").unwrap(), None);
        assert_eq!(kb_field_bytes(t, "VmSwap").unwrap(), None);
        assert!(kb_field_bytes(b"VmRSS: 12\n", "VmRSS").is_err());
    }

    #[test]
    fn reasons() {
        let p = Path::new("/sys/class/powercap/intel-rapl:0/energy_uj");
        let e = io::Error::from(io::ErrorKind::PermissionDenied);
        assert_eq!(io_reason(p, &e), "/sys/class/powercap/intel-rapl:0/energy_uj: permission denied");
        let e = io::Error::from_raw_os_error(libc::ESRCH);
        assert!(io_reason(p, &e).ends_with("no such process (it has exited)"));
    }

    #[test]
    fn natural_order() {
        let mut v = vec!["hwmon10", "hwmon2", "hwmon1"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["hwmon1", "hwmon2", "hwmon10"]);
    }
}
