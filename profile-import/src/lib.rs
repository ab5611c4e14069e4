//! # edgebench profile import
//!
//! Reads the files people made with the profilers the paper used — Nsight Systems (its SQLite
//! export and its `nsys stats` kernel summary CSV), Nsight Compute (raw and details CSV) and the
//! PyTorch profiler (Chrome trace, plain or gzip) — into one neutral value, [`ImportedCapture`]:
//! one [`ImportedKernel`] per distinct kernel name, with its timing summary, its class from the
//! dataset's kernel class table, and Nsight Compute's metrics where the file has them.
//!
//! Design, and why:
//!
//! - **One job.** This crate only reads profiler files. Turning a capture into `kernels` rows
//!   (device, model, run, provenance) is the collector's job; classifying names is the dataset's
//!   ([`edgebench_dataset::kernel_class`]), so every tool's rows are classified by the same rules
//!   the data dictionary prints. The heavy parsing dependencies (SQLite, gzip) stay here, and
//!   nothing here depends on llama.cpp: a capture can be imported on any machine.
//! - **Content decides the format**, never the extension: SQLite magic, gzip magic, a JSON
//!   opening, or a recognised CSV header ([`Format`]). Files get renamed; bytes do not lie.
//! - **Hostile input is expected.** A capture is a file from someone else's machine. Every size
//!   is checked before it is trusted: the file size before reading, the SQLite header before
//!   SQLite sees the file, the gzip output while it is produced, each line, each name, the
//!   number of distinct names and of launches ([`Limits`]). Text is streamed, never read whole.
//!   SQLite opens the file read-only and immutable and cannot create or change anything. Any
//!   violation is an [`ImportError`] naming the file, the line or table, what is wrong and what
//!   to do; no input panics (a fuzz test mutates every format's fixtures to hold us to it).
//! - **The capture id is the file's sha256**, so importing the same file twice gives the same
//!   id, and the dataset's kernel ids (hashes of capture id and name) are stable.
//! - **Times say where they come from** ([`TimingSource`]): CUPTI device timestamps for nsys and
//!   PyTorch, kernel replay for Nsight Compute (serialised launches, comparable between kernels
//!   but not to wall time).
//!
//! One private module per format, each with its own notes on the format: `nsys_sqlite`,
//! `nsys_csv`, `ncu_csv`, `torch_trace`; shared pieces in `aggregate` (launches → one row per
//! name, the number checks), `text` (bounded CSV reading) and `error`.

mod aggregate;
mod error;
mod ncu_csv;
mod nsys_csv;
mod nsys_sqlite;
mod text;
mod torch_trace;

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use sha2::Digest;

pub use edgebench_dataset::schema::Sha256Hex;
pub use edgebench_dataset::schema::v1::{OpClass, ProfileTool, TimingSource};
pub use error::{ErrorKind, ImportError};

use error::{At, Problem};

/// Which reader a file was read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Nsight Systems SQLite export (`nsys export --type sqlite`).
    NsysSqlite,
    /// `nsys stats --report cuda_gpu_kern_sum --format csv`, or the older `gpukernsum` report.
    NsysStatsCsv,
    /// `ncu --csv --page raw`: one row per launch.
    NcuRawCsv,
    /// `ncu --csv --page details`: one row per launch and metric.
    NcuDetailsCsv,
    /// PyTorch profiler Chrome trace (JSON).
    TorchTrace,
    /// PyTorch profiler Chrome trace, gzip-compressed (`.json.gz`).
    TorchTraceGzip,
}

impl Format {
    pub fn as_str(&self) -> &'static str {
        match self {
            Format::NsysSqlite => "nsys_sqlite",
            Format::NsysStatsCsv => "nsys_stats_csv",
            Format::NcuRawCsv => "ncu_raw_csv",
            Format::NcuDetailsCsv => "ncu_details_csv",
            Format::TorchTrace => "torch_trace",
            Format::TorchTraceGzip => "torch_trace_gzip",
        }
    }
}

/// One profiler file, read.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedCapture {
    pub tool: ProfileTool,
    /// The profiler's version where the file records one.
    pub tool_version: Option<String>,
    /// sha256 of the raw file bytes.
    pub capture_id: Sha256Hex,
    pub timing_source: TimingSource,
    pub format: Format,
    /// One per distinct kernel name, ordered by name.
    pub kernels: Vec<ImportedKernel>,
}

/// One distinct kernel name of a capture. Times in ns; `avg_ns × calls = total_ns`.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedKernel {
    /// As the profiler printed it.
    pub name: String,
    /// [`edgebench_dataset::kernel_class::kernel_base_name`] of the name.
    pub base_name: String,
    /// [`edgebench_dataset::kernel_class::classify_kernel`] of the name.
    pub class: OpClass,
    pub calls: u64,
    pub total_ns: f64,
    pub avg_ns: f64,
    pub min_ns: Option<f64>,
    pub max_ns: Option<f64>,
    pub median_ns: Option<f64>,
    pub stddev_ns: Option<f64>,
    /// Nsight Compute metrics, means over the launches that report them.
    pub achieved_occupancy_pct: Option<f64>,
    pub theoretical_occupancy_pct: Option<f64>,
    pub eligible_warps_per_cycle: Option<f64>,
    pub active_warps_per_cycle: Option<f64>,
    pub issued_warps_per_cycle: Option<f64>,
    pub dram_throughput_pct: Option<f64>,
}

/// Caps that keep time and memory bounded on any input. The defaults are far above any real
/// capture of small-model inference and far below what would hurt the importing machine.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Largest file read (checked before reading).
    pub max_file_bytes: u64,
    /// Most bytes a gzip file may expand to (stops decompression bombs).
    pub max_decompressed_bytes: u64,
    /// Most distinct kernel names.
    pub max_kernels: usize,
    /// Longest kernel name (an error beyond).
    pub max_name_bytes: usize,
    /// Most bytes of distinct kernel names together.
    pub max_total_name_bytes: usize,
    /// Most launches (or summary rows) held; each launch keeps 8 bytes for the median.
    pub max_launches: u64,
    /// Longest CSV record.
    pub max_record_bytes: usize,
    /// Longest plausible duration, in ns (about 11.6 days).
    pub max_duration_ns: f64,
    /// Largest plausible launch count of one summary row.
    pub max_calls: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 2 << 30,
            max_decompressed_bytes: 8 << 30,
            max_kernels: 100_000,
            max_name_bytes: 64 << 10,
            max_total_name_bytes: 64 << 20,
            max_launches: 50_000_000,
            max_record_bytes: 16 << 20,
            max_duration_ns: 1e15,
            max_calls: 1_000_000_000_000,
        }
    }
}

/// Reads a profiler file of any supported [`Format`] (detected from its content) under the
/// default [`Limits`].
pub fn import(path: &Path) -> Result<ImportedCapture, ImportError> {
    import_with_limits(path, &Limits::default())
}

/// [`import`] under explicit limits.
pub fn import_with_limits(path: &Path, limits: &Limits) -> Result<ImportedCapture, ImportError> {
    read_capture(path, limits).map_err(|p| ImportError::new(path, p))
}

/// Bytes looked at to recognise a format.
const SNIFF_BYTES: usize = 64 << 10;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: sha2::Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

impl<R: Read> Hashing<R> {
    /// Reads what is left and returns the digest of everything.
    fn finish(mut self) -> Result<Sha256Hex, Problem> {
        io::copy(&mut self, &mut io::sink()).map_err(|e| Problem::io(At::Nowhere, &e))?;
        let hex: String = self.hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok(Sha256Hex::parse(&hex).expect("a sha256 digest in hex"))
    }
}

/// Stops a reader after `left` bytes, remembering that it did.
struct Capped<R> {
    inner: R,
    left: u64,
    hit: Rc<Cell<bool>>,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.hit.set(true);
            return Err(io::Error::other("decompressed size limit reached"));
        }
        let max = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Reads one file: its size is checked before anything is read, its first bytes decide the
/// format, the format's reader produces the kernels, and the result is checked before it leaves.
fn read_capture(path: &Path, limits: &Limits) -> Result<ImportedCapture, Problem> {
    let file_len = check_file(path, limits)?;
    let file = File::open(path).map_err(|e| Problem::io(At::Nowhere, &e))?;
    // The file is hashed as it is parsed, so the id is of exactly the bytes that were read.
    let mut hashing = Hashing { inner: file.take(limits.max_file_bytes), hasher: sha2::Sha256::new() };
    let mut sniff = Vec::with_capacity(SNIFF_BYTES);
    (&mut hashing).take(SNIFF_BYTES as u64).read_to_end(&mut sniff).map_err(|e| Problem::io(At::Nowhere, &e))?;
    let format = detect(&sniff)?;
    let capture = read_format(format, path, file_len, &sniff, hashing, limits)?;
    check_capture(&capture)?;
    Ok(capture)
}

/// The file's length, once it is known to be a regular, non-empty file within the size limit:
/// a file too large to import is refused before a byte of it is read.
fn check_file(path: &Path, limits: &Limits) -> Result<u64, Problem> {
    let meta = std::fs::metadata(path).map_err(|e| Problem::io(At::Nowhere, &e))?;
    if !meta.is_file() {
        return Err(Problem::new(
            At::Nowhere,
            ErrorKind::Io,
            "not a regular file",
            "give the path of a profiler output file",
        ));
    }
    if meta.len() > limits.max_file_bytes {
        return Err(Problem::new(
            At::Nowhere,
            ErrorKind::TooLarge,
            format!("file of {} bytes is larger than the limit of {} bytes", meta.len(), limits.max_file_bytes),
            "profile a shorter window, or summarise it first (`nsys stats --report cuda_gpu_kern_sum --format csv`)",
        ));
    }
    if meta.len() == 0 {
        return Err(Problem::new(
            At::Nowhere,
            ErrorKind::UnknownFormat,
            "empty file",
            "give the profiler's output file, complete",
        ));
    }
    Ok(meta.len())
}

/// The profiler a format comes from, and what its times mean.
fn tool_and_timing(format: Format) -> (ProfileTool, TimingSource) {
    match format {
        Format::NsysSqlite | Format::NsysStatsCsv => (ProfileTool::Nsys, TimingSource::DeviceActivity),
        Format::NcuRawCsv | Format::NcuDetailsCsv => (ProfileTool::Ncu, TimingSource::NcuReplay),
        Format::TorchTrace | Format::TorchTraceGzip => (ProfileTool::Torch, TimingSource::DeviceActivity),
    }
}

/// Runs the reader of `format`. Text formats read the sniffed bytes again and then the rest of
/// the file through `hashing`, which is finished once the reader is done; SQLite reads the file
/// itself, so the rest is hashed first.
fn read_format<R: Read>(
    format: Format,
    path: &Path,
    file_len: u64,
    sniff: &[u8],
    mut hashing: Hashing<R>,
    limits: &Limits,
) -> Result<ImportedCapture, Problem> {
    let (tool, timing_source) = tool_and_timing(format);
    let capture = |tool_version, capture_id, kernels| ImportedCapture {
        tool,
        tool_version,
        capture_id,
        timing_source,
        format,
        kernels,
    };
    Ok(match format {
        Format::NsysSqlite => {
            nsys_sqlite::check_header(sniff, file_len, limits)?;
            let capture_id = hashing.finish()?;
            let parsed = nsys_sqlite::read(path, limits)?;
            capture(parsed.tool_version, capture_id, parsed.kernels)
        }
        Format::NsysStatsCsv => {
            let mut input = BufReader::new(io::Cursor::new(sniff).chain(&mut hashing));
            let kernels = nsys_csv::read(&mut input, limits)?;
            capture(None, hashing.finish()?, kernels)
        }
        Format::NcuRawCsv | Format::NcuDetailsCsv => {
            let mut input = BufReader::new(io::Cursor::new(sniff).chain(&mut hashing));
            let parsed = ncu_csv::read(&mut input, limits)?;
            // The reader's header decides the page (the sniff saw the same header).
            let format = match parsed.page {
                ncu_csv::Page::Raw => Format::NcuRawCsv,
                ncu_csv::Page::Details => Format::NcuDetailsCsv,
            };
            ImportedCapture { format, ..capture(parsed.tool_version, hashing.finish()?, parsed.kernels) }
        }
        Format::TorchTrace => {
            let parsed = torch_trace::read(io::Cursor::new(sniff).chain(&mut hashing), limits, &|| None)?;
            capture(parsed.tool_version, hashing.finish()?, parsed.kernels)
        }
        Format::TorchTraceGzip => {
            let parsed = read_torch_gzip(io::Cursor::new(sniff).chain(&mut hashing), limits)?;
            capture(parsed.tool_version, hashing.finish()?, parsed.kernels)
        }
    })
}

/// A gzip-compressed Chrome trace, decompressed under [`Limits::max_decompressed_bytes`]. The
/// JSON reader sees the cap only as a read error; `cut_short` lets it report the cap instead.
fn read_torch_gzip(compressed: impl Read, limits: &Limits) -> Result<torch_trace::Parsed, Problem> {
    let hit = Rc::new(Cell::new(false));
    let decoder = flate2::read::MultiGzDecoder::new(compressed);
    let capped = Capped { inner: decoder, left: limits.max_decompressed_bytes, hit: hit.clone() };
    let cut_short = || {
        hit.get().then(|| {
            Problem::new(
                At::Nowhere,
                ErrorKind::TooLarge,
                format!(
                    "gzip data expands past the limit of {} bytes (a decompression bomb?)",
                    limits.max_decompressed_bytes
                ),
                "give the uncompressed trace of a shorter profile",
            )
        })
    };
    torch_trace::read(capped, limits, &cut_short)
}

/// Refuses a capture without kernels, and checks every reader's output once more: a bug here
/// must not become a dataset row.
fn check_capture(capture: &ImportedCapture) -> Result<(), Problem> {
    if capture.kernels.is_empty() {
        return Err(Problem::no_kernels(At::Nowhere, "profile with CUDA kernel tracing on, over the inference"));
    }
    for k in &capture.kernels {
        if let Some(why) = aggregate::invariant_violation(k) {
            return Err(Problem::malformed(
                At::Nowhere,
                format!("inconsistent kernel row: {why}"),
                "report this file to edgebench",
            ));
        }
    }
    Ok(())
}

/// The format of a file from its first bytes.
fn detect(sniff: &[u8]) -> Result<Format, Problem> {
    if sniff.starts_with(nsys_sqlite::MAGIC) {
        return Ok(Format::NsysSqlite);
    }
    if sniff.starts_with(&GZIP_MAGIC) {
        return Ok(Format::TorchTraceGzip);
    }
    let body = sniff.strip_prefix("\u{feff}".as_bytes()).unwrap_or(sniff);
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | Some(b'[') => return Ok(Format::TorchTrace),
        None => {
            return Err(Problem::new(
                At::Nowhere,
                ErrorKind::UnknownFormat,
                "the file holds only white space",
                "give the profiler's output file",
            ));
        }
        _ => {}
    }
    // Text: look for a header among the first lines. A cut at the end of the sniffed bytes may
    // split a character or a line; only whole lines are judged.
    let (text, binary) = match std::str::from_utf8(body) {
        Ok(t) => (t, false),
        Err(e) => {
            let valid = std::str::from_utf8(&body[..e.valid_up_to()]).unwrap_or("");
            // Only an invalid byte before the end is binary: the cut may split a character.
            (valid, e.error_len().is_some())
        }
    };
    for line in text.lines().take(1000) {
        if let Some(page) = ncu_csv::header_line_page(line) {
            return Ok(match page {
                ncu_csv::Page::Raw => Format::NcuRawCsv,
                ncu_csv::Page::Details => Format::NcuDetailsCsv,
            });
        }
        if nsys_csv::is_header_line(line) {
            return Ok(Format::NsysStatsCsv);
        }
    }
    if binary {
        return Err(Problem::new(
            At::Nowhere,
            ErrorKind::UnknownFormat,
            "binary data that is not SQLite or gzip, and no profiler CSV header before it",
            "give an Nsight Systems SQLite export, `nsys stats` CSV, Nsight Compute CSV or a PyTorch Chrome trace",
        ));
    }
    Err(Problem::new(
        At::Nowhere,
        ErrorKind::UnknownFormat,
        "not a recognised profiler file (no SQLite or gzip magic, no JSON, no kernel summary or Nsight Compute CSV header in its first lines)",
        "give an Nsight Systems SQLite export, `nsys stats --report cuda_gpu_kern_sum --format csv` output, `ncu --csv` output or a PyTorch Chrome trace",
    ))
}
