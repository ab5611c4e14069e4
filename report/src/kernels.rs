//! Kernel profiles (the paper's Fig. 9 and the Nsight Compute numbers of Section V): from
//! `kernels` rows to per-capture class shares, then to per-cell medians. Nothing here formats.
//!
//! A **capture** is the rows of one `capture_id` that share a phase and a timing source. The
//! collector's own `collect profile` writes one phase of one profiled process per capture id, so
//! this is normally the capture id itself; keying by phase and timing source as well keeps an
//! imported file that mixed them from pooling unlike times. Each capture's class shares are its
//! time per class over its total time, so they sum to 1 ([`Capture::class_shares`]).
//!
//! A **kernel cell** is device × back-end × power mode × model × phase (`None`: the capture does
//! not separate prefill from decode) × timing source; the model, as for run cells, is name,
//! quantisation and weights origin, which kernel rows lack and the runs of the profiled file give
//! (see [`kernel_cells`]). Its numbers are medians over its captures,
//! with a distribution-free interval when there are enough captures ([`crate::stats`]); a
//! capture that lacks a class counts as a share of 0 for it, so a class seen in one capture of
//! three is not reported as if it were in all. Names that no rule of the class table matched
//! (class `other`) stay in the shares as their own class and are counted, never dropped.
//!
//! One file per step of that path, then the two kinds of numbers papers quote to compare with:
//! - [`capture`]: rows → captures, each with its time per class and per kernel;
//! - [`cell`]: captures → kernel cells, the medians the report shows;
//! - [`ncu`]: the Nsight Compute measures, averaged per capture, and the values papers quote for them;
//! - [`published_shares`]: the class shares papers quote (the bars beside ours in Fig. 9).

mod capture;
mod cell;
mod ncu;
mod published_shares;

pub use capture::{Capture, KernelKey, captures, is_matrix_product};
pub use cell::{CaptureModel, KernelCell, TOP_KERNELS, TopKernel, kernel_cells};
pub use ncu::{NcuMetric, PublishedNcu, published_ncu};
pub use published_shares::{PUBLISHED_SHARE_METRIC, PublishedShares, published_shares};

/// A kernel row moved into the capture named `capture` (its ids recomputed), for the tests of
/// the steps.
#[cfg(test)]
fn in_capture(mut k: edgebench_dataset::schema::v1::Kernel, capture: &str) -> edgebench_dataset::schema::v1::Kernel {
    use edgebench_dataset::Table;
    k.capture_id = edgebench_dataset::schema::Sha256Hex::of(capture.as_bytes());
    k.kernel_id = k.compute_id();
    k
}
