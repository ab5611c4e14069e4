//! `read::for_each_batch_in_shard` with text columns read as dictionaries: the same values as
//! plain strings, for columns of few distinct values and of all-distinct ones. (Pages the writer
//! stored plain, past its 1 MB dictionary limit, are dictionary-encoded by the Parquet reader
//! while decoding; a shard that large is not built here.)

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, RecordBatch};
use edgebench_dataset::manifest::{MANIFEST_FILE, Manifest};
use edgebench_dataset::schema::v1::{Backend, Generation, VERSION_DIR};
use edgebench_dataset::shard::dictionary_type;
use edgebench_dataset::store::WriteBatch;
use edgebench_dataset::{Store, Table, fixtures, read};

/// Every value of the text column `name`, plain or dictionary-encoded, in row order.
fn texts(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let column = batch.column_by_name(name).expect("column read");
    let owned = |s: Option<&str>| s.map(str::to_owned);
    match column.as_dictionary_opt::<Int32Type>() {
        Some(dict) => {
            let values = dict.values().as_string::<i32>();
            dict.keys()
                .iter()
                .map(|k| owned(k.map(|k| values.value(k as usize))))
                .collect()
        }
        None => column.as_string::<i32>().iter().map(owned).collect(),
    }
}

#[test]
fn dictionary_columns_read_the_same_values_as_plain_ones() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (mut store, _) = Store::open(dir.path()).expect("open store");
    let runs: Vec<_> = (0..3)
        .map(|rep| fixtures::run("Board", Backend::Cpu, None, "Tiny", rep))
        .collect();
    // output_sha256 differs from prompt to prompt.
    let generations: Vec<Generation> = runs
        .iter()
        .flat_map(|r| (0..40).map(|p| fixtures::generation(r, p)))
        .collect();
    let mut batch = WriteBatch::default();
    store.stage(&mut batch, runs).expect("stage runs");
    store
        .stage(&mut batch, generations)
        .expect("stage generations");
    store.commit(batch).expect("commit");

    let manifest =
        Manifest::load(&dir.path().join(VERSION_DIR).join(MANIFEST_FILE)).expect("manifest");
    let shard = manifest
        .shards
        .iter()
        .find(|s| s.table == Generation::schema().name)
        .expect("a generations shard");
    let columns = ["run_id", "status", "output_sha256", "ttft_ms"];
    let read_all = |dictionary: &[&str]| {
        let mut batches = Vec::new();
        read::for_each_batch_in_shard(dir.path(), shard, &columns, dictionary, |_, b| {
            batches.push(b.clone());
            Ok(())
        })
        .expect("read the shard");
        batches
    };
    let plain = read_all(&[]);
    let dictionary = read_all(&["run_id", "status", "output_sha256"]);
    assert_eq!(plain.len(), dictionary.len());
    for (p, d) in plain.iter().zip(&dictionary) {
        for name in ["run_id", "status", "output_sha256"] {
            assert_eq!(
                *d.column_by_name(name).unwrap().data_type(),
                dictionary_type(),
                "{name}"
            );
            assert_eq!(texts(d, name), texts(p, name), "{name}");
        }
        assert_eq!(
            d.column_by_name("ttft_ms").unwrap().as_ref(),
            p.column_by_name("ttft_ms").unwrap().as_ref()
        );
    }
    assert_eq!(plain.iter().map(RecordBatch::num_rows).sum::<usize>(), 120);
}
