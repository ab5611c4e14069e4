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

/// Why an output could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    #[error("typst: {0}")]
    Typst(String),
}

/// Writes one format of the report under the output directory.
pub trait Exporter {
    /// Short name for messages (`pdf`, `html`).
    fn name(&self) -> &'static str;
    /// Writes the files and returns their paths.
    fn export(&self, doc: &ReportDocument, out: &Path) -> Result<Vec<PathBuf>, ExportError>;
}

/// Every exporter, in the order `report build` runs them.
pub fn all() -> Vec<Box<dyn Exporter>> {
    vec![Box::new(SvgFigures), Box::new(CsvTables), Box::new(Html), Box::new(Pdf)]
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<PathBuf, ExportError> {
    let io = |source| ExportError::Io { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    edgebench_dataset::fsutil::write_atomic(path, bytes).map_err(|e| ExportError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(path.to_path_buf())
}
