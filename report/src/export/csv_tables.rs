//! `tables/<id>.csv`: every table as shown (formatted text), plus `tables/medians.csv` with the
//! per-cell medians and intervals as plain numbers in dataset units, for further analysis.
//!
//! An interval's confidence level is the achieved coverage of an order-statistic interval
//! (`0.96484375` for 12 runs), not a round nominal 95%: `medians.csv` gives it twice, for people
//! (`ci_level_percent`, `96.5`, as the PDF and the page print it: [`crate::format::level_percent`]
//! without the sign) and exact (`ci_level_exact`, the fraction, for computation).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{ExportError, Exporter, write_file};
use crate::document::{MedianRecord, ReportDocument, TableDoc};

pub struct CsvTables;

impl Exporter for CsvTables {
    fn name(&self) -> &'static str {
        "csv"
    }

    fn export(&self, doc: &ReportDocument, out: &Path) -> Result<Vec<PathBuf>, ExportError> {
        let mut written = Vec::new();
        for table in &doc.tables {
            let path = out.join("tables").join(format!("{}.csv", table.id));
            written.push(write_file(&path, &table_csv(table).map_err(|e| csv_error(&path, e))?)?);
        }
        let path = out.join("tables").join("medians.csv");
        let mut writer = csv::Writer::from_writer(Vec::new());
        for record in &doc.medians_csv {
            writer.serialize(MedianRow::of(record)).map_err(|e| csv_error(&path, e))?;
        }
        // With no rows, serde writes no header either; write it so the file is still a valid table.
        let bytes = if doc.medians_csv.is_empty() {
            MEDIANS_HEADER.as_bytes().to_vec()
        } else {
            writer.into_inner().map_err(|e| csv_error(&path, e.into_error()))?
        };
        written.push(write_file(&path, &bytes)?);
        Ok(written)
    }
}

const MEDIANS_HEADER: &str = "device,backend,power_mode,protocol,model,quantization,weights_origin,page_cache,metric,unit,replicate,n,median,ci_low,ci_high,ci_level_percent,ci_level_exact,runs_ok,runs_failed,outputs_repeat,max_tokens_share,eos_share\n";

/// One line of `medians.csv`: a [`MedianRecord`] with its confidence level in both forms.
#[derive(Serialize)]
struct MedianRow<'a> {
    device: &'a str,
    backend: &'a str,
    power_mode: Option<&'a str>,
    protocol: Option<&'a str>,
    model: &'a str,
    quantization: Option<&'a str>,
    weights_origin: &'a str,
    page_cache: Option<&'a str>,
    metric: &'a str,
    unit: &'a str,
    replicate: &'a str,
    n: usize,
    median: f64,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
    /// The level in per cent with the digits people read (`96.5`, `95`, `99.995`).
    ci_level_percent: Option<String>,
    /// The level as the exact fraction computed (`0.9648437499999976`).
    ci_level_exact: Option<f64>,
    runs_ok: usize,
    runs_failed: usize,
    outputs_repeat: Option<bool>,
    max_tokens_share: Option<f64>,
    eos_share: Option<f64>,
}

impl<'a> MedianRow<'a> {
    fn of(r: &'a MedianRecord) -> MedianRow<'a> {
        MedianRow {
            device: &r.device,
            backend: &r.backend,
            power_mode: r.power_mode.as_deref(),
            protocol: r.protocol.as_deref(),
            model: &r.model,
            quantization: r.quantization.as_deref(),
            weights_origin: r.weights_origin,
            page_cache: r.page_cache,
            metric: r.metric,
            unit: r.unit,
            replicate: r.replicate,
            n: r.n,
            median: r.median,
            ci_low: r.ci_low,
            ci_high: r.ci_high,
            ci_level_percent: r.ci_level.map(|l| crate::format::level_percent(l).trim_end_matches('%').to_owned()),
            ci_level_exact: r.ci_level,
            runs_ok: r.runs_ok,
            runs_failed: r.runs_failed,
            outputs_repeat: r.outputs_repeat,
            max_tokens_share: r.max_tokens_share,
            eos_share: r.eos_share,
        }
    }
}

fn table_csv(table: &TableDoc) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = table.columns.clone();
    header.push("source".to_owned());
    writer.write_record(&header)?;
    for row in &table.rows {
        let mut cells = row.cells.clone();
        cells.push(if row.published { "published" } else { "measured" }.to_owned());
        writer.write_record(&cells)?;
    }
    writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

fn csv_error(path: &Path, e: impl std::fmt::Display) -> ExportError {
    ExportError::Csv { path: path.to_path_buf(), message: e.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cell's load-time median from 12 runs, with an interval at `level` when given.
    fn record(level: Option<f64>) -> crate::document::MedianRecord {
        crate::document::MedianRecord {
            device: "d".into(),
            backend: "cpu".into(),
            power_mode: None,
            protocol: Some("paper".into()),
            model: "m".into(),
            quantization: None,
            weights_origin: "trained",
            page_cache: None,
            metric: "load_ms",
            unit: "ms",
            replicate: "runs",
            n: 12,
            median: 1.0,
            ci_low: level.map(|_| 0.5),
            ci_high: level.map(|_| 2.0),
            ci_level: level,
            runs_ok: 12,
            runs_failed: 0,
            outputs_repeat: None,
            max_tokens_share: None,
            eos_share: None,
        }
    }

    fn csv_text(record: &crate::document::MedianRecord) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.serialize(MedianRow::of(record)).unwrap();
        String::from_utf8(writer.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn medians_header_matches_the_record_fields() {
        let text = csv_text(&record(None));
        assert!(text.starts_with(MEDIANS_HEADER), "{text}");
    }

    #[test]
    fn the_confidence_level_is_a_percentage_for_people_beside_the_exact_fraction() {
        let line = |level: f64| csv_text(&record(Some(level))).lines().nth(1).unwrap().to_owned();
        assert!(line(0.9648437499999976).contains(",0.5,2.0,96.5,0.9648437499999976,12,"), "{}", line(0.9648437499999976));
        assert!(line(0.95).contains(",0.5,2.0,95,0.95,12,"), "{}", line(0.95));
        assert!(line(0.99995).contains(",99.995,0.99995,"), "{}", line(0.99995));
    }
}
