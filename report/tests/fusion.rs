//! The fusion micro-benchmark (the paper's Fig. 10) from `microbench` rows written through the
//! store: the numbers the analysis derives (bandwidth, bound, distance from it) against the same
//! numbers computed here from the fixtures' cost model; the claim supported, contradicted and
//! undecided; the figures with their limits, the paper's ratios and the cache markers; rows
//! without the schema 1.2 columns; and the committed dataset.

mod common;

use std::path::Path;
use std::process::Command;

use common::fusion::{self as fx, CPU_VM, GPU, Sweep};
use edgebench_dataset::schema::v1::*;
use edgebench_report::analysis::{Analysis, analyse};
use edgebench_report::findings::{Finding, Verdict, evaluate};
use edgebench_report::format;
use edgebench_report::fusion::{Bound, FusionResult};
use edgebench_report::load::Dataset;

fn analysis_of(root: &Path) -> Analysis {
    analyse(&Dataset::load(root).expect("load the dataset"))
}

fn point<'a>(a: &'a Analysis, device: &str, dtype: &str, elements: u64) -> &'a FusionResult {
    a.fusion
        .iter()
        .find(|r| r.platform.device == device && r.dtype == dtype && r.elements == elements)
        .unwrap_or_else(|| panic!("no fusion point {device} {dtype} {elements}"))
}

fn fusion_finding(a: &Analysis) -> Finding {
    evaluate(a).into_iter().find(|f| f.id == "fusion-cuts-time").expect("the fusion claim")
}

fn dataset(sweeps: &[&Sweep]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fx::write_microbench(dir.path(), sweeps.iter().flat_map(|s| s.rows()).collect());
    dir
}

fn build_ok(dataset: &Path, out: &Path) {
    let output = Command::new(env!("CARGO_BIN_EXE_report"))
        .args(["build", "--dataset"])
        .arg(dataset)
        .arg("--out")
        .arg(out)
        .output()
        .expect("run report");
    assert!(
        output.status.success(),
        "report build failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The model's median times (unfused, fused) of a sweep at one size.
fn medians(s: &Sweep, dtype: &str, elements: u64) -> (f64, f64) {
    (
        fx::median_us(s.model_us(FusionVariant::Unfused, dtype, elements), s.reps),
        fx::median_us(s.model_us(FusionVariant::Fused, dtype, elements), s.reps),
    )
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn bandwidth_bound_and_distance_are_computed_from_the_rows() {
    let dir = dataset(&[&CPU_VM, &GPU]);
    let a = analysis_of(dir.path());
    // 2 sweeps of GPU (f32, f16) × 13 sizes, 1 of the VM × 14 sizes.
    assert_eq!(a.fusion.len(), 2 * 13 + 14);

    // GPU, f32, 2^28 elements: 1 GiB vectors, 20.5× a 50 MiB L2, no write-allocate.
    let elements = 1u64 << 28;
    let r = point(&a, GPU.device, "f32", elements);
    let v = elements * 4;
    let (unfused, fused) = medians(&GPU, "f32", elements);
    assert!(r.memory_bound_point);
    assert_eq!(r.vector_bytes, Some(v));
    assert_eq!(r.memory_resident, Some(true));
    let u = r.unfused.as_ref().unwrap();
    let f = r.fused.as_ref().unwrap();
    assert!(close(u.time_us.median, unfused) && close(f.time_us.median, fused), "{} {}", u.time_us.median, unfused);
    assert_eq!((u.bytes_moved, f.bytes_moved, u.kernel_launches, f.kernel_launches), (5 * v, 3 * v, 2, 1));
    // Achieved bandwidth: STREAM-counted bytes over the median time, in GB/s.
    assert!(close(u.bandwidth_gb_s.value, (5 * v) as f64 / unfused / 1e3));
    assert!(close(f.bandwidth_gb_s.value, (3 * v) as f64 / fused / 1e3));
    let (copy, triad) = GPU.stream_gb_s("f32", elements);
    assert_eq!((r.copy_gb_s, r.triad_gb_s), (Some(copy), Some(triad)));
    assert!(close(u.copy_fraction.unwrap().value, (5 * v) as f64 / unfused / 1e3 / copy));
    assert!(close(u.time_at(copy), (5 * v) as f64 / (copy * 1e3)));
    // Ratio and its distance from 3/5, the interval mapped from the ratio's.
    assert_eq!(r.bound, Some(Bound::NoWriteAllocate));
    let ratio = r.ratio.as_ref().unwrap();
    assert!(close(ratio.ratio, fused / unfused));
    let d = r.distance.unwrap();
    assert!(close(d.value, fused / unfused / 0.6 - 1.0));
    let (ri, di) = (ratio.interval.unwrap(), d.interval.unwrap());
    assert!(close(di.low, ri.low / 0.6 - 1.0) && close(di.high, ri.high / 0.6 - 1.0));
    // The model's fused kernel runs at 96% of the unfused bandwidth: 3/0.96 against 5 vectors,
    // 4.2% above the bound less the launches' share.
    assert!(di.low > 0.0 && d.value < 0.0417, "{d:?}");

    // The VM, f32, 2^25 elements: 128 MiB, exactly 4× its 32 MiB cache; write-allocate: 4/7.
    let r = point(&a, CPU_VM.device, "f32", 1 << 25);
    assert!(r.memory_bound_point);
    assert_eq!((r.bound, r.memory_resident), (Some(Bound::WriteAllocate), Some(true)));
    let (unfused, fused) = medians(&CPU_VM, "f32", 1 << 25);
    assert!(close(r.distance.unwrap().value, fused / unfused / (4.0 / 7.0) - 1.0));
    // With write-allocate the kernels move more than STREAM counts, and so does STREAM copy: the
    // unfused kernels' counted bandwidth is 5/7 of the device's, copy's 2/3.
    let u = r.unfused.as_ref().unwrap();
    assert!(close(u.copy_fraction.unwrap().value, u.bandwidth_gb_s.value / (CPU_VM.memory_gb_s * 2.0 / 3.0)));

    // A 16 KiB vector is launch-bound: below both limits, and far from memory.
    let small = point(&a, CPU_VM.device, "f32", 1 << 12);
    assert!(!small.memory_bound_point);
    assert_eq!(small.memory_resident, Some(false));
    assert!(small.distance.unwrap().interval.unwrap().high < 0.0);
    // Exactly one memory-bound point per sweep.
    assert_eq!(a.fusion.iter().filter(|r| r.memory_bound_point).count(), 3);
}

#[test]
fn the_claim_is_supported_at_every_memory_bound_point() {
    let dir = dataset(&[&CPU_VM, &GPU]);
    let finding = fusion_finding(&analysis_of(dir.path()));
    assert_eq!(finding.verdict, Verdict::Supported, "{finding:#?}");
    // Three sweeps: three comparisons and three sweep summaries, which count for nothing.
    assert_eq!(finding.summary, "3 of 3 decisive comparisons agree");
    let (lines, context): (Vec<_>, Vec<_>) = finding.evidence.iter().partition(|e| !e.context);
    assert_eq!((lines.len(), context.len()), (3, 3));
    let vm = lines.iter().find(|e| e.subject.starts_with("VM (synthetic) · cpu, f32 at 2^25 elements")).unwrap();
    assert!(vm.subject.contains("128 MiB per vector, 4.00× the last-level cache"), "{}", vm.subject);
    assert!(vm.result.contains(": lower;") && vm.result.contains("above the 4/7 bound (write-allocate)"), "{}", vm.result);
    assert_eq!(vm.agrees, Some(true));
    let gpu = lines.iter().find(|e| e.subject.starts_with("GPU (synthetic) · cuda, f32")).unwrap();
    assert!(gpu.result.contains("above the 3/5 bound (no write-allocate)"), "{}", gpu.result);
    let sweep = context.iter().find(|e| e.subject == "VM (synthetic) · cpu, f32 over the sweep").unwrap();
    assert_eq!(sweep.result, "fused faster at 14 of 14 sizes (interval below 1), slower at 0, undecided at 0");
    assert_eq!(sweep.agrees, None);
}

#[test]
fn a_fused_kernel_slower_from_memory_contradicts_the_claim() {
    // Fused at half the bandwidth: 6 vectors' time against 5, plus one launch less.
    let slow = Sweep { device: "Slow fusion (synthetic)", fused_efficiency: 0.5, ..GPU.clone() };
    let slow = Sweep { dtypes: &["f32"], ..slow };
    let dir = dataset(&[&slow, &CPU_VM]);
    let a = analysis_of(dir.path());
    let finding = fusion_finding(&a);
    assert_eq!(finding.verdict, Verdict::Contradicted, "{finding:#?}");
    assert_eq!(finding.summary, "1 of 2 decisive comparisons agree");
    let line = finding.evidence.iter().find(|e| !e.context && e.subject.starts_with(slow.device)).unwrap();
    assert_eq!(line.agrees, Some(false));
    assert!(line.result.contains(": higher;") && line.result.contains("above the 3/5 bound"), "{}", line.result);

    // The sweep's line counts sizes from the same intervals: 8 repetitions a side give each
    // median's 97.5% interval as [min, max], so the ratio's is r·[1/1.007, 1.007].
    let spread = fx::jitter(slow.reps - 1);
    let (mut faster, mut slower) = (0, 0);
    for e in slow.exponents.clone() {
        let (u, f) = (slow.model_us(FusionVariant::Unfused, "f32", 1 << e), slow.model_us(FusionVariant::Fused, "f32", 1 << e));
        faster += usize::from(f / u * spread < 1.0);
        slower += usize::from(f / u / spread > 1.0);
    }
    assert!(faster > 0 && slower > 0, "the model has launch-bound and memory-bound sizes");
    let sweep = finding.evidence.iter().find(|e| e.context && e.subject.starts_with(slow.device)).unwrap();
    let undecided = 13 - faster - slower;
    assert!(
        sweep.result.starts_with(&format!("fused faster at {faster} of 13 sizes (interval below 1), slower at {slower} (")),
        "{}",
        sweep.result
    );
    assert!(sweep.result.contains(&format!("undecided at {undecided}")), "{}", sweep.result);
}

#[test]
fn too_few_repetitions_decide_nothing() {
    let few = Sweep { reps: 4, ..CPU_VM.clone() };
    let dir = dataset(&[&few]);
    let a = analysis_of(dir.path());
    let r = point(&a, few.device, "f32", 1 << 25);
    assert!(r.ratio.as_ref().unwrap().interval.is_none(), "4 repetitions give no interval");
    let finding = fusion_finding(&a);
    assert_eq!(finding.verdict, Verdict::InsufficientData, "{finding:#?}");
    // The sweep's summary line is not a comparison: one undecided, not two.
    assert!(finding.summary.starts_with("0 of 0 decisive comparisons agree; 1 undecided"), "{}", finding.summary);
    let line = finding.evidence.iter().find(|e| !e.context).unwrap();
    assert!(line.result.contains("(no interval)") && line.result.contains("no interval: too few repetitions"), "{}", line.result);
}

/// Text elements of an SVG: (text, x, y), unescaped.
fn svg_texts(svg: &str) -> Vec<(String, f64, f64)> {
    let attr = |tag: &str, name: &str| -> f64 {
        let start = tag.find(&format!(" {name}=\"")).map(|i| i + name.len() + 3).unwrap_or_else(|| panic!("no {name} in {tag}"));
        tag[start..start + tag[start..].find('"').unwrap()].parse().unwrap()
    };
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let tag = &t[..t.find('>')?];
            let body = t[t.find('>')? + 1..t.find("</text>")?].trim();
            let text = body.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&");
            Some((text, attr(tag, "x"), attr(tag, "y")))
        })
        .collect()
}

fn text_at<'a>(texts: &'a [(String, f64, f64)], text: &str) -> &'a (String, f64, f64) {
    texts.iter().find(|t| t.0 == text).unwrap_or_else(|| panic!("`{text}` not drawn: {:?}", texts.iter().map(|t| &t.0).collect::<Vec<_>>()))
}

/// The pixel row of value `v` on the linear y axis, from the axis's own tick labels.
fn y_pixel(texts: &[(String, f64, f64)], v: f64) -> f64 {
    let ticks: Vec<(f64, f64)> =
        texts.iter().filter(|t| t.1 < 80.0).filter_map(|t| t.0.parse::<f64>().ok().map(|value| (value, t.2))).collect();
    assert!(ticks.len() >= 2, "y ticks: {ticks:?}");
    let ((v0, y0), (v1, y1)) = (ticks[0], ticks[ticks.len() - 1]);
    y0 + (v - v0) * (y1 - y0) / (v1 - v0)
}

/// Two-point `<polyline>` segments of a colour lying on pixel row `y` (± 1).
fn segments_on_row(svg: &str, stroke: &str, y: f64) -> usize {
    svg.split("<polyline")
        .skip(1)
        .filter(|p| p[..p.find('>').unwrap()].contains(&format!("stroke=\"{stroke}\"")))
        .filter(|p| {
            let start = p.find("points=\"").unwrap() + 8;
            let points: Vec<f64> = p[start..start + p[start..].find('"').unwrap()]
                .split_whitespace()
                .map(|xy| xy.split(',').nth(1).unwrap().parse().unwrap())
                .collect();
            points.len() == 2 && points.iter().all(|py| (py - y).abs() <= 1.0)
        })
        .count()
}

#[test]
fn figures_show_the_limits_the_papers_ratios_and_the_caches() {
    let dir = dataset(&[&CPU_VM, &GPU]);
    fx::import_paper(dir.path());
    let out = tempfile::tempdir().unwrap();
    build_ok(dir.path(), out.path());
    let read = |path: &str| std::fs::read_to_string(out.path().join(path)).unwrap();

    // The ratio against size: the limits and the paper's ratios as lines, tagged at the right,
    // in the order of their values, each near its own value on the axis.
    let svg = read("figures/fusion_sweep.svg");
    let texts = svg_texts(&svg);
    let orin = 1003.5 / 1924.2;
    let dell = 76.4 / 124.4;
    let tags = [("1", 1.0), ("0.614", dell), ("3/5", 0.6), ("4/7", 4.0 / 7.0), ("0.522", orin)];
    let mut previous = f64::NEG_INFINITY;
    for (tag, value) in tags {
        // Right of the plot (the y axis has a tick labelled 1 too).
        let (_, _, y) = texts.iter().find(|t| t.0 == tag && t.1 > 700.0).unwrap_or_else(|| panic!("no tag {tag} right of the plot"));
        assert!(*y > previous, "{tag} is below the previous tag");
        assert!((y - y_pixel(&texts, value)).abs() < 30.0, "{tag} at y = {y}, its value at {}", y_pixel(&texts, value));
        previous = *y;
    }
    // Dashed dark lines on the rows of 3/5 and 4/7, dotted purple ones on the paper's ratios.
    for (stroke, value) in [("#222222", 0.6), ("#222222", 4.0 / 7.0), ("#6A3D9A", orin), ("#6A3D9A", dell)] {
        let row = y_pixel(&texts, value).round();
        let n = (-1..=1).map(|dy| segments_on_row(&svg, stroke, row + f64::from(dy))).max().unwrap();
        assert!(n >= 20, "{n} {stroke} dashes on the row of {value} ({row})");
    }
    for legend in [
        "1: no gain from fusion",
        "3/5 = 0.600: memory-bound limit, no write-allocate",
        "4/7 = 0.571: memory-bound limit, write-allocate",
        "paper: Jetson AGX Orin 0.522 (size not stated)",
        "paper: Dell 0.614 (size not stated)",
        "VM (synthetic) · cpu, f32",
        "GPU (synthetic) · cuda, f32",
        "GPU (synthetic) · cuda, f16",
    ] {
        text_at(&texts, legend);
    }
    // Each device's cache where its size is on the log2 axis (32 MiB is a tick; 50 MiB is
    // log2(50/32) of the way to the next power of two). A label sits 8 px right of its line.
    let (_, x32, _) = text_at(&texts, "32 MiB");
    let (_, x1g, _) = text_at(&texts, "1 GiB");
    let px_per_octave = (x1g - x32) / 5.0;
    for (cache, bytes) in [("LLC 32 MiB, cpu: VM (synthetic)", 32.0), ("LLC 50 MiB, cuda: GPU (synthetic)", 50.0)] {
        let (_, x, _) = text_at(&texts, cache);
        let line = x32 + (bytes / 32.0f64).log2() * px_per_octave;
        assert!((x - 8.0 - line).abs() <= 2.0, "{cache} labelled at x = {x}, its size at {line}");
    }

    // Fig. 10: our devices at their memory-bound points (f32), named with the vector size, and
    // the paper's two devices.
    let fig10 = svg_texts(&read("figures/fusion.svg")).into_iter().map(|t| t.0).collect::<Vec<_>>().join(" ");
    for group in ["cuda · f32 · 1 GiB · GPU (synthetic)", "cpu · f32 · 128 MiB · VM (synthetic)", "Jetson AGX Orin (paper)", "Dell (paper)"] {
        assert!(fig10.contains(group), "{group} missing from Fig. 10: {fig10}");
    }
    assert!(fig10.contains("unfused: Add, then Scale (2 kernels)") && fig10.contains("fused: s·(a + b) (1 kernel)"));

    // Bandwidth against size: each variant and the copy bandwidth of each sweep.
    let bandwidth = svg_texts(&read("figures/fusion_bandwidth.svg")).into_iter().map(|t| t.0).collect::<Vec<_>>();
    for legend in ["GPU (synthetic) · cuda, f32: unfused", "GPU (synthetic) · cuda, f32: fused", "VM (synthetic) · cpu, f32: STREAM copy", "bandwidth (GB/s)"] {
        assert!(bandwidth.iter().any(|t| t == legend), "{legend} missing: {bandwidth:?}");
    }

    // The memory-bound table: ours with bound and bandwidth, the paper's with times only.
    let table = read("tables/fusion.csv");
    let gpu = table.lines().find(|l| l.starts_with("GPU (synthetic) · cuda,f32,")).unwrap_or_else(|| panic!("{table}"));
    let a = analysis_of(dir.path());
    let r = point(&a, GPU.device, "f32", 1 << 28);
    let u = r.unfused.as_ref().unwrap();
    let want = format!("{} ({})", format::sig3(u.bandwidth_gb_s.value), format::percent(u.copy_fraction.unwrap().value));
    assert!(gpu.contains("2^28 (1 GiB; 20.5× LLC)") && gpu.contains(",3/5 = 0.600 (no write-allocate),\"+") && gpu.contains(&want), "{gpu}");
    let orin_row = table.lines().find(|l| l.contains("Jetson AGX Orin · cuda (paper")).unwrap();
    assert!(orin_row.contains(",1924.2,1003.5,0.522× (printed reduction 47.8%),—,") && orin_row.ends_with(",published"), "{orin_row}");
    assert_eq!(table.lines().filter(|l| l.ends_with(",published")).count(), 2);
    let html = read("index.html");
    for id in ["figure-fusion", "figure-fusion_sweep", "figure-fusion_bandwidth", "table-fusion", "table-fusion_sweep"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id} missing from the page");
    }
    // The sentence under the table says how far each device is from its limit.
    assert!(html.contains("VM (synthetic) · cpu, f32 at 2^25 elements (128 MiB per vector, 4.00× the last-level cache): fused&#x2f;unfused"), "sentence missing");
    let sweep_rows = read("tables/fusion_sweep.csv").lines().count() - 1;
    assert_eq!(sweep_rows, a.fusion.len());

    // The PDF has the new figures and tables too.
    let pdf = Command::new("pdftotext").args(["-raw", "-enc", "UTF-8"]).arg(out.path().join("report.pdf")).arg("-").output().expect("pdftotext (scripts/test.sh installs it)");
    let text: String = String::from_utf8(pdf.stdout).unwrap().split_whitespace().collect();
    for s in ["Kernel fusion against vector size: fused / unfused time", "Kernel fusion against vector size: achieved and copy bandwidth", "Kernel fusion at the memory-bound point", "Kernel fusion: every size of every sweep"] {
        let want: String = s.split_whitespace().collect();
        assert!(text.contains(&want), "`{s}` missing from the PDF text");
    }
}

#[test]
fn rows_without_the_sweep_columns_have_no_bound_or_bandwidth_and_say_why() {
    let old = Sweep { device: "Old GPU (synthetic)", sweep_columns: false, dtypes: &["f32"], ..GPU.clone() };
    let dir = tempfile::tempdir().unwrap();
    fx::write_old_shard(dir.path(), old.rows(), "1.1");
    // And a current collector that left the columns empty.
    let blank = Sweep { device: "Blank GPU (synthetic)", ..old.clone() };
    fx::write_microbench(dir.path(), blank.rows());
    let a = analysis_of(dir.path());
    let r = point(&a, old.device, "f32", 1 << 28);
    assert!(r.predates_sweep_columns && r.ratio.is_some());
    assert_eq!((r.bound, r.distance, r.copy_gb_s, r.last_level_cache_bytes, r.memory_resident), (None, None, None, None, None));
    assert!(r.unfused.as_ref().unwrap().bandwidth_gb_s.value > 0.0, "achieved bandwidth needs no 1.2 column");
    // Decided all the same: the ratio needs only times.
    assert_eq!(fusion_finding(&a).verdict, Verdict::Supported);

    let out = tempfile::tempdir().unwrap();
    build_ok(dir.path(), out.path());
    let read = |path: &str| std::fs::read_to_string(out.path().join(path)).unwrap();
    let table = read("tables/fusion.csv");
    let old_row = table.lines().find(|l| l.starts_with("Old GPU")).unwrap();
    assert!(old_row.contains(",unknown: rows written before schema 1.2 added write_allocate,—,"), "{old_row}");
    assert!(old_row.contains("— (rows written before schema 1.2 added copy_bandwidth_gb_s)"), "{old_row}");
    assert!(old_row.contains("LLC unknown: rows written before schema 1.2 added last_level_cache_bytes"), "{old_row}");
    let blank_row = table.lines().find(|l| l.starts_with("Blank GPU")).unwrap();
    assert!(blank_row.contains(",unknown: write_allocate not recorded,"), "{blank_row}");
    // Achieved bandwidth without a share of copy.
    let r = point(&a, blank.device, "f32", 1 << 28);
    assert!(blank_row.contains(&format!(",{},", format::sig3(r.unfused.as_ref().unwrap().bandwidth_gb_s.value))), "{blank_row}");
    let html = read("index.html");
    assert!(html.contains("no copy bandwidth to compare with (rows written before schema 1.2 added copy_bandwidth_gb_s)"));
    // The ratio is still drawn, without cache markers; no copy bandwidth line.
    let sweep = svg_texts(&read("figures/fusion_sweep.svg")).into_iter().map(|t| t.0).collect::<Vec<_>>();
    assert!(sweep.iter().any(|t| t == "Old GPU (synthetic) · cuda, f32"), "{sweep:?}");
    assert!(!sweep.iter().any(|t| t.starts_with("LLC")), "{sweep:?}");
    let bandwidth = read("figures/fusion_bandwidth.svg");
    assert!(bandwidth.contains("Old GPU (synthetic) · cuda, f32: unfused") && !bandwidth.contains("STREAM copy"));
}

/// The committed dataset (whatever it holds today: no microbench rows yet, the paper's Fig. 10
/// rows) still builds, and Fig. 10 shows what there is.
#[test]
fn the_committed_dataset_still_builds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dataset");
    let out = tempfile::tempdir().unwrap();
    build_ok(&root, out.path());
    let a = analysis_of(&root);
    let read = |path: &str| std::fs::read_to_string(out.path().join(path)).unwrap();
    let fig10 = svg_texts(&read("figures/fusion.svg")).into_iter().map(|t| t.0).collect::<Vec<_>>().join(" ");
    let table = read("tables/fusion.csv");
    for p in &a.published_fusion {
        assert!(fig10.contains(&p.label()), "{} missing from Fig. 10: {fig10}", p.label());
        let platform = match p.backend {
            Some(b) => format!("{} · {b} (paper", p.device),
            None => format!("{} (paper", p.device),
        };
        assert!(table.lines().any(|l| l.contains(&platform)), "{platform} missing from the table");
    }
    assert!(!a.published_fusion.is_empty(), "the committed dataset has the paper's Fig. 10 rows");
    let sweep = read("figures/fusion_sweep.svg");
    if a.fusion.iter().any(|r| r.ratio.is_some()) {
        assert!(sweep.contains("3/5 = 0.600"), "the sweep figure is drawn");
    } else {
        assert!(sweep.contains("no data: no fusion sweep with both variants in the dataset"));
    }
}
