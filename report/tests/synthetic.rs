//! Models with synthetic weights (`collect synth`, schema 1.3) beside trained ones: their own
//! cells and labels, no relevance, performance claims decided on them and marked, never a
//! comparison across origins, and the BF16 and Gemma/Qwen claims decided from the presets.

mod common;

use std::path::Path;
use std::process::Command;

use common::synthetic::{self as sx, BOARD, MARK, QWEN_05};
use edgebench_dataset::schema::v1::{Backend, WeightsOrigin};
use edgebench_report::analysis::{Analysis, Comparison, analyse};
use edgebench_report::findings::{Finding, Verdict, evaluate};
use edgebench_report::load::Dataset;
use edgebench_report::metrics::Metric;

fn fixture(score_synthetic: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    sx::write_dataset(dir.path(), score_synthetic);
    dir
}

fn analysis_of(root: &Path) -> Analysis {
    analyse(&Dataset::load(root).expect("load the dataset"))
}

fn finding<'a>(findings: &'a [Finding], id: &str) -> &'a Finding {
    findings.iter().find(|f| f.id == id).unwrap_or_else(|| panic!("no finding {id}"))
}

fn subjects(f: &Finding) -> Vec<&str> {
    f.evidence.iter().map(|e| e.subject.as_str()).collect()
}

const CPU: &str = "Test board · cpu · quick protocol";
const CUDA: &str = "Test board · cuda · quick protocol";

#[test]
fn trained_and_synthetic_weights_of_one_name_and_quantisation_are_two_cells_labelled_apart() {
    let dir = fixture(false);
    let a = analysis_of(dir.path());
    let cells: Vec<_> = a
        .cells
        .iter()
        .filter(|c| c.key.device == BOARD && c.key.backend == Backend::Cpu && c.key.model == QWEN_05)
        .collect();
    assert_eq!(cells.len(), 2, "one trained and one synthetic cell");
    let (trained, synthetic) = (cells[0], cells[1]);
    assert_eq!((trained.key.weights, synthetic.key.weights), (WeightsOrigin::Trained, WeightsOrigin::Synthetic));
    assert_eq!(trained.key.quantization, synthetic.key.quantization);
    assert_eq!(trained.key.model_key().label(), "Qwen2.5-0.5B-Instruct (Q8_0)");
    assert_eq!(synthetic.key.model_key().label(), format!("Qwen2.5-0.5B-Instruct (Q8_0){MARK}"));
    // Not pooled: each median is over its own eight runs (TPOT 20 and 21 ms, with the fixture's
    // jitter of 0.2% a repetition the median is 1.007 times that).
    let tpot = |c: &edgebench_report::analysis::Cell| c.estimates[&Metric::TpotMs].clone();
    assert_eq!((tpot(trained).n, tpot(synthetic).n), (common::REPS as usize, common::REPS as usize));
    assert!((tpot(trained).median - 20.0 * 1.007).abs() < 0.01, "{:?}", tpot(trained));
    assert!((tpot(synthetic).median - 21.0 * 1.007).abs() < 0.01, "{:?}", tpot(synthetic));
    // The name suffix of collect synth is dropped from labels, which carry the mark instead.
    let qwen15 = a.cells.iter().find(|c| c.key.model == sx::S_QWEN_15.name).unwrap();
    assert_eq!(qwen15.key.model_key().label(), format!("Qwen2.5-1.5B-Instruct (Q8_0){MARK}"));

    // Kernel profiles of the two files are two cells too, found through the files' sha256.
    let kernel_weights: Vec<WeightsOrigin> = a.kernel_cells.iter().filter(|k| k.key.model == QWEN_05).map(|k| k.key.weights).collect();
    assert_eq!(kernel_weights, [WeightsOrigin::Trained, WeightsOrigin::Synthetic]);
    assert!(a.kernel_cells.iter().all(|k| k.key.quantization.is_some()), "quantisation from the profiled file's runs");

    // No ratio mixes origins, whatever the comparison.
    assert!(!a.ratios.is_empty());
    for r in &a.ratios {
        assert_eq!(r.numerator.weights, r.denominator.weights, "{:?}: {:?} vs {:?}", r.comparison, r.numerator, r.denominator);
    }
    // The trained Qwen2.5-1.5B has the presets' exact shapes, yet is never paired with a BF16 preset.
    let bf16: Vec<_> = a.ratios.iter().filter(|r| r.comparison == Comparison::Bf16VsQ8).collect();
    assert!(!bf16.is_empty() && bf16.iter().all(|r| r.denominator.weights == WeightsOrigin::Synthetic));

    // Gemma against Qwen per parameter: a cost is divided by the parameters, a rate multiplied
    // (the work per second), so the decode-rate ratio stays the inverse of the TPOT ratio.
    let family = |metric: Metric| {
        a.ratios
            .iter()
            .find(|r| r.comparison == Comparison::GemmaVsQwen && r.metric == metric && r.numerator.backend == Backend::Cpu)
            .unwrap_or_else(|| panic!("no Gemma/Qwen {metric:?} ratio"))
            .estimate
            .ratio
    };
    let (tpot, decode) = (family(Metric::TpotMs), family(Metric::DecodeTokensPerS));
    assert!((tpot * decode - 1.0).abs() < 0.02, "TPOT {tpot} × decode rate {decode} per parameter should be 1");

    // The models table says which weights each file has, with preset and seed.
    let info = a.models.iter().find(|m| m.key == synthetic.key.model_key()).unwrap();
    assert_eq!((info.synthetic_preset.as_deref(), info.synthetic_seed), (Some("qwen2.5-0.5b"), Some(sx::SEED)));
}

#[test]
fn relevance_leaves_synthetic_cells_out_even_when_their_generations_were_scored() {
    // A scorer that ignored the mark: the synthetic cells' relevance would contradict both claims.
    let dir = fixture(true);
    let a = analysis_of(dir.path());
    for cell in a.cells.iter().filter(|c| c.key.weights == WeightsOrigin::Synthetic) {
        assert!(!cell.estimates.contains_key(&Metric::Relevance), "{:?} has a relevance", cell.key);
        assert!(cell.estimates.contains_key(&Metric::TpotMs), "but it has its performance");
    }
    assert!(a.ratios.iter().filter(|r| r.metric == Metric::Relevance).all(|r| r.numerator.weights == WeightsOrigin::Trained));

    let findings = evaluate(&a);
    for id in ["relevance-grows-with-size", "relevance-stable-across-platforms"] {
        let f = finding(&findings, id);
        assert_eq!(f.verdict, Verdict::Supported, "{id}: {:#?}", f.evidence);
        assert!(f.evidence.iter().all(|e| !e.synthetic && !e.subject.contains(MARK)), "{id}: {:#?}", f.evidence);
        assert!(f.claim.contains("synthetic weights are left out"), "{}", f.claim);
    }
    assert_eq!(subjects(finding(&findings, "relevance-grows-with-size")), [format!("Qwen2.5-1.5B-Instruct (Q8_0) vs Qwen2.5-0.5B-Instruct (Q8_0) on {CPU}")]);
}

#[test]
fn performance_claims_use_synthetic_cells_and_mark_every_line_that_does() {
    let dir = fixture(false);
    let findings = evaluate(&analysis_of(dir.path()));
    for f in &findings {
        for e in f.evidence.iter().filter(|e| !e.context) {
            assert_eq!(e.synthetic, e.subject.contains(MARK), "{}: {e:?}", f.id);
        }
    }
    // Sized within each origin: the trained pair and the synthetic pair, never the trained 0.5B
    // as the synthetic models' smallest.
    let tpot = finding(&findings, "tpot-grows-with-size-on-cpu");
    assert_eq!(tpot.verdict, Verdict::Supported);
    assert_eq!(
        subjects(tpot),
        [
            format!("Qwen2.5-1.5B-Instruct (Q8_0) vs Qwen2.5-0.5B-Instruct (Q8_0) on {CPU}"),
            format!("Qwen2.5-3B-Instruct (Q8_0){MARK} vs Qwen2.5-0.5B-Instruct (Q8_0){MARK} on {CPU}"),
        ]
    );
    assert!(tpot.summary.contains("1 between models with synthetic weights"), "{}", tpot.summary);
    // The GPU's gain grows with size: only the synthetic models were measured on both back-ends
    // in more than one size.
    let gain = finding(&findings, "tpot-gpu-gain-grows-with-size");
    assert_eq!(gain.verdict, Verdict::Supported, "{:#?}", gain.evidence);
    assert_eq!(subjects(gain), [format!("cuda vs cpu on {BOARD}: Qwen2.5-3B-Instruct (Q8_0){MARK} vs Qwen2.5-0.5B-Instruct (Q8_0){MARK}")]);
    for id in ["tpot-gpu-vs-cpu", "power-grows-with-size", "cpu-memory-grows-with-size-on-cpu"] {
        let f = finding(&findings, id);
        assert_eq!(f.verdict, Verdict::Supported, "{id}: {:#?}", f.evidence);
        assert!(f.evidence.iter().any(|e| e.synthetic) && f.evidence.iter().any(|e| !e.synthetic), "{id}: both origins");
    }
}

#[test]
fn bf16_and_gemma_claims_are_decided_from_synthetic_presets() {
    let dir = fixture(false);
    let findings = evaluate(&analysis_of(dir.path()));
    let bf16 = |quant_model: &str, q8_model: &str, platform: &str| format!("{quant_model} (BF16){MARK} vs {q8_model} (Q8_0){MARK} on {platform}");
    let (qwq, qwen15, deepseek) = ("QwQ-1.5B", "Qwen2.5-1.5B-Instruct", "DeepSeek-R1-Distill-Qwen-1.5B");

    // QwQ-1.5B has Qwen2.5-1.5B's shapes; DeepSeek pairs with its own Q8_0 file, not with those.
    for id in ["tpot-bf16-vs-q8", "load-bf16-vs-q8"] {
        let f = finding(&findings, id);
        assert_eq!(f.verdict, Verdict::Supported, "{id}: {:#?}", f.evidence);
        assert_eq!(subjects(f), [bf16(deepseek, deepseek, CPU), bf16(qwq, qwen15, CPU), bf16(qwq, qwen15, CUDA)], "{id}");
        assert!(f.evidence.iter().all(|e| e.synthetic && e.agrees == Some(true)), "{id}");
    }
    // On the CPU only: the GPU's BF16 first token, which comes sooner, is not counted.
    let ttft = finding(&findings, "ttft-bf16-vs-q8-on-cpu");
    assert_eq!(ttft.verdict, Verdict::Supported, "{:#?}", ttft.evidence);
    assert_eq!(subjects(ttft), [bf16(deepseek, deepseek, CPU), bf16(qwq, qwen15, CPU)]);
    assert!(ttft.claim.contains("on the cpu back-end"), "{}", ttft.claim);

    // Gemma-2-2B (2.6 B) against Qwen2.5-3B (3.1 B), the Qwen nearest in size; not Qwen2.5-0.5B.
    for id in ["tpot-gemma-vs-qwen", "load-gemma-vs-qwen"] {
        let f = finding(&findings, id);
        assert_eq!(f.verdict, Verdict::Supported, "{id}: {:#?}", f.evidence);
        let pair = |platform| format!("Gemma-2-2B-It (Q8_0){MARK} vs Qwen2.5-3B-Instruct (Q8_0){MARK} on {platform}");
        assert_eq!(subjects(f), [pair(CPU), pair(CUDA)], "{id}");
        assert!(f.claim.contains("per billion parameters"), "{id}: {}", f.claim);
    }
    // Per parameter: the fixture's Gemma is 1.30× the Qwen2.5-3B's TPOT on the CPU (130 against
    // 100 ms) and 1.33× its load time (1600 against 1200 ms), with 0.847× its parameters, so the
    // ratios are 1.30 × 3.086 / 2.614 = 1.53 and 1.33 × 3.086 / 2.614 = 1.57, not 1.30 and 1.33.
    for (id, per_parameter) in [("tpot-gemma-vs-qwen", "1.53×"), ("load-gemma-vs-qwen", "1.57×")] {
        let cpu = finding(&findings, id).evidence.iter().find(|e| e.subject.ends_with(CPU)).unwrap();
        assert!(cpu.result.starts_with(per_parameter), "{id}: {}", cpu.result);
    }
    // Section V by family: the synthetic Gemma against the synthetic Qwens, never against the
    // trained Qwen2.5-0.5B profile (whose GEMV share is higher).
    let gemv = finding(&findings, "gemv-share-gemma-above-qwen");
    assert_eq!(gemv.verdict, Verdict::Supported, "{:#?}", gemv.evidence);
    assert_eq!(gemv.evidence.len(), 2);
    assert!(gemv.evidence.iter().all(|e| e.synthetic), "{:#?}", gemv.evidence);
}

fn read(out: &Path, path: &str) -> String {
    std::fs::read_to_string(out.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn report_build_labels_synthetic_cells_in_tables_figures_and_captions() {
    let dir = fixture(false);
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_report")).args(["build", "--dataset"]).arg(dir.path()).arg("--out").arg(out.path()).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let out = out.path();

    let tpot = read(out, "tables/tpot_ms.csv");
    let row = |label: &str| tpot.lines().filter(|l| l.starts_with(&format!("{BOARD},cpu,")) && l.contains(&format!(",{label},"))).count();
    assert_eq!((row("Qwen2.5-0.5B-Instruct (Q8_0)"), row(&format!("Qwen2.5-0.5B-Instruct (Q8_0){MARK}"))), (1, 1), "{tpot}");

    let models = read(out, "tables/models.csv");
    assert!(models.lines().any(|l| l.starts_with(&format!("{QWEN_05}{MARK},{QWEN_05},\"synthetic: preset qwen2.5-0.5b, seed 7\",qwen2,"))), "{models}");
    assert!(models.lines().any(|l| l.starts_with(&format!("{QWEN_05},{QWEN_05},trained,qwen2,"))), "{models}");
    assert!(models.lines().next().unwrap().starts_with("Model,Name in rows,Weights,"));

    let relevance = read(out, "tables/relevance.csv");
    assert!(!relevance.contains(MARK) && relevance.contains(QWEN_05), "{relevance}");
    let medians = read(out, "tables/medians.csv");
    assert!(medians.lines().any(|l| l.contains(&format!(",{QWEN_05},Q8_0,synthetic,,tpot_ms,"))), "{medians}");
    assert!(!medians.lines().any(|l| l.contains(",synthetic,,relevance,")));

    // A model's trained and synthetic cells share its group; the synthetic ones are hatched bars
    // in series of their own, whose names carry the mark; no model name is cut.
    let svg = read(out, "figures/tpot_ms.svg");
    let texts: Vec<&str> = svg.split("</text>").filter_map(|t| t.rsplit('>').next()).map(str::trim).collect();
    let marked: Vec<String> = texts.iter().filter(|t| t.ends_with("· synthetic")).map(|t| t.to_string()).collect();
    assert_eq!(marked, [format!("{BOARD} · cpu · quick protocol{MARK}"), format!("{BOARD} · cuda · quick protocol{MARK}")], "{texts:?}");
    // Group names may be wrapped onto several lines (consecutive text elements).
    let joined: String = texts.concat().split_whitespace().collect();
    for group in ["Qwen2.5-0.5B-Instruct(Q8_0)", "DeepSeek-R1-Distill-Qwen-1.5B(BF16)", "DeepSeek-R1-Distill-Qwen-1.5B(Q8_0)"] {
        assert!(joined.contains(group), "{group} missing from {texts:?}");
    }
    assert!(!texts.iter().any(|t| t.contains('…')) && texts.iter().any(|t| t.starts_with("hatched: synthetic weights")), "{texts:?}");

    let html = read(out, "index.html");
    assert!(html.contains("Models with synthetic weights are left out"), "the relevance caption says so");
    assert!(html.contains("It measures the architecture"), "captions explain the mark");
    assert!(html.contains("Cells with synthetic weights (architecture only: performance, never relevance)"));
}
