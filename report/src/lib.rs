//! # edgebench report
//!
//! Will turn whatever the dataset holds into the paper: per-cell medians with distribution-free
//! confidence intervals, ratios, kernel-class shares, figures, and findings evaluated on the data,
//! rendered into a Typst PDF (compiled in-process) and a static HTML report.
//!
//! Nothing is built here yet: the `report` binary and `report build` arrive with the report issue.
//! Until then this crate deliberately exposes nothing. It will read the dataset only through
//! [`edgebench_dataset`], and will never depend on llama.cpp.
