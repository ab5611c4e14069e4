//! A campaign: every (model, repetition) of one configuration, each run in a fresh worker process;
//! with `--reps auto`, a model's runs stop when the rule of [`crate::repetitions`] says ([`adaptive`]).
//!
//! The parent plans the runs and computes their ids before running anything, so that re-running
//! the same command skips what is stored. Each run: read the device state, spawn the worker,
//! sample its memory and the host's power from outside ([`crate::telemetry`]), wait under a time
//! limit, read the device state again, then build the run row and its generation rows and commit
//! them together ([`edgebench_dataset::store::WriteBatch`]). A worker that crashes, is killed by
//! the out-of-memory killer or times out becomes a run row with that status and reason, and the
//! campaign goes on. Killing the parent loses at most the run in flight.
//!
//! Committing each run at once leaves a shard per run and table; when the campaign ends, its
//! shards are merged into one per table and partition in one store transaction ([`shards`]), so a
//! campaign adds one shard per table and partition while a crash still loses only the run in
//! flight (an interrupted merge leaves the per-run shards; running the command again merges them).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use edgebench_dataset::Table;
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::schema::{Sha256Hex, Text, UtcMicros};
use edgebench_dataset::store::{Store, WriteBatch};

use crate::device_state;
use crate::host::HostFingerprint;
use crate::model_file::ModelFile;
use crate::prompts::PromptSet;
use crate::provenance;
use crate::repetitions::RepetitionRule;
use crate::telemetry::{self, GpuMemorySource, PowerCandidate, Sampler, SamplerConfig, SamplerHandle, monotonic_ns};
use crate::worker::{Event, Job, JobPrompt};
use crate::worker_process::run_worker;

mod adaptive;
mod rows;
mod shards;
pub use adaptive::CellOutcome;
pub use rows::llama_device_buffer_bytes;

/// Everything that defines a campaign.
#[derive(Debug, Clone)]
pub struct Campaign {
    pub models: Vec<ModelFile>,
    pub backend: Backend,
    pub n_gpu_layers: i32,
    pub n_threads: u32,
    pub repetitions: Repetitions,
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
    /// Drop each model file from the OS page cache before each run (a cold load), where the OS
    /// allows it; every run records how much of the file was resident when its worker started.
    pub cold: bool,
    /// Read each model file through the page cache before each run (a warm load even where the
    /// kernel reclaims idle file pages between runs); exclusive with `cold`.
    pub warm: bool,
    /// The executable that runs `worker` (this binary).
    pub worker_exe: PathBuf,
}

/// How many runs each model gets.
#[derive(Debug, Clone)]
pub enum Repetitions {
    /// Exactly this many (`--reps N`).
    Fixed(u32),
    /// Until the rule stops the cell (`--reps auto`), at most its maximum.
    Auto(RepetitionRule),
}

impl Repetitions {
    /// The most runs a model can get.
    pub fn max(&self) -> u32 {
        match self {
            Repetitions::Fixed(n) => *n,
            Repetitions::Auto(rule) => rule.max,
        }
    }
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
    /// The campaign's shards once merged (paths relative to `v1/`): one per table and partition.
    pub shards: Vec<String>,
    pub out: String,
    /// With `--reps auto`: how each model's cell ended under the rule.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cells: Vec<CellOutcome>,
}

/// Receives progress (the CLI draws a bar on a terminal, else prints a line per finished run).
pub trait Progress {
    fn run_started(&self, model: &str, repetition: u32);
    fn prompt_done(&self);
    fn run_finished(&self, outcome: &RunOutcome);
    /// `--reps auto` stopped a cell before its maximum: its remaining runs' prompts will not run.
    fn prompts_not_needed(&self, _prompts: u64) {}
    /// A planned run is already stored and is skipped (its prompts are then reported done).
    fn run_skipped(&self, _model: &str, _repetition: u32) {}
}

impl Campaign {
    /// The job of one worker process on `model`: every prompt with the CoT trigger.
    pub fn job(&self, model: &ModelFile, profile_ops: bool) -> Job {
        Job {
            model_path: model.path.clone(),
            backend: self.backend,
            n_gpu_layers: self.n_gpu_layers,
            n_threads: self.n_threads,
            n_ctx: self.n_ctx,
            n_batch: self.n_batch,
            seed: self.seed,
            max_output_tokens: self.max_output_tokens,
            prompts: self.prompts.prompts.iter().enumerate().map(|(i, p)| JobPrompt { index: i as u32, text: p.with_cot() }).collect(),
            profile_ops,
            ignore_eos: model.synthetic().is_some(),
        }
    }

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

/// Refuses a host that cannot be identified: rows must name the machine that measured them, so
/// placeholders are never recorded.
pub fn check_host(host: &HostFingerprint) -> Result<(), String> {
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
    if unreadable.is_empty() {
        return Ok(());
    }
    Err(format!(
        "cannot identify this host ({} unreadable: {}); rows would not say what measured them",
        unreadable.join(", "),
        host.notes.join("; ")
    ))
}

/// The power mode to record, and its `nvpmodel` id: the one given on the command line, else the
/// one `nvpmodel -q` reports.
pub fn power_mode(c: &Campaign) -> (Option<String>, Option<i32>) {
    let state_now = device_state::read_state(&Default::default());
    match (&c.power_mode, &state_now.power_mode) {
        (Some(given), Some(read)) if read.name == *given => (Some(given.clone()), read.id),
        (Some(given), _) => (Some(given.clone()), None),
        (None, Some(read)) => (Some(read.name.clone()), read.id),
        (None, None) => (None, None),
    }
}

/// Runs the campaign, committing each run as it ends, then merges the campaign's shards into one
/// per table and partition ([`shards`]). Under [`Repetitions::Auto`], each model's runs stop when
/// the rule's decision after a run (stored in that run's row) is not `continue`.
pub fn run(c: &Campaign, host: &HostFingerprint, progress: &dyn Progress) -> Result<Summary, String> {
    let commit = provenance::collector_git_commit()?;
    let llama_build_flags = provenance::llama_build_flags()?;
    check_host(host)?;
    let (mut store, _recovery) = Store::open(&c.out).map_err(|e| e.to_string())?;
    let config_json = c.run_config_json();
    let config_sha = Sha256Hex::of(config_json.as_bytes());
    let (power_mode, power_mode_id) = power_mode(c);
    let provenance_now = rows::RunProvenance { commit, llama_build_flags, config_json, config_sha, power_mode, power_mode_id, host: host.clone() };
    let mut summary = Summary { out: c.out.display().to_string(), ..Default::default() };
    let mut campaign_shards = shards::CampaignShards::default();

    for model in &c.models {
        // Every run the model can get, planned before any runs: their ids say which are stored,
        // and the merge at the end takes in earlier shards of any of them.
        let planned: Vec<Run> = (0..c.repetitions.max())
            .map(|repetition| {
                let mut run = rows::planned_run(c, model, repetition, &provenance_now);
                run.run_id = run.compute_id();
                run
            })
            .collect();
        planned.iter().for_each(|run| campaign_shards.plan(run));
        let model_name = planned.first().map(|run| run.model_name.clone());
        let mut rule = match &c.repetitions {
            Repetitions::Auto(rule) => Some(adaptive::CellRule::new(rule, &mut store, &c.out, &planned)?),
            Repetitions::Fixed(_) => None,
        };
        for (repetition, run) in (0u32..).zip(planned) {
            if rule.as_ref().is_some_and(adaptive::CellRule::stopped) {
                progress.prompts_not_needed(u64::from(c.repetitions.max() - repetition) * c.prompts.prompts.len() as u64);
                break;
            }
            summary.runs_planned += 1;
            if store.existing_ids::<Run>().map_err(|e| e.to_string())?.contains(&run.run_id) {
                summary.runs_skipped += 1;
                if let Some(rule) = rule.as_mut() {
                    rule.stored(&run.run_id);
                }
                progress.run_skipped(&run.model_name, repetition);
                for _ in 0..c.prompts.prompts.len() {
                    progress.prompt_done();
                }
                continue;
            }
            progress.run_started(&run.model_name, repetition);
            let (mut run, generations, harness) = execute(c, model, run, progress)?;
            if let Some(rule) = rule.as_mut() {
                // Before the commit, so that the row holds the decision its run led to.
                rule.decide(&mut run, &generations);
            }
            let outcome = commit_run(&mut store, &mut campaign_shards, run, generations, repetition, harness)?;
            summary.generations_written += outcome.generations;
            progress.run_finished(&outcome);
            summary.runs.push(outcome);
        }
        if let (Some(rule), Some(name)) = (rule, model_name) {
            summary.cells.push(rule.outcome(name));
        }
    }
    summary.shards = campaign_shards.merge(&mut store, &c.out)?;
    Ok(summary)
}

/// Commits one run with its generations (one transaction).
fn commit_run(
    store: &mut Store,
    campaign_shards: &mut shards::CampaignShards,
    run: Run,
    generations: Vec<Generation>,
    repetition: u32,
    harness: HarnessCost,
) -> Result<RunOutcome, String> {
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
    campaign_shards.committed(store.commit(batch).map_err(|e| e.to_string())?);
    Ok(outcome)
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
    let job = c.job(model, false);
    let oom_before = oom_kills();
    rows::page_cache_state(c, model, &mut run)?;
    run.started_at = UtcMicros::now();
    let mut on_event = |event: &Event| {
        if matches!(event, Event::Generation { .. } | Event::GenerationFailed { .. }) {
            progress.prompt_done();
        }
    };
    let (finished, sampler) = run_worker(&c.worker_exe, &job, c.run_timeout, |pid| start_sampler(c, pid), &mut on_event)?;
    run.finished_at = UtcMicros::now();
    let series = sampler.map(|s| s.stop());
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

    rows::settle_status(c, model, &mut run, &finished, oom);
    rows::run_telemetry(&mut run, &finished, series.as_ref());
    run.run_id = run.compute_id();
    let generations = rows::generation_rows(c, &run, &finished.events, series.as_ref(), &clock);
    Ok((run, generations, rows::harness_cost(&finished)))
}

/// The telemetry sampler of one run, started on the worker's pid (none with telemetry off).
fn start_sampler(c: &Campaign, pid: u32) -> Option<SamplerHandle> {
    c.telemetry.then(|| {
        let mut config = SamplerConfig::new(pid);
        config.hz = c.telemetry_hz;
        // Measure what runs the model. A GPU board's power is not what a CPU run draws, so NVML
        // is no candidate for one.
        const TEGRASTATS: PowerCandidate = PowerCandidate::Tegrastats { interval_ms: telemetry::TEGRASTATS_INTERVAL_MS };
        let order: &[PowerCandidate] = match c.backend {
            Backend::Cpu => &[PowerCandidate::Ina3221, TEGRASTATS, PowerCandidate::Rapl],
            _ => &[PowerCandidate::Ina3221, TEGRASTATS, PowerCandidate::Nvml { index: 0 }, PowerCandidate::Rapl],
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
    })
}

