//! The committed dataset's per-cell medians, kept beside it (`dataset/tables/medians.csv`) for
//! readers who want the numbers without building anything: they must be exactly what `report
//! build` writes, and what the downstream recipe (`dataset/recipes/cell_medians.sql`, DuckDB)
//! computes from the Parquet files.
//!
//! Needs a Python with duckdb for the second test: `EDGEBENCH_PYTHON`, which the README's test
//! command (`scripts/test.sh`) sets after installing `scripts/requirements-test.txt`.

use std::path::Path;
use std::process::Command;

const REGENERATE: &str = "regenerate it: `cargo run -p report -- build --out out && cp out/tables/medians.csv dataset/tables/medians.csv`";

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

#[test]
fn the_committed_medians_are_what_report_build_writes() {
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_report"))
        .args(["build", "--dataset"])
        .arg(workspace().join("dataset"))
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "report build failed:\n{}", String::from_utf8_lossy(&o.stderr));
    let built = std::fs::read_to_string(out.path().join("tables/medians.csv")).unwrap();
    let committed = std::fs::read_to_string(workspace().join("dataset/tables/medians.csv"))
        .unwrap_or_else(|e| panic!("dataset/tables/medians.csv: {e}; {REGENERATE}"));
    assert!(built.lines().count() > 50, "the committed dataset has dozens of cell × metric medians:\n{built}");
    if built != committed {
        let first = built.lines().zip(committed.lines()).position(|(a, b)| a != b);
        panic!(
            "dataset/tables/medians.csv differs from what report build writes (first differing line: {first:?}; {} lines built, {} committed); {REGENERATE}",
            built.lines().count(),
            committed.lines().count()
        );
    }
}

#[test]
fn the_duckdb_recipe_computes_the_committed_medians() {
    let python = std::env::var("EDGEBENCH_PYTHON").unwrap_or_else(|_| {
        panic!("EDGEBENCH_PYTHON is not set: run the tests with `bash scripts/test.sh`, which installs duckdb into a virtual environment and sets it")
    });
    let o = Command::new(python)
        .current_dir(workspace())
        .args(["scripts/bench_report_duckdb.py", "dataset", "dataset/tables/medians.csv", "0"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "the recipe disagrees with dataset/tables/medians.csv:\n{text}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(text.contains("mismatches=0") && !text.contains("compared=0 "), "{text}");
}
