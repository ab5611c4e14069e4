//! Exporters: one small type per output format behind one trait, each laying out the same
//! [`ReportDocument`]. Every file is written atomically (temporary file, then rename), so an
//! interrupted build never leaves half a PDF behind.

use std::path::{Path, PathBuf};

use crate::document::ReportDocument;

mod csv_tables;
mod html;
mod pdf;
mod svg;

pub use csv_tables::CsvTables;
pub use html::Html;
pub use pdf::{Pdf, compile_pdf};
pub use svg::SvgFigures;

/// Why an output could not be produced: a file that could not be written (the output
/// directory's fault, [`ExportError::Io`]), or a format that failed to render (the program's).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// `path` (a file, or the directory it goes in) could not be written.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    #[error("typst: {0}")]
    Typst(String),
    /// A table that the CSV writer refused (it writes to memory, so never the disk's fault).
    #[error("csv {path}: {message}")]
    Csv { path: PathBuf, message: String },
}

/// Writes one format of the report under the output directory.
pub trait Exporter {
    /// Short name for messages (`pdf`, `html`).
    fn name(&self) -> &'static str;
    /// Writes the files and returns their paths.
    fn export(&self, doc: &ReportDocument, out: &Path) -> Result<Vec<PathBuf>, ExportError>;
    /// What it writes, for progress messages (`compiling report.pdf`).
    fn doing(&self) -> &'static str {
        match self.name() {
            "svg" => "drawing figures/*.svg",
            "csv" => "writing tables/*.csv",
            "html" => "writing index.html",
            "pdf" => "compiling report.pdf",
            other => other,
        }
    }
}

/// Every exporter, in the order `report build` runs them.
pub fn all() -> Vec<Box<dyn Exporter>> {
    vec![Box::new(SvgFigures), Box::new(CsvTables), Box::new(Html), Box::new(Pdf)]
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename. A
/// failure names `path` (not the temporary file) and keeps the system's error, whose kind says
/// what to do (`NotADirectory`, `PermissionDenied`, `StorageFull`).
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<PathBuf, ExportError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| ExportError::Io { path: dir.to_path_buf(), source })?;
    }
    edgebench_dataset::fsutil::write_atomic(path, bytes).map_err(|e| match e {
        edgebench_dataset::Error::Io { source, .. } => ExportError::Io { path: path.to_path_buf(), source },
        other => ExportError::Io { path: path.to_path_buf(), source: std::io::Error::other(other.to_string()) },
    })?;
    Ok(path.to_path_buf())
}

/// Checks, before anything is computed, that `out` can be the output directory: it is one, or
/// it can be created (the nearest existing directory above it is a directory), and a file can
/// be created in it (tried with a probe file, removed at once). A bad `--out` is then said in
/// a second, not after the dataset has been read and the PDF compiled. Creates nothing that
/// stays: a build that fails on its dataset leaves no empty output directory behind.
pub fn check_out_dir(out: &Path) -> Result<(), ExportError> {
    let io = |path: &Path, source| ExportError::Io { path: path.to_path_buf(), source };
    let mut existing = out;
    loop {
        match std::fs::metadata(existing) {
            Ok(m) if m.is_dir() => break,
            Ok(_) => {
                return Err(io(existing, std::io::Error::new(std::io::ErrorKind::NotADirectory, "a file, not a directory")));
            }
            // `NotADirectory`: a file above it; go up until it is the one looked at.
            Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => match existing.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => existing = parent,
                _ => {
                    existing = Path::new(".");
                    break;
                }
            },
            Err(e) => return Err(io(existing, e)),
        }
    }
    let probe = existing.join(format!(".report-write-check-{}", std::process::id()));
    std::fs::OpenOptions::new().write(true).create_new(true).open(&probe).map_err(|e| io(existing, e))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}
