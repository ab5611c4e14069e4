//! The table of one measure's per-cell medians (with the published values that match each cell),
//! and the table of ratios between cells that differ in one factor.
//!
//! Numbers are printed for people: a published value points to its appendix entry (`707 (P3†)`,
//! see [`super::published`]) instead of repeating its source and ambiguity; the interval column's
//! header gives the nominal level as a lower bound and the caption the exact coverage per n (the
//! order statistics' binomial coverage depends on n); and an interval that prints with zero
//! width is marked and explained from the data ([`ZERO_WIDTH_MARK`]).

use std::collections::BTreeMap;

use super::context::Context;
use super::published::{self, PublishedReferences};
use super::{MISSING, RowDoc, TableDoc, cell_columns, synthetic_caption, synthetic_note};
use crate::analysis::{Analysis, Cell, Comparison, PublishedValue, WeightsOrigin, published_matches};
use crate::format;
use crate::metrics::{Metric, Replicate};
use crate::stats::{Interval, LEVEL, MedianEstimate};

/// Marks an interval that prints with zero width (`[1.46, 1.46]‡`).
pub const ZERO_WIDTH_MARK: &str = "‡";

/// The interval column's header ([`format::ci_header`]).
fn interval_header() -> String {
    format::ci_header(LEVEL)
}

pub(super) fn metric_table(analysis: &Analysis, metric: Metric) -> TableDoc {
    let mut rows = Vec::new();
    let references = PublishedReferences::of(analysis);
    // One per number, in reference order: rows merged into one appendix entry (the same number
    // in two sentences) would otherwise print it twice.
    let mut by_reference: BTreeMap<(usize, String), &PublishedValue> = BTreeMap::new();
    for p in analysis.published.iter().filter(|p| p.metric == Some(metric)) {
        let key = match references.get(&p.row) {
            Some(r) => (r.number, String::new()),
            None => (usize::MAX, p.row.published_id.to_string()),
        };
        by_reference.entry(key).or_insert(p);
    }
    let published: Vec<&PublishedValue> = by_reference.into_values().collect();
    let mut matched = vec![false; published.len()];
    let mut zero_width: Vec<ZeroWidth> = Vec::new();
    let mut levels: BTreeMap<usize, f64> = BTreeMap::new();
    for cell in &analysis.cells {
        let Some(estimate) = cell.estimates.get(&metric) else { continue };
        let quoted: Vec<String> = published
            .iter()
            .enumerate()
            .filter(|(_, p)| published_matches(&p.row, &cell.key))
            .map(|(i, p)| {
                matched[i] = true;
                published_value(metric, p, &references)
            })
            .collect();
        let [device, backend, mode, protocol, model] = cell_columns(&cell.key);
        let replicate = cell.replicates[&metric];
        let mut cells = vec![
            device,
            backend,
            mode,
            protocol,
            model,
            estimate.n.to_string(),
            replicate.as_str().to_owned(),
            format::metric_value(metric, estimate.median),
            interval_cell(metric, cell, estimate, replicate, &mut zero_width),
        ];
        if let Some(i) = estimate.interval {
            levels.insert(estimate.n, i.level);
        }
        cells.extend(Context::of(metric).iter().map(|c| c.value(cell)));
        cells.push(if quoted.is_empty() { MISSING.to_owned() } else { quoted.join("; ") });
        rows.push(RowDoc { cells, published: false });
    }
    for (p, _) in published.iter().zip(&matched).filter(|(_, m)| !**m) {
        let row = &p.row;
        let mut cells = vec![
            row.device_label.clone(),
            row.backend.map(|b| b.to_string()).unwrap_or_else(|| MISSING.to_owned()),
            row.power_mode.clone().unwrap_or_else(|| MISSING.to_owned()),
            MISSING.to_owned(),
            match (&row.model_name, &row.model_precision) {
                (Some(m), Some(q)) => format!("{m} ({q})"),
                (Some(m), None) => m.clone(),
                (None, _) => MISSING.to_owned(),
            },
        ];
        cells.extend(std::iter::repeat_n(MISSING.to_owned(), 4 + Context::of(metric).len()));
        cells.push(published_value(metric, p, &references));
        rows.push(RowDoc { cells, published: true });
    }
    let quoted_ambiguous = published.iter().any(|p| p.row.ambiguity.is_some());
    TableDoc {
        id: metric.key().to_owned(),
        title: format!("Median {} ({})", metric.label(), metric.unit()),
        caption: format!(
            "Median of {} ({}) over the cell's replicates, with its distribution-free {}% confidence interval; n counts the replicates the next column names ({}).{}{} Published: the paper's number for the cell, in the table's unit; rows without measurements show only the published value.{}{}{}",
            metric.label(),
            metric.definition(),
            format::level(LEVEL),
            metric.replication().describe(),
            levels_note(&levels),
            zero_width_note(metric, &zero_width),
            if published.is_empty() { String::new() } else { format!(" {}", published::reference_note(quoted_ambiguous)) },
            Context::of(metric).iter().map(|c| c.explain()).filter(|e| !e.is_empty()).map(|e| format!(" {e}")).collect::<String>(),
            synthetic_caption(analysis, metric)
        ),
        columns: {
            let median = format!("Median ({})", metric.unit());
            let mut columns: Vec<String> =
                ["Device", "Back-end", "Mode", "Protocol", "Model", "n", "Replicate", &median, &interval_header()].map(String::from).to_vec();
            columns.extend(Context::of(metric).iter().map(|c| c.header().to_owned()));
            columns.push("Published".to_owned());
            columns
        },
        rows,
        empty_message: format!("No run in the dataset has a {} yet.", metric.label()),
        group_columns: 0,
        repeats: Vec::new(),
    }
}

/// A published number in the table's unit with its appendix reference (`707 (P3†)`).
pub(super) fn published_value(metric: Metric, p: &PublishedValue, references: &PublishedReferences) -> String {
    let shown = p.value.map(|v| format::metric_value(metric, v)).unwrap_or_else(|| format::sig3(p.row.value));
    match references.get(&p.row) {
        Some(r) => format!("{shown} ({})", r.label()),
        // Every analysed row has an entry; a row without one still names its source.
        None => format!("{shown} ({} §{})", p.row.citation_key, p.row.section),
    }
}

/// A median interval whose ends print alike, and how many replicates gave that value.
struct ZeroWidth {
    same: usize,
    n: usize,
    replicate: Replicate,
}

/// The interval cell, marked when it prints with zero width (recorded in `zero_width`).
fn interval_cell(metric: Metric, cell: &Cell, estimate: &MedianEstimate, replicate: Replicate, zero_width: &mut Vec<ZeroWidth>) -> String {
    let text = format::interval(metric, estimate, replicate);
    match estimate.interval {
        Some(Interval { low, high, .. }) if format::zero_width(low, high) => {
            let values = cell.values.get(&metric).map(Vec::as_slice).unwrap_or_default();
            let same = values.iter().filter(|v| format::zero_width(**v, low)).count();
            zero_width.push(ZeroWidth { same, n: estimate.n, replicate });
            format!("{text}{ZERO_WIDTH_MARK}")
        }
        _ => text,
    }
}

/// The exact coverage of the table's intervals, which depends on n.
fn levels_note(levels: &BTreeMap<usize, f64>) -> String {
    if levels.is_empty() {
        return String::new();
    }
    let exact: Vec<String> = levels.iter().map(|(n, l)| format!("{} with n = {n}", format::level_percent(*l))).collect();
    format!(
        " The interval's coverage is at least {} and exactly {} (the binomial coverage of the order statistics depends on n).",
        format::level_percent(LEVEL),
        join_words(&exact)
    )
}

/// Why the marked intervals have zero width: how many replicates gave the same value (from the
/// data), and what makes the measure repeat.
fn zero_width_note(metric: Metric, cells: &[ZeroWidth]) -> String {
    if cells.is_empty() {
        return String::new();
    }
    let mut counts: Vec<String> = cells.iter().map(|z| format!("{} of {} {}", z.same, z.n, z.replicate.as_str())).collect();
    counts.dedup();
    counts.sort();
    counts.dedup();
    format!(
        " {ZERO_WIDTH_MARK} The interval has zero width at the digits shown: in the marked {}, {} gave the same value; {}.",
        if cells.len() == 1 { "cell" } else { "cells" },
        join_words(&counts),
        repeat_cause(metric)
    )
}

/// What makes a measure give the same value in several replicates.
fn repeat_cause(metric: Metric) -> &'static str {
    match metric {
        Metric::PeakGpuMemory => "the GPU memory a run reserves is the model's buffers and the allocator's blocks, the same sizes in every run",
        Metric::PeakCpuMemory => "resident memory is counted in whole pages, and a run's buffers are the same size in every run",
        Metric::Relevance => "identical outputs score identically",
        Metric::MeanPowerW | Metric::EnergyPerOutputTokenJ => "the power sensor reports in steps coarser than the runs' spread",
        _ => "the timer's resolution is coarser than the runs' spread",
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A ratio's two cells as (what both share, the first cell's own part, the second's): the
/// platform and the two models when they ran on one platform (sizes, precisions, families), the
/// model and the two platforms when one model ran on two (back-ends, power modes), else nothing
/// shared and both whole labels.
fn ratio_sides(r: &crate::analysis::Ratio) -> (String, String, String) {
    let (a, b) = (&r.numerator, &r.denominator);
    if a.platform() == b.platform() {
        (a.platform().label(), a.model_key().label(), b.model_key().label())
    } else if a.model_key() == b.model_key() {
        (a.model_key().label(), a.platform().label(), b.platform().label())
    } else {
        let whole = |k: &crate::analysis::CellKey| format!("{}, {}", k.platform().label(), k.model_key().label());
        (String::new(), whole(a), whole(b))
    }
}

pub(super) fn ratio_table(analysis: &Analysis) -> TableDoc {
    let zero_width = |r: &&crate::analysis::Ratio| r.estimate.interval.is_some_and(|i| format::zero_width(i.low, i.high));
    // One block per pair of cells, its metrics one under the other: the pair's labels, the
    // long part, are then printed once (see `TableDoc::group_columns`).
    let mut ordered: Vec<(usize, &crate::analysis::Ratio)> = analysis.ratios.iter().enumerate().collect();
    ordered.sort_by(|(i, a), (j, b)| (a.comparison, &a.numerator, &a.denominator, i).cmp(&(b.comparison, &b.numerator, &b.denominator, j)));
    let rows = ordered
        .into_iter()
        .map(|(_, r)| {
            let (shared, cell, against) = ratio_sides(r);
            RowDoc {
                cells: vec![
                    r.comparison.title().to_owned(),
                    shared,
                    cell,
                    against,
                    r.metric.label().to_owned(),
                    format!("{}{}", format::ratio(&r.estimate), if zero_width(&r) { ZERO_WIDTH_MARK } else { "" }),
                ],
                published: false,
            }
        })
        .collect();
    let levels: Vec<f64> = analysis.ratios.iter().filter_map(|r| r.estimate.interval.map(|i| i.level)).collect();
    let coverage = match (levels.iter().copied().reduce(f64::min), levels.iter().copied().reduce(f64::max)) {
        (Some(low), Some(high)) if format::level_percent(low) == format::level_percent(high) => {
            format!(" Its exact coverage is {}.", format::level_percent(low))
        }
        (Some(low), Some(high)) => format!(
            " Its exact coverage is between {} and {}, depending on the two cells' n.",
            format::level_percent(low),
            format::level_percent(high)
        ),
        _ => String::new(),
    };
    let zero_width_note = if analysis.ratios.iter().any(|r| zero_width(&r)) {
        format!(
            " {ZERO_WIDTH_MARK} The interval has zero width at the digits shown: both cells' median intervals do (their replicates gave the same value; see the {ZERO_WIDTH_MARK} in the measure tables), so the ratio's bounds coincide."
        )
    } else {
        String::new()
    };
    TableDoc {
        id: "ratios".to_owned(),
        title: "Ratios".to_owned(),
        caption: format!(
            "Ratio of medians (cell / against) for cells that differ in one factor ({}), with what both cells share in its own column and each pair's metrics in one block, with a conservative {}% interval (each median's interval at 97.5%, Bonferroni).{coverage}{zero_width_note} Both cells of a ratio have weights of the same origin.{}",
            Comparison::ALL.iter().map(|c| c.title()).collect::<Vec<_>>().join("; "),
            format::level(LEVEL),
            synthetic_note(analysis.ratios.iter().any(|r| r.numerator.weights == WeightsOrigin::Synthetic))
        ),
        columns: ["Comparison", "Shared by both", "Cell", "Against", "Metric", &format!("Ratio [{}]", interval_header())].map(String::from).to_vec(),
        rows,
        empty_message: "No two cells differ in exactly one factor yet.".to_owned(),
        group_columns: 4,
        repeats: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_words() {
        let words = |items: &[&str]| join_words(&items.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(words(&[]), "");
        assert_eq!(words(&["a"]), "a");
        assert_eq!(words(&["a", "b", "c"]), "a, b and c");
    }

    #[test]
    fn coverage_is_given_per_n_as_percentages() {
        let levels = BTreeMap::from([(15, 0.9648437499999976), (8, 0.9921875)]);
        let note = levels_note(&levels);
        assert!(note.contains("at least 95%") && note.contains("99.2% with n = 8 and 96.5% with n = 15"), "{note}");
        assert_eq!(levels_note(&BTreeMap::new()), "");
        assert_eq!(interval_header(), "CI (≥ 95%)");
    }

    #[test]
    fn zero_width_note_counts_the_replicates_that_repeat() {
        assert_eq!(zero_width_note(Metric::PeakGpuMemory, &[]), "");
        let cells = [ZeroWidth { same: 15, n: 15, replicate: Replicate::Runs }, ZeroWidth { same: 15, n: 15, replicate: Replicate::Runs }];
        let note = zero_width_note(Metric::PeakGpuMemory, &cells);
        assert!(note.starts_with(" ‡ The interval has zero width") && note.contains("marked cells, 15 of 15 runs gave the same value;"), "{note}");
    }
}
