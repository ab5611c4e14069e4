//! Writes a synthetic dataset of about `GENERATION_ROWS` generation rows, for benchmarking
//! `report build` (see `scripts/bench-report.sh`).
//!
//! ```text
//! cargo run --release -p report --example synthetic_dataset -- DIR GENERATION_ROWS
//! ```
//!
//! `DIR` is the dataset root (it will hold `v1/`); it must not hold a dataset with shards yet.
//!
//! Shape: 4 devices × (cpu, cuda) × 5 models = 40 cells, 50 prompts per run, and as many
//! repetitions per cell as make up `GENERATION_ROWS` (500 for 1 000 000). Each CPU cell also has
//! one run that failed to load its model. Values vary deterministically by device, back-end,
//! model, repetition and prompt, and every derived column is consistent, so the rows pass the
//! store's checks. A few rows exercise the report's edge cases: one-token outputs (no TPOT, no
//! decode rate), failed generations, unscored prompts (no relevance), a device without a power
//! sensor (no power, no energy) and devices without a power mode. Each CPU cell also has
//! `PROFILE_CAPTURES` ggml op profiles of each phase (prefill, decode), so the kernel analysis
//! runs too.
//!
//! Rows are labelled `synthetic` (device labels, collector version): they are benchmark inputs,
//! never results. Each cell is committed on its own, so memory stays bounded by one cell.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use edgebench_dataset::fixtures;
use edgebench_dataset::schema::v1::{Backend, Generation, GenerationStatus, Kernel, OpClass, Phase, Run, RunStatus};
use edgebench_dataset::schema::{Sha256Hex, Text, UtcMicros};
use edgebench_dataset::store::WriteBatch;
use edgebench_dataset::{Store, Table};

/// Device label, power mode, speed factor (1 = reference), whether it has a power sensor.
const DEVICES: [(&str, Option<&str>, f64, bool); 4] = [
    ("Jetson Orin Nano (synthetic)", Some("15W"), 1.6, true),
    ("Jetson Orin NX (synthetic)", Some("MAXN"), 1.0, true),
    ("Jetson AGX Orin (synthetic)", Some("MAXN"), 0.7, true),
    ("Edge Box (synthetic)", None, 1.3, false),
];

/// Model name, quantisation, parameters.
const MODELS: [(&str, &str, u64); 5] = [
    ("SmolLM2-135M (synthetic)", "Q4_1", 134_515_008),
    ("SmolLM2-360M (synthetic)", "Q8_0", 361_821_120),
    ("Qwen2.5-0.5B (synthetic)", "Q4_K_M", 494_032_768),
    ("Llama-3.2-1B (synthetic)", "Q4_K_M", 1_235_814_400),
    ("SmolLM2-1.7B (synthetic)", "Q8_0", 1_711_376_384),
];

const BACKENDS: [Backend; 2] = [Backend::Cpu, Backend::Cuda];
const MAX_PROMPTS: u32 = 50;
const RUN_SPACING_US: i64 = 600_000_000;
/// ggml op captures per phase of each CPU cell.
const PROFILE_CAPTURES: u32 = 3;

/// splitmix64: a deterministic, well-mixed hash of `x`.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A deterministic number in [-1, 1) from the given coordinates.
fn jitter(parts: &[u64]) -> f64 {
    let h = parts.iter().fold(0x5eed_u64, |acc, &p| mix(acc ^ p));
    (h >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

/// Gives `g` the TTFT and TPOT asked for, keeping every derived column consistent (as the
/// report's test fixture does). `tpot` is ignored for one-token outputs.
fn set_timing(g: &mut Generation, ttft: f64, tpot: f64) {
    let n = g.output_tokens.expect("synthetic generations have output tokens");
    let prompt_tokens = g.prompt_tokens.expect("synthetic generations have prompt tokens");
    let prefill = ttft * 0.8;
    g.prefill_ms = Some(prefill);
    g.ttft_ms = Some(ttft);
    g.prefill_tokens_per_s = Some(f64::from(prompt_tokens) * 1000.0 / prefill);
    if n >= 2 {
        g.tpot_ms = Some(tpot);
        g.generation_ms = Some(ttft + tpot * f64::from(n - 1));
        g.decode_tokens_per_s = Some(1000.0 / tpot);
    } else {
        g.tpot_ms = None;
        g.generation_ms = Some(ttft);
        g.decode_tokens_per_s = None;
    }
}

struct Cell {
    index: u64,
    device: &'static str,
    mode: Option<&'static str>,
    speed: f64,
    sensor: bool,
    backend: Backend,
    model: &'static str,
    quant: &'static str,
    params: u64,
}

impl Cell {
    fn gpu(&self) -> bool {
        self.backend != Backend::Cpu
    }

    /// Model size in units of 100M parameters.
    fn size(&self) -> f64 {
        self.params as f64 / 1e8
    }

    /// A run of this cell, with the cell's identity (power mode, quantisation) already applied.
    fn base_run(&self, rep: u32, prompts: u32) -> Run {
        let mut run = fixtures::run(self.device, self.backend, self.mode, self.model, rep);
        run.model_file_name = format!("{}.{}.gguf", self.model.replace([' ', '(', ')'], ""), self.quant);
        run.model_file_type = Some(self.quant.into());
        run.model_n_params = Some(self.params);
        run.model_size_bytes = self.params * if self.quant == "Q8_0" { 11 } else { 6 } / 10;
        run.n_prompts = prompts;
        run.started_at = UtcMicros(fixtures::BASE_TIME.0 + i64::from(rep) * RUN_SPACING_US + self.index as i64 * 1000);
        run.finished_at = UtcMicros(run.started_at.0 + 10_000_000 + i64::from(prompts) * 5_000_000);
        run
    }

    fn ok_run(&self, rep: u32, prompts: u32) -> Run {
        let mut run = self.base_run(rep, prompts);
        let j = |what: u64| jitter(&[self.index, u64::from(rep), what]);
        let load = if self.gpu() { 1500.0 + 400.0 * self.size() } else { 500.0 + 150.0 * self.size() };
        run.load_ms = Some(load * self.speed * (1.0 + 0.05 * j(1)));
        let weights = run.model_size_bytes;
        let rss = if self.gpu() { 300 << 20 } else { weights + (250 << 20) };
        run.peak_rss_bytes = Some(rss + ((j(2) + 1.0) * f64::from(8 << 20)) as u64);
        if self.gpu() {
            run.peak_gpu_memory_bytes = Some(weights + (200 << 20) + ((j(3) + 1.0) * f64::from(4 << 20)) as u64);
        }
        if self.sensor {
            let power = (if self.gpu() { 9.0 } else { 7.0 }) / self.speed + 0.3 * self.size().sqrt();
            run.mean_power_w = Some(power * (1.0 + 0.03 * j(4)));
            run.energy_j = Some(power * (run.finished_at.0 - run.started_at.0) as f64 / 1e6);
        } else {
            run.mean_power_w = None;
            run.energy_j = None;
            run.energy_method = None;
            run.power_source = None;
            run.power_null_reason = Some("no power sensor on this device".into());
        }
        run.run_id = run.compute_id();
        run
    }

    /// A run that failed to load its model (as `fixtures::failed_run`), in this cell.
    fn failed_run(&self, rep: u32, prompts: u32) -> Run {
        let template = fixtures::failed_run(self.device, self.model, rep);
        let mut run = self.base_run(rep, prompts);
        run.status = RunStatus::LoadFailed;
        run.failure_reason = template.failure_reason;
        run.exit_code = template.exit_code;
        run.load_ms = None;
        run.peak_rss_bytes = template.peak_rss_bytes;
        run.peak_gpu_memory_bytes = None;
        run.model_architecture = None;
        run.model_n_params = None;
        run.chat_template_applied = None;
        run.mean_power_w = None;
        run.energy_j = None;
        run.energy_method = None;
        run.power_source = None;
        run.run_id = run.compute_id();
        run
    }

    fn generation(&self, run: &Run, prompt: u32) -> Generation {
        let rep = run.repetition;
        let mut g = fixtures::generation(run, prompt);
        if prompt + 1 == run.n_prompts && rep % 10 == 3 {
            g.status = GenerationStatus::Failed;
            g.failure_reason = Some(Text("synthetic: context full before the first token".into()));
            for v in [&mut g.prefill_ms, &mut g.ttft_ms, &mut g.tpot_ms, &mut g.generation_ms] {
                *v = None;
            }
            g.prefill_tokens_per_s = None;
            g.decode_tokens_per_s = None;
            g.output_tokens = None;
            g.output_text = None;
            g.output_sha256 = None;
            g.stop_reason = None;
            g.energy_j = None;
            g.energy_method = None;
            g.energy_per_output_token_j = None;
            g.generation_id = g.compute_id();
            return g;
        }
        if prompt == 0 && rep.is_multiple_of(4) {
            // A one-token answer: no TPOT and no decode rate.
            g.output_tokens = Some(1);
        }
        let run_j = jitter(&[self.index, u64::from(rep), 10]);
        let gen_j = jitter(&[self.index, u64::from(rep), 11, u64::from(prompt)]);
        let tpot_base = if self.gpu() { 6.0 + 2.5 * self.size() } else { 8.0 + 6.0 * self.size() };
        let tpot = tpot_base * self.speed * (1.0 + 0.04 * run_j + 0.01 * gen_j);
        let per_prompt_token = if self.gpu() { 0.3 + 0.1 * self.size() } else { 1.5 + 0.8 * self.size() };
        let prompt_tokens = f64::from(g.prompt_tokens.expect("fixture prompt tokens"));
        let ttft = (per_prompt_token * prompt_tokens * self.speed + tpot) * (1.0 + 0.03 * run_j + 0.02 * gen_j);
        set_timing(&mut g, ttft, tpot);
        let n = g.output_tokens.expect("set above");
        if self.sensor {
            let power = run.mean_power_w.expect("runs with a sensor have power") * (1.0 + 0.02 * gen_j);
            let energy = power * g.generation_ms.expect("set by set_timing") / 1000.0;
            g.mean_power_w = Some(power);
            g.energy_j = Some(energy);
            g.energy_per_output_token_j = Some(energy / f64::from(n));
        } else {
            g.mean_power_w = None;
            g.energy_j = None;
            g.energy_method = None;
            g.energy_per_output_token_j = None;
            g.power_null_reason = Some(Text("no power sensor on this device".into()));
        }
        if prompt % 10 != 9 {
            let quality = 0.45 + 0.05 * (self.size().ln() + 1.0) + 0.02 * gen_j;
            g.relevance = Some(quality.clamp(-1.0, 1.0));
            g.relevance_model = Some("all-MiniLM-L6-v2 (synthetic)".into());
            g.relevance_model_sha256 = Some(Sha256Hex::of(b"synthetic scorer"));
        }
        // The id hashes run_id and prompt_index only; recomputed in case the fixture changes.
        g.generation_id = g.compute_id();
        g
    }
}

impl Cell {
    /// ggml op captures of this (CPU) cell: weight products as GEMM in prefill (40 token
    /// columns) and GEMV in decode (one), the other classes shrinking as the model grows.
    fn profiles(&self) -> Vec<Kernel> {
        let mut rows = Vec::new();
        for capture in 0..PROFILE_CAPTURES {
            let j = |what: u64| 1.0 + 0.05 * jitter(&[self.index, u64::from(capture), what]);
            for (phase, product, columns, calls) in [(Phase::Prefill, OpClass::Gemm, 40, 30), (Phase::Decode, OpClass::Gemv, 1, 2970)] {
                let weights_ns = 2.0e6 * self.size() * self.speed * j(20);
                let op = |op, class, weight_type, token_columns, share: f64| fixtures::OpTiming {
                    op,
                    class,
                    weight_type,
                    token_columns,
                    calls,
                    avg_ns: weights_ns * share / calls as f64,
                };
                let small = 0.25 / self.size().sqrt();
                let ops = [
                    op("MUL_MAT", product, Some(self.quant), Some(columns), 1.0),
                    op("MUL_MAT", OpClass::Attention, Some("f16"), Some(columns), small * j(21)),
                    op("RMS_NORM", OpClass::Norm, None, None, small * 0.4 * j(22)),
                    op("MUL", OpClass::Elementwise, None, None, small * 0.5 * j(23)),
                    op("ROPE", OpClass::Rope, None, None, small * 0.2 * j(24)),
                ];
                let mut capture_rows = fixtures::ggml_op_capture(self.device, self.model, phase, capture, &ops, 0.95, 1.6 * j(25));
                for k in &mut capture_rows {
                    k.power_mode = self.mode.map(Into::into);
                    k.kernel_id = k.compute_id();
                }
                rows.extend(capture_rows);
            }
        }
        rows
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (root, rows) = match args.as_slice() {
        [dir, rows] => match rows.replace('_', "").parse::<u64>() {
            Ok(n) if n > 0 => (PathBuf::from(dir), n),
            _ => return usage(&format!("GENERATION_ROWS `{rows}` is not a positive integer")),
        },
        _ => return usage("expected two arguments"),
    };
    match write(&root, rows) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("synthetic_dataset: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("synthetic_dataset: {problem}\nusage: synthetic_dataset DIR GENERATION_ROWS");
    ExitCode::from(2)
}

fn write(root: &std::path::Path, rows: u64) -> Result<(), String> {
    let started = Instant::now();
    let cells: Vec<Cell> = DEVICES
        .iter()
        .flat_map(|&(device, mode, speed, sensor)| {
            BACKENDS.iter().flat_map(move |&backend| {
                MODELS.iter().map(move |&(model, quant, params)| (device, mode, speed, sensor, backend, model, quant, params))
            })
        })
        .enumerate()
        .map(|(i, (device, mode, speed, sensor, backend, model, quant, params))| Cell {
            index: i as u64,
            device,
            mode,
            speed,
            sensor,
            backend,
            model,
            quant,
            params,
        })
        .collect();
    let n_cells = cells.len() as u64;
    let prompts = (rows / n_cells).clamp(1, u64::from(MAX_PROMPTS)) as u32;
    let reps = (rows / (n_cells * u64::from(prompts))).max(1) as u32;

    let (mut store, _) = Store::open(root).map_err(|e| e.to_string())?;
    if !store.manifest().shards.is_empty() {
        return Err(format!(
            "{} already holds a dataset ({} shards); remove it first",
            root.display(),
            store.manifest().shards.len()
        ));
    }
    eprintln!(
        "synthetic_dataset: {n_cells} cells × {reps} repetitions × {prompts} prompts = {} generation rows under {}",
        n_cells * u64::from(reps) * u64::from(prompts),
        root.display()
    );
    let (mut run_rows, mut generation_rows) = (0u64, 0u64);
    for cell in &cells {
        let mut runs = Vec::with_capacity(reps as usize + 1);
        let mut generations = Vec::with_capacity(reps as usize * prompts as usize);
        for rep in 0..reps {
            let run = cell.ok_run(rep, prompts);
            generations.extend((0..prompts).map(|p| cell.generation(&run, p)));
            runs.push(run);
        }
        let mut kernels = Vec::new();
        if !cell.gpu() {
            runs.push(cell.failed_run(reps, prompts));
            kernels = cell.profiles();
        }
        run_rows += runs.len() as u64;
        generation_rows += generations.len() as u64;
        let mut batch = WriteBatch::default();
        store.stage(&mut batch, runs).map_err(|e| e.to_string())?;
        store.stage(&mut batch, generations).map_err(|e| e.to_string())?;
        if !kernels.is_empty() {
            store.stage(&mut batch, kernels).map_err(|e| e.to_string())?;
        }
        store.commit(batch).map_err(|e| e.to_string())?;
        eprintln!(
            "synthetic_dataset: cell {}/{n_cells} ({} · {} · {}): {generation_rows} generations so far, {:.1} s",
            cell.index + 1,
            cell.device,
            cell.backend,
            cell.model,
            started.elapsed().as_secs_f64()
        );
    }
    eprintln!(
        "synthetic_dataset: wrote {run_rows} runs and {generation_rows} generations in {} shards in {:.1} s",
        store.manifest().shards.len(),
        started.elapsed().as_secs_f64()
    );
    println!("runs {run_rows}\ngenerations {generation_rows}");
    Ok(())
}
