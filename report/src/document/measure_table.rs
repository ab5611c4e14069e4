//! The table of one measure's per-cell medians (with the published values that match each cell),
//! and the table of ratios between cells that differ in one factor.

use super::context::Context;
use super::{MISSING, RowDoc, TableDoc, cell_columns, synthetic_caption, synthetic_note};
use crate::analysis::{Analysis, Comparison, WeightsOrigin, published_matches};
use crate::format;
use crate::metrics::Metric;
use crate::stats::LEVEL;

pub(super) fn metric_table(analysis: &Analysis, metric: Metric) -> TableDoc {
    let mut rows = Vec::new();
    let published: Vec<_> = analysis.published.iter().filter(|p| p.metric == Some(metric)).collect();
    let mut matched = vec![false; published.len()];
    for cell in &analysis.cells {
        let Some(estimate) = cell.estimates.get(&metric) else { continue };
        let quoted: Vec<String> = published
            .iter()
            .enumerate()
            .filter(|(_, p)| published_matches(&p.row, &cell.key))
            .map(|(i, p)| {
                matched[i] = true;
                published_value(metric, p)
            })
            .collect();
        let [device, backend, mode, protocol, model] = cell_columns(&cell.key);
        let replicate = cell.replicates[&metric];
        let mut cells = vec![
            device,
            backend,
            mode,
            protocol,
            model,
            estimate.n.to_string(),
            replicate.as_str().to_owned(),
            format::metric_value(metric, estimate.median),
            format::interval(metric, estimate, replicate),
        ];
        cells.extend(Context::of(metric).iter().map(|c| c.value(cell)));
        cells.push(if quoted.is_empty() { MISSING.to_owned() } else { quoted.join("; ") });
        rows.push(RowDoc { cells, published: false });
    }
    for (p, _) in published.iter().zip(&matched).filter(|(_, m)| !**m) {
        let row = &p.row;
        let mut cells = vec![
            row.device_label.clone(),
            row.backend.map(|b| b.to_string()).unwrap_or_else(|| MISSING.to_owned()),
            row.power_mode.clone().unwrap_or_else(|| MISSING.to_owned()),
            MISSING.to_owned(),
            match (&row.model_name, &row.model_precision) {
                (Some(m), Some(q)) => format!("{m} ({q})"),
                (Some(m), None) => m.clone(),
                (None, _) => MISSING.to_owned(),
            },
        ];
        cells.extend(std::iter::repeat_n(MISSING.to_owned(), 4 + Context::of(metric).len()));
        cells.push(published_value(metric, p));
        rows.push(RowDoc { cells, published: true });
    }
    TableDoc {
        id: metric.key().to_owned(),
        title: format!("Median {} ({})", metric.label(), metric.unit()),
        caption: format!(
            "Median of {} ({}) over the cell's replicates, with its distribution-free {}% confidence interval; n counts the replicates the next column names ({}). Published values are quoted from the paper, marked with their section; rows without measurements show only the published value.{}{}",
            metric.label(),
            metric.definition(),
            format::level(LEVEL),
            metric.replication().describe(),
            Context::of(metric).iter().map(|c| c.explain()).filter(|e| !e.is_empty()).map(|e| format!(" {e}")).collect::<String>(),
            synthetic_caption(analysis, metric)
        ),
        columns: {
            let median = format!("Median ({})", metric.unit());
            let mut columns: Vec<String> =
                ["Device", "Back-end", "Mode", "Protocol", "Model", "n", "Replicate", &median, "95% CI"].map(String::from).to_vec();
            columns.extend(Context::of(metric).iter().map(|c| c.header().to_owned()));
            columns.push("Published".to_owned());
            columns
        },
        rows,
        empty_message: format!("No run in the dataset has a {} yet.", metric.label()),
    }
}

pub(super) fn published_value(metric: Metric, p: &crate::analysis::PublishedValue) -> String {
    let shown = p.value.map(|v| format::metric_value(metric, v)).unwrap_or_else(|| format::sig3(p.row.value));
    let mut s = format!("{shown} ({} §{})", p.row.citation_key, p.row.section);
    if p.row.ambiguity.is_some() {
        s.push_str(" ambiguous");
    }
    s
}

pub(super) fn ratio_table(analysis: &Analysis) -> TableDoc {
    let rows = analysis
        .ratios
        .iter()
        .map(|r| RowDoc {
            cells: vec![
                r.comparison.title().to_owned(),
                r.metric.label().to_owned(),
                format!("{}, {}", r.numerator.platform().label(), r.numerator.model_key().label()),
                format!("{}, {}", r.denominator.platform().label(), r.denominator.model_key().label()),
                format::ratio(&r.estimate),
            ],
            published: false,
        })
        .collect();
    TableDoc {
        id: "ratios".to_owned(),
        title: "Ratios".to_owned(),
        caption: format!(
            "Ratio of medians (first cell / second cell) for cells that differ in one factor ({}), with a conservative {}% interval (each median's interval at 97.5%, Bonferroni). Both cells of a ratio have weights of the same origin.{}",
            Comparison::ALL.iter().map(|c| c.title()).collect::<Vec<_>>().join("; "),
            format::level(LEVEL),
            synthetic_note(analysis.ratios.iter().any(|r| r.numerator.weights == WeightsOrigin::Synthetic))
        ),
        columns: ["Comparison", "Metric", "Cell", "Against", "Ratio [95% CI]"].map(String::from).to_vec(),
        rows,
        empty_message: "No two cells differ in exactly one factor yet.".to_owned(),
    }
}
