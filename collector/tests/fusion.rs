//! `collect fusion` on this machine's CPU: small sizes (a test of the rows, not a measurement; the
//! measurement is scripts/bench-fusion.sh), a second sweep adding repetitions after the first, and
//! bad requests refused with one message before anything is measured or written.

use std::path::Path;
use std::process::{Command, Output};

use edgebench_dataset::schema::v1::{Backend, FusionVariant, Microbench, RunStatus, SCHEMA_VERSION};
use edgebench_dataset::shard::Limits;
use edgebench_dataset::{read_table, validate};

fn collect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_collect")).arg("fusion").args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_valid(root: &Path) {
    let report = validate::validate(root, &Limits::default()).unwrap();
    let lines: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert!(lines.is_empty(), "collect fusion wrote an invalid dataset:\n{}", lines.join("\n"));
}

#[test]
fn a_small_cpu_sweep_writes_one_valid_row_per_timed_repetition() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let base = ["--device-label", "Test VM", "--backend", "cpu", "--min-elements", "4096", "--warmup", "1", "--out", out];
    let o = collect(&[&base[..], &["--max-elements", "16384", "--repetitions", "6", "--json"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("[1/6] cpu f32 × 4096") && err.contains("copy ") && err.contains("fused/unfused"), "{err}");
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["rows_written"], 3 * 2 * 2 * 6);
    assert_eq!(summary["largest"].as_array().unwrap().len(), 2, "one line per element type");
    assert_valid(dir.path());

    let rows = read_table::<Microbench>(dir.path()).unwrap();
    assert_eq!(rows.len(), 72);
    let threads = std::thread::available_parallelism().unwrap().get() as u32;
    let sweep = rows[0].sweep_id.clone().expect("sweep id");
    for r in &rows {
        assert_eq!((r.schema_version.as_str(), r.backend, r.status), (SCHEMA_VERSION, Backend::Cpu, RunStatus::Ok));
        assert_eq!(r.experiment, "add_scale_fusion");
        assert_eq!(r.sweep_id.as_ref(), Some(&sweep), "one sweep");
        assert!(r.elapsed_us.unwrap() > 0.0);
        let width = if r.dtype == "f32" { 4 } else { 2 };
        let (launches, vectors) = if r.variant == FusionVariant::Unfused { (2, 5) } else { (1, 3) };
        assert_eq!((r.kernel_launches, r.bytes_moved), (launches, vectors * r.elements * width));
        assert_eq!((r.threads, r.warmup_repetitions), (Some(threads), Some(1)));
        assert!(r.copy_bandwidth_gb_s.unwrap() > 0.0 && r.triad_bandwidth_gb_s.unwrap() > 0.0);
        assert!(r.last_level_cache_bytes.is_some_and(|b| b > 0), "this machine's sysfs names its caches");
        let config: serde_json::Value = serde_json::from_str(r.launch_config_json.as_ref().unwrap()).unwrap();
        assert_eq!(config["threads"], threads);
        // Whether stores write-allocate is measured, and the row says how.
        let probe = &config["write_allocate_probe"];
        assert_eq!(probe["elements"], 16384, "probed at the largest f32 length");
        assert_eq!(r.write_allocate, probe["write_allocate"].as_bool());
    }
    // Every (variant, type, length) has repetitions 0..6.
    let mut reps: Vec<u32> = rows.iter().filter(|r| r.dtype == "f16" && r.elements == 8192 && r.variant == FusionVariant::Fused).map(|r| r.repetition).collect();
    reps.sort();
    assert_eq!(reps, (0..6).collect::<Vec<_>>());

    // A second sweep of one length adds its repetitions after the stored ones, in a new sweep.
    let o = collect(&[&base[..], &["--max-elements", "4096", "--dtype", "f32", "--repetitions", "6"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = read_table::<Microbench>(dir.path()).unwrap();
    assert_eq!(rows.len(), 72 + 12);
    let mut reps: Vec<u32> = rows.iter().filter(|r| r.dtype == "f32" && r.elements == 4096 && r.variant == FusionVariant::Unfused).map(|r| r.repetition).collect();
    reps.sort();
    assert_eq!(reps, (0..12).collect::<Vec<_>>());
    assert_eq!(rows.iter().filter(|r| r.sweep_id.as_ref() != Some(&sweep)).count(), 12);
    assert_valid(dir.path());
}

#[test]
fn bad_requests_give_one_message_and_write_nothing() {
    let huge = (1u64 << 50).to_string();
    let no_driver = !Path::new("/proc/driver/nvidia").exists();
    let mut cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--min-elements", "0"], "--min-elements is 0: it must be a positive multiple of 64"),
        (vec!["--max-elements", "100"], "--max-elements is 100"),
        (vec!["--max-elements", &huge], "not enough memory"),
        (vec!["--repetitions", "0"], "--repetitions is 0"),
        (vec!["--threads", "0"], "--threads is 0"),
        (vec!["--backend", "metal"], "invalid value 'metal' for '--backend <BACKEND>'"),
        (vec!["--dtype", "bf16"], "invalid value 'bf16' for '--dtype <DTYPE>'"),
        (vec!["--device-label", " "], "--device-label must not be empty"),
    ];
    if no_driver {
        cases.push((vec!["--backend", "cuda"], "no NVIDIA driver"));
    }
    for (args, says) in cases {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dataset");
        let mut all: Vec<&str> = args.clone();
        for (flag, value) in [("--device-label", "Test VM"), ("--backend", "cpu"), ("--out", out.to_str().unwrap())] {
            if !args.contains(&flag) {
                all.extend([flag, value]);
            }
        }
        let o = collect(&all);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: expected `{says}` in:\n{err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!out.join("v1").exists(), "{args:?}: something was written");
    }
}
