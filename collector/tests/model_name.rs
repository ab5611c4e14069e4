//! `collect run --model-name` and the dataset's model registry (`models.jsonl`): what name a real
//! model's rows get, hence their partition. One prompt of 8 tokens per run keeps it cheap.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use edgebench_dataset::schema::Sha256Hex;
use edgebench_dataset::schema::v1::{Generation, Run};
use edgebench_dataset::shard::Limits;
use edgebench_dataset::{read_table, validate};

const SMOL: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

fn smol() -> PathBuf {
    let dir = std::env::var_os("EDGEBENCH_MODELS").map(PathBuf::from).unwrap_or_else(|| {
        panic!("EDGEBENCH_MODELS is not set: run the tests with `bash scripts/test.sh`, which fetches the test models")
    });
    let path = dir.join(SMOL);
    assert!(path.is_file(), "{} is missing: run scripts/fetch-models.sh", path.display());
    path
}

/// Campaigns run one at a time (llama.cpp's threads would measure each other).
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn cheap_run(model: &Path, out: &Path, device: &str, extra: &[&str]) -> Output {
    let mut args = vec!["run", "--protocol", "quick", "--reps", "1", "--n-prompts", "1", "--max-tokens", "8"];
    args.extend_from_slice(&["--model", model.to_str().unwrap(), "--device-label", device, "--out", out.to_str().unwrap()]);
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_collect")).args(&args).output().unwrap()
}

fn names_and_partitions(out: &Path) -> (Vec<String>, Vec<String>) {
    let runs = read_table::<Run>(out).unwrap();
    let generations = read_table::<Generation>(out).unwrap();
    let mut names: Vec<String> = runs.iter().map(|r| r.model_name.clone()).chain(generations.iter().map(|g| g.model_name.clone())).collect();
    names.dedup();
    let manifest = edgebench_dataset::manifest::Manifest::load(&out.join("v1/MANIFEST.json")).unwrap();
    let partitions = manifest.shards.iter().map(|s| s.path.split('/').nth(2).unwrap().to_owned()).collect();
    (names, partitions)
}

fn assert_valid(root: &Path) {
    let report = validate::validate(root, &Limits::default()).unwrap();
    let lines: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert!(lines.is_empty(), "invalid dataset:\n{}", lines.join("\n"));
}

#[test]
fn rows_take_the_registry_name_of_the_file_or_the_name_given() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let model = smol();
    let sha256 = Sha256Hex::of(&std::fs::read(&model).unwrap());

    // The registry knows the file: its canonical name replaces the GGUF's "Smollm2 135M 8k ...".
    let registered = tempfile::tempdir().unwrap();
    let line = format!(
        r#"{{"name":"SmolLM2-135M-Instruct","repo":"HuggingFaceTB/SmolLM2-135M-Instruct","files":[{{"sha256":"{sha256}","file_name":"{SMOL}","weight_type":"Q4_1","weights":"trained","source":"test"}}]}}"#
    );
    std::fs::write(registered.path().join("models.jsonl"), format!("{line}\n")).unwrap();
    let o = cheap_run(&model, registered.path(), "CI test host", &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(names_and_partitions(registered.path()), (vec!["SmolLM2-135M-Instruct".to_owned()], vec!["model=smollm2-135m-instruct".to_owned(); 2]));
    assert_valid(registered.path());

    // --model-name wins over the registry.
    let o = cheap_run(&model, registered.path(), "Other host", &["--model-name", "SmolLM2 135M (ours)"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (names, _) = names_and_partitions(registered.path());
    assert!(names.contains(&"SmolLM2 135M (ours)".to_owned()), "{names:?}");

    // Without a registry, the GGUF's own name, as before.
    let bare = tempfile::tempdir().unwrap();
    let o = cheap_run(&model, bare.path(), "CI test host", &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(names_and_partitions(bare.path()).0, ["Smollm2 135M 8k Lc100K Mix1 Ep2"]);
}

#[test]
fn bad_names_and_a_bad_registry_are_refused_before_any_run() {
    let model = smol();
    let out = tempfile::tempdir().unwrap();
    let o = cheap_run(&model, out.path(), "CI test host", &["--model-name", "a", "--model-name", "b"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("2 --model-name for 1 --model: give one name per model"), "{}", String::from_utf8_lossy(&o.stderr));

    std::fs::write(out.path().join("models.jsonl"), "{\"name\":\"X\",\"files\":[]}\n{oops\n").unwrap();
    let o = cheap_run(&model, out.path(), "CI test host", &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("models.jsonl:1: lists no file, preset or alias") && stderr.contains("models.jsonl:2: not a valid entry"), "{stderr}");
    assert!(!out.path().join("v1").exists(), "nothing written");
}
