//! Schema v1: the five tables of the edgebench dataset.
//!
//! Grain: every row is one thing that was measured (or quoted), never an aggregate. A failed run is
//! a row with its status and reason, not a missing row. Units are in the column names or in
//! `#[unit]` (and so in the data dictionary). Partition columns are slugified into the directory
//! names `device=<slug>/model=<slug>` and are *not* stored under those names in the files, so hive
//! readers never see a column twice.
//!
//! Versioning: adding a nullable column is a minor version (`1.0` → `1.1`), marked on the field with
//! `#[since = "1.1"]` and listed in [`VERSIONS`]; any other change is a new major directory (`v2/`)
//! with a documented migration. A shard holds exactly the columns of the version its footer names
//! (`edgebench.schema_version`, which its rows' `schema_version` repeats), so shards written before
//! a minor version stay byte for byte what they were, and stay valid. The writer writes only the
//! newest version ([`SCHEMA_VERSION`]); readers decode a shard of any known version into the
//! current row structs, the columns its version lacks being null (see [`crate::shard`]).

use super::{Reference, SchemaVersion, Sha256Hex, Text, UtcMicros};
use crate::define_table;

mod values;
pub use values::*;

/// The version the writer writes: in every new row's `schema_version` and every new shard's
/// footer. Always the last of [`VERSIONS`].
pub const SCHEMA_VERSION: &str = "1.4";

/// Every version of schema v1, oldest first, with what it added (the columns themselves are
/// derived from the fields' `#[since]`). Shards of each are valid and readable.
pub const VERSIONS: &[SchemaVersion] = &[
    SchemaVersion { version: "1.0", added: "the five tables" },
    SchemaVersion {
        version: "1.1",
        added: "kernels from ggml op profiles: the phase, op, weight type and shapes a row timed, where \
                its times come from, the phase's wall time and tokens with and without the profiler, and the \
                configuration profiled",
    },
    SchemaVersion {
        version: "1.2",
        added: "microbench rows of `collect fusion`: the sweep a row belongs to, the threads and launch \
                configuration that ran it, how its stores treat the cache, the device's last-level cache, and \
                the STREAM copy and triad bandwidth measured in the same sweep",
    },
    SchemaVersion {
        version: "1.3",
        added: "runs of synthetic-weight models (`collect synth`): where the weights come from, the preset, \
                seed and generator that made them or the file whose shapes they copy; generations say why \
                relevance is null",
    },
    SchemaVersion {
        version: "1.4",
        added: "how energy was obtained (counter or power integral); whether the model file was in the page \
                cache when a run started, and whether a cold start was asked for; the adaptive repetition \
                rule of `collect run --reps auto` and its decision after each run",
    },
];

/// The directory under the dataset root that holds schema v1 shards.
pub const VERSION_DIR: &str = "v1";

/// Position of `version` in [`VERSIONS`] (higher is newer); `None` for a version this tool does not
/// know. Versions are compared by this position, never as text.
pub fn version_rank(version: &str) -> Option<usize> {
    VERSIONS.iter().position(|v| v.version == version)
}

/// The known versions, for messages (`1.0, 1.1`).
pub fn known_versions() -> String {
    VERSIONS.iter().map(|v| v.version).collect::<Vec<_>>().join(", ")
}

define_table! {
    /// One repetition: one fresh worker process that loads one model under one configuration and
    /// runs every prompt of the prompt set, with its provenance, device state and status.
    table "runs", id run_id, partition(device = device_label, model = model_name),
    pub struct Run {
        /// sha256 of the identifying fields: device_label, power_mode, backend, model_sha256,
        /// run_config_sha256, host_fingerprint_sha256, repetition.
        pub run_id: Sha256Hex,
        /// Schema version the row was written under (`major.minor`, see the versions of schema v1);
        /// always the version its shard's footer names.
        pub schema_version: String,
        /// Device as named by the contributor (for example `Jetson AGX Orin 64GB`); its slug names
        /// the `device=` partition.
        pub device_label: String,
        /// llama.cpp back-end.
        pub backend: Backend,
        /// Power mode as reported by the device (`nvpmodel -q`: `MAXN`, `30W`); null when the device
        /// has no power modes.
        pub power_mode: Option<String>,
        /// Numeric id of the power mode (the line after `NV Power Mode` in `nvpmodel -q`).
        pub power_mode_id: Option<i32>,
        /// Model name: GGUF `general.name`, else the file stem; its slug names the `model=` partition.
        pub model_name: String,
        /// File name of the GGUF (no directories: paths are private).
        pub model_file_name: String,
        /// sha256 of the GGUF file's bytes.
        pub model_sha256: Sha256Hex,
        /// Size of the GGUF file.
        #[unit = "bytes"]
        pub model_size_bytes: u64,
        /// GGUF `general.architecture` (`llama`, `qwen2`, `gemma3`...); null when unreadable.
        pub model_architecture: Option<String>,
        /// Parameter count reported by llama.cpp after loading.
        #[unit = "parameters"]
        pub model_n_params: Option<u64>,
        /// Quantisation from GGUF `general.file_type` (for example `Q4_K_M`, `Q8_0`, `BF16`).
        pub model_file_type: Option<String>,
        /// Named protocol the run belongs to.
        pub protocol: Protocol,
        /// 0-based repetition index within the configuration.
        pub repetition: u32,
        /// Name of the prompt set (`builtin` or the file name of an external set).
        pub prompt_set_name: String,
        /// sha256 of the prompt set as loaded (canonical JSONL).
        pub prompt_set_sha256: Sha256Hex,
        /// Number of prompts in the run.
        pub n_prompts: u32,
        /// Maximum number of output tokens per prompt.
        #[unit = "tokens"]
        pub max_output_tokens: u32,
        /// CPU threads given to llama.cpp.
        pub n_threads: u32,
        /// Layers offloaded to the GPU (0 on the CPU back-end; -1 for all).
        pub n_gpu_layers: i32,
        /// Context size.
        #[unit = "tokens"]
        pub n_ctx: u32,
        /// Logical batch size for prompt processing.
        #[unit = "tokens"]
        pub n_batch: u32,
        /// Sampler seed (greedy sampling makes it irrelevant but it is recorded).
        pub seed: u32,
        /// The whole run configuration as canonical JSON (sorted keys, no whitespace).
        pub run_config_json: Text,
        /// sha256 of `run_config_json`.
        pub run_config_sha256: Sha256Hex,
        /// Whether the model's own chat template was applied to the prompts; null when the run
        /// failed before it could tell.
        pub chat_template_applied: Option<bool>,
        /// Version of the edgebench collector.
        pub collector_version: String,
        /// Git commit of the collector build (40 hex, `-dirty` appended for uncommitted changes).
        pub collector_git_commit: String,
        /// Version of the `llama-cpp-sys-2` crate that vendored llama.cpp.
        pub llama_cpp_sys_version: String,
        /// llama.cpp commit or build number compiled in.
        pub llama_cpp_commit: String,
        /// ggml version string, when the build exposes one.
        pub ggml_version: Option<String>,
        /// Build flags of llama.cpp (profile, back-end features, CMake options).
        pub llama_build_flags: Text,
        /// Output of `llama_print_system_info` (CPU features llama.cpp uses).
        pub llama_system_info: Text,
        /// sha256 of the host_* fields below (canonical form); identifies the machine without
        /// naming it.
        pub host_fingerprint_sha256: Sha256Hex,
        /// CPU model name.
        pub host_cpu_model: String,
        /// Logical CPU cores.
        pub host_cpu_logical_cores: u32,
        /// Physical CPU cores, when the OS reports them.
        pub host_cpu_physical_cores: Option<u32>,
        /// Total RAM.
        #[unit = "bytes"]
        pub host_ram_bytes: u64,
        /// Operating system name and version.
        pub host_os: String,
        /// Kernel version.
        pub host_kernel: String,
        /// CPU architecture (`x86_64`, `aarch64`).
        pub host_arch: String,
        /// GPU name; null when the host has no GPU visible to the collector.
        pub host_gpu_name: Option<String>,
        /// GPU driver version.
        pub host_gpu_driver: Option<String>,
        /// CUDA version reported by the driver.
        pub host_cuda_version: Option<String>,
        /// When the worker process was started.
        pub started_at: UtcMicros,
        /// When the worker process ended.
        pub finished_at: UtcMicros,
        /// How the run ended.
        pub status: RunStatus,
        /// Why the run did not end `ok` (required for every other status; null for `ok`).
        pub failure_reason: Option<Text>,
        /// Exit code of the worker, when it exited.
        pub exit_code: Option<i32>,
        /// Signal that ended the worker, when one did.
        pub exit_signal: Option<i32>,
        /// Wall-clock time of model load plus context initialisation.
        #[unit = "ms"]
        pub load_ms: Option<f64>,
        /// Peak resident set size of the worker over the whole run.
        #[unit = "bytes"]
        pub peak_rss_bytes: Option<u64>,
        /// Peak GPU memory used by the worker (NVML per-process, or Jetson `NvMapMemUsed`).
        #[unit = "bytes"]
        pub peak_gpu_memory_bytes: Option<u64>,
        /// Whether `peak_gpu_memory_bytes` is dedicated VRAM or unified memory.
        pub gpu_memory_kind: Option<MemoryKind>,
        /// Sensor that gave `peak_gpu_memory_bytes` (for example `nvml_process`, `nvmap`).
        pub gpu_memory_source: Option<String>,
        /// Why `peak_gpu_memory_bytes` is null (for example `no GPU back-end`, `NVML not found`).
        pub gpu_memory_null_reason: Option<Text>,
        /// Size of the device buffers llama.cpp allocated (model + KV cache + compute).
        #[unit = "bytes"]
        pub llama_device_buffer_bytes: Option<u64>,
        /// Mean power over the run (from model loaded to last prompt finished).
        #[unit = "W"]
        pub mean_power_w: Option<f64>,
        /// Energy over the same interval.
        #[unit = "J"]
        pub energy_j: Option<f64>,
        /// Power sensor (for example `nvml`, `ina3221:VDD_IN`, `rapl:package-0`).
        pub power_source: Option<String>,
        /// Why the power columns are null (for example `RAPL energy_uj not readable (root only)`).
        pub power_null_reason: Option<Text>,
        /// Telemetry sampling rate.
        #[unit = "Hz"]
        pub telemetry_hz: f64,
        /// CPU frequency governor at the start of the run.
        pub cpu_governor: Option<String>,
        /// Highest thermal-zone temperature at the start of the run.
        #[unit = "°C"]
        pub temp_max_c_start: Option<f64>,
        /// Highest thermal-zone temperature at the end of the run.
        #[unit = "°C"]
        pub temp_max_c_end: Option<f64>,
        /// Device state as a JSON object: per-core frequencies, thermal zones at start and end,
        /// GPU clocks and throttle reasons, raw `nvpmodel -q` output; each entry says its source.
        pub device_state_json: Option<Text>,
        /// Where the model's weights come from: `trained`, or `synthetic` (written by `collect
        /// synth`: the architecture and tensor shapes of a model with generated values, a
        /// measurement of the architecture, never of the model's quality). Null in rows written
        /// before schema 1.3, all of which ran trained weights.
        #[since = "1.3"]
        pub weights_origin: Option<WeightsOrigin>,
        /// The `collect synth` preset whose architecture the synthetic model has (for example
        /// `qwen2.5-0.5b`); null for a twin of an existing file.
        #[since = "1.3"]
        pub synthetic_preset: Option<String>,
        /// Seed of the generator that drew the synthetic weights.
        #[since = "1.3"]
        pub synthetic_seed: Option<u64>,
        /// What wrote the synthetic file (collector version and commit, value distribution):
        /// with the preset or source, the seed and the weight type, enough to write the same bytes
        /// again.
        #[since = "1.3"]
        pub synthetic_generator: Option<Text>,
        /// sha256 of the GGUF whose metadata, shapes, types and tokenizer a synthetic twin copies.
        #[since = "1.3"]
        pub synthetic_source_sha256: Option<Sha256Hex>,
        /// How `energy_j` and `mean_power_w` were obtained from `power_source`; null when they are.
        #[since = "1.4"]
        pub energy_method: Option<EnergyMethod>,
        /// Share of the model file's pages that were in the OS page cache when the worker started
        /// (`mincore` over the mapped file, 0 to 1): near 0 is a cold load from storage, 1 a warm
        /// one from memory, which loads several times faster. Null with the reason when unknown.
        #[unit = "fraction"]
        #[since = "1.4"]
        pub model_resident_fraction: Option<f64>,
        /// Why `model_resident_fraction` is null.
        #[since = "1.4"]
        pub model_resident_null_reason: Option<Text>,
        /// Whether the run asked for a cold start (`collect run --cold`: the model file dropped from
        /// the page cache before the worker started). Null in rows written before schema 1.4.
        #[since = "1.4"]
        pub cold_start_requested: Option<bool>,
        /// Why the file could not be dropped from the page cache although a cold start was asked
        /// for (the OS offers no way, or the call failed); `model_resident_fraction` says what was
        /// left.
        #[since = "1.4"]
        pub cold_start_failure_reason: Option<Text>,
        /// The adaptive repetition rule of the campaign (`collect run --reps auto`) as canonical
        /// JSON: minimum and maximum runs, target half-width of the median interval relative to the
        /// median, the level of the interval reported (0.95) and of the one the rule checks
        /// (`decision_level`, 0.975: stopping early on the 95% interval itself would let its
        /// coverage fall below 95%), and the metrics it watches. Null for a fixed count.
        #[since = "1.4"]
        pub repetition_rule: Option<Text>,
        /// What the rule decided after this run, from the cell's runs up to and including it.
        #[since = "1.4"]
        pub repetition_decision: Option<RepetitionDecision>,
    }
}

define_table! {
    /// One prompt inside one run: token counts, latencies, output, energy and relevance.
    table "generations", id generation_id, partition(device = device_label, model = model_name),
    pub struct Generation {
        /// sha256 of run_id and prompt_index.
        pub generation_id: Sha256Hex,
        /// The run this generation belongs to (`runs.run_id`).
        pub run_id: Sha256Hex,
        /// Schema version the row was written under (`major.minor`, see the versions of schema v1);
        /// always the version its shard's footer names.
        pub schema_version: String,
        /// Same as the run's `device_label` (kept here so that this table reads on its own).
        pub device_label: String,
        /// Same as the run's `backend`.
        pub backend: Backend,
        /// Same as the run's `power_mode`.
        pub power_mode: Option<String>,
        /// Same as the run's `model_name`.
        pub model_name: String,
        /// Same as the run's `model_sha256`.
        pub model_sha256: Sha256Hex,
        /// 0-based position of the prompt in the prompt set.
        pub prompt_index: u32,
        /// Identifier of the prompt within its set.
        pub prompt_id: String,
        /// sha256 of the prompt text as submitted (after the CoT trigger, before the chat template).
        pub prompt_sha256: Sha256Hex,
        /// sha256 of the prompt's reference answer, when the set has one.
        pub reference_sha256: Option<Sha256Hex>,
        /// Whether the generation completed.
        pub status: GenerationStatus,
        /// Why it failed (required when `status` is `failed`).
        pub failure_reason: Option<Text>,
        /// When the prompt was submitted.
        pub started_at: UtcMicros,
        /// Tokens in the prompt as evaluated (chat template included).
        #[unit = "tokens"]
        pub prompt_tokens: Option<u32>,
        /// Tokens sampled, the first one included, and a final end-of-generation token included
        /// when generation stopped on one (`output_text` excludes it).
        #[unit = "tokens"]
        pub output_tokens: Option<u32>,
        /// Time to evaluate the prompt: its decode calls alone, synchronised (llama-bench's `pp`).
        #[unit = "ms"]
        pub prefill_ms: Option<f64>,
        /// Time to first token: prompt submitted (before chat template and tokenisation) → first
        /// token sampled (prefill included).
        #[unit = "ms"]
        pub ttft_ms: Option<f64>,
        /// Time per output token after the first: (generation_ms − ttft_ms) / (output_tokens − 1);
        /// null when fewer than two tokens were generated.
        #[unit = "ms/token"]
        pub tpot_ms: Option<f64>,
        /// Prompt submitted → last token sampled.
        #[unit = "ms"]
        pub generation_ms: Option<f64>,
        /// Prompt tokens per second of prefill: 1000 · prompt_tokens / prefill_ms.
        #[unit = "tokens/s"]
        pub prefill_tokens_per_s: Option<f64>,
        /// Output tokens per second of decode: 1000 / tpot_ms.
        #[unit = "tokens/s"]
        pub decode_tokens_per_s: Option<f64>,
        /// Why generation stopped.
        pub stop_reason: Option<StopReason>,
        /// Generated text.
        pub output_text: Option<Text>,
        /// sha256 of `output_text` (UTF-8).
        pub output_sha256: Option<Sha256Hex>,
        /// Peak resident set size of the worker during this generation.
        #[unit = "bytes"]
        pub peak_rss_bytes: Option<u64>,
        /// Peak GPU (or unified) memory of the worker during this generation.
        #[unit = "bytes"]
        pub peak_gpu_memory_bytes: Option<u64>,
        /// Mean power during this generation.
        #[unit = "W"]
        pub mean_power_w: Option<f64>,
        /// Energy during this generation.
        #[unit = "J"]
        pub energy_j: Option<f64>,
        /// energy_j / output_tokens.
        #[unit = "J/token"]
        pub energy_per_output_token_j: Option<f64>,
        /// Why the power columns are null.
        pub power_null_reason: Option<Text>,
        /// Cosine similarity between the embeddings of the output and of the reference answer;
        /// filled after measurement by the scorer.
        #[unit = "cosine similarity"]
        pub relevance: Option<f64>,
        /// Scorer that computed `relevance` (embedding model and method).
        pub relevance_model: Option<String>,
        /// sha256 of the scorer's weights.
        pub relevance_model_sha256: Option<Sha256Hex>,
        /// Why `relevance` is null and stays so (for example: the run's weights are synthetic, so
        /// its outputs carry no meaning to score).
        #[since = "1.3"]
        pub relevance_null_reason: Option<Text>,
        /// How `energy_j` was obtained from the run's power source; null when it is.
        #[since = "1.4"]
        pub energy_method: Option<EnergyMethod>,
    }
}

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

define_table! {
    /// One number that a paper reports, with its citation, its place in the paper and the sentence
    /// it comes from. Units are kept as printed; ambiguities are recorded, not resolved by guessing.
    table "published", id published_id, partition(device = device_label, model = model_name),
    pub struct Published {
        /// sha256 of citation_key, section, metric, device_label, backend, power_mode, model_name,
        /// op_class, value and quote.
        pub published_id: Sha256Hex,
        /// Schema version the row was written under (`major.minor`, see the versions of schema v1);
        /// always the version its shard's footer names.
        pub schema_version: String,
        /// Short key of the paper (for example `liu2026edge`).
        pub citation_key: String,
        /// Full citation of the paper.
        pub citation: Text,
        /// Section of the paper the number is quoted from (for example `IV-B`).
        pub section: String,
        /// Figure or table the number belongs to, when the text names one.
        pub figure: Option<String>,
        /// Device as the paper names it.
        pub device_label: String,
        /// Back-end, when the paper states it.
        pub backend: Option<Backend>,
        /// Power mode, when the paper states it.
        pub power_mode: Option<String>,
        /// Model as the paper names it; null for model-independent numbers (the fusion experiment).
        pub model_name: Option<String>,
        /// Precision of the model weights as the paper states it (`Q8`, `BF16`).
        pub model_precision: Option<String>,
        /// What was measured, in snake_case (`load_ms`, `tpot_ms`, `kernel_class_share`...).
        pub metric: String,
        /// Kernel class, for kernel-share numbers.
        pub op_class: Option<OpClass>,
        /// The number as printed.
        pub value: f64,
        /// Its unit as printed (`ms`, `ms/token`, `GB`, `W`, `%`, `µs`).
        pub unit: String,
        /// The sentence the number comes from, verbatim.
        pub quote: Text,
        /// What the text leaves unclear about this number (device, mode, back-end...), if anything.
        pub ambiguity: Option<Text>,
    }
}

/// Every table of schema v1, in dictionary order.
pub const TABLES: &[&crate::schema::TableSchema] = &[
    Run::SCHEMA,
    Generation::SCHEMA,
    Kernel::SCHEMA,
    Microbench::SCHEMA,
    Published::SCHEMA,
];

/// The columns that hold another table's row ids.
pub const REFERENCES: &[Reference] = &[
    Reference { table: "generations", column: "run_id", target_table: "runs" },
    Reference { table: "kernels", column: "run_id", target_table: "runs" },
];

/// Looks a table up by name.
pub fn table(name: &str) -> Option<&'static crate::schema::TableSchema> {
    TABLES.iter().copied().find(|t| t.name == name)
}

#[cfg(test)]
mod tests;
