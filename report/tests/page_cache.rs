//! Cold and warm starts (issue 15): runs whose model file was out of the page cache when they
//! started are never pooled with runs that found it cached, and every label says which is which.
//! Rows before schema 1.4 (no `model_resident_fraction`) stay one cell, unlabelled.

use std::process::Command;

use edgebench_dataset::fixtures;
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::{Store, Table};
use edgebench_report::analysis::{PageCache, analyse};
use edgebench_report::load::Dataset;

#[test]
fn cold_and_warm_runs_are_separate_cells_with_their_labels() {
    let dir = tempfile::tempdir().unwrap();
    let mut runs = Vec::new();
    // Six runs each: cold (nothing resident, slow loads), warm (all resident), and six of an
    // older writer that did not record it.
    for (rep, fraction, load_ms) in (0..18u32).map(|i| match i / 6 {
        0 => (i, Some(0.0), 900.0 + f64::from(i)),
        1 => (i, Some(1.0), 200.0 + f64::from(i)),
        _ => (i, None, 500.0 + f64::from(i)),
    }) {
        let mut run = fixtures::run("Test box", Backend::Cpu, None, "SmolLM2 135M", rep);
        run.model_resident_fraction = fraction;
        run.model_resident_null_reason = fraction.is_none().then(|| "not recorded".into());
        run.load_ms = Some(load_ms);
        run.run_id = run.compute_id();
        runs.push(run);
    }
    let generations: Vec<Generation> = runs.iter().flat_map(|r| (0..3).map(move |i| fixtures::generation(r, i))).collect();
    let (mut store, _) = Store::open(dir.path()).unwrap();
    store.append(runs).unwrap();
    store.append(generations).unwrap();
    drop(store);

    let a = analyse(&Dataset::load(dir.path()).unwrap());
    let mut states: Vec<(Option<PageCache>, usize)> = a.cells.iter().map(|c| (c.key.page_cache, c.runs_ok)).collect();
    states.sort();
    assert_eq!(states, vec![(None, 6), (Some(PageCache::Cold), 6), (Some(PageCache::Warm), 6)]);
    let labels: Vec<String> = a.cells.iter().map(|c| c.key.platform().label()).collect();
    assert!(labels.iter().any(|l| l.ends_with("· cold start")), "{labels:?}");
    assert!(labels.iter().any(|l| l.ends_with("· warm start")), "{labels:?}");
    assert!(labels.contains(&"Test box · cpu · quick protocol".to_owned()), "{labels:?}");

    let out = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_report")).arg("build").arg("--dataset").arg(dir.path()).arg("--out").arg(out.path()).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(out.path().join("tables/medians.csv")).unwrap();
    let load: Vec<&str> = csv.lines().filter(|l| l.contains(",load_ms,")).collect();
    assert_eq!(load.len(), 3, "{csv}");
    for (state, median) in [("cold", "902.5"), ("warm", "208.5"), ("", "514.5")] {
        assert!(
            load.iter().any(|l| l.contains(&format!(",trained,{state},load_ms,ms,runs,6,{median},"))),
            "no {state:?} load_ms median {median} in:\n{}",
            load.join("\n")
        );
    }
}
