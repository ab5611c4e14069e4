//! `collect run` without a terminal (stderr piped, as under nohup or CI): one plain line per
//! finished run, with its status, time and place in the campaign, on real models
//! (SmolLM2-135M-Instruct Q4_1, fetched by `scripts/fetch-models.sh`; `EDGEBENCH_MODELS` names the
//! directory) and on a truncated copy of it, whose runs fail.

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{SMOL, models_dir};

/// Runs `collect` with stdout and stderr piped (not terminals).
fn collect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_collect")).args(args).output().unwrap()
}

/// A campaign of `reps` repetitions on the truncated model (named `broken`) then SmolLM2 (named
/// `smol`): 1 prompt, 8 tokens.
fn campaign(truncated: &Path, smol: &Path, out: &Path, reps: &str) -> Output {
    let o = collect(&[
        "run", "--protocol", "quick", "--reps", reps, "--n-prompts", "1", "--max-tokens", "8",
        "--model", truncated.to_str().unwrap(), "--model", smol.to_str().unwrap(),
        "--model-name", "broken", "--model-name", "smol", "--device-label", "CI test host",
        "--out", out.to_str().unwrap(), "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

/// One expected progress line.
struct Expected<'a> {
    model: &'static str,
    repetition: u32,
    status: &'a str,
    /// Text the failure reason must contain (`None`: no reason on the line).
    reason_contains: Option<&'static str>,
    run: u32,
    planned: u32,
    skipped: u32,
}

/// The progress lines of `stderr` (the summary line excluded), checked one by one against
/// `expected`, in order.
fn assert_progress_lines(stderr: &str, expected: &[Expected<'_>]) {
    let lines: Vec<&str> =
        stderr.lines().filter_map(|l| l.strip_prefix("collect run: ")).filter(|l| l.contains(" skipped as already stored)")).collect();
    assert_eq!(lines.len(), expected.len(), "one line per finished run expected in:\n{stderr}");
    for (line, e) in lines.iter().zip(expected) {
        let head = format!("{} rep {}: {} in ", e.model, e.repetition, e.status);
        let tail = format!(" (run {} of {} planned; {} skipped as already stored)", e.run, e.planned, e.skipped);
        let middle = line
            .strip_prefix(&head)
            .and_then(|l| l.strip_suffix(&tail))
            .unwrap_or_else(|| panic!("expected `{head}… {tail}`, got `{line}`"));
        // `<seconds> s`, then `: <reason>` for a failed run.
        let (seconds, reason) = match middle.split_once(" s: ") {
            Some((s, r)) => (s, Some(r)),
            None => (middle.strip_suffix(" s").unwrap_or_else(|| panic!("no time in `{line}`")), None),
        };
        let seconds: f64 = seconds.parse().unwrap_or_else(|_| panic!("time `{seconds}` in `{line}`"));
        // A load failure can take under 0.05 s; a run that generated cannot.
        let least = if e.status == "ok" { 0.05 } else { 0.0 };
        assert!((least..600.0).contains(&seconds), "{line}");
        match (e.reason_contains, reason) {
            (None, None) => {}
            (Some(want), Some(reason)) => assert!(reason.contains(want), "reason `{reason}` lacks `{want}`: {line}"),
            (want, got) => panic!("reason: expected {want:?}, got {got:?} in `{line}`"),
        }
    }
}

#[test]
fn without_a_terminal_each_finished_run_prints_a_line_with_its_place_in_the_campaign() {
    let models = models_dir();
    let dir = tempfile::tempdir().unwrap();
    let smol = models.join(SMOL);
    let bytes = std::fs::read(&smol).unwrap();
    let truncated = dir.path().join("truncated.gguf");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let out = dir.path().join("dataset");

    let o = campaign(&truncated, &smol, &out, "2");
    let stderr = String::from_utf8_lossy(&o.stderr);
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout holds only the JSON summary");
    let failed = summary["runs"][0]["status"].as_str().unwrap();
    assert_ne!(failed, "ok", "{summary}");
    let line = |model, repetition, run, skipped, planned| {
        let ok = model == "smol";
        Expected {
            model,
            repetition,
            status: if ok { "ok" } else { failed },
            reason_contains: (!ok).then_some("truncated GGUF"),
            run,
            planned,
            skipped,
        }
    };
    assert_progress_lines(
        &stderr,
        &[line("broken", 0, 1, 0, 4), line("broken", 1, 2, 0, 4), line("smol", 0, 3, 0, 4), line("smol", 1, 4, 0, 4)],
    );
    assert!(stderr.contains("collect run: 4 runs planned, 0 already stored, 4 written (2 failed)"), "{stderr}");

    // Extended to 3 repetitions: the 4 stored runs are skipped, and counted on the lines of the
    // runs after them.
    let o = campaign(&truncated, &smol, &out, "3");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_progress_lines(&stderr, &[line("broken", 2, 3, 2, 6), line("smol", 2, 6, 4, 6)]);
    assert!(stderr.contains("collect run: 6 runs planned, 4 already stored, 2 written (1 failed)"), "{stderr}");
}
