//! Per-run numbers grouped by cell, for the outlier warnings and the Markdown summary.
//!
//! A cell is what the report compares: one device, back-end, power mode and model file. A run's
//! numbers are its load time and peak memory, and the medians of its generations' TTFT and TPOT.

use std::collections::{BTreeMap, HashMap};

use super::rows::{Snapshot, StoredRow};
use crate::schema::v1::table;

/// One device × back-end × power mode × model file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellKey {
    pub device_label: String,
    pub backend: String,
    pub power_mode: Option<String>,
    pub model_name: String,
    pub model_sha256: String,
    /// The weight type (`Q8_0`, `BF16`), which tells apart files of one model in messages.
    pub model_file_type: Option<String>,
}

impl std::fmt::Display for CellKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} · {}", self.device_label, self.backend)?;
        if let Some(mode) = &self.power_mode {
            write!(f, " · {mode}")?;
        }
        write!(f, " · {}", self.model_name)?;
        match &self.model_file_type {
            Some(t) => write!(f, " ({t})"),
            None => Ok(()),
        }
    }
}

/// The numbers of one successful run.
#[derive(Debug, Clone)]
pub struct RunNumbers {
    pub cell: CellKey,
    /// Shard and row of the run, for messages.
    pub shard: String,
    pub row: u64,
    /// Values in [`METRICS`] order.
    pub values: [Option<f64>; 4],
}

/// The per-run metrics compared, with their units.
pub const METRICS: [(&str, &str); 4] =
    [("load_ms", "ms"), ("peak_rss_bytes", "bytes"), ("median ttft_ms", "ms"), ("median tpot_ms", "ms")];

/// Reads a named column of a stored row of `table_name`.
pub fn cell<'a>(table_name: &str, row: &'a StoredRow, column: &str) -> Option<&'a str> {
    let schema = table(table_name)?;
    let i = schema.columns.iter().position(|c| c.name == column)?;
    row.cells.get(i)?.as_deref()
}

/// The numbers of every `ok` run of `snapshot` whose id `keep` accepts.
pub fn run_numbers(snapshot: &Snapshot, keep: impl Fn(&str) -> bool) -> Vec<RunNumbers> {
    let (Some(runs), Some(generations)) = (snapshot.table("runs"), snapshot.table("generations")) else {
        return vec![];
    };
    let mut per_run: HashMap<&str, (Vec<f64>, Vec<f64>)> = HashMap::new();
    for stored in generations.by_id.values().filter_map(|v| v.first()) {
        let Some(run_id) = cell("generations", stored, "run_id") else { continue };
        if !keep(run_id) || cell("generations", stored, "status") != Some("ok") {
            continue;
        }
        let entry = per_run.entry(run_id).or_default();
        if let Some(v) = number(cell("generations", stored, "ttft_ms")) {
            entry.0.push(v);
        }
        if let Some(v) = number(cell("generations", stored, "tpot_ms")) {
            entry.1.push(v);
        }
    }
    let mut out = Vec::new();
    for (id, stored) in runs.by_id.iter().filter_map(|(id, v)| Some((id, v.first()?))) {
        if !keep(id) || cell("runs", stored, "status") != Some("ok") {
            continue;
        }
        let text = |c: &str| cell("runs", stored, c).map(str::to_owned);
        let cellkey = CellKey {
            device_label: text("device_label").unwrap_or_default(),
            backend: text("backend").unwrap_or_default(),
            power_mode: text("power_mode"),
            model_name: text("model_name").unwrap_or_default(),
            model_sha256: text("model_sha256").unwrap_or_default(),
            model_file_type: text("model_file_type"),
        };
        let (ttft, tpot) = per_run.remove(id.as_str()).unwrap_or_default();
        out.push(RunNumbers {
            cell: cellkey,
            shard: stored.shard.clone(),
            row: stored.row,
            values: [number(text("load_ms").as_deref()), number(text("peak_rss_bytes").as_deref()), median(ttft), median(tpot)],
        });
    }
    out.sort_by(|a, b| (&a.cell, &a.shard, a.row).cmp(&(&b.cell, &b.shard, b.row)));
    out
}

/// Runs grouped by cell.
pub fn by_cell(runs: &[RunNumbers]) -> BTreeMap<&CellKey, Vec<&RunNumbers>> {
    let mut cells: BTreeMap<&CellKey, Vec<&RunNumbers>> = BTreeMap::new();
    for r in runs {
        cells.entry(&r.cell).or_default().push(r);
    }
    cells
}

/// The values of metric `m` over `runs` (nulls skipped).
pub fn values(runs: &[&RunNumbers], m: usize) -> Vec<f64> {
    runs.iter().filter_map(|r| r.values[m]).collect()
}

fn number(text: Option<&str>) -> Option<f64> {
    text?.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The sample median (mean of the middle two for even n); None when empty.
pub fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }
}
