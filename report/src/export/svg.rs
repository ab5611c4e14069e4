//! `figures/<id>.svg`: each figure as a standalone SVG file.

use std::path::{Path, PathBuf};

use super::{ExportError, Exporter, write_file};
use crate::document::ReportDocument;

pub struct SvgFigures;

impl Exporter for SvgFigures {
    fn name(&self) -> &'static str {
        "svg"
    }

    fn export(&self, doc: &ReportDocument, out: &Path) -> Result<Vec<PathBuf>, ExportError> {
        doc.figures.iter().map(|f| write_file(&out.join(&f.file), f.svg.as_bytes())).collect()
    }
}
