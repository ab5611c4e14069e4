//! The sentences that let a finding stand on its own: for a decided one, a headline with its key
//! numbers (what a summary of the report quotes); for an undecided one, what data would decide
//! it: the claim's own needs, alike in whatever made the comparisons so far not decisive, with
//! enough replicates for an interval.

use std::collections::BTreeSet;

use super::{Claim, Counts, Direction, Evidence, Test, Verdict};
use crate::analysis::Comparison;
use crate::format;
use crate::metrics::Metric;
use crate::stats::{LEVEL, min_runs_for_interval};

/// The claim in a few words (`Time per output token on the cpu back-end grows with model size`).
pub(super) fn title(claim: &Claim) -> String {
    let on = |backend: Option<edgebench_dataset::schema::v1::Backend>| backend.map(|b| format!(" on the {b} back-end")).unwrap_or_default();
    match claim.test {
        Test::Contrast { comparison, metric, expect, backend } => {
            let m = format::capitalise(metric.label());
            let e = expect.word();
            match comparison {
                Comparison::BackendVsCpu => format!("{m} is {e} on a GPU back-end than on the CPU back-end"),
                Comparison::ModeVsMaxn => format!("{m} is {e} in a lower power mode than in MAXN"),
                Comparison::ModelVsSmallest => format!("{m}{} is {e} for a larger model", on(backend)),
                Comparison::Bf16VsQ8 => format!("{m}{} is {e} with BF16 weights than with Q8_0", on(backend)),
                Comparison::GemmaVsQwen => format!("{m} per parameter is {e} for Gemma than for the Qwen model of similar size"),
            }
        }
        Test::Similar { metric, margin, .. } => format!(
            "{} stays within ±{}% across power modes",
            format::capitalise(metric.label()),
            format::sig3(margin * 100.0)
        ),
        Test::GrowsWithModelSize { metric, backend, expect } => format!(
            "{}{} {} with model size",
            format::capitalise(metric.label()),
            on(backend),
            match expect {
                Direction::Higher => "grows",
                Direction::Lower => "falls",
            }
        ),
        Test::BackendGainGrowsWithSize { metric } => format!("The GPU back-end's gain in {} grows with model size", metric.label()),
        Test::StableAcrossPlatforms { metric, spread } => {
            format!("{} stays within {}% across platforms", format::capitalise(metric.label()), format::sig3(spread * 100.0))
        }
        Test::LargestKernelClass { class } => {
            format!("{} takes the largest share of kernel time", super::class_name(class))
        }
        Test::ShareOnFasterDevice { class, expect } => {
            format!("{}'s share of kernel time is {} on the faster GPU", format::capitalise(super::class_name(class)), expect.word())
        }
        Test::ShareAboveByFamily { class, higher, lower } => format!(
            "{}'s share of kernel time is higher for {} than for {}",
            super::class_name(class),
            format::capitalise(higher),
            format::capitalise(lower)
        ),
        Test::FusionFaster => "The fused kernel takes less time than the unfused ones".to_owned(),
    }
}

/// The decided finding in one sentence: its title, the comparison that carries the verdict (one
/// with trained weights where there is one: a model says more than an architecture) and the
/// counts.
pub(super) fn headline(claim: &Claim, verdict: Verdict, evidence: &[Evidence], counts: &Counts) -> String {
    let carries = verdict == Verdict::Supported;
    let carrying: Vec<&Evidence> = evidence.iter().filter(|e| !e.context && e.agrees == Some(carries)).collect();
    let quoted = carrying.iter().find(|e| !e.synthetic).or(carrying.first());
    let counts_words = match verdict {
        Verdict::Contradicted => format!("{} of {} decisive comparisons go against it", counts.disagree, counts.decisive()),
        _ => format!("{} of {} decisive comparisons agree", counts.agree, counts.decisive()),
    };
    let lead = match verdict {
        Verdict::Contradicted => format!("Not so: {}", lowercase_first(&title(claim))),
        _ => title(claim),
    };
    match quoted {
        Some(e) => format!("{lead} — {}: {} ({counts_words})", e.subject, e.numbers.as_ref().unwrap_or(&e.result)),
        None => format!("{lead} ({counts_words})"),
    }
}

fn lowercase_first(s: &str) -> String {
    // Only the first letter of a sentence-case title; names such as GEMM keep their case.
    let mut chars = s.chars();
    match (chars.next(), chars.clone().next()) {
        (Some(c), Some(d)) if c.is_uppercase() && d.is_lowercase() => c.to_lowercase().collect::<String>() + chars.as_str(),
        (Some(c), _) => c.to_string() + chars.as_str(),
        (None, _) => String::new(),
    }
}

/// The metric a claim on run cells is decided on; `None` for kernel and fusion claims, whose
/// replicates are captures and repetitions of their own.
fn cell_metric(test: Test) -> Option<Metric> {
    match test {
        Test::Contrast { metric, .. }
        | Test::Similar { metric, .. }
        | Test::GrowsWithModelSize { metric, .. }
        | Test::BackendGainGrowsWithSize { metric }
        | Test::StableAcrossPlatforms { metric, .. } => Some(metric),
        Test::LargestKernelClass { .. } | Test::ShareOnFasterDevice { .. } | Test::ShareAboveByFamily { .. } | Test::FusionFaster => None,
    }
}

/// What data would decide an undecided claim: its needs; alike in what the comparisons so far
/// mixed; enough replicates for the interval a comparison needs; and, where comparisons exist
/// that were merely too close to call, that more replicates would narrow them.
pub(super) fn decided_by(claim: &Claim, needs: &str, evidence: &[Evidence], counts: &Counts) -> String {
    let mut sentence = format::capitalise(needs);
    let mixed: BTreeSet<super::confounds::Kind> = evidence.iter().flat_map(|e| e.confound_kinds.iter().copied()).collect();
    if !mixed.is_empty() {
        let alike: Vec<String> = mixed.iter().map(|k| k.alike()).collect();
        sentence.push_str(&format!(", alike in {}", join_words(&alike)));
    }
    if let Some(metric) = cell_metric(claim.test) {
        // A ratio takes each median's interval at 1 − α/2 (Bonferroni): that level's minimum.
        let n = min_runs_for_interval(1.0 - (1.0 - LEVEL) / 2.0);
        let replicates = if metric.is_quality() { "scored prompts (or runs, where outputs differ between runs)" } else { "completed runs" };
        sentence.push_str(&format!(", with at least {n} {replicates} per cell"));
    }
    if counts.undecided > 0 {
        let (n, s, verb) = match counts.undecided {
            1 => (1, "", "is"),
            n => (n, "s", "are"),
        };
        sentence.push_str(&format!(
            "; {n} comparison{s} so far {verb} undecided on {}: an interval that includes the threshold narrows with more replicates",
            if n == 1 { "its numbers" } else { "their numbers" }
        ));
        sentence.push_str(&close_calls(evidence, n));
    }
    sentence.push('.');
    sentence
}

/// The largest difference from 1, as a fraction, that a ratio interval containing 1 still
/// allows below which a comparison counts as a close call: more replicates narrow such an
/// interval around "no difference" rather than towards a side.
const CLOSE_CALL: f64 = 0.10;

/// Undecided comparisons whose interval already rules out any difference over [`CLOSE_CALL`]
/// (` — 1 of them already rules out a difference of more than 6.2% either way`): the reader
/// should not expect more replicates to decide those for the claim, only that the difference,
/// if any, is small. Empty when there is none.
fn close_calls(evidence: &[Evidence], undecided: usize) -> String {
    let allowed: Vec<f64> = evidence
        .iter()
        .filter(|e| e.agrees.is_none() && e.confounds.is_empty())
        .filter_map(|e| e.ratio_interval)
        .filter(|(low, high)| *low > 0.0 && *low <= 1.0 && *high >= 1.0)
        .map(|(low, high)| (1.0 / low - 1.0).max(high - 1.0))
        .filter(|d| *d <= CLOSE_CALL)
        .collect();
    let Some(widest) = allowed.iter().copied().reduce(f64::max) else { return String::new() };
    let which = match (allowed.len(), undecided) {
        (1, 1) => "it already rules out".to_owned(),
        (k, n) if k == n => format!("all {k} already rule out"),
        (1, _) => "1 of them already rules out".to_owned(),
        (k, _) => format!("{k} of them already rule out"),
    };
    format!(", though {which} a difference of more than {}% either way, so the difference, if any, is small", format::significant(widest * 100.0, 2))
}

/// `a`, `a and b`, `a, b and c`.
fn join_words(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(agrees: Option<bool>, interval: Option<(f64, f64)>) -> Evidence {
        Evidence {
            subject: "a vs b".to_owned(),
            result: String::new(),
            agrees,
            context: false,
            synthetic: true,
            confounds: Vec::new(),
            confound_kinds: Vec::new(),
            numbers: None,
            ratio_interval: interval,
        }
    }

    #[test]
    fn a_tight_interval_around_one_is_called_close_and_a_wide_one_is_not() {
        // Gemma-2-2B against Qwen2.5-3B per parameter on the 2-vCPU VM: [0.942, 1.06].
        let tight = line(None, Some((0.942, 1.06)));
        let wide = line(None, Some((0.8, 1.3)));
        let decided = line(Some(true), Some((1.01, 1.05)));
        assert_eq!(
            close_calls(std::slice::from_ref(&tight), 1),
            ", though it already rules out a difference of more than 6.2% either way, so the difference, if any, is small"
        );
        assert_eq!(close_calls(&[tight.clone(), wide.clone()], 2), ", though 1 of them already rules out a difference of more than 6.2% either way, so the difference, if any, is small");
        assert_eq!(close_calls(&[wide, decided], 1), "");
        // Not decisive because of a confound: its interval says nothing about the claim.
        let mut confounded = tight;
        confounded.confounds.push("prompt lengths differ".to_owned());
        assert_eq!(close_calls(&[confounded], 1), "");
    }
}
