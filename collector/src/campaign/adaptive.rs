//! The campaign's side of `collect run --reps auto` ([`crate::repetitions`]): a cell's runs so far,
//! the rule and its decision written into each new run's row before it is committed, and the
//! cell's outcome for the summary.
//!
//! Runs already stored count toward the rule, as they count toward a fixed number of repetitions:
//! re-running an interrupted campaign goes on from where the cell stood. Their values are read back
//! from the dataset once per cell, in a projected scan of the cell's partition (five columns of its
//! runs, four of its generations), and only when one of its planned runs is stored.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use edgebench_dataset::Table;
use edgebench_dataset::manifest::Manifest;
use edgebench_dataset::schema::v1::{Generation, GenerationStatus, RepetitionDecision, Run, RunStatus};
use edgebench_dataset::schema::{Sha256Hex, Text};
use edgebench_dataset::store::{Store, scan_columns};

use crate::repetitions::{Cell, MetricStatus, RepetitionRule, RunValues};

/// How one cell ended under the rule, for the summary.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CellOutcome {
    pub model: String,
    /// Runs of the cell, failed and earlier-stored ones included.
    pub runs: u32,
    pub decision: String,
    pub metrics: Vec<MetricStatus>,
}

/// One cell under the rule.
pub(super) struct CellRule<'a> {
    rule: &'a RepetitionRule,
    rule_json: Text,
    cell: Cell,
    stored: HashMap<Sha256Hex, RunValues>,
}

impl<'a> CellRule<'a> {
    /// The cell of `planned` (its runs `0..max`, ids computed), with the values of those stored.
    pub(super) fn new(rule: &'a RepetitionRule, store: &mut Store, root: &Path, planned: &[Run]) -> Result<Self, String> {
        Ok(CellRule { rule, rule_json: Text(rule.to_json()), cell: Cell::default(), stored: stored_values(store, root, planned)? })
    }

    /// Whether the rule has ended the cell (target met or maximum reached).
    pub(super) fn stopped(&self) -> bool {
        self.cell.runs() > 0 && self.cell.decide(self.rule) != RepetitionDecision::Continue
    }

    /// Counts a stored run (one the scan did not find, or a failed one, gives no value).
    pub(super) fn stored(&mut self, run_id: &Sha256Hex) {
        let values = self.stored.get(run_id).cloned().unwrap_or_default();
        self.cell.push(&values);
    }

    /// Counts a new run and writes the rule and its decision into the run's row.
    pub(super) fn decide(&mut self, run: &mut Run, generations: &[Generation]) {
        self.cell.push(&RunValues::of_run(run, generations));
        run.repetition_rule = Some(self.rule_json.clone());
        run.repetition_decision = Some(self.cell.decide(self.rule));
    }

    pub(super) fn outcome(&self, model: String) -> CellOutcome {
        CellOutcome {
            model,
            runs: self.cell.runs(),
            decision: self.cell.decide(self.rule).to_string(),
            metrics: self.cell.statuses(self.rule),
        }
    }
}

#[derive(serde::Deserialize)]
struct RunColumns {
    run_id: Sha256Hex,
    status: String,
    load_ms: Option<f64>,
    peak_rss_bytes: Option<u64>,
    peak_gpu_memory_bytes: Option<u64>,
}

#[derive(serde::Deserialize)]
struct GenerationColumns {
    run_id: Sha256Hex,
    status: String,
    ttft_ms: Option<f64>,
    tpot_ms: Option<f64>,
}

/// The rule's values of the planned runs that are stored already.
fn stored_values(store: &mut Store, root: &Path, planned: &[Run]) -> Result<HashMap<Sha256Hex, RunValues>, String> {
    let existing = store.existing_ids::<Run>().map_err(|e| e.to_string())?;
    let stored: HashSet<&Sha256Hex> = planned.iter().map(|r| &r.run_id).filter(|id| existing.contains(*id)).collect();
    if stored.is_empty() {
        return Ok(HashMap::new());
    }
    let prefixes: Vec<String> = planned
        .iter()
        .map(|r| r.partition())
        .flat_map(|(device, model)| ["runs", "generations"].map(|table| format!("{table}/device={device}/model={model}/")))
        .collect();
    let shards = store.manifest().shards.iter().filter(|e| prefixes.iter().any(|p| e.path.starts_with(p))).cloned().collect();
    let partition = Manifest { shards, ..Manifest::default() };
    let runs: Vec<RunColumns> =
        scan_columns(root, &partition, "runs", &["run_id", "status", "load_ms", "peak_rss_bytes", "peak_gpu_memory_bytes"]).map_err(|e| e.to_string())?;
    let generations: Vec<GenerationColumns> =
        scan_columns(root, &partition, "generations", &["run_id", "status", "ttft_ms", "tpot_ms"]).map_err(|e| e.to_string())?;
    let mut ok_generations: HashMap<&Sha256Hex, Vec<&GenerationColumns>> = HashMap::new();
    for g in generations.iter().filter(|g| stored.contains(&g.run_id) && g.status == GenerationStatus::Ok.as_str()) {
        ok_generations.entry(&g.run_id).or_default().push(g);
    }
    Ok(runs
        .iter()
        .filter(|r| stored.contains(&r.run_id))
        .map(|r| {
            let gens = ok_generations.get(&r.run_id).map_or(&[][..], Vec::as_slice);
            let values = RunValues::from_parts(
                r.status == RunStatus::Ok.as_str(),
                r.load_ms,
                r.peak_rss_bytes,
                r.peak_gpu_memory_bytes,
                gens.iter().map(|g| g.ttft_ms),
                gens.iter().map(|g| g.tpot_ms),
            );
            (r.run_id.clone(), values)
        })
        .collect())
}
