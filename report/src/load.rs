//! Reading the dataset: the one place where the report touches the files.
//!
//! Kernels, micro-benchmarks and published values are read whole (they are small: one row per
//! kernel name, per repetition, per quoted number). Runs are read projected to the columns the
//! report uses ([`RunSummary`]: not the provenance texts). Generations can number in the
//! millions and carry the model outputs, so only nine measurement columns are decoded, and they
//! are folded column by column into per-run sums as each record batch arrives ([`RunTotals`]);
//! no generation row is ever built and the output texts are never read.

use std::collections::HashMap;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, UInt32Type};
use arrow_array::{Array, RecordBatch};
use edgebench_dataset::manifest::{MANIFEST_FILE, Manifest};
use edgebench_dataset::model_registry::ModelRegistry;
use edgebench_dataset::schema::v1::{
    Backend, Generation, GenerationStatus, Kernel, Microbench, Protocol, Published, Run, RunStatus, VERSION_DIR,
    WeightsOrigin,
};
use edgebench_dataset::schema::{Sha256Hex, UtcMicros};
use edgebench_dataset::store::{for_each_projected, for_each_projected_batch};
use edgebench_dataset::{Table, read_table};
use serde::Deserialize;

/// Everything the report is computed from.
#[derive(Debug, Default)]
pub struct Dataset {
    pub runs: Vec<RunSummary>,
    /// Per-run sums over the run's completed generations, keyed by `run_id`.
    pub run_totals: HashMap<String, RunTotals>,
    pub kernels: Vec<Kernel>,
    pub microbench: Vec<Microbench>,
    pub published: Vec<Published>,
    /// Number of generation rows read (all statuses).
    pub generation_rows: u64,
    /// The dataset's model registry (`models.jsonl`), when it has one: the names labels show.
    pub registry: Option<ModelRegistry>,
}

/// The columns of a `runs` row that the report uses (see `Run` for their meaning).
#[derive(Debug, Clone, Deserialize)]
pub struct RunSummary {
    pub run_id: Sha256Hex,
    pub device_label: String,
    pub backend: Backend,
    pub power_mode: Option<String>,
    pub model_name: String,
    pub model_file_name: String,
    pub model_sha256: Sha256Hex,
    pub model_size_bytes: u64,
    pub model_architecture: Option<String>,
    pub model_n_params: Option<u64>,
    pub model_file_type: Option<String>,
    pub protocol: Protocol,
    pub host_fingerprint_sha256: Sha256Hex,
    pub host_cpu_model: String,
    pub host_cpu_logical_cores: u32,
    pub host_cpu_physical_cores: Option<u32>,
    pub host_ram_bytes: u64,
    pub host_os: String,
    pub host_arch: String,
    pub host_gpu_name: Option<String>,
    pub finished_at: UtcMicros,
    pub status: RunStatus,
    pub load_ms: Option<f64>,
    pub peak_rss_bytes: Option<u64>,
    pub peak_gpu_memory_bytes: Option<u64>,
    pub mean_power_w: Option<f64>,
    /// Null in rows written before schema 1.3; see [`RunSummary::weights`].
    pub weights_origin: Option<WeightsOrigin>,
    pub synthetic_preset: Option<String>,
    pub synthetic_seed: Option<u64>,
    pub synthetic_source_sha256: Option<Sha256Hex>,
    /// The registry's name for the run's file (by sha256, else by synthetic preset), set when the
    /// dataset is loaded; labels show it instead of `model_name`, which is what the file said.
    #[serde(skip)]
    pub canonical_name: Option<String>,
}

impl RunSummary {
    /// Where the run's weights come from. Rows older than schema 1.3 have no value: every run
    /// before `collect synth` existed ran a trained model's published weights.
    pub fn weights(&self) -> WeightsOrigin {
        self.weights_origin.unwrap_or(WeightsOrigin::Trained)
    }
}

const RUN_COLUMNS: &[&str] = &[
    "run_id",
    "device_label",
    "backend",
    "power_mode",
    "model_name",
    "model_file_name",
    "model_sha256",
    "model_size_bytes",
    "model_architecture",
    "model_n_params",
    "model_file_type",
    "protocol",
    "host_fingerprint_sha256",
    "host_cpu_model",
    "host_cpu_logical_cores",
    "host_cpu_physical_cores",
    "host_ram_bytes",
    "host_os",
    "host_arch",
    "host_gpu_name",
    "finished_at",
    "status",
    "load_ms",
    "peak_rss_bytes",
    "peak_gpu_memory_bytes",
    "mean_power_w",
    "weights_origin",
    "synthetic_preset",
    "synthetic_seed",
    "synthetic_source_sha256",
];

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

impl RunTotals {
    fn add(&mut self, other: &RunTotals) {
        self.generations_ok += other.generations_ok;
        self.generations_failed += other.generations_failed;
        for (a, b) in [
            (&mut self.ttft_ms, &other.ttft_ms),
            (&mut self.tpot_ms, &other.tpot_ms),
            (&mut self.prefill_tokens_per_s, &other.prefill_tokens_per_s),
            (&mut self.decode_tokens_per_s, &other.decode_tokens_per_s),
            (&mut self.relevance, &other.relevance),
        ] {
            a.sum += b.sum;
            a.n += b.n;
        }
        self.energy_j += other.energy_j;
        self.energy_tokens += other.energy_tokens;
    }
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

/// The generation columns the report needs (never `output_text`), in this order.
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

        let folder = fold_generations(root, &manifest).map_err(unreadable)?;

        let mut runs = Vec::new();
        for_each_projected::<RunSummary>(root, &manifest, Run::schema().name, RUN_COLUMNS, |batch| runs.extend(batch))
            .map_err(unreadable)?;
        // A registry that does not parse would silently change every label: an error, like a
        // corrupted shard.
        let registry = ModelRegistry::load(root).map_err(|e| LoadError::Unreadable(e.to_string(), root.display().to_string()))?;
        if let Some(registry) = &registry {
            for run in &mut runs {
                run.canonical_name =
                    registry.canonical_name(run.model_sha256.as_str(), run.synthetic_preset.as_deref()).map(str::to_owned);
            }
        }

        Ok(Dataset {
            runs,
            generation_rows: folder.rows,
            run_totals: folder.into_totals(),
            kernels: read_table::<Kernel>(root).map_err(unreadable)?,
            microbench: read_table::<Microbench>(root).map_err(unreadable)?,
            published: read_table::<Published>(root).map_err(unreadable)?,
            registry,
        })
    }
}

/// Folds every generation shard into per-run totals, on as many threads as there are cores: the
/// shards are split into contiguous chunks in manifest order, each folded on its own thread, and
/// the chunks merged in order, so the sums (and the report's bytes) do not depend on scheduling.
fn fold_generations(root: &Path, manifest: &Manifest) -> edgebench_dataset::Result<GenerationFolder> {
    let shards: Vec<_> = manifest.shards.iter().filter(|s| s.table == Generation::schema().name).cloned().collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, shards.len().max(1));
    let chunk = shards.len().div_ceil(threads).max(1);
    let parts: Vec<Manifest> = shards.chunks(chunk).map(|c| Manifest { shards: c.to_vec(), ..manifest.clone() }).collect();
    let folded: Vec<edgebench_dataset::Result<GenerationFolder>> = std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .iter()
            .map(|part| {
                scope.spawn(move || {
                    let mut folder = GenerationFolder::default();
                    for_each_projected_batch(root, part, Generation::schema().name, GENERATION_COLUMNS, |path, batch| {
                        folder.fold(batch).map_err(|e| edgebench_dataset::Error::format(path, e))
                    })?;
                    Ok(folder)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a generation reader thread panicked")).collect()
    });
    let mut merged = GenerationFolder::default();
    for part in folded {
        merged.merge(part?);
    }
    Ok(merged)
}

/// Folds generation batches into per-run totals. Rows of one run sit together in a shard, so the
/// run of the previous row is remembered and the map is consulted only when the run changes.
#[derive(Default)]
struct GenerationFolder {
    index: HashMap<String, usize>,
    totals: Vec<(String, RunTotals)>,
    rows: u64,
}

impl GenerationFolder {
    fn fold(&mut self, batch: &RecordBatch) -> Result<(), String> {
        let column = |name: &str| batch.column_by_name(name).ok_or_else(|| format!("column {name} missing"));
        let strings = |name: &str| {
            column(name)?.as_string_opt::<i32>().ok_or_else(|| format!("column {name} is not a string column"))
        };
        let floats = |name: &str| {
            column(name)?.as_primitive_opt::<Float64Type>().ok_or_else(|| format!("column {name} is not a float64 column"))
        };
        let run_id = strings("run_id")?;
        let status = strings("status")?;
        let output_tokens =
            column("output_tokens")?.as_primitive_opt::<UInt32Type>().ok_or("column output_tokens is not a uint32 column")?;
        let ttft = floats("ttft_ms")?;
        let tpot = floats("tpot_ms")?;
        let prefill = floats("prefill_tokens_per_s")?;
        let decode = floats("decode_tokens_per_s")?;
        let energy = floats("energy_j")?;
        let relevance = floats("relevance")?;
        let value = |a: &arrow_array::Float64Array, i: usize| a.is_valid(i).then(|| a.value(i));
        let ok = GenerationStatus::Ok.as_str();

        self.rows += batch.num_rows() as u64;
        let mut current: Option<(usize, usize)> = None; // (row index of the run id seen last, totals slot)
        for i in 0..batch.num_rows() {
            if run_id.is_null(i) {
                return Err(format!("row {i}: run_id is null"));
            }
            let id = run_id.value(i);
            let slot = match current {
                Some((prev, slot)) if run_id.value(prev) == id => slot,
                _ => match self.index.get(id) {
                    Some(&slot) => slot,
                    None => {
                        self.totals.push((id.to_owned(), RunTotals::default()));
                        self.index.insert(id.to_owned(), self.totals.len() - 1);
                        self.totals.len() - 1
                    }
                },
            };
            current = Some((i, slot));
            let t = &mut self.totals[slot].1;
            if status.is_null(i) || status.value(i) != ok {
                t.generations_failed += 1;
                continue;
            }
            t.generations_ok += 1;
            t.ttft_ms.push(value(ttft, i));
            t.tpot_ms.push(value(tpot, i));
            t.prefill_tokens_per_s.push(value(prefill, i));
            t.decode_tokens_per_s.push(value(decode, i));
            t.relevance.push(value(relevance, i));
            if let (Some(e), true) = (value(energy, i).filter(|e| e.is_finite()), output_tokens.is_valid(i)) {
                t.energy_j += e;
                t.energy_tokens += u64::from(output_tokens.value(i));
            }
        }
        Ok(())
    }

    /// Adds another folder's totals (a later chunk of shards) to this one.
    fn merge(&mut self, other: GenerationFolder) {
        self.rows += other.rows;
        for (id, t) in other.totals {
            match self.index.get(&id) {
                Some(&slot) => self.totals[slot].1.add(&t),
                None => {
                    self.index.insert(id.clone(), self.totals.len());
                    self.totals.push((id, t));
                }
            }
        }
    }

    fn into_totals(self) -> HashMap<String, RunTotals> {
        self.totals.into_iter().collect()
    }
}
