//! Reading the dataset: the one place where the report touches the files.
//!
//! Runs, kernels, micro-benchmarks and published values are read whole (they are small: one row per
//! run, per kernel name, per repetition, per quoted number). Generations can number in the
//! millions and carry the model outputs, so only the measurement columns are decoded and they are
//! folded into per-run sums as they are read ([`RunTotals`]); the output texts are never loaded.

use std::collections::HashMap;
use std::path::Path;

use edgebench_dataset::manifest::{MANIFEST_FILE, Manifest};
use edgebench_dataset::schema::Sha256Hex;
use edgebench_dataset::schema::v1::{
    Generation, GenerationStatus, Kernel, Microbench, Published, Run, VERSION_DIR,
};
use edgebench_dataset::{Table, read_table};
use serde::Deserialize;

/// Everything the report is computed from.
#[derive(Debug, Default)]
pub struct Dataset {
    pub runs: Vec<Run>,
    /// Per-run sums over the run's completed generations, keyed by `run_id`.
    pub run_totals: HashMap<Sha256Hex, RunTotals>,
    pub kernels: Vec<Kernel>,
    pub microbench: Vec<Microbench>,
    pub published: Vec<Published>,
    /// Number of generation rows read (all statuses).
    pub generation_rows: u64,
}

/// Sums and counts over one run's completed (`ok`) generations. Each per-prompt measure is
/// averaged over the prompts that have it, so a prompt without (say) a TPOT — one output token —
/// does not pull the mean towards zero.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RunTotals {
    pub generations_ok: u32,
    pub generations_failed: u32,
    pub ttft_ms: MeanAcc,
    pub tpot_ms: MeanAcc,
    pub prefill_tokens_per_s: MeanAcc,
    pub decode_tokens_per_s: MeanAcc,
    pub relevance: MeanAcc,
    /// Energy and output tokens of the generations that have an energy reading.
    pub energy_j: f64,
    pub energy_tokens: u64,
}

/// A running mean that ignores missing and non-finite values.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct MeanAcc {
    pub sum: f64,
    pub n: u32,
}

impl MeanAcc {
    pub fn push(&mut self, value: Option<f64>) {
        if let Some(v) = value.filter(|v| v.is_finite()) {
            self.sum += v;
            self.n += 1;
        }
    }

    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / f64::from(self.n))
    }
}

/// The generation columns the report needs (never `output_text`).
#[derive(Debug, Deserialize)]
struct GenerationMeasures {
    run_id: Sha256Hex,
    status: GenerationStatus,
    output_tokens: Option<u32>,
    ttft_ms: Option<f64>,
    tpot_ms: Option<f64>,
    prefill_tokens_per_s: Option<f64>,
    decode_tokens_per_s: Option<f64>,
    energy_j: Option<f64>,
    relevance: Option<f64>,
}

const GENERATION_COLUMNS: &[&str] = &[
    "run_id",
    "status",
    "output_tokens",
    "ttft_ms",
    "tpot_ms",
    "prefill_tokens_per_s",
    "decode_tokens_per_s",
    "energy_j",
    "relevance",
];

/// Why the dataset could not be read, said so that the user knows what to do.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(
        "{0}: not an edgebench dataset (no {VERSION_DIR}/{MANIFEST_FILE}); pass the dataset directory with --dataset"
    )]
    NotADataset(String),
    #[error("{0}; run `dataset validate {1}` for a full diagnosis")]
    Unreadable(String, String),
}

impl Dataset {
    /// Reads the dataset rooted at `root` (the directory that holds `v1/`).
    pub fn load(root: &Path) -> Result<Dataset, LoadError> {
        let manifest_path = root.join(VERSION_DIR).join(MANIFEST_FILE);
        if !manifest_path.is_file() {
            return Err(LoadError::NotADataset(root.display().to_string()));
        }
        let unreadable = |e: edgebench_dataset::Error| LoadError::Unreadable(e.to_string(), root.display().to_string());
        let manifest = Manifest::load(&manifest_path).map_err(unreadable)?;

        let mut run_totals: HashMap<Sha256Hex, RunTotals> = HashMap::new();
        let mut generation_rows = 0u64;
        edgebench_dataset::store::for_each_projected::<GenerationMeasures>(
            root,
            &manifest,
            Generation::schema().name,
            GENERATION_COLUMNS,
            |rows| {
                generation_rows += rows.len() as u64;
                for g in rows {
                    let totals = run_totals.entry(g.run_id).or_default();
                    if g.status != GenerationStatus::Ok {
                        totals.generations_failed += 1;
                        continue;
                    }
                    totals.generations_ok += 1;
                    totals.ttft_ms.push(g.ttft_ms);
                    totals.tpot_ms.push(g.tpot_ms);
                    totals.prefill_tokens_per_s.push(g.prefill_tokens_per_s);
                    totals.decode_tokens_per_s.push(g.decode_tokens_per_s);
                    totals.relevance.push(g.relevance);
                    if let (Some(e), Some(t)) = (g.energy_j.filter(|e| e.is_finite()), g.output_tokens) {
                        totals.energy_j += e;
                        totals.energy_tokens += u64::from(t);
                    }
                }
            },
        )
        .map_err(unreadable)?;

        Ok(Dataset {
            runs: read_table::<Run>(root).map_err(unreadable)?,
            run_totals,
            kernels: read_table::<Kernel>(root).map_err(unreadable)?,
            microbench: read_table::<Microbench>(root).map_err(unreadable)?,
            published: read_table::<Published>(root).map_err(unreadable)?,
            generation_rows,
        })
    }
}
