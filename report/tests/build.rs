//! `report build` end to end: the findings of a fixture dataset built to have known answers, every
//! output written, byte-identical rebuilds, an empty dataset, bad input, hostile text, and the
//! PDF and HTML checked by real readers (poppler's pdftoppm/pdftotext, headless Chromium).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use edgebench_dataset::fixtures;
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::{Store, Table};
use edgebench_report::findings::Verdict;

fn report_bin() -> &'static str {
    env!("CARGO_BIN_EXE_report")
}

fn build(dataset: &Path, out: &Path) -> Output {
    Command::new(report_bin()).args(["build", "--dataset"]).arg(dataset).arg("--out").arg(out).output().expect("run report")
}

fn build_ok(dataset: &Path, out: &Path) {
    let output = build(dataset, out);
    assert!(
        output.status.success(),
        "report build failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::write_fixture_dataset(dir.path());
    dir
}

/// Every file under `root`, relative path → bytes.
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn fixture_claims_get_the_verdicts_the_data_was_built_for() {
    let dir = fixture();
    let data = edgebench_report::load::Dataset::load(dir.path()).unwrap();
    let analysis = edgebench_report::analysis::analyse(&data);
    let findings = edgebench_report::findings::evaluate(&analysis);
    let verdict: BTreeMap<&str, Verdict> = findings.iter().map(|f| (f.id, f.verdict)).collect();
    let expected = [
        ("load-gpu-vs-cpu", Verdict::Supported),
        // No Gemma or Qwen runs, and no BF16 file (tests/synthetic.rs decides these).
        ("load-gemma-vs-qwen", Verdict::InsufficientData),
        ("load-bf16-vs-q8", Verdict::InsufficientData),
        ("load-mode-vs-maxn", Verdict::Supported),
        ("tpot-gpu-vs-cpu", Verdict::Supported),
        ("tpot-gpu-gain-grows-with-size", Verdict::Supported),
        ("tpot-grows-with-size-on-cpu", Verdict::Supported),
        ("tpot-gemma-vs-qwen", Verdict::InsufficientData),
        ("tpot-bf16-vs-q8", Verdict::InsufficientData),
        ("tpot-mode-vs-maxn", Verdict::Supported),
        ("ttft-gpu-vs-cpu", Verdict::Supported),
        ("ttft-mode-vs-maxn", Verdict::Supported),
        ("ttft-bf16-vs-q8-on-cpu", Verdict::InsufficientData),
        ("cpu-memory-grows-with-size-on-cpu", Verdict::Supported),
        ("cpu-memory-gpu-vs-cpu", Verdict::Supported),
        // CPU runs record no GPU memory, so there is nothing to compare against.
        ("gpu-memory-gpu-vs-cpu", Verdict::InsufficientData),
        ("cpu-memory-mode-vs-maxn", Verdict::Supported),
        ("gpu-memory-mode-vs-maxn", Verdict::Supported),
        ("power-grows-with-size", Verdict::Supported),
        // Built to contradict the paper: the synthetic GPU back-end draws less power.
        ("power-gpu-vs-cpu", Verdict::Contradicted),
        ("power-mode-vs-maxn", Verdict::Supported),
        ("relevance-stable-across-platforms", Verdict::Supported),
        ("relevance-grows-with-size", Verdict::Supported),
        ("gemm-largest-kernel-class", Verdict::Supported),
        ("gemm-share-falls-on-faster-gpu", Verdict::Supported),
        ("elementwise-share-rises-on-faster-gpu", Verdict::Supported),
        // Built to contradict the paper on the synthetic AGX Orin's CPU decode captures.
        ("gemv-share-gemma-above-qwen", Verdict::Contradicted),
        ("fusion-cuts-time", Verdict::Supported),
    ];
    for (id, want) in expected {
        let f = findings.iter().find(|f| f.id == id).unwrap_or_else(|| panic!("no finding {id}"));
        assert_eq!(verdict[id], want, "{id}: {} — {} — {:#?}", f.claim, f.summary, f.evidence);
    }
    assert_eq!(findings.len(), expected.len(), "every claim is covered by this test");

    // Direction words come from the data: the contradicted power claim says "lower", not "higher".
    let power = findings.iter().find(|f| f.id == "power-gpu-vs-cpu").unwrap();
    assert!(power.evidence.iter().all(|e| e.result.ends_with(": lower")), "{:#?}", power.evidence);
    assert!(power.summary.starts_with("0 of 2 decisive"), "{}", power.summary);
    let tpot = findings.iter().find(|f| f.id == "tpot-gpu-vs-cpu").unwrap();
    // Tiny: 15/20 ms; Big: 30/100 ms.
    let results: Vec<&str> = tpot.evidence.iter().map(|e| e.result.as_str()).collect();
    assert!(results.iter().any(|r| r.starts_with("0.75") && r.ends_with("lower")), "{results:?}");
    assert!(results.iter().any(|r| r.starts_with("0.3") && r.ends_with("lower")), "{results:?}");

    // The failed run counts in coverage, not in the medians.
    let cell = analysis.cells.iter().find(|c| c.key.device == common::NX && c.key.backend == Backend::Cpu && c.key.model == common::TINY).unwrap();
    assert_eq!((cell.runs_ok, cell.runs_failed), (common::REPS as usize, 1));
    assert_eq!(cell.estimates[&edgebench_report::metrics::Metric::TpotMs].n, common::REPS as usize);
}

#[test]
fn build_writes_pdf_html_figures_and_tables() {
    let dir = fixture();
    let out = tempfile::tempdir().unwrap();
    build_ok(dir.path(), out.path());
    let files = tree(out.path());
    assert!(files[Path::new("report.pdf")].starts_with(b"%PDF-"));
    let html = String::from_utf8(files[Path::new("index.html")].clone()).unwrap();
    for figure in [
        "load_ms", "tpot_ms", "ttft_ms", "peak_cpu_memory", "peak_gpu_memory", "mean_power_w", "relevance",
        "energy_per_output_token_j", "prefill_tokens_per_s", "decode_tokens_per_s", "energy_tpot", "kernel_shares", "fusion",
        "fusion_sweep", "fusion_bandwidth",
    ] {
        let svg = &files[&Path::new("figures").join(format!("{figure}.svg"))];
        assert!(svg.starts_with(b"<svg"), "{figure}");
        assert!(html.contains(&format!("id=\"figure-{figure}\"")), "{figure} missing from the page");
    }
    for table in [
        "coverage", "models", "devices", "ratios", "published", "kernel_shares", "kernel_top", "profile_quality", "nsight_compute", "fusion",
        "fusion_sweep", "tpot_ms", "energy", "medians",
    ] {
        assert!(files.contains_key(&Path::new("tables").join(format!("{table}.csv"))), "{table}.csv");
    }
    // The published value sits beside the measured cell it matches, labelled as published.
    let load = String::from_utf8(files[Path::new("tables/load_ms.csv")].clone()).unwrap();
    let nx_cpu_tiny = load.lines().find(|l| l.starts_with(common::NX) && l.contains(",cpu,") && l.contains("Tiny")).unwrap();
    // …as a reference to its entry in the appendix of published values.
    assert!(nx_cpu_tiny.contains(",707 (P1),"), "{nx_cpu_tiny}");
    let cpu_mem = String::from_utf8(files[Path::new("tables/peak_cpu_memory.csv")].clone()).unwrap();
    let published_only = cpu_mem.lines().find(|l| l.contains("Edge Server")).unwrap();
    assert!(published_only.ends_with(",published") && published_only.contains("3.70"), "{published_only}");
    // medians.csv: one line per cell × metric with a value, numbers in dataset units.
    let medians = String::from_utf8(files[Path::new("tables/medians.csv")].clone()).unwrap();
    let tpot_nx_big_cuda = medians
        .lines()
        .find(|l| l.starts_with(&format!("{},cuda,,quick,Big,Q8_0,trained,,tpot_ms,", common::NX)))
        .unwrap_or_else(|| panic!("{medians}"));
    let fields: Vec<&str> = tpot_nx_big_cuda.split(',').collect();
    let column = medians.lines().next().unwrap().split(',').position(|c| c == "median").unwrap();
    let median: f64 = fields[column].parse().unwrap();
    assert!((median - 30.0 * (1.0 + 0.007)).abs() < 0.1, "{tpot_nx_big_cuda}");
    assert!(tpot_nx_big_cuda.starts_with(&format!("{},cuda,,quick,Big,Q8_0,trained,,tpot_ms,ms/token,runs,8,", common::NX)));
    assert!(tpot_nx_big_cuda.ends_with(",8,0,true,0.5,0.5"), "outputs repeat; half the big model's answers hit the cap: {tpot_nx_big_cuda}");
    // Beside TPOT, the shown table says how generations stopped.
    let tpot = String::from_utf8(files[Path::new("tables/tpot_ms.csv")].clone()).unwrap();
    assert!(tpot.lines().filter(|l| l.contains(",Big (")).all(|l| l.contains(",50.0%,50.0%,")), "{tpot}");
    // Findings are in both outputs with their verdicts.
    assert!(html.contains("finding-power-gpu-vs-cpu") && html.contains("contradicted"));
}

/// Fig. 9 and the kernel tables of Section V, in the page, the CSV files and the PDF's text.
#[test]
fn kernel_section_has_phase_panels_the_papers_bars_and_its_tables() {
    let dir = fixture();
    let out = tempfile::tempdir().unwrap();
    build_ok(dir.path(), out.path());
    let read = |path: &str| std::fs::read_to_string(out.path().join(path)).unwrap();

    let svg = read("figures/kernel_shares.svg");
    let labels = svg_texts(&svg);
    for text in ["prefill", "decode", "all phases (prefill and decode not separated)", "paper: Orin NX (synthetic) · cuda · Tiny", "small operations (paper's bin)"] {
        assert!(labels.iter().any(|l| l == text), "{text} missing from Fig. 9: {labels:?}");
    }
    assert!(labels.iter().any(|l| l.starts_with("paper: Edge Server (published only)")), "the paper's unmatched bar is drawn too");
    // The paper's matched bar sits right below the measured bar it speaks about (the bar labels
    // are drawn top to bottom).
    let measured = labels.iter().position(|t| t == "Orin NX (synthetic) · cuda · Tiny").expect("measured bar");
    assert_eq!(labels[measured + 1], "paper: Orin NX (synthetic) · cuda · Tiny", "{labels:?}");

    let classes = read("tables/kernel_shares.csv");
    let header = classes.lines().next().unwrap();
    assert!(header.contains("GEMV") && header.contains("small operations (paper's bin)") && header.contains("Unclassified names"), "{header}");
    let lines: Vec<&str> = classes.lines().collect();
    let nx_tiny = lines.iter().position(|l| l.starts_with(&format!("{} · cuda,Tiny", common::NX))).unwrap();
    let published = lines[nx_tiny + 1];
    assert!(published.ends_with(",published") && published.contains("76.0%") && published.contains("16.0%"), "{published}");
    let qwen_decode = lines.iter().find(|l| l.starts_with(common::NX) && l.contains(common::QWEN) && l.contains(",decode · ")).unwrap();
    assert!(qwen_decode.contains(",2 (ggml_op),") && qwen_decode.contains(",1,measured"), "medians of two captures, one unclassified name: {qwen_decode}");

    let top = read("tables/kernel_top.csv");
    let gemma_decode_first = top
        .lines()
        .find(|l| l.starts_with(common::NX) && l.contains(common::GEMMA) && l.contains(",decode · ") && l.contains(",1,MUL_MAT,"))
        .unwrap_or_else(|| panic!("{top}"));
    assert!(gemma_decode_first.contains(",GEMV,q4_1,1,64.0%"), "{gemma_decode_first}");

    let quality = read("tables/profile_quality.csv");
    let agx_gemma = quality.lines().find(|l| l.starts_with(common::AGX) && l.contains(common::GEMMA)).unwrap();
    assert!(agx_gemma.contains("host wall clock, synchronised after every node: unfused, includes launch and sync costs"), "{agx_gemma}");
    assert!(agx_gemma.contains("1.80× (n = 1)") && agx_gemma.contains("85.0% (n = 1): below 90.0%"), "{agx_gemma}");

    let ncu = read("tables/nsight_compute.csv");
    let measured = ncu.lines().find(|l| l.starts_with("this dataset,")).unwrap();
    assert!(measured.contains(common::NCU_THEORETICAL_OCCUPANCY) && measured.contains(common::NCU_CYCLES_PER_ISSUE), "{measured}");
    let paper = ncu.lines().find(|l| l.ends_with(",published")).unwrap();
    for value in ["16.7", "0.110", "1.95", "5.40"] {
        assert!(paper.split(',').any(|c| c == value), "{value} missing from {paper}");
    }

    let html = read("index.html");
    for id in ["kernel_shares", "kernel_top", "profile_quality", "nsight_compute"] {
        assert!(html.contains(&format!("id=\"table-{id}\"")), "table {id} missing from the page");
    }
    let text = pdf_text(&out.path().join("report.pdf"));
    let squeezed: String = text.split_whitespace().collect();
    for s in [
        "Kernel time by class",
        "Largest kernels per profile cell",
        "Profile quality",
        "Nsight Compute: occupancy and warp issue",
        "unfused, includes launch and sync costs",
        "paper's bin",
    ] {
        let want: String = s.split_whitespace().collect();
        assert!(squeezed.contains(&want), "`{s}` missing from the PDF text");
    }
}

/// The paper's own Section V rows (the committed source file): Fig. 9's bars and the Nsight
/// Compute numbers reach the report from the published rows, and a dataset without profiles says
/// so beside them.
#[test]
fn the_papers_section_v_numbers_come_from_its_published_rows() {
    let dir = tempfile::tempdir().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dataset/sources/liu2026edge.published.jsonl");
    edgebench_dataset::published_source::import_file(dir.path(), &source).expect("import the paper's published rows");
    let out = tempfile::tempdir().unwrap();
    build_ok(dir.path(), out.path());
    let ncu = std::fs::read_to_string(out.path().join("tables/nsight_compute.csv")).unwrap();
    assert!(ncu.contains("this dataset,no Nsight Compute capture in the dataset"), "{ncu}");
    let paper = ncu.lines().find(|l| l.contains("Jetson (unspecified)")).unwrap_or_else(|| panic!("{ncu}"));
    for value in ["16.7", "0.110", "1.95", "5.40"] {
        assert!(paper.split(',').any(|c| c == value), "{value} missing from {paper}");
    }
    let labels = svg_texts(&std::fs::read_to_string(out.path().join("figures/kernel_shares.svg")).unwrap());
    for bar in ["paper: Jetson Orin NX · cuda · Qwen-1.5B", "paper: Jetson Orin NX · cuda · Gemma-2B", "paper: Jetson AGX Orin · cuda · Qwen-1.5B", "paper: Edge Server · cuda · Qwen-1.5B"] {
        assert!(labels.iter().any(|l| l == bar), "{bar} missing from Fig. 9: {labels:?}");
    }
    // The GEMM share quoted in three sentences is one bar segment, not three.
    let classes = std::fs::read_to_string(out.path().join("tables/kernel_shares.csv")).unwrap();
    let nx_qwen = classes.lines().find(|l| l.starts_with("Jetson Orin NX · cuda,Qwen-1.5B")).unwrap();
    assert!(nx_qwen.contains(",76.0%,") && nx_qwen.contains(",16.0%,"), "{nx_qwen}");
}

#[test]
fn two_builds_of_the_same_dataset_are_byte_identical() {
    let dir = fixture();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    build_ok(dir.path(), a.path());
    build_ok(dir.path(), b.path());
    let (ta, tb) = (tree(a.path()), tree(b.path()));
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (path, bytes) in &ta {
        assert!(bytes == &tb[path], "{} differs between two builds", path.display());
    }
}

#[test]
fn an_empty_dataset_builds_and_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    common::write_empty_dataset(dir.path());
    let out = tempfile::tempdir().unwrap();
    build_ok(dir.path(), out.path());
    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(html.contains("Regenerated from an empty edgebench dataset"));
    assert!(html.contains("no data: no run has a load time"), "figures say they have no data");
    assert!(html.contains("The dataset holds no runs yet."));
    assert_eq!(html.matches("<span class=\"verdict\">insufficient data</span>").count(), edgebench_report::findings::CLAIMS.len());
    assert!(html.contains("no data: no kernel profile in the dataset"), "Fig. 9 says it has no profile");
    assert!(html.contains("No kernel profile in the dataset yet."));
    assert!(html.contains("no Nsight Compute capture in the dataset"));
    let medians = std::fs::read_to_string(out.path().join("tables/medians.csv")).unwrap();
    assert_eq!(medians.lines().count(), 1, "header only: {medians}");
    assert!(std::fs::read(out.path().join("report.pdf")).unwrap().starts_with(b"%PDF-"));
}

#[test]
fn a_directory_that_is_not_a_dataset_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = build(dir.path(), out.path());
    assert_eq!(output.status.code(), Some(i32::from(edgebench_report::exit_code::DATA)));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not an edgebench dataset") && stderr.contains("--dataset"), "{stderr}");
    assert!(!out.path().join("report.pdf").exists());
}

#[test]
fn a_shard_that_does_not_match_the_manifest_is_reported_not_rendered() {
    let dir = fixture();
    let manifest = edgebench_dataset::manifest::Manifest::load(&dir.path().join("v1/MANIFEST.json")).unwrap();
    let shard = manifest.shards.iter().find(|s| s.table == "generations").unwrap();
    let path = dir.path().join("v1").join(&shard.path);
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = build(dir.path(), out.path());
    assert_eq!(output.status.code(), Some(i32::from(edgebench_report::exit_code::DATA)));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&shard.path) && stderr.contains("dataset validate"), "{stderr}");
}

/// Strings that would be markup, code or trouble if pasted into Typst source or HTML.
const HOSTILE: &[&str] = &[
    "<script>alert(1)</script>",
    "#read(\"/etc/passwd\")",
    "unbalanced ] bracket [",
    "$x^2$ dollars $",
    "Ωμέγα – 深度学习 device",
    "Čeština ÆØÅ привет ß – naïve",
    "a & b \"quoted\" 'single' `tick` *star* _under_ @ref <b>bold</b> \\ backslash",
];

fn hostile_dataset(root: &Path) {
    let long = format!("long label {}", "x".repeat(900));
    let mut runs = Vec::new();
    let mut generations = Vec::new();
    for label in HOSTILE.iter().copied().chain([long.as_str()]) {
        let model = format!("model {label}");
        for rep in 0..2 {
            let mut run = fixtures::run(label, Backend::Cpu, Some(label), &model, rep);
            run.host_cpu_model = format!("cpu {label}");
            // Texts the front page shows: the software versions and the protocol's prompt set.
            run.collector_version = format!("collector {label}");
            run.llama_cpp_commit = format!("llama {label}");
            run.prompt_set_name = format!("prompt set {label}");
            run.model_file_name = "model.gguf".into();
            run.run_config_json = serde_json::json!({ "model": model, "backend": "cpu" }).to_string().into();
            run.run_config_sha256 = edgebench_dataset::schema::Sha256Hex::of(run.run_config_json.as_bytes());
            run.run_id = run.compute_id();
            for p in 0..2 {
                generations.push(fixtures::generation(&run, p));
            }
            runs.push(run);
        }
    }
    let published: Vec<Published> = HOSTILE
        .iter()
        .map(|label| {
            let mut p = fixtures::published(label, Some(&format!("model {label}")), "load_ms", 1.0, "ms", &format!("quote {label}: it takes 1 ms. {}", "y".repeat(5000)));
            p.ambiguity = Some(format!("ambiguity {label}").into());
            p.citation = format!("Citation {label}").into();
            p.published_id = p.compute_id();
            p
        })
        .collect();
    let (mut store, _) = Store::open(root).unwrap();
    let mut batch = edgebench_dataset::store::WriteBatch::default();
    store.stage(&mut batch, runs).unwrap();
    store.stage(&mut batch, generations).unwrap();
    store.stage(&mut batch, published).unwrap();
    store.commit(batch).unwrap();
}

fn need(tool: &str) -> PathBuf {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join(tool))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| panic!("`{tool}` is not installed; the test command (scripts/test.sh) installs it"))
}

/// The PDF's text as poppler extracts it, with line breaks and hyphenation undone as far as
/// possible so that long strings can be searched.
/// The text of every `<text>` element of an SVG, in document order, unescaped.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| Some(t[t.find('>')? + 1..t.find("</text>")?].trim().replace("&apos;", "'").replace("&amp;", "&")))
        .collect()
}

fn pdf_text(pdf: &Path) -> String {
    let output = Command::new(need("pdftotext")).args(["-raw", "-enc", "UTF-8"]).arg(pdf).arg("-").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn hostile_text_appears_literally_in_html_and_pdf() {
    let dir = tempfile::tempdir().unwrap();
    hostile_dataset(dir.path());
    let out = tempfile::tempdir().unwrap();
    build_ok(dir.path(), out.path());

    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(!html.contains("<script"), "a raw <script> tag reached the page");
    assert!(!html.contains("<b>bold</b>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("#read(&quot;/etc/passwd&quot;)") || html.contains("#read(&#34;/etc/passwd&#34;)"), "read() shown as text");
    assert!(html.contains("Ωμέγα – 深度学习 device"));
    assert!(html.contains(&"y".repeat(5000)), "long quotes are kept whole");
    // (minijinja also escapes `/`, as `&#x2f;`.)
    for front in ["collector &lt;script&gt;alert(1)&lt;", "prompt set &lt;script&gt;alert(1)&lt;", "Citation &lt;script&gt;alert(1)&lt;"] {
        assert!(html.contains(front), "the front page shows `{front}` as text");
    }

    let text = pdf_text(&out.path().join("report.pdf"));
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(!flat.contains("root:x:0:0"), "the PDF must not contain /etc/passwd");
    // CJK is left out here on purpose: Typst's embedded fonts have no CJK glyphs, so the PDF
    // cannot show them (the HTML does; see above). Greek, Cyrillic and Latin accents it can.
    for s in ["Citation <script>alert(1)</script>", "collector #read(\"/etc/passwd\")", "prompt set $x^2$ dollars $", "<script>alert(1)</script>", "#read(\"/etc/passwd\")", "unbalanced ] bracket [", "$x^2$ dollars $", "Ωμέγα –", "Čeština ÆØÅ привет ß – naïve"] {
        // Table cells may wrap anywhere; compare without whitespace.
        let squeezed: String = s.split_whitespace().collect();
        let flat_squeezed: String = flat.split_whitespace().collect();
        assert!(flat_squeezed.contains(&squeezed), "`{s}` does not appear literally in the PDF text");
    }
}

/// Reads a binary PPM (P6) and returns (width, height, fraction of non-white pixels).
fn ink(ppm: &[u8]) -> (usize, usize, f64) {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while ppm[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !ppm[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(std::str::from_utf8(&ppm[start..i]).unwrap().to_owned());
    }
    assert_eq!(fields[0], "P6");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = &ppm[i + 1..];
    assert_eq!(pixels.len(), w * h * 3);
    let inked = pixels.chunks(3).filter(|p| p.iter().any(|&c| c < 200)).count();
    (w, h, inked as f64 / (w * h) as f64)
}

#[test]
fn pdf_pages_render_to_non_blank_images() {
    let dir = fixture();
    let out = tempfile::tempdir().unwrap();
    build_ok(dir.path(), out.path());
    let pages = tempfile::tempdir().unwrap();
    let status = Command::new(need("pdftoppm"))
        .args(["-r", "40"])
        .arg(out.path().join("report.pdf"))
        .arg(pages.path().join("page"))
        .status()
        .unwrap();
    assert!(status.success());
    let mut rendered: Vec<PathBuf> = std::fs::read_dir(pages.path()).unwrap().map(|e| e.unwrap().path()).collect();
    rendered.sort();
    assert!(rendered.len() >= 5, "expected several pages, got {}", rendered.len());
    for (i, page) in rendered.iter().enumerate() {
        let (w, h, inked) = ink(&std::fs::read(page).unwrap());
        assert!(w > 200 && h > 200, "{}: {w}×{h}", page.display());
        // A page with only a heading on it (a table pushed to the next page) is a layout bug too;
        // only the last page may be nearly empty.
        let least = if i + 1 == rendered.len() { 0.0001 } else { 0.001 };
        assert!(inked > least, "{} is (nearly) blank: {inked:.4} of its pixels inked", page.display());
    }
}

/// Loads `page` in headless Chromium; returns (DOM, console messages, URLs of network requests).
fn chromium_load(page: &Path) -> (String, Vec<String>, Vec<String>) {
    let chromium = need("chromium");
    let profile = tempfile::tempdir().unwrap();
    let netlog = profile.path().join("netlog.json");
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--log-net-log={}", netlog.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(output.status.success(), "chromium failed: {}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let console: Vec<String> = stderr.lines().filter(|l| l.contains(":CONSOLE")).map(str::to_owned).collect();
    // Requests the page made: those with an initiator. The browser's own background requests
    // (update checks, which the flags do not silence entirely) carry "not an origin".
    let log: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&netlog).expect("net log written")).expect("net log is JSON");
    let mut requests: Vec<String> = log["events"]
        .as_array()
        .expect("net log has events")
        .iter()
        .filter_map(|e| {
            let params = e.get("params")?;
            let initiator = params.get("initiator")?.as_str()?;
            let url = params.get("url")?.as_str()?;
            (initiator != "not an origin" && !url.starts_with("file:") && !url.starts_with("data:")).then(|| url.to_owned())
        })
        .collect();
    requests.dedup();
    (String::from_utf8_lossy(&output.stdout).into_owned(), console, requests)
}

#[test]
fn html_loads_in_headless_chromium_without_console_errors_or_network() {
    // First show that the detectors can fail: a page that logs an error and asks the network.
    let control = tempfile::tempdir().unwrap();
    let bad = control.path().join("bad.html");
    std::fs::write(
        &bad,
        "<!doctype html><html><body><img src=\"http://192.0.2.1/x.png\"><script>console.error('control error')</script></body></html>",
    )
    .unwrap();
    let (_, console, requests) = chromium_load(&bad);
    assert!(console.iter().any(|l| l.contains("control error")), "console detector saw nothing: {console:?}");
    assert!(requests.iter().any(|u| u.starts_with("http://192.0.2.1")), "network detector saw nothing: {requests:?}");

    let dir = fixture();
    let out = tempfile::tempdir().unwrap();
    build_ok(dir.path(), out.path());
    let (dom, console, requests) = chromium_load(&out.path().join("index.html"));
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(requests.is_empty(), "network requests: {requests:#?}");
    // The page was really rendered: all fifteen figures are in the DOM as SVG.
    assert_eq!(dom.matches("<figure id=\"figure-").count(), 15, "figures in the DOM");
    assert!(dom.matches("<svg").count() >= 15);
}
