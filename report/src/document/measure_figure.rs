//! The bar chart of one measure, laid out like the paper's Figs. 2–8: models along the x axis
//! (the paper's models first, in its order), a bar per platform (device · back-end · mode), and
//! the paper's published values of the measure as diamonds in the slot of the platform they were
//! measured on, beside our bar where we measured the same model there.
//!
//! - **Groups are a model and its weight type**, whatever the weights' origin: a cell with
//!   synthetic weights (the architecture with generated values) stands in the same group as the
//!   trained model it imitates, its bar hatched, so that the paper's value for that model is drawn
//!   beside it. A published value joins the group of the model the paper names (through the model
//!   registry's aliases: `Qwen-1.5B` is `Qwen2.5-1.5B-Instruct`) and weight type (`Q8` is
//!   `Q8_0`'s family); a model or weight type we did not measure gets a group of its own.
//! - **Series are platforms**, one per weights origin measured on it. A published value goes to
//!   the series of our trained cells on the same device, back-end and mode
//!   ([`crate::analysis::published_target_matches`]'s rules); a platform only the paper has
//!   becomes a series of its own ("paper: Jetson Orin NX · cuda") that has diamonds and no bars.
//! - **One diamond per number**: a number quoted in two sentences is drawn once, its tooltip
//!   naming both. A hollow diamond is a number the paper leaves ambiguous (the row's
//!   `ambiguity`); numbers that are not a direct value of the measure (a percentage change, a
//!   ratio) are not drawn.

use std::collections::{BTreeMap, BTreeSet};

use edgebench_dataset::ids::slug;
use edgebench_dataset::schema::v1::Backend;

use super::{FigureDoc, synthetic_caption};
use crate::analysis::{Analysis, Platform, PublishedValue, SYNTHETIC_MARK, WeightsOrigin};
use crate::figures::{self, BarChart, BarKey, BarMarker, BarSeries, BarValue, Scale};
use crate::format;
use crate::metrics::Metric;
use crate::stats::{LEVEL, min_runs_for_interval};

/// The models of each cited paper in the order the paper lists them (liu2026edge: its Table II),
/// by the names the paper gives them. The x axis starts with them.
const PAPER_MODEL_ORDER: &[(&str, &[&str])] =
    &[("liu2026edge", &["Qwen-0.5B", "Qwen-1.5B", "Qwen-3B", "Llama-1B", "QwQ-1.5B", "DeepSeek-1.5B", "Gemma-2B"])];

/// A group of the x axis: a model's name (the registry's, when it has one) and weight type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct GroupKey {
    name: String,
    quantization: Option<String>,
    /// The rows' model name, only where two models of one name and weight type would otherwise
    /// share a slot (names the registry does not join).
    rows_name: Option<String>,
}

impl GroupKey {
    fn label(&self) -> String {
        let mut label = self.name.clone();
        if let Some(q) = &self.quantization {
            label.push_str(&format!(" ({q})"));
        }
        if let Some(rows) = &self.rows_name {
            label.push_str(&format!(" [{rows}]"));
        }
        label
    }
}

/// A series: a measured platform (with the weights origin of its cells), or a platform only a
/// paper names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum SeriesKey {
    Measured(Platform, WeightsOrigin),
    Paper { device: String, backend: Option<Backend>, power_mode: Option<String> },
}

impl SeriesKey {
    fn name(&self) -> String {
        match self {
            SeriesKey::Measured(platform, WeightsOrigin::Trained) => platform.label(),
            SeriesKey::Measured(platform, WeightsOrigin::Synthetic) => format!("{}{SYNTHETIC_MARK}", platform.label()),
            SeriesKey::Paper { device, backend, power_mode } => {
                let mut name = format!("paper: {device}");
                for part in backend.map(|b| b.to_string()).iter().chain(power_mode) {
                    name.push_str(&format!(" · {part}"));
                }
                name
            }
        }
    }
}

/// One diamond: a published number, and every row that quotes it.
struct Drawn<'a> {
    group: GroupKey,
    series: SeriesKey,
    value: f64,
    rows: Vec<&'a PublishedValue>,
}

/// Whether a weight type as a paper states it (`Q8`, `BF16`) names `quantization` (`Q8_0`, `BF16`).
fn precision_matches(precision: &str, quantization: &str) -> bool {
    let (p, q) = (precision.to_ascii_uppercase(), quantization.to_ascii_uppercase());
    q == p || q.strip_prefix(&p).is_some_and(|rest| rest.starts_with('_'))
}

/// The measured series a published row's platform is: same device (as a slug), and the same
/// back-end and power mode where the row states them; trained weights only.
fn measured_series_of(pv: &PublishedValue, series: &[SeriesKey]) -> Option<SeriesKey> {
    let row = &pv.row;
    series
        .iter()
        .find(|s| match s {
            SeriesKey::Measured(p, WeightsOrigin::Trained) => {
                slug(&row.device_label) == slug(&p.device)
                    && row.backend.is_none_or(|b| b == p.backend)
                    && match (&row.power_mode, &p.power_mode) {
                        (Some(a), Some(b)) => slug(a) == slug(b),
                        (None, _) => true,
                        (Some(_), None) => false,
                    }
            }
            _ => false,
        })
        .cloned()
}

/// The group a published row's model joins: a measured group of that model whose weight type the
/// row's precision names (the only group of the model when the row states none), else its own.
fn group_of(pv: &PublishedValue, groups: &BTreeSet<GroupKey>, rows_names: &BTreeMap<GroupKey, BTreeSet<String>>) -> Option<GroupKey> {
    let paper_name = pv.row.model_name.as_deref()?;
    let name = pv.model_canonical.as_deref().unwrap_or(paper_name);
    let of_model: Vec<&GroupKey> = groups
        .iter()
        .filter(|g| {
            slug(&g.name) == slug(name) || rows_names.get(*g).is_some_and(|names| names.iter().any(|n| slug(n) == slug(paper_name)))
        })
        .collect();
    let precision = pv.row.model_precision.as_deref();
    let found = match precision {
        Some(p) => of_model.iter().find(|g| g.quantization.as_deref().is_some_and(|q| precision_matches(p, q))),
        None if of_model.len() == 1 => of_model.first(),
        None => None,
    };
    Some(found.map(|g| (*g).clone()).unwrap_or_else(|| GroupKey {
        name: name.to_owned(),
        quantization: precision.map(str::to_owned),
        rows_name: None,
    }))
}

/// Where each group stands on the x axis: the paper's models in its order, then the measured
/// models in the analysis' order (smallest first), then the paper's other models by name.
fn group_rank(group: &GroupKey, analysis: &Analysis, measured_order: &[String]) -> (usize, usize, usize) {
    let paper_name = analysis
        .published
        .iter()
        .find(|pv| pv.model_canonical.as_deref() == Some(group.name.as_str()) || pv.row.model_name.as_deref() == Some(group.name.as_str()))
        .and_then(|pv| Some((pv.row.citation_key.as_str(), pv.row.model_name.as_deref()?)));
    if let Some((key, name)) = paper_name {
        for (k, (citation, models)) in PAPER_MODEL_ORDER.iter().enumerate() {
            if let Some(i) = models.iter().position(|m| *citation == key && *m == name) {
                return (0, k, i);
            }
        }
    }
    match measured_order.iter().position(|m| *m == group.name) {
        Some(i) => (1, i, 0),
        None => (2, 0, 0),
    }
}

/// The measured cells of one measure, by group and series: a group is a model and its weight
/// type, split by the rows' name only where two cells would otherwise share a slot.
struct Measured {
    values: BTreeMap<(GroupKey, SeriesKey), BarValue>,
    /// The rows' model names in each group.
    rows_names: BTreeMap<GroupKey, BTreeSet<String>>,
}

impl Measured {
    fn of(analysis: &Analysis, metric: Metric) -> Measured {
        let factor = metric.display_factor();
        let cells: Vec<_> = analysis.cells.iter().filter(|c| c.estimates.contains_key(&metric)).collect();
        let base = |model: &crate::analysis::ModelKey| GroupKey {
            name: model.display_name().to_owned(),
            quantization: model.quantization.clone(),
            rows_name: None,
        };
        let mut per_slot: BTreeMap<(GroupKey, SeriesKey), BTreeSet<String>> = BTreeMap::new();
        for c in &cells {
            let model = c.key.model_key();
            per_slot.entry((base(&model), SeriesKey::Measured(c.key.platform(), c.key.weights))).or_default().insert(model.name.clone());
        }
        let crowded: BTreeSet<GroupKey> =
            per_slot.iter().filter(|(_, names)| names.len() > 1).map(|((g, _), _)| g.clone()).collect();
        let group_of_cell = |model: &crate::analysis::ModelKey| {
            let group = base(model);
            if crowded.contains(&group) { GroupKey { rows_name: Some(model.name.clone()), ..group } } else { group }
        };
        let mut measured = Measured { values: BTreeMap::new(), rows_names: BTreeMap::new() };
        for c in &cells {
            let model = c.key.model_key();
            let group = group_of_cell(&model);
            measured.rows_names.entry(group.clone()).or_default().insert(model.name.clone());
            let e = &c.estimates[&metric];
            measured.values.insert(
                (group, SeriesKey::Measured(c.key.platform(), c.key.weights)),
                BarValue { value: e.median * factor, low: e.interval.map(|i| i.low * factor), high: e.interval.map(|i| i.high * factor) },
            );
        }
        measured
    }

    fn groups(&self) -> BTreeSet<GroupKey> {
        self.values.keys().map(|(g, _)| g.clone()).collect()
    }

    fn series(&self) -> Vec<SeriesKey> {
        self.values.keys().map(|(_, s)| s.clone()).collect::<BTreeSet<_>>().into_iter().collect()
    }
}

/// The paper's numbers of `metric`, one marker per group, series and value (a number quoted in
/// several sentences is drawn once, with all its rows).
fn published_markers<'a>(analysis: &'a Analysis, metric: Metric, measured: &Measured) -> Vec<Drawn<'a>> {
    let (measured_groups, measured_series) = (measured.groups(), measured.series());
    let mut drawn: Vec<Drawn> = Vec::new();
    for pv in analysis.published.iter().filter(|pv| pv.metric == Some(metric)) {
        let (Some(value), Some(group)) = (pv.value, group_of(pv, &measured_groups, &measured.rows_names)) else { continue };
        let series = measured_series_of(pv, &measured_series).unwrap_or_else(|| SeriesKey::Paper {
            device: pv.row.device_label.clone(),
            backend: pv.row.backend,
            power_mode: pv.row.power_mode.clone(),
        });
        let value = value * metric.display_factor();
        match drawn.iter_mut().find(|d| d.group == group && d.series == series && d.value == value) {
            Some(d) => d.rows.push(pv),
            None => drawn.push(Drawn { group, series, value, rows: vec![pv] }),
        }
    }
    drawn
}

pub(super) fn metric_figure(analysis: &Analysis, metric: Metric, table_id: &str) -> FigureDoc {
    let measured = Measured::of(analysis, metric);
    let drawn = published_markers(analysis, metric, &measured);

    let measured_order: Vec<String> = analysis.model_keys().iter().map(|m| m.display_name().to_owned()).collect();
    let mut groups: Vec<GroupKey> =
        measured.groups().into_iter().chain(drawn.iter().map(|d| d.group.clone())).collect::<BTreeSet<_>>().into_iter().collect();
    groups.sort_by_key(|g| (group_rank(g, analysis, &measured_order), g.clone()));
    let series: Vec<SeriesKey> =
        measured.series().into_iter().chain(drawn.iter().map(|d| d.series.clone())).collect::<BTreeSet<_>>().into_iter().collect();

    let chart = BarChart {
        y_label: format!("{} ({})", metric.label(), metric.unit()),
        groups: groups.iter().map(GroupKey::label).collect(),
        series: series
            .iter()
            .map(|s| BarSeries {
                name: s.name(),
                values: groups.iter().map(|g| measured.values.get(&(g.clone(), s.clone())).copied()).collect(),
                hatched: matches!(s, SeriesKey::Measured(_, WeightsOrigin::Synthetic)),
            })
            .collect(),
        scale: Scale::Auto,
        markers: drawn
            .iter()
            .map(|d| BarMarker {
                group: groups.iter().position(|g| *g == d.group).unwrap_or(0),
                series: series.iter().position(|s| *s == d.series).unwrap_or(0),
                value: d.value,
                hollow: d.rows.iter().any(|pv| pv.row.ambiguity.is_some()),
                title: marker_title(d, metric),
            })
            .collect(),
        key: BarKey {
            hatched: Some("hatched: synthetic weights".to_owned()),
            marker: Some("the paper's published value".to_owned()),
            hollow_marker: Some("hollow: the paper's value, ambiguous".to_owned()),
        },
    };
    let empty = groups.is_empty();
    let svg = if empty {
        figures::empty_svg(&format!("no data: no run has a {}", metric.label()))
    } else {
        figures::bar_chart_svg(&chart)
    };
    let paper_first = groups.first().is_some_and(|g| group_rank(g, analysis, &measured_order).0 == 0);
    FigureDoc {
        id: metric.key().to_owned(),
        title: format!("{}{}", format::capitalise(metric.label()), paper_figure(metric)),
        caption: figure_caption(analysis, metric, &chart, &drawn, paper_first),
        file: format!("figures/{}.svg", metric.key()),
        svg,
        empty,
        tables: vec![table_id.to_owned()],
    }
}

fn paper_figure(metric: Metric) -> String {
    metric.paper_figure().map(|n| format!(" (the paper's Fig. {n})")).unwrap_or_default()
}

fn figure_caption(analysis: &Analysis, metric: Metric, chart: &BarChart, drawn: &[Drawn], paper_first: bool) -> String {
    let scale = if !chart.groups.is_empty() && figures::use_log_scale(chart) { " Log scale." } else { "" };
    let paper_first = if paper_first { "; the paper's models first, in the order of its model table" } else { "" };
    let hatched = if chart.series.iter().any(|s| s.hatched) {
        " Hatched, lighter bars are cells with synthetic weights (their platform's name ends in “· synthetic”): they measure the architecture, beside the paper's value for the trained model."
    } else {
        ""
    };
    format!(
        "Median {} ({}) per model (groups{paper_first}) and platform (bars, one colour per device · back-end · mode); error bars are {}% confidence intervals of the median, absent where a cell has fewer than {} replicates (runs, or prompts: see the table). A missing bar means no data, not zero.{scale}{}{hatched}{}",
        metric.label(),
        metric.unit(),
        format::level(LEVEL),
        min_runs_for_interval(LEVEL),
        markers_caption(drawn),
        synthetic_caption(analysis, metric)
    )
}

/// The marker's tooltip: the value, where it stands, and each quoting row's place in the paper
/// and ambiguity.
fn marker_title(d: &Drawn, metric: Metric) -> String {
    let first = &d.rows[0].row;
    let mut title = format!(
        "paper: {} {} ({}, {}{})",
        format::sig3(d.value),
        metric.unit(),
        d.series.name().trim_start_matches("paper: "),
        first.model_name.as_deref().unwrap_or("?"),
        first.model_precision.as_deref().map(|p| format!(" {p}")).unwrap_or_default(),
    );
    for pv in &d.rows {
        let row = &pv.row;
        let figure = row.figure.as_deref().map(|f| format!(", {f}")).unwrap_or_default();
        title.push_str(&format!("; {} §{}{figure}", row.citation_key, row.section));
        if let Some(ambiguity) = &row.ambiguity {
            title.push_str(&format!(": ambiguous: {}", ambiguity.0));
        }
    }
    title
}

/// What the diamonds are, how many are drawn, and how the paper's model names map to ours.
fn markers_caption(drawn: &[Drawn]) -> String {
    if drawn.is_empty() {
        return String::new();
    }
    let citations: BTreeSet<&str> = drawn.iter().flat_map(|d| &d.rows).map(|pv| pv.row.citation_key.as_str()).collect();
    let citations: Vec<&str> = citations.into_iter().collect();
    let hollow = drawn.iter().filter(|d| d.rows.iter().any(|pv| pv.row.ambiguity.is_some())).count();
    let quoted = drawn.iter().map(|d| d.rows.len()).sum::<usize>();
    let values = if drawn.len() == 1 { "1 published value".to_owned() } else { format!("{} published values", drawn.len()) };
    let twice = if quoted > drawn.len() { format!(" ({quoted} quotations: a number quoted twice is drawn once)") } else { String::new() };
    let hollow = match hollow {
        0 => String::new(),
        n if n == drawn.len() => " All are hollow: the paper leaves something about each ambiguous (which mode, back-end or device, or the exact number), as the published values in the appendix say for each.".to_owned(),
        n => format!(" {n} are hollow: the paper leaves something about them ambiguous (which mode, back-end or device, or the exact number), as the published values in the appendix say for each."),
    };
    let aliases: BTreeSet<(String, String)> = drawn
        .iter()
        .flat_map(|d| &d.rows)
        .filter_map(|pv| Some((pv.row.model_name.clone()?, pv.model_canonical.clone()?)))
        .filter(|(paper, ours)| paper != ours)
        .collect();
    let aliases = if aliases.is_empty() {
        String::new()
    } else {
        let pairs: Vec<String> = aliases.iter().map(|(paper, ours)| format!("{paper} is {ours}")).collect();
        format!(" The paper's model names are the model registry's: {}.", pairs.join(", "))
    };
    format!(
        " Diamonds are the paper's ({}) {values}{twice}, drawn in the slot of the platform the paper measured them on, beside our bar where we measured that model there; a platform named “paper: …” is one only the paper has.{hollow}{aliases}",
        citations.join(", ")
    )
}
