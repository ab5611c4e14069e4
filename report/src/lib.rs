//! # edgebench report
//!
//! Will turn whatever the dataset holds into the paper: per-cell medians with distribution-free
//! confidence intervals, ratios, kernel-class shares, figures, and findings evaluated on the data,
//! rendered into a Typst PDF (compiled in-process) and a static HTML report.
//!
//! Built so far: [`stats`], the statistics every number of the report rests on. The `report`
//! binary and `report build` arrive with the rest of the report issue; no command exists until
//! it works. The crate reads the dataset only through [`edgebench_dataset`] and never depends on
//! llama.cpp.

pub mod stats;
