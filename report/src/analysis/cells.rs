//! Cells from runs: each cell's per-run values, the replicate each metric is over, and what the
//! cell's generations say besides (outputs across runs, stop reasons, token counts, why power is
//! absent).

use std::collections::{BTreeMap, BTreeSet};

use edgebench_dataset::schema::v1::RunStatus;

use super::replication::PromptTable;
use super::{Cell, CellKey, Conditions, Outputs};
use crate::load::{Dataset, StopCounts};
use crate::metrics::{Metric, Replicate};
use crate::stats::{self, LEVEL};

/// What a cell gathers from its runs before its medians are taken.
#[derive(Default)]
struct Gathered {
    prompts: PromptTable,
    prompt_tokens: Vec<f64>,
    output_tokens: Vec<f64>,
}

pub(super) fn cells(data: &Dataset) -> Vec<Cell> {
    let mut by_key: BTreeMap<CellKey, (Cell, Gathered)> = BTreeMap::new();
    for run in &data.runs {
        let key = CellKey::of_run(run);
        let (cell, gathered) = by_key.entry(key.clone()).or_insert_with(|| (empty(key), Gathered::default()));
        if run.status != RunStatus::Ok {
            cell.runs_failed += 1;
            *cell.failures.entry(run.status.as_str().to_owned()).or_default() += 1;
            continue;
        }
        cell.runs_ok += 1;
        cell.protocols.insert(run.protocol.as_str().to_owned());
        cell.conditions.add_run(run);
        if let Some(reason) = &run.power_null_reason {
            cell.power_null_reasons.insert(reason.clone());
        }
        let totals = data.run_totals.get(run.run_id.as_str());
        for metric in Metric::ALL {
            if let Some(v) = metric.of_run(run, totals) {
                cell.values.entry(metric).or_default().push(v);
            }
        }
        if let Some(t) = totals {
            cell.stops.add(&t.detail.stops);
            gathered.prompt_tokens.extend(t.detail.prompt_tokens.mean());
            gathered.output_tokens.extend(t.detail.output_tokens.mean());
            gathered.prompts.add_run(&t.detail.prompts);
        }
    }
    by_key.into_values().map(|(cell, gathered)| finish(cell, gathered)).collect()
}

fn empty(key: CellKey) -> Cell {
    Cell {
        key,
        runs_ok: 0,
        runs_failed: 0,
        failures: BTreeMap::new(),
        protocols: BTreeSet::new(),
        estimates: BTreeMap::new(),
        replicates: BTreeMap::new(),
        values: BTreeMap::new(),
        outputs: Outputs::Unknown { runs: 0 },
        stops: StopCounts::default(),
        prompt_tokens: None,
        output_tokens: None,
        conditions: Conditions::default(),
        power_null_reasons: BTreeSet::new(),
    }
}

/// Chooses each metric's replicate and takes the medians.
fn finish(mut cell: Cell, gathered: Gathered) -> Cell {
    cell.outputs = gathered.prompts.outputs();
    let repeat = cell.outputs.repeat();
    for metric in Metric::ALL {
        let replicate = metric.replicate(repeat);
        cell.replicates.insert(metric, replicate);
        // Over prompts, the per-run values are one number n times over: the observations are
        // the prompts'. A metric without per-run values (one that does not apply to the cell's
        // weights) stays absent.
        if replicate == Replicate::Prompts && cell.values.contains_key(&metric) {
            debug_assert_eq!(metric, Metric::Relevance, "only relevance is over prompts");
            cell.values.insert(metric, gathered.prompts.relevance_per_prompt());
        }
    }
    // Runs are read in shard order; sort so that nothing depends on it.
    for values in cell.values.values_mut() {
        values.sort_by(f64::total_cmp);
    }
    cell.values.retain(|_, v| !v.is_empty());
    cell.replicates.retain(|m, _| cell.values.contains_key(m));
    cell.estimates = cell.values.iter().filter_map(|(m, v)| stats::median(v, LEVEL).map(|e| (*m, e))).collect();
    cell.prompt_tokens = stats::median(&gathered.prompt_tokens, LEVEL);
    cell.output_tokens = stats::median(&gathered.output_tokens, LEVEL);
    cell
}
