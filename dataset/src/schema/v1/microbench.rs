//! The `microbench` table: one row per timed repetition of a micro-benchmark kernel (the Add +
//! Scale fusion experiment of `collect fusion`).

use super::{Backend, FusionVariant, RunStatus};
use crate::define_table;
use crate::schema::{Sha256Hex, Text, UtcMicros};

define_table! {
    /// One timed repetition of a micro-benchmark kernel (the paper's Add + Scale fusion
    /// experiment): the fused or unfused variant over a vector of a given length.
    table "microbench", id microbench_id, partition(device = device_label, model = none),
    pub struct Microbench {
        /// sha256 of device_label, power_mode, backend, host_fingerprint_sha256, experiment,
        /// variant, dtype, elements and repetition.
        pub microbench_id: Sha256Hex,
        /// Schema version the row was written under (`major.minor`, see the versions of schema v1);
        /// always the version its shard's footer names.
        pub schema_version: String,
        /// Device as named by the contributor.
        pub device_label: String,
        /// Back-end that ran the kernels.
        pub backend: Backend,
        /// Power mode during the measurement.
        pub power_mode: Option<String>,
        /// Identifies the machine (see `runs.host_fingerprint_sha256`).
        pub host_fingerprint_sha256: Sha256Hex,
        /// Version of the edgebench collector.
        pub collector_version: String,
        /// Git commit of the collector build.
        pub collector_git_commit: String,
        /// Name of the experiment (for example `add_scale_fusion`).
        pub experiment: String,
        /// Fused or unfused.
        pub variant: FusionVariant,
        /// Element type (`f32`, `f16`).
        pub dtype: String,
        /// Vector length.
        #[unit = "elements"]
        pub elements: u64,
        /// 0-based repetition index.
        pub repetition: u32,
        /// Kernel launches the variant makes.
        pub kernel_launches: u32,
        /// Bytes the variant reads and writes, as STREAM counts them (5 vectors unfused, 3 fused;
        /// write-allocate reads not counted).
        #[unit = "bytes"]
        pub bytes_moved: u64,
        /// How the measurement ended.
        pub status: RunStatus,
        /// Why it did not end `ok`.
        pub failure_reason: Option<Text>,
        /// Elapsed time of the variant (all its launches): CUDA events on a GPU, the host's
        /// monotonic clock around the threads' work on a CPU.
        #[unit = "µs"]
        pub elapsed_us: Option<f64>,
        /// When it was measured.
        pub measured_at: UtcMicros,
        /// sha256 identifying the `collect fusion` sweep (one invocation on one back-end) that
        /// measured the row: rows of one sweep share its threads, launch configuration and
        /// bandwidth measurements.
        #[since = "1.2"]
        pub sweep_id: Option<Sha256Hex>,
        /// CPU threads that ran the kernels, one per core they were pinned to; null on a GPU.
        #[unit = "threads"]
        #[since = "1.2"]
        pub threads: Option<u32>,
        /// How the kernels ran, as JSON: on CUDA the device, grid and block sizes, bytes per load
        /// and timer; on a CPU the threads, their cores, the partitioning and timer.
        #[since = "1.2"]
        pub launch_config_json: Option<Text>,
        /// Whether each store first reads its cache line (a CPU's ordinary stores): the memory-bound
        /// limit of fused / unfused time is then 4/7 (fused reads a, b and out, writes out; unfused
        /// reads and writes 7 vectors), else 3/5 (a GPU, or streaming stores).
        #[since = "1.2"]
        pub write_allocate: Option<bool>,
        /// Size of the device's last-level cache as the device reports it (a CPU's largest cache
        /// level of the cores used, a GPU's L2): vectors well above it run from memory.
        #[unit = "bytes"]
        #[since = "1.2"]
        pub last_level_cache_bytes: Option<u64>,
        /// STREAM copy (`c = a`) bandwidth of the same device, threads, element type and vector
        /// length, measured in the same sweep: bytes read and written as STREAM counts them (2
        /// vectors, no write-allocate traffic) over the fastest repetition, as STREAM reports.
        #[unit = "GB/s"]
        #[since = "1.2"]
        pub copy_bandwidth_gb_s: Option<f64>,
        /// STREAM triad (`a = b + q·c`) bandwidth, counted (3 vectors) and measured likewise.
        #[unit = "GB/s"]
        #[since = "1.2"]
        pub triad_bandwidth_gb_s: Option<f64>,
        /// Untimed repetitions of each kernel run before the timed ones at this vector length.
        #[since = "1.2"]
        pub warmup_repetitions: Option<u32>,
    }
}
