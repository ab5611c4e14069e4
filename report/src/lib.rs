//! # edgebench report
//!
//! Turns whatever the dataset holds into the paper: per-cell medians with distribution-free
//! confidence intervals, ratios, kernel-class shares, figures, and the paper's claims evaluated
//! on the data, rendered into a Typst PDF (compiled in-process) and a static HTML page.
//!
//! Data flows one way, each stage in its own module, as in criterion's analysis → report → plot:
//!
//! 1. [`load`] reads the dataset through [`edgebench_dataset`] (generations column-projected and
//!    folded into per-run sums, so model outputs are never decoded);
//! 2. [`analysis`] forms cells and their medians ([`stats`]), ratios, kernel shares ([`kernels`])
//!    and the fusion sweep against its memory-bound limit ([`fusion`]); [`metrics`] defines each
//!    per-run measure once;
//! 3. [`findings`] evaluates the paper's claims, declared as data, and words the verdicts from
//!    the numbers;
//! 4. [`document`] formats everything into one serialisable [`document::ReportDocument`], drawing
//!    the figures with [`figures`];
//! 5. [`export`] lays the document out: SVG files, CSV tables, the HTML page (minijinja) and the
//!    PDF (Typst), each behind the [`export::Exporter`] trait.
//!
//! Templates (`templates/`) are compiled into the binary and hold presentation only. The crate
//! never depends on llama.cpp.

pub mod analysis;
pub mod document;
pub mod export;
pub mod figures;
pub mod findings;
pub mod format;
pub mod fusion;
pub mod kernels;
pub mod load;
pub mod metrics;
pub mod stats;

use std::path::{Path, PathBuf};

/// What `report build` produced.
#[derive(Debug)]
pub struct BuildOutput {
    pub files: Vec<PathBuf>,
    pub cells: usize,
    pub findings: Vec<(String, findings::Verdict)>,
    /// Wall-clock time of each phase (`load`, `analyse`, `document`, then one per exporter).
    pub timings: Vec<(&'static str, std::time::Duration)>,
}

/// Why `report build` failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Load(#[from] load::LoadError),
    #[error("writing the {format} output: {source}")]
    Export { format: &'static str, source: export::ExportError },
}

/// Reads the dataset at `dataset`, analyses it and writes every output under `out`.
pub fn build(dataset: &Path, out: &Path) -> Result<BuildOutput, BuildError> {
    let mut timings = Vec::new();
    let mut clock = std::time::Instant::now();
    let mut lap = |name: &'static str, timings: &mut Vec<_>| {
        let now = std::time::Instant::now();
        timings.push((name, now - clock));
        clock = now;
    };
    let data = load::Dataset::load(dataset)?;
    lap("load", &mut timings);
    let analysis = analysis::analyse(&data);
    lap("analyse", &mut timings);
    let doc = document::build(&analysis);
    lap("document", &mut timings);
    let mut files = Vec::new();
    for exporter in export::all() {
        files.extend(exporter.export(&doc, out).map_err(|source| BuildError::Export { format: exporter.name(), source })?);
        lap(exporter.name(), &mut timings);
    }
    Ok(BuildOutput {
        files,
        cells: analysis.cells.len(),
        findings: doc.findings.iter().map(|f| (f.id.to_owned(), f.verdict)).collect(),
        timings,
    })
}
