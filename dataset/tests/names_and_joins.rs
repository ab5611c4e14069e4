//! Names and joins: `dataset validate` checks a model registry and the runs of the files it lists;
//! the committed registry (`dataset/models.jsonl`) covers every committed file and every model the
//! paper names; every `published.metric` has a documented mapping; and the one query of the schema
//! docs (`published_join::join_sql`) puts the paper's numbers beside medians that agree with the
//! rows.
//!
//! Needs a Python with duckdb for the query: `EDGEBENCH_PYTHON`, which the README's test command
//! (`scripts/test.sh`) sets after installing `scripts/requirements-test.txt`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use edgebench_dataset::model_registry::ModelRegistry;
use edgebench_dataset::published_join::{join_sql, published_metric};
use edgebench_dataset::read_table;
use edgebench_dataset::shard::Limits;
use edgebench_dataset::validate::validate;
use edgebench_dataset::schema::v1::{Generation, GenerationStatus, Published, Run, RunStatus};
use serde_json::Value;

#[test]
fn validate_checks_the_registry_and_the_runs_of_the_files_it_lists() {
    let dir = tempfile::tempdir().unwrap();
    common::write_sample(dir.path());
    let run = read_table::<Run>(dir.path()).unwrap().into_iter().find(|r| r.model_file_type.is_some()).unwrap();
    let entry = |weight_type: &str| {
        format!(
            r#"{{"name":"SmolLM2-135M-Instruct","files":[{{"sha256":"{}","file_name":"f.gguf","weight_type":"{weight_type}","weights":"trained","source":"test"}}]}}"#,
            run.model_sha256
        )
    };
    let problems = |registry: &str| {
        std::fs::write(dir.path().join("models.jsonl"), registry).unwrap();
        validate(dir.path(), &Limits::default()).unwrap().problems.iter().map(ToString::to_string).collect::<Vec<_>>()
    };
    assert_eq!(problems(&entry(run.model_file_type.as_deref().unwrap())), Vec::<String>::new());
    let wrong = problems(&entry("BF16"));
    let runs_of_file = read_table::<Run>(dir.path()).unwrap().iter().filter(|r| r.model_sha256 == run.model_sha256).count();
    assert_eq!(wrong.len(), runs_of_file, "one line per run of the file: {wrong:#?}");
    assert!(wrong.iter().all(|p| p.contains("column model_file_type") && p.contains("models.jsonl line 1 (`SmolLM2-135M-Instruct`) gives this file") && p.contains("fix: correct weight_type in models.jsonl")), "{wrong:#?}");
    let broken = problems(&format!("{}\n{{\"name\":", entry("Q8_0")));
    assert!(broken.len() == 1 && broken[0].contains("models.jsonl: line 2: not a valid entry"), "{broken:#?}");
}

fn committed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn registry() -> ModelRegistry {
    ModelRegistry::load(&committed()).unwrap().expect("the committed dataset has a model registry")
}

#[test]
fn the_registry_names_every_committed_file_and_every_model_of_the_paper() {
    let registry = registry();
    for run in read_table::<Run>(&committed()).unwrap() {
        let name = registry.canonical_name(run.model_sha256.as_str(), run.synthetic_preset.as_deref());
        assert!(name.is_some(), "{} ({}, sha256 {}) is not in models.jsonl", run.model_name, run.model_file_name, run.model_sha256);
        // The rows' own names are the GGUF's, or already the canonical one (with the synthetic suffix).
        assert!(run.model_name.starts_with(name.unwrap()) || run.synthetic_preset.is_none(), "{}", run.model_name);
    }
    let published = read_table::<Published>(&committed()).unwrap();
    for p in &published {
        assert!(published_metric(&p.metric).is_some(), "published.metric `{}` has no mapping in published_join::PUBLISHED_METRICS", p.metric);
        if let Some(name) = &p.model_name {
            assert!(registry.alias(&p.citation_key, name).is_some(), "{} of {} is no alias in models.jsonl", name, p.citation_key);
        }
    }
    // The paper's seven models, each with the preset of its architecture.
    let presets: Vec<(&str, &str)> = [
        ("Qwen-0.5B", "qwen2.5-0.5b"),
        ("Qwen-1.5B", "qwen2.5-1.5b"),
        ("Qwen-3B", "qwen2.5-3b"),
        ("Llama-1B", "llama-3.2-1b"),
        ("Gemma-2B", "gemma-2-2b"),
        ("DeepSeek-1.5B", "deepseek-r1-distill-qwen-1.5b"),
        ("QwQ-1.5B", "qwq-1.5b"),
    ]
    .into_iter()
    .collect();
    for (paper, preset) in presets {
        let model = registry.alias("liu2026edge", paper).unwrap();
        assert_eq!(registry.preset(preset).map(|m| &m.name), Some(&model.name), "{paper}");
    }
    assert_eq!(registry.alias("liu2026edge", "Qwen-1.5B").unwrap().name, "Qwen2.5-1.5B-Instruct");
}

/// The join query's rows, from DuckDB.
fn join_rows() -> Vec<serde_json::Map<String, Value>> {
    let python = std::env::var("EDGEBENCH_PYTHON").unwrap_or_else(|_| {
        panic!("EDGEBENCH_PYTHON is not set: run the tests with `bash scripts/test.sh`, which installs duckdb into a virtual environment and sets it")
    });
    let script = "import duckdb, json, sys\nrel = duckdb.sql(sys.stdin.read())\nprint(json.dumps([dict(zip(rel.columns, r)) for r in rel.fetchall()]))\n";
    let mut child = Command::new(python).args(["-c", script]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let sql = join_sql(committed().to_str().unwrap());
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), sql.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "the join query failed:\n{}\n{sql}", String::from_utf8_lossy(&o.stderr));
    let rows: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();
    rows.into_iter().map(|r| r.as_object().unwrap().clone()).collect()
}

/// Median over the `ok` runs of one file of the per-run `value`, computed here from the rows.
fn median_of(file_name: &str, value: impl Fn(&Run, &[&Generation]) -> Option<f64>) -> (usize, f64) {
    let root = committed();
    let generations = read_table::<Generation>(&root).unwrap();
    let mut values: Vec<f64> = read_table::<Run>(&root)
        .unwrap()
        .iter()
        .filter(|r| r.model_file_name == file_name && r.status == RunStatus::Ok)
        .filter_map(|r| {
            let own: Vec<&Generation> = generations.iter().filter(|g| g.run_id == r.run_id && g.status == GenerationStatus::Ok).collect();
            value(r, &own)
        })
        .collect();
    values.sort_by(f64::total_cmp);
    let n = values.len();
    assert!(n > 0, "no run of {file_name}");
    (n, if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 })
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let v: Vec<f64> = values.filter(|v| v.is_finite()).collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

#[test]
fn one_query_puts_the_papers_number_beside_ours() {
    let rows = join_rows();
    let registry = registry();
    let text = |r: &serde_json::Map<String, Value>, k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    for r in &rows {
        // Every pair is of one model, at the precision the paper states.
        let model = registry.alias(&text(r, "citation_key"), &text(r, "paper_model")).unwrap();
        assert_eq!(text(r, "model"), model.name, "{r:?}");
        assert!(text(r, "model_file_type").starts_with(&text(r, "paper_precision")), "{r:?}");
    }
    let find = |metric: &str, paper_model: &str, paper_device: &str, file_type: &str| {
        rows.iter()
            .find(|r| text(r, "metric") == metric && text(r, "paper_model") == paper_model && text(r, "paper_device") == paper_device && text(r, "model_file_type") == file_type)
            .unwrap_or_else(|| panic!("no {metric} row for {paper_model} on {paper_device} beside a {file_type} cell in {} rows", rows.len()))
    };
    let number = |r: &serde_json::Map<String, Value>, k: &str| r[k].as_f64().unwrap();

    // The paper's Qwen-3B TPOT on the MacBook Pro CPU (37 ms/token) beside our synthetic-weight
    // Qwen2.5-3B-Instruct Q8_0, whose median TPOT the rows give.
    let tpot = find("tpot_ms", "Qwen-3B", "MacBook Pro", "Q8_0");
    assert_eq!((number(tpot, "paper_value"), text(tpot, "unit").as_str()), (37.0, "ms/token"));
    assert_eq!((text(tpot, "model").as_str(), text(tpot, "weights_origin").as_str(), text(tpot, "backend").as_str()), ("Qwen2.5-3B-Instruct", "synthetic", "cpu"));
    let (n, median) = median_of("qwen2.5-3b.Q8_0.seed0.synthetic.gguf", |_, g| mean(g.iter().filter_map(|g| g.tpot_ms)));
    assert_eq!(number(tpot, "runs") as usize, n);
    assert!(close(number(tpot, "our_value"), median), "{} vs {median}", number(tpot, "our_value"));

    // DeepSeek-1.5B's TTFT on the Orin NX CPU (6789 ms) beside our BF16 file, not the Q8_0 one.
    let ttft = find("ttft_ms", "DeepSeek-1.5B", "Jetson Orin NX", "BF16");
    assert_eq!(number(ttft, "paper_value"), 6789.0);
    let (_, median) = median_of("deepseek-r1-distill-qwen-1.5b.BF16.seed0.synthetic.gguf", |_, g| mean(g.iter().filter_map(|g| g.ttft_ms)));
    assert!(close(number(ttft, "our_value"), median), "{} vs {median}", number(ttft, "our_value"));
    assert!(!rows.iter().any(|r| text(r, "paper_model") == "DeepSeek-1.5B" && text(r, "model_file_type") == "Q8_0"), "BF16 numbers meet BF16 cells only");

    // Memory: the paper prints GB, the rows hold bytes; the query converts.
    let memory = find("peak_cpu_memory", "Qwen-0.5B", "MacBook Pro", "Q8_0");
    assert_eq!((number(memory, "paper_value"), text(memory, "unit").as_str()), (0.7, "GB"));
    let (_, bytes) = median_of("qwen2.5-0.5b.Q8_0.seed0.synthetic.gguf", |r, _| r.peak_rss_bytes.map(|b| b as f64));
    assert!(close(number(memory, "our_value"), bytes / 1e9), "{} vs {}", number(memory, "our_value"), bytes / 1e9);
}
