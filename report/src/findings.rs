//! The paper's claims as data, and their evaluation on whatever the dataset holds.
//!
//! Each [`Claim`] names a section of the paper and a [`Test`]: which comparison decides it and
//! which direction the paper asserts. The claim's sentence is generated from the test, and every
//! word about the data ("higher", "lower", "within 10 %") is derived from the numbers, so a
//! finding can never say "improvement" of a slowdown.
//!
//! A comparison is **decisive** when its confidence interval lies wholly on one side of the
//! threshold (1 for ratios) and its two cells differ in nothing else that moves the measure
//! ([`confounds`]: instruction-tuned against base, chat template against none, prompts of
//! different lengths, prompt set, protocol, token cap, page cache, weights origin). A comparison
//! that mixes such a thing says so in its evidence line, with the numbers, and the finding lists
//! it among its caveats. The verdict of a claim:
//! - *supported*: at least one decisive comparison, and all decisive comparisons agree with it;
//! - *contradicted*: at least one decisive comparison goes the other way (the counts are shown,
//!   so "holds on 4 platforms, fails on 1" is visible);
//! - *insufficient data*: no decisive comparison, either because no cell pair exists, because
//!   the intervals are too wide or missing (fewer than 6 runs), or because every pair mixes
//!   something the claim does not intend.
//!
//! A decided finding carries a one-sentence headline with its numbers, an undecided one a
//! sentence saying what data would decide it ([`explain`]).
//!
//! The claims of Section IV decided on run cells are in [`cell_claims`]; the kernel-level claims
//! of Section V, and how the paper's "GEMM" is read against llama.cpp's GEMV kernels, in
//! [`kernel_claims`]; the fusion claim (Fig. 10), decided at each sweep's memory-bound point, in
//! [`fusion_claim`].
//!
//! **Synthetic weights.** Cells of models with synthetic weights (`collect synth`) measure an
//! architecture, not a model. They decide performance claims (load time, latency, memory, power,
//! their growth with size, the GPU's gain, BF16 against Q8_0 of one architecture, Gemma against
//! Qwen of similar size), always against other synthetic cells, and each evidence line that uses
//! them says so; they never enter a relevance claim.

use serde::Serialize;

use edgebench_dataset::schema::v1::{Backend, OpClass};

use crate::analysis::{Analysis, Comparison, Ratio};
use crate::metrics::Metric;

mod cell_claims;
mod confounds;
mod explain;
mod fusion_claim;
mod kernel_claims;

pub use confounds::PROMPT_TOKENS_TOLERANCE;
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
    /// Every ratio of `metric` under `comparison` (on platforms of `backend`, where given) lies on
    /// the `expect` side of 1.
    Contrast { comparison: Comparison, metric: Metric, expect: Direction, backend: Option<Backend> },
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
    /// On each device, back-end, mode, phase, timing source and weights origin, `class`'s share of
    /// every model of family `higher` exceeds that of every model of family `lower`
    /// ([`Analysis::is_family`]: preset or name prefix, case-insensitive).
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
        test: Test::Contrast { comparison: Comparison::BackendVsCpu, metric: Metric::LoadMs, expect: Direction::Higher, backend: None },
    },
    Claim {
        id: "load-gemma-vs-qwen",
        section: "IV-A.2",
        test: Test::Contrast { comparison: Comparison::GemmaVsQwen, metric: Metric::LoadMs, expect: Direction::Higher, backend: None },
    },
    Claim {
        id: "load-bf16-vs-q8",
        section: "IV-A.2",
        test: Test::Contrast { comparison: Comparison::Bf16VsQ8, metric: Metric::LoadMs, expect: Direction::Higher, backend: None },
    },
    Claim {
        id: "load-mode-vs-maxn",
        section: "IV-A.3",
        test: Test::Contrast { comparison: Comparison::ModeVsMaxn, metric: Metric::LoadMs, expect: Direction::Higher, backend: None },
    },
    Claim {
        id: "tpot-gpu-vs-cpu",
        section: "IV-B.1",
        test: Test::Contrast { comparison: Comparison::BackendVsCpu, metric: Metric::TpotMs, expect: Direction::Lower, backend: None },
    },
    Claim { id: "tpot-gpu-gain-grows-with-size", section: "IV-B.1", test: Test::BackendGainGrowsWithSize { metric: Metric::TpotMs } },
    Claim {
        id: "tpot-grows-with-size-on-cpu",
        section: "IV-B.2",
        test: Test::GrowsWithModelSize { metric: Metric::TpotMs, backend: Some(Backend::Cpu), expect: Direction::Higher },
    },
    Claim {
        id: "tpot-gemma-vs-qwen",
        section: "IV-B.2",
        test: Test::Contrast { comparison: Comparison::GemmaVsQwen, metric: Metric::TpotMs, expect: Direction::Higher, backend: None },
    },
    Claim {
        id: "tpot-bf16-vs-q8",
        section: "IV-B.2",
        test: Test::Contrast { comparison: Comparison::Bf16VsQ8, metric: Metric::TpotMs, expect: Direction::Higher, backend: None },
    },
    Claim {
        id: "tpot-mode-vs-maxn",
        section: "IV-B.3",
        test: Test::Contrast { comparison: Comparison::ModeVsMaxn, metric: Metric::TpotMs, expect: Direction::Higher, backend: None },
    },
    Claim {
        id: "ttft-gpu-vs-cpu",
        section: "IV-B (TTFT)",
        test: Test::Contrast { comparison: Comparison::BackendVsCpu, metric: Metric::TtftMs, expect: Direction::Lower, backend: None },
    },
    Claim {
        id: "ttft-mode-vs-maxn",
        section: "IV-B (TTFT)",
        test: Test::Contrast { comparison: Comparison::ModeVsMaxn, metric: Metric::TtftMs, expect: Direction::Higher, backend: None },
    },
    Claim {
        id: "ttft-bf16-vs-q8-on-cpu",
        section: "IV-B (TTFT)",
        test: Test::Contrast {
            comparison: Comparison::Bf16VsQ8,
            metric: Metric::TtftMs,
            expect: Direction::Higher,
            backend: Some(Backend::Cpu),
        },
    },
    Claim {
        id: "cpu-memory-grows-with-size-on-cpu",
        section: "IV-C.1",
        test: Test::GrowsWithModelSize { metric: Metric::PeakCpuMemory, backend: Some(Backend::Cpu), expect: Direction::Higher },
    },
    Claim {
        id: "cpu-memory-gpu-vs-cpu",
        section: "IV-C.2",
        test: Test::Contrast { comparison: Comparison::BackendVsCpu, metric: Metric::PeakCpuMemory, expect: Direction::Lower, backend: None },
    },
    Claim {
        id: "gpu-memory-gpu-vs-cpu",
        section: "IV-C.2",
        test: Test::Contrast { comparison: Comparison::BackendVsCpu, metric: Metric::PeakGpuMemory, expect: Direction::Higher, backend: None },
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
        test: Test::Contrast { comparison: Comparison::BackendVsCpu, metric: Metric::MeanPowerW, expect: Direction::Higher, backend: None },
    },
    Claim {
        id: "power-mode-vs-maxn",
        section: "IV-D.3",
        test: Test::Contrast { comparison: Comparison::ModeVsMaxn, metric: Metric::MeanPowerW, expect: Direction::Lower, backend: None },
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
    /// The comparison is between cells with synthetic weights: it decides about architectures,
    /// not models (its labels carry the synthetic mark too).
    pub synthetic: bool,
    /// What the compared cells differ in besides the claim's factor ([`confounds`]), as caveat
    /// sentences; when there is any, the comparison is not decisive (`agrees` is `None`) and
    /// `result` ends with "not decisive: …".
    pub confounds: Vec<String>,
    #[serde(skip)]
    confound_kinds: Vec<confounds::Kind>,
    /// The key numbers of `result`, where it says more besides (the kernel and fusion claims'
    /// readings and bounds): what a headline quotes. `None`: `result` is short enough.
    #[serde(skip)]
    numbers: Option<String>,
    /// The interval of the ratio a contrast compares against 1, where the line is one: what
    /// [`explain::decided_by`] reads to tell a close call from an interval too wide to say.
    #[serde(skip)]
    ratio_interval: Option<(f64, f64)>,
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
    /// What the comparisons mix that the claim does not intend (instruction-tuned against base,
    /// chat template against none, prompts of different lengths...), one sentence each with its
    /// numbers, for display under the finding; empty when nothing is mixed.
    pub caveats: Vec<String>,
    /// For a finding with insufficient data, one sentence saying what data would decide it
    /// (which cells, alike in what, with how many replicates); empty for a decided finding.
    pub decided_by: String,
    /// For a decided finding, one sentence with its key numbers: the claim in short, the
    /// comparison that carries the verdict and the counts (`Time per output token on the cpu
    /// back-end grows with model size — gemma-3-270m (Q4_K_M) vs …: 2.68× [2.30, 3.01]: higher
    /// (2 of 2 decisive comparisons agree)`); empty for an undecided one.
    pub headline: String,
}

/// Evaluates every claim of [`CLAIMS`] on `analysis`.
pub fn evaluate(analysis: &Analysis) -> Vec<Finding> {
    CLAIMS.iter().map(|claim| evaluate_claim(claim, analysis)).collect()
}

fn evaluate_claim(claim: &Claim, analysis: &Analysis) -> Finding {
    let (statement, evidence, needs) = match claim.test {
        Test::Contrast { comparison, metric, expect, backend } => {
            cell_claims::contrast(analysis, comparison, metric, expect, backend)
        }
        Test::Similar { comparison, metric, margin } => cell_claims::similar(analysis, comparison, metric, margin),
        Test::GrowsWithModelSize { metric, backend, expect } => cell_claims::grows_with_size(analysis, metric, backend, expect),
        Test::BackendGainGrowsWithSize { metric } => cell_claims::backend_gain_grows(analysis, metric),
        Test::StableAcrossPlatforms { metric, spread } => cell_claims::stable(analysis, metric, spread),
        Test::LargestKernelClass { class } => kernel_claims::largest_class(analysis, class),
        Test::ShareOnFasterDevice { class, expect } => kernel_claims::share_on_faster_device(analysis, class, expect),
        Test::ShareAboveByFamily { class, higher, lower } => kernel_claims::share_above_by_family(analysis, class, higher, lower),
        Test::FusionFaster => fusion_claim::fusion_faster(analysis),
    };
    let counts = Counts::of(&evidence);
    let verdict = if counts.disagree > 0 {
        Verdict::Contradicted
    } else if counts.agree > 0 {
        Verdict::Supported
    } else {
        Verdict::InsufficientData
    };
    let summary = if counts.total() == 0 {
        format!("no data: needs {needs}")
    } else {
        let mut s = format!("{} of {} decisive comparisons agree", counts.agree, counts.decisive());
        if counts.undecided > 0 {
            s.push_str(&format!("; {} undecided (interval includes the threshold, or too few runs)", counts.undecided));
        }
        if counts.confounded > 0 {
            s.push_str(&format!(
                "; {} not decisive: the compared cells differ in more than the claim is about (see the caveats)",
                counts.confounded
            ));
        }
        let synthetic = evidence.iter().filter(|e| !e.context && e.synthetic).count();
        if synthetic > 0 {
            s.push_str(&format!("; {synthetic} between models with synthetic weights (architectures, not models)"));
        }
        s
    };
    let mut caveats: Vec<String> = Vec::new();
    for caveat in evidence.iter().flat_map(|e| &e.confounds) {
        if !caveats.contains(caveat) {
            caveats.push(caveat.clone());
        }
    }
    let (decided_by, headline) = match verdict {
        Verdict::InsufficientData => (explain::decided_by(claim, needs, &evidence, &counts), String::new()),
        _ => (String::new(), explain::headline(claim, verdict, &evidence, &counts)),
    };
    Finding { id: claim.id, section: claim.section, claim: statement, verdict, summary, evidence, caveats, decided_by, headline }
}

/// How a claim's comparisons (not its context lines) came out.
struct Counts {
    agree: usize,
    disagree: usize,
    /// Not decisive on their numbers: the interval includes the threshold, or there is none.
    undecided: usize,
    /// Not decisive because the compared cells differ in more than the claim's factor.
    confounded: usize,
}

impl Counts {
    fn of(evidence: &[Evidence]) -> Counts {
        let comparisons: Vec<&Evidence> = evidence.iter().filter(|e| !e.context).collect();
        let count = |f: &dyn Fn(&Evidence) -> bool| comparisons.iter().filter(|e| f(e)).count();
        Counts {
            agree: count(&|e| e.agrees == Some(true)),
            disagree: count(&|e| e.agrees == Some(false)),
            undecided: count(&|e| e.agrees.is_none() && e.confounds.is_empty()),
            confounded: count(&|e| !e.confounds.is_empty()),
        }
    }

    fn decisive(&self) -> usize {
        self.agree + self.disagree
    }

    fn total(&self) -> usize {
        self.decisive() + self.undecided + self.confounded
    }
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
