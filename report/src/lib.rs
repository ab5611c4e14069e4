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

/// Exit statuses of `report`, as `report --help` and the README list them: a dataset problem,
/// an output problem and a usage mistake each have their own, so that scripts can tell "fix the
/// data" from "fix the command".
pub mod exit_code {
    pub const SUCCESS: u8 = 0;
    /// The dataset is missing, is not a dataset, or is damaged (a [`crate::load::LoadError`]).
    pub const DATA: u8 = 1;
    /// The command line is wrong (clap's code: unknown option, missing value).
    pub const USAGE: u8 = 2;
    /// The outputs cannot be written under `--out`.
    pub const OUTPUT: u8 = 3;
    /// An output failed to render: a bug in `report`, whatever the data.
    pub const INTERNAL: u8 = 4;
}

/// What `report build` produced.
#[derive(Debug)]
pub struct BuildOutput {
    pub files: Vec<PathBuf>,
    pub cells: usize,
    pub findings: Vec<(String, findings::Verdict)>,
    /// Wall-clock time of each phase (`load`, `analyse`, `document`, then one per exporter).
    pub timings: Vec<(&'static str, std::time::Duration)>,
}

/// Why `report build` failed. Each message names the path, what is wrong and the fix (on a
/// second line, `  fix: ...`); [`BuildError::exit_code`] tells the kinds apart.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Load(#[from] load::LoadError),
    /// `--out` (or a file under it) cannot be written.
    #[error("{problem}\n  fix: {fix}")]
    Output { path: PathBuf, problem: String, fix: String },
    #[error(
        "the {format} output failed to render: {message}\n  fix: this is a bug in report, not in your data or \
         command: please file an issue with the command and this message"
    )]
    Internal { format: &'static str, message: String },
}

impl BuildError {
    /// The process exit status for this error ([`exit_code`]).
    pub fn exit_code(&self) -> u8 {
        match self {
            BuildError::Load(_) => exit_code::DATA,
            BuildError::Output { .. } => exit_code::OUTPUT,
            BuildError::Internal { .. } => exit_code::INTERNAL,
        }
    }

    fn export(format: &'static str, out: &Path, error: export::ExportError) -> BuildError {
        match error {
            export::ExportError::Io { path, source } => BuildError::output(out, path, source),
            other => BuildError::Internal { format, message: other.to_string() },
        }
    }

    /// `path` (the output directory, a directory above it or a file under it) could not be
    /// written: the problem in the system's words, the fix by its kind.
    fn output(out: &Path, path: PathBuf, source: std::io::Error) -> BuildError {
        use std::io::ErrorKind::*;
        let (o, p) = (out.display(), path.display());
        let choose = "pass --out a directory you can write to (it is created if missing)";
        let (problem, fix) = match source.kind() {
            NotADirectory if path == out => {
                (format!("--out {o} is a file, not a directory"), format!("{choose}, or move the file {o} away"))
            }
            NotADirectory if out.starts_with(&path) => {
                (format!("--out {o} cannot be created: {p} is a file, not a directory"), choose.to_owned())
            }
            StorageFull | QuotaExceeded => (
                format!("--out {o}: cannot write {p}: {source}"),
                format!("free some disk space (the report takes a few MB), or {choose} on another disk"),
            ),
            // The output directory or one above it (the check before the build): no file can be
            // created there.
            _ if out.starts_with(&path) => (format!("--out {o}: cannot create files in {p}: {source}"), choose.to_owned()),
            _ => (format!("--out {o}: cannot write {p}: {source}"), choose.to_owned()),
        };
        BuildError::Output { path, problem, fix }
    }
}

/// The step `report build` is starting, for progress messages (`report build` prints each on
/// stderr: the PDF alone takes over a second).
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    /// The manifest has been read; its shards are being read and checked.
    Reading { dataset: &'a Path, shards: usize },
    Analysing { runs: usize },
    LayingOut,
    /// An exporter is running ([`export::Exporter::doing`]).
    Exporting(&'static str),
}

impl std::fmt::Display for Step<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Reading { dataset, shards } => {
                write!(f, "reading {shards} shard{} of {}", if *shards == 1 { "" } else { "s" }, dataset.display())
            }
            Step::Analysing { runs } => write!(f, "analysing {runs} run{}", if *runs == 1 { "" } else { "s" }),
            Step::LayingOut => f.write_str("laying out the document"),
            Step::Exporting(doing) => f.write_str(doing),
        }
    }
}

/// Reads the dataset at `dataset`, analyses it and writes every output under `out`.
pub fn build(dataset: &Path, out: &Path) -> Result<BuildOutput, BuildError> {
    build_with_progress(dataset, out, &mut |_| {})
}

/// [`build`], calling `progress` as each step starts.
pub fn build_with_progress(
    dataset: &Path,
    out: &Path,
    progress: &mut dyn FnMut(Step<'_>),
) -> Result<BuildOutput, BuildError> {
    export::check_out_dir(out).map_err(|e| BuildError::export("output", out, e))?;
    let mut timings = Vec::new();
    let mut clock = std::time::Instant::now();
    let mut lap = |name: &'static str, timings: &mut Vec<_>| {
        let now = std::time::Instant::now();
        timings.push((name, now - clock));
        clock = now;
    };
    let data = load::Dataset::load_reporting(dataset, load::threads(), |shards| {
        progress(Step::Reading { dataset, shards })
    })?;
    lap("load", &mut timings);
    progress(Step::Analysing { runs: data.runs.len() });
    let analysis = analysis::analyse(&data);
    lap("analyse", &mut timings);
    progress(Step::LayingOut);
    let doc = document::build(&analysis);
    lap("document", &mut timings);
    let mut files = Vec::new();
    for exporter in export::all() {
        progress(Step::Exporting(exporter.doing()));
        files.extend(exporter.export(&doc, out).map_err(|e| BuildError::export(exporter.name(), out, e))?);
        lap(exporter.name(), &mut timings);
    }
    Ok(BuildOutput {
        files,
        cells: analysis.cells.len(),
        findings: doc.findings.iter().map(|f| (f.id.to_owned(), f.verdict)).collect(),
        timings,
    })
}
