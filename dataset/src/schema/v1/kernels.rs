//! The `kernels` table: one row per kernel name or ggml op of a profile capture, with its timing
//! summary and, for Nsight Compute, its micro-architectural metrics.

use super::{Backend, OpClass, Phase, ProfileTool, TimingSource};
use crate::define_table;
use crate::schema::{Sha256Hex, Text, UtcMicros};

define_table! {
    /// One kernel name (or ggml op) in one profile capture, with its timing summary and, for Nsight
    /// Compute, its micro-architectural metrics (means over the profiled launches).
    table "kernels", id kernel_id, partition(device = device_label, model = model_name),
    pub struct Kernel {
        /// sha256 of capture_id and kernel_name.
        pub kernel_id: Sha256Hex,
        /// sha256 of the raw profiler output the row was parsed from.
        pub capture_id: Sha256Hex,
        /// The run that was profiled, when the capture came from a collector run.
        pub run_id: Option<Sha256Hex>,
        /// Schema version the row was written under (`major.minor`, see the versions of schema v1);
        /// always the version its shard's footer names.
        pub schema_version: String,
        /// Device as named by the contributor.
        pub device_label: String,
        /// llama.cpp back-end (or the framework's device for PyTorch captures).
        pub backend: Backend,
        /// Power mode during the capture.
        pub power_mode: Option<String>,
        /// Model that was profiled.
        pub model_name: String,
        /// sha256 of the model file, when the capture ran a GGUF.
        pub model_sha256: Option<Sha256Hex>,
        /// Identifies the machine (see `runs.host_fingerprint_sha256`).
        pub host_fingerprint_sha256: Sha256Hex,
        /// Version of the edgebench collector that imported the capture.
        pub collector_version: String,
        /// Git commit of that collector.
        pub collector_git_commit: String,
        /// Profiler.
        pub tool: ProfileTool,
        /// Version of the profiler.
        pub tool_version: Option<String>,
        /// Kernel name as the profiler printed it.
        pub kernel_name: Text,
        /// Kernel name without `void `, return type, namespaces, template arguments and parameters
        /// (like Nsight Systems' short name); for ggml op rows, the op name.
        pub kernel_base_name: String,
        /// Class from the kernel class table.
        pub op_class: OpClass,
        /// Number of launches.
        pub calls: u64,
        /// Total GPU time of all launches.
        #[unit = "ns"]
        pub total_ns: f64,
        /// Mean time per launch.
        #[unit = "ns"]
        pub avg_ns: f64,
        /// Shortest launch.
        #[unit = "ns"]
        pub min_ns: Option<f64>,
        /// Longest launch.
        #[unit = "ns"]
        pub max_ns: Option<f64>,
        /// Median launch.
        #[unit = "ns"]
        pub median_ns: Option<f64>,
        /// Standard deviation of launch times.
        #[unit = "ns"]
        pub stddev_ns: Option<f64>,
        /// Achieved occupancy (`sm__warps_active.avg.pct_of_peak_sustained_active`).
        #[unit = "%"]
        pub achieved_occupancy_pct: Option<f64>,
        /// Theoretical occupancy (`sm__maximum_warps_per_active_cycle_pct`).
        #[unit = "%"]
        pub theoretical_occupancy_pct: Option<f64>,
        /// Eligible warps per scheduler per cycle (`smsp__warps_eligible.avg.per_cycle_active`).
        #[unit = "warps/cycle"]
        pub eligible_warps_per_cycle: Option<f64>,
        /// Issued warps per scheduler per cycle (`smsp__issue_active.avg.per_cycle_active`).
        #[unit = "instructions/cycle"]
        pub issued_warps_per_cycle: Option<f64>,
        /// DRAM throughput (`gpu__dram_throughput.avg.pct_of_peak_sustained_elapsed`).
        #[unit = "%"]
        pub dram_throughput_pct: Option<f64>,
        /// When the capture was taken.
        pub captured_at: UtcMicros,
        /// Phase of inference the capture covers; null when the profiler's file does not separate
        /// the prompt from the generated tokens (imported Nsight and PyTorch captures).
        #[since = "1.1"]
        pub phase: Option<Phase>,
        /// ggml op that ran, as `ggml_op_desc` names it (`MUL_MAT`, `ADD`, the unary or GLU sub-op
        /// such as `SILU` or `SWIGLU`): set for rows of ggml op profiles.
        #[since = "1.1"]
        pub op_name: Option<String>,
        /// Type of the op's first source (for a matrix product, the weight type: `q4_1`, `q8_0`,
        /// `f16`, `bf16`, `f32`).
        #[since = "1.1"]
        pub weight_type: Option<String>,
        /// Shapes (ggml `ne`, trailing 1s dropped) of the op's sources and result, as
        /// `src0[..] src1[..] -> [..]`.
        #[since = "1.1"]
        pub shape_signature: Option<String>,
        /// Token columns of a matrix product (`src1->ne[1]`): 1 runs as GEMV, more as GEMM.
        #[unit = "tokens"]
        #[since = "1.1"]
        pub token_columns: Option<u64>,
        /// Where the times of this row come from; null in rows written before schema 1.1.
        #[since = "1.1"]
        pub timing_source: Option<TimingSource>,
        /// Wall time of the phase in the profiled process, over all its decode calls: the sum of
        /// the capture's timed rows against it is the share the profile accounts for.
        #[unit = "ns"]
        #[since = "1.1"]
        pub phase_wall_ns: Option<f64>,
        /// Tokens the phase processed in the profiled process (prompt tokens for prefill, generated
        /// tokens after the first for decode).
        #[unit = "tokens"]
        #[since = "1.1"]
        pub phase_tokens: Option<u64>,
        /// Wall time of the same phase over the same tokens in an unprofiled worker of the same
        /// command: `phase_wall_ns / unprofiled_phase_wall_ns` is the profiler's overhead, and for
        /// the decode phase `unprofiled_phase_wall_ns / phase_tokens` is the unprofiled TPOT.
        #[unit = "ns"]
        #[since = "1.1"]
        pub unprofiled_phase_wall_ns: Option<f64>,
        /// Active warps per scheduler per cycle (`smsp__warps_active.avg.per_cycle_active`).
        #[unit = "warps/cycle"]
        #[since = "1.1"]
        pub active_warps_per_cycle: Option<f64>,
        /// The configuration the profiled model ran under, as JSON (back-end, layers offloaded,
        /// threads, context, batch, prompts, maximum output tokens), for captures the collector
        /// took itself; null for imported files.
        #[since = "1.1"]
        pub run_config_json: Option<Text>,
    }
}
