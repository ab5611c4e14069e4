use super::*;
use crate::fixtures;
use crate::schema::Sha256Hex;
use crate::schema::v1::Backend;

const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn file(sha: &str, weights: &str) -> String {
    format!(r#"{{"sha256":"{sha}","file_name":"m.gguf","weight_type":"Q8_0","weights":"{weights}","source":"somewhere"}}"#)
}

fn entry(name: &str, repo: Option<&str>, aliases: &[(&str, &str)], presets: &[&str], files: &[String]) -> String {
    let aliases: Vec<String> = aliases.iter().map(|(k, n)| format!(r#"{{"citation_key":"{k}","name":"{n}"}}"#)).collect();
    let presets: Vec<String> = presets.iter().map(|p| format!("\"{p}\"")).collect();
    let repo = repo.map(|r| format!(r#""repo":"{r}","#)).unwrap_or_default();
    format!(
        r#"{{"name":"{name}",{repo}"aliases":[{}],"synthetic_presets":[{}],"files":[{}]}}"#,
        aliases.join(","),
        presets.join(","),
        files.join(",")
    )
}

fn registry() -> String {
    [
        entry("SmolLM2-135M-Instruct", Some("HuggingFaceTB/SmolLM2-135M-Instruct"), &[], &[], &[file(A, "trained")]),
        String::new(),
        entry("Qwen2.5-1.5B-Instruct", Some("Qwen/Qwen2.5-1.5B-Instruct"), &[("liu2026edge", "Qwen-1.5B")], &["qwen2.5-1.5b"], &[file(B, "synthetic")]),
    ]
    .join("\n")
}

#[test]
fn every_way_in_leads_to_the_model() {
    let r = ModelRegistry::parse(&registry()).unwrap();
    assert_eq!(r.models().len(), 2);
    assert_eq!((r.models()[0].line, r.models()[1].line), (1, 3), "blank lines are skipped but counted");
    assert_eq!(r.canonical_name(A, None), Some("SmolLM2-135M-Instruct"));
    assert_eq!(r.canonical_name(B, Some("qwq-1.5b")), Some("Qwen2.5-1.5B-Instruct"), "the file wins over the preset");
    assert_eq!(r.canonical_name(&"c".repeat(64), Some("QWEN2.5-1.5B")), Some("Qwen2.5-1.5B-Instruct"), "a preset in any case");
    assert_eq!(r.canonical_name(&"c".repeat(64), None), None);
    assert_eq!(r.alias("liu2026edge", "Qwen-1.5B").map(|m| m.name.as_str()), Some("Qwen2.5-1.5B-Instruct"));
    assert_eq!(r.alias("other2026", "Qwen-1.5B"), None, "an alias is a paper's name, not everyone's");
    assert_eq!(r.file(B).unwrap().1.weights, WeightsOrigin::Synthetic);
}

#[test]
fn each_problem_names_its_line_and_what_to_do() {
    let text = [
        registry(),
        "{not json".to_owned(),
        entry("smollm2 135m instruct", None, &[], &[], &[file(&"d".repeat(64), "trained")]),
        entry("Other", None, &[], &["qwen2.5-1.5b"], &[file(A, "trained")]),
        entry("Third", None, &[("liu2026edge", "Qwen-1.5B"), ("liu2026edge", "SmolLM2-135M-Instruct")], &[], &[]),
        entry("Fourth", Some("owner/Not-Fourth"), &[], &["Upper"], &[file("ABC", "trained")]),
        entry("Fifth (synthetic weights)", None, &[], &[], &[]),
        r#"{"name":"Sixth","aliasses":[]}"#.to_owned(),
        entry(" Seventh", None, &[], &[], &[file(&"e".repeat(64), "made-up")]),
    ]
    .join("\n");
    let problems = ModelRegistry::parse(&text).unwrap_err();
    let at = |n: usize| problems.iter().filter(|p| p.line == n).map(|p| format!("{}; {}", p.message, p.fix)).collect::<Vec<_>>().join(" | ");
    assert!(at(4).contains("not a valid entry") && at(4).contains("JSON Lines"), "{problems:?}");
    assert!(at(5).contains("partition slug `smollm2-135m-instruct` of `SmolLM2-135M-Instruct` (line 1)"), "{problems:?}");
    assert!(at(6).contains("preset `qwen2.5-1.5b` is also listed under `Qwen2.5-1.5B-Instruct` (line 3)"), "{problems:?}");
    assert!(at(6).contains(&format!("file sha256 {A} is listed under `SmolLM2-135M-Instruct` (line 1)")), "{problems:?}");
    assert!(at(7).contains("alias `Qwen-1.5B` of liu2026edge is also listed under `Qwen2.5-1.5B-Instruct` (line 3)"), "{problems:?}");
    assert!(at(7).contains("alias `SmolLM2-135M-Instruct` of liu2026edge is (as a slug) the name of `SmolLM2-135M-Instruct`"), "{problems:?}");
    assert!(at(8).contains("name `Fourth` is not the name of its repo `owner/Not-Fourth`"), "{problems:?}");
    assert!(at(8).contains("preset `Upper` is not a preset name") && at(8).contains("sha256 `ABC` is not 64"), "{problems:?}");
    assert!(at(9).contains("ends with ` (synthetic weights)`") && at(9).contains("lists no file, preset or alias"), "{problems:?}");
    assert!(at(10).contains("unknown field `aliasses`") && at(10).contains("use only the keys"), "{problems:?}");
    assert!(at(11).contains("unknown variant `made-up`") && at(11).contains("trained` or `synthetic"), "{problems:?}");
    assert!(at(1).is_empty() && at(3).is_empty(), "{problems:?}");
    let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "problems in line order: {lines:?}");
}

#[test]
fn a_name_with_spaces_around_it_is_refused() {
    let problems = ModelRegistry::parse(&entry(" Seventh", None, &[], &[], &[file(A, "trained")])).unwrap_err();
    assert!(problems[0].message.contains("spaces at its start or end"), "{problems:?}");
}

#[test]
fn errors_render_with_file_and_line() {
    let err = RegistryError::Invalid {
        path: PathBuf::from("dataset/models.jsonl"),
        problems: vec![RegistryProblem { line: 3, message: "bad".into(), fix: "fix it".into() }],
    };
    assert_eq!(err.to_string(), "dataset/models.jsonl:3: bad; fix it");
}

#[test]
fn runs_that_disagree_with_the_registry_are_named() {
    let r = ModelRegistry::parse(&registry()).unwrap();
    let mut run = fixtures::run("Jetson Orin NX", Backend::Cpu, None, "Smollm2 135M", 0);
    run.model_sha256 = Sha256Hex::parse(A).unwrap();
    run.model_file_type = Some("Q8_0".into());
    assert!(r.disagreements(&run).is_empty());
    run.model_file_type = Some("Q4_1".into());
    run.weights_origin = Some(WeightsOrigin::Synthetic);
    run.synthetic_preset = Some("qwen2.5-1.5b".into());
    let issues = r.disagreements(&run);
    let columns: Vec<&str> = issues.iter().map(|i| i.column).collect();
    assert_eq!(columns, ["model_file_type", "weights_origin", "synthetic_preset"], "{issues:?}");
    assert!(issues[0].message.contains("models.jsonl line 1 (`SmolLM2-135M-Instruct`) gives this file"), "{issues:?}");
    run.model_sha256 = Sha256Hex::parse(&"c".repeat(64)).unwrap();
    assert!(r.disagreements(&run).is_empty(), "files the registry does not list are not its business");
}

#[test]
fn rows_of_synthetic_files_say_so_once() {
    assert_eq!(row_name("Qwen2.5-1.5B-Instruct", true), "Qwen2.5-1.5B-Instruct (synthetic weights)");
    assert_eq!(row_name("Qwen2.5-1.5B-Instruct (synthetic weights)", true), "Qwen2.5-1.5B-Instruct (synthetic weights)");
    assert_eq!(row_name(" SmolLM2-135M-Instruct ", false), "SmolLM2-135M-Instruct");
}
