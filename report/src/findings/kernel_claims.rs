//! The kernel-level claims of Section V, decided on the kernel cells ([`crate::kernels`]).
//!
//! **GEMM against llama.cpp's GEMV.** The paper's "GEMM" is the time of its profiles' matrix
//! products (cuBLAS-style kernels). llama.cpp's batch-1 decode multiplies every weight matrix by
//! one token column, and runs those products as matrix-vector kernels (`mul_mat_vec_q` and
//! friends on CUDA, the vec-dot path on the CPU), which the class table calls GEMV. Read
//! strictly, "GEMM" would then miss almost all of decode's matrix products. A claim about GEMM is
//! therefore decided under [`GemmReading::for_phase`]: the matrix-product reading (GEMM + GEMV)
//! where decode is in the capture (phase decode, or not separated), the strict reading in
//! prefill, whose products have many token columns and run as GEMM. The evidence gives both
//! readings and says which one decided.
//!
//! **Decisive.** A cell's share is a median over its captures; with enough captures it has a
//! distribution-free interval, and two shares are then ordered only when their intervals do not
//! overlap. With fewer captures there is no interval: shares are ordered by their medians, and the
//! evidence gives n so that a reader sees how little that may be.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::Serialize;

use edgebench_dataset::schema::v1::{Backend, OpClass, Phase, TimingSource, WeightsOrigin};

use super::{Direction, Evaluation, Evidence};
use crate::analysis::{Analysis, ModelKey};
use crate::format;
use crate::kernels::{KernelCell, is_matrix_product};
use crate::metrics::Metric;
use crate::stats::{self, LEVEL, MedianEstimate, min_runs_for_interval};

/// How the paper's "GEMM" is read against llama.cpp's kernel classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GemmReading {
    /// GEMM kernels alone.
    Strict,
    /// All matrix-product time: GEMM + GEMV.
    MatrixProduct,
}

impl GemmReading {
    /// The reading that decides a GEMM claim on captures of `phase`: strict in prefill (matrix
    /// products with many token columns run as GEMM), matrix product where decode is in the
    /// capture (one token column: GEMV), whether alone or not separated from prefill.
    pub fn for_phase(phase: Option<Phase>) -> GemmReading {
        match phase {
            Some(Phase::Prefill) => GemmReading::Strict,
            Some(Phase::Decode) | None => GemmReading::MatrixProduct,
        }
    }

    fn name(self) -> &'static str {
        match self {
            GemmReading::Strict => "strict reading (GEMM alone)",
            GemmReading::MatrixProduct => "matrix-product reading (GEMM + GEMV)",
        }
    }

    fn share_label(self) -> &'static str {
        match self {
            GemmReading::Strict => "GEMM",
            GemmReading::MatrixProduct => "GEMM + GEMV",
        }
    }

    /// The cell's share under this reading.
    fn share(self, cell: &KernelCell) -> MedianEstimate {
        match self {
            GemmReading::Strict => class_share(cell, OpClass::Gemm),
            GemmReading::MatrixProduct => cell.matrix_product_share.clone().unwrap_or_else(|| zero_share(cell)),
        }
    }

    /// Whether `class` is part of this reading's "GEMM".
    fn covers(self, class: OpClass) -> bool {
        match self {
            GemmReading::Strict => class == OpClass::Gemm,
            GemmReading::MatrixProduct => is_matrix_product(class),
        }
    }
}

pub fn class_name(class: OpClass) -> &'static str {
    match class {
        OpClass::Gemm => "GEMM",
        OpClass::Gemv => "GEMV",
        OpClass::Attention => "attention",
        OpClass::Norm => "normalisation",
        OpClass::Rope => "RoPE",
        OpClass::Elementwise => "element-wise",
        OpClass::Quantize => "quantisation",
        OpClass::Memory => "memory",
        OpClass::Misc => "other ops",
        OpClass::Other => "unclassified",
    }
}

/// `prefill`, `decode`, or `all phases` for captures that do not separate them.
pub fn phase_label(phase: Option<Phase>) -> &'static str {
    match phase {
        Some(Phase::Prefill) => "prefill",
        Some(Phase::Decode) => "decode",
        None => "all phases",
    }
}

/// Where a capture's times come from, and what that means for its shares.
pub fn timing_words(timing: Option<TimingSource>) -> &'static str {
    match timing {
        Some(TimingSource::HostSynchronised) => {
            "host wall clock, synchronised after every node: unfused, includes launch and sync costs"
        }
        Some(TimingSource::DeviceActivity) => {
            "device timestamps of each kernel (CUPTI activity): kernels as they ran, fusion kept"
        }
        Some(TimingSource::NcuReplay) => {
            "Nsight Compute kernel replay: serialised, caches flushed; comparable between kernels, not to wall time"
        }
        None => "not recorded (rows written before schema 1.1)",
    }
}

/// Short form of [`timing_words`] for labels.
pub fn timing_label(timing: Option<TimingSource>) -> &'static str {
    match timing {
        Some(TimingSource::HostSynchronised) => "host-synchronised",
        Some(TimingSource::DeviceActivity) => "device timestamps",
        Some(TimingSource::NcuReplay) => "ncu replay",
        None => "timing not recorded",
    }
}

/// llama.cpp's matrix-vector path on `backend`.
fn gemv_path(backend: Backend) -> &'static str {
    match backend {
        Backend::Cpu => "the vec-dot path on the CPU",
        Backend::Cuda => "mul_mat_vec_q kernels on CUDA",
        _ => "matrix-vector kernels",
    }
}

/// Where the cell's matrix products run as GEMV, in words, and which reading decides.
fn gemv_note(cell: &KernelCell, reading: GemmReading) -> String {
    let path = gemv_path(cell.key.backend);
    let where_ = match cell.phase {
        Some(Phase::Prefill) => {
            "prefill: the prompt's matrix products have many token columns and run as GEMM".to_owned()
        }
        Some(Phase::Decode) => {
            format!("decode: llama.cpp's batch-1 decode multiplies by one token column and runs as GEMV ({path})")
        }
        None => format!("phases not separated: the decode part runs its one-token-column products as GEMV ({path})"),
    };
    format!("{where_}; the {} decides", reading.name())
}

/// The class's share of `cell`, a zero estimate when no capture has the class.
fn class_share(cell: &KernelCell, class: OpClass) -> MedianEstimate {
    cell.shares.get(&class).cloned().unwrap_or_else(|| zero_share(cell))
}

fn zero_share(cell: &KernelCell) -> MedianEstimate {
    stats::median(&vec![0.0; cell.captures.max(1)], LEVEL).unwrap_or(MedianEstimate {
        n: 0,
        median: 0.0,
        interval: None,
    })
}

/// Orders two shares: by their intervals when both have one (`None` when they overlap), by their
/// medians otherwise (`None` when equal).
fn compare(a: &MedianEstimate, b: &MedianEstimate) -> Option<Ordering> {
    match (a.interval, b.interval) {
        (Some(x), Some(y)) if x.low > y.high => Some(Ordering::Greater),
        (Some(x), Some(y)) if x.high < y.low => Some(Ordering::Less),
        (Some(_), Some(_)) => None,
        _ => Some(a.median.total_cmp(&b.median)).filter(|o| o.is_ne()),
    }
}

/// `76.0% (n = 3)` or `76.0% [70.1%, 80.2%] (n = 8)`.
pub fn share_text(e: &MedianEstimate) -> String {
    match e.interval {
        Some(i) => format!(
            "{} [{}, {}] (n = {})",
            format::percent(e.median),
            format::percent(i.low),
            format::percent(i.high),
            e.n
        ),
        None => format!("{} (n = {})", format::percent(e.median), e.n),
    }
}

/// `Orin NX · cuda, Tiny (Q4_1) · decode · host-synchronised`.
pub fn kernel_cell_label(cell: &KernelCell) -> String {
    format!(
        "{}, {} · {} · {}",
        cell.key.platform().label(),
        cell.key.model_key().label(),
        phase_label(cell.phase),
        timing_label(cell.timing)
    )
}

/// What the evidence says about how the shares were decided and timed.
fn cell_notes(cells: &[&KernelCell]) -> String {
    let min = min_runs_for_interval(LEVEL);
    let mut notes = Vec::new();
    if cells.iter().any(|c| c.captures < min) {
        notes.push(format!("fewer than {min} captures: no interval, decided on the medians"));
    }
    if cells.iter().any(|c| c.timing == Some(TimingSource::HostSynchronised)) {
        notes.push("host-synchronised timing: shares are of unfused op time".to_owned());
    }
    if notes.is_empty() { String::new() } else { format!(" ({})", notes.join("; ")) }
}

/// The largest class of `cell` other than those `excluded`.
fn largest_other(cell: &KernelCell, excluded: impl Fn(OpClass) -> bool) -> Option<(OpClass, MedianEstimate)> {
    cell.shares
        .iter()
        .filter(|(c, _)| !excluded(**c))
        .max_by(|a, b| a.1.median.total_cmp(&b.1.median).then_with(|| b.0.cmp(a.0)))
        .map(|(c, e)| (*c, e.clone()))
}

/// One reading's verdict on "GEMM is the largest class" in `cell`, and its words.
fn largest_under(cell: &KernelCell, reading: GemmReading) -> (Option<bool>, String) {
    let own = reading.share(cell);
    let Some((other, other_share)) = largest_other(cell, |c| reading.covers(c)) else {
        return (Some(true), format!("{} {}, no other class", reading.share_label(), share_text(&own)));
    };
    let agrees = compare(&own, &other_share).map(Ordering::is_gt);
    let word = match agrees {
        Some(true) => "largest",
        Some(false) => "not largest",
        None => "undecided",
    };
    (
        agrees,
        format!(
            "{} {} vs {} {}: {word}",
            reading.share_label(),
            share_text(&own),
            class_name(other),
            share_text(&other_share)
        ),
    )
}

pub(super) fn largest_class(analysis: &Analysis, class: OpClass) -> Evaluation {
    let reading_rule = if class == OpClass::Gemm {
        " (read as all matrix-product time, GEMM + GEMV, where decode is in the profile, since llama.cpp runs batch-1 decode's matrix products as GEMV; as GEMM alone in prefill)"
    } else {
        ""
    };
    let statement =
        format!("{} kernels take the largest share of kernel time in every profile{reading_rule}.", class_name(class));
    let evidence = analysis
        .kernel_cells
        .iter()
        .filter(|cell| !cell.shares.is_empty())
        .map(|cell| {
            if class != OpClass::Gemm {
                let own = class_share(cell, class);
                let other = largest_other(cell, |c| c == class);
                let agrees = other.as_ref().map_or(Some(true), |(_, e)| compare(&own, e).map(Ordering::is_gt));
                let result = match other {
                    Some((c, e)) => {
                        format!("{} {} vs {} {}", class_name(class), share_text(&own), class_name(c), share_text(&e))
                    }
                    None => format!("{} {}, no other class", class_name(class), share_text(&own)),
                };
                return Evidence {
                    subject: kernel_cell_label(cell),
                    result: result + &cell_notes(&[cell]),
                    agrees,
                    context: false,
                    synthetic: is_synthetic(cell),
                    confounds: Vec::new(),
                    confound_kinds: Vec::new(),
                    numbers: None,
                    ratio_interval: None,
                };
            }
            let decisive = GemmReading::for_phase(cell.phase);
            let (agrees, decisive_text) = largest_under(cell, decisive);
            let other_reading = match decisive {
                GemmReading::Strict => GemmReading::MatrixProduct,
                GemmReading::MatrixProduct => GemmReading::Strict,
            };
            let (_, other_text) = largest_under(cell, other_reading);
            Evidence {
                subject: kernel_cell_label(cell),
                result: format!(
                    "{}: {decisive_text}; {} (not deciding): {other_text}{}",
                    gemv_note(cell, decisive),
                    other_reading.name(),
                    cell_notes(&[cell])
                ),
                agrees,
                context: false,
                synthetic: is_synthetic(cell),
                confounds: Vec::new(),
                confound_kinds: Vec::new(),
                numbers: Some(format!("{}: {decisive_text}", decisive.name())),
                ratio_interval: None,
            }
        })
        .collect();
    (statement, evidence, "kernel profiles (nsys, ncu or ggml op timings)")
}

/// The share `claim` is about in `cell`, and its label: GEMM under the phase's reading, any other
/// class as it is.
fn claimed_share(cell: &KernelCell, class: OpClass) -> (MedianEstimate, &'static str) {
    if class == OpClass::Gemm {
        let reading = GemmReading::for_phase(cell.phase);
        (reading.share(cell), reading.share_label())
    } else {
        (class_share(cell, class), class_name(class))
    }
}

pub(super) fn share_on_faster_device(analysis: &Analysis, class: OpClass, expect: Direction) -> Evaluation {
    let statement = format!(
        "For the same model on a GPU back-end, the {} share of kernel time is {} on the device with the higher decode rate{}.",
        class_name(class),
        expect.word(),
        if class == OpClass::Gemm {
            " (GEMM + GEMV where decode is in the profile, GEMM alone in prefill)"
        } else {
            ""
        }
    );
    // Like is compared with like: same model (weights origin included), back-end, phase and timing
    // source.
    type Group = (ModelKey, Backend, Option<Phase>, Option<TimingSource>);
    let mut groups: BTreeMap<Group, Vec<(&KernelCell, &MedianEstimate)>> = BTreeMap::new();
    for cell in analysis.kernel_cells.iter().filter(|c| c.key.backend != Backend::Cpu) {
        let decode_rate = analysis
            .cells
            .iter()
            .find(|c| {
                c.key.device == cell.key.device
                    && c.key.backend == cell.key.backend
                    && c.key.power_mode == cell.key.power_mode
                    && c.key.model == cell.key.model
                    && c.key.weights == cell.key.weights
            })
            .and_then(|c| c.estimates.get(&Metric::DecodeTokensPerS));
        if let Some(rate) = decode_rate {
            groups
                .entry((cell.key.model_key(), cell.key.backend, cell.phase, cell.timing))
                .or_default()
                .push((cell, rate));
        }
    }
    let mut evidence = Vec::new();
    for ((model, _, phase, timing), mut profiled) in groups {
        if profiled.len() < 2 {
            continue;
        }
        profiled.sort_by(|a, b| a.1.median.total_cmp(&b.1.median));
        let (slow, fast) = (profiled[0], profiled[profiled.len() - 1]);
        let speed_decided = matches!((slow.1.interval, fast.1.interval), (Some(s), Some(f)) if f.low > s.high);
        let ((fast_share, label), (slow_share, _)) = (claimed_share(fast.0, class), claimed_share(slow.0, class));
        let order = compare(&fast_share, &slow_share);
        let side = order.map(|o| if o.is_gt() { Direction::Higher } else { Direction::Lower });
        let agrees = if speed_decided { side.map(|s| s == expect) } else { None };
        let word = match (speed_decided, side) {
            (false, _) => "decode rates not distinguishable".to_owned(),
            (true, Some(s)) => format!("{} on the faster device", s.word()),
            (true, None) => "shares not distinguishable".to_owned(),
        };
        evidence.push(Evidence {
            subject: format!(
                "{} · {} · {}: {} vs {}",
                model.name_label(),
                phase_label(phase),
                timing_label(timing),
                fast.0.key.platform().label(),
                slow.0.key.platform().label()
            ),
            result: format!(
                "{label} share {} vs {} at decode {} vs {} tokens/s: {word}{}",
                share_text(&fast_share),
                share_text(&slow_share),
                format::sig3(fast.1.median),
                format::sig3(slow.1.median),
                cell_notes(&[fast.0, slow.0])
            ),
            agrees,
            context: false,
            synthetic: model.is_synthetic(),
            confounds: Vec::new(),
            confound_kinds: Vec::new(),
            numbers: None,
            ratio_interval: None,
        });
    }
    (statement, evidence, "one model profiled with a GPU back-end on two devices whose decode rates were measured")
}

fn is_synthetic(cell: &KernelCell) -> bool {
    cell.key.weights == WeightsOrigin::Synthetic
}

pub(super) fn share_above_by_family(analysis: &Analysis, class: OpClass, higher: &str, lower: &str) -> Evaluation {
    let capital = |s: &str| format::capitalise(s);
    let statement = format!(
        "On the same device, {} models spend a larger share of kernel time in {} than {} models{}.",
        capital(higher),
        class_name(class),
        capital(lower),
        if class == OpClass::Gemv {
            " (GEMV: matrix products with one token column, which is how llama.cpp runs batch-1 decode)"
        } else {
            ""
        }
    );
    // Families are compared within one weights origin: synthetic architectures against each
    // other, trained models against each other.
    type Context = (String, Backend, Option<String>, Option<Phase>, Option<TimingSource>, WeightsOrigin);
    let mut contexts: BTreeMap<Context, Vec<&KernelCell>> = BTreeMap::new();
    for cell in &analysis.kernel_cells {
        let k = &cell.key;
        contexts
            .entry((k.device.clone(), k.backend, k.power_mode.clone(), cell.phase, cell.timing, k.weights))
            .or_default()
            .push(cell);
    }
    let is_family = |cell: &KernelCell, family: &str| analysis.is_family(&cell.key.model_key(), family);
    let mut evidence = Vec::new();
    for cells in contexts.values() {
        let highs = cells.iter().filter(|c| is_family(c, higher) && !is_family(c, lower));
        for high in highs {
            for low in cells.iter().filter(|c| is_family(c, lower) && !is_family(c, higher)) {
                let (a, b) = (class_share(high, class), class_share(low, class));
                let order = compare(&a, &b);
                let word = match order {
                    Some(Ordering::Greater) => format!("{} higher", capital(higher)),
                    Some(_) => format!("{} not higher", capital(higher)),
                    None => "not distinguishable".to_owned(),
                };
                let where_ = match high.phase {
                    Some(Phase::Decode) | None if class == OpClass::Gemv => {
                        format!(
                            "; GEMV here is llama.cpp's one-token-column products ({})",
                            gemv_path(high.key.backend)
                        )
                    }
                    _ => String::new(),
                };
                evidence.push(Evidence {
                    subject: format!(
                        "{} vs {} on {} · {} · {}",
                        high.key.model_key().label(),
                        low.key.model_key().label(),
                        high.key.platform().label(),
                        phase_label(high.phase),
                        timing_label(high.timing)
                    ),
                    result: format!(
                        "{} share {} vs {}: {word}{where_}{}",
                        class_name(class),
                        share_text(&a),
                        share_text(&b),
                        cell_notes(&[high, low])
                    ),
                    agrees: order.map(Ordering::is_gt),
                    context: false,
                    synthetic: is_synthetic(high),
                    confounds: Vec::new(),
                    confound_kinds: Vec::new(),
                    numbers: None,
                    ratio_interval: None,
                });
            }
        }
    }
    (statement, evidence, "models of both families profiled on the same device, back-end, mode and phase")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Interval;

    #[test]
    fn gemm_is_read_as_all_matrix_products_wherever_decode_is_in_the_capture() {
        assert_eq!(GemmReading::for_phase(Some(Phase::Prefill)), GemmReading::Strict);
        assert_eq!(GemmReading::for_phase(Some(Phase::Decode)), GemmReading::MatrixProduct);
        assert_eq!(GemmReading::for_phase(None), GemmReading::MatrixProduct);
        assert!(GemmReading::MatrixProduct.covers(OpClass::Gemv) && !GemmReading::Strict.covers(OpClass::Gemv));
    }

    #[test]
    fn shares_with_intervals_are_ordered_only_when_the_intervals_do_not_overlap() {
        let share = |median: f64, interval: Option<(f64, f64)>| MedianEstimate {
            n: if interval.is_some() { 6 } else { 2 },
            median,
            interval: interval.map(|(low, high)| Interval { low, high, level: 0.97 }),
        };
        assert_eq!(compare(&share(0.6, Some((0.55, 0.65))), &share(0.3, Some((0.2, 0.4)))), Some(Ordering::Greater));
        assert_eq!(compare(&share(0.6, Some((0.35, 0.65))), &share(0.3, Some((0.2, 0.4)))), None, "overlap");
        assert_eq!(compare(&share(0.3, None), &share(0.6, None)), Some(Ordering::Less), "medians without intervals");
        assert_eq!(compare(&share(0.3, None), &share(0.3, None)), None, "equal medians decide nothing");
    }
}
