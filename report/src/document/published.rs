//! The published values: every number the dataset quotes from a paper.

use super::{MISSING, RowDoc, TableDoc};
use crate::analysis::Analysis;
use crate::format;

pub(super) fn published_table(analysis: &Analysis) -> TableDoc {
    let rows = analysis
        .published
        .iter()
        .map(|p| {
            let r = &p.row;
            RowDoc {
                cells: vec![
                    format!("{} §{}", r.citation_key, r.section),
                    r.device_label.clone(),
                    r.backend.map(|b| b.to_string()).unwrap_or_else(|| MISSING.to_owned()),
                    r.power_mode.clone().unwrap_or_else(|| MISSING.to_owned()),
                    r.model_name.clone().unwrap_or_else(|| MISSING.to_owned()),
                    r.metric.clone(),
                    format!("{} {}", format::sig3(r.value), r.unit),
                    r.quote.0.clone(),
                    r.ambiguity.as_ref().map(|a| a.0.clone()).unwrap_or_default(),
                ],
                published: true,
            }
        })
        .collect();
    TableDoc {
        id: "published".to_owned(),
        title: "Published values".to_owned(),
        caption: "Every number the dataset's `published` table holds, with the sentence it is quoted from and what the text leaves unclear.".to_owned(),
        columns: ["Source", "Device", "Back-end", "Mode", "Model", "Metric", "Value", "Quote", "Ambiguity"].map(String::from).to_vec(),
        rows,
        empty_message: "The dataset holds no published values yet.".to_owned(),
    }
}
