//! Ratios of medians between cells that differ in one factor ([`Comparison`]).
//!
//! Both cells of a ratio always have weights of the same origin: a cell with synthetic weights
//! measures an architecture, a trained one a model, and a ratio of the two would mix what each
//! says. Keys that differ only in back-end or power mode keep the origin by construction; the
//! pairings by model (smallest model, precision, family) are made within one origin.

use edgebench_dataset::schema::v1::Backend;

use super::{Analysis, Cell, Comparison, Ratio};
use crate::metrics::Metric;
use crate::stats::{self, LEVEL};

/// `runs.model_file_type` of the paper's 16-bit runs (QwQ-1.5B, DeepSeek-1.5B).
pub const BF16: &str = "BF16";
/// `runs.model_file_type` of the paper's 8-bit runs (every other model).
pub const Q8_0: &str = "Q8_0";

/// Two models are of "similar size" for [`Comparison::GemmaVsQwen`] when their parameter counts
/// differ by at most this factor: Gemma-2-2B (2.6 B) pairs with Qwen2.5-3B (3.1 B) or -1.5B
/// (1.5 B), never with Qwen2.5-0.5B, which would make any speed difference a matter of size.
pub const FAMILY_SIZE_FACTOR: f64 = 2.0;

/// The families [`Comparison::GemmaVsQwen`] puts in the numerator and the denominator.
const FAMILIES: (&str, &str) = ("gemma", "qwen");

/// Whether a cell's quantisation is `name` (llama.cpp's file-type names, compared
/// case-insensitively).
fn quantization_is(quantization: Option<&str>, name: &str) -> bool {
    quantization.is_some_and(|q| q.eq_ignore_ascii_case(name))
}

pub(super) fn ratios(analysis: &Analysis) -> Vec<Ratio> {
    let mut out = Vec::new();
    let mut push = |comparison, num: &Cell, den: &Cell| {
        debug_assert_eq!(num.key.weights, den.key.weights, "a ratio never mixes trained and synthetic weights");
        let Some((num_per, den_per)) = units(analysis, comparison, num, den) else { return };
        for metric in Metric::ALL {
            let Some(power) = per_unit_power(comparison, metric) else { continue };
            if let (Some(a), Some(b)) = (num.values.get(&metric), den.values.get(&metric)) {
                let a: Vec<f64> = a.iter().map(|v| v / num_per.powi(power)).collect();
                let b: Vec<f64> = b.iter().map(|v| v / den_per.powi(power)).collect();
                if let Some(estimate) = stats::ratio(&a, &b, LEVEL) {
                    out.push(Ratio { comparison, metric, numerator: num.key.clone(), denominator: den.key.clone(), estimate });
                }
            }
        }
    };
    for cell in &analysis.cells {
        if cell.key.backend != Backend::Cpu {
            let cpu = super::CellKey { backend: Backend::Cpu, ..cell.key.clone() };
            if let Some(den) = analysis.cell(&cpu) {
                push(Comparison::BackendVsCpu, cell, den);
            }
        }
    }
    for cell in &analysis.cells {
        if cell.key.power_mode.is_some() && !cell.key.platform().is_max_mode() {
            // A MAXN cell of the same page-cache state where there is one: otherwise the pair
            // mixes cold and warm starts, which the findings then count as not decisive for
            // load time.
            let maxn = analysis
                .cells
                .iter()
                .filter(|c| c.key.platform().is_max_mode())
                .filter(|c| {
                    c.key.device == cell.key.device
                        && c.key.backend == cell.key.backend
                        && c.key.protocol == cell.key.protocol
                        && c.key.model_key() == cell.key.model_key()
                })
                .min_by_key(|c| c.key.page_cache != cell.key.page_cache);
            if let Some(den) = maxn {
                push(Comparison::ModeVsMaxn, cell, den);
            }
        }
    }
    let models = analysis.model_keys();
    for (platform, weights) in analysis.platforms_by_origin() {
        let ordered: Vec<&Cell> = models
            .iter()
            .filter(|m| m.weights == weights)
            .filter_map(|m| analysis.cells.iter().find(|c| c.key.platform() == platform && &c.key.model_key() == m))
            .collect();
        if let Some((smallest, rest)) = ordered.split_first() {
            for cell in rest {
                push(Comparison::ModelVsSmallest, cell, smallest);
            }
        }
    }
    for (num, den) in bf16_pairs(analysis) {
        push(Comparison::Bf16VsQ8, num, den);
    }
    for (num, den) in family_pairs(analysis) {
        push(Comparison::GemmaVsQwen, num, den);
    }
    out.sort_by(|a, b| {
        (a.comparison, a.metric, &a.numerator, &a.denominator).cmp(&(b.comparison, b.metric, &b.numerator, &b.denominator))
    });
    out
}

/// What each cell's values are divided by before their medians are compared: 1 for every
/// comparison but [`Comparison::GemmaVsQwen`], which compares cost per billion parameters.
///
/// Why: the paper's claim is that Qwen is more efficient than Gemma "at similar sizes, proving
/// parameter count isn't the only performance factor". The nearest Qwen is never exactly
/// Gemma-2-2B's size (2.6 B against Qwen2.5-3B's 3.1 B or -1.5B's 1.5 B), and on a memory-bound
/// device load time and time per token follow the bytes of weights read, so a raw ratio would
/// credit the architecture with a difference the parameter counts alone explain (Gemma-2-2B
/// decodes faster than the larger Qwen2.5-3B, slower than the smaller Qwen2.5-1.5B). Per
/// parameter, only what the architecture adds remains. `None` when a parameter count is
/// unknown: such a pair gives no ratio.
fn units(analysis: &Analysis, comparison: Comparison, num: &Cell, den: &Cell) -> Option<(f64, f64)> {
    match comparison {
        Comparison::GemmaVsQwen => {
            let billions = |c: &Cell| analysis.n_params(&c.key.model_key()).filter(|n| *n > 0).map(|n| n as f64 / 1e9);
            Some((billions(num)?, billions(den)?))
        }
        _ => Some((1.0, 1.0)),
    }
}

/// How a metric is put per unit of [`units`]: divided (1) for a cost — time, memory, power,
/// energy — so that Gemma's cost per parameter meets Qwen's; multiplied (−1) for a rate, whose
/// per-parameter form is the work done per second (tokens × parameters / s: a model twice the
/// size at the same rate does twice the work), so that the rate ratio stays the inverse of the
/// time ratio; `None` for relevance, a quality that no parameter count scales, which the family
/// comparison leaves out. Every other comparison takes every metric as it is (its units are 1).
fn per_unit_power(comparison: Comparison, metric: Metric) -> Option<i32> {
    match (comparison, metric) {
        (Comparison::GemmaVsQwen, m) if m.is_quality() => None,
        (Comparison::GemmaVsQwen, Metric::PrefillTokensPerS | Metric::DecodeTokensPerS) => Some(-1),
        _ => Some(1),
    }
}

/// Same platform and weights origin: the two cells may be compared.
fn comparable(a: &Cell, b: &Cell) -> bool {
    a.key.platform() == b.key.platform() && a.key.weights == b.key.weights
}

/// Each BF16 cell with the Q8_0 cells of the same architecture and parameter count on its
/// platform: the file of the same model when that was measured in Q8_0 too (a `collect synth`
/// preset written in both types), otherwise every such model (the paper's QwQ-1.5B in BF16
/// against Qwen-1.5B in Q8: one architecture and size; the `qwq-1.5b` preset has exactly
/// `qwen2.5-1.5b`'s shapes). Architecture and parameter count stand for the tensor shapes, which
/// with the weight type decide the time, memory and power measured.
fn bf16_pairs(analysis: &Analysis) -> Vec<(&Cell, &Cell)> {
    let shape = |c: &Cell| {
        let model = c.key.model_key();
        Some((analysis.architecture(&model)?.to_owned(), analysis.n_params(&model)?))
    };
    let mut pairs = Vec::new();
    for bf16 in analysis.cells.iter().filter(|c| quantization_is(c.key.quantization.as_deref(), BF16)) {
        let Some(bf16_shape) = shape(bf16) else { continue };
        let partners: Vec<&Cell> = analysis
            .cells
            .iter()
            .filter(|c| quantization_is(c.key.quantization.as_deref(), Q8_0) && comparable(c, bf16))
            .filter(|c| shape(c).as_ref() == Some(&bf16_shape))
            .collect();
        let same_model: Vec<&Cell> = partners.iter().copied().filter(|c| c.key.model == bf16.key.model).collect();
        let chosen = if same_model.is_empty() { partners } else { same_model };
        pairs.extend(chosen.into_iter().map(|q8| (bf16, q8)));
    }
    pairs
}

/// Each Gemma cell with the Qwen cell nearest to it in parameter count (by ratio; the larger on
/// a tie) within [`FAMILY_SIZE_FACTOR`], of the same quantisation on the same platform: the paper
/// compares Gemma-2B with Qwen-1.5B and Qwen-3B, all in Q8. The nearest, because the per-parameter
/// comparison ([`units`]) assumes cost proportional to size, which holds best over the shortest
/// distance.
fn family_pairs(analysis: &Analysis) -> Vec<(&Cell, &Cell)> {
    let (higher, lower) = FAMILIES;
    let params = |c: &Cell| analysis.n_params(&c.key.model_key()).filter(|n| *n > 0);
    let of = |family: &'static str| {
        analysis.cells.iter().filter(move |c| {
            analysis.is_family(&c.key.model_key(), family) && !analysis.is_family(&c.key.model_key(), if family == higher { lower } else { higher })
        })
    };
    let mut pairs = Vec::new();
    for gemma in of(higher) {
        let Some(n) = params(gemma) else { continue };
        let nearest = of(lower)
            .filter(|q| comparable(q, gemma) && q.key.quantization == gemma.key.quantization)
            .filter_map(|q| params(q).map(|m| (q, m)))
            .map(|(q, m)| (q, m, (m as f64 / n as f64).ln().abs()))
            .filter(|(_, _, distance)| *distance <= FAMILY_SIZE_FACTOR.ln() + 1e-12)
            .min_by(|a, b| a.2.total_cmp(&b.2).then(b.1.cmp(&a.1)));
        if let Some((qwen, _, _)) = nearest {
            pairs.push((gemma, qwen));
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_family_comparison_is_per_parameter_and_rates_scale_the_other_way() {
        for metric in Metric::ALL {
            let expected = if metric.is_quality() {
                None
            } else if matches!(metric, Metric::PrefillTokensPerS | Metric::DecodeTokensPerS) {
                Some(-1)
            } else {
                Some(1)
            };
            assert_eq!(per_unit_power(Comparison::GemmaVsQwen, metric), expected, "{metric:?}");
            for other in Comparison::ALL.into_iter().filter(|c| *c != Comparison::GemmaVsQwen) {
                assert_eq!(per_unit_power(other, metric), Some(1), "{other:?} {metric:?}");
            }
        }
    }
}
