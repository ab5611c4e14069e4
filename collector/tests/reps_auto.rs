//! `collect run --reps auto` on a real model (SmolLM2-135M-Instruct Q4_1 from `EDGEBENCH_MODELS`):
//! stored runs count toward the rule, every new run's row holds the rule and the decision its
//! values lead to, the cell stops where the rule says, and the validator accepts the rows. The
//! rule itself is tested on hand-made sequences in `src/repetitions.rs`, its coverage in
//! `repetition_coverage.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;

use edgebench_collector::repetitions::{Cell, RepetitionRule, RunValues};
use edgebench_dataset::schema::v1::{Generation, RepetitionDecision, Run};
use edgebench_dataset::shard::Limits;
use edgebench_dataset::{read_table, validate};

fn smol() -> PathBuf {
    let dir = std::env::var_os("EDGEBENCH_MODELS").map(PathBuf::from).unwrap_or_else(|| {
        panic!("EDGEBENCH_MODELS is not set: run the tests with `bash scripts/test.sh`, which fetches the test models")
    });
    let model = dir.join("SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(model.is_file(), "{} is missing: run scripts/fetch-models.sh", model.display());
    model
}

/// Runs `collect run` on one prompt of 4 tokens with `extra`, and returns its JSON summary.
fn collect(out: &Path, extra: &[&str]) -> serde_json::Value {
    let model = smol();
    let mut args = vec![
        "run", "--protocol", "quick", "--n-prompts", "1", "--max-tokens", "4", "--model", model.to_str().unwrap(),
        "--device-label", "CI test host", "--out", out.to_str().unwrap(), "--json",
    ];
    args.extend(extra);
    let o = Command::new(env!("CARGO_BIN_EXE_collect")).args(&args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report = validate::validate(out, &Limits::default()).unwrap();
    let problems: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert!(problems.is_empty(), "collector wrote an invalid dataset:\n{}", problems.join("\n"));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The stored runs in repetition order: each one's rule and decision as stored, and the decision
/// its rule gives on the values of the runs up to it (recomputed from the rows).
fn decisions(out: &Path, rules: &[&RepetitionRule]) -> Vec<(u32, Option<RepetitionDecision>, Option<RepetitionDecision>)> {
    let mut runs = read_table::<Run>(out).unwrap();
    runs.sort_by_key(|r| r.repetition);
    let generations = read_table::<Generation>(out).unwrap();
    let mut cell = Cell::default();
    runs.iter()
        .map(|run| {
            cell.push(&RunValues::of_run(run, &generations));
            let rule = run.repetition_rule.as_ref().map(|json| {
                *rules.iter().find(|r| r.to_json() == json.0).unwrap_or_else(|| panic!("an unknown rule: {}", json.0))
            });
            (run.repetition, run.repetition_decision, rule.map(|r| cell.decide(r)))
        })
        .collect()
}

/// Every decision but the last of `range` is `continue`, and the last one ends the cell.
fn ends_at_last(d: &[(u32, Option<RepetitionDecision>, Option<RepetitionDecision>)], range: std::ops::Range<usize>) {
    let (last, before) = d[range].split_last().unwrap();
    assert!(before.iter().all(|x| x.1 == Some(RepetitionDecision::Continue)), "{d:?}");
    assert!(matches!(last.1, Some(RepetitionDecision::TargetMet | RepetitionDecision::MaximumReached)), "{d:?}");
}

#[test]
fn reps_auto_stores_the_rule_and_its_decisions_and_stops_where_they_say() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dataset");
    // Three runs of a fixed campaign first: the same configuration, so they count toward the rule.
    collect(&out, &["--reps", "3"]);

    // A loose target (±90%). On a quiet host it is met at the minimum, 7 runs; a busy one can
    // stretch a 4-token TPOT a hundredfold, so where the cell ends is the values' business: the
    // test checks that the rows say what the rule makes of them.
    let loose = RepetitionRule::new(None, Some(8), Some(0.9)).unwrap();
    let strict = RepetitionRule::new(None, Some(9), Some(1e-5)).unwrap();
    let auto = ["--reps", "auto", "--reps-max", "8", "--reps-target", "0.9"];
    let summary = collect(&out, &auto);
    assert_eq!(summary["runs_skipped"], 3, "{summary}");
    let cell = &summary["cells"][0];
    let metrics: Vec<&str> = cell["metrics"].as_array().unwrap().iter().map(|m| m["metric"].as_str().unwrap()).collect();
    assert_eq!(metrics, ["load_ms", "ttft_ms", "tpot_ms", "peak_rss_bytes"], "no GPU memory on the CPU back-end");
    let runs = read_table::<Run>(&out).unwrap();
    let n = runs.len();
    assert!((7..=8).contains(&n), "{n} runs");
    assert_eq!(cell["runs"].as_u64(), Some(n as u64));
    for run in &runs {
        let rule = run.repetition_rule.as_ref().map(|r| r.0.clone());
        assert_eq!(rule, (run.repetition >= 3).then(|| loose.to_json()), "rep {}", run.repetition);
    }
    let d = decisions(&out, &[&loose]);
    assert!(d[..3].iter().all(|x| x.1.is_none()), "{d:?}");
    assert!(d.iter().all(|(_, stored, recomputed)| stored == recomputed), "{d:?}");
    ends_at_last(&d, 3..n);
    assert_eq!(cell["decision"].as_str(), Some(d[n - 1].1.unwrap().as_str()));
    if n == 7 {
        assert_eq!(d[6].1, Some(RepetitionDecision::TargetMet));
    }

    // The same command again: the stored runs already ended the cell, so nothing runs.
    let again = collect(&out, &auto);
    assert_eq!((again["runs_planned"].as_u64(), again["runs"].as_array().unwrap().len()), (Some(n as u64), 0));
    assert_eq!(again["cells"][0]["decision"], cell["decision"]);

    // A target no real run meets (±0.001%): the cell goes on from the stored runs to the maximum.
    let summary = collect(&out, &["--reps", "auto", "--reps-max", "9", "--reps-target", "0.00001"]);
    assert_eq!(summary["runs"].as_array().unwrap().len(), 9 - n);
    assert_eq!(summary["cells"][0]["decision"], "maximum_reached");
    let d = decisions(&out, &[&loose, &strict]);
    assert_eq!(d.len(), 9);
    assert!(d.iter().all(|(_, stored, recomputed)| stored == recomputed), "{d:?}");
    ends_at_last(&d, n..9);
    assert_eq!(d[8].1, Some(RepetitionDecision::MaximumReached));
}

#[test]
fn a_bad_rule_is_a_usage_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dataset");
    let model = smol();
    for (flags, says) in [
        (&["--reps", "auto", "--reps-min", "12", "--reps-max", "10"][..], "larger than --reps-max"),
        (&["--reps", "auto", "--reps-target", "1.5"][..], "--reps-target"),
        (&["--reps", "4", "--reps-target", "0.05"][..], "only with --reps auto"),
    ] {
        let mut args = vec!["run", "--model", model.to_str().unwrap(), "--device-label", "x", "--out", out.to_str().unwrap()];
        args.extend(flags);
        let o = Command::new(env!("CARGO_BIN_EXE_collect")).args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{flags:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(says), "{flags:?}: {err}");
    }
    assert!(!out.exists(), "nothing is written when the rule is refused");
}
