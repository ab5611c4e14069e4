//! Every table survives write → read unchanged; the writer refuses what the validator would
//! reject; shards are deterministic and carry their provenance in the footer.

use std::path::Path;

mod common;

use common::{Sample, sample};
use edgebench_dataset::fixtures;
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::shard::{self, Limits, OpenedShard};
use edgebench_dataset::{Error, Store, Table, listing, read_table, validate};

fn sorted<T: Table>(mut rows: Vec<T>) -> Vec<T> {
    rows.sort_by(|a, b| a.id().cmp(b.id()));
    rows
}

fn assert_valid(root: &Path) {
    let report = validate::validate(root, &Limits::default()).unwrap();
    let lines: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert!(lines.is_empty(), "expected a valid dataset, got:\n{}", lines.join("\n"));
}

#[test]
fn every_table_round_trips_and_validates() {
    let dir = tempfile::tempdir().unwrap();
    let Sample { runs, generations, kernels, microbench, published } = sample();
    let (mut store, recovery) = Store::open(dir.path()).unwrap();
    assert_eq!(recovery, Default::default());
    store.append(runs.clone()).unwrap();
    store.append(generations.clone()).unwrap();
    store.append(kernels.clone()).unwrap();
    store.append(microbench.clone()).unwrap();
    store.append(published.clone()).unwrap();
    drop(store);

    assert_eq!(sorted(read_table::<Run>(dir.path()).unwrap()), sorted(runs.clone()));
    assert_eq!(sorted(read_table::<Generation>(dir.path()).unwrap()), sorted(generations.clone()));
    assert_eq!(sorted(read_table::<Kernel>(dir.path()).unwrap()), sorted(kernels));
    assert_eq!(sorted(read_table::<Microbench>(dir.path()).unwrap()), sorted(microbench));
    assert_eq!(sorted(read_table::<Published>(dir.path()).unwrap()), sorted(published));
    assert_valid(dir.path());

    // Layout: partitions are slugs; microbench and model-free published rows use model=no-model.
    let manifest = edgebench_dataset::manifest::Manifest::load(&dir.path().join("v1/MANIFEST.json")).unwrap();
    let paths: Vec<&str> = manifest.shards.iter().map(|s| s.path.as_str()).collect();
    assert!(paths.iter().any(|p| p.starts_with("runs/device=jetson-orin-nx/model=smollm2-135m/")), "{paths:?}");
    assert!(paths.iter().any(|p| p.starts_with("microbench/device=jetson-agx-orin/model=no-model/")), "{paths:?}");
    assert!(paths.iter().any(|p| p.starts_with("published/device=jetson-agx-orin/model=no-model/")), "{paths:?}");

    // ls: one cell per device × backend × mode × model, with run and generation counts.
    let l = listing::list(dir.path()).unwrap();
    assert_eq!(l.cells.len(), 3);
    let mac = l.cells.iter().find(|c| c.key.device_label == "MacBook Pro M4").unwrap();
    assert_eq!((mac.counts.runs, mac.counts.runs_ok, mac.counts.generations), (4, 3, 9));
    assert_eq!(l.tables["generations"].rows, 27);
    let json = serde_json::to_value(&l).unwrap();
    assert_eq!(json["cells"][0]["device_label"], "Jetson Orin NX");
}

#[test]
fn shards_are_deterministic_and_carry_provenance_in_the_footer() {
    let runs: Vec<Run> = (0..4).map(|r| fixtures::run("Jetson Orin NX", Backend::Cpu, Some("MAXN"), "SmolLM2 135M", r)).collect();
    let mut a = runs.clone();
    let mut b: Vec<Run> = runs.into_iter().rev().collect();
    let bytes_a = shard::encode(&mut a).unwrap();
    let bytes_b = shard::encode(&mut b).unwrap();
    assert_eq!(bytes_a, bytes_b, "row order must not change the bytes (and so the shard id)");

    let opened = OpenedShard::open(bytes_a.into(), &Limits::default()).unwrap();
    let footer: std::collections::HashMap<String, Option<String>> = opened.footer_entries().into_iter().collect();
    let get = |k: &str| footer.get(k).cloned().flatten();
    assert_eq!(get("table").as_deref(), Some("runs"));
    assert_eq!(get("schema_version").as_deref(), Some(SCHEMA_VERSION));
    assert_eq!(get("device_label").as_deref(), Some("Jetson Orin NX"));
    assert_eq!(get("power_mode").as_deref(), Some("MAXN"));
    assert_eq!(get("collector_git_commit").as_deref(), Some("0123456789abcdef0123456789abcdef01234567"));
    assert_eq!(get("host_ram_bytes").as_deref(), Some((16u64 << 30).to_string().as_str()));
    // Not constant across the shard, so not in the footer.
    assert_eq!(get("repetition"), None);
    assert!(get("run_config_sha256").is_some());
    // The Arrow schema is the one derived from the Rust types.
    assert_eq!(opened.arrow_schema().fields(), Run::SCHEMA.arrow_schema().fields());
}

#[test]
fn writer_refuses_duplicates_wrong_ids_and_implausible_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = Store::open(dir.path()).unwrap();
    let run = fixtures::run("Jetson Orin NX", Backend::Cpu, None, "SmolLM2 135M", 0);
    store.append(vec![run.clone()]).unwrap();

    let err = store.append(vec![run.clone()]).unwrap_err();
    assert!(matches!(err, Error::InvalidRows(ref m) if m.contains("already in the dataset")), "{err}");

    let mut wrong_id = fixtures::run("Jetson Orin NX", Backend::Cpu, None, "SmolLM2 135M", 1);
    wrong_id.repetition = 2;
    let err = store.append(vec![wrong_id]).unwrap_err();
    assert!(err.to_string().contains("should be"), "{err}");

    let mut negative = fixtures::generation(&run, 0);
    negative.ttft_ms = Some(-3.0);
    negative.generation_id = negative.compute_id();
    let err = store.append(vec![negative]).unwrap_err();
    assert!(err.to_string().contains("column ttft_ms") && err.to_string().contains("negative"), "{err}");

    // Nothing of the refused batches reached the disk.
    drop(store);
    assert_eq!(read_table::<Run>(dir.path()).unwrap().len(), 1);
    assert_eq!(read_table::<Generation>(dir.path()).unwrap().len(), 0);
    assert_valid(dir.path());
}

#[test]
fn a_second_writer_is_refused_while_the_first_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let (_first, _) = Store::open(dir.path()).unwrap();
    match Store::open(dir.path()) {
        Err(Error::Locked { .. }) => {}
        other => panic!("expected a lock error, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn the_repository_dataset_is_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_valid(root);
}

#[test]
fn generated_schema_files_match_the_code() {
    let schema_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema");
    let stale = edgebench_dataset::dictionary::stale_files(&schema_dir);
    assert!(stale.is_empty(), "run `cargo run -p dataset -- schema --write`; stale: {stale:?}");
    // And the dictionary documents every column of every table with its type and unit.
    let dictionary = std::fs::read_to_string(schema_dir.join("v1/README.md")).unwrap();
    for table in TABLES {
        for column in table.columns {
            assert!(dictionary.contains(&format!("| `{}` |", column.name)), "{} missing", column.name);
        }
    }
    assert!(dictionary.contains("| `ttft_ms` | float64 | ms | yes |"));
}

/// A commit interrupted after some of its shards were renamed is rolled back on open; one whose
/// shards all landed is rolled forward. Both are detected by the validator until then.
#[test]
fn interrupted_commits_roll_forward_or_back() {
    use edgebench_dataset::store::WriteBatch;
    for all_landed in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let run = fixtures::run("Jetson Orin NX", Backend::Cpu, None, "SmolLM2 135M", 0);
        let generations: Vec<Generation> = (0..3).map(|i| fixtures::generation(&run, i)).collect();
        // Stage and encode a batch, then lay its journal and (some of) its shards down by hand,
        // as a commit killed before its manifest write would leave them.
        let journal_entries = {
            let (mut store, _) = Store::open(dir.path()).unwrap();
            let mut batch = WriteBatch::default();
            store.stage(&mut batch, vec![run.clone()]).unwrap();
            store.stage(&mut batch, generations.clone()).unwrap();
            let encoded: Vec<(String, Vec<u8>)> = batch_shards(&batch);
            let json = serde_json::json!({"shards": encoded.iter().map(|(rel, bytes)| serde_json::json!({
                "path": rel, "table": rel.split('/').next().unwrap(), "sha256": edgebench_dataset::schema::Sha256Hex::of(bytes).to_string(),
                "rows": if rel.starts_with("runs") { 1 } else { 3 }, "bytes": bytes.len(), "schema_version": SCHEMA_VERSION,
            })).collect::<Vec<_>>()});
            std::fs::write(dir.path().join("v1/.journal-test.json"), json.to_string()).unwrap();
            let landed = if all_landed { encoded.len() } else { 1 };
            for (rel, bytes) in encoded.iter().take(landed) {
                let abs = dir.path().join("v1").join(rel);
                std::fs::create_dir_all(abs.parent().unwrap()).unwrap();
                std::fs::write(abs, bytes).unwrap();
            }
            encoded
        };
        let report = validate::validate(dir.path(), &Limits::default()).unwrap();
        assert!(report.problems.iter().any(|p| p.message.contains("journal of an interrupted commit")));
        let (_store, recovery) = Store::open(dir.path()).unwrap();
        if all_landed {
            assert_eq!(recovery.rolled_forward.len(), journal_entries.len());
            assert_eq!(read_table::<Generation>(dir.path()).unwrap().len(), 3);
        } else {
            assert_eq!(recovery.rolled_back.len(), journal_entries.len());
            assert_eq!(read_table::<Run>(dir.path()).unwrap().len(), 0);
            assert!(!dir.path().join("v1").join(&journal_entries[0].0).exists(), "the landed shard is removed");
        }
        drop(_store);
        assert_valid(dir.path());
    }
}

fn batch_shards(batch: &edgebench_dataset::store::WriteBatch) -> Vec<(String, Vec<u8>)> {
    batch.shards().map(|(rel, bytes)| (rel.to_owned(), bytes.to_vec())).collect()
}

mod rewrite {
    use super::*;
    use edgebench_dataset::store::WriteBatch;
    use edgebench_dataset::manifest::ShardEntry;

    /// A dataset with one run and its three generations; returns the generations' shard entry.
    fn seeded(dir: &Path) -> (Run, Vec<Generation>, ShardEntry) {
        let run = fixtures::run("Jetson Orin NX", Backend::Cpu, None, "SmolLM2 135M", 0);
        let generations: Vec<Generation> = (0..3).map(|i| fixtures::generation(&run, i)).collect();
        let (mut store, _) = Store::open(dir).unwrap();
        let mut batch = WriteBatch::default();
        store.stage(&mut batch, vec![run.clone()]).unwrap();
        store.stage(&mut batch, generations.clone()).unwrap();
        let entries = store.commit(batch).unwrap();
        let shard = entries.into_iter().find(|e| e.table == "generations").unwrap();
        (run, generations, shard)
    }

    fn scored(generations: &[Generation]) -> Vec<Generation> {
        generations
            .iter()
            .map(|g| {
                let mut g = g.clone();
                g.relevance = Some(0.5 + f64::from(g.prompt_index) / 10.0);
                g.relevance_model = Some("test scorer".into());
                g.relevance_model_sha256 = Some(edgebench_dataset::schema::Sha256Hex::of(b"weights"));
                g
            })
            .collect()
    }

    #[test]
    fn replaces_the_shard_and_deletes_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let (_, generations, old) = seeded(dir.path());
        let (mut store, _) = Store::open(dir.path()).unwrap();
        let new = store.rewrite(&old, scored(&generations)).unwrap();
        assert_eq!(new.len(), 1);
        assert_ne!(new[0].path, old.path);
        assert!(!dir.path().join("v1").join(&old.path).exists(), "the replaced file is deleted");
        assert!(!store.manifest().contains_path(&old.path));
        drop(store);
        let rows = read_table::<Generation>(dir.path()).unwrap();
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|g| g.relevance.is_some()));
        assert_valid(dir.path());
    }

    #[test]
    fn refuses_to_add_drop_or_break_rows() {
        let dir = tempfile::tempdir().unwrap();
        let (run, generations, old) = seeded(dir.path());
        let (mut store, _) = Store::open(dir.path()).unwrap();
        let fewer = store.rewrite(&old, generations[..2].to_vec()).unwrap_err().to_string();
        assert!(fewer.contains("must keep exactly the shard's rows"), "{fewer}");
        let mut more = generations.clone();
        more.push(fixtures::generation(&run, 7));
        assert!(store.rewrite(&old, more).is_err());
        let mut broken = scored(&generations);
        broken[1].relevance_model = None;
        let err = store.rewrite(&old, broken).unwrap_err().to_string();
        assert!(err.contains("relevance_model"), "{err}");
        // Nothing changed on disk.
        drop(store);
        assert!(dir.path().join("v1").join(&old.path).exists());
        assert!(read_table::<Generation>(dir.path()).unwrap().iter().all(|g| g.relevance.is_none()));
        assert_valid(dir.path());
    }

    /// The store writes only the current version, so a rewrite of a shard written under 1.0 (what
    /// `collect score` does to every old generations shard) writes a 1.1 shard: rows, footer and
    /// manifest entry say 1.1, and the ids, which do not include the version, are the same.
    #[test]
    fn a_shard_of_an_older_version_is_rewritten_at_the_current_one() {
        let dir = tempfile::tempdir().unwrap();
        let run = fixtures::run("Jetson Orin NX", Backend::Cpu, None, "SmolLM2 135M", 0);
        let generations: Vec<Generation> = (0..3).map(|i| fixtures::generation(&run, i)).collect();
        Store::open(dir.path()).unwrap().0.append(vec![run]).unwrap();
        let rel = crate::common::place_rows_at(dir.path(), generations.clone(), "1.0");
        let old = crate::common::load_manifest(dir.path()).shards.into_iter().find(|e| e.path == rel).unwrap();
        assert_eq!(old.schema_version, "1.0");
        assert_valid(dir.path());

        let (mut store, _) = Store::open(dir.path()).unwrap();
        let rows: Vec<Generation> = store.read_shard(&old).unwrap();
        assert!(rows.iter().all(|g| g.schema_version == "1.0"));
        let new = store.rewrite(&old, scored(&rows)).unwrap();
        assert_eq!((new.len(), new[0].schema_version.as_str()), (1, SCHEMA_VERSION));
        drop(store);

        let after = read_table::<Generation>(dir.path()).unwrap();
        let ids = |rows: &[Generation]| sorted(rows.to_vec()).into_iter().map(|g| g.generation_id).collect::<Vec<_>>();
        assert_eq!(ids(&after), ids(&generations));
        assert!(after.iter().all(|g| g.schema_version == SCHEMA_VERSION && g.relevance.is_some()));
        let bytes = std::fs::read(dir.path().join("v1").join(&new[0].path)).unwrap();
        let footer_version = OpenedShard::open(bytes.into(), &Limits::default()).unwrap().footer_version();
        assert_eq!(footer_version.as_deref(), Some(SCHEMA_VERSION));
        assert!(!dir.path().join("v1").join(&old.path).exists());
        assert_valid(dir.path());
    }

    /// A rewrite killed after its journal and new shard landed but before the manifest swap is
    /// finished by the next open; one killed before the new shard was complete is undone.
    #[test]
    fn an_interrupted_rewrite_is_finished_or_undone() {
        for new_landed in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let (_, generations, old) = seeded(dir.path());
            // Encode the new version as the rewrite would, and lay the journal down by hand.
            let (rel, bytes) = {
                let scratch = tempfile::tempdir().unwrap();
                let (mut other, _) = Store::open(scratch.path()).unwrap();
                let mut batch = WriteBatch::default();
                other.stage(&mut batch, scored(&generations)).unwrap();
                batch_shards(&batch).remove(0)
            };
            let journal = serde_json::json!({
                "shards": [{"path": rel, "table": "generations", "sha256": edgebench_dataset::schema::Sha256Hex::of(&bytes).to_string(),
                            "rows": 3, "bytes": bytes.len(), "schema_version": SCHEMA_VERSION}],
                "removed": [old],
            });
            std::fs::write(dir.path().join("v1/.journal-rewrite.json"), journal.to_string()).unwrap();
            let abs = dir.path().join("v1").join(&rel);
            std::fs::create_dir_all(abs.parent().unwrap()).unwrap();
            std::fs::write(&abs, if new_landed { &bytes[..] } else { &bytes[..bytes.len() / 2] }).unwrap();

            let (store, recovery) = Store::open(dir.path()).unwrap();
            drop(store);
            let rows = read_table::<Generation>(dir.path()).unwrap();
            assert_eq!(rows.len(), 3, "never both versions, never neither");
            if new_landed {
                assert_eq!(recovery.rolled_forward, vec![rel.clone()]);
                assert_eq!(recovery.replaced, vec![old.path.clone()]);
                assert!(rows.iter().all(|g| g.relevance.is_some()));
                assert!(!dir.path().join("v1").join(&old.path).exists());
            } else {
                assert_eq!(recovery.rolled_back, vec![rel.clone()]);
                assert!(rows.iter().all(|g| g.relevance.is_none()));
                assert!(!abs.exists());
            }
            assert_valid(dir.path());
        }
    }
}
