//! Rows → captures: the rows of one capture id, phase and timing source summed into time per
//! class and per kernel, with the phase's wall times and the Nsight Compute sums beside them.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use edgebench_dataset::schema::Sha256Hex;
use edgebench_dataset::schema::v1::{Kernel, OpClass, Phase, ProfileTool, TimingSource, WeightsOrigin};

use super::ncu::NcuMetric;
use crate::analysis::CellKey;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::in_capture;
    use edgebench_dataset::fixtures;

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
