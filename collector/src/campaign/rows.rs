//! The rows of one finished run: its status and reason, its telemetry, its generations and the
//! harness's own cost, all from what the worker reported ([`Finished`]) and what the sampler saw.
//! Kept apart from the campaign's planning and process handling so that each rule reads alone.

use std::collections::BTreeMap;

use edgebench_dataset::Table;
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::schema::{Sha256Hex, Text, UtcMicros};

use super::{Campaign, Clock, HarnessCost};
use crate::host::HostFingerprint;
use crate::{page_cache, provenance};
use crate::model_file::ModelFile;
use crate::telemetry::{Series, monotonic_ns};
use crate::worker::Event;
use crate::worker_process::{Finished, explain};

/// Status, reason, exit details and what the worker reported about loading.
pub(super) fn settle_status(c: &Campaign, model: &ModelFile, run: &mut Run, finished: &Finished, oom: Option<bool>) {
    use std::os::unix::process::ExitStatusExt;
    let Finished { events, status, timed_out, log, .. } = finished;
    let timed_out = *timed_out;
    let stderr_tail = &log.tail;
    run.exit_code = status.code();
    run.exit_signal = status.signal();
    let loaded = events.iter().find_map(|e| match e {
        Event::Loaded { t_end_ns, load_ms, n_params, chat_template_applied, ggml_version, .. } => {
            Some((*t_end_ns, *load_ms, *n_params, *chat_template_applied, ggml_version.clone()))
        }
        _ => None,
    });
    let finished = events.iter().any(|e| matches!(e, Event::Finished));
    let load_failure = events.iter().find_map(|e| match e {
        Event::LoadFailed { reason } => Some(reason.clone()),
        _ => None,
    });
    let (run_status, reason) = if timed_out {
        (RunStatus::TimedOut, Some(format!("the worker exceeded the {} s time limit and was killed; raise --run-timeout", c.run_timeout.as_secs())))
    } else if status.success() && finished && loaded.is_some() {
        (RunStatus::Ok, None)
    } else if let Some(r) = load_failure {
        let detail = model.known_problem().or_else(|| explain(stderr_tail));
        (RunStatus::LoadFailed, Some(match detail {
            Some(d) => format!("{r}: {d}"),
            None => r,
        }))
    } else if status.signal() == Some(libc::SIGKILL) {
        match oom {
            Some(true) => (RunStatus::OomKilled, Some("the out-of-memory killer ended the worker (cgroup memory.events oom_kill increased)".to_owned())),
            _ => (RunStatus::Crashed, Some("the worker was killed by SIGKILL from outside the collector (usually the out-of-memory killer; memory.events could not confirm it)".to_owned())),
        }
    } else {
        let how = match (status.code(), status.signal()) {
            (_, Some(sig)) => format!("the worker died from signal {sig}"),
            (Some(code), _) => format!("the worker exited with code {code}"),
            _ => "the worker ended abnormally".to_owned(),
        };
        let detail = explain(stderr_tail).or_else(|| model.known_problem());
        (RunStatus::Crashed, Some(match detail {
            Some(d) => format!("{how}: {d}"),
            None => how,
        }))
    };
    run.status = run_status;
    run.failure_reason = reason.map(Text);
    let device_buffers = llama_device_buffer_bytes(&log.buffer_lines);
    if c.backend == Backend::Cpu && run.status == RunStatus::Ok && let Some(bytes) = device_buffers {
        // The worker restricts llama.cpp to the CPU; a CPU run that used an accelerator anyway
        // measured something else and must not pass as a CPU measurement.
        run.status = RunStatus::Crashed;
        run.failure_reason = Some(Text(format!(
            "llama.cpp placed {bytes} bytes in accelerator buffers during a cpu run, so it did not run on the CPU alone"
        )));
    }
    if run.status != RunStatus::Ok {
        // A failed run keeps what it measured, but only a completed one claims a full set.
        run.chat_template_applied = loaded.as_ref().map(|l| l.3);
    }
    if let Some((t_loaded_ns, load_ms, n_params, chat_template_applied, ggml_version)) = loaded.clone() {
        run.load_ms = Some(load_ms);
        run.model_n_params = Some(n_params);
        run.chat_template_applied = Some(chat_template_applied);
        run.ggml_version = ggml_version;
        run.llama_device_buffer_bytes = device_buffers;
        let _ = t_loaded_ns;
    }

}

/// The run's peaks, power and energy over its life, from the sampler (or the kernel's peak RSS
/// when telemetry is off).
pub(super) fn run_telemetry(run: &mut Run, finished: &Finished, series: Option<&Series>) {
    let Finished { events, kernel_peak_rss, spawned_ns, ended_ns, .. } = finished;
    let (spawned_ns, ended_ns, kernel_peak_rss) = (*spawned_ns, *ended_ns, *kernel_peak_rss);
    let loaded_ns = events.iter().find_map(|e| match e {
        Event::Loaded { t_end_ns, .. } => Some(*t_end_ns),
        _ => None,
    });
    let last_generation_end = events.iter().rev().find_map(|e| match e {
        Event::Generation { t_end_ns, .. } => Some(*t_end_ns),
        _ => None,
    });
    match series {
        Some(series) => {
            let whole = series.window(spawned_ns, ended_ns);
            run.peak_rss_bytes = whole.peak_rss_bytes;
            run.peak_gpu_memory_bytes = whole.peak_gpu_memory_bytes;
            run.gpu_memory_kind = whole.peak_gpu_memory_bytes.and(series.gpu_memory_kind);
            run.gpu_memory_source = whole.peak_gpu_memory_bytes.and(series.gpu_memory_source.clone());
            run.gpu_memory_null_reason = whole.peak_gpu_memory_bytes.is_none().then(|| {
                Text(whole.gpu_memory_null_reason.clone().or(series.gpu_memory_null_reason.clone()).unwrap_or_else(|| "no GPU memory sample".into()))
            });
            match (loaded_ns, last_generation_end) {
                (Some(t0), Some(t1)) if t1 > t0 => {
                    let measured = series.window(t0, t1);
                    run.mean_power_w = measured.mean_power_w;
                    run.energy_j = measured.energy_j;
                    run.energy_method = measured.energy_method;
                    run.power_source = measured.mean_power_w.and(series.power_source.clone());
                    run.power_null_reason = measured.mean_power_w.is_none().then(|| {
                        Text(measured.power_null_reason.clone().or(series.power_null_reason.clone()).unwrap_or_else(|| "no power sample in the run".into()))
                    });
                }
                _ => run.power_null_reason = Some(Text("no generation completed, so there is no interval to measure power over".into())),
            }
        }
        None => {
            // Without the sampler, the kernel's own high-water mark of the worker's resident set.
            run.peak_rss_bytes = kernel_peak_rss;
            run.gpu_memory_null_reason = Some(Text("telemetry disabled (--no-telemetry)".into()));
            run.power_null_reason = Some(Text("telemetry disabled (--no-telemetry)".into()));
        }
    }
    if run.status == RunStatus::Ok && run.peak_rss_bytes.is_none() {
        run.status = RunStatus::Crashed;
        run.failure_reason = Some(Text("no memory sample of the worker could be taken (/proc unreadable)".into()));
    }
}

/// What every run of one campaign shares: provenance, configuration, power mode and host.
pub(super) struct RunProvenance {
    pub commit: String,
    pub llama_build_flags: String,
    pub config_json: String,
    pub config_sha: Sha256Hex,
    pub power_mode: Option<String>,
    pub power_mode_id: Option<i32>,
    pub host: HostFingerprint,
}

/// The row of a planned run, before it runs: identity, configuration and provenance; status `ok`
/// and every measurement null until [`settle_status`] and [`run_telemetry`] fill them.
pub(super) fn planned_run(c: &Campaign, model: &ModelFile, repetition: u32, p: &RunProvenance) -> Run {
    Run {
        run_id: Sha256Hex::of(b""),
        schema_version: SCHEMA_VERSION.into(),
        device_label: c.device_label.clone(),
        backend: c.backend,
        power_mode: p.power_mode.clone(),
        power_mode_id: p.power_mode_id,
        model_name: model.model_name(),
        model_file_name: model.file_name.clone(),
        model_sha256: model.sha256.clone(),
        model_size_bytes: model.size_bytes,
        model_architecture: model.header.as_ref().ok().and_then(|h| h.architecture.clone()),
        model_n_params: None,
        model_file_type: model.header.as_ref().ok().and_then(|h| h.file_type.clone()),
        protocol: c.protocol,
        repetition,
        prompt_set_name: c.prompts.name.clone(),
        prompt_set_sha256: c.prompts.sha256.clone(),
        n_prompts: c.prompts.prompts.len() as u32,
        max_output_tokens: c.max_output_tokens,
        n_threads: c.n_threads,
        n_gpu_layers: c.n_gpu_layers,
        n_ctx: c.n_ctx,
        n_batch: c.n_batch,
        seed: c.seed,
        run_config_json: Text(p.config_json.clone()),
        run_config_sha256: p.config_sha.clone(),
        chat_template_applied: None,
        collector_version: env!("CARGO_PKG_VERSION").into(),
        collector_git_commit: p.commit.clone(),
        llama_cpp_sys_version: provenance::LLAMA_CPP_SYS_VERSION.into(),
        llama_cpp_commit: provenance::llama_cpp_commit(),
        ggml_version: None,
        llama_build_flags: Text(p.llama_build_flags.clone()),
        llama_system_info: Text(provenance::llama_system_info()),
        host_fingerprint_sha256: p.host.sha256.clone(),
        host_cpu_model: p.host.cpu_model.clone(),
        host_cpu_logical_cores: p.host.cpu_logical_cores,
        host_cpu_physical_cores: p.host.cpu_physical_cores,
        host_ram_bytes: p.host.ram_bytes,
        host_os: p.host.os.clone(),
        host_kernel: p.host.kernel.clone(),
        host_arch: p.host.arch.clone(),
        host_gpu_name: p.host.gpu_name.clone(),
        host_gpu_driver: p.host.gpu_driver.clone(),
        host_cuda_version: p.host.cuda_version.clone(),
        started_at: UtcMicros::now(),
        finished_at: UtcMicros::now(),
        status: RunStatus::Ok,
        failure_reason: None,
        exit_code: None,
        exit_signal: None,
        load_ms: None,
        peak_rss_bytes: None,
        peak_gpu_memory_bytes: None,
        gpu_memory_kind: None,
        gpu_memory_source: None,
        gpu_memory_null_reason: None,
        llama_device_buffer_bytes: None,
        mean_power_w: None,
        energy_j: None,
        power_source: None,
        power_null_reason: None,
        telemetry_hz: c.telemetry_hz,
        cpu_governor: None,
        temp_max_c_start: None,
        temp_max_c_end: None,
        device_state_json: None,
        weights_origin: Some(if model.synthetic().is_some() { WeightsOrigin::Synthetic } else { WeightsOrigin::Trained }),
        synthetic_preset: model.synthetic().and_then(|s| s.preset.clone()),
        synthetic_seed: model.synthetic().map(|s| s.seed),
        synthetic_generator: model.synthetic().map(|s| Text(s.generator.clone())),
        synthetic_source_sha256: model.synthetic().and_then(|s| s.source_sha256.as_deref().and_then(|h| Sha256Hex::parse(h).ok())),
        energy_method: None,
        model_resident_fraction: None,
        model_resident_null_reason: None,
        cold_start_requested: Some(c.cold),
        cold_start_failure_reason: None,
        repetition_rule: None,
        repetition_decision: None,
    }
}

/// Drops the model file from the page cache first when the campaign asks for cold loads, or
/// reads it through the cache when it asks for warm ones, then records how much of the file is
/// resident as the worker is about to start. Measured in the parent just before the spawn:
/// nothing reads the file in between but the worker's load. A file that cannot be read for a
/// warm load ends the campaign: its worker could not load it either.
pub(super) fn page_cache_state(c: &Campaign, model: &ModelFile, run: &mut Run) -> Result<(), String> {
    if c.cold
        && let Err(why) = page_cache::evict(&model.path)
    {
        run.cold_start_failure_reason = Some(Text(why));
    }
    if c.warm {
        page_cache::preload(&model.path).map_err(|e| format!("--warm: {e}"))?;
    }
    match page_cache::residency(&model.path) {
        Ok(r) => run.model_resident_fraction = Some(r.fraction()),
        Err(why) => run.model_resident_null_reason = Some(Text(format!("mincore over the model file failed: {why}"))),
    }
    Ok(())
}

/// One row per prompt: measured, failed, or in flight when the worker died.
pub(super) fn generation_rows(c: &Campaign, run: &Run, events: &[Event], series: Option<&Series>, clock: &Clock) -> Vec<Generation> {
    let mut generations = Vec::new();
    let mut done = std::collections::HashSet::new();
    for event in events {
        match event {
            Event::Generation { index, t_start_ns, t_end_ns, prompt_tokens, output_tokens, prefill_ms, ttft_ms, generation_ms, stop_reason, output_text, .. } => {
                done.insert(*index);
                let window = series.map(|s| s.window(*t_start_ns, *t_end_ns));
                let n = *output_tokens;
                let tpot = (n >= 2).then(|| (generation_ms - ttft_ms) / f64::from(n - 1));
                let energy = window.as_ref().and_then(|w| w.energy_j);
                let power = window.as_ref().and_then(|w| w.mean_power_w);
                let mut g = generation_row(run, c, *index, clock.at(*t_start_ns));
                g.status = GenerationStatus::Ok;
                g.failure_reason = None;
                g.prompt_tokens = Some(*prompt_tokens);
                g.output_tokens = Some(n);
                g.prefill_ms = Some(*prefill_ms);
                g.ttft_ms = Some(*ttft_ms);
                g.tpot_ms = tpot;
                g.generation_ms = Some(*generation_ms);
                g.prefill_tokens_per_s = Some(f64::from(*prompt_tokens) * 1000.0 / prefill_ms);
                g.decode_tokens_per_s = tpot.map(|t| 1000.0 / t);
                g.stop_reason = Some(*stop_reason);
                g.output_sha256 = Some(Sha256Hex::of(output_text.as_bytes()));
                g.output_text = Some(Text(output_text.clone()));
                g.peak_rss_bytes = window.as_ref().and_then(|w| w.peak_rss_bytes);
                g.peak_gpu_memory_bytes = window.as_ref().and_then(|w| w.peak_gpu_memory_bytes);
                g.mean_power_w = power;
                g.energy_j = energy;
                g.energy_method = window.as_ref().and_then(|w| w.energy_method);
                g.energy_per_output_token_j = energy.map(|e| e / f64::from(n));
                g.power_null_reason = power.is_none().then(|| {
                    Text(match (&window, series) {
                        (Some(w), Some(s)) => w.power_null_reason.clone().or(s.power_null_reason.clone()).unwrap_or_else(|| "no power sample in this generation's interval".into()),
                        _ => "telemetry disabled (--no-telemetry)".into(),
                    })
                });
                g.generation_id = g.compute_id();
                generations.push(g);
            }
            Event::GenerationFailed { index, reason } => {
                done.insert(*index);
                generations.push(failed_generation(run, c, *index, reason.clone(), clock.at(monotonic_ns())));
            }
            _ => {}
        }
    }
    // The prompt in flight when the worker died.
    if let Some((index, t_ns)) = events.iter().rev().find_map(|e| match e {
        Event::PromptStarted { index, t_ns } => Some((*index, *t_ns)),
        _ => None,
    }) && !done.contains(&index)
    {
        let reason = run.failure_reason.as_ref().map(|r| r.0.clone()).unwrap_or_else(|| "the worker stopped during this prompt".into());
        generations.push(failed_generation(run, c, index, reason, clock.at(t_ns)));
    }
    generations
}

/// What the harness cost in this run (reported by `collect run --json`, not stored).
pub(super) fn harness_cost(finished: &Finished) -> HarnessCost {
    let Finished { events, parent_cpu_ms, spawned_ns, ended_ns, .. } = finished;
    let (outside, phase) = events.iter().fold((0.0, 0.0), |(outside, phase), e| match e {
        Event::Generation { output_tokens, ttft_ms, generation_ms, decode_calls_ms, .. } if *output_tokens >= 2 => {
            let span = generation_ms - ttft_ms;
            (outside + (span - decode_calls_ms).max(0.0), phase + span)
        }
        _ => (outside, phase),
    });
    HarnessCost {
        decode_outside_llama_share: (phase > 0.0).then(|| outside / phase),
        parent_cpu_ms: *parent_cpu_ms,
        worker_wall_ms: ended_ns.saturating_sub(*spawned_ns) as f64 / 1e6,
    }
}

/// llama.cpp's own account of the memory it allocated on accelerator devices: the sum of the
/// model, KV-cache, recurrent-state, output and compute buffers that its log reports
/// (`load_tensors:        CUDA0 model buffer size =   100.00 MiB`), host buffers (`CPU`,
/// `CPU_Mapped`, `CPU_REPACK`, `*_Host`) excluded. The log is the only place the C API exposes
/// these sizes (the per-buffer accounting lives in C++ objects). A buffer logged twice (a
/// re-reserved compute graph) counts once, with its last size. `None` when no device buffer was
/// reported: a CPU run, or a log format this collector does not know.
pub fn llama_device_buffer_bytes(lines: &[String]) -> Option<u64> {
    let mut buffers: BTreeMap<(String, String), f64> = BTreeMap::new();
    for line in lines {
        let Some((left, right)) = line.split_once(" buffer size = ") else { continue };
        let Some(mib) = right.trim().strip_suffix("MiB").and_then(|v| v.trim().parse::<f64>().ok()) else { continue };
        // `func: NAME KIND…`: the function name ends at the first ": ".
        let after = left.split_once(": ").map_or(left, |(_, rest)| rest);
        let mut words = after.split_whitespace();
        let Some(name) = words.next() else { continue };
        let kind: Vec<&str> = words.collect();
        let host = name.starts_with("CPU") || name.ends_with("_Host");
        if !host && mib.is_finite() && mib >= 0.0 {
            buffers.insert((name.to_owned(), kind.join(" ")), mib);
        }
    }
    (!buffers.is_empty()).then(|| (buffers.values().sum::<f64>() * 1024.0 * 1024.0).round() as u64)
}

/// A failed generation row: the prompt's identity, the reason, no measurements.
fn failed_generation(run: &Run, c: &Campaign, index: u32, reason: String, started_at: UtcMicros) -> Generation {
    let mut g = generation_row(run, c, index, started_at);
    g.failure_reason = Some(Text(reason));
    g.generation_id = g.compute_id();
    g
}

/// The part of a generation row that does not depend on how it went: identity, run keys,
/// prompt hashes; status `failed` and every measurement null until filled.
/// Why a synthetic-weight model's generations are never scored.
pub const SYNTHETIC_RELEVANCE: &str =
    "synthetic weights (collect synth): the output is not the model's, so there is nothing to score";

fn generation_row(run: &Run, c: &Campaign, index: u32, started_at: UtcMicros) -> Generation {
    let prompt = &c.prompts.prompts[index as usize];
    let mut g = Generation {
        generation_id: Sha256Hex::of(b""),
        run_id: run.run_id.clone(),
        schema_version: SCHEMA_VERSION.into(),
        device_label: run.device_label.clone(),
        backend: run.backend,
        power_mode: run.power_mode.clone(),
        model_name: run.model_name.clone(),
        model_sha256: run.model_sha256.clone(),
        prompt_index: index,
        prompt_id: prompt.id.clone(),
        prompt_sha256: Sha256Hex::of(prompt.with_cot().as_bytes()),
        reference_sha256: prompt.reference.as_ref().map(|r| Sha256Hex::of(r.as_bytes())),
        status: GenerationStatus::Failed,
        failure_reason: None,
        started_at,
        prompt_tokens: None,
        output_tokens: None,
        prefill_ms: None,
        ttft_ms: None,
        tpot_ms: None,
        generation_ms: None,
        prefill_tokens_per_s: None,
        decode_tokens_per_s: None,
        stop_reason: None,
        output_text: None,
        output_sha256: None,
        peak_rss_bytes: None,
        peak_gpu_memory_bytes: None,
        mean_power_w: None,
        energy_j: None,
        energy_per_output_token_j: None,
        power_null_reason: None,
        relevance: None,
        relevance_model: None,
        relevance_model_sha256: None,
        relevance_null_reason: (run.weights_origin == Some(WeightsOrigin::Synthetic))
            .then(|| Text::from(SYNTHETIC_RELEVANCE.to_owned())),
        energy_method: None,
    };
    g.generation_id = g.compute_id();
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn device_buffers_sum_accelerator_buffers_and_skip_host_ones() {
        // The shape of llama.cpp's load log on a CUDA build with every layer offloaded.
        let log = lines(
            "load_tensors: offloaded 31/31 layers to GPU\n\
             load_tensors:        CUDA0 model buffer size =    85.50 MiB\n\
             load_tensors:   CPU_Mapped model buffer size =    20.25 MiB\n\
             llama_context:  CUDA_Host  output buffer size =     0.19 MiB\n\
             llama_kv_cache:      CUDA0 KV buffer size =    45.00 MiB\n\
             llama_context:      CUDA0 compute buffer size =   100.00 MiB\n\
             llama_context:      CUDA0 compute buffer size =   105.00 MiB\n\
             llama_context:  CUDA_Host compute buffer size =     4.01 MiB",
        );
        // 85.5 + 45 + 105 (the re-reserved compute buffer counts once, last size).
        assert_eq!(llama_device_buffer_bytes(&log), Some((235.5 * 1024.0 * 1024.0) as u64));
    }

    #[test]
    fn device_buffers_are_none_on_the_cpu_back_end() {
        let log = lines(
            "load_tensors:   CPU_Mapped model buffer size =    88.94 MiB\n\
             llama_kv_cache:        CPU KV buffer size =    45.00 MiB\n\
             llama_context:        CPU compute buffer size =   100.00 MiB\n\
             llama_context:   CPU_REPACK model buffer size =     3.00 MiB",
        );
        assert_eq!(llama_device_buffer_bytes(&log), None);
        assert_eq!(llama_device_buffer_bytes(&[]), None);
        // A line in an unknown format is ignored rather than guessed at.
        assert_eq!(llama_device_buffer_bytes(&lines("x: CUDA0 model buffer size = lots")), None);
    }
}
