//! A campaign: every (model, repetition) of one configuration, each run in a fresh worker process.
//!
//! The parent plans the runs and computes their ids before running anything, so that re-running
//! the same command skips what is stored. Each run: read the device state, spawn the worker,
//! sample its memory and the host's power from outside ([`crate::telemetry`]), wait under a time
//! limit, read the device state again, then build the run row and its generation rows and commit
//! them together ([`edgebench_dataset::store::WriteBatch`]). A worker that crashes, is killed by
//! the out-of-memory killer or times out becomes a run row with that status and reason, and the
//! campaign goes on. Killing the parent loses at most the run in flight.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use edgebench_dataset::Table;
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::schema::{Sha256Hex, Text, UtcMicros};
use edgebench_dataset::store::{Store, WriteBatch};

use crate::device_state;
use crate::host::HostFingerprint;
use crate::model_file::ModelFile;
use crate::prompts::PromptSet;
use crate::provenance;
use crate::telemetry::{self, GpuMemorySource, PowerCandidate, Sampler, SamplerConfig, monotonic_ns};
use crate::worker::{Event, Job, JobPrompt};

/// Everything that defines a campaign.
#[derive(Debug, Clone)]
pub struct Campaign {
    pub models: Vec<ModelFile>,
    pub backend: Backend,
    pub n_gpu_layers: i32,
    pub n_threads: u32,
    pub repetitions: u32,
    pub prompts: PromptSet,
    pub max_output_tokens: u32,
    pub n_ctx: u32,
    pub n_batch: u32,
    pub seed: u32,
    pub protocol: Protocol,
    pub device_label: String,
    /// Power mode given on the command line; else read from `nvpmodel`.
    pub power_mode: Option<String>,
    pub out: PathBuf,
    pub telemetry_hz: f64,
    /// Sample telemetry at all (off only to measure the sampler's own overhead).
    pub telemetry: bool,
    pub run_timeout: Duration,
    /// The executable that runs `worker` (this binary).
    pub worker_exe: PathBuf,
}

/// How one run ended, for the summary.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunOutcome {
    pub model: String,
    pub repetition: u32,
    pub run_id: String,
    pub status: String,
    pub reason: Option<String>,
    pub generations: usize,
    pub harness: HarnessCost,
}

/// What the harness itself cost in one run, measured beside the run so that a benchmark can
/// check the collector's overhead without comparing two processes on a drifting host. Not stored
/// in the dataset: it describes the collector, not the device; `collect run --json` prints it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct HarnessCost {
    /// Share of the decode phases (first token sampled → last token sampled, over the run's
    /// generations) spent outside llama.cpp's decode calls: batch building, the greedy argmax and
    /// the end check, on the same tokens. Null when no generation decoded a second token.
    pub decode_outside_llama_share: Option<f64>,
    /// CPU time the parent process used while the worker ran (telemetry sampler, event and log
    /// readers, progress bar), in ms: on a host whose cores the model's threads fill, the most
    /// time the harness can take from them.
    pub parent_cpu_ms: Option<f64>,
    /// The worker's wall-clock lifetime, spawn → exit, in ms.
    pub worker_wall_ms: f64,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    pub runs_planned: usize,
    pub runs_skipped: usize,
    pub runs: Vec<RunOutcome>,
    pub generations_written: usize,
    pub out: String,
}

/// Receives progress (the CLI draws a bar; tests ignore it).
pub trait Progress {
    fn run_started(&self, model: &str, repetition: u32);
    fn prompt_done(&self);
    fn run_finished(&self, outcome: &RunOutcome);
}

impl Campaign {
    /// The canonical run configuration: what, besides device, model and repetition, defines a run.
    pub fn run_config_json(&self) -> String {
        let config: BTreeMap<&str, serde_json::Value> = BTreeMap::from([
            ("backend", self.backend.as_str().into()),
            ("batch_size", 1.into()),
            ("cot_trigger", crate::prompts::COT_TRIGGER.into()),
            ("max_output_tokens", self.max_output_tokens.into()),
            ("n_batch", self.n_batch.into()),
            ("n_ctx", self.n_ctx.into()),
            ("n_gpu_layers", self.n_gpu_layers.into()),
            ("n_prompts", self.prompts.prompts.len().into()),
            ("n_threads", self.n_threads.into()),
            ("prompt_set_sha256", self.prompts.sha256.as_str().into()),
            ("protocol", self.protocol.as_str().into()),
            ("sampler", "greedy (argmax of logits)".into()),
            ("seed", self.seed.into()),
            ("telemetry_hz", if self.telemetry { self.telemetry_hz.into() } else { serde_json::Value::Null }),
        ]);
        serde_json::to_string(&config).expect("config serialises")
    }
}

/// Maps the monotonic clock onto UTC wall-clock time.
#[derive(Clone, Copy)]
struct Clock {
    wall_us: i64,
    mono_ns: u64,
}

impl Clock {
    fn now() -> Self {
        Clock { wall_us: UtcMicros::now().0, mono_ns: monotonic_ns() }
    }
    fn at(&self, mono_ns: u64) -> UtcMicros {
        UtcMicros(self.wall_us + (mono_ns as i64 - self.mono_ns as i64) / 1000)
    }
}

/// Runs the campaign, committing each run as it ends.
pub fn run(c: &Campaign, host: &HostFingerprint, progress: &dyn Progress) -> Result<Summary, String> {
    let commit = provenance::collector_git_commit()?;
    let llama_build_flags = provenance::llama_build_flags()?;
    // A run must name the machine that measured it: refuse rather than record placeholders.
    let unreadable: Vec<&str> = [
        ("cpu model", host.cpu_model == "unknown"),
        ("operating system", host.os == "unknown"),
        ("kernel", host.kernel == "unknown"),
        ("architecture", host.arch == "unknown"),
        ("CPU cores", host.cpu_logical_cores == 0),
        ("RAM", host.ram_bytes == 0),
    ]
    .into_iter()
    .filter_map(|(what, missing)| missing.then_some(what))
    .collect();
    if !unreadable.is_empty() {
        return Err(format!(
            "cannot identify this host ({} unreadable: {}); runs would not say what measured them",
            unreadable.join(", "),
            host.notes.join("; ")
        ));
    }
    let (mut store, _recovery) = Store::open(&c.out).map_err(|e| e.to_string())?;
    let config_json = c.run_config_json();
    let config_sha = Sha256Hex::of(config_json.as_bytes());
    let state_now = device_state::read_state(&Default::default());
    let (power_mode, power_mode_id) = match (&c.power_mode, &state_now.power_mode) {
        (Some(given), Some(read)) if read.name == *given => (Some(given.clone()), read.id),
        (Some(given), _) => (Some(given.clone()), None),
        (None, Some(read)) => (Some(read.name.clone()), read.id),
        (None, None) => (None, None),
    };
    let mut summary = Summary { out: c.out.display().to_string(), ..Default::default() };

    for model in &c.models {
        for repetition in 0..c.repetitions {
            summary.runs_planned += 1;
            let mut run = Run {
                run_id: Sha256Hex::of(b""),
                schema_version: SCHEMA_VERSION.into(),
                device_label: c.device_label.clone(),
                backend: c.backend,
                power_mode: power_mode.clone(),
                power_mode_id,
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
                run_config_json: Text(config_json.clone()),
                run_config_sha256: config_sha.clone(),
                chat_template_applied: None,
                collector_version: env!("CARGO_PKG_VERSION").into(),
                collector_git_commit: commit.clone(),
                llama_cpp_sys_version: provenance::LLAMA_CPP_SYS_VERSION.into(),
                llama_cpp_commit: provenance::llama_cpp_commit(),
                ggml_version: None,
                llama_build_flags: Text(llama_build_flags.clone()),
                llama_system_info: Text(provenance::llama_system_info()),
                host_fingerprint_sha256: host.sha256.clone(),
                host_cpu_model: host.cpu_model.clone(),
                host_cpu_logical_cores: host.cpu_logical_cores,
                host_cpu_physical_cores: host.cpu_physical_cores,
                host_ram_bytes: host.ram_bytes,
                host_os: host.os.clone(),
                host_kernel: host.kernel.clone(),
                host_arch: host.arch.clone(),
                host_gpu_name: host.gpu_name.clone(),
                host_gpu_driver: host.gpu_driver.clone(),
                host_cuda_version: host.cuda_version.clone(),
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
            };
            run.run_id = run.compute_id();
            if store.existing_ids::<Run>().map_err(|e| e.to_string())?.contains(&run.run_id) {
                summary.runs_skipped += 1;
                for _ in 0..c.prompts.prompts.len() {
                    progress.prompt_done();
                }
                continue;
            }
            progress.run_started(&run.model_name, repetition);
            let (run, generations, harness) = execute(c, model, run, progress)?;
            let outcome = RunOutcome {
                model: run.model_name.clone(),
                repetition,
                run_id: run.run_id.to_string(),
                status: run.status.to_string(),
                reason: run.failure_reason.as_ref().map(|r| r.0.clone()),
                generations: generations.len(),
                harness,
            };
            let mut batch = WriteBatch::default();
            store.stage(&mut batch, vec![run]).map_err(|e| e.to_string())?;
            store.stage(&mut batch, generations).map_err(|e| e.to_string())?;
            store.commit(batch).map_err(|e| e.to_string())?;
            summary.generations_written += outcome.generations;
            progress.run_finished(&outcome);
            summary.runs.push(outcome);
        }
    }
    Ok(summary)
}

/// What the worker's stderr (llama.cpp's log) tells the parent: its last `limit` bytes, for failure
/// reasons, and every buffer-size line, wherever it falls (they come early, during load).
#[derive(Debug, Default)]
struct WorkerLog {
    tail: String,
    buffer_lines: Vec<String>,
}

fn log_reader(stream: impl Read + Send + 'static, limit: usize) -> std::thread::JoinHandle<WorkerLog> {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut kept: Vec<u8> = Vec::new();
        let mut buffer_lines = Vec::new();
        let mut line = Vec::new();
        while let Ok(n) = reader.read_until(b'\n', &mut line) {
            if n == 0 {
                break;
            }
            let text = String::from_utf8_lossy(&line);
            if text.contains(" buffer size = ") {
                buffer_lines.push(text.trim_end().to_owned());
            }
            kept.extend_from_slice(&line);
            line.clear();
            if kept.len() > 2 * limit {
                kept.drain(..kept.len() - limit);
            }
        }
        let start = kept.len().saturating_sub(limit);
        WorkerLog { tail: String::from_utf8_lossy(&kept[start..]).into_owned(), buffer_lines }
    })
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

/// The lines of llama.cpp's log that explain a failure.
fn explain(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("error") || l.contains("failed") || l.contains("unknown") || l.contains("not supported") || l.contains("abort")
        })
        .collect();
    let picked = &lines[lines.len().saturating_sub(3)..];
    (!picked.is_empty()).then(|| picked.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" | "))
}

/// Whether the kernel's OOM killer ended a process in our cgroup (cgroup v2 `memory.events`).
fn oom_kills() -> Option<u64> {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = cgroup.lines().find_map(|l| l.strip_prefix("0::"))?;
    let events = std::fs::read_to_string(format!("/sys/fs/cgroup{path}/memory.events")).ok()?;
    events.lines().find_map(|l| l.strip_prefix("oom_kill ")).and_then(|v| v.trim().parse().ok())
}

fn execute(c: &Campaign, model: &ModelFile, mut run: Run, progress: &dyn Progress) -> Result<(Run, Vec<Generation>, HarnessCost), String> {
    let clock = Clock::now();
    let state_start = device_state::read_state(&Default::default());
    let job = Job {
        model_path: model.path.clone(),
        backend: c.backend,
        n_gpu_layers: c.n_gpu_layers,
        n_threads: c.n_threads,
        n_ctx: c.n_ctx,
        n_batch: c.n_batch,
        seed: c.seed,
        max_output_tokens: c.max_output_tokens,
        prompts: c.prompts.prompts.iter().enumerate().map(|(i, p)| JobPrompt { index: i as u32, text: p.with_cot() }).collect(),
    };
    let oom_before = oom_kills();
    run.started_at = UtcMicros::now();
    let spawned_ns = monotonic_ns();
    let parent_cpu_start = own_cpu_ms();
    let mut child = Command::new(&c.worker_exe)
        .arg("worker")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the worker {}: {e}", c.worker_exe.display()))?;
    let pid = child.id();
    let sampler = c.telemetry.then(|| {
        let mut config = SamplerConfig::new(pid);
        config.hz = c.telemetry_hz;
        // Measure what runs the model. A GPU board's power is not what a CPU run draws, so NVML
        // is no candidate for one.
        let order: &[PowerCandidate] = match c.backend {
            Backend::Cpu => &[PowerCandidate::Ina3221, PowerCandidate::Rapl],
            _ => &[PowerCandidate::Ina3221, PowerCandidate::Nvml { index: 0 }, PowerCandidate::Rapl],
        };
        let (power, rejected) = telemetry::detect_power_with(&config.sys_root, order);
        if power.is_none() {
            config.power_null_reason = Some(rejected.join("; "));
        }
        config.power = power;
        match c.backend {
            Backend::Cpu => config.gpu_memory_null_reason = Some("cpu back-end: the model runs in CPU memory".into()),
            _ if telemetry::nvmap_used_bytes(&config.proc_root).is_ok() => config.gpu_memory = GpuMemorySource::Nvmap,
            _ => config.gpu_memory = GpuMemorySource::Nvml { index: 0 },
        }
        Sampler::start(config)
    });
    {
        let mut stdin = child.stdin.take().expect("piped");
        let line = serde_json::to_string(&job).expect("job serialises");
        // A worker that dies at once closes its stdin; its exit status tells why.
        let _ = writeln!(stdin, "{line}");
    }
    let stderr = log_reader(child.stderr.take().expect("piped"), 64 * 1024);
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = mpsc::channel::<Event>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Ok(event) = serde_json::from_str::<Event>(&line)
                && tx.send(event).is_err()
            {
                break;
            }
        }
    });
    let deadline = Instant::now() + c.run_timeout;
    let mut events = Vec::new();
    let mut timed_out = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(event) => {
                if matches!(event, Event::Generation { .. } | Event::GenerationFailed { .. }) {
                    progress.prompt_done();
                }
                events.push(event);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                timed_out = true;
                let _ = child.kill();
                break;
            }
        }
    }
    let (status, kernel_peak_rss) = wait_with_rusage(&mut child)?;
    let _ = reader.join();
    let ended_ns = monotonic_ns();
    let parent_cpu_ms = own_cpu_ms().zip(parent_cpu_start).map(|(end, start)| end - start);
    run.finished_at = UtcMicros::now();
    let series = sampler.map(|s| s.stop());
    let worker_log = stderr.join().unwrap_or_default();
    let stderr_tail = worker_log.tail;
    let state_end = device_state::read_state(&Default::default());
    let oom = match (oom_before, oom_kills()) {
        (Some(a), Some(b)) => Some(b > a),
        _ => None,
    };

    // Device state.
    run.cpu_governor = state_start.cpu_governor.clone();
    run.temp_max_c_start = state_start.max_temp_c();
    run.temp_max_c_end = state_end.max_temp_c();
    run.device_state_json = Some(Text(state_start.to_json(&state_end)));

    // Status.
    use std::os::unix::process::ExitStatusExt;
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
        let detail = model.known_problem().or_else(|| explain(&stderr_tail));
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
        let detail = explain(&stderr_tail).or_else(|| model.known_problem());
        (RunStatus::Crashed, Some(match detail {
            Some(d) => format!("{how}: {d}"),
            None => how,
        }))
    };
    run.status = run_status;
    run.failure_reason = reason.map(Text);
    let device_buffers = llama_device_buffer_bytes(&worker_log.buffer_lines);
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

    // Run-level telemetry.
    let last_generation_end = events.iter().rev().find_map(|e| match e {
        Event::Generation { t_end_ns, .. } => Some(*t_end_ns),
        _ => None,
    });
    match &series {
        Some(series) => {
            let whole = series.window(spawned_ns, ended_ns);
            run.peak_rss_bytes = whole.peak_rss_bytes;
            run.peak_gpu_memory_bytes = whole.peak_gpu_memory_bytes;
            run.gpu_memory_kind = whole.peak_gpu_memory_bytes.and(series.gpu_memory_kind);
            run.gpu_memory_source = whole.peak_gpu_memory_bytes.and(series.gpu_memory_source.clone());
            run.gpu_memory_null_reason = whole.peak_gpu_memory_bytes.is_none().then(|| {
                Text(whole.gpu_memory_null_reason.clone().or(series.gpu_memory_null_reason.clone()).unwrap_or_else(|| "no GPU memory sample".into()))
            });
            match (loaded.as_ref().map(|l| l.0), last_generation_end) {
                (Some(t0), Some(t1)) if t1 > t0 => {
                    let measured = series.window(t0, t1);
                    run.mean_power_w = measured.mean_power_w;
                    run.energy_j = measured.energy_j;
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
    run.run_id = run.compute_id();

    // Generations.
    let mut generations = Vec::new();
    let mut done = std::collections::HashSet::new();
    for event in &events {
        match event {
            Event::Generation { index, t_start_ns, t_end_ns, prompt_tokens, output_tokens, prefill_ms, ttft_ms, generation_ms, stop_reason, output_text, .. } => {
                done.insert(*index);
                let window = series.as_ref().map(|s| s.window(*t_start_ns, *t_end_ns));
                let n = *output_tokens;
                let tpot = (n >= 2).then(|| (generation_ms - ttft_ms) / f64::from(n - 1));
                let energy = window.as_ref().and_then(|w| w.energy_j);
                let power = window.as_ref().and_then(|w| w.mean_power_w);
                let mut g = generation_row(&run, c, *index, clock.at(*t_start_ns));
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
                g.energy_per_output_token_j = energy.map(|e| e / f64::from(n));
                g.power_null_reason = power.is_none().then(|| {
                    Text(match (&window, &series) {
                        (Some(w), Some(s)) => w.power_null_reason.clone().or(s.power_null_reason.clone()).unwrap_or_else(|| "no power sample in this generation's interval".into()),
                        _ => "telemetry disabled (--no-telemetry)".into(),
                    })
                });
                g.generation_id = g.compute_id();
                generations.push(g);
            }
            Event::GenerationFailed { index, reason } => {
                done.insert(*index);
                generations.push(failed_generation(&run, c, *index, reason.clone(), clock.at(monotonic_ns())));
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
        generations.push(failed_generation(&run, c, index, reason, clock.at(t_ns)));
    }
    let (outside, phase) = events.iter().fold((0.0, 0.0), |(outside, phase), e| match e {
        Event::Generation { output_tokens, ttft_ms, generation_ms, decode_calls_ms, .. } if *output_tokens >= 2 => {
            let span = generation_ms - ttft_ms;
            (outside + (span - decode_calls_ms).max(0.0), phase + span)
        }
        _ => (outside, phase),
    });
    let harness = HarnessCost {
        decode_outside_llama_share: (phase > 0.0).then(|| outside / phase),
        parent_cpu_ms,
        worker_wall_ms: ended_ns.saturating_sub(spawned_ns) as f64 / 1e6,
    };
    Ok((run, generations, harness))
}

/// CPU time (user + system) this process has used so far, all threads, in ms.
fn own_cpu_ms() -> Option<f64> {
    // SAFETY: rusage is plain data that getrusage fills.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a rusage.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return None;
    }
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1000.0 + t.tv_usec as f64 / 1000.0;
    Some(ms(usage.ru_utime) + ms(usage.ru_stime))
}

/// Waits for the worker and returns its exit status and the kernel's peak RSS of it (`ru_maxrss`).
fn wait_with_rusage(child: &mut std::process::Child) -> Result<(std::process::ExitStatus, Option<u64>), String> {
    use std::os::unix::process::ExitStatusExt;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our child, not yet reaped.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            // Linux reports ru_maxrss in KiB.
            let peak = u64::try_from(usage.ru_maxrss).ok().filter(|&k| k > 0).map(|k| k * 1024);
            return Ok((std::process::ExitStatus::from_raw(status), peak));
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("cannot wait for the worker: {err}"));
        }
    }
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

    #[test]
    fn the_log_reader_keeps_buffer_lines_beyond_the_tail() {
        let mut text = String::from("load_tensors:        CUDA0 model buffer size =    10.00 MiB\n");
        for i in 0..5000 {
            text.push_str(&format!("noise line {i}\n"));
        }
        let log = log_reader(std::io::Cursor::new(text.into_bytes()), 1024).join().unwrap();
        assert!(log.tail.len() <= 1024 && log.tail.ends_with("noise line 4999\n"), "{}", &log.tail[..40]);
        assert_eq!(log.buffer_lines.len(), 1);
        assert_eq!(llama_device_buffer_bytes(&log.buffer_lines), Some(10 * 1024 * 1024));
    }
}
