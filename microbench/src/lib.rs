//! The paper's kernel-fusion experiment, re-runnable on any device, next to that device's
//! measured memory bandwidth.
//!
//! The paper (Section V, Fig. 10) times `out = s·(a + b)` as two kernels, `t = a + b` then
//! `out = s·t`, against one fused kernel. It gives no vector length, no repetitions and no
//! bandwidth. Here the same two variants run over a sweep of vector lengths, from cache-resident to
//! well above the last-level cache, in f32 and f16, and in the same sweep the device's STREAM copy
//! (`c = a`) and triad (`a = b + q·c`) bandwidth is measured with the same threads, element type
//! and vector length. That puts every result next to its physical limit ([`model`]): for vectors far
//! larger than the cache the run is memory-bound, and fused / unfused tends to the ratio of the
//! bytes the two variants move: 3/5, or 4/7 where every store first reads its line.
//!
//! Design, in the order data flows:
//! - [`model`]: the kernels, the bytes each moves as STREAM counts them and as a write-allocating
//!   cache moves them, and the bounds that follow. Pure arithmetic, no device.
//! - [`Device`]: the one narrow door to hardware: allocate and fill the vectors of one length, run
//!   one kernel sequence and return its elapsed time, check the results. Two implementations:
//!   [`cpu::CpuDevice`] (pinned threads, each owning and first-touching its slice of every vector)
//!   and [`cuda::CudaDevice`] (kernels compiled at run time by NVRTC, timed with CUDA events).
//! - [`sweep`]: the protocol, the same on every device: sizes, warm-up, interleaved timed
//!   repetitions, STREAM's best rate for the bandwidth, the result check; it yields plain records.
//!
//! The crate writes nothing: `collect fusion` (in the collector) turns the records into dataset
//! rows. Keeping the measurement free of dataset and llama.cpp dependencies keeps it small enough
//! to read in one sitting and quick to build.

pub mod cpu;
pub mod cuda;
pub mod model;
pub mod sweep;

use std::time::Duration;

pub use model::{Dtype, Kernel, Variant};
pub use sweep::{Protocol, SizeResult, Sweep, run_sweep};

/// What a device says about itself, stored with every row of its sweep.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeviceDescription {
    /// `cpu` or `cuda`.
    pub backend: &'static str,
    /// CPU model or GPU name.
    pub name: String,
    /// Last-level cache as the device reports it; `None` when it does not say.
    pub last_level_cache_bytes: Option<u64>,
    /// Threads that run the CPU kernels; `None` on a GPU.
    pub threads: Option<u32>,
    /// Whether each store first reads its line: sets which bound applies ([`model::bound`]).
    /// On a CPU, the sweep replaces the initial guess with the probe's measurement.
    pub write_allocate: bool,
    /// How kernels are launched and timed, as a JSON object.
    pub launch_config: serde_json::Value,
}

/// How a CPU's stores treat the cache, measured: a read-only and a write-only pass over one f32
/// vector far above the cache, each at its best repetition.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct WriteAllocateProbe {
    pub elements: u64,
    pub read_gb_s: f64,
    pub write_gb_s: f64,
    /// `write_gb_s / read_gb_s` below [`cpu::WRITE_ALLOCATE_BELOW`].
    pub write_allocate: bool,
}

/// Errors, each said once, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),
    #[error("not enough memory: {0}")]
    OutOfMemory(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Device(String),
    #[error("wrong result: {0}")]
    WrongResult(String),
}

/// The one door to a device: everything the protocol needs, nothing else.
pub trait Device {
    fn describe(&self) -> &DeviceDescription;
    /// Bytes that vectors may take on the device now (free GPU memory, available host memory).
    fn available_bytes(&self) -> Result<u64, Error>;
    /// How the kernels of one size are launched, as a JSON object (the description's, plus what
    /// depends on the size, such as a GPU grid).
    fn launch_config(&self, dtype: Dtype, elements: u64) -> serde_json::Value {
        let _ = (dtype, elements);
        self.describe().launch_config.clone()
    }
    /// Allocates the four vectors (`a`, `b`, `t`, `out`) of `elements` elements of `dtype` and fills
    /// `a` and `b` with the check pattern ([`model::input_a`], [`model::input_b`]); frees the
    /// previous ones. Not timed.
    fn prepare(&mut self, dtype: Dtype, elements: usize) -> Result<(), Error>;
    /// Runs the kernels of `kernel` once, in order, and returns the elapsed time of all of them.
    fn time(&mut self, kernel: Kernel) -> Result<Duration, Error>;
    /// Measures whether stores read their line first, on the vectors `prepare` made last (the
    /// sweep calls it at its largest f32 length). `None`: the device's description says, as on a
    /// GPU, whose L2 merges full-line writes without reading them (checked with Nsight Compute).
    fn probe_write_allocate(&mut self, repetitions: u32) -> Result<Option<WriteAllocateProbe>, Error> {
        let _ = repetitions;
        Ok(None)
    }
    /// Checks `out` (and `t` where the kernel writes it) against the exact result of the last
    /// `kernel` run: every element, or an even sample of them on a GPU.
    fn check(&mut self, kernel: Kernel) -> Result<(), Error>;
}
