//! The unit of replication (issue 15): relevance is over prompts where a cell's runs repeat their
//! outputs (greedy decoding), over runs where they differ (sampling), and an interval over runs is
//! never reported for a relevance whose repetitions are identical, on a dataset built for it, on
//! the report's fixture and on the committed dataset. Also what the tables and the energy figure
//! say beside the medians: stop reasons, and a cell without energy listed with its reason.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use edgebench_dataset::fixtures;
use edgebench_dataset::schema::Sha256Hex;
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::{Store, Table};
use edgebench_report::analysis::{Analysis, Cell, Outputs, analyse};
use edgebench_report::load::Dataset;
use edgebench_report::metrics::{Metric, Replicate};

const BOX: &str = "Test box";
const GREEDY: &str = "Greedy";
const SAMPLED: &str = "Sampled";
const RUNS: u32 = 6;
const PROMPTS: u32 = 7;
const NO_SENSOR: &str = "no power sensor on this test box";

/// Two cells on one device: `Greedy` answers each prompt with the same text in every run (and so
/// scores the same relevance), `Sampled` answers prompt 0 differently in every run and has no
/// power sensor.
fn write_dataset(root: &Path) {
    let mut runs = Vec::new();
    let mut generations = Vec::new();
    for model in [GREEDY, SAMPLED] {
        for rep in 0..RUNS {
            let mut run = fixtures::run(BOX, Backend::Cpu, None, model, rep);
            run.model_sha256 = Sha256Hex::of(model.as_bytes());
            run.n_prompts = PROMPTS;
            run.load_ms = Some(100.0 + f64::from(rep));
            if model == SAMPLED {
                (run.mean_power_w, run.energy_j, run.power_source, run.energy_method) = (None, None, None, None);
                run.power_null_reason = Some(NO_SENSOR.into());
            }
            run.run_id = run.compute_id();
            for p in 0..PROMPTS {
                let mut g = fixtures::generation(&run, p);
                let sampled = model == SAMPLED && p == 0;
                let text = if sampled { format!("sampled answer {rep}") } else { format!("answer to {p}") };
                g.output_sha256 = Some(Sha256Hex::of(text.as_bytes()));
                g.output_text = Some(text.into());
                g.stop_reason = Some(if p < 3 { StopReason::MaxTokens } else { StopReason::Eos });
                g.relevance = Some(if sampled { 0.2 + 0.1 * f64::from(rep) } else { 0.4 + 0.05 * f64::from(p) });
                g.relevance_model = Some("all-MiniLM-L6-v2 (test)".into());
                g.relevance_model_sha256 = Some(Sha256Hex::of(b"scorer"));
                if model == SAMPLED {
                    (g.mean_power_w, g.energy_j, g.energy_per_output_token_j, g.energy_method) = (None, None, None, None);
                    g.power_null_reason = Some(NO_SENSOR.into());
                }
                g.generation_id = g.compute_id();
                generations.push(g);
            }
            runs.push(run);
        }
    }
    let (mut store, _) = Store::open(root).unwrap();
    let mut batch = edgebench_dataset::store::WriteBatch::default();
    store.stage(&mut batch, runs).unwrap();
    store.stage(&mut batch, generations).unwrap();
    store.commit(batch).unwrap();
}

fn cell<'a>(a: &'a Analysis, model: &str) -> &'a Cell {
    a.cells.iter().find(|c| c.key.model == model).unwrap_or_else(|| panic!("no cell {model}"))
}

fn build(dataset: &Path, out: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_report")).args(["build", "--dataset"]).arg(dataset).arg("--out").arg(out).output().unwrap();
    assert!(o.status.success(), "report build failed: {}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn relevance_is_over_prompts_where_outputs_repeat_and_over_runs_where_they_differ() {
    let dir = tempfile::tempdir().unwrap();
    write_dataset(dir.path());
    let a = analyse(&Dataset::load(dir.path()).unwrap());

    let greedy = cell(&a, GREEDY);
    assert_eq!(greedy.outputs, Outputs::Repeat { runs: RUNS as usize, compared: PROMPTS as usize });
    assert_eq!(greedy.replicates[&Metric::Relevance], Replicate::Prompts);
    let r = &greedy.estimates[&Metric::Relevance];
    // Seven prompts, 0.40 to 0.70: median 0.55, interval [x(1), x(7)] at 98.4 %. Over runs it
    // would have been 0.55 [0.55, 0.55].
    assert_eq!(r.n, PROMPTS as usize);
    assert!((r.median - 0.55).abs() < 1e-12, "{r:?}");
    let i = r.interval.expect("seven prompts give an interval");
    assert!((i.low - 0.4).abs() < 1e-12 && (i.high - 0.7).abs() < 1e-12, "{i:?}");
    // Every other metric stays over runs.
    for m in [Metric::LoadMs, Metric::TpotMs, Metric::EnergyPerOutputTokenJ] {
        assert_eq!((greedy.replicates[&m], greedy.estimates[&m].n), (Replicate::Runs, RUNS as usize), "{m:?}");
    }

    let sampled = cell(&a, SAMPLED);
    assert_eq!(sampled.outputs, Outputs::Differ { runs: RUNS as usize, compared: PROMPTS as usize, differing: 1 });
    assert_eq!(sampled.replicates[&Metric::Relevance], Replicate::Runs);
    assert_eq!(sampled.estimates[&Metric::Relevance].n, RUNS as usize);
    assert!(!sampled.estimates.contains_key(&Metric::EnergyPerOutputTokenJ));

    let out = tempfile::tempdir().unwrap();
    build(dir.path(), out.path());
    let read = |f: &str| std::fs::read_to_string(out.path().join(f)).unwrap();
    let medians = read("tables/medians.csv");
    let relevance_row = |model: &str| medians.lines().find(|l| l.contains(&format!(",{model},")) && l.contains(",relevance,")).unwrap().to_owned();
    assert!(relevance_row(GREEDY).contains(",relevance,cosine,prompts,7,0.5"), "{medians}");
    assert!(relevance_row(GREEDY).ends_with(",true,0.42857142857142855,0.5714285714285714"), "{medians}");
    assert!(relevance_row(SAMPLED).contains(",relevance,cosine,runs,6,"), "{medians}");
    assert!(relevance_row(SAMPLED).contains(",false,"), "{medians}");

    let table = read("tables/relevance.csv");
    assert!(table.contains("same in 6 runs") && table.contains("differ for 1 of 7 prompts"), "{table}");
    let html = read("index.html");
    assert!(
        html.contains("outputs differ between runs in 1: Test box · cpu · quick protocol, Sampled (Q4_1) (differ for 1 of 7 prompts)"),
        "the methods say which cell"
    );
    assert!(html.contains("<td>prompts when every run gives each prompt the same output"), "the methods table gives relevance's replicate");
    let tpot = read("tables/tpot_ms.csv");
    let header = tpot.lines().next().unwrap_or_default();
    assert!(header.starts_with("Device,Back-end,Mode,Protocol,Model,n,Replicate,Median (ms/token),"), "{tpot}");
    // Beside TPOT: how generations stopped, then the prompt and output lengths behind the numbers.
    assert!(header.contains(",Stopped at cap,Stopped at end,Prompt tokens,Output tokens,"), "{tpot}");
    assert!(tpot.contains(",42.9%,57.1%,"), "three of seven prompts stop at the cap: {tpot}");

    // Energy: the cell with a sensor is a point of the figure; the other is listed with its reason.
    let energy = read("tables/energy.csv");
    let row = |model: &str| energy.lines().find(|l| l.contains(&format!(",{model} ("))).unwrap().to_owned();
    assert!(row(SAMPLED).contains(&format!("no energy: {NO_SENSOR}")), "{energy}");
    assert!(row(GREEDY).contains("absent: no prefill energy") && !row(GREEDY).contains("no energy:"), "{energy}");
    let svg = read("figures/energy_tpot.svg");
    assert!(svg.contains("1 Greedy (Q4_1), Test box · cpu · quick protocol") && !svg.contains(SAMPLED), "{svg}");
    assert!(html.contains("Energy per prompt token is not reported"));
}

/// Per cell (as the report forms them), each completed run's relevance: the mean over its scored
/// prompts, exactly as a report over runs would take it.
fn per_run_relevance(data: &Dataset, a: &Analysis) -> Vec<(String, Vec<f64>)> {
    let mut by_cell: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for run in data.runs.iter().filter(|r| r.status == RunStatus::Ok) {
        let Some(v) = Metric::Relevance.of_run(run, data.run_totals.get(run.run_id.as_str())) else { continue };
        let cell = a
            .cells
            .iter()
            .find(|c| {
                c.key.device == run.device_label
                    && c.key.backend == run.backend
                    && c.key.power_mode == run.power_mode
                    && c.key.protocol == Some(run.protocol)
                    && c.key.model == run.model_name
                    && c.key.quantization == run.model_file_type
                    && c.key.weights == run.weights()
            })
            .expect("every run is in a cell");
        by_cell.entry(format!("{:?}", cell.key)).or_default().push(v);
    }
    by_cell.into_iter().collect()
}

/// The acceptance test: wherever every run of a cell has the same relevance (its outputs repeat),
/// the report's relevance is over prompts, never an interval over runs. "The same" up to the last
/// bits: a run's mean is summed in its rows' order, which shards sort by generation id.
fn no_interval_over_runs_for_identical_repetitions(root: &Path) -> usize {
    let data = Dataset::load(root).unwrap();
    let a = analyse(&data);
    let mut identical = 0;
    for (key, values) in per_run_relevance(&data, &a) {
        let cell = a.cells.iter().find(|c| format!("{:?}", c.key) == key).unwrap();
        if values.len() >= 2 && values.iter().all(|v| (v - values[0]).abs() <= 1e-12 * values[0].abs()) {
            identical += 1;
            assert_eq!(cell.replicates[&Metric::Relevance], Replicate::Prompts, "{key}: identical repetitions reported over runs");
            assert!(cell.outputs.repeat(), "{key}");
        }
        if cell.replicates[&Metric::Relevance] == Replicate::Runs {
            assert!(!cell.outputs.repeat(), "{key}: outputs repeat, yet relevance is over runs");
        }
    }
    identical
}

#[test]
fn an_interval_over_runs_is_never_reported_for_relevance_whose_repetitions_are_identical() {
    let dir = tempfile::tempdir().unwrap();
    write_dataset(dir.path());
    assert_eq!(no_interval_over_runs_for_identical_repetitions(dir.path()), 1);

    let fixture = tempfile::tempdir().unwrap();
    common::write_fixture_dataset(fixture.path());
    assert_eq!(no_interval_over_runs_for_identical_repetitions(fixture.path()), 6, "every fixture cell repeats its outputs");

    // The committed dataset: greedy decoding on four trained cells, each of 15 runs of 50 prompts.
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().join("dataset");
    assert_eq!(no_interval_over_runs_for_identical_repetitions(&committed), 4);
    let a = analyse(&Dataset::load(&committed).unwrap());
    for c in a.cells.iter().filter(|c| c.estimates.contains_key(&Metric::Relevance)) {
        assert_eq!((c.replicates[&Metric::Relevance], c.estimates[&Metric::Relevance].n), (Replicate::Prompts, 50), "{:?}", c.key);
    }
}
