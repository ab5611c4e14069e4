//! The measure figures laid out like the paper's Figs. 2–8, checked on built reports: the paper's
//! published values are drawn as markers (one per distinct number, hollow where the paper leaves
//! it ambiguous), and no figure cuts a device or model name, neither on the committed dataset nor
//! on one whose names are long.

use std::collections::BTreeSet;
use std::path::Path;

use edgebench_dataset::fixtures;
use edgebench_dataset::ids::slug;
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::{Store, Table};
use edgebench_report::load::Dataset;
use edgebench_report::metrics::Metric;

mod common;
use common::cli::{report_build as build, workspace};
use common::svg::{texts, unescape};

/// The figure's text read in order without whitespace: a name wrapped onto several lines (which
/// are consecutive text elements) reads whole in it.
fn joined(svg: &str) -> String {
    texts(svg).concat().split_whitespace().collect()
}

fn squeezed(name: &str) -> String {
    name.split_whitespace().collect()
}

/// The `<title>` of every published-value marker, unescaped, and whether it is hollow.
fn markers(svg: &str) -> Vec<(String, bool)> {
    svg.match_indices("<path class=\"published-value")
        .map(|(i, _)| {
            let element = &svg[i..i + svg[i..].find("</path>").unwrap()];
            let title = &element[element.find("<title>").unwrap() + "<title>".len()..];
            (unescape(&title[..title.find("</title>").unwrap()]), element.starts_with("<path class=\"published-value ambiguous\""))
        })
        .collect()
}

fn read(out: &Path, path: &str) -> String {
    std::fs::read_to_string(out.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Fields of one CSV line (quoted fields may hold commas; no field of these tables holds a quote).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

/// Every `…` in a figure's text is a cut name; titles (tooltips) are the data's own text.
fn assert_nothing_cut(figure: &str, svg: &str) {
    let cut: Vec<String> = texts(svg).into_iter().filter(|t| t.contains('…')).collect();
    assert!(cut.is_empty(), "{figure}: text cut to {cut:?}");
}

/// A drawn value: device, back-end, model, precision, power mode and the value's bits.
type DrawnValue = (String, Option<String>, String, String, Option<String>, u64);

/// In each of the paper's Figs. 2–8, one marker per distinct published number of that measure
/// (model, precision, device, back-end, mode, value), hollow exactly when a row quoting it has an
/// ambiguity; numbers that are not a value of the measure (percentages, ratios) are not drawn.
#[test]
fn the_committed_figures_draw_every_published_value_of_their_measure() {
    let out = tempfile::tempdir().unwrap();
    build(&workspace().join("dataset"), out.path());
    let data = Dataset::load(&workspace().join("dataset")).unwrap();
    for metric in Metric::ALL.into_iter().filter(|m| m.paper_figure().is_some()) {
        let mut expected: BTreeSet<DrawnValue> = BTreeSet::new();
        let mut ambiguous: BTreeSet<DrawnValue> = BTreeSet::new();
        for row in data.published.iter().filter(|r| r.metric == metric.key() && r.model_name.is_some()) {
            let Some(value) = metric.from_published_unit(row.value, &row.unit) else { continue };
            let key = (
                slug(row.model_name.as_deref().unwrap()),
                row.model_precision.clone(),
                slug(&row.device_label),
                row.backend.map(|b| b.to_string()).unwrap_or_default(),
                row.power_mode.clone(),
                value.to_bits(),
            );
            if row.ambiguity.is_some() {
                ambiguous.insert(key.clone());
            }
            expected.insert(key);
        }
        let figure = format!("figures/{}.svg", metric.key());
        let svg = read(out.path(), &figure);
        let drawn = markers(&svg);
        assert!(!expected.is_empty(), "the committed dataset has published values for Fig. {:?}", metric.paper_figure());
        assert_eq!(drawn.len(), expected.len(), "{figure}: {drawn:?}");
        assert_eq!(drawn.iter().filter(|(_, hollow)| *hollow).count(), ambiguous.len(), "{figure}: hollow markers");
        // Each marker names the paper's place it comes from and the platform it is drawn for.
        for (title, _) in &drawn {
            assert!(title.starts_with("paper: ") && title.contains("liu2026edge §IV-"), "{figure}: {title}");
        }
        for row in data.published.iter().filter(|r| r.metric == metric.key() && r.model_name.is_some()) {
            assert!(drawn.iter().any(|(t, _)| t.contains(&row.device_label)), "{figure}: no marker for {}", row.device_label);
            // A platform only the paper has is a series of its own, named in the legend.
            assert!(joined(&svg).contains(&squeezed(&format!("paper: {}", row.device_label))), "{figure}: legend lacks {}", row.device_label);
        }
        let html = read(out.path(), "index.html");
        let caption = format!("Diamonds are the paper’s (liu2026edge) {} published values", expected.len());
        assert!(html.contains(&caption.replace('’', "&#x27;")) || html.contains(&caption.replace('’', "'")), "{figure}: the caption says how many are drawn");
    }
    // A number that is not a value of the measure (Fig. 2's "increased by over 195%") is not drawn.
    let load = markers(&read(out.path(), "figures/load_ms.svg"));
    assert!(load.iter().all(|(title, _)| title.contains(" ms (") && !title.contains('%')), "{load:?}");
}

/// Every figure of the committed report: no text cut, and in each measure figure every device
/// and model of its table, measured or published, whole.
#[test]
fn no_committed_figure_cuts_a_device_or_model_name() {
    let out = tempfile::tempdir().unwrap();
    build(&workspace().join("dataset"), out.path());
    check_every_figure(out.path());
}

fn check_every_figure(out: &Path) {
    let mut figures = 0;
    for entry in std::fs::read_dir(out.join("figures")).unwrap() {
        let path = entry.unwrap().path();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert_nothing_cut(&path.display().to_string(), &svg);
        figures += 1;
    }
    assert!(figures >= 10, "{figures} figures");
    for metric in Metric::ALL {
        let svg = read(out, &format!("figures/{}.svg", metric.key()));
        let table = read(out, &format!("tables/{}.csv", metric.key()));
        let mut lines = table.lines();
        let header = csv_fields(lines.next().unwrap());
        let column = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} in {header:?}"));
        let (device, model, source) = (column("Device"), column("Model"), column("source"));
        for line in lines {
            let fields = csv_fields(line);
            // The table marks synthetic weights in the model's name; the figure, by hatching. A
            // published row names the model as the paper does (the figure: as the registry does).
            let model = fields[model].trim_end_matches(" · synthetic");
            let names = if fields[source] == "published" { vec![fields[device].as_str()] } else { vec![fields[device].as_str(), model] };
            for name in names {
                assert!(joined(&svg).contains(&squeezed(name)), "{}: {name:?} not whole in {:?}", metric.key(), texts(&svg));
            }
        }
    }
}

const LONG_DEVICE: &str = "Cloud VM, NVIDIA H100 80GB HBM3, 16 vCPU, Ubuntu 24.04.1 LTS, driver 560.35.03";
const LONG_BOARD: &str = "Raspberry Pi 5 Model B Rev 1.0 with an active cooler and an NVMe HAT";
const LONG_MODEL: &str = "Qwen2.5-Coder-1.5B-Instruct-abliterated-merged-final-v2";
const SHORT_MODEL: &str = "SmolLM2-135M-Instruct";
const PAPER_DEVICE: &str = "Jetson AGX Orin 64GB Developer Kit (JetPack 6.2, MAXN_SUPER)";

/// Two devices and two models with long names, and two published load times of the long model:
/// one on a measured platform in its weight type (drawn beside our bar), one on a platform only
/// the paper has, ambiguous.
fn write_long_names(root: &Path) {
    let mut runs = Vec::new();
    let mut generations = Vec::new();
    for (device, backend) in [(LONG_DEVICE, Backend::Cuda), (LONG_BOARD, Backend::Cpu)] {
        for model in [LONG_MODEL, SHORT_MODEL] {
            for rep in 0..6 {
                let mut run = fixtures::run(device, backend, None, model, rep);
                run.load_ms = Some(if model == LONG_MODEL { 900.0 } else { 300.0 } + f64::from(rep));
                run.run_id = run.compute_id();
                for i in 0..run.n_prompts {
                    let mut g = fixtures::generation(&run, i);
                    g.generation_id = g.compute_id();
                    generations.push(g);
                }
                runs.push(run);
            }
        }
    }
    let published = |device: &str, value: f64, ambiguity: Option<&str>| {
        let quote = format!("The long model loads in {value} ms.");
        let mut p = fixtures::published(device, Some(LONG_MODEL), "load_ms", value, "ms", &quote);
        p.model_precision = Some("Q4_1".into());
        p.ambiguity = ambiguity.map(Into::into);
        p.published_id = p.compute_id();
        p
    };
    let rows = vec![published(LONG_BOARD, 850.0, None), published(PAPER_DEVICE, 2500.0, Some("The power mode is not stated."))];
    let (mut store, _) = Store::open(root).unwrap();
    let mut batch = edgebench_dataset::store::WriteBatch::default();
    store.stage(&mut batch, runs).unwrap();
    store.stage(&mut batch, generations).unwrap();
    store.stage(&mut batch, rows).unwrap();
    store.commit(batch).unwrap();
}

#[test]
fn long_names_are_wrapped_whole_and_published_values_stand_beside_their_bars() {
    let dir = tempfile::tempdir().unwrap();
    write_long_names(dir.path());
    let out = tempfile::tempdir().unwrap();
    build(dir.path(), out.path());
    check_every_figure(out.path());

    let svg = read(out.path(), "figures/load_ms.svg");
    for name in [LONG_DEVICE, LONG_BOARD, LONG_MODEL, SHORT_MODEL, PAPER_DEVICE] {
        assert!(joined(&svg).contains(&squeezed(name)), "{name} not whole in {:?}", texts(&svg));
    }
    let drawn = markers(&svg);
    assert_eq!(drawn.len(), 2, "{drawn:?}");
    // The measured platform's value joins its series (no "paper:" series for it); the other
    // platform is a series of the paper's, and its value is hollow.
    let on_board = drawn.iter().find(|(t, _)| t.contains(LONG_BOARD)).unwrap();
    assert!(!on_board.1 && !joined(&svg).contains(&squeezed(&format!("paper: {LONG_BOARD}"))), "{drawn:?}");
    let on_paper = drawn.iter().find(|(t, _)| t.contains(PAPER_DEVICE)).unwrap();
    assert!(on_paper.1 && joined(&svg).contains(&squeezed(&format!("paper: {PAPER_DEVICE}"))), "{drawn:?}");
    // The key says what the diamonds are; the caption how many are drawn.
    for entry in ["the paper's published value", "the paper's value, ambiguous"] {
        assert!(joined(&svg).contains(&squeezed(entry)), "{entry} missing from the legend");
    }
    let html = read(out.path(), "index.html");
    assert!(html.contains("2 published values"), "the caption counts the markers");
}
