//! Reading the dataset: the one place where the report touches the files.
//!
//! Kernels, micro-benchmarks and published values are read whole (they are small: one row per
//! kernel name, per repetition, per quoted number). Runs are read projected to the columns the
//! report uses ([`RunSummary`]: not the provenance texts). Generations can number in the
//! millions and carry the model outputs, so only nine measurement columns are decoded, and they
//! are folded column by column into per-run sums as each record batch arrives ([`RunTotals`]);
//! no generation row is ever built and the output texts are never read. Four more (prompt and
//! output hashes, stop reason, prompt tokens) give each run's [`RunDetail`] (`prompts.rs`).
//!
//! Every shard is read on every core, each on its own, and the parts combined in manifest order
//! (`shards.rs`, `parallel.rs`), so the result does not depend on the threads; each shard's
//! sha256 is checked against the manifest before it is decoded. `run_id` and `status` are read
//! as dictionaries (`texts.rs`): a row costs a key, each distinct value is looked up once.
//!
//! A dataset that cannot be read gives one [`LoadError`] that names the path, what is wrong and
//! the fix (`diagnosis.rs`: the wrong directory passed, a missing or damaged file, and for a
//! file committed to git, `git checkout`).

use std::collections::HashMap;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, UInt32Type};
use arrow_array::{Array, RecordBatch};
use edgebench_dataset::manifest::{MANIFEST_FILE, Manifest};
use edgebench_dataset::model_registry::ModelRegistry;
use edgebench_dataset::schema::v1::{
    Backend, GenerationStatus, Kernel, Microbench, Protocol, Published, RunStatus, VERSION_DIR, WeightsOrigin,
};
use edgebench_dataset::schema::{Sha256Hex, UtcMicros};
use serde::Deserialize;
use texts::{Memo, Texts};

mod diagnosis;
mod parallel;
mod prompts;
mod provenance;
mod shards;
mod texts;

pub use diagnosis::LoadError;
/// The threads [`Dataset::load`] reads on: one per core.
pub use parallel::threads;
pub use prompts::{PromptOutcome, RunDetail, StopCounts};
pub use provenance::{DatasetProvenance, GitState};

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
    /// Which data these are: release, manifest hash, git commit.
    pub provenance: DatasetProvenance,
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
    /// Why the run has no power or energy (no sensor, or none readable).
    pub power_null_reason: Option<String>,
    /// Share of the model file in the page cache when the worker started (schema 1.4; null
    /// before): decides whether the load was cold or warm, see [`crate::analysis::PageCache`].
    pub model_resident_fraction: Option<f64>,
    /// Null in rows written before schema 1.3; see [`RunSummary::weights`].
    pub weights_origin: Option<WeightsOrigin>,
    pub synthetic_preset: Option<String>,
    pub synthetic_seed: Option<u64>,
    pub synthetic_source_sha256: Option<Sha256Hex>,
    /// Software provenance, for the report's front page (which versions the data come from).
    pub collector_version: String,
    pub collector_git_commit: String,
    pub llama_cpp_sys_version: String,
    pub llama_cpp_commit: String,
    /// What was asked of the model: the protocol's parameters as run (see `Run`).
    pub prompt_set_name: String,
    pub n_prompts: u32,
    pub max_output_tokens: u32,
    pub chat_template_applied: Option<bool>,
    /// Which prompts, exactly: two sets of one name (the built-in set cut to 3 prompts by the
    /// quick protocol, and whole) differ here. Findings tell comparisons across sets apart.
    pub prompt_set_sha256: Sha256Hex,
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
    "power_null_reason",
    "model_resident_fraction",
    "weights_origin",
    "synthetic_preset",
    "synthetic_seed",
    "synthetic_source_sha256",
    "collector_version",
    "collector_git_commit",
    "llama_cpp_sys_version",
    "llama_cpp_commit",
    "prompt_set_name",
    "n_prompts",
    "max_output_tokens",
    "chat_template_applied",
    "prompt_set_sha256",
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
    /// Prompts, outputs, stop reasons and token counts of the completed generations.
    pub detail: RunDetail,
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
        self.detail.add(&other.detail);
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
    // RunDetail's (prompts::COLUMNS, checked equal by a test).
    "prompt_sha256",
    "output_sha256",
    "stop_reason",
    "prompt_tokens",
];

/// The generation columns read as dictionaries ([`texts::Texts`]): few distinct values, many rows.
const DICTIONARY_COLUMNS: &[&str] = &["run_id", "status"];

impl Dataset {
    /// Reads the dataset rooted at `root` (the directory that holds `v1/`), on every core.
    pub fn load(root: &Path) -> Result<Dataset, LoadError> {
        Dataset::load_on(root, parallel::threads())
    }

    /// [`Dataset::load`] on `threads` threads (at least one); the result does not depend on them.
    pub fn load_on(root: &Path, threads: usize) -> Result<Dataset, LoadError> {
        Dataset::load_reporting(root, threads, |_| {})
    }

    /// [`Dataset::load_on`], telling `reading` how many shards the manifest lists once it has
    /// been read, before the shards are (for progress messages).
    pub fn load_reporting(root: &Path, threads: usize, reading: impl FnOnce(usize)) -> Result<Dataset, LoadError> {
        diagnosis::locate(root)?;
        let manifest_path = root.join(VERSION_DIR).join(MANIFEST_FILE);
        let unreadable = |e: edgebench_dataset::Error| diagnosis::read_failed(root, e);
        let manifest = Manifest::load(&manifest_path).map_err(unreadable)?;
        reading(manifest.shards.len());

        // The bytes just parsed, hashed: the manifest names every shard by its sha256.
        let manifest_bytes = std::fs::read(&manifest_path).map_err(|source| unreadable(edgebench_dataset::Error::Io { path: manifest_path.clone(), source }))?;
        let provenance = DatasetProvenance::read(root, &manifest, &manifest_bytes);
        let shards::Tables { generations: folder, mut runs, kernels, microbench, published } =
            shards::read(root, &manifest, threads).map_err(unreadable)?;
        // A registry that does not parse would silently change every label: an error, like a
        // corrupted shard.
        let registry = ModelRegistry::load(root).map_err(|e| diagnosis::registry_failed(root, e))?;
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
            kernels,
            microbench,
            published,
            registry,
            provenance,
        })
    }
}

/// Folds generation batches into per-run totals. Rows are sorted by generation id, so runs
/// interleave: `run_id` and `status` are read as dictionaries and each distinct value is looked
/// up once per column chunk ([`texts::Memo`]), not once per row.
#[derive(Default)]
struct GenerationFolder {
    index: HashMap<String, usize>,
    totals: Vec<(String, RunTotals)>,
    rows: u64,
    /// The totals slot of each run id, and whether each status is `ok`, of the current dictionaries.
    slots: Memo<usize>,
    is_ok: Memo<bool>,
}

impl GenerationFolder {
    fn fold(&mut self, batch: &RecordBatch) -> Result<(), String> {
        let column = |name: &str| batch.column_by_name(name).ok_or_else(|| format!("column {name} missing"));
        let floats = |name: &str| {
            column(name)?.as_primitive_opt::<Float64Type>().ok_or_else(|| format!("column {name} is not a float64 column"))
        };
        let run_id = Texts::of(batch, "run_id")?;
        let status = Texts::of(batch, "status")?;
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
        let detail = prompts::Columns::of(batch)?;

        self.rows += batch.num_rows() as u64;
        self.slots.follow(&run_id);
        self.is_ok.follow(&status);
        for i in 0..batch.num_rows() {
            let key = run_id.key(i).ok_or_else(|| format!("row {i}: run_id is null"))?;
            let slot = match self.slots.known(key) {
                Some(slot) => slot,
                None => {
                    let slot = self.slot(run_id.text(key));
                    self.slots.remember(key, slot)
                }
            };
            let t = &mut self.totals[slot].1;
            if !status.key(i).is_some_and(|k| self.is_ok.get(&status, k, |s| s == ok)) {
                t.generations_failed += 1;
                continue;
            }
            t.generations_ok += 1;
            t.ttft_ms.push(value(ttft, i));
            t.tpot_ms.push(value(tpot, i));
            t.prefill_tokens_per_s.push(value(prefill, i));
            t.decode_tokens_per_s.push(value(decode, i));
            t.relevance.push(value(relevance, i));
            detail.fold(i, &mut t.detail);
            if let (Some(e), true) = (value(energy, i).filter(|e| e.is_finite()), output_tokens.is_valid(i)) {
                t.energy_j += e;
                t.energy_tokens += u64::from(output_tokens.value(i));
            }
        }
        Ok(())
    }

    /// The totals slot of run `id`, made on first sight.
    fn slot(&mut self, id: &str) -> usize {
        if let Some(&slot) = self.index.get(id) {
            return slot;
        }
        self.totals.push((id.to_owned(), RunTotals::default()));
        self.index.insert(id.to_owned(), self.totals.len() - 1);
        self.totals.len() - 1
    }

    /// Adds another folder's totals (a later shard's) to this one.
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_projection_holds_the_detail_columns() {
        for c in super::prompts::COLUMNS {
            assert!(super::GENERATION_COLUMNS.contains(&c), "{c}");
        }
    }
}
