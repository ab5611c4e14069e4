//! Downstream researchers load the dataset with pyarrow, DuckDB and Polars using hive
//! partitioning, in one line each (see `interop.py`). This test writes a dataset with the store
//! and checks that each library reads back exactly the rows that were written, and that a table
//! holding shards of two schema versions (`kernels`: one of 1.0, one of 1.1) reads back with the
//! option `schema/v1/README.md` documents, the 1.1 columns null in the old rows.
//!
//! Needs a Python with pyarrow, duckdb and polars: `EDGEBENCH_PYTHON`, which the README's test
//! command (`scripts/test.sh`) sets after installing `scripts/requirements-test.txt`.

mod common;

use std::path::Path;

use common::sample;
use edgebench_dataset::Store;
use edgebench_dataset::ids::slug;

fn python() -> String {
    std::env::var("EDGEBENCH_PYTHON").unwrap_or_else(|_| {
        panic!(
            "EDGEBENCH_PYTHON is not set: run the tests with `bash scripts/test.sh`, which installs \
             pyarrow, duckdb and polars into a virtual environment and sets it"
        )
    })
}

#[test]
fn pyarrow_duckdb_and_polars_read_back_the_written_rows() {
    let dir = tempfile::tempdir().unwrap();
    let common::Sample { runs, generations, .. } = sample();
    let (mut store, _) = Store::open(dir.path()).unwrap();
    store.append(runs).unwrap();
    store.append(generations.clone()).unwrap();
    // The 1.0 shard's partition sorts first, so readers that take the columns of the first file
    // they find miss the 1.1 columns unless told otherwise.
    let old_kernels = common::kernels_of_1_0("Jetson AGX Orin");
    let new_kernels = common::kernels_of_1_1("Jetson Orin NX");
    store.append(new_kernels.clone()).unwrap();
    drop(store);
    common::place_rows_at(dir.path(), old_kernels.clone(), "1.0");
    // A leftover temporary file must not be picked up by any reader.
    std::fs::write(dir.path().join("v1/generations/.partial.parquet.tmp-1-2"), b"partial").unwrap();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop.py");
    let out = std::process::Command::new(python()).arg(&script).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "interop.py failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let read: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let mut expected: Vec<serde_json::Value> = generations
        .iter()
        .map(|g| {
            serde_json::json!([
                g.generation_id.as_str(),
                slug(&g.device_label),
                slug(&g.model_name),
                g.backend.as_str(),
                g.ttft_ms,
                g.output_text.as_deref(),
            ])
        })
        .collect();
    expected.sort_by(|a, b| a[0].as_str().cmp(&b[0].as_str()));
    assert_eq!(expected.len(), 27);
    for reader in ["pyarrow", "duckdb", "polars"] {
        assert_eq!(read[reader], serde_json::Value::Array(expected.clone()), "{reader} read different rows");
        // Partition values arrive as strings, measurements as floats.
        let types = &read[format!("{reader}_types")];
        assert_eq!(types["device"], "str", "{reader}: {types}");
        assert_eq!(types["model"], "str", "{reader}: {types}");
        assert_eq!(types["ttft_ms"], "float", "{reader}: {types}");
    }

    let mut expected_kernels: Vec<serde_json::Value> = old_kernels
        .iter()
        .chain(&new_kernels)
        .map(|k| {
            serde_json::json!([
                k.kernel_id.as_str(),
                slug(&k.device_label),
                if old_kernels.contains(k) { "1.0" } else { edgebench_dataset::schema::v1::SCHEMA_VERSION },
                k.phase.map(|p| p.as_str()),
                k.op_name.as_deref(),
                k.token_columns,
            ])
        })
        .collect();
    expected_kernels.sort_by(|a, b| a[0].as_str().cmp(&b[0].as_str()));
    assert!(expected_kernels.iter().any(|k| k[3].is_null()) && expected_kernels.iter().any(|k| k[3] == "decode"));
    for reader in ["pyarrow", "duckdb", "polars", "polars_insert"] {
        assert_eq!(read[format!("{reader}_kernels")], serde_json::Value::Array(expected_kernels.clone()), "{reader} read different kernels");
    }
    // Without the documented option, the 1.1 columns are dropped, or the read fails.
    for reader in ["pyarrow", "duckdb"] {
        let columns = &read[format!("{reader}_kernels_default")]["columns"];
        assert!(columns.as_array().is_some_and(|c| !c.contains(&"phase".into())), "{reader}: {columns}");
    }
    assert!(read["polars_kernels_default"]["error"].is_string(), "{}", read["polars_kernels_default"]);
}
