//! Findings that explain themselves: a comparison whose two cells differ in something the claim
//! does not intend (instruction-tuned against base, chat template against none, prompts of
//! different lengths, synthetic against trained weights) is not decisive, and says why with its
//! numbers; an undecided finding says what data would decide it, a decided one has a headline;
//! the metric tables show prompt and output tokens beside TTFT and TPOT.
//!
//! The fixture has two boards, each arranged so that the claim it tests would be decided (one
//! contradicted, one supported) if the confound were ignored:
//!
//! - on the tuning board, a base model twice the size of an instruction-tuned one (both with
//!   their chat template, named by a model registry) scores lower relevance: "relevance grows
//!   with size" would be contradicted;
//! - on the template board, one architecture in BF16 with its chat template (prompts 60 tokens
//!   longer) and in Q8_0 without: BF16's TTFT is twice Q8_0's, so "BF16's TTFT is higher" would
//!   be supported, on prompt length alone.

mod common;

use std::path::Path;

use edgebench_dataset::fixtures;
use edgebench_dataset::schema::Sha256Hex;
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::{Store, Table};
use edgebench_report::analysis::{Analysis, Cell, analyse};
use edgebench_report::document;
use edgebench_report::findings::{Finding, Verdict, evaluate};
use edgebench_report::format;
use edgebench_report::load::Dataset;

const TUNING_BOARD: &str = "Tuning board";
const TEMPLATE_BOARD: &str = "Template board";
const TUNED: &str = "Tuned-0.5B-Instruct";
const BASE: &str = "Plain-1B";
const ARCH: &str = "Arch-1.5B";

/// One cell of the fixture.
struct CellSpec {
    device: &'static str,
    model: &'static str,
    quantization: &'static str,
    n_params: u64,
    chat_template: bool,
    /// Added to the fixture's prompt tokens (40 + prompt index).
    extra_prompt_tokens: u32,
    ttft: f64,
    relevance: f64,
}

fn file_sha(spec: &CellSpec) -> Sha256Hex {
    Sha256Hex::of(format!("{} {}", spec.model, spec.quantization).as_bytes())
}

fn rows(spec: &CellSpec) -> (Vec<Run>, Vec<Generation>) {
    let (mut runs, mut generations) = (Vec::new(), Vec::new());
    for rep in 0..common::REPS {
        let mut run = fixtures::run(spec.device, Backend::Cpu, None, spec.model, rep);
        run.model_sha256 = file_sha(spec);
        run.model_file_name = format!("{}.{}.gguf", spec.model, spec.quantization);
        run.model_architecture = Some("qwen2".into());
        run.model_n_params = Some(spec.n_params);
        run.model_file_type = Some(spec.quantization.into());
        run.chat_template_applied = Some(spec.chat_template);
        run.n_prompts = common::PROMPTS;
        run.run_id = run.compute_id();
        let jitter = 1.0 + f64::from(rep) * 0.002;
        for i in 0..common::PROMPTS {
            let mut g = fixtures::generation(&run, i);
            g.prompt_tokens = g.prompt_tokens.map(|t| t + spec.extra_prompt_tokens);
            common::set_timing(&mut g, spec.ttft * jitter, 20.0 * jitter);
            g.relevance = Some(spec.relevance + f64::from(i) * 0.001);
            g.relevance_model = Some("all-MiniLM-L6-v2 (synthetic)".into());
            g.relevance_model_sha256 = Some(Sha256Hex::of(b"scorer"));
            g.generation_id = g.compute_id();
            generations.push(g);
        }
        runs.push(run);
    }
    (runs, generations)
}

fn specs() -> [CellSpec; 4] {
    let cell = |device, model, quantization, n_params, chat_template, extra_prompt_tokens, ttft, relevance| CellSpec {
        device,
        model,
        quantization,
        n_params,
        chat_template,
        extra_prompt_tokens,
        ttft,
        relevance,
    };
    [
        cell(TUNING_BOARD, TUNED, "Q8_0", 500_000_000, true, 60, 100.0, 0.70),
        cell(TUNING_BOARD, BASE, "Q8_0", 1_000_000_000, true, 60, 150.0, 0.50),
        cell(TEMPLATE_BOARD, ARCH, "BF16", 1_500_000_000, true, 60, 400.0, 0.60),
        cell(TEMPLATE_BOARD, ARCH, "Q8_0", 1_500_000_000, false, 0, 200.0, 0.60),
    ]
}

/// The registry names the tuning board's two models after their repositories, which is where the
/// report reads their tuning from.
fn registry(specs: &[CellSpec]) -> String {
    specs
        .iter()
        .filter(|s| s.device == TUNING_BOARD)
        .map(|s| {
            format!(
                r#"{{"name":"{m}","repo":"org/{m}","files":[{{"sha256":"{sha}","file_name":"{m}.{q}.gguf","weight_type":"{q}","weights":"trained","source":"test fixture"}}]}}"#,
                m = s.model,
                q = s.quantization,
                sha = file_sha(s),
            ) + "\n"
        })
        .collect()
}

fn write_dataset(root: &Path) {
    let specs = specs();
    let (mut runs, mut generations) = (Vec::new(), Vec::new());
    for spec in &specs {
        let (r, g) = rows(spec);
        runs.extend(r);
        generations.extend(g);
    }
    let (mut store, _) = Store::open(root).expect("open fixture store");
    let mut batch = edgebench_dataset::store::WriteBatch::default();
    store.stage(&mut batch, runs).expect("stage runs");
    store.stage(&mut batch, generations).expect("stage generations");
    store.commit(batch).expect("commit fixture dataset");
    std::fs::write(root.join("models.jsonl"), registry(&specs)).expect("write the registry");
}

fn fixture() -> (tempfile::TempDir, Analysis) {
    let dir = tempfile::tempdir().unwrap();
    write_dataset(dir.path());
    let analysis = analyse(&Dataset::load(dir.path()).expect("load the fixture"));
    (dir, analysis)
}

fn finding<'a>(findings: &'a [Finding], id: &str) -> &'a Finding {
    findings.iter().find(|f| f.id == id).unwrap_or_else(|| panic!("no finding {id}"))
}

fn cell<'a>(analysis: &'a Analysis, device: &str, quantization: &str) -> &'a Cell {
    analysis
        .cells
        .iter()
        .find(|c| c.key.device == device && c.key.quantization.as_deref() == Some(quantization))
        .unwrap_or_else(|| panic!("no {quantization} cell on {device}"))
}

#[test]
fn an_instruction_tuned_against_base_comparison_is_not_decisive_and_says_so() {
    let (_dir, analysis) = fixture();
    let findings = evaluate(&analysis);
    let f = finding(&findings, "relevance-grows-with-size");
    let lines: Vec<_> = f.evidence.iter().filter(|e| e.subject.contains(BASE) && e.subject.contains(TUNED)).collect();
    assert_eq!(lines.len(), 1, "{:#?}", f.evidence);
    let line = lines[0];
    // The interval alone is decisive: the base model scores lower.
    assert!(line.result.contains(": lower;"), "{}", line.result);
    assert_eq!(line.agrees, None, "{line:#?}");
    assert!(
        line.result.contains(&format!("not decisive: {BASE} is a base (pre-trained) model, {TUNED} instruction-tuned")),
        "{}",
        line.result
    );
    assert_ne!(f.verdict, Verdict::Contradicted, "{f:#?}");
    assert_eq!(f.verdict, Verdict::InsufficientData, "{f:#?}");
    assert!(f.caveats.iter().any(|c| c.contains(BASE) && c.contains(TUNED) && c.contains("instruction-tuned")), "{:#?}", f.caveats);
    assert!(f.summary.contains("1 not decisive"), "{}", f.summary);
    assert!(f.decided_by.contains("alike in tuning"), "{}", f.decided_by);
    assert!(f.headline.is_empty(), "an undecided finding has no headline: {}", f.headline);
    // Both models had their chat template: tuning is the only thing mixed.
    assert!(!line.result.contains("chat template"), "{}", line.result);
    // Speed does not depend on tuning: the same pair decides TPOT's growth with size.
    let tpot = finding(&findings, "tpot-grows-with-size-on-cpu");
    let tpot_line = tpot.evidence.iter().find(|e| e.subject.contains(BASE)).expect("a TPOT line on the tuning board");
    assert!(tpot_line.confounds.is_empty(), "{tpot_line:#?}");
}

#[test]
fn a_chat_template_against_none_ttft_comparison_is_not_decisive_and_names_the_prompt_tokens() {
    let (_dir, analysis) = fixture();
    let (bf16, q8) = (cell(&analysis, TEMPLATE_BOARD, "BF16"), cell(&analysis, TEMPLATE_BOARD, "Q8_0"));
    let tokens = |c: &Cell| c.prompt_tokens.as_ref().expect("prompt tokens").median;
    // The fixture's prompts: 40 + i tokens for i < 8, 60 more with the chat template.
    assert_eq!((tokens(bf16), tokens(q8)), (103.5, 43.5));

    let findings = evaluate(&analysis);
    let f = finding(&findings, "ttft-bf16-vs-q8-on-cpu");
    let line = f.evidence.iter().find(|e| e.subject.contains(ARCH)).unwrap_or_else(|| panic!("{:#?}", f.evidence));
    assert!(line.result.contains("higher"), "the interval alone says higher: {}", line.result);
    assert_eq!(line.agrees, None, "{line:#?}");
    let expected = format!(
        "not decisive: {ARCH} (BF16)'s prompts average {} tokens against {} for {ARCH} (Q8_0) (no chat template for {ARCH} (Q8_0))",
        format::sig3(103.5),
        format::sig3(43.5)
    );
    assert!(line.result.contains(&expected), "{}\nwanted: {expected}", line.result);
    assert_eq!(f.verdict, Verdict::InsufficientData, "{f:#?}");
    assert!(f.caveats.iter().any(|c| c.contains("prompts average") && c.contains("time to first token")), "{:#?}", f.caveats);
    assert!(f.decided_by.contains("prompt length (mean prompt tokens within 10.0%)"), "{}", f.decided_by);

    // TPOT does not depend on the prompt's length: the same pair decides BF16 against Q8_0.
    let tpot = finding(&findings, "tpot-bf16-vs-q8");
    let tpot_line = tpot.evidence.iter().find(|e| e.subject.contains(ARCH)).expect("a TPOT line");
    assert!(tpot_line.confounds.is_empty(), "{tpot_line:#?}");
}

#[test]
fn the_metric_tables_show_prompt_and_output_tokens_and_the_chat_template_beside_ttft_and_tpot() {
    let (_dir, analysis) = fixture();
    let doc = document::build(&analysis);
    for id in ["ttft_ms", "tpot_ms", "prefill_tokens_per_s", "decode_tokens_per_s"] {
        let table = doc.tables.iter().find(|t| t.id == id).unwrap_or_else(|| panic!("no table {id}"));
        let column = |name: &str| table.columns.iter().position(|c| c == name).unwrap_or_else(|| panic!("{id}: no {name} column: {:?}", table.columns));
        let (prompt, output) = (column("Prompt tokens"), column("Output tokens"));
        assert!(table.caption.contains("Prompt tokens / output tokens: median over the cell's runs"), "{id}: {}", table.caption);
        let q8 = table.rows.iter().find(|r| r.cells.iter().any(|c| c.contains(ARCH) && c.contains("Q8_0"))).expect("the Q8_0 row");
        assert_eq!(q8.cells[prompt], format::sig3(43.5), "{id}");
        // The fixture's outputs: 100 + 7i mod 50 tokens, i < 8, a mean of 124.5 in every run.
        assert_eq!(q8.cells[output], format::sig3(124.5), "{id}");
        if id == "ttft_ms" {
            assert_eq!(q8.cells[column("Chat template")], "none");
            let bf16 = table.rows.iter().find(|r| r.cells.iter().any(|c| c.contains(ARCH) && c.contains("BF16"))).unwrap();
            assert_eq!(bf16.cells[column("Chat template")], "applied");
        }
    }
}

#[test]
fn synthetic_and_trained_weights_are_never_compared() {
    let dir = tempfile::tempdir().unwrap();
    common::synthetic::write_dataset(dir.path(), false);
    let analysis = analyse(&Dataset::load(dir.path()).unwrap());
    assert!(analysis.has_synthetic());
    for r in &analysis.ratios {
        assert_eq!(r.numerator.weights, r.denominator.weights, "{r:#?}");
    }
    let findings = evaluate(&analysis);
    for f in &findings {
        for e in f.evidence.iter().filter(|e| !e.context) {
            // A comparison across origins would be caught as a confound; none is ever made.
            assert!(!e.confounds.iter().any(|c| c.contains("synthetic weights measure an architecture")), "{}: {e:#?}", f.id);
        }
    }
    // The synthetic fixture holds no tuning, template or prompt differences within a comparison:
    // every verdict there stands on its numbers.
    assert!(findings.iter().all(|f| f.caveats.is_empty()), "{:#?}", findings.iter().map(|f| (&f.id, &f.caveats)).collect::<Vec<_>>());
}

fn committed() -> Analysis {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().join("dataset");
    analyse(&Dataset::load(&root).expect("load the committed dataset"))
}

#[test]
fn on_the_committed_dataset_relevance_growing_with_size_is_not_contradicted_by_a_base_model() {
    let analysis = committed();
    let findings = evaluate(&analysis);
    let f = finding(&findings, "relevance-grows-with-size");
    assert_ne!(f.verdict, Verdict::Contradicted, "{f:#?}");
    assert!(!f.evidence.is_empty(), "the committed dataset compares gemma-3-270m with SmolLM2-135M");
    for e in &f.evidence {
        assert_eq!(e.agrees, None, "{e:#?}");
        assert!(e.result.contains("not decisive: gemma-3-270m is a base (pre-trained) model, SmolLM2-135M-Instruct instruction-tuned"), "{}", e.result);
    }
    assert!(
        f.caveats.iter().any(|c| c.contains("gemma-3-270m") && c.contains("SmolLM2-135M-Instruct") && c.contains("base")),
        "{:#?}",
        f.caveats
    );
    assert!(
        f.caveats.iter().any(|c| c.contains("gemma-3-270m") && c.contains("SmolLM2-135M-Instruct") && c.contains("chat template")),
        "{:#?}",
        f.caveats
    );
    assert!(f.decided_by.contains("alike in tuning") && f.decided_by.contains("chat-template use"), "{}", f.decided_by);
}

#[test]
fn on_the_committed_dataset_decided_findings_have_headlines_and_undecided_ones_say_what_would_decide_them() {
    let findings = evaluate(&committed());
    assert!(findings.iter().any(|f| f.verdict == Verdict::Supported));
    for f in &findings {
        match f.verdict {
            Verdict::InsufficientData => {
                assert!(f.headline.is_empty(), "{}: {}", f.id, f.headline);
                assert!(f.decided_by.ends_with('.') && f.decided_by.len() > 30, "{}: {}", f.id, f.decided_by);
            }
            _ => {
                assert!(f.decided_by.is_empty(), "{}: {}", f.id, f.decided_by);
                assert!(f.headline.contains('—') && f.headline.contains("decisive comparisons"), "{}: {}", f.id, f.headline);
            }
        }
    }
    // The claim that TPOT grows with size quotes a trained pair before a synthetic one.
    let tpot = finding(&findings, "tpot-grows-with-size-on-cpu");
    assert_eq!(tpot.verdict, Verdict::Supported);
    assert!(tpot.headline.contains("gemma-3-270m (Q4_K_M) vs SmolLM2-135M-Instruct (Q4_1)"), "{}", tpot.headline);
}
