//! The front page answers "what is this and can I trust it" before any figure: the paper's full
//! citation, the dataset's release, manifest hash and git commit, the software versions in the
//! data, what each protocol means, and the findings in brief; and the first measurement figure
//! follows on page 2 or 3 (issue 16).
//!
//! Needs poppler's `pdftotext` (installed by `scripts/test.sh`).

use std::path::Path;
use std::process::Command;

use edgebench_dataset::schema::Sha256Hex;

mod common;
use common::cli::{need, report_build as build, workspace};

/// The text of each page of `pdf`, in order.
fn pages(pdf: &Path) -> Vec<String> {
    let text = Command::new(need("pdftotext")).args(["-raw", "-enc", "UTF-8"]).arg(pdf).arg("-").output().unwrap();
    assert!(text.status.success());
    // pdftotext ends every page with a form feed.
    let text = String::from_utf8(text.stdout).unwrap();
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

/// Text with line breaks and hyphenation undone, so that a phrase wrapped by the layout is found.
fn flat(text: &str) -> String {
    text.replace("-\n", "").split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cargo_lock_version(package: &str) -> String {
    let lock = std::fs::read_to_string(workspace().join("Cargo.lock")).unwrap();
    let at = lock.find(&format!("name = \"{package}\"\nversion = \"")).unwrap_or_else(|| panic!("{package} not in Cargo.lock"));
    lock[at..].lines().nth(1).unwrap().trim_start_matches("version = \"").trim_end_matches('"').to_owned()
}

#[test]
fn the_front_page_names_the_paper_the_data_and_the_versions() {
    let out = tempfile::tempdir().unwrap();
    let dataset = workspace().join("dataset");
    build(&dataset, out.path());
    let pages = pages(&out.path().join("report.pdf"));
    let first = flat(&pages[0]);

    // The paper, in full, as the published rows cite it.
    let source = std::fs::read_to_string(dataset.join("sources/liu2026edge.published.jsonl")).unwrap();
    let row: serde_json::Value = serde_json::from_str(source.lines().next().unwrap()).unwrap();
    let citation = row["citation"].as_str().unwrap();
    assert!(citation.contains("Kernel-Level Profiling"), "{citation}");
    assert!(first.contains(&flat(citation)), "page 1 lacks the citation {citation:?}:\n{first}");

    // The data: release and date from the manifest, and the manifest's own hash.
    let manifest_bytes = std::fs::read(dataset.join("v1/MANIFEST.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&manifest_bytes).unwrap();
    let release = format!("release {} of {}", manifest["dataset_version"].as_str().unwrap(), manifest["release_date"].as_str().unwrap());
    assert!(first.contains(&release), "page 1 lacks {release:?}:\n{first}");
    assert!(first.contains(&format!("schema {}", manifest["schema_version"].as_str().unwrap())), "{first}");
    let hash = Sha256Hex::of(&manifest_bytes);
    assert!(first.replace(' ', "").contains(hash.as_str()), "page 1 lacks the manifest sha256 {hash:?}:\n{first}");

    // The commit the dataset was read at, when this checkout is a git work tree.
    let head = Command::new("git").arg("-C").arg(&dataset).args(["rev-parse", "HEAD"]).output().ok().filter(|h| h.status.success());
    if let Some(head) = head {
        let head = String::from_utf8(head.stdout).unwrap();
        assert!(first.replace(' ', "").contains(head.trim()), "page 1 lacks the commit {head}:\n{first}");
    }

    // The versions in the data: this workspace's collector and llama-cpp-sys-2 measured them.
    let collector = format!("edgebench collector {}", cargo_lock_version("collector"));
    let llama = format!("llama-cpp-sys-2 {}", cargo_lock_version("llama-cpp-sys-2"));
    assert!(first.contains(&collector) && first.contains(&llama), "page 1 lacks {collector:?} or {llama:?}:\n{first}");

    // The contents count machines (distinct device labels of the completed runs), not platforms,
    // which page-cache states and protocols split further.
    let data = edgebench_report::load::Dataset::load(&dataset).unwrap();
    let devices: std::collections::BTreeSet<&str> =
        data.runs.iter().filter(|r| r.status == edgebench_dataset::schema::v1::RunStatus::Ok).map(|r| r.device_label.as_str()).collect();
    let counted = format!("{} devices,", devices.len());
    assert!(devices.len() > 1 && first.contains(&counted), "page 1 lacks {counted:?}:\n{first}");

    // What the protocols mean.
    for protocol in ["the 50 built-in prompts", "Let's think step by step.", "at most 256 output tokens", "15 runs per cell"] {
        assert!(first.contains(protocol), "page 1 lacks the paper protocol's {protocol:?}:\n{first}");
    }

    // Findings in brief: the decided ones with their numbers, before any figure.
    let front = flat(&pages[..2].join("\n"));
    assert!(front.contains("Findings in brief"), "{front}");
    assert!(front.contains("SUPPORTED") && front.contains("×"), "the decided findings and their ratios are on the front pages:\n{front}");
    assert!(front.contains("Claims the data do not decide yet"), "the undecided findings are condensed into one table:\n{front}");

    // The first measurement figure starts on page 2 or 3.
    let figure = pages.iter().position(|p| p.contains("Figure 1:")).expect("a figure 1");
    assert!((1..=2).contains(&figure), "the first measurement figure is on page {}", figure + 1);
    assert!(pages[figure].contains("Load time"), "figure 1 is the first measurement (load time):\n{}", pages[figure]);
}

#[test]
fn a_dataset_outside_git_says_why_no_commit_is_named() {
    let copy = tempfile::tempdir().unwrap();
    // Only what the report reads: the manifest, its shards and the registry.
    let status = Command::new("cp").arg("-r").arg(workspace().join("dataset/v1")).arg(copy.path()).status().unwrap();
    assert!(status.success());
    let out = tempfile::tempdir().unwrap();
    build(copy.path(), out.path());
    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    let inside_git = Command::new("git").arg("-C").arg(copy.path()).args(["rev-parse", "HEAD"]).output().is_ok_and(|o| o.status.success());
    if !inside_git {
        assert!(html.contains("unknown: the dataset is not in a git work tree"), "the HTML says why no commit is named");
    }
    assert!(html.contains("Manifest sha256"), "the HTML front page carries the provenance too");
    assert!(html.contains("Findings in brief"));
}

/// Intervals never wrap in the HTML tables: every cell that holds one (`[low, high]`) carries the
/// class the stylesheet keeps on one line.
#[test]
fn html_interval_cells_never_wrap() {
    let out = tempfile::tempdir().unwrap();
    build(&workspace().join("dataset"), out.path());
    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(html.contains("td.num { white-space: nowrap; }"), "the stylesheet keeps .num cells on one line");
    let mut intervals = 0;
    for cell in html.split("<td").skip(1) {
        let (attributes, rest) = cell.split_once('>').unwrap();
        let text = rest.split("</td>").next().unwrap();
        // An interval: a bracket, two numbers with a comma between them, a closing bracket.
        let is_interval = text.find('[').zip(text.find(']')).is_some_and(|(open, close)| {
            open < close && text[open + 1..close].split(", ").count() == 2 && text[open + 1..close].chars().any(|c| c.is_ascii_digit())
        });
        if is_interval && text.len() < 48 {
            intervals += 1;
            assert!(attributes.contains("class=\"num\""), "an interval cell without the nowrap class: <td{attributes}>{text}");
        }
    }
    assert!(intervals > 50, "the committed dataset's tables hold dozens of intervals, found {intervals}");
}

/// The last front-page line names the code that drew the report: the commit this workspace was at
/// when the `report` binary was built (this test and the binary share the build, so `git` now sees
/// the same HEAD). Cargo reruns the build script when HEAD, the index or a ref moves but not when a
/// tracked file is edited, so the "uncommitted changes" marker may lag: either form is accepted.
#[test]
fn the_front_page_names_the_commit_the_report_was_built_from() {
    let git = |args: &[&str]| {
        let output = Command::new("git").arg("-C").arg(workspace()).args(args).output().ok()?;
        output.status.success().then(|| String::from_utf8(output.stdout).unwrap().trim().to_owned())
    };
    let head = git(&["rev-parse", "HEAD"]).filter(|_| workspace().join(".git").exists());
    let Some(head) = head else {
        println!("skipped: {} is not a git checkout, so the report names no commit", workspace().display());
        return;
    };
    assert_eq!(head.len(), 40, "git rev-parse HEAD: {head:?}");
    let changed_now = git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());

    let dataset = tempfile::tempdir().unwrap();
    common::write_fixture_dataset(dataset.path());
    let out = tempfile::tempdir().unwrap();
    build(dataset.path(), out.path());

    let version = env!("CARGO_PKG_VERSION");
    let clean = format!("built by edgebench report {version} (commit {head})");
    let changed = format!("built by edgebench report {version} (commit {head}, with uncommitted changes)");
    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    let line = html.lines().find(|l| l.starts_with("<dt>Report</dt>")).expect("the HTML front matter has a Report line");
    assert!(
        line == format!("<dt>Report</dt><dd>{clean}</dd>") || line == format!("<dt>Report</dt><dd>{changed}</dd>"),
        "the HTML names another build than HEAD {head} (tracked files changed now: {changed_now}): {line}"
    );
    // The PDF may break the hash across lines: compare without spaces.
    let first = flat(&pages(&out.path().join("report.pdf"))[0]).replace(' ', "");
    assert!(
        first.contains(&clean.replace(' ', "")) || first.contains(&changed.replace(' ', "")),
        "page 1 names another build than HEAD {head} (tracked files changed now: {changed_now}):\n{first}"
    );
}
