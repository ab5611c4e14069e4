//! Synthetic rows for tests of code that reads or checks the dataset (this crate's tests, the
//! report's fixture dataset). Every row is internally consistent — ids, hashes and derived rates
//! agree — so it passes the validator; tests then break one thing at a time.
//!
//! These rows are labelled `synthetic` in their device label and collector version. They are test
//! inputs, never results: nothing here belongs in the committed dataset.

use crate::schema::v1::*;
use crate::schema::{Sha256Hex, Text, UtcMicros};
use crate::table::Table;

/// 2026-01-01T00:00:00Z.
pub const BASE_TIME: UtcMicros = UtcMicros(1_767_225_600_000_000);
/// Marks synthetic rows.
pub const SYNTHETIC_VERSION: &str = "0.0.0-synthetic";

fn digest(what: &str) -> Sha256Hex {
    Sha256Hex::of(what.as_bytes())
}

/// A successful CPU or GPU run of `model` on `device`.
pub fn run(device: &str, backend: Backend, power_mode: Option<&str>, model: &str, repetition: u32) -> Run {
    let config = format!(r#"{{"backend":"{backend}","max_output_tokens":256,"model":"{model}","n_threads":4,"protocol":"quick"}}"#);
    let gpu = backend != Backend::Cpu;
    let started = UtcMicros(BASE_TIME.0 + i64::from(repetition) * 60_000_000);
    let mut r = Run {
        run_id: digest(""),
        schema_version: SCHEMA_VERSION.into(),
        device_label: device.into(),
        backend,
        power_mode: power_mode.map(Into::into),
        power_mode_id: power_mode.map(|_| 0),
        model_name: model.into(),
        model_file_name: format!("{model}.gguf"),
        model_sha256: digest(model),
        model_size_bytes: 94_000_000,
        model_architecture: Some("llama".into()),
        model_n_params: Some(134_515_008),
        model_file_type: Some("Q4_1".into()),
        protocol: Protocol::Quick,
        repetition,
        prompt_set_name: "builtin".into(),
        prompt_set_sha256: digest("prompts"),
        n_prompts: 3,
        max_output_tokens: 256,
        n_threads: 4,
        n_gpu_layers: if gpu { -1 } else { 0 },
        n_ctx: 2048,
        n_batch: 512,
        seed: 42,
        run_config_sha256: Sha256Hex::of(config.as_bytes()),
        run_config_json: Text(config),
        chat_template_applied: Some(true),
        collector_version: SYNTHETIC_VERSION.into(),
        collector_git_commit: "0123456789abcdef0123456789abcdef01234567".into(),
        llama_cpp_sys_version: "0.1.160".into(),
        llama_cpp_commit: "b0000".into(),
        ggml_version: None,
        llama_build_flags: "synthetic".into(),
        llama_system_info: "synthetic".into(),
        host_fingerprint_sha256: digest(device),
        host_cpu_model: "synthetic CPU".into(),
        host_cpu_logical_cores: 8,
        host_cpu_physical_cores: Some(8),
        host_ram_bytes: 16 << 30,
        host_os: "synthetic OS".into(),
        host_kernel: "0.0".into(),
        host_arch: "aarch64".into(),
        host_gpu_name: gpu.then(|| "synthetic GPU".into()),
        host_gpu_driver: None,
        host_cuda_version: None,
        started_at: started,
        finished_at: UtcMicros(started.0 + 30_000_000),
        status: RunStatus::Ok,
        failure_reason: None,
        exit_code: Some(0),
        exit_signal: None,
        load_ms: Some(if gpu { 2000.0 } else { 700.0 } + f64::from(repetition)),
        peak_rss_bytes: Some(if gpu { 400 << 20 } else { 1200 << 20 }),
        peak_gpu_memory_bytes: gpu.then_some(1100 << 20),
        gpu_memory_kind: gpu.then_some(MemoryKind::Unified),
        gpu_memory_source: gpu.then(|| "nvmap".into()),
        gpu_memory_null_reason: (!gpu).then(|| "cpu back-end: no GPU memory used".into()),
        llama_device_buffer_bytes: None,
        mean_power_w: Some(10.0 + f64::from(repetition % 3)),
        energy_j: Some(300.0),
        power_source: Some("ina3221:VDD_IN".into()),
        power_null_reason: None,
        telemetry_hz: 20.0,
        cpu_governor: Some("schedutil".into()),
        temp_max_c_start: Some(40.0),
        temp_max_c_end: Some(55.0),
        device_state_json: Some(r#"{"source":"synthetic"}"#.into()),
        weights_origin: Some(WeightsOrigin::Trained),
        synthetic_preset: None,
        synthetic_seed: None,
        synthetic_generator: None,
        synthetic_source_sha256: None,
        energy_method: Some(EnergyMethod::Counter),
        // Not measured: a fixture's cells stay unlabelled by page-cache state (tests that need
        // one set it).
        model_resident_fraction: None,
        model_resident_null_reason: Some("fixture row: not measured".into()),
        cold_start_requested: Some(false),
        cold_start_failure_reason: None,
        repetition_rule: None,
        repetition_decision: None,
    };
    r.run_id = r.compute_id();
    r
}

/// A run that failed to load its model.
pub fn failed_run(device: &str, model: &str, repetition: u32) -> Run {
    let mut r = run(device, Backend::Cpu, None, model, repetition);
    r.status = RunStatus::LoadFailed;
    r.failure_reason = Some("GGUF file is truncated: expected 94000000 bytes, found 1000".into());
    r.exit_code = Some(1);
    r.load_ms = None;
    r.peak_rss_bytes = Some(20 << 20);
    r.model_architecture = None;
    r.model_n_params = None;
    r.chat_template_applied = None;
    r.mean_power_w = None;
    r.energy_j = None;
    r.energy_method = None;
    r.power_source = None;
    r.run_id = r.compute_id();
    r
}

/// A completed generation of prompt `prompt_index` in `run`.
pub fn generation(run: &Run, prompt_index: u32) -> Generation {
    let prompt_tokens = 40 + prompt_index;
    let output_tokens = 100 + (prompt_index * 7) % 50;
    let prefill_ms = f64::from(prompt_tokens) * 2.0;
    let ttft_ms = prefill_ms + 15.0;
    let tpot_ms = 25.0 + f64::from(run.repetition) * 0.1 + f64::from(prompt_index) * 0.01;
    let generation_ms = ttft_ms + tpot_ms * f64::from(output_tokens - 1);
    let output = format!("Step 1: read prompt {prompt_index}. Step 2: reason. The answer is {prompt_index}.");
    let energy_j = 0.4 * f64::from(output_tokens);
    let mut g = Generation {
        generation_id: digest(""),
        run_id: run.run_id.clone(),
        schema_version: SCHEMA_VERSION.into(),
        device_label: run.device_label.clone(),
        backend: run.backend,
        power_mode: run.power_mode.clone(),
        model_name: run.model_name.clone(),
        model_sha256: run.model_sha256.clone(),
        prompt_index,
        prompt_id: format!("p{prompt_index:03}"),
        prompt_sha256: digest(&format!("prompt {prompt_index}")),
        reference_sha256: Some(digest(&format!("reference {prompt_index}"))),
        status: GenerationStatus::Ok,
        failure_reason: None,
        started_at: UtcMicros(run.started_at.0 + 1_000_000 + i64::from(prompt_index) * 5_000_000),
        prompt_tokens: Some(prompt_tokens),
        output_tokens: Some(output_tokens),
        prefill_ms: Some(prefill_ms),
        ttft_ms: Some(ttft_ms),
        tpot_ms: Some(tpot_ms),
        generation_ms: Some(generation_ms),
        prefill_tokens_per_s: Some(f64::from(prompt_tokens) * 1000.0 / prefill_ms),
        decode_tokens_per_s: Some(1000.0 / tpot_ms),
        stop_reason: Some(StopReason::Eos),
        output_sha256: Some(Sha256Hex::of(output.as_bytes())),
        output_text: Some(Text(output)),
        peak_rss_bytes: run.peak_rss_bytes,
        peak_gpu_memory_bytes: run.peak_gpu_memory_bytes,
        mean_power_w: Some(10.5),
        energy_j: Some(energy_j),
        energy_per_output_token_j: Some(energy_j / f64::from(output_tokens)),
        power_null_reason: None,
        relevance: None,
        relevance_model: None,
        relevance_model_sha256: None,
        relevance_null_reason: None,
        energy_method: Some(EnergyMethod::PowerIntegral),
    };
    g.generation_id = g.compute_id();
    g
}

/// A kernel row of an Nsight Systems capture.
pub fn kernel(device: &str, model: &str, name: &str, class: OpClass, calls: u64, avg_ns: f64) -> Kernel {
    let mut k = Kernel {
        kernel_id: digest(""),
        capture_id: digest(&format!("capture {device} {model}")),
        run_id: None,
        schema_version: SCHEMA_VERSION.into(),
        device_label: device.into(),
        backend: Backend::Cuda,
        power_mode: None,
        model_name: model.into(),
        model_sha256: Some(digest(model)),
        host_fingerprint_sha256: digest(device),
        collector_version: SYNTHETIC_VERSION.into(),
        collector_git_commit: "0123456789abcdef0123456789abcdef01234567".into(),
        tool: ProfileTool::Nsys,
        tool_version: Some("2025.1".into()),
        kernel_name: Text(format!("void {name}<128>(float const*, float*)")),
        kernel_base_name: name.into(),
        op_class: class,
        calls,
        total_ns: avg_ns * calls as f64,
        avg_ns,
        min_ns: Some(avg_ns * 0.5),
        max_ns: Some(avg_ns * 2.0),
        median_ns: Some(avg_ns),
        stddev_ns: Some(avg_ns * 0.1),
        achieved_occupancy_pct: None,
        theoretical_occupancy_pct: None,
        eligible_warps_per_cycle: None,
        issued_warps_per_cycle: None,
        dram_throughput_pct: None,
        captured_at: BASE_TIME,
        phase: None,
        op_name: None,
        weight_type: None,
        shape_signature: None,
        token_columns: None,
        timing_source: Some(TimingSource::DeviceActivity),
        phase_wall_ns: None,
        phase_tokens: None,
        unprofiled_phase_wall_ns: None,
        active_warps_per_cycle: None,
        run_config_json: None,
    };
    k.kernel_id = k.compute_id();
    k
}

/// One op signature of a ggml op profile, for [`ggml_op_capture`].
#[derive(Debug, Clone, Copy)]
pub struct OpTiming<'a> {
    /// `ggml_op_desc` of the op (`MUL_MAT`, `ADD`, `SILU`...).
    pub op: &'a str,
    pub class: OpClass,
    pub weight_type: Option<&'a str>,
    /// Token columns of a matrix product: 1 runs as GEMV, more as GEMM.
    pub token_columns: Option<u64>,
    pub calls: u64,
    pub avg_ns: f64,
}

/// The rows of one capture of the collector's ggml op profile: one phase of one profiled
/// process on the CPU back-end, timed on the host with a synchronisation after every node. The
/// capture columns every row shares are consistent with `coverage` (Σ `total_ns` /
/// `phase_wall_ns`) and `overhead` (`phase_wall_ns` / `unprofiled_phase_wall_ns`); `capture`
/// tells captures of the same device, model and phase apart.
pub fn ggml_op_capture(device: &str, model: &str, phase: Phase, capture: u32, ops: &[OpTiming<'_>], coverage: f64, overhead: f64) -> Vec<Kernel> {
    let timed_ns: f64 = ops.iter().map(|o| o.avg_ns * o.calls as f64).sum();
    let phase_wall_ns = timed_ns / coverage;
    let phase_tokens = match phase {
        Phase::Prefill => 40,
        Phase::Decode => 99,
    };
    ops.iter()
        .enumerate()
        .map(|(i, o)| {
            let mut k = kernel(device, model, o.op, o.class, o.calls, o.avg_ns);
            let columns = o.token_columns.unwrap_or(1);
            let rows = 256 * (i as u64 + 1);
            let shape = format!("src0[576,{rows}] src1[576,{columns}] -> [{rows},{columns}]");
            k.capture_id = digest(&format!("ggml op capture {device} {model} {phase} {capture}"));
            k.backend = Backend::Cpu;
            k.tool = ProfileTool::GgmlOp;
            k.tool_version = None;
            k.kernel_name = Text(format!("{} {} {shape}", o.op, o.weight_type.unwrap_or("f32")));
            k.kernel_base_name = o.op.into();
            k.op_name = Some(o.op.into());
            k.weight_type = o.weight_type.map(Into::into);
            k.shape_signature = Some(shape);
            k.token_columns = o.token_columns;
            k.phase = Some(phase);
            k.timing_source = Some(TimingSource::HostSynchronised);
            k.phase_wall_ns = Some(phase_wall_ns);
            k.phase_tokens = Some(phase_tokens);
            k.unprofiled_phase_wall_ns = Some(phase_wall_ns / overhead);
            k.kernel_id = k.compute_id();
            k
        })
        .collect()
}

/// The metrics Nsight Compute gives a kernel row: occupancy (%) and warps per scheduler.
#[derive(Debug, Clone, Copy)]
pub struct NcuMetrics {
    pub theoretical_occupancy_pct: f64,
    pub achieved_occupancy_pct: f64,
    pub active_warps_per_cycle: f64,
    pub eligible_warps_per_cycle: f64,
    pub issued_warps_per_cycle: f64,
}

/// A kernel row of an Nsight Compute capture (kernel replay) with its metrics.
pub fn ncu_kernel(device: &str, model: &str, name: &str, class: OpClass, calls: u64, avg_ns: f64, metrics: NcuMetrics) -> Kernel {
    let mut k = kernel(device, model, name, class, calls, avg_ns);
    k.capture_id = digest(&format!("ncu capture {device} {model}"));
    k.tool = ProfileTool::Ncu;
    k.timing_source = Some(TimingSource::NcuReplay);
    k.theoretical_occupancy_pct = Some(metrics.theoretical_occupancy_pct);
    k.achieved_occupancy_pct = Some(metrics.achieved_occupancy_pct);
    k.active_warps_per_cycle = Some(metrics.active_warps_per_cycle);
    k.eligible_warps_per_cycle = Some(metrics.eligible_warps_per_cycle);
    k.issued_warps_per_cycle = Some(metrics.issued_warps_per_cycle);
    k.kernel_id = k.compute_id();
    k
}

/// One repetition of the fusion micro-benchmark.
pub fn microbench(device: &str, variant: FusionVariant, repetition: u32, elapsed_us: f64) -> Microbench {
    let elements: u64 = 1 << 24;
    let (launches, vectors) = match variant {
        FusionVariant::Unfused => (2, 5),
        FusionVariant::Fused => (1, 3),
    };
    let mut m = Microbench {
        microbench_id: digest(""),
        schema_version: SCHEMA_VERSION.into(),
        device_label: device.into(),
        backend: Backend::Cuda,
        power_mode: None,
        host_fingerprint_sha256: digest(device),
        collector_version: SYNTHETIC_VERSION.into(),
        collector_git_commit: "0123456789abcdef0123456789abcdef01234567".into(),
        experiment: "add_scale_fusion".into(),
        variant,
        dtype: "f32".into(),
        elements,
        repetition,
        kernel_launches: launches,
        bytes_moved: vectors * elements * 4,
        status: RunStatus::Ok,
        failure_reason: None,
        elapsed_us: Some(elapsed_us),
        measured_at: BASE_TIME,
        sweep_id: Some(digest(&format!("sweep {device}"))),
        threads: None,
        launch_config_json: Some(r#"{"device":"fixture GPU","block":256,"grid":1056,"timer":"cuda_events"}"#.into()),
        write_allocate: Some(false),
        last_level_cache_bytes: Some(50 << 20),
        copy_bandwidth_gb_s: Some(3000.0),
        triad_bandwidth_gb_s: Some(3100.0),
        warmup_repetitions: Some(5),
    };
    m.microbench_id = m.compute_id();
    m
}

/// A published number with its quote.
pub fn published(device: &str, model: Option<&str>, metric: &str, value: f64, unit: &str, quote: &str) -> Published {
    let mut p = Published {
        published_id: digest(""),
        schema_version: SCHEMA_VERSION.into(),
        citation_key: "synthetic2026".into(),
        citation: "A. Author, Synthetic paper, 2026.".into(),
        section: "IV-A".into(),
        figure: Some("Fig. 2".into()),
        device_label: device.into(),
        backend: Some(Backend::Cpu),
        power_mode: None,
        model_name: model.map(Into::into),
        model_precision: Some("Q8".into()),
        metric: metric.into(),
        op_class: None,
        value,
        unit: unit.into(),
        quote: quote.into(),
        ambiguity: None,
    };
    p.published_id = p.compute_id();
    p
}

/// Shard bytes as the writer of an older schema `version` wrote them: that version's columns only
/// (the columns added later must be null in `rows`), `version` in every row and in the
/// footer. For tests that old shards stay valid and readable; the store itself only writes
/// [`SCHEMA_VERSION`].
pub fn encode_at_version<T: Table>(rows: &mut [T], version: &str) -> Result<Vec<u8>, String> {
    for row in rows.iter_mut() {
        row.set_schema_version(version);
    }
    crate::shard::encode_at(rows, version)
}

/// `rows` as a writer of `version` made them: every column a later version added set to null
/// (fixture rows fill the newest columns; an older writer had none of them).
pub fn as_of_version<T: Table>(rows: Vec<T>, version: &str) -> Vec<T> {
    let rank = crate::schema::v1::version_rank(version).expect("a known version");
    let later: Vec<&str> = T::schema()
        .columns
        .iter()
        .filter(|c| crate::schema::v1::version_rank(c.since).is_some_and(|r| r > rank))
        .map(|c| c.name)
        .collect();
    rows.into_iter()
        .map(|row| {
            let mut value = serde_json::to_value(&row).expect("rows serialise");
            for column in &later {
                value[*column] = serde_json::Value::Null;
            }
            serde_json::from_value(value).expect("nulls fit the nullable columns later versions add")
        })
        .collect()
}

/// The files through which `dataset check-contribution` confirms the versions that fixture rows
/// state (`collector_version` [`SYNTHETIC_VERSION`], `llama_cpp_sys_version` 0.1.160), as
/// `(path in the repository, contents)`: for tests that build a git repository whose commit the
/// rows name as `collector_git_commit`.
pub fn collector_version_files() -> [(&'static str, String); 3] {
    [
        ("collector/Cargo.toml", "[package]\nname = \"collector\"\nversion.workspace = true\n".into()),
        ("Cargo.toml", format!("[workspace]\nmembers = [\"collector\"]\n\n[workspace.package]\nversion = \"{SYNTHETIC_VERSION}\"\n")),
        ("Cargo.lock", "version = 4\n\n[[package]]\nname = \"llama-cpp-sys-2\"\nversion = \"0.1.160\"\n".into()),
    ]
}
