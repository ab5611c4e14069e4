//! The published values as an appendix a person can read, and the numbers of the measure tables
//! printed for people, on the committed dataset (`dataset/`): one entry per published number with
//! its sentences merged, references from the measure tables that resolve, no bare "ambiguous",
//! zero-width intervals marked and explained, coverage printed as percentages, and an appendix
//! that takes at most a quarter of the PDF's pages.
//!
//! The page count needs poppler's `pdftotext`, which the test command (`scripts/test.sh`)
//! installs.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::OnceLock;

use edgebench_report::analysis::Analysis;
use edgebench_report::document::{ReportDocument, TableDoc};
use edgebench_report::metrics::Metric;

mod common;
use common::cli::{need, report_build, workspace};

/// The committed dataset's analysis and document, built once for every test.
fn committed() -> &'static (Analysis, ReportDocument) {
    static BUILT: OnceLock<(Analysis, ReportDocument)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let data = edgebench_report::load::Dataset::load(&workspace().join("dataset")).expect("load the committed dataset");
        let analysis = edgebench_report::analysis::analyse(&data);
        let doc = edgebench_report::document::build(&analysis);
        (analysis, doc)
    })
}

fn entries(doc: &ReportDocument) -> impl Iterator<Item = &edgebench_report::document::published::PublishedEntry> {
    doc.published_appendix.groups.iter().flat_map(|g| &g.entries)
}

fn table<'a>(doc: &'a ReportDocument, id: &str) -> &'a TableDoc {
    doc.tables.iter().find(|t| t.id == id).unwrap_or_else(|| panic!("no table {id}"))
}

fn column(t: &TableDoc, pred: impl Fn(&str) -> bool) -> usize {
    t.columns.iter().position(|c| pred(c)).unwrap_or_else(|| panic!("{}: no such column in {:?}", t.id, t.columns))
}

/// The `Pn` references in a cell (`707 (P3†); 2086 (P7)` → `[("P3", true), ("P7", false)]`).
fn references(cell: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for (i, _) in cell.match_indices("(P") {
        let rest = &cell[i + 1..];
        let digits = rest[1..].chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            continue;
        }
        let id = rest[..1 + digits].to_owned();
        let after = &rest[1 + digits..];
        out.push((id, after.starts_with('†')));
    }
    out
}

#[test]
fn every_published_row_is_in_the_appendix_exactly_once_and_equal_numbers_are_merged() {
    let (analysis, doc) = committed();
    let rows: Vec<String> = analysis.published.iter().map(|p| p.row.published_id.to_string()).collect();
    assert!(rows.len() >= 80, "the committed dataset quotes dozens of the paper's numbers: {}", rows.len());
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for e in entries(doc) {
        for id in &e.published_ids {
            *seen.entry(id.to_string()).or_default() += 1;
        }
    }
    for id in &rows {
        assert_eq!(seen.get(id), Some(&1), "published row {id} must be in exactly one entry");
    }
    assert_eq!(seen.len(), rows.len(), "the appendix holds only the dataset's rows");

    // One entry per number: rows that give the same value for the same source, device, back-end,
    // mode, model and metric, counted here from the rows themselves.
    let numbers: BTreeSet<String> = analysis
        .published
        .iter()
        .map(|p| {
            let r = &p.row;
            format!(
                "{}|{}|{:?}|{}|{:?}|{:?}|{:?}|{:?}|{}|{:?}|{}|{}",
                r.citation_key, r.section, r.figure, r.device_label, r.backend, r.power_mode, r.model_name, r.model_precision, r.metric, r.op_class, r.value, r.unit
            )
        })
        .collect();
    let count = entries(doc).count();
    assert_eq!(count, numbers.len(), "one entry per distinct number");
    assert!(count < rows.len(), "the committed dataset quotes some numbers in two sentences, which merge");

    // References are P1…Pn in order, each once.
    let ids: Vec<&str> = entries(doc).map(|e| e.id.as_str()).collect();
    let expected: Vec<String> = (1..=count).map(|i| format!("P{i}")).collect();
    assert_eq!(ids, expected.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn merged_entries_list_each_sentence_once_and_state_the_ambiguity_in_words() {
    let (analysis, doc) = committed();
    let by_id: BTreeMap<String, &edgebench_dataset::schema::v1::Published> =
        analysis.published.iter().map(|p| (p.row.published_id.to_string(), &p.row)).collect();
    let mut merged_quotes = 0;
    for e in entries(doc) {
        let rows: Vec<_> = e.published_ids.iter().map(|id| by_id[&id.to_string()]).collect();
        let quotes: BTreeSet<&str> = rows.iter().map(|r| r.quote.0.as_str()).collect();
        let shown: BTreeSet<&str> = e.quotes.iter().map(String::as_str).collect();
        assert_eq!(shown.len(), e.quotes.len(), "{}: a sentence listed twice: {:?}", e.id, e.quotes);
        assert_eq!(shown, quotes, "{}: the entry lists exactly its rows' sentences", e.id);
        if e.quotes.len() > 1 {
            merged_quotes += 1;
        }
        let ambiguities: Vec<&str> = rows.iter().filter_map(|r| r.ambiguity.as_ref().map(|a| a.0.as_str())).collect();
        assert_eq!(e.ambiguous, !ambiguities.is_empty(), "{}", e.id);
        if ambiguities.is_empty() {
            assert_eq!(e.ambiguity, "none stated", "{}", e.id);
        } else {
            for a in ambiguities {
                assert!(e.ambiguity.contains(a), "{}: ambiguity `{a}` missing from `{}`", e.id, e.ambiguity);
            }
        }
    }
    assert!(merged_quotes >= 3, "the committed dataset's merged numbers (707 ms, 1170 ms, 49 ms/token…) list their sentences together");
    let qwen_load = entries(doc)
        .find(|e| e.model.starts_with("Qwen-1.5B") && e.value == "707 ms" && e.metric == "load time")
        .expect("Qwen-1.5B's 707 ms load time on the Orin NX CPU");
    assert_eq!(qwen_load.quotes.len(), 2, "{:?}", qwen_load.quotes);
    assert!(qwen_load.platform.starts_with("Jetson Orin NX · cpu"), "{}", qwen_load.platform);
    assert!(qwen_load.location.contains("IV-A") && qwen_load.location.contains("Fig. 2"), "{}", qwen_load.location);
}

#[test]
fn measure_tables_point_to_the_appendix_instead_of_saying_ambiguous() {
    let (analysis, doc) = committed();
    let entry: BTreeMap<&str, bool> = entries(doc).map(|e| (e.id.as_str(), e.ambiguous)).collect();
    let mut resolved = 0;
    for metric in Metric::ALL {
        let t = table(doc, metric.key());
        let published = column(t, |c| c == "Published");
        let mut cited: BTreeSet<String> = BTreeSet::new();
        for row in &t.rows {
            let cell = &row.cells[published];
            assert!(!cell.contains("ambiguous"), "{}: bare `ambiguous` in `{cell}`", t.id);
            for (id, marked) in references(cell) {
                let ambiguous = entry.get(id.as_str()).unwrap_or_else(|| panic!("{}: `{id}` in `{cell}` is no appendix entry", t.id));
                assert_eq!(marked, *ambiguous, "{}: `{cell}`: † iff entry {id} states an ambiguity", t.id);
                cited.insert(id);
                resolved += 1;
            }
            if row.published {
                assert!(!references(cell).is_empty(), "{}: the published-only row `{cell}` carries its reference", t.id);
            }
        }
        // Every published number of this metric appears in its table, matched or alone.
        for p in analysis.published.iter().filter(|p| p.metric == Some(metric)) {
            let id = &entries(doc).find(|e| e.published_ids.contains(&p.row.published_id)).unwrap().id;
            assert!(cited.contains(id), "{}: published {} ({}) is not referenced", t.id, id, p.row.quote.0);
        }
        if cited.iter().any(|id| entry[id.as_str()]) {
            assert!(t.caption.contains("† marks a number whose reading is ambiguous"), "{}: {}", t.id, t.caption);
        }
        if !cited.is_empty() {
            assert!(t.caption.contains("Pn is the number's entry in the appendix"), "{}: {}", t.id, t.caption);
        }
    }
    assert!(resolved >= 40, "the committed dataset's measure tables cite dozens of published numbers: {resolved}");
}

/// `[x, x]` at the start of a cell (after the ratio for a ratio cell).
fn prints_zero_width(cell: &str) -> bool {
    let Some(open) = cell.find('[') else { return false };
    let Some(close) = cell[open..].find(']') else { return false };
    let inner = &cell[open + 1..open + close];
    matches!(inner.split_once(", "), Some((low, high)) if low == high)
}

#[test]
fn zero_width_intervals_are_marked_and_explained() {
    let (_, doc) = committed();
    let mut marked = 0;
    let ids = Metric::ALL.iter().map(|m| m.key()).chain(["ratios"]);
    for id in ids {
        let t = table(doc, id);
        let interval = column(t, |c| c.starts_with("CI") || c.starts_with("Ratio ["));
        let mut any = false;
        for row in t.rows.iter().filter(|r| !r.published) {
            let cell = &row.cells[interval];
            assert_eq!(prints_zero_width(cell), cell.ends_with('‡'), "{id}: `{cell}`: a zero-width interval, and only one, carries ‡");
            any |= cell.ends_with('‡');
        }
        assert_eq!(t.caption.contains("‡ The interval has zero width"), any, "{id}: the caption explains ‡ exactly when the table has one: {}", t.caption);
        if any {
            marked += 1;
        }
    }
    assert!(marked >= 1, "the committed dataset's H100 peak GPU memory repeats exactly from run to run");
    let gpu = table(doc, "peak_gpu_memory");
    assert!(gpu.caption.contains("15 of 15 runs gave the same value"), "the count comes from the data: {}", gpu.caption);
    // Intervals whose ends differ only past three digits print more digits instead of `[x, x]`.
    let cpu = table(doc, "peak_cpu_memory");
    let ci = column(cpu, |c| c.starts_with("CI"));
    assert!(cpu.rows.iter().any(|r| !r.published && r.cells[ci].split(", ").all(|end| end.trim_matches(['[', ']']).len() >= 5)), "{:?}", cpu.rows);
}

#[test]
fn coverage_levels_print_as_percentages() {
    let (_, doc) = committed();
    for t in Metric::ALL.iter().map(|m| table(doc, m.key())).chain([table(doc, "ratios")]) {
        for c in &t.columns {
            assert!(!c.contains("95% CI"), "{}: header `{c}` claims exactly 95%", t.id);
        }
        assert!(!t.caption.contains("0.96") && !t.caption.contains("0.99"), "{}: a raw level in the caption: {}", t.id, t.caption);
    }
    let tpot = table(doc, "tpot_ms");
    assert!(tpot.columns.iter().any(|c| c == "CI (≥ 95%)"), "{:?}", tpot.columns);
    assert!(tpot.caption.contains("96.5% with n = 15"), "n = 15 runs cover at 96.48%: {}", tpot.caption);
    let ratios = table(doc, "ratios");
    assert!(ratios.columns.iter().any(|c| c == "Ratio [CI (≥ 95%)]"), "{:?}", ratios.columns);
    assert!(ratios.caption.contains("Its exact coverage is"), "{}", ratios.caption);
}

#[test]
fn the_appendix_takes_at_most_a_quarter_of_the_pdf_and_the_page_shows_every_entry() {
    let (_, doc) = committed();
    let out = tempfile::tempdir().unwrap();
    report_build(&workspace().join("dataset"), out.path());

    let text = Command::new(need("pdftotext")).args(["-raw", "-enc", "UTF-8"]).arg(out.path().join("report.pdf")).arg("-").output().unwrap();
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();
    // pdftotext ends every page with a form feed.
    let pages: Vec<&str> = text.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    let intro = squeeze("Every number the dataset quotes from a paper");
    let start = pages.iter().position(|p| squeeze(p).contains(&intro)).expect("the appendix's introduction is in the PDF");
    let last = &entries(doc).last().unwrap().id;
    let end = start + pages[start..].iter().rposition(|p| p.split_whitespace().any(|w| w == last)).expect("the last entry is in the PDF");
    let appendix_pages = end - start + 1;
    assert!(
        appendix_pages * 4 <= pages.len(),
        "the published appendix takes {appendix_pages} of {} pages (pages {}–{}), more than a quarter",
        pages.len(),
        start + 1,
        end + 1
    );
    // Each entry's sentence is in the appendix's pages, whole (compared without whitespace, as
    // lines wrap anywhere).
    let appendix: String = pages[start..=end].iter().map(|p| squeeze(p)).collect();
    for e in entries(doc) {
        let quote = squeeze(&e.quotes[0]).replace(['’', '‘'], "'");
        assert!(appendix.replace(['’', '‘'], "'").contains(&quote), "{}: `{}` missing from the PDF's appendix", e.id, e.quotes[0]);
    }

    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    for e in entries(doc) {
        assert!(html.contains(&format!("id=\"published-{}\"", e.id)), "{} missing from the page", e.id);
    }
    assert!(!html.contains("id=\"table-published\""), "the page shows the appendix, not the wide table");
}

/// The ratios appendix prints each pair of cells once, its metrics one under the other: what
/// both cells share in one column, each side's own part in the next two, and blanks (in the PDF
/// and HTML only) where a row repeats the pair above. The CSV keeps every value on every row.
#[test]
fn the_ratio_table_prints_each_pair_once_and_the_csv_keeps_every_value() {
    let (analysis, doc) = committed();
    let ratios = table(doc, "ratios");
    assert_eq!(ratios.columns[..5], ["Comparison", "Shared by both", "Cell", "Against", "Metric"], "{:?}", ratios.columns);
    assert_eq!((ratios.group_columns, ratios.repeats.len()), (4, ratios.rows.len()));
    assert_eq!(ratios.rows.len(), analysis.ratios.len(), "one row per ratio");
    // Each pair is one contiguous block: its rows repeat all four leading cells of the first.
    let pair = |i: usize| ratios.rows[i].cells[..4].to_vec();
    let mut seen = BTreeSet::new();
    for i in 0..ratios.rows.len() {
        let continues = i > 0 && pair(i) == pair(i - 1);
        assert_eq!(ratios.repeats[i] == 4, continues, "row {i}: {:?}", ratios.rows[i].cells);
        assert!(continues || seen.insert(pair(i)), "the pair {:?} comes back after another", pair(i));
        assert!(!ratios.rows[i].cells[2].is_empty() && !ratios.rows[i].cells[3].is_empty());
    }
    assert!(seen.len() * 3 < ratios.rows.len(), "pairs have several metrics each: {} pairs, {} rows", seen.len(), ratios.rows.len());

    let out = tempfile::tempdir().unwrap();
    report_build(&workspace().join("dataset"), out.path());
    let csv = std::fs::read_to_string(out.path().join("tables/ratios.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let mut n = 0;
    for record in reader.records() {
        let record = record.unwrap();
        assert!(!record[0].is_empty() && !record[2].is_empty() && !record[3].is_empty() && !record[4].is_empty(), "{record:?}");
        n += 1;
    }
    assert_eq!(n, ratios.rows.len());
    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    let blanks = html.matches(r#"<td class="as-above"></td>"#).count();
    assert_eq!(blanks, doc.tables.iter().flat_map(|t| &t.repeats).sum::<usize>(), "each repeated cell is blank in the HTML");
    assert!(blanks > 0);
}
