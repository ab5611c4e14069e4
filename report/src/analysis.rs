//! Analysis: from dataset rows to the numbers the report prints. Nothing here formats or draws.
//!
//! A **cell** is one device × back-end × power mode × model (name, quantisation and weights
//! origin): the unit the paper reports a number for. The name in the key is what the rows carry
//! (`model_name`), so runs are pooled exactly as they were written; labels show the model's
//! canonical name from the dataset's model registry where it knows the file (by sha256, or by the
//! `collect synth` preset), so "Smollm2 135M 8k Lc100K Mix1 Ep2" is shown as
//! "SmolLM2-135M-Instruct". A model with synthetic weights (`collect
//! synth`: a trained model's architecture and shapes, generated values) is its own cell even when
//! its name and quantisation equal a trained model's: it measures the architecture, not the
//! model, so it is never pooled with one, never compared with one ([`ratios`]), never gives a
//! relevance ([`Metric::applies_to`]), and every label of it says so ([`SYNTHETIC_MARK`]).
//!
//! Each run (repetition) of a cell gives one value per metric ([`Metric::of_run`]); the cell's
//! figure is the median over its completed runs with a distribution-free interval
//! ([`crate::stats`]), except relevance in a cell whose runs gave each prompt the same output: its
//! median and interval are over prompts ([`Metric::replication`], [`replication`]). Failed runs never contribute values; they are
//! counted in the coverage matrix. Kernel profiles have cells of their own (with the phase and
//! the timing source in the key), computed in [`crate::kernels`]; the fusion micro-benchmark is
//! analysed in [`crate::fusion`].

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use edgebench_dataset::ids::slug;
use edgebench_dataset::schema::v1::{Backend, Protocol, Published};
pub use edgebench_dataset::schema::v1::WeightsOrigin;

use crate::load::{RunSummary as Run, StopCounts};

use crate::fusion::{self, PublishedFusion};
use crate::kernels::{self, KernelCell, PublishedNcu, PublishedShares};
use crate::load::Dataset;
use crate::metrics::{Metric, Replicate};
use crate::stats::{MedianEstimate, RatioEstimate};

pub use crate::fusion::FusionResult;

mod cells;
mod conditions;
mod page_cache;
mod provenance;
mod ratios;
pub use provenance::{Provenance, ProtocolUse, SoftwareBuild};
mod replication;

pub use conditions::{Conditions, PromptSet, Tuning};
pub use page_cache::PageCache;
pub use ratios::{BF16, FAMILY_SIZE_FACTOR, Q8_0};
pub use replication::Outputs;

/// What every label of a cell or model with synthetic weights ends with.
pub const SYNTHETIC_MARK: &str = " · synthetic";

/// The suffix `collect synth` gives its models' names. Labels drop it, since they carry
/// [`SYNTHETIC_MARK`] (decided by the weights origin, never by the name); keys keep the full name.
const SYNTHETIC_NAME_SUFFIX: &str = " (synthetic weights)";

/// What [`SYNTHETIC_MARK`] means, for the captions of every figure and table that shows a cell
/// with synthetic weights.
pub const SYNTHETIC_NOTE: &str = "“· synthetic” marks a model with synthetic weights (collect synth: a trained model's architecture, tensor shapes and weight type, with generated values). It measures the architecture's load time, latency, memory and power, not the model: it has no relevance, and it is compared only with other synthetic cells.";

/// Identifies a cell. Ordered for stable output: device, back-end, power mode, protocol, model,
/// quantisation, weights origin (trained first).
///
/// The protocol is part of the key because it changes what a run measures (prompt count, output
/// length): a quick smoke run and a paper-protocol run of the same model are different cells,
/// never pooled into one median.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CellKey {
    pub device: String,
    pub backend: Backend,
    pub power_mode: Option<String>,
    /// The run protocol; `None` for profiles and micro-benchmarks, which have none.
    pub protocol: Option<Protocol>,
    pub model: String,
    pub quantization: Option<String>,
    /// Trained or synthetic weights: part of the key so that the two are never pooled, even
    /// under one name and quantisation. Rows older than schema 1.3 are trained.
    pub weights: WeightsOrigin,
    /// The model registry's name for the cell's file, what labels show; `None` when the registry
    /// knows neither the file nor its preset. In the key so that runs of one `model_name` that the
    /// registry tells apart are never pooled; it never joins runs of different names.
    pub model_canonical: Option<String>,
    /// Whether the model file was in the page cache when the runs started: a cold load reads
    /// the file from storage and takes several times longer, so cold and warm runs are never
    /// pooled. `None` for rows written before schema 1.4, which did not record it.
    pub page_cache: Option<PageCache>,
}

impl CellKey {
    fn of_run(run: &Run) -> CellKey {
        CellKey {
            device: run.device_label.clone(),
            backend: run.backend,
            power_mode: run.power_mode.clone(),
            protocol: Some(run.protocol),
            model: run.model_name.clone(),
            quantization: run.model_file_type.clone(),
            weights: run.weights(),
            model_canonical: run.canonical_name.clone(),
            page_cache: PageCache::of(run.model_resident_fraction),
        }
    }

    /// The platform half of the key: where the model ran.
    pub fn platform(&self) -> Platform {
        Platform {
            device: self.device.clone(),
            backend: self.backend,
            power_mode: self.power_mode.clone(),
            protocol: self.protocol,
            page_cache: self.page_cache,
        }
    }

    /// The model half of the key.
    pub fn model_key(&self) -> ModelKey {
        ModelKey {
            name: self.model.clone(),
            quantization: self.quantization.clone(),
            weights: self.weights,
            canonical: self.model_canonical.clone(),
        }
    }
}

/// Device × back-end × power mode (× protocol, see [`CellKey`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Platform {
    pub device: String,
    pub backend: Backend,
    pub power_mode: Option<String>,
    pub protocol: Option<Protocol>,
    /// See [`CellKey::page_cache`].
    pub page_cache: Option<PageCache>,
}

impl Platform {
    /// `Orin NX · cuda · MAXN`; a protocol other than the paper's is named (`· quick protocol`).
    pub fn label(&self) -> String {
        let mut label = format!("{} · {}", self.device, self.backend);
        if let Some(mode) = &self.power_mode {
            label.push_str(&format!(" · {mode}"));
        }
        if let Some(protocol) = self.protocol.filter(|p| *p != Protocol::Paper) {
            label.push_str(&format!(" · {protocol} protocol"));
        }
        if let Some(state) = self.page_cache {
            label.push_str(&format!(" · {}", state.label()));
        }
        label
    }

    /// Whether this is a maximum-performance mode (`MAXN`, `MAXN_SUPER`...), the paper's
    /// reference when it compares power modes.
    pub fn is_max_mode(&self) -> bool {
        self.power_mode.as_deref().is_some_and(|m| m.to_ascii_uppercase().starts_with("MAXN"))
    }
}

/// Model name × quantisation × weights origin (and the registry's name, see [`CellKey`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ModelKey {
    pub name: String,
    pub quantization: Option<String>,
    pub weights: WeightsOrigin,
    pub canonical: Option<String>,
}

impl ModelKey {
    pub fn is_synthetic(&self) -> bool {
        self.weights == WeightsOrigin::Synthetic
    }

    /// The name as labels show it: the registry's name when it has one; else the rows' name,
    /// without `collect synth`'s suffix where the weights are synthetic, since the label's mark
    /// says so.
    pub fn display_name(&self) -> &str {
        if let Some(canonical) = &self.canonical {
            return canonical;
        }
        match self.weights {
            WeightsOrigin::Synthetic => self.name.strip_suffix(SYNTHETIC_NAME_SUFFIX).unwrap_or(&self.name),
            WeightsOrigin::Trained => &self.name,
        }
    }

    /// `Qwen2.5-0.5B-Instruct · synthetic`: the name and the weights' mark, no quantisation.
    pub fn name_label(&self) -> String {
        format!("{}{}", self.display_name(), self.mark())
    }

    /// `Qwen2.5-0.5B-Instruct (Q8_0) · synthetic`.
    pub fn label(&self) -> String {
        let name = self.display_name();
        let base = match &self.quantization {
            Some(q) => format!("{name} ({q})"),
            None => name.to_owned(),
        };
        format!("{base}{}", self.mark())
    }

    fn mark(&self) -> &'static str {
        if self.is_synthetic() { SYNTHETIC_MARK } else { "" }
    }
}

/// One cell's runs and medians.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub key: CellKey,
    pub runs_ok: usize,
    pub runs_failed: usize,
    /// How the failed runs ended (`load_failed` → 2), in status order.
    pub failures: BTreeMap<String, usize>,
    /// Protocols of the cell's completed runs (normally one).
    pub protocols: BTreeSet<String>,
    pub estimates: BTreeMap<Metric, MedianEstimate>,
    /// What each estimate's n counts ([`Metric::replication`]): runs, or prompts.
    pub replicates: BTreeMap<Metric, Replicate>,
    /// The observations of each metric (dataset units), one per replicate, sorted; kept for ratios.
    #[serde(skip)]
    pub values: BTreeMap<Metric, Vec<f64>>,
    /// Whether the completed runs gave each prompt the same output.
    pub outputs: Outputs,
    /// How the completed runs' generations stopped.
    pub stops: StopCounts,
    /// Median over runs of each run's mean prompt tokens per generation (chat template included).
    pub prompt_tokens: Option<MedianEstimate>,
    /// The same for output tokens (a final end-of-generation token included).
    pub output_tokens: Option<MedianEstimate>,
    /// Chat template, prompt set and token cap of the completed runs.
    pub conditions: Conditions,
    /// Why the completed runs have no power readings, as their rows say, when they say it.
    pub power_null_reasons: BTreeSet<String>,
}

/// A ratio of one metric between two cells that differ in one factor.
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    pub comparison: Comparison,
    pub metric: Metric,
    pub numerator: CellKey,
    pub denominator: CellKey,
    pub estimate: RatioEstimate,
}

/// The factor in which the two cells of a [`Ratio`] differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// A GPU back-end against the CPU back-end on the same device, mode and model.
    BackendVsCpu,
    /// Another power mode against MAXN on the same device, back-end and model.
    ModeVsMaxn,
    /// A model against the smallest model measured on the same platform (with weights of the
    /// same origin).
    ModelVsSmallest,
    /// BF16 weights against Q8_0 weights of the same architecture and parameter count on the
    /// same platform (the paper's QwQ-1.5B and DeepSeek-1.5B in BF16 against Qwen-1.5B in Q8).
    Bf16VsQ8,
    /// A Gemma model against the Qwen model nearest in parameter count (within
    /// [`FAMILY_SIZE_FACTOR`]), same quantisation and platform, per billion parameters (see
    /// `ratios::units`).
    GemmaVsQwen,
}

impl Comparison {
    pub const ALL: [Comparison; 5] = [
        Comparison::BackendVsCpu,
        Comparison::ModeVsMaxn,
        Comparison::ModelVsSmallest,
        Comparison::Bf16VsQ8,
        Comparison::GemmaVsQwen,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Comparison::BackendVsCpu => "GPU back-end vs CPU back-end",
            Comparison::ModeVsMaxn => "Power mode vs MAXN",
            Comparison::ModelVsSmallest => "Model vs the smallest model on the platform",
            Comparison::Bf16VsQ8 => "BF16 vs Q8_0 of the same architecture and size",
            Comparison::GemmaVsQwen => "Gemma vs the Qwen model nearest in size, per parameter",
        }
    }
}

/// A model file as described by its GGUF metadata (the paper's Table II).
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    pub key: ModelKey,
    pub architecture: Option<String>,
    pub n_params: Option<u64>,
    pub size_bytes: u64,
    pub sha256: String,
    pub file_name: String,
    /// Synthetic weights: the `collect synth` preset whose architecture the file has, or the
    /// file whose shapes it copies, and the generator's seed.
    pub synthetic_preset: Option<String>,
    pub synthetic_source_sha256: Option<String>,
    pub synthetic_seed: Option<u64>,
    /// Instruction-tuned or base, where the name says ([`Tuning`]); `None` for synthetic weights.
    pub tuning: Option<Tuning>,
}

/// A machine as described by its host fingerprint (the paper's Table III).
#[derive(Debug, Clone, Serialize)]
pub struct DeviceInfo {
    pub labels: BTreeSet<String>,
    pub fingerprint: String,
    pub cpu_model: String,
    pub cpu_logical_cores: u32,
    pub cpu_physical_cores: Option<u32>,
    pub ram_bytes: u64,
    pub gpu_name: Option<String>,
    pub os: String,
    pub arch: String,
}

/// A published number and the measured cell it matches, if any.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedValue {
    pub row: Published,
    /// The report metric it belongs to, when `row.metric` names one and its unit converts.
    pub metric: Option<Metric>,
    /// The value in dataset units (for example GB → bytes), when it converts.
    pub value: Option<f64>,
    /// The model registry's name for the model the row names (`Qwen-1.5B` → `Qwen2.5-1.5B-Instruct`,
    /// through the registry's aliases of the row's paper); `None` when the registry has no alias for it.
    pub model_canonical: Option<String>,
}

/// Everything computed from the dataset.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub cells: Vec<Cell>,
    pub ratios: Vec<Ratio>,
    /// Kernel profiles per device × back-end × mode × model × phase × timing source.
    pub kernel_cells: Vec<KernelCell>,
    /// The paper's Fig. 9 bars (published kernel-class shares).
    pub published_kernel_shares: Vec<PublishedShares>,
    /// The paper's Nsight Compute numbers.
    pub published_ncu: Vec<PublishedNcu>,
    /// The fusion micro-benchmark per platform, experiment, element type and vector length
    /// ([`crate::fusion`]).
    pub fusion: Vec<FusionResult>,
    /// The paper's Fig. 10 numbers.
    pub published_fusion: Vec<PublishedFusion>,
    pub models: Vec<ModelInfo>,
    pub devices: Vec<DeviceInfo>,
    pub published: Vec<PublishedValue>,
    /// Total rows read per table.
    pub row_counts: BTreeMap<&'static str, u64>,
    /// Latest time stamp in the data (µs since the epoch), the report's date.
    pub latest_timestamp_us: Option<i64>,
    /// Which data, software and protocols these are (the front page).
    pub provenance: Provenance,
}

impl Analysis {
    pub fn cell(&self, key: &CellKey) -> Option<&Cell> {
        self.cells.binary_search_by(|c| c.key.cmp(key)).ok().map(|i| &self.cells[i])
    }

    /// Parameter count of a model, as llama.cpp reported it in any of its runs.
    pub fn n_params(&self, model: &ModelKey) -> Option<u64> {
        self.models.iter().filter(|m| &m.key == model).find_map(|m| m.n_params)
    }

    /// GGUF architecture of a model (`qwen2`, `gemma2`), as any of its runs reported it.
    pub fn architecture(&self, model: &ModelKey) -> Option<&str> {
        self.models.iter().filter(|m| &m.key == model).find_map(|m| m.architecture.as_deref())
    }

    /// Whether a trained model is instruction-tuned or a base model, where its name says.
    pub fn tuning(&self, model: &ModelKey) -> Option<Tuning> {
        self.models.iter().filter(|m| &m.key == model).find_map(|m| m.tuning)
    }

    /// The `collect synth` preset of a model with synthetic weights, when it was made from one.
    pub fn preset(&self, model: &ModelKey) -> Option<&str> {
        self.models.iter().filter(|m| &m.key == model).find_map(|m| m.synthetic_preset.as_deref())
    }

    /// Whether `model` belongs to `family` (`gemma`, `qwen`): its preset, or else its name
    /// without the synthetic suffix, starts with the family's name (case-insensitive). A prefix,
    /// not a substring, so that DeepSeek-R1-Distill-Qwen is not a Qwen.
    pub fn is_family(&self, model: &ModelKey, family: &str) -> bool {
        let name = self.preset(model).unwrap_or(model.display_name());
        name.to_lowercase().starts_with(&family.to_lowercase())
    }

    /// Whether any cell has synthetic weights (captions then explain the mark).
    pub fn has_synthetic(&self) -> bool {
        self.cells.iter().any(|c| c.key.weights == WeightsOrigin::Synthetic)
    }

    /// Platforms that have at least one cell, in order.
    pub fn platforms(&self) -> Vec<Platform> {
        let set: BTreeSet<Platform> = self.cells.iter().map(|c| c.key.platform()).collect();
        set.into_iter().collect()
    }

    /// Every platform with each weights origin measured on it, in order: the groups within which
    /// models are compared by size.
    pub fn platforms_by_origin(&self) -> Vec<(Platform, WeightsOrigin)> {
        let set: BTreeSet<(Platform, WeightsOrigin)> = self.cells.iter().map(|c| (c.key.platform(), c.key.weights)).collect();
        set.into_iter().collect()
    }

    /// Models that have at least one cell, smallest first (by parameters, then name).
    pub fn model_keys(&self) -> Vec<ModelKey> {
        let set: BTreeSet<ModelKey> = self.cells.iter().map(|c| c.key.model_key()).collect();
        let mut models: Vec<ModelKey> = set.into_iter().collect();
        models.sort_by(|a, b| (self.n_params(a).unwrap_or(u64::MAX), a).cmp(&(self.n_params(b).unwrap_or(u64::MAX), b)));
        models
    }
}

/// Computes the analysis of `data`.
pub fn analyse(data: &Dataset) -> Analysis {
    let cells = cells::cells(data);
    let models = models(&data.runs, data.registry.as_ref());
    let mut analysis = Analysis {
        ratios: Vec::new(),
        kernel_cells: kernels::kernel_cells(&data.kernels, |capture| capture_model(data, capture)),
        published_kernel_shares: kernels::published_shares(&data.published),
        published_ncu: kernels::published_ncu(&data.published),
        fusion: fusion::results(&data.microbench),
        published_fusion: fusion::published(&data.published),
        devices: devices(&data.runs),
        published: published(&data.published, data.registry.as_ref()),
        row_counts: BTreeMap::from([
            ("runs", data.runs.len() as u64),
            ("generations", data.generation_rows),
            ("kernels", data.kernels.len() as u64),
            ("microbench", data.microbench.len() as u64),
            ("published", data.published.len() as u64),
        ]),
        latest_timestamp_us: latest_timestamp(data),
        provenance: Provenance::of(data),
        cells,
        models,
    };
    analysis.ratios = ratios::ratios(&analysis);
    analysis
}

/// A kernel capture's quantisation, weights origin and registry name, which kernel rows do not
/// carry: from the runs of the profiled file (sha256) or of the capture's run; failing both, from
/// the runs of the same model name when they agree on all three; failing that, unknown and
/// trained (what every profile before `collect synth` was), named by the registry when it knows
/// the profiled file.
fn capture_model(data: &Dataset, capture: &kernels::Capture) -> kernels::CaptureModel {
    let of_file = data.runs.iter().find(|r| {
        capture.model_sha256.as_ref() == Some(&r.model_sha256) || capture.run_id.as_ref() == Some(&r.run_id)
    });
    if let Some(run) = of_file {
        return kernels::CaptureModel { quantization: run.model_file_type.clone(), weights: run.weights(), canonical: run.canonical_name.clone() };
    }
    let named: BTreeSet<(&Option<String>, WeightsOrigin, &Option<String>)> = data
        .runs
        .iter()
        .filter(|r| r.model_name == capture.key.model)
        .map(|r| (&r.model_file_type, r.weights(), &r.canonical_name))
        .collect();
    match named.into_iter().collect::<Vec<_>>().as_slice() {
        [(quantization, weights, canonical)] => {
            kernels::CaptureModel { quantization: (*quantization).clone(), weights: *weights, canonical: (*canonical).clone() }
        }
        _ => kernels::CaptureModel {
            quantization: None,
            weights: WeightsOrigin::Trained,
            canonical: capture
                .model_sha256
                .as_ref()
                .zip(data.registry.as_ref())
                .and_then(|(sha, registry)| registry.canonical_name(sha.as_str(), None))
                .map(str::to_owned),
        },
    }
}

fn models(runs: &[Run], registry: Option<&edgebench_dataset::model_registry::ModelRegistry>) -> Vec<ModelInfo> {
    let mut by_sha: BTreeMap<(ModelKey, String), ModelInfo> = BTreeMap::new();
    for run in runs {
        let key = CellKey::of_run(run).model_key();
        let info = by_sha.entry((key.clone(), run.model_sha256.to_string())).or_insert_with(|| ModelInfo {
            key,
            architecture: None,
            n_params: None,
            size_bytes: run.model_size_bytes,
            sha256: run.model_sha256.to_string(),
            file_name: run.model_file_name.clone(),
            synthetic_preset: run.synthetic_preset.clone(),
            synthetic_source_sha256: run.synthetic_source_sha256.as_ref().map(ToString::to_string),
            synthetic_seed: run.synthetic_seed,
            tuning: None,
        });
        // A failed load knows less about the model than a completed run; keep what any run knew.
        info.architecture = info.architecture.take().or_else(|| run.model_architecture.clone());
        info.n_params = info.n_params.or(run.model_n_params);
        info.tuning = info.tuning.or_else(|| conditions::tuning(run, registry));
    }
    by_sha.into_values().collect()
}

fn devices(runs: &[Run]) -> Vec<DeviceInfo> {
    let mut by_host: BTreeMap<String, DeviceInfo> = BTreeMap::new();
    for run in runs {
        by_host
            .entry(run.host_fingerprint_sha256.to_string())
            .or_insert_with(|| DeviceInfo {
                labels: BTreeSet::new(),
                fingerprint: run.host_fingerprint_sha256.to_string(),
                cpu_model: run.host_cpu_model.clone(),
                cpu_logical_cores: run.host_cpu_logical_cores,
                cpu_physical_cores: run.host_cpu_physical_cores,
                ram_bytes: run.host_ram_bytes,
                gpu_name: run.host_gpu_name.clone(),
                os: run.host_os.clone(),
                arch: run.host_arch.clone(),
            })
            .labels
            .insert(run.device_label.clone());
    }
    let mut devices: Vec<DeviceInfo> = by_host.into_values().collect();
    devices.sort_by(|a, b| (&a.labels, &a.fingerprint).cmp(&(&b.labels, &b.fingerprint)));
    devices
}

fn published(rows: &[Published], registry: Option<&edgebench_dataset::model_registry::ModelRegistry>) -> Vec<PublishedValue> {
    let mut out: Vec<PublishedValue> = rows
        .iter()
        .map(|row| {
            let metric = Metric::from_key(&row.metric);
            let value = metric.and_then(|m| m.from_published_unit(row.value, &row.unit));
            let model_canonical = row
                .model_name
                .as_deref()
                .zip(registry)
                .and_then(|(name, registry)| registry.alias(&row.citation_key, name))
                .map(|m| m.name.clone());
            PublishedValue { row: row.clone(), metric: metric.filter(|_| value.is_some()), value, model_canonical }
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.row.section, &a.row.metric, &a.row.device_label, &a.row.model_name, &a.row.published_id).cmp(&(
            &b.row.section,
            &b.row.metric,
            &b.row.device_label,
            &b.row.model_name,
            &b.row.published_id,
        ))
    });
    out
}

/// Whether a published row speaks about `key`: same device and model (compared as slugs, so
/// spelling and case do not matter), and the same back-end and power mode where it states them.
/// Never a cell with synthetic weights: a paper's number is a trained model's, and a synthetic
/// cell is compared with synthetic cells only.
pub fn published_matches(row: &Published, key: &CellKey) -> bool {
    published_target_matches(&row.device_label, row.model_name.as_deref(), row.backend, row.power_mode.as_deref(), key)
}

/// [`published_matches`] on the parts of a published row that say what it is about.
pub fn published_target_matches(
    device: &str,
    model: Option<&str>,
    backend: Option<Backend>,
    power_mode: Option<&str>,
    key: &CellKey,
) -> bool {
    key.weights == WeightsOrigin::Trained
        && slug(device) == slug(&key.device)
        && model.is_some_and(|m| slug(m) == slug(&key.model))
        && backend.is_none_or(|b| b == key.backend)
        && match (power_mode, &key.power_mode) {
            (Some(a), Some(b)) => slug(a) == slug(b),
            (None, _) => true,
            (Some(_), None) => false,
        }
}

fn latest_timestamp(data: &Dataset) -> Option<i64> {
    let runs = data.runs.iter().map(|r| r.finished_at.0);
    let kernels = data.kernels.iter().map(|k| k.captured_at.0);
    let micro = data.microbench.iter().map(|m| m.measured_at.0);
    runs.chain(kernels).chain(micro).max()
}
