//! The fusion claim of Section V (Fig. 10), decided on the fusion sweeps ([`crate::fusion`]).
//!
//! The paper times Add then Scale against one fused kernel at one vector length it does not
//! state. A sweep measures many lengths; the claim is decided where the paper's reasoning (fusion
//! removes memory traffic) applies: at each sweep's **memory-bound point**, its largest vector.
//! There, fused / unfused below 1 with its whole interval agrees with the paper, above 1
//! disagrees, and an interval across 1 (or none: fewer than 6 repetitions a side) decides
//! nothing, as for every other claim. Each such line also says how far the ratio lies from the
//! memory-bound limit (3/5, or 4/7 with write-allocate). A second line per sweep, which decides
//! nothing, counts the sizes at which the fused variant is faster.

use super::{Direction, Evaluation, Evidence, interval_side, side_word};
use crate::analysis::Analysis;
use crate::format;
use crate::fusion::{self, FusionResult, MEMORY_RESIDENT_FACTOR};

/// At most this many sizes are named in a sweep's summary line.
const NAMED_SIZES: usize = 4;

pub(super) fn fusion_faster(analysis: &Analysis) -> Evaluation {
    let statement = format!(
        "The fused Add + Scale kernel takes less time than Add then Scale as two kernels (decided at the largest vector of each sweep, which runs from memory when it is at least {MEMORY_RESIDENT_FACTOR}× the last-level cache)."
    );
    let mut evidence = Vec::new();
    for (key, points) in fusion::sweeps(&analysis.fusion) {
        let Some(point) = points.iter().copied().find(|p| p.memory_bound_point) else { continue };
        let subject = format!("{} at {}", key.label(), size_text(point));
        evidence.push(match &point.ratio {
            Some(ratio) => {
                let side = interval_side(ratio);
                Evidence {
                    subject,
                    result: format!(
                        "fused/unfused {}: {}; {}{}",
                        format::ratio(ratio),
                        side_word(side),
                        bound_text(point),
                        residence_note(point)
                    ),
                    agrees: side.map(|d| d == Direction::Lower),
                    context: false,
                    synthetic: false,
                    confounds: Vec::new(),
                    confound_kinds: Vec::new(),
                    numbers: Some(format!("fused/unfused {}: {}", format::ratio(ratio), side_word(side))),
                    ratio_interval: None,
                }
            }
            None => Evidence {
                subject,
                result: format!("no ratio: {}", missing_variants(point)),
                agrees: None,
                context: false,
                synthetic: false,
                confounds: Vec::new(),
                confound_kinds: Vec::new(),
                numbers: None,
                ratio_interval: None,
            },
        });
        if points.len() > 1 {
            evidence.push(Evidence {
                subject: format!("{} over the sweep", key.label()),
                result: sweep_summary(&points),
                agrees: None,
                context: true,
                synthetic: false,
                confounds: Vec::new(),
                confound_kinds: Vec::new(),
                numbers: None,
                ratio_interval: None,
            });
        }
    }
    (statement, evidence, "fused and unfused repetitions of the fusion micro-benchmark (`collect fusion`) on one device")
}

/// `2^26 elements (256 MiB per vector, 5.1× the last-level cache)`.
pub fn size_text(r: &FusionResult) -> String {
    let elements = format!("{} elements", format::power_of_two(r.elements));
    match (r.vector_bytes, r.cache_multiple()) {
        (Some(bytes), Some(m)) => {
            format!("{elements} ({} per vector, {}× the last-level cache)", format::binary_bytes(bytes), format::sig3(m))
        }
        (Some(bytes), None) => format!("{elements} ({} per vector)", format::binary_bytes(bytes)),
        (None, _) => elements,
    }
}

/// Where the ratio lies against the memory-bound limit, in words, or why there is no limit.
pub fn bound_text(r: &FusionResult) -> String {
    let (Some(bound), Some(d)) = (r.bound, r.distance) else {
        return match r.bound {
            Some(b) => format!("bound {} ({}), but no ratio", b.fraction(), b.condition()),
            None => format!("no memory-bound limit: {}", r.bound_missing().unwrap_or_default()),
        };
    };
    let name = format!("the {} bound ({})", bound.fraction(), bound.condition());
    let interval = d.interval.map(|i| (i.low, i.high));
    match interval {
        Some((low, _)) if low > 0.0 => format!(
            "{} above {name}: the fused kernel saves less time than the traffic it removes",
            format::percent_interval(d.value, interval)
        ),
        Some((_, high)) if high < 0.0 => format!(
            "{} below {name}: faster than the traffic alone explains (launch or cache effects)",
            format::percent_interval(-d.value, interval.map(|(l, h)| (-h, -l)))
        ),
        Some((low, high)) => format!(
            "at {name}: {} [{}, {}] from it, an interval that includes it",
            format::signed_percent(d.value),
            format::signed_percent(low),
            format::signed_percent(high)
        ),
        None => format!(
            "{} {} {name} (no interval: too few repetitions)",
            format::percent(d.value.abs()),
            if d.value >= 0.0 { "above" } else { "below" }
        ),
    }
}

/// Whether the point can be taken to run from memory.
fn residence_note(r: &FusionResult) -> String {
    match (r.memory_resident, r.cache_multiple()) {
        (Some(false), Some(m)) => format!(
            "; the vector is only {}× the last-level cache (under {MEMORY_RESIDENT_FACTOR}×), so it may run partly from cache",
            format::sig3(m)
        ),
        (None, _) => format!("; residence in memory unknown: {}", r.cache_missing().unwrap_or_else(|| "element size unknown".to_owned())),
        _ => String::new(),
    }
}

fn missing_variants(r: &FusionResult) -> String {
    let missing: Vec<&str> = [("unfused", r.unfused.is_none()), ("fused", r.fused.is_none())]
        .into_iter()
        .filter_map(|(name, gone)| gone.then_some(name))
        .collect();
    format!("no completed repetition of the {} variant ({} failed)", missing.join(" and the "), r.failed)
}

/// At how many sizes of a sweep the fused variant is faster, slower, or neither with confidence.
pub fn sweep_summary(points: &[&FusionResult]) -> String {
    let mut faster = Vec::new();
    let mut slower = Vec::new();
    let mut undecided = Vec::new();
    for p in points {
        match p.ratio.as_ref().and_then(interval_side) {
            Some(Direction::Lower) => faster.push(p),
            Some(Direction::Higher) => slower.push(p),
            None => undecided.push(p),
        }
    }
    let sizes = |ps: &[&&FusionResult]| -> String {
        if ps.is_empty() {
            return String::new();
        }
        let mut named: Vec<String> = ps.iter().take(NAMED_SIZES).map(|p| short_size(p)).collect();
        if ps.len() > NAMED_SIZES {
            named.push("…".to_owned());
        }
        format!(" ({})", named.join(", "))
    };
    let mut text = format!(
        "fused faster at {} of {} sizes (interval below 1), slower at {}{}, undecided at {}{}",
        faster.len(),
        points.len(),
        slower.len(),
        sizes(&slower),
        undecided.len(),
        sizes(&undecided)
    );
    if !undecided.is_empty() {
        text.push_str(" (interval includes 1, too few repetitions, or a variant missing)");
    }
    text
}

/// `256 MiB`, or the element count when the element size is unknown.
fn short_size(r: &FusionResult) -> String {
    r.vector_bytes.map(format::binary_bytes).unwrap_or_else(|| format!("{} elements", format::power_of_two(r.elements)))
}

/// The sentence under the fusion table: at each memory-bound point, where the ratio falls against
/// the limit and by how much, then the paper's ratios.
pub fn fusion_sentence(analysis: &Analysis) -> String {
    let mut parts = Vec::new();
    for point in fusion::memory_bound_points(&analysis.fusion) {
        let Some(ratio) = &point.ratio else { continue };
        let copy_shares = match (
            point.unfused.as_ref().and_then(|v| v.copy_fraction),
            point.fused.as_ref().and_then(|v| v.copy_fraction),
        ) {
            (Some(u), Some(f)) => format!(
                "; the unfused kernels reach {} and the fused kernel {} of the copy bandwidth",
                format::percent(u.value),
                format::percent(f.value)
            ),
            _ => format!("; no copy bandwidth to compare with ({})", point.bandwidth_missing().unwrap_or_default()),
        };
        parts.push(format!(
            "{} at {}: fused/unfused {}, {}{}{copy_shares}.",
            point.sweep_key().label(),
            size_text(point),
            format::ratio(ratio),
            bound_text(point),
            residence_note(point)
        ));
    }
    if parts.is_empty() {
        parts.push("No fusion sweep of ours has both variants measured yet.".to_owned());
    }
    let paper: Vec<String> = analysis
        .published_fusion
        .iter()
        .filter_map(|p| p.ratio().map(|r| format!("{} {}", p.device, format::sig3(r))))
        .collect();
    if !paper.is_empty() {
        parts.push(format!(
            "The paper's fused/unfused ratios: {} (it gives no vector size, element type or bandwidth, so no bound can be placed against them).",
            paper.join(", ")
        ));
    }
    parts.join(" ")
}
