//! `dataset check-contribution` and `dataset summary` on real git repositories built here: a
//! base commit with a dataset and the collector's version files, then what a pull request might
//! do to it. These are the commands the contribution workflow (.github/workflows/) runs.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{load_manifest, manifest_path, place};
use edgebench_dataset::fixtures;
use edgebench_dataset::schema::Sha256Hex;
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::shard;
use edgebench_dataset::{Store, Table};

/// A repository: `collector/Cargo.toml` and `Cargo.lock` as the real ones state versions, and a
/// dataset in `dataset/` whose rows were "measured" by that commit.
struct Repo {
    _dir: tempfile::TempDir,
    top: PathBuf,
    /// The commit that has the collector files (the rows' collector_git_commit).
    collector_commit: String,
    /// The commit with the base dataset.
    base: String,
}

impl Repo {
    fn dataset(&self) -> PathBuf {
        self.top.join("dataset")
    }

    fn git(&self, args: &[&str]) -> String {
        git(&self.top, args)
    }

    /// Commits everything as the pull request.
    fn commit_pr(&self) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", "contribution"]);
    }

    fn check(&self, extra: &[&str]) -> Output {
        let dataset = self.dataset();
        let mut args = vec!["check-contribution", dataset.to_str().unwrap(), "--base", &self.base];
        args.extend_from_slice(extra);
        Command::new(env!("CARGO_BIN_EXE_dataset")).args(&args).output().unwrap()
    }

    /// A run of the sample's cell "measured" by the repository's collector commit.
    fn run(&self, repetition: u32) -> Run {
        let mut r = fixtures::run("Jetson Orin NX", Backend::Cpu, Some("MAXN"), "SmolLM2 135M", repetition);
        r.collector_git_commit = self.collector_commit.clone();
        r.run_id = r.compute_id();
        r
    }

    fn add_runs(&self, runs: Vec<Run>) {
        let generations: Vec<Generation> = runs.iter().flat_map(|r| (0..3).map(move |i| fixtures::generation(r, i))).collect();
        let mut store = open_store(&self.dataset());
        store.append(runs).unwrap();
        store.append(generations).unwrap();
    }
}

/// Opens the store, waiting out a lock that a child process of another test thread inherited for
/// the instant between its fork and its exec (the lock's file descriptor is close-on-exec).
fn open_store(root: &Path) -> Store {
    for _ in 0..200 {
        match Store::open(root) {
            Ok((store, _)) => return store,
            Err(edgebench_dataset::Error::Locked { .. }) => std::thread::sleep(std::time::Duration::from_millis(10)),
            Err(e) => panic!("{e}"),
        }
    }
    panic!("{}: still locked after 2 s", root.display())
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").current_dir(dir).args(args).output().expect("git is installed");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Base: four runs (3 prompts each) of one cell, micro-benchmarks, all by the collector commit.
fn repo() -> Repo {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().to_owned();
    git(&top, &["init", "-q", "-b", "main"]);
    git(&top, &["config", "user.email", "test@example.org"]);
    git(&top, &["config", "user.name", "test"]);
    for (path, contents) in fixtures::collector_version_files() {
        let path = top.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    git(&top, &["add", "-A"]);
    git(&top, &["commit", "-q", "-m", "collector"]);
    let collector_commit = git(&top, &["rev-parse", "HEAD"]);
    let mut repo = Repo { _dir: dir, top, collector_commit, base: String::new() };
    // One commit per run, as a campaign writes them.
    for rep in 0..4 {
        repo.add_runs(vec![repo.run(rep)]);
    }
    let microbench: Vec<Microbench> = (0..2)
        .map(|rep| {
            let mut m = fixtures::microbench("Jetson AGX Orin", FusionVariant::Fused, rep, 1003.5);
            m.collector_git_commit = repo.collector_commit.clone();
            m.microbench_id = m.compute_id();
            m
        })
        .collect();
    open_store(&repo.dataset()).append(microbench).unwrap();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "base dataset"]);
    repo.base = repo.git(&["rev-parse", "HEAD"]);
    repo.git(&["checkout", "-q", "-b", "contribution"]);
    repo
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts exit status 1 and that some `error:` line contains every fragment.
fn assert_rejected(o: &Output, fragments: &[&str]) {
    let text = stdout(o);
    assert_eq!(o.status.code(), Some(1), "expected rejection; stdout:\n{text}\nstderr:\n{}", stderr(o));
    assert!(
        text.lines().any(|l| l.starts_with("error: ") && fragments.iter().all(|f| l.contains(f))),
        "no error line with {fragments:?} in:\n{text}"
    );
}

/// Rows of a listed shard, read back through the store's reader.
fn shard_rows<T: Table>(repo: &Repo, path: &str) -> Vec<T> {
    let store = open_store(&repo.dataset());
    let entry = load_manifest(&repo.dataset()).shards.into_iter().find(|s| s.path == path).unwrap();
    store.read_shard::<T>(&entry).unwrap()
}

/// Deletes a listed shard and its manifest entry (what `git rm` plus an edited manifest do).
fn unlist(repo: &Repo, path: &str) {
    let mut m = load_manifest(&repo.dataset());
    m.shards.retain(|s| s.path != path);
    m.save(&manifest_path(&repo.dataset())).unwrap();
    std::fs::remove_file(repo.dataset().join("v1").join(path)).unwrap();
}

fn shards_of(repo: &Repo, table: &str) -> Vec<String> {
    load_manifest(&repo.dataset()).shards.into_iter().filter(|s| s.table == table).map(|s| s.path).collect()
}

#[test]
fn a_clean_addition_passes_and_is_summarised() {
    let repo = repo();
    repo.add_runs(vec![repo.run(4), repo.run(5)]);
    repo.commit_pr();
    let o = repo.check(&[]);
    assert_eq!(o.status.code(), Some(0), "stdout:\n{}\nstderr:\n{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("adds 6 generations, 2 runs in 2 shard(s)"), "{}", stderr(&o));

    let md = Command::new(env!("CARGO_BIN_EXE_dataset"))
        .args(["summary", repo.dataset().to_str().unwrap(), "--markdown", "--base", &repo.base])
        .output()
        .unwrap();
    assert_eq!(md.status.code(), Some(0), "{}", stderr(&md));
    let md = stdout(&md);
    assert!(md.contains("| runs | 4 | 2 |"), "{md}");
    assert!(md.contains("| generations | 12 | 6 |"), "{md}");
    // The cell's row: 2 added runs beside 4 in the base, TPOT compared by ratio.
    let cell = md.lines().find(|l| l.starts_with("| Jetson Orin NX · cpu · MAXN · SmolLM2 135M (Q4_1) |")).expect(&md);
    assert!(cell.contains("| 2 | 4 |"), "{cell}");
    assert!(cell.contains("×)"), "{cell}");
}

#[test]
fn an_edited_row_is_rejected_with_the_old_and_new_value() {
    let repo = repo();
    let path = shards_of(&repo, "runs")[0].clone();
    let mut rows: Vec<Run> = shard_rows(&repo, &path);
    let old = rows[0].load_ms.unwrap();
    rows[0].load_ms = Some(old / 2.0);
    unlist(&repo, &path);
    let (device, model) = rows[0].partition();
    place(&repo.dataset(), "runs", &device, &model, &shard::encode(&mut rows).unwrap(), true);
    repo.commit_pr();
    assert_rejected(&repo.check(&[]), &["column load_ms", "changed: was `", "now `"]);
}

#[test]
fn a_shard_edited_in_place_is_rejected_once() {
    let repo = repo();
    let path = shards_of(&repo, "generations")[0].clone();
    let file = repo.dataset().join("v1").join(&path);
    let mut bytes = std::fs::read(&file).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    std::fs::write(&file, bytes).unwrap();
    repo.commit_pr();
    let o = repo.check(&[]);
    assert_rejected(&o, &[&path, "changed in place"]);
    // One line for the shard, not one per row it held.
    assert_eq!(stdout(&o).lines().filter(|l| l.contains("gone from the dataset")).count(), 0, "{}", stdout(&o));
}

#[test]
fn a_deleted_row_is_rejected() {
    let repo = repo();
    let path = shards_of(&repo, "generations")[1].clone();
    unlist(&repo, &path);
    repo.commit_pr();
    assert_rejected(&repo.check(&[]), &[&path, "3 row(s) of this base shard are gone", "never delete"]);
}

#[test]
fn a_duplicate_of_a_base_row_is_rejected() {
    let repo = repo();
    // The same run contributed again: same identity, same id, in a new shard beside the base's.
    let mut again = repo.run(0);
    again.load_ms = Some(again.load_ms.unwrap() + 1.0);
    let (device, model) = again.partition();
    place(&repo.dataset(), "runs", &device, &model, &shard::encode(&mut [again]).unwrap(), true);
    repo.commit_pr();
    assert_rejected(&repo.check(&[]), &["duplicate id", "contributed twice"]);
}

#[test]
fn a_forged_id_is_rejected() {
    let repo = repo();
    let mut forged = repo.run(7);
    forged.run_id = Sha256Hex::of(b"anything");
    let (device, model) = forged.partition();
    place(&repo.dataset(), "runs", &device, &model, &shard::encode(&mut [forged]).unwrap(), true);
    repo.commit_pr();
    assert_rejected(&repo.check(&[]), &["column run_id", "is not the sha256 of the identifying fields"]);
}

#[test]
fn an_oversized_pull_request_is_rejected() {
    let repo = repo();
    repo.add_runs((4..8).map(|rep| repo.run(rep)).collect());
    repo.commit_pr();
    assert_eq!(repo.check(&[]).status.code(), Some(0));
    assert_rejected(&repo.check(&["--max-added-rows", "10"]), &["adds 16 rows; the cap is 10", "split the contribution"]);
    assert_rejected(&repo.check(&["--max-added-shards", "1"]), &["adds 2 shards; the cap is 1"]);
    assert_rejected(&repo.check(&["--max-added-bytes", "1000"]), &["bytes of shards; the cap is 1000"]);
}

#[test]
fn provenance_that_git_cannot_trace_is_rejected() {
    let repo = repo();
    let mut unknown = repo.run(4);
    unknown.collector_git_commit = "89abcdef0123456789abcdef0123456789abcdef".into();
    let mut dirty = repo.run(5);
    dirty.collector_git_commit = format!("{}-dirty", repo.collector_commit);
    let mut wrong_version = repo.run(6);
    wrong_version.collector_version = "9.9.9".into();
    let mut wrong_llama = repo.run(8);
    wrong_llama.llama_cpp_sys_version = "0.1.1".into();
    for r in [unknown, dirty, wrong_version, wrong_llama] {
        repo.add_runs(vec![r]);
    }
    repo.commit_pr();
    let o = repo.check(&[]);
    assert_rejected(&o, &["column collector_git_commit", "89abcdef0123456789abcdef0123456789abcdef` is not a commit in this repository's history"]);
    assert_rejected(&o, &["column collector_git_commit", "-dirty` was built with uncommitted changes"]);
    assert_rejected(&o, &["column collector_version", "`9.9.9`, but commit", "builds collector 0.0.0-synthetic"]);
    assert_rejected(&o, &["column llama_cpp_sys_version", "`0.1.1`, but Cargo.lock at commit", "locks llama-cpp-sys-2 0.1.160"]);
    assert_eq!(stdout(&o).lines().filter(|l| l.starts_with("error: ")).count(), 4, "{}", stdout(&o));
}

#[test]
fn an_outlying_cell_is_a_warning_with_its_numbers() {
    let repo = repo();
    let mut slow = repo.run(4);
    slow.load_ms = Some(slow.load_ms.unwrap() * 5.0);
    repo.add_runs(vec![slow]);
    repo.commit_pr();
    let o = repo.check(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let text = stdout(&o);
    let line = text.lines().find(|l| l.starts_with("warning: ")).unwrap_or_else(|| panic!("no warning in:\n{text}"));
    assert!(line.contains("load_ms of the 1 new run(s)") && line.contains("5.02× the median 701.5 ms") && line.contains("4 base run(s) of the same cell"), "{line}");
    assert!(stderr(&o).contains("0 error(s), 1 warning(s)"), "{}", stderr(&o));
}

#[test]
fn store_transactions_may_replace_shards() {
    let repo = repo();
    // Scoring: relevance filled into a generations shard, through the store's rewrite.
    let path = shards_of(&repo, "generations")[0].clone();
    let mut rows: Vec<Generation> = shard_rows(&repo, &path);
    for g in &mut rows {
        g.relevance = Some(0.5);
        g.relevance_model = Some("test-scorer".into());
        g.relevance_model_sha256 = Some(Sha256Hex::of(b"scorer"));
    }
    let entry = load_manifest(&repo.dataset()).shards.into_iter().find(|s| s.path == path).unwrap();
    open_store(&repo.dataset()).rewrite(&entry, rows).unwrap();
    // Compaction: two run shards merged into one, rows unchanged.
    let runs = shards_of(&repo, "runs");
    let mut merged: Vec<Run> = runs[..2].iter().flat_map(|p| shard_rows::<Run>(&repo, p)).collect();
    for p in &runs[..2] {
        unlist(&repo, p);
    }
    let (device, model) = merged[0].partition();
    place(&repo.dataset(), "runs", &device, &model, &shard::encode(&mut merged).unwrap(), true);
    repo.commit_pr();
    let o = repo.check(&[]);
    assert_eq!(o.status.code(), Some(0), "stdout:\n{}\nstderr:\n{}", stdout(&o), stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("replaces 3 base shard(s) by 2 (moved unchanged (compaction), relevance filled in (scoring))"), "{err}");

    // But a relevance that was already set may not be changed.
    let path = shards_of(&repo, "generations").into_iter().find(|p| {
        shard_rows::<Generation>(&repo, p).iter().all(|g| g.relevance.is_some())
    }).unwrap();
    repo.git(&["commit", "-q", "--allow-empty", "-m", "scored"]);
    let scored_base = repo.git(&["rev-parse", "HEAD"]);
    let mut rows: Vec<Generation> = shard_rows(&repo, &path);
    rows[0].relevance = Some(0.9);
    let entry = load_manifest(&repo.dataset()).shards.into_iter().find(|s| s.path == path).unwrap();
    open_store(&repo.dataset()).rewrite(&entry, rows).unwrap();
    repo.commit_pr();
    let o = Command::new(env!("CARGO_BIN_EXE_dataset"))
        .args(["check-contribution", repo.dataset().to_str().unwrap(), "--base", &scored_base])
        .output()
        .unwrap();
    assert_rejected(&o, &["column relevance", "was `0.5`, now `0.9`"]);
}

#[test]
fn usage_errors_exit_2() {
    let repo = repo();
    let o = repo.check(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let bad_rev = Command::new(env!("CARGO_BIN_EXE_dataset"))
        .args(["check-contribution", repo.dataset().to_str().unwrap(), "--base", "no-such-branch"])
        .output()
        .unwrap();
    assert_eq!(bad_rev.status.code(), Some(2));
    assert!(stderr(&bad_rev).contains("`no-such-branch` names no commit"), "{}", stderr(&bad_rev));
    let outside = tempfile::tempdir().unwrap();
    common::write_sample(outside.path());
    let not_git = Command::new(env!("CARGO_BIN_EXE_dataset"))
        .args(["check-contribution", outside.path().to_str().unwrap(), "--base", "main"])
        .output()
        .unwrap();
    assert_eq!(not_git.status.code(), Some(2));
    assert!(stderr(&not_git).contains("not inside a git work tree"), "{}", stderr(&not_git));
}

#[test]
fn a_first_contribution_has_an_empty_base() {
    let repo = repo();
    let o = Command::new(env!("CARGO_BIN_EXE_dataset"))
        .args(["check-contribution", repo.dataset().to_str().unwrap(), "--base", &repo.collector_commit])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("adds 12 generations, 2 microbench, 4 runs"), "{}", stderr(&o));
}

/// The committed dataset is an acceptable contribution on top of the commit before the last one
/// that changed it (this repository is a git clone wherever the tests run: CI clones it).
#[test]
fn the_committed_dataset_passes_against_its_previous_commit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let last = git(root, &["log", "-1", "--format=%H", "--", "v1"]);
    assert!(!last.is_empty(), "no commit touches dataset/v1");
    let o = Command::new(env!("CARGO_BIN_EXE_dataset"))
        .args(["check-contribution", root.to_str().unwrap(), "--base", &format!("{last}~1")])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "stdout:\n{}\nstderr:\n{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("is acceptable"), "{}", stderr(&o));
}
