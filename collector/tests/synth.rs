//! `collect synth`: a preset written twice (with different thread counts) gives the same bytes,
//! llama.cpp loads it with the published parameter count, and `collect run` marks its rows
//! synthetic, generates to the fixed length and leaves relevance null with the reason; the twin
//! of the real SmolLM2-135M keeps its source's names, shapes and types with new values; bad
//! requests leave no file behind. (Every preset's parameter count is checked without writing, in
//! the unit tests of `synth::presets`; `scripts/bench-synth.sh` measures twins against the real
//! files.)

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use edgebench_collector::synth::gguf::Gguf;
use edgebench_dataset::read_table;
use edgebench_dataset::schema::v1::{Generation, Run, StopReason, WeightsOrigin};

fn models_dir() -> PathBuf {
    std::env::var_os("EDGEBENCH_MODELS")
        .map(PathBuf::from)
        .expect("EDGEBENCH_MODELS is not set: run the tests with `bash scripts/test.sh`, which fetches the test models")
}

fn collect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_collect")).args(args).output().unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn sha256(path: &Path) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(std::fs::read(path).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
}

fn only_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn a_preset_is_deterministic_loads_with_its_published_size_and_runs_marked_synthetic() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.gguf"), dir.path().join("b.gguf"));
    for (out, threads) in [(&a, "1"), (&b, "2")] {
        let o = collect(&["synth", "--preset", "qwen2.5-0.5b", "--type", "q8_0", "--seed", "3", "--threads", threads, "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", err(&o));
        assert!(err(&o).contains("494032768 parameters"), "{}", err(&o));
    }
    assert_eq!(sha256(&a), sha256(&b), "same preset, type and seed: same bytes, whatever the threads");
    assert_eq!(only_files(dir.path()), ["a.gguf", "b.gguf"], "no temporary file left");

    let ds = dir.path().join("dataset");
    let o = collect(&[
        "run", "--model", a.to_str().unwrap(), "--device-label", "Test VM", "--protocol", "quick", "--n-prompts", "2", "--max-tokens", "6",
        "--reps", "1", "--out", ds.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let runs = read_table::<Run>(&ds).unwrap();
    let run = &runs[0];
    assert_eq!(run.model_n_params, Some(494_032_768), "llama.cpp's own count is the published one");
    assert_eq!(run.model_name, "Qwen2.5-0.5B-Instruct (synthetic weights)");
    assert_eq!((run.weights_origin, run.synthetic_preset.as_deref(), run.synthetic_seed), (Some(WeightsOrigin::Synthetic), Some("qwen2.5-0.5b"), Some(3)));
    assert!(run.synthetic_generator.as_deref().is_some_and(|g| g.contains("generator 1") && g.contains("SmolLM2-135M-Instruct.Q4_1.gguf")));
    assert_eq!(run.model_sha256.as_str(), sha256(&a));
    for g in read_table::<Generation>(&ds).unwrap() {
        assert_eq!((g.output_tokens, g.stop_reason), (Some(6), Some(StopReason::MaxTokens)), "fixed length, end-of-generation ignored");
        assert_eq!(g.relevance, None);
        assert!(g.relevance_null_reason.as_deref().is_some_and(|r| r.contains("synthetic weights")));
    }
    // Nothing to score: `collect score` leaves them alone.
    let o = collect(&["score", ds.to_str().unwrap()]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(read_table::<Generation>(&ds).unwrap().iter().all(|g| g.relevance.is_none()));
}

#[test]
fn the_twin_of_smollm2_keeps_its_shapes_and_types_with_new_values() {
    let dir = tempfile::tempdir().unwrap();
    let source = models_dir().join("SmolLM2-135M-Instruct.Q4_1.gguf");
    let twin = dir.path().join("twin.gguf");
    let o = collect(&["synth", "--like", source.to_str().unwrap(), "--seed", "1", "--out", twin.to_str().unwrap()]);
    assert!(o.status.success(), "{}", err(&o));
    let (src, dst) = (Gguf::open(&source).unwrap(), Gguf::open(&twin).unwrap());
    let strip = |g: &Gguf| g.tensors().into_iter().map(|t| (t.name, t.ne, t.ty, t.offset, t.size)).collect::<Vec<_>>();
    assert_eq!(strip(&src), strip(&dst), "names, shapes, types and layout");
    assert_eq!(src.get("tokenizer.ggml.tokens"), dst.get("tokenizer.ggml.tokens"));
    assert!(matches!(dst.get("general.name"), Some(edgebench_collector::synth::gguf::Value::Str(n)) if n.ends_with(" (synthetic weights)")));
    assert_ne!(sha256(&source), sha256(&twin));
    // The data section is the same size; the metadata grew by the synthetic mark.
    let data = |p: &Path, g: &Gguf| std::fs::metadata(p).unwrap().len() - g.data_offset();
    assert_eq!(data(&source, &src), data(&twin, &dst));
}

#[test]
fn bad_requests_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.gguf");
    let o_ = out.to_str().unwrap();
    let text = dir.path().join("notes.gguf");
    std::fs::write(&text, "this is not a model").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--preset", "qwen3-0.6b", "--type", "q8_0"], "unknown preset `qwen3-0.6b`; the presets are qwen2.5-0.5b"),
        (vec!["--preset", "qwen2.5-0.5b", "--type", "q4_0"], "invalid value 'q4_0' for '--type <WEIGHT_TYPE>'"),
        (vec!["--preset", "qwen2.5-0.5b"], "--type"),
        (vec!["--like", text.to_str().unwrap()], "not a GGUF file ggml can read"),
        (vec!["--preset", "qwen2.5-0.5b", "--type", "q8_0", "--tokenizer-from", text.to_str().unwrap()], "not a GGUF file ggml can read"),
        (vec!["--preset", "gemma-2-2b", "--type", "q8_0", "--threads", "0"], "--threads is 0"),
    ];
    for (args, says) in cases {
        let mut all = vec!["synth"];
        all.extend(args.iter().copied());
        all.extend(["--out", o_]);
        let o = collect(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
        assert!(err(&o).contains(says), "{args:?}: expected `{says}` in {}", err(&o));
        assert!(!err(&o).contains("panicked"), "{}", err(&o));
        assert_eq!(only_files(dir.path()), ["notes.gguf"], "{args:?} left a file");
    }
    // An existing file is never overwritten.
    std::fs::write(&out, "mine").unwrap();
    let o = collect(&["synth", "--preset", "qwen2.5-0.5b", "--type", "q8_0", "--out", o_]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("exists: remove it or give another --out"), "{}", err(&o));
    assert_eq!(std::fs::read(&out).unwrap(), b"mine");
    std::fs::remove_file(&out).unwrap();

    // A disk that fills up: the file-size limit makes writes fail past 64 MiB, as a full disk would.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_collect"));
    cmd.args(["synth", "--preset", "qwen2.5-0.5b", "--type", "q8_0", "--out", o_]);
    // SAFETY: only async-signal-safe calls between fork and exec (setrlimit, signal).
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: 64 << 20, rlim_max: 64 << 20 };
            libc::setrlimit(libc::RLIMIT_FSIZE, &limit);
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let o = cmd.output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("writing") && err(&o).contains("File too large"), "{}", err(&o));
    assert_eq!(only_files(dir.path()), ["notes.gguf"], "the partial file is removed");
}
