//! `report build` on bad input, run as a user would (the built binary): every mistake gives one
//! message on stderr, once, that names the path, what is wrong and the fix, and an exit status
//! that tells a data error (1) from a usage error (2, clap's) and an output error (3).
//!
//! The datasets are copies of the committed one, damaged in each way a user meets: a truncated
//! or deleted shard, a manifest that does not parse, a missing manifest; inside a git work tree
//! (where the fix is `git checkout`, and the test runs it and builds again) and outside one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use edgebench_dataset::manifest::Manifest;
use edgebench_report::exit_code;

fn committed_dataset() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().join("dataset")
}

/// `report build --dataset <dataset> --out <out>`, run in `cwd`.
fn build_in(cwd: &Path, dataset: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_report"))
        .current_dir(cwd)
        .args(["build", "--dataset"])
        .arg(dataset)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// A copy of the committed dataset's `v1/` (and its registry) at `to`.
fn copy_dataset(to: &Path) {
    copy_dir(&committed_dataset().join("v1"), &to.join("v1"));
    std::fs::copy(committed_dataset().join("models.jsonl"), to.join("models.jsonl")).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The path, relative to the dataset directory, of the first shard of `table` in the manifest.
fn first_shard(dataset: &Path, table: &str) -> String {
    let manifest = Manifest::load(&dataset.join("v1/MANIFEST.json")).unwrap();
    format!("v1/{}", manifest.shards.iter().find(|s| s.table == table).unwrap().path)
}

/// Checks a failed build: its exit status, nothing on stdout, no report written, and one error
/// on stderr that contains every one of `says` exactly once (paths, what is wrong, the fix).
/// Returns stderr.
#[track_caller]
fn assert_error(output: &Output, out: &Path, code: u8, says: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(i32::from(code)), "exit status; stderr:\n{stderr}");
    assert!(output.stdout.is_empty(), "stdout: {}", String::from_utf8_lossy(&output.stdout));
    assert!(!out.join("report.pdf").exists(), "a failed build wrote report.pdf");
    assert_eq!(stderr.matches("error:").count(), 1, "one error:\n{stderr}");
    assert_eq!(stderr.matches("  fix: ").count(), 1, "one fix:\n{stderr}");
    let error = &stderr[stderr.find("report: error: ").expect("an error line")..];
    for said in says {
        assert_eq!(error.matches(said).count(), 1, "`{said}` once in the error:\n{stderr}");
    }
    stderr
}

/// The advice that must not be given: `dataset repair` does not restore a shard's bytes.
#[track_caller]
fn assert_not_advised(stderr: &str, advice: &[&str]) {
    for a in advice {
        assert!(!stderr.contains(a), "`{a}` is not the fix here:\n{stderr}");
    }
}

#[test]
fn a_path_that_does_not_exist_is_said_so() {
    let tmp = tempfile::tempdir().unwrap();
    let (missing, out) = (tmp.path().join("no-such-dataset"), tmp.path().join("out"));
    let o = build_in(tmp.path(), &missing, &out);
    let text = missing.display().to_string();
    let stderr = assert_error(&o, &out, exit_code::DATA, &[&text, "does not exist", "v1/MANIFEST.json with --dataset"]);
    assert!(!stderr.contains("not an edgebench dataset"), "{stderr}");
    assert!(!out.exists(), "a failed build leaves no output directory");
}

#[test]
fn a_file_is_not_a_dataset_directory() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "x").unwrap();
    let out = tmp.path().join("out");
    let o = build_in(tmp.path(), Path::new("notes.txt"), &out);
    assert_error(&o, &out, exit_code::DATA, &["notes.txt is a file, not a dataset directory", "--dataset"]);
}

#[test]
fn the_version_directory_or_a_file_inside_the_dataset_names_the_dataset_directory() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dataset(&tmp.path().join("data"));
    let out = tmp.path().join("out");
    let shard = format!("data/{}", first_shard(&tmp.path().join("data"), "runs"));
    for (given, what, fix) in [
        ("data/v1", "data/v1 is the v1/ directory of the dataset data", "pass its parent, the dataset directory: --dataset data"),
        ("data/v1/", "data/v1/ is the v1/ directory of the dataset data", "pass its parent, the dataset directory: --dataset data"),
        ("data/v1/runs", "data/v1/runs is a directory inside the dataset data", "pass the dataset directory itself: --dataset data"),
        ("data/v1/MANIFEST.json", "data/v1/MANIFEST.json is a file of the dataset data", "pass the dataset directory itself: --dataset data"),
        (shard.as_str(), "is a file of the dataset data", "pass the dataset directory itself: --dataset data"),
    ] {
        let o = build_in(tmp.path(), Path::new(given), &out);
        assert_error(&o, &out, exit_code::DATA, &[given, what, fix]);
    }
    // From inside v1/ itself, `.` is the version directory: its parent is named as `..`.
    let o = build_in(&tmp.path().join("data/v1"), Path::new("."), &out);
    let stderr = assert_error(&o, &out, exit_code::DATA, &["is the v1/ directory of the dataset"]);
    assert!(stderr.contains("--dataset ") && stderr.contains("data\n"), "names the dataset directory:\n{stderr}");
}

#[test]
fn a_directory_that_holds_a_dataset_names_it() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dataset(&tmp.path().join("clone/dataset"));
    let out = tmp.path().join("out");
    let o = build_in(tmp.path(), Path::new("clone"), &out);
    assert_error(&o, &out, exit_code::DATA, &["clone is not a dataset directory", "but clone/dataset is", "--dataset clone/dataset"]);
}

#[test]
fn an_empty_directory_or_one_without_a_manifest_is_not_a_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(tmp.path().join("empty")).unwrap();
    let o = build_in(tmp.path(), Path::new("empty"), &out);
    assert_error(&o, &out, exit_code::DATA, &["empty is an empty directory, not an edgebench dataset", "v1/MANIFEST.json with --dataset"]);

    std::fs::create_dir(tmp.path().join("other")).unwrap();
    std::fs::write(tmp.path().join("other/readme.md"), "x").unwrap();
    let o = build_in(tmp.path(), Path::new("other"), &out);
    assert_error(&o, &out, exit_code::DATA, &["other is not an edgebench dataset: it has no v1/MANIFEST.json", "--dataset"]);

    // Shards but no manifest, outside git: `dataset repair` lists them in a new one.
    copy_dataset(&tmp.path().join("unlisted"));
    std::fs::remove_file(tmp.path().join("unlisted/v1/MANIFEST.json")).unwrap();
    let o = build_in(tmp.path(), Path::new("unlisted"), &out);
    assert_error(&o, &out, exit_code::DATA, &["unlisted/v1/MANIFEST.json is missing", "`dataset repair unlisted`"]);
}

#[test]
fn a_damaged_or_missing_shard_outside_git_is_left_to_dataset_validate() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let data = tmp.path().join("data");
    copy_dataset(&data);
    let generations = first_shard(&data, "generations");
    let runs = first_shard(&data, "runs");

    let bytes = std::fs::read(data.join(&generations)).unwrap();
    std::fs::write(data.join(&generations), &bytes[..bytes.len() / 2]).unwrap();
    let o = build_in(tmp.path(), Path::new("data"), &out);
    let stderr = assert_error(
        &o,
        &out,
        exit_code::DATA,
        &[&format!("data/{generations}"), "do not match the sha256", "copy it again", "`dataset validate data`"],
    );
    assert_not_advised(&stderr, &["git checkout", "dataset repair"]);
    std::fs::write(data.join(&generations), &bytes).unwrap();

    std::fs::remove_file(data.join(&runs)).unwrap();
    let o = build_in(tmp.path(), Path::new("data"), &out);
    let stderr = assert_error(
        &o,
        &out,
        exit_code::DATA,
        &[&format!("data/{runs} is missing, though data/v1/MANIFEST.json lists it"), "`dataset validate data`"],
    );
    assert_not_advised(&stderr, &["git checkout", "dataset repair"]);
    copy_dataset(&data);

    // Bytes that match the manifest but are no Parquet file.
    let manifest_path = data.join("v1/MANIFEST.json");
    let mut manifest = Manifest::load(&manifest_path).unwrap();
    let entry = manifest.shards.iter_mut().find(|s| s.table == "kernels").unwrap();
    let garbage = b"not a parquet file".repeat(8);
    std::fs::write(data.join("v1").join(&entry.path), &garbage).unwrap();
    (entry.sha256, entry.bytes) = (edgebench_dataset::schema::Sha256Hex::of(&garbage), garbage.len() as u64);
    let kernels = format!("data/v1/{}", entry.path);
    manifest.save(&manifest_path).unwrap();
    let o = build_in(tmp.path(), Path::new("data"), &out);
    let stderr = assert_error(&o, &out, exit_code::DATA, &[&format!("{kernels}: not a Parquet file"), "`dataset validate data`"]);
    assert_not_advised(&stderr, &["git checkout", "dataset repair"]);
}

#[test]
fn a_manifest_that_does_not_parse_names_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    copy_dataset(&tmp.path().join("data"));
    std::fs::write(tmp.path().join("data/v1/MANIFEST.json"), "{garbage").unwrap();
    let o = build_in(tmp.path(), Path::new("data"), &out);
    let stderr = assert_error(&o, &out, exit_code::DATA, &["data/v1/MANIFEST.json: not valid JSON", "`dataset validate data`"]);
    assert_eq!(stderr.matches("line 1 column 2").count(), 1, "the position once:\n{stderr}");
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=edgebench test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(o.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_damaged_shard_in_a_clone_is_restored_with_git_checkout() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, out) = (tmp.path().join("clone"), tmp.path().join("out"));
    copy_dataset(&repo.join("dataset"));
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "dataset"]);
    git(&repo, &["commit", "-q", "-m", "dataset"]);
    let dataset = repo.join("dataset");
    let generations = first_shard(&dataset, "generations");
    let runs = first_shard(&dataset, "runs");

    // Truncated, from the repository root (the README's command): `git checkout -- dataset`.
    let bytes = std::fs::read(dataset.join(&generations)).unwrap();
    std::fs::write(dataset.join(&generations), &bytes[..100]).unwrap();
    let o = build_in(&repo, Path::new("dataset"), &out);
    let stderr = assert_error(&o, &out, exit_code::DATA, &[&format!("dataset/{generations}"), "`git checkout -- dataset`"]);
    assert_not_advised(&stderr, &["dataset repair", "dataset validate"]);

    // From outside the work tree, by absolute path: git is told where the work tree is.
    let o = build_in(tmp.path(), &dataset, &out);
    let command = format!("`git -C {} checkout -- .`", dataset.display());
    assert_error(&o, &out, exit_code::DATA, &[&command]);

    // Deleted and the deletion staged: the index no longer has it, HEAD does.
    std::fs::write(dataset.join(&generations), &bytes).unwrap();
    std::fs::remove_file(dataset.join(&runs)).unwrap();
    git(&repo, &["add", "-A", "dataset"]);
    let o = build_in(&repo, Path::new("dataset"), &out);
    assert_error(&o, &out, exit_code::DATA, &[&format!("dataset/{runs} is missing"), "`git checkout HEAD -- dataset`"]);

    // The advice works: after it, the same command builds.
    git(&repo, &["checkout", "HEAD", "--", "dataset"]);
    let o = build_in(&repo, Path::new("dataset"), &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // A dataset in the work tree that git does not track is the user's own: no git checkout.
    copy_dataset(&repo.join("mine"));
    let bytes = std::fs::read(repo.join("mine").join(&runs)).unwrap();
    std::fs::write(repo.join("mine").join(&runs), &bytes[..10]).unwrap();
    let out = tmp.path().join("out-mine");
    let o = build_in(&repo, Path::new("mine"), &out);
    let stderr = assert_error(&o, &out, exit_code::DATA, &["git does not track the file", "`dataset validate mine`"]);
    assert_not_advised(&stderr, &["git checkout", "dataset repair"]);
}

#[test]
fn an_out_path_that_cannot_be_a_directory_is_an_output_error() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("taken"), "x").unwrap();
    let dataset = committed_dataset();

    let o = build_in(tmp.path(), &dataset, Path::new("taken"));
    assert_error(&o, Path::new("/nonexistent"), exit_code::OUTPUT, &["--out taken is a file, not a directory", "move the file taken away"]);
    assert_eq!(std::fs::read_to_string(tmp.path().join("taken")).unwrap(), "x", "the file is left alone");

    let o = build_in(tmp.path(), &dataset, Path::new("taken/report"));
    assert_error(&o, Path::new("/nonexistent"), exit_code::OUTPUT, &["--out taken/report cannot be created: taken is a file", "pass --out a directory"]);

    // A directory without write permission; root writes anyway, so only where that is refused.
    let locked = tmp.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::write(locked.join("probe"), "x").is_err() {
        let o = build_in(tmp.path(), &dataset, Path::new("locked/out"));
        assert_error(&o, Path::new("/nonexistent"), exit_code::OUTPUT, &["--out locked/out: cannot create files in locked", "pass --out a directory"]);
    }
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn usage_errors_keep_clap_s_status_and_help_lists_every_status() {
    let o = Command::new(env!("CARGO_BIN_EXE_report")).args(["build", "--no-such-option"]).output().unwrap();
    assert_eq!(o.status.code(), Some(i32::from(exit_code::USAGE)));
    let statuses = [
        (exit_code::SUCCESS, "the report was built"),
        (exit_code::DATA, "data error"),
        (exit_code::USAGE, "usage error"),
        (exit_code::OUTPUT, "output error"),
        (exit_code::INTERNAL, "internal error"),
    ];
    for args in [&["--help"][..], &["build", "--help"], &["build", "-h"]] {
        let o = Command::new(env!("CARGO_BIN_EXE_report")).args(args).output().unwrap();
        assert!(o.status.success());
        let help = String::from_utf8_lossy(&o.stdout);
        assert!(help.contains("Exit status:"), "{args:?}:\n{help}");
        for (code, meaning) in statuses {
            assert!(help.contains(&format!("\n  {code}  {meaning}")), "`{code}  {meaning}` in {args:?}:\n{help}");
        }
    }
}

#[test]
fn progress_goes_to_stderr_and_the_summary_stays_on_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = build_in(tmp.path(), &committed_dataset(), &out);
    let (stdout, stderr) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "{stderr}");
    let shards = Manifest::load(&committed_dataset().join("v1/MANIFEST.json")).unwrap().shards.len();
    let steps: Vec<&str> = stderr.lines().collect();
    let expected = [
        format!("report: reading {shards} shards of {}", committed_dataset().display()),
        "report: analysing ".to_owned(),
        "report: laying out the document".to_owned(),
        "report: drawing figures/*.svg".to_owned(),
        "report: writing tables/*.csv".to_owned(),
        "report: writing index.html".to_owned(),
        "report: compiling report.pdf".to_owned(),
    ];
    assert_eq!(steps.len(), expected.len(), "{stderr}");
    for (step, wanted) in steps.iter().zip(&expected) {
        assert!(step.starts_with(wanted.as_str()), "`{step}` is not `{wanted}`");
    }
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(lines[0].contains(" cells, ") && lines[0].contains(" findings ("), "{stdout}");
    assert!(lines[1].starts_with("report: wrote ") && lines[2].ends_with("report.pdf") && lines[3].ends_with("index.html"), "{stdout}");
}
