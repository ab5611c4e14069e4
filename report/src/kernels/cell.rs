//! Captures → kernel cells: per cell, the median over its captures of each class share, of the
//! top kernels' shares, of the profiling overhead and coverage, and of each Nsight Compute mean.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use edgebench_dataset::schema::v1::{Kernel, OpClass, Phase, ProfileTool, TimingSource, WeightsOrigin};

use super::capture::{Capture, KernelKey, captures, is_matrix_product};
use super::ncu::NcuMetric;
use crate::analysis::CellKey;
use crate::stats::{self, LEVEL, MedianEstimate};

/// Kernels one cell lists as its largest (by median share).
pub const TOP_KERNELS: usize = 5;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::in_capture;
    use edgebench_dataset::fixtures;

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
}
