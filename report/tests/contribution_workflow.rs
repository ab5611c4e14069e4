//! The contribution workflow, run here: `.github/workflows/contribution.yml` calls
//! `scripts/check-contribution.sh` and nothing else of substance; this test checks that, then
//! runs that script with the real `dataset` and `report` binaries on git repositories built here
//! (a clean addition passes and leaves a report and a Markdown summary; an edited row fails and
//! says why in the summary).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use edgebench_dataset::fixtures;
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::{Store, Table};

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// The `dataset` binary of this build (built by `cargo test --workspace`; built here otherwise).
fn dataset_bin() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_report")).with_file_name(format!("dataset{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        let status = Command::new(env!("CARGO")).current_dir(workspace()).args(["build", "-p", "dataset", "--bin", "dataset"]).status().unwrap();
        assert!(status.success(), "cargo build -p dataset failed");
    }
    bin
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").current_dir(dir).args(args).output().expect("git is installed");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A repository with the collector's version files, the script, and a base dataset of three runs;
/// checked out on a pull-request branch. Returns (directory, base commit, collector commit).
fn repo() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path();
    git(top, &["init", "-q", "-b", "main"]);
    git(top, &["config", "user.email", "test@example.org"]);
    git(top, &["config", "user.name", "test"]);
    for (path, contents) in fixtures::collector_version_files() {
        std::fs::create_dir_all(top.join(path).parent().unwrap()).unwrap();
        std::fs::write(top.join(path), contents).unwrap();
    }
    std::fs::create_dir_all(top.join("scripts")).unwrap();
    std::fs::copy(workspace().join("scripts/check-contribution.sh"), top.join("scripts/check-contribution.sh")).unwrap();
    git(top, &["add", "-A"]);
    git(top, &["commit", "-q", "-m", "collector"]);
    let collector = git(top, &["rev-parse", "HEAD"]);
    add_runs(top, &collector, 0..3);
    git(top, &["add", "-A"]);
    git(top, &["commit", "-q", "-m", "base dataset"]);
    let base = git(top, &["rev-parse", "HEAD"]);
    git(top, &["checkout", "-q", "-b", "contribution"]);
    (dir, base, collector)
}

fn add_runs(top: &Path, collector: &str, repetitions: std::ops::Range<u32>) {
    let (mut store, _) = Store::open(&top.join("dataset")).unwrap();
    for rep in repetitions {
        let mut run = fixtures::run("Jetson Orin NX", Backend::Cuda, Some("MAXN"), "SmolLM2 135M", rep);
        run.collector_git_commit = collector.to_owned();
        run.run_id = run.compute_id();
        let generations: Vec<Generation> = (0..3).map(|i| fixtures::generation(&run, i)).collect();
        store.append(vec![run]).unwrap();
        store.append(generations).unwrap();
    }
}

/// Runs the script as the workflow does.
fn run_script(top: &Path, base: &str) -> Output {
    Command::new("bash")
        .current_dir(top)
        .args(["scripts/check-contribution.sh", base, "contribution"])
        .env("DATASET", dataset_bin())
        .env("REPORT", env!("CARGO_BIN_EXE_report"))
        .output()
        .unwrap()
}

#[test]
fn the_workflow_runs_only_the_tested_script() {
    let yaml = std::fs::read_to_string(workspace().join(".github/workflows/contribution.yml")).unwrap();
    let runs: Vec<&str> = yaml.lines().map(str::trim).filter_map(|l| l.strip_prefix("- run: ").or_else(|| l.strip_prefix("run: "))).collect();
    assert_eq!(
        runs,
        [
            "rustup toolchain install 1.92 --profile minimal && rustup default 1.92",
            "cargo build --release --locked -p dataset -p report",
            "bash scripts/check-contribution.sh \"origin/${{ github.base_ref }}\" contribution",
            "cat contribution/summary.md >> \"$GITHUB_STEP_SUMMARY\"",
        ],
        "a step was added to the workflow: put what it does into scripts/check-contribution.sh, which this test runs"
    );
    assert!(yaml.contains("DATASET: target/release/dataset") && yaml.contains("REPORT: target/release/report"));
    assert!(yaml.contains("fetch-depth: 0"), "the checker needs the target branch and the collector commits");
    assert!(yaml.contains("- \"dataset/**\""));
    // The toolchain the workflow installs is the workspace's minimum.
    let cargo = std::fs::read_to_string(workspace().join("Cargo.toml")).unwrap();
    assert!(cargo.contains("rust-version = \"1.92\""), "update the workflow's toolchain with rust-version");
}

#[test]
fn a_clean_contribution_passes_with_a_report_and_a_summary() {
    let (dir, base, collector) = repo();
    let top = dir.path();
    add_runs(top, &collector, 3..5);
    git(top, &["add", "-A"]);
    git(top, &["commit", "-q", "-m", "two more runs"]);
    let o = run_script(top, &base);
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(0), "stdout:\n{out}\nstderr:\n{err}");
    let summary = std::fs::read_to_string(top.join("contribution/summary.md")).unwrap();
    assert!(summary.contains("| runs | 3 | 2 |"), "{summary}");
    assert!(summary.contains("| Jetson Orin NX · cuda · MAXN · SmolLM2 135M (Q4_1) | 2 | 3 |"), "{summary}");
    assert!(summary.contains("is acceptable"), "{summary}");
    assert!(!summary.contains("Some checks failed"), "{summary}");
    for file in ["report.pdf", "index.html"] {
        let path = top.join("contribution/report").join(file);
        assert!(path.metadata().map(|m| m.len() > 1000).unwrap_or(false), "{} missing", path.display());
    }
}

#[test]
fn an_edited_row_fails_and_the_summary_says_why() {
    let (dir, base, _) = repo();
    let top = dir.path();
    // Edit one value of a base shard in place.
    let manifest = edgebench_dataset::manifest::Manifest::load(&top.join("dataset/v1/MANIFEST.json")).unwrap();
    let shard = manifest.shards.iter().find(|s| s.table == "runs").unwrap();
    let file = top.join("dataset/v1").join(&shard.path);
    let mut bytes = std::fs::read(&file).unwrap();
    let n = bytes.len();
    bytes[n / 3] ^= 0x01;
    std::fs::write(&file, bytes).unwrap();
    git(top, &["commit", "-q", "-am", "edit"]);
    let o = run_script(top, &base);
    assert_eq!(o.status.code(), Some(1), "stdout:\n{}", String::from_utf8_lossy(&o.stdout));
    let summary = std::fs::read_to_string(top.join("contribution/summary.md")).unwrap();
    assert!(summary.contains("changed in place") && summary.contains(&shard.path), "{summary}");
    assert!(summary.contains("Some checks failed"), "{summary}");
}
