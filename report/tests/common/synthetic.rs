//! Runs of models with synthetic weights (`collect synth`, schema 1.3) beside trained ones on one
//! board, with numbers chosen so that each claim they bear on has a known answer:
//!
//! - a trained Qwen2.5-0.5B-Instruct and a synthetic one of the same name and quantisation (Q8_0),
//!   a little apart in every measure, so that pooling them would show;
//! - the paper's architectures as presets: Qwen2.5-1.5B, QwQ-1.5B (Qwen2.5-1.5B's shapes) and
//!   DeepSeek-R1-Distill-Qwen-1.5B in BF16 and Q8_0, Qwen2.5-3B and Gemma-2-2B, where BF16 is
//!   slower than Q8_0 of the same shapes and Gemma slower per parameter than the Qwen nearest in size — except
//!   BF16's TTFT on the GPU, which is lower, so a claim about the CPU must not count it;
//! - a trained Qwen2.5-1.5B with exactly the synthetic presets' shapes, which no comparison may
//!   pair with a synthetic cell;
//! - optionally, relevance on the synthetic runs' generations (as a scorer that ignored the mark
//!   would write), arranged to contradict both relevance claims if it were counted.

use std::path::Path;

use edgebench_dataset::fixtures;
use edgebench_dataset::schema::Sha256Hex;
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::{Store, Table};

use super::{REPS, set_timing};

pub const BOARD: &str = "Test board";
pub const QWEN_05: &str = "Qwen2.5-0.5B-Instruct";
/// What the synthetic Qwen2.5-0.5B-Instruct's labels end with.
pub const MARK: &str = " · synthetic";
pub const SEED: u64 = 7;

/// One model file.
#[derive(Clone, Copy)]
pub struct Model {
    pub name: &'static str,
    pub preset: Option<&'static str>,
    pub weights: WeightsOrigin,
    pub architecture: &'static str,
    pub n_params: u64,
    pub quantization: &'static str,
}

const QWEN_15_PARAMS: u64 = 1_543_714_304;
const DEEPSEEK_PARAMS: u64 = 1_777_088_000;

const fn synthetic(
    name: &'static str,
    preset: &'static str,
    architecture: &'static str,
    n_params: u64,
    quantization: &'static str,
) -> Model {
    Model {
        name,
        preset: Some(preset),
        weights: WeightsOrigin::Synthetic,
        architecture,
        n_params,
        quantization,
    }
}

const fn trained(name: &'static str, n_params: u64) -> Model {
    Model {
        name,
        preset: None,
        weights: WeightsOrigin::Trained,
        architecture: "qwen2",
        n_params,
        quantization: "Q8_0",
    }
}

pub const T_QWEN_05: Model = trained(QWEN_05, 494_032_768);
pub const T_QWEN_15: Model = trained("Qwen2.5-1.5B-Instruct", QWEN_15_PARAMS);
/// Same name and quantisation as [`T_QWEN_05`]: only the weights origin tells them apart.
pub const S_QWEN_05: Model = synthetic(QWEN_05, "qwen2.5-0.5b", "qwen2", 494_032_768, "Q8_0");
pub const S_QWEN_15: Model = synthetic(
    "Qwen2.5-1.5B-Instruct (synthetic weights)",
    "qwen2.5-1.5b",
    "qwen2",
    QWEN_15_PARAMS,
    "Q8_0",
);
pub const S_QWQ_BF16: Model = synthetic(
    "QwQ-1.5B (synthetic weights)",
    "qwq-1.5b",
    "qwen2",
    QWEN_15_PARAMS,
    "BF16",
);
pub const S_DEEPSEEK_Q8: Model = synthetic(
    "DeepSeek-R1-Distill-Qwen-1.5B (synthetic weights)",
    "deepseek-r1-distill-qwen-1.5b",
    "qwen2",
    DEEPSEEK_PARAMS,
    "Q8_0",
);
pub const S_DEEPSEEK_BF16: Model = synthetic(
    "DeepSeek-R1-Distill-Qwen-1.5B (synthetic weights)",
    "deepseek-r1-distill-qwen-1.5b",
    "qwen2",
    DEEPSEEK_PARAMS,
    "BF16",
);
pub const S_QWEN_3: Model = synthetic(
    "Qwen2.5-3B-Instruct (synthetic weights)",
    "qwen2.5-3b",
    "qwen2",
    3_085_938_688,
    "Q8_0",
);
pub const S_GEMMA: Model = synthetic(
    "Gemma-2-2B-It (synthetic weights)",
    "gemma-2-2b",
    "gemma2",
    2_614_341_888,
    "Q8_0",
);

impl Model {
    pub fn sha256(&self) -> Sha256Hex {
        Sha256Hex::of(format!("{} {} {}", self.weights, self.name, self.quantization).as_bytes())
    }
}

/// TTFT, TPOT, load (ms), peak RSS (MB), power (W), relevance.
#[derive(Clone, Copy)]
pub struct Measures(pub f64, pub f64, pub f64, pub u64, pub f64, pub f64);

/// (back-end, model, measures). Relevance of synthetic cells is used only when they are scored.
pub fn cells() -> Vec<(Backend, Model, Measures)> {
    use Backend::{Cpu, Cuda};
    vec![
        (
            Cpu,
            T_QWEN_05,
            Measures(300.0, 20.0, 700.0, 900, 10.0, 0.55),
        ),
        (
            Cpu,
            T_QWEN_15,
            Measures(800.0, 50.0, 900.0, 2000, 12.0, 0.60),
        ),
        (
            Cpu,
            S_QWEN_05,
            Measures(310.0, 21.0, 720.0, 910, 10.2, 0.90),
        ),
        (
            Cpu,
            S_QWEN_15,
            Measures(820.0, 52.0, 950.0, 2050, 12.5, 0.40),
        ),
        (
            Cpu,
            S_QWQ_BF16,
            Measures(2500.0, 95.0, 1500.0, 3500, 13.0, 0.40),
        ),
        (
            Cpu,
            S_DEEPSEEK_Q8,
            Measures(900.0, 58.0, 1000.0, 2300, 12.6, 0.40),
        ),
        (
            Cpu,
            S_DEEPSEEK_BF16,
            Measures(2900.0, 110.0, 1700.0, 4000, 13.2, 0.40),
        ),
        (
            Cpu,
            S_QWEN_3,
            Measures(1500.0, 100.0, 1200.0, 3800, 14.0, 0.20),
        ),
        (
            Cpu,
            S_GEMMA,
            Measures(1800.0, 130.0, 1600.0, 3600, 14.5, 0.20),
        ),
        (
            Cuda,
            T_QWEN_05,
            Measures(60.0, 9.5, 1900.0, 400, 19.0, 0.555),
        ),
        (
            Cuda,
            S_QWEN_05,
            Measures(62.0, 10.0, 2000.0, 410, 20.0, 0.30),
        ),
        (
            Cuda,
            S_QWEN_15,
            Measures(120.0, 20.0, 2300.0, 500, 22.0, 0.30),
        ),
        // BF16's first token comes sooner on the GPU: not what the CPU claim is about.
        (
            Cuda,
            S_QWQ_BF16,
            Measures(100.0, 40.0, 3200.0, 600, 23.0, 0.30),
        ),
        (
            Cuda,
            S_QWEN_3,
            Measures(150.0, 30.0, 2600.0, 600, 26.0, 0.30),
        ),
        (
            Cuda,
            S_GEMMA,
            Measures(200.0, 45.0, 3000.0, 700, 27.0, 0.30),
        ),
    ]
}

/// The runs and generations of one cell, as `collect run` writes them for `model`'s weights.
fn cell_rows(
    backend: Backend,
    model: Model,
    m: Measures,
    score_synthetic: bool,
) -> (Vec<Run>, Vec<Generation>) {
    let Measures(ttft, tpot, load, rss_mb, power, relevance) = m;
    let synthetic = model.weights == WeightsOrigin::Synthetic;
    let mut runs = Vec::new();
    let mut generations = Vec::new();
    for rep in 0..REPS {
        let mut run = fixtures::run(BOARD, backend, None, model.name, rep);
        let jitter = 1.0 + f64::from(rep) * 0.002;
        run.model_sha256 = model.sha256();
        run.model_architecture = Some(model.architecture.into());
        run.model_n_params = Some(model.n_params);
        run.model_file_type = Some(model.quantization.into());
        run.load_ms = Some(load * jitter);
        run.peak_rss_bytes = Some(rss_mb << 20);
        run.mean_power_w = Some(power * jitter);
        run.weights_origin = Some(model.weights);
        if synthetic {
            run.synthetic_preset = model.preset.map(Into::into);
            run.synthetic_seed = Some(SEED);
            run.synthetic_generator = Some("collect synth (fixture): uniform values".into());
        }
        run.n_prompts = super::PROMPTS;
        run.run_id = run.compute_id();
        for i in 0..super::PROMPTS {
            let mut g = fixtures::generation(&run, i);
            set_timing(&mut g, ttft * jitter, tpot * jitter);
            if !synthetic || score_synthetic {
                g.relevance = Some(relevance + f64::from(i) * 0.001);
                g.relevance_model = Some("all-MiniLM-L6-v2 (fixture)".into());
                g.relevance_model_sha256 = Some(Sha256Hex::of(b"scorer"));
            } else {
                g.relevance_null_reason =
                    Some("synthetic weights (collect synth): nothing to score".into());
            }
            if synthetic {
                g.stop_reason = Some(StopReason::MaxTokens);
            }
            g.generation_id = g.compute_id();
            generations.push(g);
        }
        runs.push(run);
    }
    (runs, generations)
}

/// A decode capture of `model` on the board's CPU with the given GEMV share (the rest element-wise).
fn decode_capture(model: Model, gemv: f64) -> Vec<Kernel> {
    let op = |op, class, share: f64| fixtures::OpTiming {
        op,
        class,
        weight_type: None,
        token_columns: Some(1),
        calls: 100,
        avg_ns: share * 1.0e7 / 100.0,
    };
    let ops = [
        op("MUL_MAT", OpClass::Gemv, gemv),
        op("MUL", OpClass::Elementwise, 1.0 - gemv),
    ];
    let mut rows = fixtures::ggml_op_capture(BOARD, model.name, Phase::Decode, 0, &ops, 0.95, 1.5);
    for k in &mut rows {
        // The profiled file: how the report finds the capture's quantisation and weights origin.
        k.model_sha256 = Some(model.sha256());
        k.capture_id = Sha256Hex::of(format!("capture of {}", model.sha256()).as_bytes());
        k.kernel_id = k.compute_id();
    }
    rows
}

/// Writes the board's runs (and a few decode profiles) under `root`.
pub fn write_dataset(root: &Path, score_synthetic: bool) {
    let mut runs = Vec::new();
    let mut generations = Vec::new();
    for (backend, model, measures) in cells() {
        let (r, g) = cell_rows(backend, model, measures, score_synthetic);
        runs.extend(r);
        generations.extend(g);
    }
    // The trained and the synthetic Qwen2.5-0.5B under one name; the synthetic Gemma's GEMV
    // share above the synthetic Qwens' (the paper's V.3), below the trained Qwen's, which it must
    // not be compared with.
    let mut kernels = decode_capture(T_QWEN_05, 0.90);
    kernels.extend(decode_capture(S_QWEN_05, 0.62));
    kernels.extend(decode_capture(S_QWEN_3, 0.70));
    kernels.extend(decode_capture(S_GEMMA, 0.80));

    let (mut store, _) = Store::open(root).expect("open fixture store");
    let mut batch = edgebench_dataset::store::WriteBatch::default();
    store.stage(&mut batch, runs).expect("stage runs");
    store
        .stage(&mut batch, generations)
        .expect("stage generations");
    store.stage(&mut batch, kernels).expect("stage kernels");
    store.commit(batch).expect("commit fixture dataset");
}
