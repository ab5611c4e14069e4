//! The published values of the paper (`dataset/sources/liu2026edge.published.jsonl`): the source
//! parses, every row passes the table's checks, the committed dataset holds exactly these rows,
//! and `dataset import-published` is idempotent and names the line of every problem.
//!
//! The quotes are checked against the paper's text only when `EDGEBENCH_PAPER_TEXT` names a copy
//! of it (the text is not part of the repository):
//!
//! ```sh
//! EDGEBENCH_PAPER_TEXT=/path/to/paper.txt cargo test -p dataset --test published_source -- --ignored
//! ```

mod common;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use edgebench_dataset::published_source::{self, ImportError, SourceLine};
use edgebench_dataset::schema::v1::{OpClass, Published, SCHEMA_VERSION, VERSIONS};
use edgebench_dataset::shard::Limits;
use edgebench_dataset::{Table, read_table, validate};

const CITATION_KEY: &str = "liu2026edge";

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn source_path() -> PathBuf {
    crate_dir().join("sources").join(format!("{CITATION_KEY}.published.jsonl"))
}

fn source() -> Vec<SourceLine> {
    match published_source::read(&source_path()) {
        Ok(lines) => lines,
        Err(e) => panic!("the committed source does not parse:\n{e}"),
    }
}

fn rows() -> Vec<Published> {
    source().into_iter().map(|l| l.row).collect()
}

#[test]
fn the_source_parses_and_every_row_passes_the_table_checks() {
    let rows = rows();
    assert!(rows.len() >= 50, "only {} rows", rows.len());
    let mut ids = HashSet::new();
    for r in &rows {
        let mut issues = Vec::new();
        r.check(&mut issues);
        assert!(issues.is_empty(), "{r:?}: {issues:?}");
        assert_eq!(r.published_id, r.compute_id());
        assert!(ids.insert(r.published_id.clone()), "duplicate id {}", r.published_id);
    }
}

#[test]
fn every_metric_family_of_the_issue_has_rows_in_the_report_units() {
    let rows = rows();
    let has = |metric: &str, unit: &str| rows.iter().any(|r| r.metric == metric && r.unit == unit);
    // The report's metric keys and the units it converts from (report/src/metrics.rs).
    for (metric, unit) in [
        ("load_ms", "ms"),
        ("tpot_ms", "ms/token"),
        ("ttft_ms", "ms"),
        ("peak_cpu_memory", "GB"),
        ("peak_gpu_memory", "GB"),
        ("mean_power_w", "W"),
        ("relevance", "score"),
        ("kernel_class_share", "%"),
        ("issue_cycles_per_instruction", "cycles"),
        ("theoretical_occupancy_pct", "%"),
        ("eligible_warps_per_cycle", "warps/cycle"),
        ("active_warps_per_scheduler", "warps"),
        ("fusion_elapsed_us_unfused", "µs"),
        ("fusion_elapsed_us_fused", "µs"),
    ] {
        assert!(has(metric, unit), "no {metric} row in {unit}");
    }
    assert!(rows.iter().any(|r| r.metric == "kernel_class_share" && r.op_class == Some(OpClass::Gemm)));
    // One unit per metric.
    let mut units: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for r in &rows {
        units.entry(&r.metric).or_default().insert(&r.unit);
    }
    for (metric, u) in units {
        assert_eq!(u.len(), 1, "{metric} has several units: {u:?}");
    }
    // Model-free numbers are exactly the Nsight Compute and fusion figures and the relevance gains.
    for r in rows.iter().filter(|r| r.model_name.is_none()) {
        assert!(r.section == "V" || r.metric.starts_with("relevance_gain"), "{r:?}");
        assert!(r.ambiguity.is_some(), "a number without its model must say why: {r:?}");
    }
}

#[test]
fn rows_are_consistent_and_say_what_the_text_leaves_open() {
    let rows = rows();
    let cff = std::fs::read_to_string(crate_dir().join("../CITATION.cff")).unwrap();
    let title = "Efficient Deployment of Lightweight LLMs on Edge Devices: Kernel-Level Profiling and Cross-Platform Insights";
    assert!(cff.contains(title), "CITATION.cff no longer cites the paper");
    let sections = ["IV-A", "IV-B", "IV-C", "IV-D", "IV-E", "V"];
    let mut last_section = 0;
    for r in &rows {
        assert_eq!(r.citation_key, CITATION_KEY);
        assert_eq!(r.citation, rows[0].citation, "one citation per paper");
        assert!(r.citation.contains(title), "{}", r.citation.0);
        for family in ["Liu", "Zhang", "Shi"] {
            assert!(r.citation.contains(family) && cff.contains(&format!("family-names: {family}")));
        }
        let s = sections.iter().position(|s| *s == r.section).unwrap_or_else(|| panic!("section {}", r.section));
        assert!(s >= last_section, "rows are sorted by section: {} after {}", r.section, sections[last_section]);
        last_section = s;
        assert!(
            ["Jetson Orin NX", "Jetson AGX Orin", "MacBook Pro", "Edge Server", "Dell", "Jetson (unspecified)", "unspecified"]
                .contains(&r.device_label.as_str()),
            "device {}",
            r.device_label
        );
        assert!(matches!(r.power_mode.as_deref(), None | Some("MAXN") | Some("30W")), "{:?}", r.power_mode);
        if r.power_mode.is_some() {
            assert_eq!(r.device_label, "Jetson AGX Orin", "only the AGX Orin has a stated power mode");
        }
        // Whatever the text leaves open about the device, back-end or mode is said in `ambiguity`.
        let jetson = r.device_label.contains("Jetson");
        let open = r.device_label.contains("unspecified")
            || r.device_label == "Dell"
            || r.device_label == "MacBook Pro"
            || (jetson && (r.backend.is_none() || r.power_mode.is_none()));
        if open {
            assert!(r.ambiguity.as_deref().is_some_and(|a| !a.trim().is_empty()), "no ambiguity recorded: {r:?}");
        }
    }
    assert_eq!(sections[last_section], "V");
}

#[test]
fn the_committed_dataset_holds_exactly_the_sources_rows() {
    let mut stored: Vec<Published> =
        read_table::<Published>(&crate_dir()).unwrap().into_iter().filter(|r| r.citation_key == CITATION_KEY).collect();
    // Stored rows keep the schema version they were written under; the source has none (the
    // importer fills the current one). Everything else must be equal.
    for r in &mut stored {
        assert!(VERSIONS.iter().any(|v| v.version == r.schema_version), "{r:?}");
        r.schema_version = SCHEMA_VERSION.into();
    }
    let mut expected = rows();
    stored.sort_by(|a, b| a.published_id.cmp(&b.published_id));
    expected.sort_by(|a, b| a.published_id.cmp(&b.published_id));
    assert!(
        stored == expected,
        "dataset/v1 is out of date with {}: run `cargo run -p dataset -- import-published {}` ({} stored, {} in the source)",
        source_path().display(),
        source_path().display(),
        stored.len(),
        expected.len()
    );
}

fn assert_valid(root: &Path) {
    let report = validate::validate(root, &Limits::default()).unwrap();
    let lines: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert!(lines.is_empty(), "expected a valid dataset, got:\n{}", lines.join("\n"));
}

#[test]
fn importing_twice_adds_nothing_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let n = rows().len();
    let first = published_source::import_file(dir.path(), &source_path()).unwrap();
    assert_eq!((first.imported, first.already_present), (n, 0));
    assert!(!first.shards.is_empty());
    assert_eq!(first.shards.iter().map(|s| s.rows as usize).sum::<usize>(), n);
    assert_valid(dir.path());
    let second = published_source::import_file(dir.path(), &source_path()).unwrap();
    assert_eq!((second.imported, second.already_present, second.shards.len()), (0, n, 0));
    assert_eq!(read_table::<Published>(dir.path()).unwrap().len(), n);
    assert_valid(dir.path());
}

/// Rows stored under an older schema version (the committed ones were 1.0 until compaction
/// raised them): importing the same source over them finds every line already present, not
/// edited, and writes nothing.
#[test]
fn importing_over_rows_of_an_older_version_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("v1")).unwrap();
    edgebench_dataset::manifest::Manifest::default().save(&common::manifest_path(dir.path())).unwrap();
    let mut partitions: std::collections::BTreeMap<(String, String), Vec<Published>> = Default::default();
    for mut row in rows() {
        row.schema_version = "1.0".into();
        partitions.entry(row.partition()).or_default().push(row);
    }
    for part in partitions.into_values() {
        common::place_rows_at(dir.path(), part, "1.0");
    }
    assert_valid(dir.path());
    let old: Vec<String> = read_table::<Published>(dir.path()).unwrap().into_iter().map(|r| r.schema_version).collect();
    assert!(old.iter().all(|v| v == "1.0"), "{old:?}");
    let summary = published_source::import_file(dir.path(), &source_path()).unwrap();
    assert_eq!((summary.imported, summary.already_present, summary.shards.len()), (0, rows().len(), 0));
    assert_valid(dir.path());
}

#[test]
fn a_stored_row_edited_in_the_source_is_reported_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    published_source::import_file(dir.path(), &source_path()).unwrap();
    let text = std::fs::read_to_string(source_path()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    first["ambiguity"] = serde_json::json!("edited");
    lines[0] = first.to_string();
    let edited = dir.path().join("edited.jsonl");
    std::fs::write(&edited, lines.join("\n")).unwrap();
    let err = published_source::import_file(dir.path(), &edited).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, ImportError::Invalid { .. }), "{message}");
    assert!(message.contains("edited.jsonl:1:") && message.contains("different ambiguity"), "{message}");
}

#[test]
fn a_malformed_line_is_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(source_path()).unwrap();
    let first = text.lines().next().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, format!("{first}\n{{\"citation_key\": \"liu2026edge\",\n")).unwrap();
    let err = published_source::import_file(dir.path(), &bad).unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with(&format!("{}:2: not a valid row", bad.display())), "{message}");
    assert!(message.contains("JSON Lines"), "{message}");
    assert!(!dir.path().join("v1").exists(), "a file with a bad line imports nothing (the dataset is not even opened)");
}

#[test]
fn the_command_line_reports_and_exits_as_documented() {
    let bin = env!("CARGO_BIN_EXE_dataset");
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&std::ffi::OsStr]| Command::new(bin).arg("import-published").args(args).output().unwrap();
    let src = source_path();
    let root = dir.path().as_os_str();
    let first = run(&[src.as_os_str(), "--root".as_ref(), root]);
    assert_eq!(first.status.code(), Some(0), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(String::from_utf8_lossy(&first.stdout).contains("wrote published/device=jetson-orin-nx/model=qwen-1-5b/"));
    let again = run(&[src.as_os_str(), "--root".as_ref(), root]);
    assert_eq!(again.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains(&format!("0 new row(s) imported into {}, {} already present", dir.path().display(), rows().len())), "{stderr}");

    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "\n{\"citation_key\": 1}\n").unwrap();
    let invalid = run(&[bad.as_os_str(), "--root".as_ref(), root]);
    assert_eq!(invalid.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&invalid.stdout).contains(&format!("{}:2: not a valid row", bad.display())));

    let missing = run(&[dir.path().join("nope.jsonl").as_os_str(), "--root".as_ref(), root]);
    assert_eq!(missing.status.code(), Some(2));
    let no_root = run(&[src.as_os_str(), "--root".as_ref(), dir.path().join("no/such/dir").as_os_str()]);
    assert_eq!(no_root.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_root.stderr).contains("no such directory"));
}

/// The paper's text as a quote is compared with it: Markdown emphasis and the converter's LaTeX for
/// µs removed, every run of whitespace (line and page breaks included) one space.
fn normalise_paper(text: &str) -> String {
    let text = text.replace("**", "").replace("$\\mu\\text{s}$", "µs");
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.replace(" ,", ",")
}

#[test]
#[ignore = "needs EDGEBENCH_PAPER_TEXT=<the paper's text>"]
fn every_quote_occurs_verbatim_in_the_paper_in_order() {
    let path = std::env::var_os("EDGEBENCH_PAPER_TEXT").expect("set EDGEBENCH_PAPER_TEXT to the paper's text file");
    let paper = normalise_paper(&std::fs::read_to_string(&path).unwrap());
    let mut last = 0;
    for line in source() {
        let quote = line.row.quote.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(quote, line.row.quote.0, "line {}: the quote's whitespace is not normalised", line.line);
        let at = paper.find(&quote).unwrap_or_else(|| panic!("line {}: quote not in the paper: {quote}", line.line));
        assert_eq!(paper.matches(quote.as_str()).count(), 1, "line {}: the quote occurs more than once in the paper", line.line);
        assert!(at >= last, "line {}: rows are not in the order of the paper", line.line);
        last = at;
    }
}
