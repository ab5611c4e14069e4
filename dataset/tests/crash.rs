//! Writes survive `kill -9` at any moment: no partial shard, no manifest naming a missing file,
//! and reopening the store finishes the interrupted work without loss or duplicates.

mod common;

use std::path::Path;
use std::time::Duration;

use edgebench_dataset::manifest::Manifest;
use edgebench_dataset::schema::Sha256Hex;
use edgebench_dataset::schema::v1::{Backend, Generation, Run};
use edgebench_dataset::store::WriteBatch;
use edgebench_dataset::shard::{Limits, OpenedShard};
use edgebench_dataset::{Store, fixtures, read_table, validate};

const CHILD_ENV: &str = "EDGEBENCH_CRASH_CHILD_DIR";
const GENERATIONS_PER_RUN: u32 = 3;

/// Child side: appends runs one shard at a time until it is killed. Ignored by a normal test
/// run; `kill_nine_never_corrupts_the_dataset` starts it in a separate process.
#[test]
#[ignore = "child process of kill_nine_never_corrupts_the_dataset"]
fn crash_child_appends_forever() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else { return };
    let (mut store, _) = Store::open(Path::new(&dir)).unwrap();
    let start = store.existing_ids::<Run>().unwrap().len() as u32;
    for rep in start.. {
        // A run and its generations, committed together.
        let device = if rep % 2 == 0 { "Jetson Orin NX" } else { "MacBook Pro M4" };
        let run = fixtures::run(device, Backend::Cpu, None, "SmolLM2 135M", rep);
        let generations: Vec<Generation> = (0..GENERATIONS_PER_RUN).map(|i| fixtures::generation(&run, i)).collect();
        let mut batch = WriteBatch::default();
        store.stage(&mut batch, vec![run]).unwrap();
        store.stage(&mut batch, generations).unwrap();
        store.commit(batch).unwrap();
    }
}

/// What must hold after any crash, before recovery.
fn assert_crash_consistent(root: &Path) {
    let manifest = Manifest::load(&root.join("v1/MANIFEST.json")).expect("the manifest is always complete JSON");
    for entry in &manifest.shards {
        let bytes = std::fs::read(root.join("v1").join(&entry.path)).expect("a listed shard always exists");
        assert_eq!(Sha256Hex::of(&bytes), entry.sha256, "a listed shard is complete");
    }
    let mut files = Vec::new();
    collect(&root.join("v1"), &mut files);
    for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "parquet")) {
        let bytes = std::fs::read(f).unwrap();
        let name = f.file_stem().unwrap().to_str().unwrap();
        assert_eq!(Sha256Hex::of(&bytes).as_str(), name, "no partial shard under a final name: {}", f.display());
        OpenedShard::open(bytes.into(), &Limits::default()).expect("every named shard decodes");
    }
}

/// Every stored run has all its generations: a commit is never half visible.
fn assert_runs_complete(root: &Path) {
    let runs = read_table::<Run>(root).unwrap();
    let generations = read_table::<Generation>(root).unwrap();
    for run in &runs {
        let n = generations.iter().filter(|g| g.run_id == run.run_id).count();
        assert_eq!(n, GENERATIONS_PER_RUN as usize, "run {} has {n} generations", run.repetition);
    }
    assert_eq!(generations.len(), runs.len() * GENERATIONS_PER_RUN as usize);
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { collect(&p, out) } else { out.push(p) }
    }
}

#[test]
fn kill_nine_never_corrupts_the_dataset() {
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path()).unwrap();
    let exe = std::env::current_exe().unwrap();
    for round in 0..8u64 {
        let mut child = std::process::Command::new(&exe)
            .args(["--exact", "crash_child_appends_forever", "--ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Let it write for a varying while, then SIGKILL it mid-write.
        std::thread::sleep(Duration::from_millis(150 + round * 37));
        child.kill().unwrap();
        child.wait().unwrap();
        assert_crash_consistent(dir.path());
        // What the manifest lists is already whole, even before recovery.
        assert_runs_complete(dir.path());
    }
    // Reopening finishes interrupted writes; the result is valid and holds every run once.
    let (mut store, _recovery) = Store::open(dir.path()).unwrap();
    let ids = store.existing_ids::<Run>().unwrap().clone();
    drop(store);
    assert_runs_complete(dir.path());
    let report = validate::validate(dir.path(), &Limits::default()).unwrap();
    assert!(report.is_valid(), "{:?}", report.problems);
    let runs = read_table::<Run>(dir.path()).unwrap();
    assert!(runs.len() > 8, "the children should have written something ({} runs)", runs.len());
    assert_eq!(runs.len(), ids.len(), "no duplicates");
    // Repetitions are contiguous from 0: nothing the children committed was lost.
    let mut reps: Vec<u32> = runs.iter().map(|r| r.repetition).collect();
    reps.sort();
    assert_eq!(reps, (0..runs.len() as u32).collect::<Vec<_>>());
}
