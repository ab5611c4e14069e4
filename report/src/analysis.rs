//! Analysis: from dataset rows to the numbers the report prints. Nothing here formats or draws.
//!
//! A **cell** is one device × back-end × power mode × model (name and quantisation): the unit the
//! paper reports a number for. Each run (repetition) of a cell gives one value per metric
//! ([`Metric::of_run`]); the cell's figure is the median over its completed runs with a
//! distribution-free interval ([`crate::stats`]). Failed runs never contribute values; they are
//! counted in the coverage matrix. Kernel profiles have cells of their own (with the phase and
//! the timing source in the key), computed in [`crate::kernels`]; the fusion micro-benchmark is
//! analysed in [`crate::fusion`].

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use edgebench_dataset::ids::slug;
use edgebench_dataset::schema::v1::{Backend, Protocol, Published, RunStatus};

use crate::load::RunSummary as Run;

use crate::fusion::{self, PublishedFusion};
use crate::kernels::{self, KernelCell, PublishedNcu, PublishedShares};
use crate::load::Dataset;
use crate::metrics::Metric;
use crate::stats::{self, LEVEL, MedianEstimate, RatioEstimate};

pub use crate::fusion::FusionResult;

/// Identifies a cell. Ordered for stable output: device, back-end, power mode, protocol, model,
/// quantisation.
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
        }
    }

    /// The platform half of the key: where the model ran.
    pub fn platform(&self) -> Platform {
        Platform {
            device: self.device.clone(),
            backend: self.backend,
            power_mode: self.power_mode.clone(),
            protocol: self.protocol,
        }
    }

    /// The model half of the key.
    pub fn model_key(&self) -> ModelKey {
        ModelKey { name: self.model.clone(), quantization: self.quantization.clone() }
    }
}

/// Device × back-end × power mode (× protocol, see [`CellKey`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Platform {
    pub device: String,
    pub backend: Backend,
    pub power_mode: Option<String>,
    pub protocol: Option<Protocol>,
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
        label
    }

    /// Whether this is a maximum-performance mode (`MAXN`, `MAXN_SUPER`...), the paper's
    /// reference when it compares power modes.
    pub fn is_max_mode(&self) -> bool {
        self.power_mode.as_deref().is_some_and(|m| m.to_ascii_uppercase().starts_with("MAXN"))
    }
}

/// Model name × quantisation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ModelKey {
    pub name: String,
    pub quantization: Option<String>,
}

impl ModelKey {
    pub fn label(&self) -> String {
        match &self.quantization {
            Some(q) => format!("{} ({q})", self.name),
            None => self.name.clone(),
        }
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
    /// Per-run values of each metric (dataset units), kept for ratios.
    #[serde(skip)]
    pub values: BTreeMap<Metric, Vec<f64>>,
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
    /// A model against the smallest model measured on the same platform.
    ModelVsSmallest,
}

impl Comparison {
    pub const ALL: [Comparison; 3] = [Comparison::BackendVsCpu, Comparison::ModeVsMaxn, Comparison::ModelVsSmallest];

    pub fn title(self) -> &'static str {
        match self {
            Comparison::BackendVsCpu => "GPU back-end vs CPU back-end",
            Comparison::ModeVsMaxn => "Power mode vs MAXN",
            Comparison::ModelVsSmallest => "Model vs the smallest model on the platform",
        }
    }
}

/// A model as described by its GGUF metadata (the paper's Table II).
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    pub key: ModelKey,
    pub architecture: Option<String>,
    pub n_params: Option<u64>,
    pub size_bytes: u64,
    pub sha256: String,
    pub file_name: String,
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
}

impl Analysis {
    pub fn cell(&self, key: &CellKey) -> Option<&Cell> {
        self.cells.binary_search_by(|c| c.key.cmp(key)).ok().map(|i| &self.cells[i])
    }

    /// Parameter count of a model, as llama.cpp reported it in any of its runs.
    pub fn n_params(&self, model: &ModelKey) -> Option<u64> {
        self.models.iter().filter(|m| &m.key == model).find_map(|m| m.n_params)
    }

    /// Platforms that have at least one cell, in order.
    pub fn platforms(&self) -> Vec<Platform> {
        let set: BTreeSet<Platform> = self.cells.iter().map(|c| c.key.platform()).collect();
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
    let cells = cells(data);
    let models = models(&data.runs);
    let mut analysis = Analysis {
        ratios: Vec::new(),
        kernel_cells: kernels::kernel_cells(&data.kernels, |model| quantization_of(&data.runs, model)),
        published_kernel_shares: kernels::published_shares(&data.published),
        published_ncu: kernels::published_ncu(&data.published),
        fusion: fusion::results(&data.microbench),
        published_fusion: fusion::published(&data.published),
        devices: devices(&data.runs),
        published: published(&data.published),
        row_counts: BTreeMap::from([
            ("runs", data.runs.len() as u64),
            ("generations", data.generation_rows),
            ("kernels", data.kernels.len() as u64),
            ("microbench", data.microbench.len() as u64),
            ("published", data.published.len() as u64),
        ]),
        latest_timestamp_us: latest_timestamp(data),
        cells,
        models,
    };
    analysis.ratios = ratios(&analysis);
    analysis
}

fn cells(data: &Dataset) -> Vec<Cell> {
    let mut by_key: BTreeMap<CellKey, Cell> = BTreeMap::new();
    for run in &data.runs {
        let key = CellKey::of_run(run);
        let cell = by_key.entry(key.clone()).or_insert_with(|| Cell {
            key,
            runs_ok: 0,
            runs_failed: 0,
            failures: BTreeMap::new(),
            protocols: BTreeSet::new(),
            estimates: BTreeMap::new(),
            values: BTreeMap::new(),
        });
        if run.status != RunStatus::Ok {
            cell.runs_failed += 1;
            *cell.failures.entry(run.status.as_str().to_owned()).or_default() += 1;
            continue;
        }
        cell.runs_ok += 1;
        cell.protocols.insert(run.protocol.as_str().to_owned());
        let totals = data.run_totals.get(run.run_id.as_str());
        for metric in Metric::ALL {
            if let Some(v) = metric.of_run(run, totals) {
                cell.values.entry(metric).or_default().push(v);
            }
        }
    }
    let mut cells: Vec<Cell> = by_key.into_values().collect();
    for cell in &mut cells {
        // Runs are read in shard order; sort so that nothing depends on it.
        for values in cell.values.values_mut() {
            values.sort_by(f64::total_cmp);
        }
        cell.estimates = cell
            .values
            .iter()
            .filter_map(|(m, v)| stats::median(v, LEVEL).map(|e| (*m, e)))
            .collect();
    }
    cells
}

fn ratios(analysis: &Analysis) -> Vec<Ratio> {
    let mut out = Vec::new();
    let mut push = |comparison, num: &Cell, den: &Cell| {
        for metric in Metric::ALL {
            if let (Some(a), Some(b)) = (num.values.get(&metric), den.values.get(&metric))
                && let Some(estimate) = stats::ratio(a, b, LEVEL)
            {
                out.push(Ratio { comparison, metric, numerator: num.key.clone(), denominator: den.key.clone(), estimate });
            }
        }
    };
    for cell in &analysis.cells {
        if cell.key.backend != Backend::Cpu {
            let cpu = CellKey { backend: Backend::Cpu, ..cell.key.clone() };
            if let Some(den) = analysis.cell(&cpu) {
                push(Comparison::BackendVsCpu, cell, den);
            }
        }
    }
    for cell in &analysis.cells {
        if cell.key.power_mode.is_some() && !cell.key.platform().is_max_mode() {
            let maxn = analysis
                .cells
                .iter()
                .filter(|c| c.key.platform().is_max_mode())
                .find(|c| {
                    c.key.device == cell.key.device
                        && c.key.backend == cell.key.backend
                        && c.key.protocol == cell.key.protocol
                        && c.key.model_key() == cell.key.model_key()
                });
            if let Some(den) = maxn {
                push(Comparison::ModeVsMaxn, cell, den);
            }
        }
    }
    for platform in analysis.platforms() {
        let on_platform: Vec<&Cell> = analysis.cells.iter().filter(|c| c.key.platform() == platform).collect();
        let ordered: Vec<&Cell> = analysis
            .model_keys()
            .iter()
            .filter_map(|m| on_platform.iter().copied().find(|c| &c.key.model_key() == m))
            .collect();
        if let Some((smallest, rest)) = ordered.split_first() {
            for cell in rest {
                push(Comparison::ModelVsSmallest, cell, smallest);
            }
        }
    }
    out.sort_by(|a, b| {
        (a.comparison, a.metric, &a.numerator, &a.denominator).cmp(&(b.comparison, b.metric, &b.numerator, &b.denominator))
    });
    out
}

/// Kernel rows carry no quantisation; take it from the runs of the same model when they agree.
fn quantization_of(runs: &[Run], model: &str) -> Option<String> {
    let quants: BTreeSet<&Option<String>> = runs.iter().filter(|r| r.model_name == model).map(|r| &r.model_file_type).collect();
    match quants.into_iter().collect::<Vec<_>>().as_slice() {
        [only] => (*only).clone(),
        _ => None,
    }
}

fn models(runs: &[Run]) -> Vec<ModelInfo> {
    let mut by_sha: BTreeMap<(ModelKey, String), ModelInfo> = BTreeMap::new();
    for run in runs {
        let key = ModelKey { name: run.model_name.clone(), quantization: run.model_file_type.clone() };
        let info = by_sha.entry((key.clone(), run.model_sha256.to_string())).or_insert_with(|| ModelInfo {
            key,
            architecture: None,
            n_params: None,
            size_bytes: run.model_size_bytes,
            sha256: run.model_sha256.to_string(),
            file_name: run.model_file_name.clone(),
        });
        // A failed load knows less about the model than a completed run; keep what any run knew.
        info.architecture = info.architecture.take().or_else(|| run.model_architecture.clone());
        info.n_params = info.n_params.or(run.model_n_params);
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

fn published(rows: &[Published]) -> Vec<PublishedValue> {
    let mut out: Vec<PublishedValue> = rows
        .iter()
        .map(|row| {
            let metric = Metric::from_key(&row.metric);
            let value = metric.and_then(|m| m.from_published_unit(row.value, &row.unit));
            PublishedValue { row: row.clone(), metric: metric.filter(|_| value.is_some()), value }
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
    slug(device) == slug(&key.device)
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
