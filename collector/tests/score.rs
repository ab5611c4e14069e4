//! `collect score` on a real dataset: a quick campaign of SmolLM2-135M-Instruct (real outputs),
//! then the real scorer (all-MiniLM-L6-v2 from `EDGEBENCH_MODELS`, fetched by
//! `scripts/fetch-models.sh`).

use std::path::Path;
use std::process::{Command, Output};

use edgebench_dataset::schema::v1::{Generation, GenerationStatus};
use edgebench_dataset::shard::Limits;
use edgebench_dataset::{read_table, validate};
use edgebench_scorer::Scorer;

mod common;
use common::{SMOL, models_dir};

fn collect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_collect")).args(args).env("EDGEBENCH_MODELS", models_dir()).output().unwrap()
}

fn assert_valid(root: &Path) {
    let report = validate::validate(root, &Limits::default()).unwrap();
    let lines: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert!(lines.is_empty(), "invalid dataset:\n{}", lines.join("\n"));
}

fn summary(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Scores equal the scorer's own similarity of output and reference, carry the scorer's identity,
/// keep the dataset valid, and a second pass finds nothing left to do. A run on a prompts file
/// the scorer is not told about stays unscored until that file is passed.
#[test]
fn scores_every_generation_once_with_the_scorers_identity() {
    let models = models_dir();
    let out = tempfile::tempdir().unwrap();
    let ds = out.path().to_str().unwrap();
    let smol = models.join(SMOL);
    let smol = smol.to_str().unwrap();
    // Builtin prompts, and a GSM8K-style file of our own.
    let custom = out.path().join("custom.jsonl");
    std::fs::write(
        &custom,
        "{\"question\": \"A crate holds 12 apples. How many apples are in 3 crates?\", \"answer\": \"Each crate holds 12 apples, so 3 crates hold 3 * 12 = 36 apples.\\n#### 36\"}\n",
    )
    .unwrap();
    for extra in [&[][..], &["--prompts", custom.to_str().unwrap(), "--n-prompts", "1"][..]] {
        let mut args = vec!["run", "--protocol", "quick", "--reps", "1", "--model", smol, "--device-label", "CI test host", "--out", ds];
        args.extend_from_slice(extra);
        let o = collect(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let before = read_table::<Generation>(out.path()).unwrap();
    assert_eq!(before.len(), 4);
    assert!(before.iter().all(|g| g.relevance.is_none()), "collect run never scores");

    let first = summary(&collect(&["score", ds, "--json"]));
    assert_eq!(first["generations_scored"], 3, "{first}");
    assert_eq!(first["unknown_reference"], 1, "the custom set was not given: {first}");
    assert_valid(out.path());

    let scorer = Scorer::load(&models.join(edgebench_scorer::MODEL_DIR_NAME)).unwrap();
    let builtin = edgebench_collector::prompts::builtin();
    let references = edgebench_collector::score::references(&[builtin]);
    let scored = read_table::<Generation>(out.path()).unwrap();
    assert_eq!(scored.len(), 4, "rewriting shards keeps every row");
    for g in scored.iter().filter(|g| g.relevance.is_some()) {
        assert_eq!(g.status, GenerationStatus::Ok);
        assert_eq!(g.relevance_model.as_deref(), Some(scorer.scorer_id()));
        assert_eq!(g.relevance_model_sha256.as_ref().unwrap().as_str(), edgebench_scorer::WEIGHTS_SHA256);
        let reference = &references[g.reference_sha256.as_ref().unwrap()];
        let expected = scorer.similarity(&g.output_text.as_ref().unwrap().0, reference).unwrap();
        let got = g.relevance.unwrap();
        assert!((got - expected).abs() < 1e-6, "stored {got}, scorer says {expected}");
        // A model answering the question relates to its reference answer.
        assert!(got > 0.2 && got <= 1.0 + 1e-6, "{got}: {:?}", g.output_text);
    }

    let second = summary(&collect(&["score", ds, "--json", "--prompts", custom.to_str().unwrap()]));
    assert_eq!(second["generations_scored"], 1, "{second}");
    assert_eq!(second["already_scored"], 3, "{second}");
    let third = summary(&collect(&["score", ds, "--json"]));
    assert_eq!(third["generations_scored"], 0, "{third}");
    assert_eq!(third["shards_rewritten"], 0);
    assert!(read_table::<Generation>(out.path()).unwrap().iter().all(|g| g.relevance.is_some()));
    assert_valid(out.path());
}

#[test]
fn clear_errors_for_a_missing_dataset_or_scorer_model() {
    let dir = tempfile::tempdir().unwrap();
    let o = collect(&["score", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not a dataset"), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::create_dir(dir.path().join("v1")).unwrap();
    let o = collect(&["score", dir.path().to_str().unwrap(), "--scorer-model", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("config.json") || err.contains("tokenizer.json") || err.contains("model.safetensors"), "{err}");
}
