//! The dataset as a package, checked with the real tools: `croissant.json` with `mlcroissant
//! validate`, `CITATION.cff` with `cffconvert --validate`, and every table loaded in one line
//! (the lines the card shows, `package::RECIPES`) by pandas, Polars, DuckDB, pyarrow and Hugging
//! Face `datasets`, both in the committed dataset and in a dataset whose tables mix schema versions
//! or have no rows. Partition slugs of labels that readers like to mis-type (`inf`, `true`,
//! `2026-01-01`...) read back as strings.
//!
//! Needs a Python with those packages: `EDGEBENCH_PYTHON`, which the README's test command
//! (`scripts/test.sh`) sets after installing `scripts/requirements-test.txt`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use edgebench_dataset::fixtures;
use edgebench_dataset::ids::slug;
use edgebench_dataset::manifest::Manifest;
use edgebench_dataset::package::{self, HF_STREAMING, PARTITION_COLUMNS, RECIPES, Recipe};
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::shard::Limits;
use edgebench_dataset::{Store, validate};
use serde_json::{Value, json};

fn python() -> String {
    std::env::var("EDGEBENCH_PYTHON").unwrap_or_else(|_| {
        panic!(
            "EDGEBENCH_PYTHON is not set: run the tests with `bash scripts/test.sh`, which installs \
             the Python test packages (scripts/requirements-test.txt) into a virtual environment and sets it"
        )
    })
}

/// A command-line tool installed beside the Python interpreter (the virtual environment's `bin/`).
fn venv_tool(name: &str) -> PathBuf {
    Path::new(&python()).with_file_name(name)
}

fn committed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Runs `tests/package.py <mode>` with `input` as JSON on its standard input; its JSON output.
fn package_py(mode: &str, input: &Value) -> Value {
    use std::io::Write;
    let hf_home = tempfile::tempdir().unwrap();
    let script = committed().join("tests/package.py");
    let mut child = Command::new(python())
        .arg(&script)
        .arg(mode)
        // `datasets` caches what it loads; keep that out of the user's cache, and off the network.
        .env("HF_HOME", hf_home.path())
        .env("HF_HUB_OFFLINE", "1")
        .env("HF_DATASETS_OFFLINE", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "package.py {mode} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn generated_package_files_match_the_code() {
    let stale = package::stale(&committed());
    assert!(stale.is_empty(), "run `cargo run -p dataset -- schema --write`; stale: {stale:?}");
    // The committed dataset is a release: its version and day are in the manifest, and so in the
    // package files.
    let manifest = Manifest::load(&committed().join("v1/MANIFEST.json")).unwrap();
    let release = package::Release::of(&manifest).expect("the committed manifest names its release");
    for file in ["croissant.json", "CITATION.cff", "README.md"] {
        let text = std::fs::read_to_string(committed().join(file)).unwrap();
        assert!(text.contains(&release.version) && text.contains(&release.date), "{file} lacks the release");
    }
    // The card's configurations take only the shards: the crate's own files sit beside them.
    let card = std::fs::read_to_string(committed().join("README.md")).unwrap();
    for t in TABLES {
        assert!(card.contains(&format!("path: \"v1/{}/**/*.parquet\"", t.name)), "{}", t.name);
    }
}

#[test]
fn croissant_json_passes_mlcroissant_validate() {
    let out = Command::new(venv_tool("mlcroissant"))
        .args(["validate", "--jsonld"])
        .arg(committed().join("croissant.json"))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "mlcroissant validate failed:\n{log}");
    // Warnings are reported but do not fail the command: require none.
    assert!(!log.contains("warning(s)") && !log.contains("WARNING"), "mlcroissant warned:\n{log}");
}

/// Croissant's own reader follows `croissant.json` to the rows: its file sets find the shards, its
/// fields name their columns, and its references join (`kernels.run_id` → `runs`). What mlcroissant
/// 1.1 cannot read is left out, as the card says: a table of several schema versions (it reads
/// shard by shard) and a reference column null in every row.
#[test]
fn mlcroissant_reads_every_table_through_croissant_json() {
    let dir = tempfile::tempdir().unwrap();
    let common::Sample { runs, generations, mut kernels, microbench, published } = common::sample();
    for k in &mut kernels {
        k.run_id = Some(runs[0].run_id.clone());
    }
    {
        let (mut store, _) = Store::open(dir.path()).unwrap();
        store.append(runs).unwrap();
        store.append(generations).unwrap();
        store.append(kernels).unwrap();
        store.append(microbench).unwrap();
        store.append(published).unwrap();
    }
    package::write(dir.path()).unwrap();
    let mlcroissant = Recipe {
        library: "mlcroissant",
        imports: "import mlcroissant as mlc",
        line: r#"list(mlc.Dataset("{dir}/croissant.json").records("{table}"))"#,
    };
    let tables: Vec<Value> = TABLES.iter().map(|t| json!({"table": t.name, "id": t.id_column, "column": "schema_version"})).collect();
    let recipes = json!([{"library": mlcroissant.library, "imports": mlcroissant.imports, "line": mlcroissant.line}]);
    let read = package_py("load", &json!({"recipes": recipes, "datasets": [{"dir": dir.path(), "tables": tables, "count_only": true}]}));
    let manifest = common::load_manifest(dir.path());
    for t in TABLES {
        let got = &read[dir.path().to_str().unwrap()][t.name]["mlcroissant"];
        assert!(got["error"].is_null(), "mlcroissant on `{}`: {}", t.name, got["error"]);
        let rows: u64 = manifest.shards.iter().filter(|s| s.table == t.name).map(|s| s.rows).sum();
        assert_eq!(got["count"], rows, "{}", t.name);
        let mut columns: Vec<&str> = got["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        columns.sort();
        let mut expected: Vec<&str> = t.columns.iter().map(|c| c.name).collect();
        expected.sort();
        assert_eq!(columns, expected, "{}", t.name);
    }
}

#[test]
fn citation_cff_passes_cffconvert_validate() {
    let out = Command::new(venv_tool("cffconvert"))
        .args(["--validate", "-i"])
        .arg(committed().join("CITATION.cff"))
        .output()
        .unwrap();
    assert!(out.status.success(), "cffconvert --validate failed:\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(committed().join("CITATION.cff")).unwrap();
    assert!(text.contains("\ntype: dataset\n") && text.contains("\nlicense: CC-BY-4.0\n"));
}

/// What `package.py load` should find in one table: its rows as `[id, schema_version, column]`
/// (sorted by id) for the given `column`.
struct Expected {
    table: &'static str,
    column: &'static str,
    rows: Vec<Value>,
}

/// A dataset whose `runs`, `generations` and `kernels` hold shards of two schema versions (the old
/// ones sorting first, as readers that take the first file's columns would miss the new ones) and
/// whose `microbench` and `published` have no rows; then its package, as `dataset schema --write`
/// makes it. Returns what each table holds.
fn mixed_and_empty_dataset(root: &Path) -> Vec<Expected> {
    let new_runs: Vec<Run> = (0..2).map(|rep| fixtures::run("Jetson Orin NX", Backend::Cpu, None, "SmolLM2 135M", rep)).collect();
    let old_runs: Vec<Run> = (0..2)
        .map(|rep| {
            let mut r = fixtures::run("Jetson AGX Orin", Backend::Cpu, None, "SmolLM2 135M", rep);
            r.weights_origin = None;
            r.schema_version = "1.0".into();
            r
        })
        .collect();
    let generations_of = |runs: &[Run]| -> Vec<Generation> {
        runs.iter().flat_map(|r| (0..2).map(move |i| Generation { schema_version: r.schema_version.clone(), ..fixtures::generation(r, i) })).collect()
    };
    let (new_generations, old_generations) = (generations_of(&new_runs), generations_of(&old_runs));
    let (old_kernels, new_kernels) = (common::kernels_of_1_0("Jetson AGX Orin"), common::kernels_of_1_1("Jetson Orin NX"));
    {
        let (mut store, _) = Store::open(root).unwrap();
        store.append(new_runs.clone()).unwrap();
        store.append(new_generations.clone()).unwrap();
        store.append(new_kernels.clone()).unwrap();
    }
    common::place_rows_at(root, old_runs.clone(), "1.0");
    common::place_rows_at(root, old_generations.clone(), "1.0");
    common::place_rows_at(root, old_kernels.clone(), "1.0");
    package::write(root).unwrap();
    let report = validate::validate(root, &Limits::default()).unwrap();
    assert!(report.is_valid(), "{:#?}", report.problems);

    let sorted = |mut rows: Vec<Value>| {
        rows.sort_by(|a, b| a[0].as_str().cmp(&b[0].as_str()));
        rows
    };
    let runs = old_runs.iter().chain(&new_runs).map(|r| json!([r.run_id.as_str(), r.schema_version, r.weights_origin.map(|w| w.as_str())]));
    let generations = old_generations.iter().chain(&new_generations).map(|g| json!([g.generation_id.as_str(), g.schema_version, g.run_id.as_str()]));
    let kernels = old_kernels.iter().chain(&new_kernels).map(|k| json!([k.kernel_id.as_str(), k.schema_version, k.phase.map(|p| p.as_str())]));
    vec![
        Expected { table: "runs", column: "weights_origin", rows: sorted(runs.collect()) },
        Expected { table: "generations", column: "run_id", rows: sorted(generations.collect()) },
        Expected { table: "kernels", column: "phase", rows: sorted(kernels.collect()) },
        Expected { table: "microbench", column: "elapsed_us", rows: vec![] },
        Expected { table: "published", column: "value", rows: vec![] },
    ]
}

/// The card's lines, and the streamed `datasets` line it gives for tables without rows.
fn recipes() -> Vec<Recipe> {
    RECIPES.iter().copied().chain([HF_STREAMING]).collect()
}

fn recipes_json() -> Value {
    Value::Array(recipes().iter().map(|r| json!({"library": r.library, "imports": r.imports, "line": r.line})).collect())
}

/// Every column a reader should hand out for `table`: the current ones, and the partition columns
/// for the readers that read them from the directory names (all but `datasets`).
fn expected_columns(table: &str, library: &str) -> Vec<String> {
    let mut columns: Vec<String> = TABLES.iter().find(|t| t.name == table).unwrap().columns.iter().map(|c| c.name.to_owned()).collect();
    if !library.starts_with("Hugging Face datasets") {
        columns.extend(PARTITION_COLUMNS.iter().map(|c| (*c).to_owned()));
    }
    columns.sort();
    columns
}

#[test]
fn every_table_loads_in_one_line_with_every_library_across_versions_and_when_empty() {
    let dir = tempfile::tempdir().unwrap();
    let expected = mixed_and_empty_dataset(dir.path());
    let tables: Vec<Value> = expected.iter().map(|e| json!({"table": e.table, "id": table(e.table).unwrap().id_column, "column": e.column})).collect();
    let read = package_py("load", &json!({"recipes": recipes_json(), "datasets": [{"dir": dir.path(), "tables": tables}]}));
    let read = &read[dir.path().to_str().unwrap()];
    for e in &expected {
        for r in recipes() {
            let got = &read[e.table][r.library];
            if e.rows.is_empty() && r.library == "Hugging Face datasets" {
                // As the card says: `datasets` holds no split without rows; streamed, it loads.
                assert!(got["error"].as_str().is_some_and(|e| e.contains("corresponds to no data")), "{got}");
                continue;
            }
            assert!(got["error"].is_null(), "{} on `{}`: {}", r.library, e.table, got["error"]);
            assert_eq!(got["rows"], Value::Array(e.rows.clone()), "{} read other `{}` rows", r.library, e.table);
            let mut columns: Vec<String> = serde_json::from_value(got["columns"].clone()).unwrap();
            columns.sort();
            assert_eq!(columns, expected_columns(e.table, r.library), "{} gave other `{}` columns", r.library, e.table);
            if expected_columns(e.table, r.library).iter().any(|c| c == "device") && !e.rows.is_empty() {
                assert_eq!(got["device_type"], "str", "{} typed `{}.device` as {}", r.library, e.table, got["device_type"]);
            }
        }
    }
}

#[test]
fn every_table_of_the_committed_dataset_loads_in_one_line_with_every_library() {
    let root = committed();
    let manifest = Manifest::load(&root.join("v1/MANIFEST.json")).unwrap();
    let tables: Vec<Value> = TABLES.iter().map(|t| json!({"table": t.name, "id": t.id_column, "column": "schema_version"})).collect();
    let read = package_py("load", &json!({"recipes": recipes_json(), "datasets": [{"dir": root, "tables": tables, "count_only": true}]}));
    let read = &read[root.to_str().unwrap()];
    for t in TABLES {
        let rows: u64 = manifest.shards.iter().filter(|s| s.table == t.name).map(|s| s.rows).sum();
        for r in recipes() {
            let got = &read[t.name][r.library];
            assert!(got["error"].is_null(), "{} on `{}`: {}", r.library, t.name, got["error"]);
            assert_eq!(got["count"], rows, "{} read another number of `{}` rows", r.library, t.name);
            let mut columns: Vec<String> = serde_json::from_value(got["columns"].clone()).unwrap();
            columns.sort();
            assert_eq!(columns, expected_columns(t.name, r.library), "{} gave other `{}` columns", r.library, t.name);
        }
    }
}

/// Labels that hive readers would type as a number, a float special, a boolean, a null or a date
/// if their slug were the word itself, and a non-ASCII one.
const AWKWARD_LABELS: &[&str] = &[
    "inf", "-Infinity", "NaN", "true", "False", "null", "None", "NA", "2026-01-01", "1e5", "1.5E-3", "epoch", "today",
    "Jétson Örin ✓ 東京",
];

#[test]
fn device_and_model_slugs_read_back_as_strings_in_duckdb_polars_and_pyarrow() {
    let dir = tempfile::tempdir().unwrap();
    let mut datasets = Vec::new();
    for (i, label) in AWKWARD_LABELS.iter().enumerate() {
        // One dataset per label: a reader types a partition column from its values, and a value
        // alone in its column is what gets mis-typed.
        let root = dir.path().join(i.to_string());
        let (mut store, _) = Store::open(&root).unwrap();
        store.append(vec![fixtures::run(label, Backend::Cpu, None, label, 0)]).unwrap();
        datasets.push(json!({"dir": root, "label": label, "slug": slug(label)}));
    }
    let read = package_py("slugs", &json!({"datasets": datasets}));
    for d in &datasets {
        let got = &read[d["dir"].as_str().unwrap()];
        for reader in ["duckdb", "polars", "pyarrow"] {
            assert!(got[reader]["error"].is_null(), "{reader} on label {}: {}", d["label"], got[reader]["error"]);
            let expected = json!({"device": d["slug"], "model": d["slug"], "device_label": d["label"], "model_name": d["label"]});
            assert_eq!(got[reader]["values"], expected, "{reader} on label {}", d["label"]);
            assert_eq!(got[reader]["types"], json!({"device": "str", "model": "str"}), "{reader} on label {}", d["label"]);
        }
    }
}
