//! Kernel profiles (the paper's Fig. 9 and the Nsight Compute numbers of Section V): from
//! `kernels` rows to per-capture class shares, then to per-cell medians. Nothing here formats.
//!
//! A **capture** is the rows of one `capture_id` that share a phase and a timing source. The
//! collector's own `collect profile` writes one phase of one profiled process per capture id, so
//! this is normally the capture id itself; keying by phase and timing source as well keeps an
//! imported file that mixed them from pooling unlike times. Each capture's class shares are its
//! time per class over its total time, so they sum to 1 ([`Capture::class_shares`]).
//!
//! A **kernel cell** is device × back-end × power mode × model × phase (`None`: the capture does
//! not separate prefill from decode) × timing source; the model, as for run cells, is name,
//! quantisation and weights origin, which kernel rows lack and the runs of the profiled file give
//! (see [`kernel_cells`]). Its numbers are medians over its captures,
//! with a distribution-free interval when there are enough captures ([`crate::stats`]); a
//! capture that lacks a class counts as a share of 0 for it, so a class seen in one capture of
//! three is not reported as if it were in all. Names that no rule of the class table matched
//! (class `other`) stay in the shares as their own class and are counted, never dropped.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use edgebench_dataset::schema::Sha256Hex;
use edgebench_dataset::schema::v1::{Backend, Kernel, OpClass, Phase, ProfileTool, Published, TimingSource, WeightsOrigin};

use crate::analysis::{CellKey, published_target_matches};
use crate::stats::{self, LEVEL, MedianEstimate};

/// `published.metric` of a kernel-class share (the paper's Fig. 9), in percent.
pub const PUBLISHED_SHARE_METRIC: &str = "kernel_class_share";

/// Kernels one cell lists as its largest (by median share).
pub const TOP_KERNELS: usize = 5;

/// What a kernel row is, for the top-kernels list: the ggml op (or the kernel's base name for
/// GPU profiler rows), the weight type and the token columns of a matrix product.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct KernelKey {
    pub name: String,
    pub class: OpClass,
    pub weight_type: Option<String>,
    pub token_columns: Option<u64>,
}

impl KernelKey {
    fn of(k: &Kernel) -> KernelKey {
        KernelKey {
            name: k.op_name.clone().unwrap_or_else(|| k.kernel_base_name.clone()),
            class: k.op_class,
            weight_type: k.weight_type.clone(),
            token_columns: k.token_columns,
        }
    }
}

/// A Nsight Compute measure, as the report shows it and as `published.metric` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NcuMetric {
    TheoreticalOccupancy,
    AchievedOccupancy,
    ActiveWarps,
    EligibleWarps,
    IssuedWarps,
    /// 1 / issued warps per scheduler per cycle: how many cycles pass between two issued
    /// instructions (the paper's "one instruction every 5.4 cycles").
    IssueCyclesPerInstruction,
}

impl NcuMetric {
    pub const ALL: [NcuMetric; 6] = [
        NcuMetric::TheoreticalOccupancy,
        NcuMetric::AchievedOccupancy,
        NcuMetric::ActiveWarps,
        NcuMetric::EligibleWarps,
        NcuMetric::IssuedWarps,
        NcuMetric::IssueCyclesPerInstruction,
    ];

    /// The `published.metric` vocabulary.
    pub fn key(self) -> &'static str {
        match self {
            NcuMetric::TheoreticalOccupancy => "theoretical_occupancy_pct",
            NcuMetric::AchievedOccupancy => "achieved_occupancy_pct",
            NcuMetric::ActiveWarps => "active_warps_per_scheduler",
            NcuMetric::EligibleWarps => "eligible_warps_per_cycle",
            NcuMetric::IssuedWarps => "issued_warps_per_cycle",
            NcuMetric::IssueCyclesPerInstruction => "issue_cycles_per_instruction",
        }
    }

    pub fn from_key(key: &str) -> Option<NcuMetric> {
        NcuMetric::ALL.into_iter().find(|m| m.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            NcuMetric::TheoreticalOccupancy => "theoretical occupancy",
            NcuMetric::AchievedOccupancy => "achieved occupancy",
            NcuMetric::ActiveWarps => "active warps per scheduler",
            NcuMetric::EligibleWarps => "eligible warps per scheduler per cycle",
            NcuMetric::IssuedWarps => "issued warps per scheduler per cycle",
            NcuMetric::IssueCyclesPerInstruction => "cycles per issued instruction",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            NcuMetric::TheoreticalOccupancy | NcuMetric::AchievedOccupancy => "%",
            NcuMetric::ActiveWarps => "warps",
            NcuMetric::EligibleWarps => "warps/cycle",
            NcuMetric::IssuedWarps => "instructions/cycle",
            NcuMetric::IssueCyclesPerInstruction => "cycles",
        }
    }

    /// The row's own value; `None` for the derived measure.
    fn of_row(self, k: &Kernel) -> Option<f64> {
        match self {
            NcuMetric::TheoreticalOccupancy => k.theoretical_occupancy_pct,
            NcuMetric::AchievedOccupancy => k.achieved_occupancy_pct,
            NcuMetric::ActiveWarps => k.active_warps_per_cycle,
            NcuMetric::EligibleWarps => k.eligible_warps_per_cycle,
            NcuMetric::IssuedWarps => k.issued_warps_per_cycle,
            NcuMetric::IssueCyclesPerInstruction => None,
        }
        .filter(|v| v.is_finite())
    }
}

/// Matrix products, whatever their shape: GEMM and GEMV. Their summed share is the
/// matrix-product reading of the paper's "GEMM"; their micro-architectural metrics are the ones
/// averaged for the Nsight Compute table (the kernels the paper's discussion is about).
pub fn is_matrix_product(class: OpClass) -> bool {
    matches!(class, OpClass::Gemm | OpClass::Gemv)
}

/// One capture: the rows of one capture id with one phase and one timing source.
#[derive(Debug, Clone, Serialize)]
pub struct Capture {
    pub capture_id: String,
    pub key: CellKey,
    pub phase: Option<Phase>,
    pub timing: Option<TimingSource>,
    pub tool: ProfileTool,
    /// The profiled file and the run the capture belongs to, where the rows say: kernel rows
    /// carry no quantisation or weights origin, so these find the runs that do.
    pub model_sha256: Option<Sha256Hex>,
    pub run_id: Option<Sha256Hex>,
    /// Time per class (ns), over rows with a finite, positive total.
    pub class_ns: BTreeMap<OpClass, f64>,
    /// Time per kernel (ns).
    pub kernel_ns: BTreeMap<KernelKey, f64>,
    /// Distinct kernel names of class `other`.
    pub unclassified_names: BTreeSet<String>,
    pub phase_wall_ns: Option<f64>,
    pub phase_tokens: Option<u64>,
    pub unprofiled_phase_wall_ns: Option<f64>,
    /// Per Nsight Compute measure: (Σ value × time, Σ time) over the matrix-product kernels.
    ncu_weighted: BTreeMap<NcuMetric, (f64, f64)>,
}

impl Capture {
    /// Σ time of the capture's rows (ns).
    pub fn total_ns(&self) -> f64 {
        self.class_ns.values().sum()
    }

    /// Each class's time over the capture's total: sums to 1; empty when the capture has no time.
    pub fn class_shares(&self) -> BTreeMap<OpClass, f64> {
        let total = self.total_ns();
        if total <= 0.0 {
            return BTreeMap::new();
        }
        self.class_ns.iter().map(|(c, ns)| (*c, ns / total)).collect()
    }

    /// Profiled over unprofiled wall time of the same phase and tokens (for decode, profiled
    /// time per token over the unprofiled TPOT).
    pub fn overhead(&self) -> Option<f64> {
        ratio(self.phase_wall_ns?, self.unprofiled_phase_wall_ns?)
    }

    /// Share of the phase's wall time that the capture's rows account for.
    pub fn coverage(&self) -> Option<f64> {
        ratio(self.total_ns(), self.phase_wall_ns?)
    }

    /// Wall time per token of the phase in the profiled process (ms).
    pub fn profiled_ms_per_token(&self) -> Option<f64> {
        per_token_ms(self.phase_wall_ns?, self.phase_tokens?)
    }

    /// Wall time per token of the same phase unprofiled (ms): the unprofiled TPOT for decode.
    pub fn unprofiled_ms_per_token(&self) -> Option<f64> {
        per_token_ms(self.unprofiled_phase_wall_ns?, self.phase_tokens?)
    }

    /// Time-weighted mean of `metric` over the matrix-product kernels that carry it.
    pub fn ncu_mean(&self, metric: NcuMetric) -> Option<f64> {
        if metric == NcuMetric::IssueCyclesPerInstruction {
            // The mean issue rate inverted, not the mean of inverses: cycles add up, rates do not.
            return self.ncu_mean(NcuMetric::IssuedWarps).filter(|v| *v > 0.0).map(|v| 1.0 / v);
        }
        let (sum, weight) = self.ncu_weighted.get(&metric)?;
        (*weight > 0.0).then(|| sum / weight)
    }
}

fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    (numerator.is_finite() && denominator.is_finite() && denominator > 0.0).then(|| numerator / denominator)
}

fn per_token_ms(wall_ns: f64, tokens: u64) -> Option<f64> {
    (tokens > 0).then(|| wall_ns / tokens as f64 / 1e6).filter(|v| v.is_finite())
}

/// Groups rows into captures, in a stable order (capture id, phase, timing source).
pub fn captures(kernels: &[Kernel]) -> Vec<Capture> {
    type CaptureId = (String, Option<Phase>, Option<TimingSource>);
    let mut by_id: BTreeMap<CaptureId, Capture> = BTreeMap::new();
    for k in kernels {
        let id = (k.capture_id.to_string(), k.phase, k.timing_source);
        let capture = by_id.entry(id).or_insert_with(|| Capture {
            capture_id: k.capture_id.to_string(),
            key: CellKey {
                device: k.device_label.clone(),
                backend: k.backend,
                power_mode: k.power_mode.clone(),
                protocol: None,
                model: k.model_name.clone(),
                quantization: None,
                weights: WeightsOrigin::Trained,
                model_canonical: None,
                page_cache: None,
            },
            phase: k.phase,
            timing: k.timing_source,
            tool: k.tool,
            model_sha256: None,
            run_id: None,
            class_ns: BTreeMap::new(),
            kernel_ns: BTreeMap::new(),
            unclassified_names: BTreeSet::new(),
            phase_wall_ns: None,
            phase_tokens: None,
            unprofiled_phase_wall_ns: None,
            ncu_weighted: BTreeMap::new(),
        });
        // The phase's wall times are the same on every row of a capture; take them from any row
        // that has them.
        capture.phase_wall_ns = capture.phase_wall_ns.or(k.phase_wall_ns.filter(|v| v.is_finite()));
        capture.phase_tokens = capture.phase_tokens.or(k.phase_tokens);
        capture.model_sha256 = capture.model_sha256.take().or_else(|| k.model_sha256.clone());
        capture.run_id = capture.run_id.take().or_else(|| k.run_id.clone());
        capture.unprofiled_phase_wall_ns =
            capture.unprofiled_phase_wall_ns.or(k.unprofiled_phase_wall_ns.filter(|v| v.is_finite()));
        if k.op_class == OpClass::Other {
            capture.unclassified_names.insert(k.kernel_base_name.clone());
        }
        if !(k.total_ns.is_finite() && k.total_ns > 0.0) {
            continue;
        }
        *capture.class_ns.entry(k.op_class).or_default() += k.total_ns;
        *capture.kernel_ns.entry(KernelKey::of(k)).or_default() += k.total_ns;
        if is_matrix_product(k.op_class) {
            for metric in NcuMetric::ALL {
                if let Some(v) = metric.of_row(k) {
                    let entry = capture.ncu_weighted.entry(metric).or_default();
                    entry.0 += v * k.total_ns;
                    entry.1 += k.total_ns;
                }
            }
        }
    }
    by_id.into_values().collect()
}

/// One kernel of a cell's top list.
#[derive(Debug, Clone, Serialize)]
pub struct TopKernel {
    pub kernel: KernelKey,
    /// Median over the cell's captures of the kernel's share (0 in captures without it).
    pub share: MedianEstimate,
    /// Captures in which the kernel ran.
    pub in_captures: usize,
}

/// A kernel cell: its captures' medians.
#[derive(Debug, Clone, Serialize)]
pub struct KernelCell {
    /// Device, back-end, power mode, model (protocol `None`: profiles have none).
    pub key: CellKey,
    /// `None`: the captures do not separate prefill from decode.
    pub phase: Option<Phase>,
    /// `None`: rows written before schema 1.1 do not say.
    pub timing: Option<TimingSource>,
    pub tools: BTreeSet<ProfileTool>,
    pub captures: usize,
    /// Median share of each class that has time in any of the captures, in [0, 1].
    pub shares: BTreeMap<OpClass, MedianEstimate>,
    /// Median of GEMM + GEMV per capture: all matrix-product time.
    pub matrix_product_share: Option<MedianEstimate>,
    /// Distinct kernel names of class `other` over the captures.
    pub unclassified_names: usize,
    pub top_kernels: Vec<TopKernel>,
    pub overhead: Option<MedianEstimate>,
    pub coverage: Option<MedianEstimate>,
    pub profiled_ms_per_token: Option<MedianEstimate>,
    pub unprofiled_ms_per_token: Option<MedianEstimate>,
    /// Median over captures of each Nsight Compute mean, where the rows carry it.
    pub ncu: BTreeMap<NcuMetric, MedianEstimate>,
}

impl KernelCell {
    /// Median share of `class`; 0 when no capture of the cell has it.
    pub fn share(&self, class: OpClass) -> f64 {
        self.shares.get(&class).map_or(0.0, |e| e.median)
    }
}

/// What kernel rows lack about a capture's model, found in the runs of the profiled file.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureModel {
    pub quantization: Option<String>,
    pub weights: WeightsOrigin,
    /// The model registry's name for the file (what labels show).
    pub canonical: Option<String>,
}

/// The kernel cells of `kernels`, ordered by cell key, phase and timing source. `model_of` gives
/// a capture's quantisation, weights origin and registry name (kernel rows carry none of them),
/// so that a profile of synthetic weights is its own cell, like its runs, and is labelled like
/// them.
pub fn kernel_cells(kernels: &[Kernel], model_of: impl Fn(&Capture) -> CaptureModel) -> Vec<KernelCell> {
    type CellId = (CellKey, Option<Phase>, Option<TimingSource>);
    let mut by_cell: BTreeMap<CellId, Vec<Capture>> = BTreeMap::new();
    for mut capture in captures(kernels) {
        let model = model_of(&capture);
        (capture.key.quantization, capture.key.weights, capture.key.model_canonical) = (model.quantization, model.weights, model.canonical);
        by_cell.entry((capture.key.clone(), capture.phase, capture.timing)).or_default().push(capture);
    }
    by_cell.into_iter().map(|((key, phase, timing), caps)| kernel_cell(key, phase, timing, &caps)).collect()
}

fn kernel_cell(key: CellKey, phase: Option<Phase>, timing: Option<TimingSource>, caps: &[Capture]) -> KernelCell {
    let per_capture: Vec<BTreeMap<OpClass, f64>> =
        caps.iter().map(Capture::class_shares).filter(|s| !s.is_empty()).collect();
    let classes: BTreeSet<OpClass> = per_capture.iter().flat_map(|s| s.keys().copied()).collect();
    let median_of = |values: Vec<f64>| stats::median(&values, LEVEL);
    let shares = classes
        .into_iter()
        .filter_map(|class| {
            median_of(per_capture.iter().map(|s| s.get(&class).copied().unwrap_or(0.0)).collect()).map(|m| (class, m))
        })
        .collect();
    let matrix_product_share = median_of(
        per_capture.iter().map(|s| s.iter().filter(|(c, _)| is_matrix_product(**c)).map(|(_, v)| v).sum()).collect(),
    );
    let unclassified: BTreeSet<&String> = caps.iter().flat_map(|c| &c.unclassified_names).collect();
    let ncu = NcuMetric::ALL
        .into_iter()
        .filter_map(|m| median_of(caps.iter().filter_map(|c| c.ncu_mean(m)).collect()).map(|e| (m, e)))
        .collect();
    KernelCell {
        tools: caps.iter().map(|c| c.tool).collect(),
        captures: caps.len(),
        shares,
        matrix_product_share,
        unclassified_names: unclassified.len(),
        top_kernels: top_kernels(caps),
        overhead: median_of(caps.iter().filter_map(Capture::overhead).collect()),
        coverage: median_of(caps.iter().filter_map(Capture::coverage).collect()),
        profiled_ms_per_token: median_of(caps.iter().filter_map(Capture::profiled_ms_per_token).collect()),
        unprofiled_ms_per_token: median_of(caps.iter().filter_map(Capture::unprofiled_ms_per_token).collect()),
        ncu,
        key,
        phase,
        timing,
    }
}

/// The [`TOP_KERNELS`] kernels with the largest median share (ties: by name, for stable output).
fn top_kernels(caps: &[Capture]) -> Vec<TopKernel> {
    let kernels: BTreeSet<&KernelKey> = caps.iter().flat_map(|c| c.kernel_ns.keys()).collect();
    let timed: Vec<&Capture> = caps.iter().filter(|c| c.total_ns() > 0.0).collect();
    let mut top: Vec<TopKernel> = kernels
        .into_iter()
        .filter_map(|kernel| {
            let shares: Vec<f64> =
                timed.iter().map(|c| c.kernel_ns.get(kernel).copied().unwrap_or(0.0) / c.total_ns()).collect();
            Some(TopKernel {
                share: stats::median(&shares, LEVEL)?,
                in_captures: timed.iter().filter(|c| c.kernel_ns.contains_key(kernel)).count(),
                kernel: kernel.clone(),
            })
        })
        .collect();
    top.sort_by(|a, b| b.share.median.total_cmp(&a.share.median).then_with(|| a.kernel.cmp(&b.kernel)));
    top.truncate(TOP_KERNELS);
    top
}

/// One bar of a paper's Fig. 9: the class shares it quotes for one device and model.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedShares {
    pub citation_key: String,
    pub section: String,
    pub device: String,
    pub backend: Option<Backend>,
    pub power_mode: Option<String>,
    pub model: Option<String>,
    pub precision: Option<String>,
    /// Quoted shares in [0, 1] per class; `None` is a bin of the paper's own that matches no
    /// class ("small operations"). The same number quoted in several sentences appears once;
    /// different numbers for one class all appear.
    pub shares: BTreeMap<Option<OpClass>, Vec<f64>>,
    /// Any quoted row carries an ambiguity note.
    pub ambiguous: bool,
    /// The `published` rows behind it: the appendix entries they are in are its references.
    pub published_ids: Vec<Sha256Hex>,
}

impl PublishedShares {
    /// The share to draw for `class`: the quoted value, or the median of several.
    pub fn share(&self, class: Option<OpClass>) -> Option<f64> {
        let values = self.shares.get(&class)?;
        stats::median(values, LEVEL).map(|m| m.median)
    }

    /// Whether the bar speaks about the measured cell `key` (see [`published_target_matches`]).
    pub fn matches(&self, key: &CellKey) -> bool {
        published_target_matches(&self.device, self.model.as_deref(), self.backend, self.power_mode.as_deref(), key)
    }
}

/// Published rows of [`PUBLISHED_SHARE_METRIC`], one bar per source × device × back-end × mode ×
/// model. Values in another unit than `%` are left out (they would need a conversion no paper has
/// needed yet).
pub fn published_shares(rows: &[Published]) -> Vec<PublishedShares> {
    type BarId = (String, String, Option<Backend>, Option<String>, Option<String>, Option<String>);
    let mut bars: BTreeMap<BarId, PublishedShares> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.metric == PUBLISHED_SHARE_METRIC && r.unit == "%" && r.value.is_finite()) {
        let id = (
            row.citation_key.clone(),
            row.device_label.clone(),
            row.backend,
            row.power_mode.clone(),
            row.model_name.clone(),
            row.model_precision.clone(),
        );
        let bar = bars.entry(id).or_insert_with(|| PublishedShares {
            citation_key: row.citation_key.clone(),
            section: row.section.clone(),
            device: row.device_label.clone(),
            backend: row.backend,
            power_mode: row.power_mode.clone(),
            model: row.model_name.clone(),
            precision: row.model_precision.clone(),
            shares: BTreeMap::new(),
            ambiguous: false,
            published_ids: Vec::new(),
        });
        bar.ambiguous |= row.ambiguity.is_some();
        bar.published_ids.push(row.published_id.clone());
        let values = bar.shares.entry(row.op_class).or_default();
        let share = row.value / 100.0;
        if !values.contains(&share) {
            values.push(share);
            values.sort_by(f64::total_cmp);
        }
    }
    bars.into_values().collect()
}

/// A paper's Nsight Compute numbers for one device, back-end, mode and model.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedNcu {
    pub citation_key: String,
    pub section: String,
    pub device: String,
    pub backend: Option<Backend>,
    pub power_mode: Option<String>,
    pub model: Option<String>,
    /// Quoted value and unit per measure.
    pub values: BTreeMap<NcuMetric, (f64, String)>,
    pub ambiguous: bool,
    /// The `published` rows behind it: the appendix entries they are in are its references.
    pub published_ids: Vec<Sha256Hex>,
}

/// Published rows whose metric is an [`NcuMetric`] key, one entry per source × device × back-end
/// × mode × model.
pub fn published_ncu(rows: &[Published]) -> Vec<PublishedNcu> {
    type Id = (String, String, Option<Backend>, Option<String>, Option<String>);
    let mut out: BTreeMap<Id, PublishedNcu> = BTreeMap::new();
    for row in rows {
        let Some(metric) = NcuMetric::from_key(&row.metric) else { continue };
        let id = (
            row.citation_key.clone(),
            row.device_label.clone(),
            row.backend,
            row.power_mode.clone(),
            row.model_name.clone(),
        );
        let entry = out.entry(id).or_insert_with(|| PublishedNcu {
            citation_key: row.citation_key.clone(),
            section: row.section.clone(),
            device: row.device_label.clone(),
            backend: row.backend,
            power_mode: row.power_mode.clone(),
            model: row.model_name.clone(),
            values: BTreeMap::new(),
            ambiguous: false,
            published_ids: Vec::new(),
        });
        entry.ambiguous |= row.ambiguity.is_some();
        entry.published_ids.push(row.published_id.clone());
        entry.values.entry(metric).or_insert_with(|| (row.value, row.unit.clone()));
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgebench_dataset::Table;
    use edgebench_dataset::fixtures;
    use edgebench_dataset::schema::Sha256Hex;

    fn in_capture(mut k: Kernel, capture: &str) -> Kernel {
        k.capture_id = Sha256Hex::of(capture.as_bytes());
        k.kernel_id = k.compute_id();
        k
    }

    #[test]
    fn class_shares_of_every_capture_sum_to_one() {
        let rows = vec![
            in_capture(fixtures::kernel("d", "m", "mul_mat_q", OpClass::Gemm, 7, 333.3), "a"),
            in_capture(fixtures::kernel("d", "m", "k_bin_bcast", OpClass::Elementwise, 3, 101.7), "a"),
            in_capture(fixtures::kernel("d", "m", "mystery_kernel", OpClass::Other, 1, 55.5), "a"),
            in_capture(fixtures::kernel("d", "m", "mul_mat_vec_q", OpClass::Gemv, 1000, 12.25), "b"),
            in_capture(fixtures::kernel("d", "m", "rms_norm_f32", OpClass::Norm, 999, 3.0), "b"),
        ];
        let caps = captures(&rows);
        assert_eq!(caps.len(), 2);
        for capture in &caps {
            let sum: f64 = capture.class_shares().values().sum();
            assert!((sum - 1.0).abs() < 1e-12, "{}: {sum}", capture.capture_id);
        }
        // The unmatched name is a class of its own, counted.
        let a = caps.iter().find(|c| c.class_ns.contains_key(&OpClass::Other)).unwrap();
        assert_eq!(a.unclassified_names.len(), 1);
        assert!(a.class_shares()[&OpClass::Other] > 0.0);
    }

    #[test]
    fn a_cell_takes_medians_over_captures_with_absent_classes_as_zero() {
        let rows: Vec<Kernel> = (0..3)
            .flat_map(|i| {
                let capture = format!("capture {i}");
                let mut rows = vec![in_capture(
                    fixtures::kernel("d", "m", "gemm", OpClass::Gemm, 1, 600.0 + f64::from(i)),
                    &capture,
                )];
                if i == 0 {
                    rows.push(in_capture(fixtures::kernel("d", "m", "odd", OpClass::Other, 1, 400.0), &capture));
                }
                rows
            })
            .collect();
        let cells = kernel_cells(&rows, |_| CaptureModel { quantization: None, weights: WeightsOrigin::Trained, canonical: None });
        assert_eq!(cells.len(), 1);
        let cell = &cells[0];
        assert_eq!(cell.captures, 3);
        assert_eq!(cell.share(OpClass::Other), 0.0, "present in one capture of three: median 0");
        assert_eq!(cell.shares[&OpClass::Other].n, 3);
        assert_eq!(cell.share(OpClass::Gemm), 1.0);
        assert_eq!(cell.unclassified_names, 1);
        // Three captures give no 95 % interval.
        assert!(cell.shares[&OpClass::Gemm].interval.is_none());
        assert_eq!(cell.top_kernels[0].kernel.name, "gemm");
        assert_eq!(cell.top_kernels[0].in_captures, 3);
    }

    #[test]
    fn nsight_compute_means_are_time_weighted_over_matrix_products() {
        let mut gemm = in_capture(fixtures::kernel("d", "m", "gemm", OpClass::Gemm, 1, 300.0), "c");
        gemm.issued_warps_per_cycle = Some(0.5);
        gemm.theoretical_occupancy_pct = Some(50.0);
        let mut gemv = in_capture(fixtures::kernel("d", "m", "gemv", OpClass::Gemv, 1, 100.0), "c");
        gemv.issued_warps_per_cycle = Some(0.1);
        gemv.theoretical_occupancy_pct = Some(10.0);
        let mut add = in_capture(fixtures::kernel("d", "m", "add", OpClass::Elementwise, 1, 600.0), "c");
        add.theoretical_occupancy_pct = Some(100.0);
        let caps = captures(&[gemm, gemv, add]);
        let c = &caps[0];
        assert!((c.ncu_mean(NcuMetric::TheoreticalOccupancy).unwrap() - 40.0).abs() < 1e-9);
        assert!((c.ncu_mean(NcuMetric::IssuedWarps).unwrap() - 0.4).abs() < 1e-9);
        assert!((c.ncu_mean(NcuMetric::IssueCyclesPerInstruction).unwrap() - 2.5).abs() < 1e-9);
        assert_eq!(c.ncu_mean(NcuMetric::ActiveWarps), None);
    }
}
