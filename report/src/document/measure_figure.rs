//! The bar chart of one measure: models (groups) by platform (bars).

use super::{FigureDoc, synthetic_caption};
use crate::analysis::Analysis;
use crate::figures::{self, BarChart, BarSeries, BarValue, Scale};
use crate::format;
use crate::metrics::Metric;
use crate::stats::{LEVEL, min_runs_for_interval};

pub(super) fn metric_figure(analysis: &Analysis, metric: Metric, table_id: &str) -> FigureDoc {
    let models: Vec<_> = analysis
        .model_keys()
        .into_iter()
        .filter(|m| analysis.cells.iter().any(|c| &c.key.model_key() == m && c.estimates.contains_key(&metric)))
        .collect();
    let platforms: Vec<_> = analysis
        .platforms()
        .into_iter()
        .filter(|p| analysis.cells.iter().any(|c| &c.key.platform() == p && c.estimates.contains_key(&metric)))
        .collect();
    let series: Vec<BarSeries> = platforms
        .iter()
        .map(|platform| BarSeries {
            name: platform.label(),
            values: models
                .iter()
                .map(|model| {
                    let cell = analysis.cells.iter().find(|c| &c.key.platform() == platform && &c.key.model_key() == model)?;
                    let e = cell.estimates.get(&metric)?;
                    let f = metric.display_factor();
                    Some(BarValue {
                        value: e.median * f,
                        low: e.interval.map(|i| i.low * f),
                        high: e.interval.map(|i| i.high * f),
                    })
                })
                .collect(),
        })
        .collect();
    let chart = BarChart {
        y_label: format!("{} ({})", metric.label(), metric.unit()),
        groups: models.iter().map(|m| m.label()).collect(),
        series,
        scale: Scale::Auto,
    };
    let empty = models.is_empty();
    let svg = if empty {
        figures::empty_svg(&format!("no data: no run has a {}", metric.label()))
    } else {
        figures::bar_chart_svg(&chart)
    };
    let paper = metric.paper_figure().map(|n| format!(" (the paper's Fig. {n})")).unwrap_or_default();
    let scale = if !empty && figures::use_log_scale(&chart) { " Log scale." } else { "" };
    FigureDoc {
        id: metric.key().to_owned(),
        title: format!("{}{paper}", format::capitalise(metric.label())),
        caption: format!(
            "Median {} ({}) per model (groups) and platform (bars); error bars are {}% confidence intervals of the median, absent where a cell has fewer than {} replicates (runs, or prompts: see the table). A missing bar means no data, not zero.{scale}{}",
            metric.label(),
            metric.unit(),
            format::level(LEVEL),
            min_runs_for_interval(LEVEL),
            synthetic_caption(analysis, metric)
        ),
        file: format!("figures/{}.svg", metric.key()),
        svg,
        empty,
        tables: vec![table_id.to_owned()],
    }
}
