//! The paper's claims as data, and their evaluation on whatever the dataset holds.
//!
//! Each [`Claim`] names a section of the paper and a [`Test`]: which comparison decides it and
//! which direction the paper asserts. The claim's sentence is generated from the test, and every
//! word about the data ("higher", "lower", "within 10 %") is derived from the numbers, so a
//! finding can never say "improvement" of a slowdown.
//!
//! A comparison is **decisive** when its confidence interval lies wholly on one side of the
//! threshold (1 for ratios). The verdict of a claim:
//! - *supported*: at least one decisive comparison, and all decisive comparisons agree with it;
//! - *contradicted*: at least one decisive comparison goes the other way (the counts are shown,
//!   so "holds on 4 platforms, fails on 1" is visible);
//! - *insufficient data*: no decisive comparison, either because no cell pair exists or because
//!   the intervals are too wide or missing (fewer than 6 runs).
//!
//! The kernel-level claims of Section V, and how the paper's "GEMM" is read against llama.cpp's
//! GEMV kernels, are in [`kernel_claims`]; the fusion claim (Fig. 10), decided at each sweep's
//! memory-bound point, in [`fusion_claim`].

use serde::Serialize;

use edgebench_dataset::schema::v1::{Backend, OpClass};

use crate::analysis::{Analysis, CellKey, Comparison, Ratio};
use crate::format;
use crate::metrics::Metric;

mod fusion_claim;
mod kernel_claims;

pub use fusion_claim::{bound_text, fusion_sentence, size_text, sweep_summary};
pub use kernel_claims::{GemmReading, class_name, kernel_cell_label, phase_label, share_text, timing_label, timing_words};

/// Which side of the reference the paper puts the numerator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Higher,
    Lower,
}

impl Direction {
    fn word(self) -> &'static str {
        match self {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
        }
    }
}

/// How a claim is decided.
#[derive(Debug, Clone, Copy)]
pub enum Test {
    /// Every ratio of `metric` under `comparison` lies on the `expect` side of 1.
    Contrast { comparison: Comparison, metric: Metric, expect: Direction },
    /// Every ratio of `metric` under `comparison` lies within 1 ± `margin`.
    Similar { comparison: Comparison, metric: Metric, margin: f64 },
    /// On each platform (optionally of one back-end), the largest model's `metric` against the
    /// smallest model's lies on the `expect` side of 1.
    GrowsWithModelSize { metric: Metric, backend: Option<Backend>, expect: Direction },
    /// On each device and mode, the GPU/CPU ratio of `metric` is lower for the largest model than
    /// for the smallest (the GPU's advantage grows with size).
    BackendGainGrowsWithSize { metric: Metric },
    /// For each model, the medians of `metric` on all platforms stay within a factor 1 + `spread`.
    StableAcrossPlatforms { metric: Metric, spread: f64 },
    /// `class` has the largest share of kernel time in every kernel cell (GEMM under the phase's
    /// [`GemmReading`]).
    LargestKernelClass { class: OpClass },
    /// For each model profiled with a GPU back-end on several devices (same phase and timing
    /// source), `class`'s share lies on the `expect` side on the device with the higher decode
    /// rate.
    ShareOnFasterDevice { class: OpClass, expect: Direction },
    /// On each device, back-end, mode, phase and timing source, `class`'s share of every model
    /// whose name contains `higher` exceeds that of every model whose name contains `lower`
    /// (case-insensitive).
    ShareAboveByFamily { class: OpClass, higher: &'static str, lower: &'static str },
    /// At the memory-bound point of every fusion sweep (platform, experiment, element type), the
    /// fused variant takes less time than the unfused one; see [`fusion_claim`].
    FusionFaster,
}

/// One claim of the paper.
#[derive(Debug, Clone, Copy)]
pub struct Claim {
    pub id: &'static str,
    /// Section of the paper (`IV-A`), with the numbered observation where it has one.
    pub section: &'static str,
    pub test: Test,
}

/// The paper's claims, in the order of its sections.
pub const CLAIMS: &[Claim] = &[
    Claim {
        id: "load-gpu-vs-cpu",
        section: "IV-A.1",
        test: Test::Contrast { comparison: Comparison::BackendVsCpu, metric: Metric::LoadMs, expect: Direction::Higher },
    },
    Claim {
        id: "load-mode-vs-maxn",
        section: "IV-A.3",
        test: Test::Contrast { comparison: Comparison::ModeVsMaxn, metric: Metric::LoadMs, expect: Direction::Higher },
    },
    Claim {
        id: "tpot-gpu-vs-cpu",
        section: "IV-B.1",
        test: Test::Contrast { comparison: Comparison::BackendVsCpu, metric: Metric::TpotMs, expect: Direction::Lower },
    },
    Claim { id: "tpot-gpu-gain-grows-with-size", section: "IV-B.1", test: Test::BackendGainGrowsWithSize { metric: Metric::TpotMs } },
    Claim {
        id: "tpot-grows-with-size-on-cpu",
        section: "IV-B.2",
        test: Test::GrowsWithModelSize { metric: Metric::TpotMs, backend: Some(Backend::Cpu), expect: Direction::Higher },
    },
    Claim {
        id: "tpot-mode-vs-maxn",
        section: "IV-B.3",
        test: Test::Contrast { comparison: Comparison::ModeVsMaxn, metric: Metric::TpotMs, expect: Direction::Higher },
    },
    Claim {
        id: "ttft-gpu-vs-cpu",
        section: "IV-B (TTFT)",
        test: Test::Contrast { comparison: Comparison::BackendVsCpu, metric: Metric::TtftMs, expect: Direction::Lower },
    },
    Claim {
        id: "ttft-mode-vs-maxn",
        section: "IV-B (TTFT)",
        test: Test::Contrast { comparison: Comparison::ModeVsMaxn, metric: Metric::TtftMs, expect: Direction::Higher },
    },
    Claim {
        id: "cpu-memory-grows-with-size-on-cpu",
        section: "IV-C.1",
        test: Test::GrowsWithModelSize { metric: Metric::PeakCpuMemory, backend: Some(Backend::Cpu), expect: Direction::Higher },
    },
    Claim {
        id: "cpu-memory-gpu-vs-cpu",
        section: "IV-C.2",
        test: Test::Contrast { comparison: Comparison::BackendVsCpu, metric: Metric::PeakCpuMemory, expect: Direction::Lower },
    },
    Claim {
        id: "gpu-memory-gpu-vs-cpu",
        section: "IV-C.2",
        test: Test::Contrast { comparison: Comparison::BackendVsCpu, metric: Metric::PeakGpuMemory, expect: Direction::Higher },
    },
    Claim {
        id: "cpu-memory-mode-vs-maxn",
        section: "IV-C.3",
        test: Test::Similar { comparison: Comparison::ModeVsMaxn, metric: Metric::PeakCpuMemory, margin: 0.10 },
    },
    Claim {
        id: "gpu-memory-mode-vs-maxn",
        section: "IV-C.3",
        test: Test::Similar { comparison: Comparison::ModeVsMaxn, metric: Metric::PeakGpuMemory, margin: 0.10 },
    },
    Claim {
        id: "power-grows-with-size",
        section: "IV-D.1",
        test: Test::GrowsWithModelSize { metric: Metric::MeanPowerW, backend: None, expect: Direction::Higher },
    },
    Claim {
        id: "power-gpu-vs-cpu",
        section: "IV-D.2",
        test: Test::Contrast { comparison: Comparison::BackendVsCpu, metric: Metric::MeanPowerW, expect: Direction::Higher },
    },
    Claim {
        id: "power-mode-vs-maxn",
        section: "IV-D.3",
        test: Test::Contrast { comparison: Comparison::ModeVsMaxn, metric: Metric::MeanPowerW, expect: Direction::Lower },
    },
    Claim {
        id: "relevance-stable-across-platforms",
        section: "IV-E",
        test: Test::StableAcrossPlatforms { metric: Metric::Relevance, spread: 0.10 },
    },
    Claim {
        id: "relevance-grows-with-size",
        section: "IV-E",
        test: Test::GrowsWithModelSize { metric: Metric::Relevance, backend: None, expect: Direction::Higher },
    },
    Claim { id: "gemm-largest-kernel-class", section: "V", test: Test::LargestKernelClass { class: OpClass::Gemm } },
    Claim {
        id: "gemm-share-falls-on-faster-gpu",
        section: "V.1",
        test: Test::ShareOnFasterDevice { class: OpClass::Gemm, expect: Direction::Lower },
    },
    Claim {
        id: "elementwise-share-rises-on-faster-gpu",
        section: "V.1",
        test: Test::ShareOnFasterDevice { class: OpClass::Elementwise, expect: Direction::Higher },
    },
    Claim {
        id: "gemv-share-gemma-above-qwen",
        section: "V.3",
        test: Test::ShareAboveByFamily { class: OpClass::Gemv, higher: "gemma", lower: "qwen" },
    },
    Claim { id: "fusion-cuts-time", section: "V (Fig. 10)", test: Test::FusionFaster },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Supported,
    Contradicted,
    InsufficientData,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Supported => "supported",
            Verdict::Contradicted => "contradicted",
            Verdict::InsufficientData => "insufficient data",
        }
    }
}

/// One comparison that bears on a claim.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// What is compared (`Orin NX · cuda vs Orin NX · cpu, Qwen-1.5B (Q8_0)`).
    pub subject: String,
    /// The numbers and what they say (`1.95× [1.50, 2.31]: higher`).
    pub result: String,
    /// Whether this comparison agrees with the claim; `None` when it is not decisive.
    pub agrees: Option<bool>,
    /// A line that describes the data around the comparisons rather than being one (the fusion
    /// sweep's summary over all sizes): never counted in the verdict or the summary.
    pub context: bool,
}

/// A claim evaluated on the data.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub id: &'static str,
    pub section: &'static str,
    /// The claim, generated from its test.
    pub claim: String,
    pub verdict: Verdict,
    /// Counts behind the verdict (`3 of 3 decisive comparisons agree; 2 undecided`).
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

/// Evaluates every claim of [`CLAIMS`] on `analysis`.
pub fn evaluate(analysis: &Analysis) -> Vec<Finding> {
    CLAIMS.iter().map(|claim| evaluate_claim(claim, analysis)).collect()
}

fn evaluate_claim(claim: &Claim, analysis: &Analysis) -> Finding {
    let (statement, evidence, needs) = match claim.test {
        Test::Contrast { comparison, metric, expect } => contrast(analysis, comparison, metric, expect),
        Test::Similar { comparison, metric, margin } => similar(analysis, comparison, metric, margin),
        Test::GrowsWithModelSize { metric, backend, expect } => grows_with_size(analysis, metric, backend, expect),
        Test::BackendGainGrowsWithSize { metric } => backend_gain_grows(analysis, metric),
        Test::StableAcrossPlatforms { metric, spread } => stable(analysis, metric, spread),
        Test::LargestKernelClass { class } => kernel_claims::largest_class(analysis, class),
        Test::ShareOnFasterDevice { class, expect } => kernel_claims::share_on_faster_device(analysis, class, expect),
        Test::ShareAboveByFamily { class, higher, lower } => kernel_claims::share_above_by_family(analysis, class, higher, lower),
        Test::FusionFaster => fusion_claim::fusion_faster(analysis),
    };
    let comparisons = evidence.iter().filter(|e| !e.context);
    let agree = comparisons.clone().filter(|e| e.agrees == Some(true)).count();
    let disagree = comparisons.clone().filter(|e| e.agrees == Some(false)).count();
    let undecided = comparisons.count() - agree - disagree;
    let verdict = if disagree > 0 {
        Verdict::Contradicted
    } else if agree > 0 {
        Verdict::Supported
    } else {
        Verdict::InsufficientData
    };
    let summary = if agree + disagree + undecided == 0 {
        format!("no data: needs {needs}")
    } else {
        let mut s = format!("{agree} of {} decisive comparisons agree", agree + disagree);
        if undecided > 0 {
            s.push_str(&format!("; {undecided} undecided (interval includes the threshold, or too few runs)"));
        }
        s
    };
    Finding { id: claim.id, section: claim.section, claim: statement, verdict, summary, evidence }
}

/// What a ratio interval says about which side of 1 the numerator is on.
fn side(ratio: &Ratio) -> Option<Direction> {
    interval_side(&ratio.estimate)
}

fn interval_side(estimate: &crate::stats::RatioEstimate) -> Option<Direction> {
    let i = estimate.interval?;
    if i.low > 1.0 {
        Some(Direction::Higher)
    } else if i.high < 1.0 {
        Some(Direction::Lower)
    } else {
        None
    }
}

fn side_word(side: Option<Direction>) -> &'static str {
    match side {
        Some(d) => d.word(),
        None => "no clear difference",
    }
}

type Evaluation = (String, Vec<Evidence>, &'static str);

fn ratios_of(analysis: &Analysis, comparison: Comparison, metric: Metric) -> impl Iterator<Item = &Ratio> {
    analysis.ratios.iter().filter(move |r| r.comparison == comparison && r.metric == metric)
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
        Comparison::ModelVsSmallest => format!(
            "{} vs {} on {}",
            r.numerator.model_key().label(),
            r.denominator.model_key().label(),
            r.numerator.platform().label()
        ),
    }
}

fn contrast(analysis: &Analysis, comparison: Comparison, metric: Metric, expect: Direction) -> Evaluation {
    let (subject, reference, needs) = match comparison {
        Comparison::BackendVsCpu => (
            "a GPU back-end",
            "the CPU back-end on the same device",
            "the same device, mode and model measured with a GPU back-end and with the CPU back-end",
        ),
        Comparison::ModeVsMaxn => (
            "a lower power mode",
            "MAXN on the same device",
            "the same device, back-end and model measured in MAXN and in another power mode",
        ),
        Comparison::ModelVsSmallest => ("a larger model", "the smallest model", "two models on one platform"),
    };
    let statement = format!("With {subject}, {} is {} than with {reference}.", metric.label(), expect.word());
    let evidence = ratios_of(analysis, comparison, metric)
        .map(|r| {
            let s = side(r);
            Evidence {
                subject: pair_subject(r),
                result: format!("{}: {}", format::ratio(&r.estimate), side_word(s)),
                agrees: s.map(|d| d == expect),
                context: false,
            }
        })
        .collect();
    (statement, evidence, needs)
}

fn similar(analysis: &Analysis, comparison: Comparison, metric: Metric, margin: f64) -> Evaluation {
    let statement = format!(
        "{} stays within ±{}% across power modes (ratio to MAXN within [{}, {}]).",
        format::capitalise(metric.label()),
        format::sig3(margin * 100.0),
        format::sig3(1.0 - margin),
        format::sig3(1.0 + margin)
    );
    let (lo, hi) = (1.0 - margin, 1.0 + margin);
    let evidence = ratios_of(analysis, comparison, metric)
        .map(|r| {
            let (agrees, word) = match r.estimate.interval {
                Some(i) if i.low >= lo && i.high <= hi => (Some(true), "within the margin"),
                Some(i) if i.high < lo || i.low > hi => (Some(false), "outside the margin"),
                _ => (None, "undecided"),
            };
            Evidence { subject: pair_subject(r), result: format!("{}: {word}", format::ratio(&r.estimate)), agrees, context: false }
        })
        .collect();
    (statement, evidence, "the same device, back-end and model measured in MAXN and in another power mode")
}

fn grows_with_size(analysis: &Analysis, metric: Metric, backend: Option<Backend>, expect: Direction) -> Evaluation {
    let where_ = match backend {
        Some(b) => format!(" on the {b} back-end"),
        None => String::new(),
    };
    let statement =
        format!("{}{where_} is {} for the largest model than for the smallest on the same platform.", format::capitalise(metric.label()), expect.word());
    let evidence = largest_vs_smallest(analysis, metric, backend)
        .map(|r| {
            let s = side(r);
            Evidence {
                subject: pair_subject(r),
                result: format!("{}: {}", format::ratio(&r.estimate), side_word(s)),
                agrees: s.map(|d| d == expect),
                context: false,
            }
        })
        .collect();
    (statement, evidence, "two models of different parameter counts on one platform")
}

/// For each platform, the ratio of the largest model (by parameters) to the smallest.
fn largest_vs_smallest(analysis: &Analysis, metric: Metric, backend: Option<Backend>) -> impl Iterator<Item = &Ratio> {
    analysis.platforms().into_iter().filter(move |p| backend.is_none_or(|b| p.backend == b)).filter_map(move |platform| {
        ratios_of(analysis, Comparison::ModelVsSmallest, metric)
            .filter(|r| r.numerator.platform() == platform)
            .filter(|r| {
                let (a, b) = (analysis.n_params(&r.numerator.model_key()), analysis.n_params(&r.denominator.model_key()));
                matches!((a, b), (Some(a), Some(b)) if a > b)
            })
            .max_by_key(|r| analysis.n_params(&r.numerator.model_key()))
    })
}

fn backend_gain_grows(analysis: &Analysis, metric: Metric) -> Evaluation {
    let statement = format!(
        "The GPU back-end's {} relative to the CPU back-end is lower for the largest model than for the smallest on the same device (the GPU's advantage grows with model size).",
        metric.label()
    );
    let mut evidence = Vec::new();
    let gpu_ratios: Vec<&Ratio> = ratios_of(analysis, Comparison::BackendVsCpu, metric).collect();
    let platforms: std::collections::BTreeSet<_> = gpu_ratios.iter().map(|r| r.numerator.platform()).collect();
    for platform in platforms {
        let mut sized: Vec<(&Ratio, u64)> = gpu_ratios
            .iter()
            .filter(|r| r.numerator.platform() == platform)
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
        evidence.push(Evidence {
            subject: format!("{} vs cpu on {}: {} vs {}", platform.backend, platform.device, large.numerator.model_key().label(), small.numerator.model_key().label()),
            result: format!("{} vs {}: {word}", format::ratio(&large.estimate), format::ratio(&small.estimate)),
            agrees,
            context: false,
        });
    }
    (statement, evidence, "two models of different sizes, each measured with a GPU and the CPU back-end on one device")
}

fn stable(analysis: &Analysis, metric: Metric, spread: f64) -> Evaluation {
    let statement = format!(
        "For each model, {} differs by less than {}% between platforms.",
        metric.label(),
        format::sig3(spread * 100.0)
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
        evidence.push(Evidence {
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
        });
    }
    (statement, evidence, "one model measured on two or more platforms")
}
