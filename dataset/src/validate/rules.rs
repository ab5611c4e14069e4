//! Plausibility rules for single rows: what no honest measurement can produce.
//!
//! The same rules run in the writer (a row that breaks one is never stored) and in the validator
//! (a contributed shard that breaks one is reported). Bounds are physical, not statistical: they
//! reject negative durations, impossible rates and internal contradictions, not slow devices.

use crate::schema::v1::{Backend, Generation, GenerationStatus, Kernel, Microbench, Published, Run, RunStatus, SCHEMA_VERSION, WeightsOrigin, known_versions, version_rank};
use crate::schema::{Sha256Hex, Text, UtcMicros};

/// One thing wrong with a row.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub column: &'static str,
    pub message: String,
    pub fix: String,
}

/// Collects issues for one row.
pub struct Checker<'a> {
    out: &'a mut Vec<Issue>,
}

/// Longest plausible time to first token or load: one hour.
const MAX_LATENCY_MS: f64 = 3_600_000.0;
/// Longest plausible single generation: one day.
const MAX_GENERATION_MS: f64 = 86_400_000.0;
/// No batch-1 decoder produces a token in less than 20 µs (50 000 tokens/s).
const MIN_TPOT_MS: f64 = 0.02;
/// Prompt processing above 10⁶ tokens/s is not physical for any device in scope.
const MAX_PREFILL_TOKENS_PER_S: f64 = 1e6;
/// No single device in scope draws more than 2 kW.
const MAX_POWER_W: f64 = 2000.0;
/// 2020-01-01T00:00:00Z: nothing in the dataset predates it.
const EARLIEST_MICROS: i64 = 1_577_836_800_000_000;

impl<'a> Checker<'a> {
    pub fn new(out: &'a mut Vec<Issue>) -> Self {
        Checker { out }
    }

    fn fail(&mut self, column: &'static str, message: impl Into<String>, fix: impl Into<String>) {
        self.out.push(Issue { column, message: message.into(), fix: fix.into() });
    }

    /// A version this tool knows. That it is the shard's own version is checked against the
    /// footer (validator) or the writer's version (store), which a row alone cannot see.
    fn schema_version(&mut self, v: &str) {
        if version_rank(v).is_none() {
            self.fail(
                "schema_version",
                format!("`{}` is not a v1 schema version this tool knows ({})", crate::schema::truncate(v, 40), known_versions()),
                format!("write the row with the current dataset tool (version {SCHEMA_VERSION}), or upgrade the tool"),
            );
        }
    }

    fn label(&mut self, column: &'static str, v: &str) {
        if v.trim().is_empty() {
            self.fail(column, "is empty", "give a non-empty name");
        }
    }

    fn required<T>(&mut self, column: &'static str, v: &Option<T>, when: &str) {
        if v.is_none() {
            self.fail(column, format!("is null but required when {when}"), "record the value, or mark the row as failed with a reason");
        }
    }

    fn absent<T>(&mut self, column: &'static str, v: &Option<T>, when: &str) {
        if v.is_some() {
            self.fail(column, format!("must be null when {when}"), "remove the value or fix the status");
        }
    }

    fn reason(&mut self, column: &'static str, v: &Option<Text>, status: &str) {
        if v.as_deref().is_none_or(|r| r.trim().is_empty()) {
            self.fail(column, format!("is empty but status is `{status}`: a failure needs its reason"), "record why it failed");
        }
    }

    /// A finite value in `[lo, hi]`.
    fn range(&mut self, column: &'static str, v: Option<f64>, lo: f64, hi: f64, unit: &str) {
        let Some(v) = v else { return };
        if !v.is_finite() {
            self.fail(column, format!("is {v}, not a finite number"), "record a measured value or null");
        } else if v < lo || v > hi {
            let what = if v < 0.0 && lo >= 0.0 { "is negative: " } else { "" };
            self.fail(
                column,
                format!("{what}{v} {unit} is outside the plausible range [{lo}, {hi}] {unit}"),
                "check the unit and the measurement",
            );
        }
    }

    /// A finite value strictly above zero and at most `hi`.
    fn positive(&mut self, column: &'static str, v: Option<f64>, hi: f64, unit: &str) {
        if let Some(x) = v
            && x.is_finite()
            && x <= 0.0
        {
            let what = if x < 0.0 { "is negative" } else { "is zero" };
            self.fail(column, format!("{what} ({x} {unit}); a duration or rate must be positive"), "check the measurement");
            return;
        }
        self.range(column, v, 0.0, hi, unit);
    }

    fn at_least(&mut self, column: &'static str, v: Option<u64>, lo: u64) {
        if let Some(v) = v
            && v < lo
        {
            self.fail(column, format!("is {v}, must be at least {lo}"), "check the configuration");
        }
    }

    /// `actual` equals `expected` within 1 % (plus `abs` for values near zero).
    fn consistent(&mut self, column: &'static str, actual: Option<f64>, expected: Option<f64>, abs: f64, how: &str) {
        if let (Some(a), Some(e)) = (actual, expected)
            && a.is_finite()
            && e.is_finite()
            && (a - e).abs() > 0.01 * e.abs() + abs
        {
            self.fail(column, format!("is {a} but {how} gives {e}"), "recompute the derived value from the measured ones");
        }
    }

    fn sha_of(&mut self, column: &'static str, digest: &Sha256Hex, content: &str, of: &str) {
        if Sha256Hex::of(content.as_bytes()) != *digest {
            self.fail(column, format!("does not match the sha256 of `{of}`"), "recompute the hash from the stored text");
        }
    }

    fn json_object(&mut self, column: &'static str, v: Option<&Text>) {
        if let Some(text) = v
            && !matches!(serde_json::from_str::<serde_json::Value>(text), Ok(serde_json::Value::Object(_)))
        {
            self.fail(column, "is not a JSON object", "store a JSON object");
        }
    }

    fn timestamps(&mut self, start_col: &'static str, start: UtcMicros, end: Option<(&'static str, UtcMicros)>) {
        let latest = UtcMicros::now().0 + 86_400_000_000;
        for (col, t) in std::iter::once((start_col, start)).chain(end) {
            if t.0 < EARLIEST_MICROS || t.0 > latest {
                self.fail(col, format!("timestamp {} µs is before 2020 or in the future", t.0), "record the time in µs since the Unix epoch, UTC");
            }
        }
        if let Some((end_col, end)) = end
            && end.0 < start.0
        {
            self.fail(end_col, format!("is before {start_col}"), "check the clock source");
        }
    }

    /// Exactly one of a measured value and the reason it is missing.
    fn value_or_reason<T>(&mut self, column: &'static str, value: &Option<T>, reason_col: &'static str, reason: &Option<Text>) {
        match (value.is_some(), reason.is_some()) {
            (true, true) => self.fail(reason_col, format!("is set although {column} has a value"), "keep the value or the reason, not both"),
            (false, false) => self.fail(column, format!("is null and {reason_col} does not say why"), "record the value, or the reason the sensor is absent"),
            _ => {}
        }
    }
}

pub fn check_run(r: &Run, c: &mut Checker) {
    c.schema_version(&r.schema_version);
    if r.weights_origin == Some(WeightsOrigin::Synthetic) {
        c.required("synthetic_generator", &r.synthetic_generator, "weights_origin is `synthetic`");
        c.required("synthetic_seed", &r.synthetic_seed, "weights_origin is `synthetic`");
        if r.synthetic_preset.is_none() && r.synthetic_source_sha256.is_none() {
            c.fail("synthetic_preset", "and synthetic_source_sha256 are both null: a synthetic model copies a preset or a file", "record the preset or the source file's sha256");
        }
    } else {
        let when = "the weights are not synthetic";
        c.absent("synthetic_preset", &r.synthetic_preset, when);
        c.absent("synthetic_seed", &r.synthetic_seed, when);
        c.absent("synthetic_generator", &r.synthetic_generator, when);
        c.absent("synthetic_source_sha256", &r.synthetic_source_sha256, when);
    }
    c.label("device_label", &r.device_label);
    c.label("model_name", &r.model_name);
    if r.model_file_name.contains(['/', '\\']) {
        c.fail("model_file_name", "contains a directory; only the file name is stored (paths are private)", "store the file name only");
    }
    c.at_least("model_size_bytes", Some(r.model_size_bytes), 1);
    c.at_least("model_n_params", r.model_n_params, 1);
    c.at_least("n_prompts", Some(r.n_prompts.into()), 1);
    c.at_least("max_output_tokens", Some(r.max_output_tokens.into()), 1);
    c.at_least("n_threads", Some(r.n_threads.into()), 1);
    c.at_least("n_ctx", Some(r.n_ctx.into()), 1);
    c.at_least("n_batch", Some(r.n_batch.into()), 1);
    if r.n_gpu_layers < -1 {
        c.fail("n_gpu_layers", format!("is {}; use -1 for all layers", r.n_gpu_layers), "record the value passed to llama.cpp");
    }
    if r.backend == Backend::Cpu && r.n_gpu_layers != 0 {
        c.fail("n_gpu_layers", format!("is {} on the cpu back-end", r.n_gpu_layers), "record 0 for cpu runs, or the GPU back-end that was used");
    }
    c.sha_of("run_config_sha256", &r.run_config_sha256, &r.run_config_json, "run_config_json");
    c.json_object("run_config_json", Some(&r.run_config_json));
    let commit = r.collector_git_commit.strip_suffix("-dirty").unwrap_or(&r.collector_git_commit);
    if commit.len() != 40 || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        c.fail("collector_git_commit", format!("`{}` is not a 40-hex git commit (optionally `-dirty`)", crate::schema::truncate(&r.collector_git_commit, 60)), "build the collector from a git checkout");
    }
    c.label("collector_version", &r.collector_version);
    c.label("llama_cpp_sys_version", &r.llama_cpp_sys_version);
    c.label("llama_cpp_commit", &r.llama_cpp_commit);
    c.label("host_cpu_model", &r.host_cpu_model);
    c.label("host_os", &r.host_os);
    c.label("host_kernel", &r.host_kernel);
    c.label("host_arch", &r.host_arch);
    c.at_least("host_cpu_logical_cores", Some(r.host_cpu_logical_cores.into()), 1);
    c.at_least("host_ram_bytes", Some(r.host_ram_bytes), 1);
    if let Some(p) = r.host_cpu_physical_cores
        && (p == 0 || p > r.host_cpu_logical_cores)
    {
        c.fail("host_cpu_physical_cores", format!("is {p}, outside 1..={} (the logical cores)", r.host_cpu_logical_cores), "record what the OS reports");
    }
    c.timestamps("started_at", r.started_at, Some(("finished_at", r.finished_at)));
    let status = r.status.as_str();
    if r.status == RunStatus::Ok {
        let when = "status is `ok`";
        c.absent("failure_reason", &r.failure_reason, when);
        c.absent("exit_signal", &r.exit_signal, when);
        c.required("load_ms", &r.load_ms, when);
        c.required("peak_rss_bytes", &r.peak_rss_bytes, when);
        c.required("model_architecture", &r.model_architecture, when);
        c.required("model_n_params", &r.model_n_params, when);
        c.required("chat_template_applied", &r.chat_template_applied, when);
        c.value_or_reason("peak_gpu_memory_bytes", &r.peak_gpu_memory_bytes, "gpu_memory_null_reason", &r.gpu_memory_null_reason);
        c.value_or_reason("mean_power_w", &r.mean_power_w, "power_null_reason", &r.power_null_reason);
    } else {
        c.reason("failure_reason", &r.failure_reason, status);
    }
    c.positive("load_ms", r.load_ms, MAX_LATENCY_MS, "ms");
    if let Some(rss) = r.peak_rss_bytes {
        if rss == 0 {
            c.fail("peak_rss_bytes", "is zero; a running process has resident memory", "check the sampler");
        } else if rss > r.host_ram_bytes {
            c.fail("peak_rss_bytes", format!("{rss} bytes exceeds the host's RAM ({} bytes)", r.host_ram_bytes), "check the unit (bytes) and the sampler");
        }
    }
    if r.peak_gpu_memory_bytes.is_some() {
        c.required("gpu_memory_kind", &r.gpu_memory_kind, "peak_gpu_memory_bytes is set");
        c.required("gpu_memory_source", &r.gpu_memory_source, "peak_gpu_memory_bytes is set");
    }
    if r.mean_power_w.is_some() {
        c.required("power_source", &r.power_source, "mean_power_w is set");
    }
    c.positive("mean_power_w", r.mean_power_w, MAX_POWER_W, "W");
    c.range("energy_j", r.energy_j, 0.0, f64::MAX, "J");
    c.positive("telemetry_hz", Some(r.telemetry_hz), 10_000.0, "Hz");
    c.range("temp_max_c_start", r.temp_max_c_start, -50.0, 150.0, "°C");
    c.range("temp_max_c_end", r.temp_max_c_end, -50.0, 150.0, "°C");
    c.json_object("device_state_json", r.device_state_json.as_ref());
    check_run_1_4(r, c);
}

/// The columns schema 1.4 added to `runs`: consistent whenever present. None is required: the
/// store raises rows it rewrites (scoring, compaction) to the current version, and a row measured
/// before 1.4 has no value to give them.
fn check_run_1_4(r: &Run, c: &mut Checker) {
    if r.model_resident_fraction.is_some() && r.model_resident_null_reason.is_some() {
        c.fail("model_resident_null_reason", "is set although model_resident_fraction has a value", "keep the value or the reason, not both");
    }
    if r.energy_j.is_none() {
        c.absent("energy_method", &r.energy_method, "energy_j is null");
    }
    c.range("model_resident_fraction", r.model_resident_fraction, 0.0, 1.0, "");
    if r.cold_start_failure_reason.is_some() && r.cold_start_requested != Some(true) {
        c.fail("cold_start_failure_reason", "is set but no cold start was asked for (cold_start_requested is not true)", "record the reason only for runs of `collect run --cold`");
    }
    match (&r.repetition_rule, &r.repetition_decision) {
        (Some(rule), Some(_)) => c.json_object("repetition_rule", Some(rule)),
        (Some(_), None) => c.fail("repetition_decision", "is null but repetition_rule is set", "record what the rule decided after this run"),
        (None, Some(_)) => c.fail("repetition_decision", "is set but repetition_rule is null", "record the rule that decided"),
        (None, None) => {}
    }
}

pub fn check_generation(g: &Generation, c: &mut Checker) {
    c.schema_version(&g.schema_version);
    if g.relevance.is_some() {
        c.absent("relevance_null_reason", &g.relevance_null_reason, "relevance has a value");
    }
    c.label("device_label", &g.device_label);
    c.label("model_name", &g.model_name);
    c.label("prompt_id", &g.prompt_id);
    c.timestamps("started_at", g.started_at, None);
    if g.energy_j.is_none() {
        c.absent("energy_method", &g.energy_method, "energy_j is null");
    }
    match g.status {
        GenerationStatus::Ok => {
            let when = "status is `ok`";
            c.absent("failure_reason", &g.failure_reason, when);
            c.required("prompt_tokens", &g.prompt_tokens, when);
            c.required("output_tokens", &g.output_tokens, when);
            c.required("prefill_ms", &g.prefill_ms, when);
            c.required("ttft_ms", &g.ttft_ms, when);
            c.required("generation_ms", &g.generation_ms, when);
            c.required("prefill_tokens_per_s", &g.prefill_tokens_per_s, when);
            c.required("stop_reason", &g.stop_reason, when);
            c.required("output_text", &g.output_text, when);
            c.required("output_sha256", &g.output_sha256, when);
            c.value_or_reason("mean_power_w", &g.mean_power_w, "power_null_reason", &g.power_null_reason);
            match g.output_tokens {
                Some(n) if n >= 2 => {
                    c.required("tpot_ms", &g.tpot_ms, "at least two tokens were generated");
                    c.required("decode_tokens_per_s", &g.decode_tokens_per_s, "at least two tokens were generated");
                }
                _ => {
                    c.absent("tpot_ms", &g.tpot_ms, "fewer than two tokens were generated");
                    c.absent("decode_tokens_per_s", &g.decode_tokens_per_s, "fewer than two tokens were generated");
                }
            }
        }
        GenerationStatus::Failed => c.reason("failure_reason", &g.failure_reason, "failed"),
    }
    c.at_least("prompt_tokens", g.prompt_tokens.map(u64::from), 1);
    if g.status == GenerationStatus::Ok {
        c.at_least("output_tokens", g.output_tokens.map(u64::from), 1);
    }
    c.positive("prefill_ms", g.prefill_ms, MAX_LATENCY_MS, "ms");
    c.positive("ttft_ms", g.ttft_ms, MAX_LATENCY_MS, "ms");
    c.positive("generation_ms", g.generation_ms, MAX_GENERATION_MS, "ms");
    c.range("tpot_ms", g.tpot_ms, MIN_TPOT_MS, 600_000.0, "ms/token");
    c.positive("decode_tokens_per_s", g.decode_tokens_per_s, 1000.0 / MIN_TPOT_MS, "tokens/s");
    c.positive("prefill_tokens_per_s", g.prefill_tokens_per_s, MAX_PREFILL_TOKENS_PER_S, "tokens/s");
    let slack = 1e-6;
    if let (Some(p), Some(t)) = (g.prefill_ms, g.ttft_ms)
        && p > t * (1.0 + slack) + slack
    {
        c.fail("prefill_ms", format!("({p} ms) is longer than ttft_ms ({t} ms), which includes it"), "time prefill inside the TTFT interval");
    }
    if let (Some(t), Some(total)) = (g.ttft_ms, g.generation_ms)
        && t > total * (1.0 + slack) + slack
    {
        c.fail("ttft_ms", format!("({t} ms) is longer than generation_ms ({total} ms), which includes it"), "time TTFT inside the generation interval");
    }
    if let (Some(n), Some(t), Some(total)) = (g.output_tokens, g.ttft_ms, g.generation_ms)
        && n >= 2
    {
        c.consistent("tpot_ms", g.tpot_ms, Some((total - t) / f64::from(n - 1)), 0.01, "(generation_ms − ttft_ms) / (output_tokens − 1)");
    }
    c.consistent("decode_tokens_per_s", g.decode_tokens_per_s, g.tpot_ms.map(|t| 1000.0 / t), 0.01, "1000 / tpot_ms");
    if let (Some(n), Some(p)) = (g.prompt_tokens, g.prefill_ms) {
        c.consistent("prefill_tokens_per_s", g.prefill_tokens_per_s, Some(f64::from(n) * 1000.0 / p), 0.01, "prompt_tokens × 1000 / prefill_ms");
    }
    if let (Some(text), Some(digest)) = (&g.output_text, &g.output_sha256) {
        c.sha_of("output_sha256", digest, text, "output_text");
    }
    if matches!(g.peak_rss_bytes, Some(0)) {
        c.fail("peak_rss_bytes", "is zero; a running process has resident memory", "check the sampler");
    }
    if g.mean_power_w.is_some() {
        c.absent("power_null_reason", &g.power_null_reason, "mean_power_w is set");
    }
    c.positive("mean_power_w", g.mean_power_w, MAX_POWER_W, "W");
    c.range("energy_j", g.energy_j, 0.0, f64::MAX, "J");
    c.range("energy_per_output_token_j", g.energy_per_output_token_j, 0.0, f64::MAX, "J/token");
    if let (Some(e), Some(n)) = (g.energy_j, g.output_tokens)
        && n > 0
    {
        c.consistent("energy_per_output_token_j", g.energy_per_output_token_j, Some(e / f64::from(n)), 1e-9, "energy_j / output_tokens");
    }
    c.range("relevance", g.relevance, -1.0 - 1e-6, 1.0 + 1e-6, "");
    if g.relevance.is_some() {
        c.required("relevance_model", &g.relevance_model, "relevance is set");
        c.required("relevance_model_sha256", &g.relevance_model_sha256, "relevance is set");
    } else {
        c.absent("relevance_model", &g.relevance_model, "relevance is null");
        c.absent("relevance_model_sha256", &g.relevance_model_sha256, "relevance is null");
    }
}

pub fn check_kernel(k: &Kernel, c: &mut Checker) {
    c.schema_version(&k.schema_version);
    c.label("device_label", &k.device_label);
    c.label("model_name", &k.model_name);
    c.label("kernel_name", &k.kernel_name);
    c.label("kernel_base_name", &k.kernel_base_name);
    c.timestamps("captured_at", k.captured_at, None);
    c.at_least("calls", Some(k.calls), 1);
    c.range("total_ns", Some(k.total_ns), 0.0, f64::MAX, "ns");
    c.range("avg_ns", Some(k.avg_ns), 0.0, f64::MAX, "ns");
    for (col, v) in [("min_ns", k.min_ns), ("max_ns", k.max_ns), ("median_ns", k.median_ns), ("stddev_ns", k.stddev_ns)] {
        c.range(col, v, 0.0, f64::MAX, "ns");
    }
    c.consistent("total_ns", Some(k.total_ns), Some(k.avg_ns * k.calls as f64), 1.0, "avg_ns × calls");
    let tol = |x: f64| x * 1e-6 + 1.0;
    if let Some(min) = k.min_ns
        && min > k.avg_ns + tol(k.avg_ns)
    {
        c.fail("min_ns", format!("({min}) is above avg_ns ({})", k.avg_ns), "check the column order of the profiler output");
    }
    if let Some(max) = k.max_ns
        && max + tol(max) < k.avg_ns
    {
        c.fail("max_ns", format!("({max}) is below avg_ns ({})", k.avg_ns), "check the column order of the profiler output");
    }
    for (col, v) in [
        ("achieved_occupancy_pct", k.achieved_occupancy_pct),
        ("theoretical_occupancy_pct", k.theoretical_occupancy_pct),
        ("dram_throughput_pct", k.dram_throughput_pct),
    ] {
        c.range(col, v, 0.0, 100.0, "%");
    }
    c.range("eligible_warps_per_cycle", k.eligible_warps_per_cycle, 0.0, 64.0, "warps/cycle");
    c.range("issued_warps_per_cycle", k.issued_warps_per_cycle, 0.0, 1.0 + 1e-9, "instructions/cycle");
}

pub fn check_microbench(m: &Microbench, c: &mut Checker) {
    c.schema_version(&m.schema_version);
    c.label("device_label", &m.device_label);
    c.label("experiment", &m.experiment);
    c.label("dtype", &m.dtype);
    c.timestamps("measured_at", m.measured_at, None);
    c.at_least("elements", Some(m.elements), 1);
    c.at_least("kernel_launches", Some(m.kernel_launches.into()), 1);
    c.at_least("bytes_moved", Some(m.bytes_moved), 1);
    if m.status == RunStatus::Ok {
        c.required("elapsed_us", &m.elapsed_us, "status is `ok`");
        c.absent("failure_reason", &m.failure_reason, "status is `ok`");
    } else {
        c.reason("failure_reason", &m.failure_reason, m.status.as_str());
    }
    c.positive("elapsed_us", m.elapsed_us, 3.6e9, "µs");
    c.at_least("threads", m.threads.map(u64::from), 1);
    c.at_least("last_level_cache_bytes", m.last_level_cache_bytes, 1);
    // The fastest memory systems move a few TB/s; 1 PB/s is a unit error, not a device.
    c.positive("copy_bandwidth_gb_s", m.copy_bandwidth_gb_s, 1e6, "GB/s");
    c.positive("triad_bandwidth_gb_s", m.triad_bandwidth_gb_s, 1e6, "GB/s");
    c.json_object("launch_config_json", m.launch_config_json.as_ref());
}

pub fn check_published(p: &Published, c: &mut Checker) {
    c.schema_version(&p.schema_version);
    c.label("citation_key", &p.citation_key);
    c.label("citation", &p.citation);
    c.label("section", &p.section);
    c.label("device_label", &p.device_label);
    c.label("unit", &p.unit);
    c.label("quote", &p.quote);
    let snake = !p.metric.is_empty()
        && p.metric.starts_with(|ch: char| ch.is_ascii_lowercase())
        && p.metric.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !snake {
        c.fail("metric", format!("`{}` is not a snake_case metric name", crate::schema::truncate(&p.metric, 60)), "use names like load_ms, tpot_ms, kernel_class_share");
    }
    if !p.value.is_finite() {
        c.fail("value", format!("is {}, not a finite number", p.value), "copy the number as printed");
    } else if !numbers_in(&p.quote).any(|n| (n - p.value).abs() <= 1e-9 * p.value.abs().max(1.0)) {
        c.fail("value", format!("{} does not appear in the quoted sentence", p.value), "copy the number exactly as the quote prints it");
    }
}

/// Decimal numbers printed in a text (`1,924.2` → 1924.2; signs are not part of the number).
fn numbers_in(text: &str) -> impl Iterator<Item = f64> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            if !bytes[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let mut digits = String::new();
            while i < bytes.len() {
                let b = bytes[i];
                let next_is_digit = bytes.get(i + 1).is_some_and(|n| n.is_ascii_digit());
                if b.is_ascii_digit() {
                    digits.push(b as char);
                } else if b == b',' && next_is_digit {
                    // thousands separator
                } else if b == b'.' && next_is_digit && !digits.contains('.') {
                    digits.push('.');
                } else {
                    break;
                }
                i += 1;
            }
            if let Ok(n) = digits.parse::<f64>() {
                return Some(n);
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::numbers_in;

    #[test]
    fn numbers_are_read_as_printed() {
        let found: Vec<f64> = numbers_in("from 1,924.2 µs to 1,003.5 µs, a 47.8% cut; Qwen-0.5B (7 ms/token).").collect();
        assert_eq!(found, vec![1924.2, 1003.5, 47.8, 0.5, 7.0]);
    }
}
