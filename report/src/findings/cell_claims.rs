//! The claims of Section IV, decided on run cells: ratios between cells that differ in one factor
//! ([`Comparison`]), growth with model size, and stability across platforms.
//!
//! Cells with synthetic weights take part in every performance claim, never in a relevance one
//! (they have no relevance: [`Metric::applies_to`]); every comparison stays within one weights
//! origin (the ratios are built so, and size comparisons are grouped by platform and origin), and
//! each evidence line that uses synthetic cells is marked: its labels end with the synthetic mark
//! and [`Evidence::synthetic`] is set.

use std::collections::BTreeSet;

use edgebench_dataset::schema::v1::Backend;

use super::{Direction, Evaluation, Evidence, confounds, side, side_word};
use crate::analysis::{Analysis, BF16, CellKey, Comparison, FAMILY_SIZE_FACTOR, Q8_0, Ratio, WeightsOrigin};
use crate::format;
use crate::metrics::Metric;

fn ratios_of(analysis: &Analysis, comparison: Comparison, metric: Metric) -> impl Iterator<Item = &Ratio> {
    analysis.ratios.iter().filter(move |r| r.comparison == comparison && r.metric == metric)
}

fn is_synthetic(key: &CellKey) -> bool {
    key.weights == WeightsOrigin::Synthetic
}

/// What a claim about a quality measure says about synthetic weights, whose outputs are not the
/// model's; nothing for performance measures.
fn quality_note(metric: Metric) -> &'static str {
    if metric.is_quality() {
        " Models with synthetic weights are left out: their outputs are not the model's."
    } else {
        ""
    }
}

fn pair_subject(r: &Ratio) -> String {
    match r.comparison {
        Comparison::BackendVsCpu => format!(
            "{} vs cpu on {}, {}",
            r.numerator.backend,
            r.numerator.platform().label(),
            r.numerator.model_key().label()
        ),
        Comparison::ModeVsMaxn => format!(
            "{} vs {} on {} · {}, {}",
            r.numerator.power_mode.as_deref().unwrap_or("?"),
            r.denominator.power_mode.as_deref().unwrap_or("?"),
            r.numerator.device,
            r.numerator.backend,
            r.numerator.model_key().label()
        ),
        Comparison::ModelVsSmallest | Comparison::Bf16VsQ8 | Comparison::GemmaVsQwen => format!(
            "{} vs {} on {}",
            r.numerator.model_key().label(),
            r.denominator.model_key().label(),
            r.numerator.platform().label()
        ),
    }
}

/// The evidence line of one ratio against the side the claim expects.
fn ratio_evidence(analysis: &Analysis, r: &Ratio, expect: Direction) -> Evidence {
    let s = side(r);
    let mut evidence = Evidence {
        subject: pair_subject(r),
        result: format!("{}: {}", format::ratio(&r.estimate), side_word(s)),
        agrees: s.map(|d| d == expect),
        context: false,
        synthetic: is_synthetic(&r.numerator),
        confounds: Vec::new(),
        confound_kinds: Vec::new(),
        numbers: None,
        ratio_interval: r.estimate.interval.map(|i| (i.low, i.high)),
    };
    confounds::mark(&mut evidence, confounds::between(analysis, &r.numerator, &r.denominator, r.metric));
    evidence
}

pub(super) fn contrast(
    analysis: &Analysis,
    comparison: Comparison,
    metric: Metric,
    expect: Direction,
    backend: Option<Backend>,
) -> Evaluation {
    let (subject, reference, needs) = match comparison {
        Comparison::BackendVsCpu => (
            "a GPU back-end".to_owned(),
            "the CPU back-end on the same device".to_owned(),
            "the same device, mode and model measured with a GPU back-end and with the CPU back-end",
        ),
        Comparison::ModeVsMaxn => (
            "a lower power mode".to_owned(),
            "MAXN on the same device".to_owned(),
            "the same device, back-end and model measured in MAXN and in another power mode",
        ),
        Comparison::ModelVsSmallest => {
            ("a larger model".to_owned(), "the smallest model".to_owned(), "two models on one platform")
        }
        Comparison::Bf16VsQ8 => (
            format!("{BF16} weights"),
            format!("{Q8_0} weights of the same architecture and parameter count on the same platform"),
            "one architecture and parameter count measured in BF16 and in Q8_0 on one platform (collect synth writes both from one preset, e.g. qwq-1.5b or deepseek-r1-distill-qwen-1.5b)",
        ),
        Comparison::GemmaVsQwen => (
            "a Gemma model".to_owned(),
            format!("the Qwen model nearest in parameter count (within {FAMILY_SIZE_FACTOR}×, same quantisation) on the same platform"),
            "a Gemma and a Qwen model of similar parameter count and the same quantisation on one platform (collect synth presets gemma-2-2b and qwen2.5-3b or qwen2.5-1.5b)",
        ),
    };
    let where_ = backend.map(|b| format!(" on the {b} back-end")).unwrap_or_default();
    // The family comparison is per parameter (see `analysis::ratios::units`), and says so.
    let measured = match comparison {
        Comparison::GemmaVsQwen => format!("{} per billion parameters", metric.label()),
        _ => metric.label().to_owned(),
    };
    let statement = format!(
        "With {subject}, {measured}{where_} is {} than with {reference}.{}",
        expect.word(),
        quality_note(metric)
    );
    let evidence = ratios_of(analysis, comparison, metric)
        .filter(|r| backend.is_none_or(|b| r.numerator.backend == b))
        .map(|r| ratio_evidence(analysis, r, expect))
        .collect();
    (statement, evidence, needs)
}

pub(super) fn similar(analysis: &Analysis, comparison: Comparison, metric: Metric, margin: f64) -> Evaluation {
    let statement = format!(
        "{} stays within ±{}% across power modes (ratio to MAXN within [{}, {}]).{}",
        format::capitalise(metric.label()),
        format::sig3(margin * 100.0),
        format::sig3(1.0 - margin),
        format::sig3(1.0 + margin),
        quality_note(metric)
    );
    let (lo, hi) = (1.0 - margin, 1.0 + margin);
    let evidence = ratios_of(analysis, comparison, metric)
        .map(|r| {
            let (agrees, word) = match r.estimate.interval {
                Some(i) if i.low >= lo && i.high <= hi => (Some(true), "within the margin"),
                Some(i) if i.high < lo || i.low > hi => (Some(false), "outside the margin"),
                _ => (None, "undecided"),
            };
            let mut evidence = Evidence {
                subject: pair_subject(r),
                result: format!("{}: {word}", format::ratio(&r.estimate)),
                agrees,
                context: false,
                synthetic: is_synthetic(&r.numerator),
                confounds: Vec::new(),
                confound_kinds: Vec::new(),
                numbers: None,
                ratio_interval: None,
            };
            confounds::mark(&mut evidence, confounds::between(analysis, &r.numerator, &r.denominator, r.metric));
            evidence
        })
        .collect();
    (statement, evidence, "the same device, back-end and model measured in MAXN and in another power mode")
}

pub(super) fn grows_with_size(analysis: &Analysis, metric: Metric, backend: Option<Backend>, expect: Direction) -> Evaluation {
    let where_ = match backend {
        Some(b) => format!(" on the {b} back-end"),
        None => String::new(),
    };
    let statement = format!(
        "{}{where_} is {} for the largest model than for the smallest on the same platform.{}",
        format::capitalise(metric.label()),
        expect.word(),
        quality_note(metric)
    );
    let evidence = largest_vs_smallest(analysis, metric, backend).map(|r| ratio_evidence(analysis, r, expect)).collect();
    (statement, evidence, "two models of different parameter counts on one platform")
}

/// For each platform and weights origin, the ratio of the largest model (by parameters) to the
/// smallest: trained models are sized against trained ones, synthetic against synthetic.
fn largest_vs_smallest(analysis: &Analysis, metric: Metric, backend: Option<Backend>) -> impl Iterator<Item = &Ratio> {
    analysis.platforms_by_origin().into_iter().filter(move |(p, _)| backend.is_none_or(|b| p.backend == b)).filter_map(
        move |(platform, weights)| {
            ratios_of(analysis, Comparison::ModelVsSmallest, metric)
                .filter(|r| r.numerator.platform() == platform && r.numerator.weights == weights)
                .filter(|r| {
                    let (a, b) = (analysis.n_params(&r.numerator.model_key()), analysis.n_params(&r.denominator.model_key()));
                    matches!((a, b), (Some(a), Some(b)) if a > b)
                })
                .max_by_key(|r| analysis.n_params(&r.numerator.model_key()))
        },
    )
}

pub(super) fn backend_gain_grows(analysis: &Analysis, metric: Metric) -> Evaluation {
    let statement = format!(
        "The GPU back-end's {} relative to the CPU back-end is lower for the largest model than for the smallest on the same device (the GPU's advantage grows with model size).",
        metric.label()
    );
    let mut evidence = Vec::new();
    let gpu_ratios: Vec<&Ratio> = ratios_of(analysis, Comparison::BackendVsCpu, metric).collect();
    // The smallest and largest model are chosen within one weights origin.
    let groups: BTreeSet<_> = gpu_ratios.iter().map(|r| (r.numerator.platform(), r.numerator.weights)).collect();
    for (platform, weights) in groups {
        let mut sized: Vec<(&Ratio, u64)> = gpu_ratios
            .iter()
            .filter(|r| r.numerator.platform() == platform && r.numerator.weights == weights)
            .filter_map(|r| analysis.n_params(&r.numerator.model_key()).map(|n| (*r, n)))
            .collect();
        sized.sort_by_key(|(_, n)| *n);
        let (Some((small, ns)), Some((large, nl))) = (sized.first(), sized.last()) else { continue };
        if nl <= ns {
            continue;
        }
        let agrees = match (small.estimate.interval, large.estimate.interval) {
            (Some(s), Some(l)) if l.high < s.low => Some(true),
            (Some(s), Some(l)) if l.low > s.high => Some(false),
            _ => None,
        };
        let word = match agrees {
            Some(true) => "lower for the larger model",
            Some(false) => "higher for the larger model",
            None => "intervals overlap",
        };
        let mut line = Evidence {
            subject: format!(
                "{} vs cpu on {}: {} vs {}",
                platform.backend,
                platform.device,
                large.numerator.model_key().label(),
                small.numerator.model_key().label()
            ),
            result: format!("{} vs {}: {word}", format::ratio(&large.estimate), format::ratio(&small.estimate)),
            agrees,
            context: false,
            synthetic: weights == WeightsOrigin::Synthetic,
            confounds: Vec::new(),
            confound_kinds: Vec::new(),
            numbers: None,
            ratio_interval: None,
        };
        // Each ratio within its model, and the two models' GPU cells against each other.
        let keys = [&large.numerator, &large.denominator, &small.numerator, &small.denominator];
        let mut mixed = confounds::between(analysis, keys[0], keys[1], metric);
        for (a, b) in [(keys[2], keys[3]), (keys[0], keys[2])] {
            mixed.extend(confounds::between(analysis, a, b, metric).into_iter().filter(|c| !mixed.contains(c)).collect::<Vec<_>>());
        }
        confounds::mark(&mut line, mixed);
        evidence.push(line);
    }
    (statement, evidence, "two models of different sizes, each measured with a GPU and the CPU back-end on one device")
}

pub(super) fn stable(analysis: &Analysis, metric: Metric, spread: f64) -> Evaluation {
    let statement = format!(
        "For each model, {} differs by less than {}% between platforms.{}",
        metric.label(),
        format::sig3(spread * 100.0),
        quality_note(metric)
    );
    let mut evidence = Vec::new();
    for model in analysis.model_keys() {
        let estimates: Vec<(&CellKey, &crate::stats::MedianEstimate)> = analysis
            .cells
            .iter()
            .filter(|c| c.key.model_key() == model)
            .filter_map(|c| c.estimates.get(&metric).map(|e| (&c.key, e)))
            .collect();
        if estimates.len() < 2 {
            continue;
        }
        let lowest = estimates.iter().min_by(|a, b| a.1.median.total_cmp(&b.1.median)).map(|x| x.1);
        let highest = estimates.iter().max_by(|a, b| a.1.median.total_cmp(&b.1.median)).map(|x| x.1);
        let (Some(lo), Some(hi)) = (lowest, highest) else { continue };
        let all_intervals: Option<Vec<_>> = estimates.iter().map(|(_, e)| e.interval).collect();
        let agrees = all_intervals.and_then(|iv| {
            let max_high = iv.iter().map(|i| i.high).fold(f64::MIN, f64::max);
            let min_low = iv.iter().map(|i| i.low).fold(f64::MAX, f64::min);
            let min_high = iv.iter().map(|i| i.high).fold(f64::MAX, f64::min);
            let max_low = iv.iter().map(|i| i.low).fold(f64::MIN, f64::max);
            if min_low > 0.0 && max_high / min_low <= 1.0 + spread {
                Some(true)
            } else if min_high > 0.0 && max_low / min_high > 1.0 + spread {
                Some(false)
            } else {
                None
            }
        });
        let word = match agrees {
            Some(true) => "within the spread",
            Some(false) => "beyond the spread",
            None => "undecided",
        };
        let mut line = Evidence {
            subject: format!("{} on {} platforms", model.label(), estimates.len()),
            result: format!(
                "medians {}–{} {} (highest/lowest {}×): {word}",
                format::metric_value(metric, lo.median),
                format::metric_value(metric, hi.median),
                metric.unit(),
                format::sig3(if lo.median > 0.0 { hi.median / lo.median } else { f64::NAN })
            ),
            agrees,
            context: false,
            synthetic: model.is_synthetic(),
            confounds: Vec::new(),
            confound_kinds: Vec::new(),
            numbers: None,
            ratio_interval: None,
        };
        let keys: Vec<&CellKey> = estimates.iter().map(|(k, _)| *k).collect();
        confounds::mark(&mut line, confounds::among(analysis, &keys, metric));
        evidence.push(line);
    }
    (statement, evidence, "one model measured on two or more platforms")
}
