//! Compaction (`Store::compact`, `dataset compact`): every partition's shards merged into one (or
//! a few under the size limit), rows and ids unchanged, the dataset valid, the bytes a function of
//! the rows alone, a second compaction a no-op, and a compaction interrupted anywhere (by hand at
//! each journal stage, and by `kill -9`) leaving the dataset as it was or wholly compacted.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;
use edgebench_dataset::manifest::{Manifest, ShardEntry};
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::shard::{Limits, OpenedShard};
use edgebench_dataset::store::{CompactScope, WriteBatch};
use edgebench_dataset::{Store, Table, fixtures, read_table, validate};

const RUNS_PER_DEVICE: u32 = 4;

fn assert_valid(root: &Path) {
    let report = validate::validate(root, &Limits::default()).unwrap();
    let lines: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert!(lines.is_empty(), "expected a valid dataset, got:\n{}", lines.join("\n"));
}

fn run_of(device: &str, rep: u32) -> Run {
    let model = if device == "Jetson Orin NX" { "SmolLM2 135M" } else { "gemma-3-270m" };
    fixtures::run(device, Backend::Cpu, None, model, rep)
}

/// A dataset as the collector used to leave it: every run committed with its generations in a
/// batch of its own (a shard per run and table), two kernel and two microbench commits in one
/// partition each, a `kernels` shard of schema 1.0 and a `generations` shard of 1.0 beside
/// shards of the current version, and `published` rows (one shard per partition already).
fn per_run_dataset(root: &Path) {
    let (mut store, _) = Store::open(root).unwrap();
    for device in ["Jetson Orin NX", "MacBook Pro M4"] {
        for rep in 0..RUNS_PER_DEVICE {
            let run = run_of(device, rep);
            let generations: Vec<Generation> = (0..3).map(|i| fixtures::generation(&run, i)).collect();
            let mut batch = WriteBatch::default();
            store.stage(&mut batch, vec![run]).unwrap();
            store.stage(&mut batch, generations).unwrap();
            store.commit(batch).unwrap();
        }
    }
    let old_run = run_of("Jetson Orin NX", RUNS_PER_DEVICE);
    store.append(vec![old_run.clone()]).unwrap();
    store.append(kernels_of_1_1("Jetson Orin NX")).unwrap();
    store.append(vec![fixtures::kernel("Jetson Orin NX", "SmolLM2 135M", "rms_norm_f32", OpClass::Norm, 3000, 40.0)]).unwrap();
    for (rep, variant) in [(0, FusionVariant::Unfused), (1, FusionVariant::Fused)] {
        store.append(vec![fixtures::microbench("Jetson AGX Orin", variant, rep, 1000.0 + f64::from(rep))]).unwrap();
    }
    store
        .append(vec![
            fixtures::published("Jetson Orin NX", Some("Qwen-1.5B"), "load_ms", 707.0, "ms", "from 707 ms on CPU to 2086 ms on GPU"),
            fixtures::published("Jetson AGX Orin", None, "fusion_time_us", 1924.2, "µs", "from 1,924.2 µs to 1,003.5 µs"),
        ])
        .unwrap();
    drop(store);
    place_rows_at(root, kernels_of_1_0("Jetson Orin NX"), "1.0");
    place_rows_at(root, (0..3).map(|i| fixtures::generation(&old_run, i)).collect::<Vec<_>>(), "1.0");
}

/// Every row of `T`'s table, as the current version reads it, sorted by id.
fn rows<T: Table>(root: &Path) -> Vec<T> {
    let mut rows = read_table::<T>(root).unwrap();
    for row in &mut rows {
        row.set_schema_version(SCHEMA_VERSION);
    }
    rows.sort_by(|a, b| a.id().cmp(b.id()));
    rows
}

/// Every row of every table, `schema_version` aside (a compaction raises it to the current one).
#[derive(Debug, PartialEq)]
struct AllRows(Vec<Run>, Vec<Generation>, Vec<Kernel>, Vec<Microbench>, Vec<Published>);

fn all_rows(root: &Path) -> AllRows {
    AllRows(rows(root), rows(root), rows(root), rows(root), rows(root))
}

/// Listed shards per `<table>/device=…/model=…` directory.
fn shards_per_partition(root: &Path) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for e in load_manifest(root).shards {
        *out.entry(e.path.rsplit_once('/').unwrap().0.to_owned()).or_default() += 1;
    }
    out
}

/// Every file under v1/ (the lock aside) with its bytes.
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, base, out);
            } else if p.file_name().unwrap() != ".lock" {
                out.insert(p.strip_prefix(base).unwrap().display().to_string(), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&root.join("v1"), &root.join("v1"), &mut out);
    out
}

fn copy_dataset(from: &Path, to: &Path) {
    for (rel, bytes) in files(from) {
        let abs = to.join("v1").join(rel);
        std::fs::create_dir_all(abs.parent().unwrap()).unwrap();
        std::fs::write(abs, bytes).unwrap();
    }
}

fn compact(root: &Path, scope: CompactScope<'_>, limits: &Limits) -> edgebench_dataset::store::CompactSummary {
    Store::open(root).unwrap().0.compact(scope, limits).unwrap()
}

#[test]
fn every_partition_becomes_one_shard_with_its_rows_and_ids_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    per_run_dataset(dir.path());
    assert_valid(dir.path());
    let before = all_rows(dir.path());
    let shards_before = load_manifest(dir.path()).shards.len();

    let summary = compact(dir.path(), CompactScope::All, &Limits::default());
    assert_valid(dir.path());
    assert_eq!(all_rows(dir.path()), before, "rows and ids unchanged");
    let partitions = shards_per_partition(dir.path());
    assert!(partitions.values().all(|n| *n == 1), "{partitions:?}");
    assert_eq!(summary.shards_before(), shards_before);
    assert_eq!(summary.shards_after(), partitions.len());
    assert!(shards_before > 3 * partitions.len(), "{shards_before} → {}", partitions.len());
    let runs = summary.tables.iter().find(|t| t.table == "runs").unwrap();
    assert_eq!((runs.shards_before, runs.shards_after, runs.rows, runs.partitions_merged), (9, 2, 9, 2));
    // Old shards are gone from the disk too, and every shard is of the current version now.
    let manifest = load_manifest(dir.path());
    assert_eq!(files(dir.path()).keys().filter(|f| f.ends_with(".parquet")).count(), manifest.shards.len());
    assert!(manifest.shards.iter().all(|e| e.schema_version == SCHEMA_VERSION));
    assert!(read_table::<Kernel>(dir.path()).unwrap().iter().all(|k| k.schema_version == SCHEMA_VERSION));
    // The rows of the 1.0 shards have the columns 1.0 lacked null, as they read before.
    let k = rows::<Kernel>(dir.path());
    assert_eq!(k.iter().filter(|k| k.timing_source.is_none()).count(), 2);
}

/// The merged shards depend on the rows alone: a dataset with the same rows committed in other
/// batches compacts to the same files, byte for byte, and compacting again writes nothing.
#[test]
fn the_same_rows_compact_to_the_same_bytes_and_a_second_compaction_writes_nothing() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    per_run_dataset(a.path());
    // b: the same rows, each table in one append, at the current version.
    let AllRows(runs, generations, kernels, microbench, published) = all_rows(a.path());
    let (mut store, _) = Store::open(b.path()).unwrap();
    store.append(runs).unwrap();
    let (first, second) = generations.split_at(5);
    store.append(first.to_vec()).unwrap();
    store.append(second.to_vec()).unwrap();
    store.append(kernels).unwrap();
    store.append(microbench).unwrap();
    store.append(published).unwrap();
    drop(store);

    compact(a.path(), CompactScope::All, &Limits::default());
    compact(b.path(), CompactScope::All, &Limits::default());
    assert_eq!(files(a.path()), files(b.path()), "same rows, same files (manifest included)");

    let before = files(a.path());
    let again = compact(a.path(), CompactScope::All, &Limits::default());
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(again.shards_before(), again.shards_after());
    assert_eq!(files(a.path()), before, "nothing written");
}

/// A partition whose rows make a shard over the limit is cut into several, in row-id order, each
/// under the limit; the cut is stable, so compacting again with the same limit writes nothing.
#[test]
fn a_partition_over_the_size_limit_is_cut_into_bounded_shards_in_id_order() {
    let dir = tempfile::tempdir().unwrap();
    per_run_dataset(dir.path());
    // A partition whose rows are many times what one commit holds: a sweep of 500 repetitions
    // committed 100 at a time.
    let (mut store, _) = Store::open(dir.path()).unwrap();
    for first in (2..502).step_by(100) {
        let sweep = (first..first + 100).map(|rep| fixtures::microbench("Jetson AGX Orin", FusionVariant::Fused, rep, 1000.0 + f64::from(rep))).collect();
        store.append(sweep).unwrap();
    }
    drop(store);
    let before = all_rows(dir.path());
    // Every sweep shard as committed fits (so does any single row); the merged sweep does not.
    let sweep = |root: &Path| -> Vec<ShardEntry> { load_manifest(root).shards.into_iter().filter(|e| e.table == "microbench").collect() };
    let paths = |entries: &[ShardEntry]| -> Vec<String> { entries.iter().map(|e| e.path.clone()).collect() };
    let largest = sweep(dir.path()).iter().map(|e| e.bytes).max().unwrap();
    let limits = Limits { max_file_bytes: largest * 13 / 10, ..Limits::default() };

    compact(dir.path(), CompactScope::Shards(&paths(&sweep(dir.path()))), &limits);
    assert_valid(dir.path());
    assert_eq!(all_rows(dir.path()), before);
    let manifest = load_manifest(dir.path());
    assert!(sweep(dir.path()).iter().all(|e| e.bytes <= limits.max_file_bytes), "every merged shard under the limit");
    let partitions = shards_per_partition(dir.path());
    assert!(partitions["microbench/device=jetson-agx-orin/model=no-model"] > 1, "the sweep was cut: {partitions:?}");
    // Within a partition, the shards hold contiguous ranges of ids.
    let (mut store, _) = Store::open(dir.path()).unwrap();
    let mut ranges: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for e in manifest.shards.iter().filter(|e| e.table == "microbench") {
        let ids: Vec<String> = store.read_shard::<Microbench>(e).unwrap().iter().map(|m| m.microbench_id.to_string()).collect();
        let dir = e.path.rsplit_once('/').unwrap().0.to_owned();
        ranges.entry(dir).or_default().push((ids.iter().min().unwrap().clone(), ids.iter().max().unwrap().clone()));
    }
    for ranges in ranges.values_mut() {
        ranges.sort();
        assert!(ranges.windows(2).all(|w| w[0].1 < w[1].0), "overlapping id ranges: {ranges:?}");
    }
    let again = store.compact(CompactScope::Shards(&paths(&sweep(dir.path()))), &limits).unwrap();
    assert!(again.is_empty(), "{again:?}");
}

/// The collector's scope: only the named shards are merged, per partition; the partition's other
/// shards and every other partition stay as they are.
#[test]
fn a_scope_of_shards_merges_only_those() {
    let dir = tempfile::tempdir().unwrap();
    per_run_dataset(dir.path());
    let before = load_manifest(dir.path());
    let jetson_runs: Vec<String> =
        before.shards.iter().filter(|e| e.path.starts_with("runs/device=jetson-orin-nx/")).map(|e| e.path.clone()).collect();
    let chosen = &jetson_runs[..3];
    let summary = compact(dir.path(), CompactScope::Shards(chosen), &Limits::default());
    assert_eq!(summary.removed.iter().map(|e| e.path.clone()).collect::<BTreeSet<_>>(), chosen.iter().cloned().collect());
    assert_eq!(summary.added.len(), 1);
    assert_eq!(summary.added[0].rows, 3);
    let after = load_manifest(dir.path());
    let untouched: Vec<&ShardEntry> = before.shards.iter().filter(|e| !chosen.contains(&e.path)).collect();
    assert!(untouched.iter().all(|e| after.shards.contains(e)));
    assert_eq!(after.shards.len(), before.shards.len() - 2);
    assert_valid(dir.path());

    let err = Store::open(dir.path()).unwrap().0.compact(CompactScope::Shards(&["runs/nope.parquet".into()]), &Limits::default());
    assert!(err.unwrap_err().to_string().contains("not a listed shard"));
}

/// Where a compaction can be interrupted, as its commit goes: after the journal; after some of
/// the new shards; after all of them but one, cut short; after all of them; after the manifest
/// swap with half the replaced files deleted.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    Journal,
    SomeShards,
    LastShardPartial,
    AllShards,
    SwappedHalfDeleted,
}

/// Lays a compaction down by hand up to `stage`, as a commit killed there would leave it.
fn interrupt_at(root: &Path, stage: Stage) {
    let (mut store, _) = Store::open(root).unwrap();
    let plan = store.plan_compaction(CompactScope::All, &Limits::default()).unwrap();
    drop(store);
    let added: Vec<&ShardEntry> = plan.batch().entries().collect();
    let removed = &plan.summary().removed;
    let journal = serde_json::json!({ "shards": added, "removed": removed });
    std::fs::write(root.join("v1/.journal-compact.json"), journal.to_string()).unwrap();
    let shards: Vec<(&str, &[u8])> = plan.batch().shards().collect();
    let landed = match stage {
        Stage::Journal => 0,
        Stage::SomeShards => shards.len() / 2,
        _ => shards.len(),
    };
    for (i, (rel, bytes)) in shards.iter().take(landed).enumerate() {
        let abs = root.join("v1").join(rel);
        std::fs::create_dir_all(abs.parent().unwrap()).unwrap();
        let cut = stage == Stage::LastShardPartial && i + 1 == landed;
        std::fs::write(abs, if cut { &bytes[..bytes.len() / 2] } else { bytes }).unwrap();
    }
    if stage == Stage::SwappedHalfDeleted {
        let mut manifest = load_manifest(root);
        manifest.shards.retain(|e| !removed.contains(e));
        manifest.shards.extend(added.iter().map(|e| (*e).clone()));
        manifest.raise_version();
        manifest.save(&manifest_path(root)).unwrap();
        for gone in removed.iter().step_by(2) {
            std::fs::remove_file(root.join("v1").join(&gone.path)).unwrap();
        }
    }
}

#[test]
fn an_interrupted_compaction_is_finished_or_undone_whole() {
    let original = tempfile::tempdir().unwrap();
    per_run_dataset(original.path());
    let rows_before = all_rows(original.path());
    let manifest_before = load_manifest(original.path());
    let compacted = tempfile::tempdir().unwrap();
    copy_dataset(original.path(), compacted.path());
    compact(compacted.path(), CompactScope::All, &Limits::default());

    for stage in [Stage::Journal, Stage::SomeShards, Stage::LastShardPartial, Stage::AllShards, Stage::SwappedHalfDeleted] {
        let dir = tempfile::tempdir().unwrap();
        copy_dataset(original.path(), dir.path());
        interrupt_at(dir.path(), stage);
        let report = validate::validate(dir.path(), &Limits::default()).unwrap();
        assert!(report.problems.iter().any(|p| p.message.contains("journal of an interrupted commit")), "{stage:?}");

        let (store, recovery) = Store::open(dir.path()).unwrap();
        drop(store);
        assert_eq!(all_rows(dir.path()), rows_before, "{stage:?}: every row once, never both versions, never neither");
        assert_valid(dir.path());
        if matches!(stage, Stage::AllShards | Stage::SwappedHalfDeleted) {
            assert_eq!(files(dir.path()), files(compacted.path()), "{stage:?}: rolled forward to the whole compaction");
            assert!(!recovery.replaced.is_empty());
        } else {
            assert_eq!(load_manifest(dir.path()), manifest_before, "{stage:?}: rolled back");
            assert_eq!(files(dir.path()), files(original.path()), "{stage:?}: no new shard left behind");
            assert_eq!(recovery.rolled_back.len(), compacted_added(compacted.path(), &manifest_before), "{stage:?}");
        }
    }
}

/// Shards of the compacted copy that the original does not list (what a compaction writes).
fn compacted_added(compacted: &Path, original: &Manifest) -> usize {
    load_manifest(compacted).shards.iter().filter(|e| !original.shards.contains(e)).count()
}

const CHILD_ENV: &str = "EDGEBENCH_COMPACT_CHILD_DIR";

/// Child side of `kill_nine_during_appends_and_compactions_never_corrupts_the_dataset`: commits
/// runs one at a time, as the collector does, and compacts after every third, until killed.
#[test]
#[ignore = "child process of kill_nine_during_appends_and_compactions_never_corrupts_the_dataset"]
fn compact_child_appends_and_compacts_forever() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else { return };
    let (mut store, _) = Store::open(Path::new(&dir)).unwrap();
    let start = store.existing_ids::<Run>().unwrap().len() as u32;
    for rep in start.. {
        let run = run_of(if rep % 2 == 0 { "Jetson Orin NX" } else { "MacBook Pro M4" }, rep);
        let generations: Vec<Generation> = (0..3).map(|i| fixtures::generation(&run, i)).collect();
        let mut batch = WriteBatch::default();
        store.stage(&mut batch, vec![run]).unwrap();
        store.stage(&mut batch, generations).unwrap();
        store.commit(batch).unwrap();
        if rep % 3 == 2 {
            store.compact(CompactScope::All, &Limits::default()).unwrap();
        }
    }
}

#[test]
fn kill_nine_during_appends_and_compactions_never_corrupts_the_dataset() {
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path()).unwrap();
    let exe = std::env::current_exe().unwrap();
    for round in 0..8u64 {
        let mut child = Command::new(&exe)
            .args(["--exact", "compact_child_appends_and_compacts_forever", "--ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(200 + round * 41));
        child.kill().unwrap();
        child.wait().unwrap();
        // Before any recovery: every listed shard is whole, and every listed run has all its
        // generations exactly once.
        let manifest = load_manifest(dir.path());
        for e in &manifest.shards {
            let bytes = std::fs::read(dir.path().join("v1").join(&e.path)).expect("a listed shard exists");
            OpenedShard::open(bytes.into(), &Limits::default()).expect("a listed shard decodes");
        }
        assert_generations_complete(dir.path());
    }
    let (store, _) = Store::open(dir.path()).unwrap();
    drop(store);
    assert_generations_complete(dir.path());
    assert_valid(dir.path());
    let mut reps: Vec<u32> = read_table::<Run>(dir.path()).unwrap().iter().map(|r| r.repetition).collect();
    reps.sort();
    assert!(reps.len() > 8, "the children should have written something ({} runs)", reps.len());
    assert_eq!(reps, (0..reps.len() as u32).collect::<Vec<_>>(), "nothing lost, nothing twice");
    let shards = load_manifest(dir.path()).shards.len();
    assert!(shards < 2 * reps.len(), "the children compacted ({shards} shards for {} runs)", reps.len());
}

fn assert_generations_complete(root: &Path) {
    let runs = read_table::<Run>(root).unwrap();
    let generations = read_table::<Generation>(root).unwrap();
    assert_eq!(generations.len(), runs.len() * 3);
    let ids: BTreeSet<_> = generations.iter().map(|g| g.generation_id.clone()).collect();
    assert_eq!(ids.len(), generations.len(), "no generation twice");
}

fn dataset_cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dataset")).args(args).output().unwrap()
}

#[test]
fn the_command_prints_per_table_counts_and_exits_like_validate() {
    let dir = tempfile::tempdir().unwrap();
    per_run_dataset(dir.path());
    let root = dir.path().to_str().unwrap();
    let before = files(dir.path());

    let dry = dataset_cli(&["compact", root, "--dry-run"]);
    assert_eq!(dry.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert!(stdout.contains("runs: 9 shards would become 2 (9 rows, 2 partitions merged)"), "{stdout}");
    assert!(String::from_utf8_lossy(&dry.stderr).contains("nothing written"));
    assert_eq!(files(dir.path()), before, "a dry run writes nothing");

    let done = dataset_cli(&["compact", root]);
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(stdout.contains("runs: 9 shards → 2 (9 rows, 2 partitions merged)"), "{stdout}");
    assert!(stdout.contains("published: 2 shards → 2"), "{stdout}");
    assert!(String::from_utf8_lossy(&done.stderr).contains("in one transaction"));
    let again = dataset_cli(&["compact", root]);
    assert_eq!(again.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing to merge"));

    // Another writer holds the lock: refused, nothing changed.
    let compacted = files(dir.path());
    let held = Store::open(dir.path()).unwrap();
    let locked = dataset_cli(&["compact", root]);
    assert_eq!(locked.status.code(), Some(1));
    drop(held);
    assert_eq!(files(dir.path()), compacted);

    let missing: PathBuf = dir.path().join("no-such-dataset");
    let usage = dataset_cli(&["compact", missing.to_str().unwrap()]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(!missing.exists(), "no dataset is created where there was none");
}
