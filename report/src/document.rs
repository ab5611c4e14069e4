//! The report as data: every table cell already formatted, every figure already drawn, every
//! finding already worded. The exporters ([`crate::export`]) only lay this out, so the PDF, the
//! HTML and the CSV files cannot disagree, and templates hold presentation only.

use serde::Serialize;

use crate::analysis::{Analysis, CellKey, Outputs, SYNTHETIC_NOTE, WeightsOrigin};
use crate::findings::{self, Finding, Verdict};
use crate::format;
use crate::metrics::Metric;
use crate::stats::{LEVEL, min_runs_for_interval};

mod context;
mod energy;
mod front;
mod fusion;
mod inventory;
mod kernels;
mod measure_figure;
mod measure_table;
pub mod published;


/// Everything the templates see.
#[derive(Debug, Clone, Serialize)]
pub struct ReportDocument {
    pub title: String,
    /// What this is and whether to trust it: citation, provenance, protocols, findings in brief.
    pub front: front::FrontPage,
    /// Date of the newest measurement in the dataset (`YYYY-MM-DD`), or `None` for an empty dataset.
    pub data_date: Option<String>,
    pub overview: Vec<KeyValue>,
    pub methods: Methods,
    pub figures: Vec<FigureDoc>,
    pub tables: Vec<TableDoc>,
    /// Tables, by id, that the appendices print after the ratios (long reference tables that no
    /// figure shows beside itself).
    pub appendix_tables: Vec<String>,
    pub findings: Vec<Finding>,
    pub verdict_counts: Vec<KeyValue>,
    /// The appendix of published values: one entry per number, referenced as `Pn` by the tables.
    pub published_appendix: published::PublishedAppendix,
    /// Numeric per-cell medians for `tables/medians.csv` (not shown in the page).
    #[serde(skip)]
    pub medians_csv: Vec<MedianRecord>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Methods {
    pub level_percent: String,
    pub min_runs: usize,
    pub metrics: Vec<MetricDoc>,
    /// Paragraphs after the metrics: replication, stop reasons, energy.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricDoc {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub definition: &'static str,
    /// What the metric's n counts and its interval is over ([`Metric::replication`]).
    pub replicate: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct FigureDoc {
    /// Stable identifier; also the file stem of `figures/<id>.svg`.
    pub id: String,
    pub title: String,
    pub caption: String,
    /// `figures/<id>.svg`, relative to the output directory (and the path Typst reads).
    pub file: String,
    /// The SVG document, inlined in the HTML.
    pub svg: String,
    /// No data: the figure is a placeholder that says so.
    pub empty: bool,
    /// The tables that give the figure's numbers (and what goes with them), by id, in order.
    pub tables: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableDoc {
    /// Stable identifier; also the file stem of `tables/<id>.csv`.
    pub id: String,
    pub title: String,
    pub caption: String,
    pub columns: Vec<String>,
    pub rows: Vec<RowDoc>,
    /// Shown instead of the rows when there are none.
    pub empty_message: String,
    /// How many leading columns group the rows: in the PDF and HTML, a value equal to the one in
    /// the row above is left blank, so that a run of rows about one thing reads as one block
    /// (and takes the height of its longest row once, not on every row). The CSV keeps every
    /// value, one self-contained row per line.
    pub group_columns: usize,
    /// Per row, how many of its leading `group_columns` cells repeat the row above (each of
    /// them and every one before it equal): what the PDF and HTML leave blank. Filled by
    /// [`TableDoc::mark_repeats`] once the rows are final.
    pub repeats: Vec<usize>,
}

impl TableDoc {
    /// Fills [`TableDoc::repeats`] from the rows. A cell counts as repeated only when all cells
    /// before it repeat too, so that a blank always means "as above" for the whole row prefix.
    pub fn mark_repeats(&mut self) {
        self.repeats = (0..self.rows.len())
            .map(|i| match i.checked_sub(1).map(|p| &self.rows[p]) {
                None => 0,
                Some(above) => {
                    let row = &self.rows[i];
                    (0..self.group_columns.min(row.cells.len())).take_while(|&c| above.cells.get(c) == row.cells.get(c)).count()
                }
            })
            .collect();
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RowDoc {
    pub cells: Vec<String>,
    /// The row quotes a paper rather than a measurement.
    pub published: bool,
}

/// One per-cell median with its interval, in dataset units.
#[derive(Debug, Clone, Serialize)]
pub struct MedianRecord {
    pub device: String,
    pub backend: String,
    pub power_mode: Option<String>,
    pub protocol: Option<String>,
    pub model: String,
    pub quantization: Option<String>,
    /// `trained` or `synthetic`: a synthetic cell's numbers are its architecture's.
    pub weights_origin: &'static str,
    /// `cold`, `partial` or `warm`: the model file's page-cache state at the runs' start (empty
    /// for rows before schema 1.4).
    pub page_cache: Option<&'static str>,
    pub metric: &'static str,
    pub unit: &'static str,
    /// What `n` counts: `runs`, or `prompts` (relevance in a cell whose outputs repeat).
    pub replicate: &'static str,
    pub n: usize,
    pub median: f64,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub ci_level: Option<f64>,
    pub runs_ok: usize,
    pub runs_failed: usize,
    /// Whether the cell's runs gave each prompt the same output; empty when not comparable.
    pub outputs_repeat: Option<bool>,
    /// Shares of the cell's completed generations that stopped at the token limit and on an
    /// end-of-generation token; empty without stop reasons.
    pub max_tokens_share: Option<f64>,
    pub eos_share: Option<f64>,
}

const MISSING: &str = "—";

/// The explanation of the synthetic mark, for a caption whose figure or table shows a cell with
/// synthetic weights (`shown`); nothing otherwise, so that a dataset without any reads as before.
fn synthetic_note(shown: bool) -> String {
    if shown { format!(" {SYNTHETIC_NOTE}") } else { String::new() }
}

/// What the caption of a measure's figure and table says about synthetic weights: for a quality
/// measure, that their cells are left out (when the dataset has any); for the others, what the
/// mark means (when one is shown).
fn synthetic_caption(analysis: &Analysis, metric: Metric) -> String {
    if metric.is_quality() {
        if analysis.has_synthetic() {
            format!(" Models with synthetic weights are left out: their outputs are not the model's, so they have no {}.", metric.label())
        } else {
            String::new()
        }
    } else {
        let shown = analysis.cells.iter().any(|c| c.key.weights == WeightsOrigin::Synthetic && c.estimates.contains_key(&metric));
        synthetic_note(shown)
    }
}

/// Builds the document from the analysis.
pub fn build(analysis: &Analysis) -> ReportDocument {
    let findings = findings::evaluate(analysis);
    let mut figures = Vec::new();
    let mut tables = vec![inventory::coverage_table(analysis), inventory::models_table(analysis), inventory::devices_table(analysis)];
    for metric in figure_order() {
        let table = measure_table::metric_table(analysis, metric);
        figures.push(measure_figure::metric_figure(analysis, metric, &table.id));
        tables.push(table);
    }
    let (energy_figure, energy_table) = energy::energy_section(analysis);
    figures.push(energy_figure);
    tables.push(energy_table);
    let (kernel_figure, kernel_tables) = kernels::kernel_section(analysis);
    figures.push(kernel_figure);
    tables.extend(kernel_tables);
    let (fusion_figures, fusion_tables) = fusion::fusion_section(analysis);
    figures.extend(fusion_figures);
    tables.extend(fusion_tables);
    tables.push(measure_table::ratio_table(analysis));
    tables.push(published::published_table(analysis));
    tables.iter_mut().for_each(TableDoc::mark_repeats);

    let verdict_counts = [Verdict::Supported, Verdict::Contradicted, Verdict::InsufficientData]
        .into_iter()
        .map(|v| KeyValue { key: v.label().to_owned(), value: findings.iter().filter(|f| f.verdict == v).count().to_string() })
        .collect();
    ReportDocument {
        title: "Small LLMs on edge devices: the edgebench report".to_owned(),
        front: front::front_page(analysis, &findings),
        data_date: analysis.latest_timestamp_us.map(format::date),
        overview: overview(analysis),
        methods: Methods {
            level_percent: format::level(LEVEL),
            min_runs: min_runs_for_interval(LEVEL),
            metrics: Metric::ALL
                .iter()
                .map(|m| MetricDoc {
                    key: m.key(),
                    label: m.label(),
                    unit: m.unit(),
                    definition: m.definition(),
                    replicate: m.replication().describe(),
                })
                .collect(),
            notes: methods_notes(analysis),
        },
        figures,
        tables,
        appendix_tables: fusion::APPENDIX_TABLES.iter().map(|id| (*id).to_owned()).collect(),
        findings,
        verdict_counts,
        published_appendix: published::appendix(analysis),
        medians_csv: median_records(analysis),
    }
}

fn methods_notes(analysis: &Analysis) -> Vec<String> {
    let mut notes = context::replication_notes(analysis);
    notes.push(format!("{} {}", energy::PER_OUTPUT_TOKEN_NOTE, energy::PER_PROMPT_TOKEN_ABSENT));
    notes
}

/// The paper's figure order first (Figs. 2–8), then the measures it did not plot.
fn figure_order() -> Vec<Metric> {
    let mut paper: Vec<Metric> = Metric::ALL.iter().copied().filter(|m| m.paper_figure().is_some()).collect();
    paper.sort_by_key(|m| m.paper_figure());
    paper.extend(Metric::ALL.iter().copied().filter(|m| m.paper_figure().is_none()));
    paper
}

fn overview(analysis: &Analysis) -> Vec<KeyValue> {
    let kv = |k: &str, v: String| KeyValue { key: k.to_owned(), value: v };
    let runs_ok: usize = analysis.cells.iter().map(|c| c.runs_ok).sum();
    let runs_failed: usize = analysis.cells.iter().map(|c| c.runs_failed).sum();
    let synthetic = analysis.cells.iter().filter(|c| c.key.weights == WeightsOrigin::Synthetic).count();
    let mut rows = vec![
        kv("Cells (device × back-end × mode × protocol × model)", analysis.cells.len().to_string()),
        kv("Cells with synthetic weights (architecture only: performance, never relevance)", synthetic.to_string()),
        kv("Platforms", analysis.platforms().len().to_string()),
        kv("Models", analysis.model_keys().len().to_string()),
        kv("Runs completed", runs_ok.to_string()),
        kv("Runs failed", runs_failed.to_string()),
    ];
    for (table, n) in &analysis.row_counts {
        rows.push(kv(&format!("Rows in the {table} table"), n.to_string()));
    }
    rows
}

fn cell_columns(key: &CellKey) -> [String; 5] {
    [
        key.device.clone(),
        key.backend.to_string(),
        key.power_mode.clone().unwrap_or_else(|| MISSING.to_owned()),
        key.protocol.map(|p| p.to_string()).unwrap_or_else(|| MISSING.to_owned()),
        key.model_key().label(),
    ]
}

fn median_records(analysis: &Analysis) -> Vec<MedianRecord> {
    let mut out = Vec::new();
    for cell in &analysis.cells {
        for (metric, e) in &cell.estimates {
            out.push(MedianRecord {
                device: cell.key.device.clone(),
                backend: cell.key.backend.to_string(),
                power_mode: cell.key.power_mode.clone(),
                protocol: cell.key.protocol.map(|p| p.to_string()),
                model: cell.key.model.clone(),
                quantization: cell.key.quantization.clone(),
                weights_origin: cell.key.weights.as_str(),
                page_cache: cell.key.page_cache.map(|c| c.as_str()),
                metric: metric.key(),
                unit: dataset_unit(*metric),
                replicate: cell.replicates[metric].as_str(),
                n: e.n,
                median: e.median,
                ci_low: e.interval.map(|i| i.low),
                ci_high: e.interval.map(|i| i.high),
                ci_level: e.interval.map(|i| i.level),
                runs_ok: cell.runs_ok,
                runs_failed: cell.runs_failed,
                outputs_repeat: (!matches!(cell.outputs, Outputs::Unknown { .. })).then(|| cell.outputs.repeat()),
                max_tokens_share: cell.stops.share(cell.stops.max_tokens),
                eos_share: cell.stops.share(cell.stops.eos),
            });
        }
    }
    out
}

/// Unit of a metric's values in the dataset (before display scaling).
fn dataset_unit(metric: Metric) -> &'static str {
    match metric {
        Metric::PeakCpuMemory | Metric::PeakGpuMemory => "bytes",
        m => m.unit(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[[&str; 3]], group_columns: usize) -> TableDoc {
        let mut t = TableDoc {
            id: "t".to_owned(),
            title: String::new(),
            caption: String::new(),
            columns: vec!["a".to_owned(), "b".to_owned(), "c".to_owned()],
            rows: rows.iter().map(|r| RowDoc { cells: r.iter().map(|c| (*c).to_owned()).collect(), published: false }).collect(),
            empty_message: String::new(),
            group_columns,
            repeats: Vec::new(),
        };
        t.mark_repeats();
        t
    }

    #[test]
    fn a_cell_repeats_only_when_every_cell_before_it_does() {
        let rows = [
            ["size", "VM", "load"],
            ["size", "VM", "TPOT"],
            ["size", "H100", "load"],
            // "VM" equals the row two above, not the row above: shown.
            ["size", "VM", "load"],
            // Same second cell as above under another first cell: shown, or the blank would
            // claim the wrong comparison.
            ["precision", "VM", "load"],
        ];
        assert_eq!(table(&rows, 2).repeats, [0, 2, 1, 1, 0]);
        // The third column is not a grouping column: never blank, even when equal.
        assert_eq!(table(&[["x", "y", "z"], ["x", "y", "z"]], 2).repeats, [0, 2]);
        assert_eq!(table(&rows, 0).repeats, [0, 0, 0, 0, 0]);
        assert!(table(&[], 2).repeats.is_empty());
    }
}
