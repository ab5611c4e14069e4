//! A fixture dataset whose numbers are chosen so that each of the paper's claims has a known
//! answer: most hold, one (GPU power on the synthetic Orin NX) is built to fail, and a few have
//! no data. Rows come from `edgebench_dataset::fixtures` and are then given the timings below.

#![allow(dead_code)]

use std::path::Path;

use edgebench_dataset::fixtures;
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::{Store, Table};

pub const NX: &str = "Orin NX (synthetic)";
pub const AGX: &str = "AGX Orin (synthetic)";
pub const TINY: &str = "Tiny";
pub const BIG: &str = "Big";
pub const REPS: u32 = 8;

/// Timings of one cell: TTFT and TPOT (ms), load (ms), peak RSS (MB), power (W), relevance.
#[derive(Clone, Copy)]
pub struct Profile {
    pub ttft: f64,
    pub tpot: f64,
    pub load: f64,
    pub rss_mb: u64,
    pub power: f64,
    pub relevance: f64,
}

/// Gives `g` the TTFT and TPOT asked for, keeping every derived column consistent.
pub fn set_timing(g: &mut Generation, ttft: f64, tpot: f64) {
    let n = g.output_tokens.expect("fixture generations have output tokens");
    let prompt_tokens = g.prompt_tokens.expect("fixture generations have prompt tokens");
    let prefill = ttft * 0.8;
    g.prefill_ms = Some(prefill);
    g.ttft_ms = Some(ttft);
    g.tpot_ms = Some(tpot);
    g.generation_ms = Some(ttft + tpot * f64::from(n - 1));
    g.prefill_tokens_per_s = Some(f64::from(prompt_tokens) * 1000.0 / prefill);
    g.decode_tokens_per_s = Some(1000.0 / tpot);
}

fn cell_rows(device: &str, backend: Backend, mode: Option<&str>, model: &str, p: Profile) -> (Vec<Run>, Vec<Generation>) {
    let mut runs = Vec::new();
    let mut generations = Vec::new();
    for rep in 0..REPS {
        let mut run = fixtures::run(device, backend, mode, model, rep);
        let jitter = 1.0 + f64::from(rep) * 0.002;
        run.model_sha256 = edgebench_dataset::schema::Sha256Hex::of(model.as_bytes());
        run.model_n_params = Some(if model == BIG { 1_500_000_000 } else { 135_000_000 });
        run.model_file_type = Some(if model == BIG { "Q8_0".into() } else { "Q4_1".into() });
        run.load_ms = Some(p.load * jitter);
        run.peak_rss_bytes = Some(p.rss_mb << 20);
        run.mean_power_w = Some(p.power * jitter);
        run.run_id = run.compute_id();
        for i in 0..3 {
            let mut g = fixtures::generation(&run, i);
            set_timing(&mut g, p.ttft * jitter, p.tpot * jitter);
            g.relevance = Some(p.relevance + f64::from(i) * 0.001);
            g.relevance_model = Some("all-MiniLM-L6-v2 (synthetic)".into());
            g.relevance_model_sha256 = Some(edgebench_dataset::schema::Sha256Hex::of(b"scorer"));
            g.generation_id = g.compute_id();
            generations.push(g);
        }
        runs.push(run);
    }
    (runs, generations)
}

/// Writes the fixture dataset under `root` (the directory that will hold `v1/`).
pub fn write_fixture_dataset(root: &Path) {
    let p = |ttft, tpot, load, rss_mb, power, relevance| Profile { ttft, tpot, load, rss_mb, power, relevance };
    let cells = [
        // GPU loads slower, decodes faster, more so for the big model; it uses less CPU memory
        // and (built to contradict the paper) less power than the CPU back-end.
        (NX, Backend::Cpu, None, TINY, p(300.0, 20.0, 700.0, 900, 10.0, 0.55)),
        (NX, Backend::Cpu, None, BIG, p(3000.0, 100.0, 1200.0, 2400, 12.0, 0.60)),
        (NX, Backend::Cuda, None, TINY, p(60.0, 15.0, 2000.0, 400, 8.0, 0.555)),
        (NX, Backend::Cuda, None, BIG, p(200.0, 30.0, 2600.0, 500, 9.0, 0.605)),
        // Low-power mode is slower and draws less power than MAXN.
        (AGX, Backend::Cuda, Some("MAXN"), TINY, p(40.0, 10.0, 1500.0, 400, 25.0, 0.56)),
        (AGX, Backend::Cuda, Some("30W"), TINY, p(90.0, 25.0, 2100.0, 400, 6.0, 0.56)),
    ];
    let mut runs = Vec::new();
    let mut generations = Vec::new();
    for (device, backend, mode, model, profile) in cells {
        let (r, g) = cell_rows(device, backend, mode, model, profile);
        runs.extend(r);
        generations.extend(g);
    }
    runs.push(fixtures::failed_run(NX, TINY, 99));

    let mut kernels = Vec::new();
    // The slower device spends more of its time in GEMM.
    for (device, mode, gemm, elementwise) in [(NX, None, 700.0, 200.0), (AGX, Some("MAXN"), 500.0, 350.0)] {
        for (name, class, avg) in [
            ("mul_mat_q", OpClass::Gemm, gemm),
            ("k_bin_bcast", OpClass::Elementwise, elementwise),
            ("rms_norm_f32", OpClass::Norm, 100.0),
        ] {
            let mut k = fixtures::kernel(device, TINY, name, class, 1000, avg);
            k.power_mode = mode.map(Into::into);
            k.capture_id = edgebench_dataset::schema::Sha256Hex::of(format!("capture {device} {mode:?}").as_bytes());
            k.kernel_id = k.compute_id();
            kernels.push(k);
        }
    }

    let mut microbench = Vec::new();
    for rep in 0..REPS {
        microbench.push(fixtures::microbench(AGX, FusionVariant::Unfused, rep, 1924.0 + f64::from(rep)));
        microbench.push(fixtures::microbench(AGX, FusionVariant::Fused, rep, 1003.0 + f64::from(rep)));
    }

    let published = vec![
        fixtures::published(NX, Some(TINY), "load_ms", 707.0, "ms", "Tiny loads in 707 ms on the CPU."),
        fixtures::published("Edge Server (published only)", Some("Qwen-3B"), "peak_cpu_memory", 3.7, "GB", "Qwen-3B consumes 3.70 GB."),
    ];

    let (mut store, _) = Store::open(root).expect("open fixture store");
    let mut batch = edgebench_dataset::store::WriteBatch::default();
    store.stage(&mut batch, runs).expect("stage runs");
    store.stage(&mut batch, generations).expect("stage generations");
    store.stage(&mut batch, kernels).expect("stage kernels");
    store.stage(&mut batch, microbench).expect("stage microbench");
    store.stage(&mut batch, published).expect("stage published");
    store.commit(batch).expect("commit fixture dataset");
}

/// An empty dataset: a manifest with no shards.
pub fn write_empty_dataset(root: &Path) {
    Store::open(root).expect("open empty store");
}
