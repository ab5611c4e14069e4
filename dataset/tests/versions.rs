//! Schema versions: a shard written under 1.0 stays valid and readable beside 1.1 shards, readers
//! hand out rows of the current version with the columns an old shard lacks null, and the writer
//! writes nothing but the current version. (What the validator says of shards whose version and
//! columns disagree is in the broken-shard corpus, `broken_corpus/versions.rs`.)

mod common;

use std::path::Path;

use common::*;
use edgebench_dataset::fixtures;
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::shard::{Limits, OpenedShard};
use edgebench_dataset::store::{for_each_projected_batch, scan_columns};
use edgebench_dataset::{Store, Table, read_table, validate};

fn sorted<T: Table>(mut rows: Vec<T>) -> Vec<T> {
    rows.sort_by(|a, b| a.id().cmp(b.id()));
    rows
}

fn assert_valid(root: &Path) {
    let report = validate::validate(root, &Limits::default()).unwrap();
    let lines: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert!(lines.is_empty(), "expected a valid dataset, got:\n{}", lines.join("\n"));
}

/// A dataset whose `kernels` partition holds one 1.0 shard (placed as the 1.0 writer wrote it)
/// and one 1.1 shard (written by the store).
fn mixed(root: &Path) -> (Vec<Kernel>, Vec<Kernel>) {
    let (old, new) = (kernels_of_1_0("Jetson Orin NX"), kernels_of_1_1("Jetson Orin NX"));
    drop(Store::open(root).unwrap());
    place_rows_at(root, old.clone(), "1.0");
    let (mut store, _) = Store::open(root).unwrap();
    store.append(new.clone()).unwrap();
    (old, new)
}

#[test]
fn kernels_of_1_0_and_1_1_shards_read_together_and_validate() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = mixed(dir.path());
    assert_valid(dir.path());

    // Whole rows: the old ones come back as they were written, the 1.1 columns null.
    let read = read_table::<Kernel>(dir.path()).unwrap();
    let (read_old, read_new): (Vec<Kernel>, Vec<Kernel>) = read.into_iter().partition(|k| k.schema_version == "1.0");
    assert_eq!(sorted(read_old.clone()), sorted(old));
    assert_eq!(sorted(read_new), sorted(new));
    for k in &read_old {
        assert_eq!((k.phase, &k.op_name, k.token_columns, k.timing_source, k.phase_wall_ns), (None, &None, None, None, None));
    }

    // Projected rows, as the report and `dataset ls` read them.
    #[derive(serde::Deserialize)]
    struct Few {
        kernel_id: String,
        schema_version: String,
        phase: Option<Phase>,
        token_columns: Option<u64>,
    }
    let manifest = load_manifest(dir.path());
    let few: Vec<Few> = scan_columns(dir.path(), &manifest, "kernels", &["kernel_id", "schema_version", "phase", "token_columns"]).unwrap();
    assert_eq!(few.len(), 4);
    for row in &few {
        assert_eq!(row.kernel_id.len(), 64);
        match row.schema_version.as_str() {
            "1.0" => assert_eq!((row.phase, row.token_columns), (None, None)),
            _ => assert_eq!((row.phase, row.token_columns), (Some(Phase::Decode), Some(1))),
        }
    }
    // Batches keep the schema's types and order whatever the shard's version.
    let mut batches = 0;
    for_each_projected_batch(dir.path(), &manifest, "kernels", &["token_columns", "kernel_id"], |_, batch| {
        let schema = batch.schema();
        let names: Vec<&String> = schema.fields().iter().map(|f| f.name()).collect();
        assert_eq!(names, ["kernel_id", "token_columns"]);
        assert_eq!(batch.schema().field(1).data_type(), &arrow_schema::DataType::UInt64);
        batches += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(batches, 2);

    // Each entry and footer says its own version; the manifest, the newest.
    let versions: Vec<&str> = manifest.shards.iter().map(|e| e.schema_version.as_str()).collect();
    assert_eq!(sorted_strs(versions), ["1.0", SCHEMA_VERSION]);
    assert_eq!(manifest.schema_version, SCHEMA_VERSION);
    for entry in &manifest.shards {
        let bytes = std::fs::read(dir.path().join("v1").join(&entry.path)).unwrap();
        let opened = OpenedShard::open(bytes.into(), &Limits::default()).unwrap();
        assert_eq!(opened.footer_version().as_deref(), Some(entry.schema_version.as_str()));
        assert_eq!(opened.version(Kernel::SCHEMA).unwrap(), entry.schema_version);
        assert_eq!(opened.arrow_schema().fields(), Kernel::SCHEMA.arrow_schema_at(&entry.schema_version).unwrap().fields());
    }
}

fn sorted_strs(mut v: Vec<&str>) -> Vec<&str> {
    v.sort();
    v
}

#[test]
fn the_writer_writes_only_the_current_version() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = Store::open(dir.path()).unwrap();
    let err = store.append(kernels_of_1_0("Jetson Orin NX")).unwrap_err().to_string();
    assert!(
        err.contains(&format!("column schema_version: is `1.0` but the writer writes schema version {SCHEMA_VERSION}; set it to `{SCHEMA_VERSION}`")),
        "{err}"
    );
    let mut current = kernels_of_1_0("Jetson Orin NX");
    for k in &mut current {
        k.schema_version = SCHEMA_VERSION.into();
    }
    let entries = store.append(current).unwrap();
    assert_eq!(entries[0].schema_version, SCHEMA_VERSION);
    drop(store);
    assert_valid(dir.path());
}

/// The committed manifest says 1.0; the first 1.1 shard committed to it raises it to 1.1, so that
/// it keeps saying what a reader must know to read every shard.
#[test]
fn the_manifests_version_follows_its_newest_shard() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let mut manifest = load_manifest(dir.path());
    manifest.schema_version = "1.0".into();
    manifest.save(&manifest_path(dir.path())).unwrap();
    place_rows_at(dir.path(), kernels_of_1_0("Jetson Orin NX"), "1.0");
    assert_valid(dir.path());
    assert_eq!(load_manifest(dir.path()).schema_version, "1.0");
    let (mut store, _) = Store::open(dir.path()).unwrap();
    store.append(kernels_of_1_1("Jetson Orin NX")).unwrap();
    drop(store);
    assert_eq!(load_manifest(dir.path()).schema_version, SCHEMA_VERSION);
    assert_valid(dir.path());
}

/// `dataset repair` lists an unlisted old shard under the version its footer names.
#[test]
fn an_unlisted_old_shard_is_adopted_under_its_own_version() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let mut rows = kernels_of_1_0("Jetson Orin NX");
    let bytes = fixtures::encode_at_version(&mut rows, "1.0").unwrap();
    let (device, model) = rows[0].partition();
    let rel = place(dir.path(), "kernels", &device, &model, &bytes, false);
    let (mut store, _) = Store::open(dir.path()).unwrap();
    assert_eq!(store.adopt_unlisted().unwrap(), vec![rel]);
    assert_eq!(store.manifest().shards[0].schema_version, "1.0");
    assert_eq!(store.manifest().schema_version, SCHEMA_VERSION, "a new dataset's manifest starts at the current version");
    drop(store);
    assert_valid(dir.path());
}

/// A reader meets a shard of a version it does not know: an error naming the file and the way out,
/// not rows decoded by guesswork.
#[test]
fn readers_refuse_a_shard_of_an_unknown_version() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let batch = batch_of(&kernels_of_1_1("Jetson Orin NX"));
    let mut footer = writer_footer("kernels", &batch);
    for kv in &mut footer {
        if kv.key == "edgebench.schema_version" {
            kv.value = Some("1.7".into());
        }
    }
    let rel = place(dir.path(), "kernels", "jetson-orin-nx", "smollm2-135m", &parquet_bytes(&batch, footer), true);
    let err = read_table::<Kernel>(dir.path()).unwrap_err().to_string();
    assert!(err.contains(&rel) && err.contains(&format!("schema version `1.7`, which this tool does not know (it knows {})", known_versions())), "{err}");
    let manifest = load_manifest(dir.path());
    let projected = scan_columns::<serde_json::Value>(dir.path(), &manifest, "kernels", &["kernel_id"]).unwrap_err().to_string();
    assert!(projected.contains(&rel) && projected.contains("upgrade edgebench"), "{projected}");
}

/// A `microbench` shard written before 1.2 (no sweep columns) stays valid beside a 1.2 one, and
/// reads back with those columns null.
#[test]
fn microbench_of_1_1_reads_with_the_sweep_columns_null() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let mut old = fixtures::microbench("Jetson AGX Orin", FusionVariant::Unfused, 0, 1924.2);
    old.schema_version = "1.1".into();
    (old.sweep_id, old.threads, old.launch_config_json, old.write_allocate) = (None, None, None, None);
    (old.last_level_cache_bytes, old.copy_bandwidth_gb_s, old.triad_bandwidth_gb_s, old.warmup_repetitions) = (None, None, None, None);
    old.microbench_id = old.compute_id();
    place_rows_at(dir.path(), vec![old.clone()], "1.1");
    let (mut store, _) = Store::open(dir.path()).unwrap();
    store.append(vec![fixtures::microbench("Jetson AGX Orin", FusionVariant::Fused, 0, 1003.5)]).unwrap();
    drop(store);
    assert_valid(dir.path());
    let rows = read_table::<Microbench>(dir.path()).unwrap();
    assert_eq!(rows.len(), 2);
    let read_old = rows.iter().find(|m| m.schema_version == "1.1").unwrap();
    assert_eq!(read_old, &old);
    let new = rows.iter().find(|m| m.schema_version == SCHEMA_VERSION).unwrap();
    assert!(new.copy_bandwidth_gb_s.is_some() && new.sweep_id.is_some());
}
