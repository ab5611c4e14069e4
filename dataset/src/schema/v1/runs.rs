//! The `runs` table: one row per repetition (one worker process), with the model, the
//! configuration, the device's state and provenance, and how the run ended.

use super::{Backend, EnergyMethod, MemoryKind, Protocol, RepetitionDecision, RunStatus, WeightsOrigin};
use crate::define_table;
use crate::schema::{Sha256Hex, Text, UtcMicros};

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
