//! `dataset summary --markdown`: what a pull request adds, for a reviewer (and the CI job's
//! summary page): rows per table, and per cell the new runs' medians beside the base's.

use std::fmt::Write;

use super::cells::{METRICS, RunNumbers, by_cell, median, run_numbers, values};
use super::rows::Snapshot;
use crate::schema::v1::TABLES;

/// The Markdown summary of `head` against `base` (`base_label` names it: a commit, or None for a
/// summary of the whole dataset, every row being "new").
pub fn markdown(base: &Snapshot, head: &Snapshot, base_label: Option<&str>) -> String {
    let mut md = String::new();
    let in_base = |table: &str, id: &str| base.table(table).is_some_and(|t| t.by_id.contains_key(id));
    match base_label {
        Some(label) => writeln!(md, "## Dataset contribution against `{label}`\n").unwrap(),
        None => writeln!(md, "## Dataset summary\n").unwrap(),
    }
    writeln!(md, "| table | rows in base | rows added |\n|---|---:|---:|").unwrap();
    for schema in TABLES {
        let Some(rows) = head.table(schema.name) else { continue };
        let added: usize = rows.by_id.iter().filter(|(id, _)| !in_base(schema.name, id)).map(|(_, v)| v.len()).sum();
        let before = base.table(schema.name).map_or(0, |t| t.by_id.len());
        writeln!(md, "| {} | {before} | {added} |", schema.name).unwrap();
    }
    let base_runs = run_numbers(base, |_| true);
    let new_runs = run_numbers(head, |id| !in_base("runs", id));
    let base_cells = by_cell(&base_runs);
    let cells = by_cell(&new_runs);
    if cells.is_empty() {
        writeln!(md, "\nNo successful runs added.").unwrap();
        return md;
    }
    writeln!(md, "\nPer cell: the median over the added runs (each run's own value; TTFT and TPOT are the median over its prompts), then the base's median for the same cell and the ratio added / base.\n").unwrap();
    let header: Vec<&str> = METRICS.iter().map(|(n, _)| *n).collect();
    writeln!(md, "| cell | runs added | runs in base | {} |", header.join(" | ")).unwrap();
    writeln!(md, "|---|---:|---:|{}", "---|".repeat(METRICS.len())).unwrap();
    for (cell, new) in cells {
        let old: Vec<&RunNumbers> = base_cells.get(cell).cloned().unwrap_or_default();
        let mut row = format!("| {} | {} | {} |", escape(&cell.to_string()), new.len(), old.len());
        for (m, (_, unit)) in METRICS.iter().enumerate() {
            let now = median(values(&new, m));
            let was = median(values(&old, m));
            let text = match (now, was) {
                (None, _) => "–".to_owned(),
                (Some(n), None) => format!("{} {unit} (new cell)", num(n)),
                (Some(n), Some(w)) if w > 0.0 => format!("{} vs {} {unit} ({:.2}×)", num(n), num(w), n / w),
                (Some(n), Some(w)) => format!("{} vs {} {unit}", num(n), num(w)),
            };
            write!(row, " {text} |").unwrap();
        }
        writeln!(md, "{row}").unwrap();
    }
    md
}

fn num(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

/// Table cells must not contain `|` or line breaks.
fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}
