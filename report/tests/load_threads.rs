//! Reading on many threads gives what reading on one gives, to the bit: shards are folded on
//! their own and combined in manifest order (report/src/load/parallel.rs), so floating-point
//! sums do not depend on which thread read which shard.

mod common;

use edgebench_dataset::fixtures;
use edgebench_dataset::schema::Sha256Hex;
use edgebench_dataset::schema::v1::{Backend, Generation};
use edgebench_dataset::store::WriteBatch;
use edgebench_dataset::{Store, Table};
use edgebench_report::load::Dataset;

const RUNS: u32 = 6;
/// Each run's generations are committed in this many parts, so every run spans as many shards.
const PARTS: u32 = 3;
const PROMPTS_PER_PART: u32 = 7;

/// Values in [0, 1) whose sums change in their last bits with the order of addition.
fn awkward(run: u32, prompt: u32) -> f64 {
    (f64::from(run * 131 + prompt * 17 + 1).sqrt() * 0.618_033_988_749_894_9).fract()
}

fn write(root: &std::path::Path) {
    let (mut store, _) = Store::open(root).expect("open store");
    let runs: Vec<_> = (0..RUNS)
        .map(|rep| {
            fixtures::run(
                if rep % 2 == 0 { "Board A" } else { "Board B" },
                Backend::Cpu,
                None,
                "Tiny",
                rep,
            )
        })
        .collect();
    let mut batch = WriteBatch::default();
    store.stage(&mut batch, runs.clone()).expect("stage runs");
    store.commit(batch).expect("commit runs");
    for part in 0..PARTS {
        let mut generations: Vec<Generation> = Vec::new();
        for run in &runs {
            for prompt in part * PROMPTS_PER_PART..(part + 1) * PROMPTS_PER_PART {
                let mut g = fixtures::generation(run, prompt);
                let v = awkward(run.repetition, prompt);
                common::set_timing(&mut g, 100.0 + 1000.0 * v, 20.0 + v);
                g.relevance = Some(v);
                g.relevance_model = Some("all-MiniLM-L6-v2 (test)".into());
                g.relevance_model_sha256 = Some(Sha256Hex::of(b"test scorer"));
                g.generation_id = g.compute_id();
                generations.push(g);
            }
        }
        let mut batch = WriteBatch::default();
        store
            .stage(&mut batch, generations)
            .expect("stage generations");
        store.commit(batch).expect("commit generations");
    }
}

#[test]
fn totals_are_the_same_bits_on_one_thread_and_on_many() {
    let dir = tempfile::tempdir().expect("temporary directory");
    write(dir.path());
    let one = Dataset::load_on(dir.path(), 1).expect("load on one thread");
    assert_eq!(one.run_totals.len(), RUNS as usize);
    assert_eq!(
        one.generation_rows,
        u64::from(RUNS * PARTS * PROMPTS_PER_PART)
    );
    let shards = edgebench_dataset::manifest::Manifest::load(&dir.path().join("v1/MANIFEST.json"))
        .expect("manifest")
        .shards
        .iter()
        .filter(|s| s.table == "generations")
        .count();
    assert!(
        shards >= PARTS as usize,
        "each run should span several shards ({shards} generations shards)"
    );
    for totals in one.run_totals.values() {
        assert_eq!(totals.generations_ok, PARTS * PROMPTS_PER_PART);
        assert_eq!(totals.ttft_ms.n, PARTS * PROMPTS_PER_PART);
    }
    for threads in [2, 3, 8] {
        let many = Dataset::load_on(dir.path(), threads).expect("load on many threads");
        // Every relevance is set, so no NaN (which compares unequal to itself) is in the totals.
        assert_eq!(many.run_totals, one.run_totals, "{threads} threads");
        let ids = |d: &Dataset| {
            d.runs
                .iter()
                .map(|r| r.run_id.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(&many),
            ids(&one),
            "{threads} threads: runs in manifest order"
        );
    }
}
