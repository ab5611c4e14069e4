//! Warnings, not errors: new runs whose numbers are far from what the base holds for the same
//! cell, or, for a cell the base lacks, for the same model file on any device.
//!
//! The comparison is of medians (the new runs' against the base's), by ratio: a factor of
//! [`CELL_FACTOR`] within a cell is far beyond run-to-run noise on any device we measured, while
//! across devices a model's numbers legitimately differ by more, hence [`MODEL_FACTOR`].

use super::cells::{METRICS, RunNumbers, by_cell, median, run_numbers, values};
use super::rows::Snapshot;
use super::{Finding, Severity, finding};

/// Ratio of medians, within one cell, beyond which new runs are flagged.
pub const CELL_FACTOR: f64 = 3.0;
/// Ratio of medians, against the same model file on other cells, beyond which new runs are flagged.
pub const MODEL_FACTOR: f64 = 10.0;
/// Fewest base runs a comparison needs.
const MIN_BASE_RUNS: usize = 3;

pub fn warn(base: &Snapshot, head: &Snapshot, at: &dyn Fn(&str) -> String, out: &mut Vec<Finding>) {
    let in_base = |id: &str| base.table("runs").is_some_and(|t| t.by_id.contains_key(id));
    let base_runs = run_numbers(base, |_| true);
    let new_runs = run_numbers(head, |id| !in_base(id));
    let base_cells = by_cell(&base_runs);
    for (cell, new) in by_cell(&new_runs) {
        let same_cell: Vec<&RunNumbers> = base_cells.get(cell).cloned().unwrap_or_default();
        let (reference, factor, against): (Vec<&RunNumbers>, f64, String) = if same_cell.len() >= MIN_BASE_RUNS {
            (same_cell, CELL_FACTOR, "the same cell".into())
        } else {
            let same_model: Vec<&RunNumbers> = base_runs.iter().filter(|r| r.cell.model_sha256 == cell.model_sha256).collect();
            (same_model, MODEL_FACTOR, format!("model file {} on any device", super::compare::short(&cell.model_sha256)))
        };
        if reference.len() < MIN_BASE_RUNS {
            continue;
        }
        for (m, (name, unit)) in METRICS.iter().enumerate() {
            let old = values(&reference, m);
            let (Some(new_median), Some(old_median)) = (median(values(&new, m)), median(old.clone())) else { continue };
            if old.len() < MIN_BASE_RUNS || old_median <= 0.0 || new_median <= 0.0 {
                continue;
            }
            let ratio = new_median / old_median;
            if ratio > factor || ratio < 1.0 / factor {
                let lo = old.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = old.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let message = format!(
                    "cell {cell}: {name} of the {} new run(s) has median {} {unit}, {ratio:.2}× the median {} {unit} of {} base run(s) of {against} (range {}–{})",
                    new.len(), num(new_median), num(old_median), old.len(), num(lo), num(hi)
                );
                let fix = "a warning, not a rejection: check the device state, build and settings of these runs; if the numbers are real, say why in the pull request";
                out.push(finding(Severity::Warning, at(&new[0].shard), None, None, message, fix));
            }
        }
    }
}

/// Four significant digits, for messages.
fn num(v: f64) -> String {
    if v.abs() >= 1000.0 { format!("{v:.0}") } else { format!("{v:.4}").trim_end_matches('0').trim_end_matches('.').to_owned() }
}
