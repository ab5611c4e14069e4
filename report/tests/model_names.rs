//! Labels take the model registry's names (`models.jsonl` in the dataset directory), by the
//! file's sha256 or its `collect synth` preset, while cells stay keyed by the rows' own names:
//! the numbers do not move, only what the figures and tables call them.

mod common;

use std::path::Path;
use std::process::Command;

use common::synthetic::{self as sx, MARK, QWEN_05};
use edgebench_report::analysis::{Analysis, analyse};
use edgebench_report::load::Dataset;

/// The trained Qwen2.5-0.5B file is named by its sha256, every gemma-2-2b synthetic file by the
/// preset; nothing else is registered.
fn registry() -> String {
    format!(
        "{}\n{}\n",
        format_args!(
            r#"{{"name":"Qwen2.5-0.5B-Instruct-Test","files":[{{"sha256":"{}","file_name":"q.gguf","weight_type":"Q8_0","weights":"trained","source":"fixture"}}]}}"#,
            sx::T_QWEN_05.sha256()
        ),
        r#"{"name":"gemma-2-2b-it","repo":"google/gemma-2-2b-it","synthetic_presets":["gemma-2-2b"]}"#
    )
}

fn fixture(with_registry: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    sx::write_dataset(dir.path(), false);
    if with_registry {
        std::fs::write(dir.path().join("models.jsonl"), registry()).unwrap();
    }
    dir
}

fn analysis_of(root: &Path) -> Analysis {
    analyse(&Dataset::load(root).expect("load the dataset"))
}

fn build(root: &Path, out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_report")).args(["build", "--dataset"]).arg(root).arg("--out").arg(out).output().unwrap()
}

#[test]
fn labels_take_the_registry_name_and_cells_keep_their_rows() {
    let (plain, named) = (analysis_of(fixture(false).path()), analysis_of(fixture(true).path()));
    // Same cells, same numbers: the registry names them, it does not regroup them.
    assert_eq!(plain.cells.len(), named.cells.len());
    for (a, b) in plain.cells.iter().zip(&named.cells) {
        assert_eq!((&a.key.model, &a.key.quantization, a.key.weights), (&b.key.model, &b.key.quantization, b.key.weights));
        assert_eq!(format!("{:?}", a.estimates), format!("{:?}", b.estimates));
    }
    let label = |a: &Analysis, name: &str, synthetic: bool| {
        let cell = a.cells.iter().find(|c| c.key.model == name && c.key.model_key().is_synthetic() == synthetic).unwrap();
        cell.key.model_key().label()
    };
    assert_eq!(label(&named, QWEN_05, false), "Qwen2.5-0.5B-Instruct-Test (Q8_0)", "by the file's sha256");
    assert_eq!(label(&named, QWEN_05, true), format!("{QWEN_05} (Q8_0){MARK}"), "another file of the same name keeps its own");
    assert_eq!(label(&named, sx::S_GEMMA.name, true), format!("gemma-2-2b-it (Q8_0){MARK}"), "by the preset");
    assert_eq!(label(&plain, sx::S_GEMMA.name, true), format!("Gemma-2-2B-It (Q8_0){MARK}"), "without a registry, the rows' name");
    // Kernel cells take the name of the runs of the profiled file.
    let kernel_labels: Vec<String> = named.kernel_cells.iter().map(|k| k.key.model_key().label()).collect();
    assert!(kernel_labels.contains(&format!("gemma-2-2b-it (Q8_0){MARK}")), "{kernel_labels:?}");
    assert!(kernel_labels.contains(&"Qwen2.5-0.5B-Instruct-Test (Q8_0)".to_owned()), "{kernel_labels:?}");
}

#[test]
fn report_build_shows_the_names_deterministically_and_refuses_a_bad_registry() {
    let dir = fixture(true);
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for out in [&first, &second] {
        let o = build(dir.path(), out.path());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let read = |out: &tempfile::TempDir, path: &str| std::fs::read(out.path().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    for path in ["index.html", "report.pdf", "tables/tpot_ms.csv", "tables/models.csv", "figures/tpot_ms.svg"] {
        assert!(read(&first, path) == read(&second, path), "{path} differs between two builds");
    }
    let text = |path: &str| String::from_utf8(read(&first, path)).unwrap();
    assert!(text("tables/tpot_ms.csv").contains(&format!("gemma-2-2b-it (Q8_0){MARK}")));
    let models = text("tables/models.csv");
    assert!(models.lines().any(|l| l.starts_with(&format!("gemma-2-2b-it{MARK},{},", sx::S_GEMMA.name))), "{models}");
    // The per-cell medians stay keyed by the rows' names, which is what joins them to the rows.
    assert!(text("tables/medians.csv").contains(&format!(",{},Q8_0,synthetic,,tpot_ms,", sx::S_GEMMA.name)));

    std::fs::write(dir.path().join("models.jsonl"), "{\"name\":\"x\"}\n").unwrap();
    let o = build(dir.path(), first.path());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && stderr.contains("models.jsonl:1: lists no file, preset or alias"), "{stderr}");
}
