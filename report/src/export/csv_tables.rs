//! `tables/<id>.csv`: every table as shown (formatted text), plus `tables/medians.csv` with the
//! per-cell medians and intervals as plain numbers in dataset units, for further analysis.

use std::path::{Path, PathBuf};

use super::{ExportError, Exporter, write_file};
use crate::document::{ReportDocument, TableDoc};

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
            writer.serialize(record).map_err(|e| csv_error(&path, e))?;
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

const MEDIANS_HEADER: &str = "device,backend,power_mode,protocol,model,quantization,weights_origin,page_cache,metric,unit,replicate,n,median,ci_low,ci_high,ci_level,runs_ok,runs_failed,outputs_repeat,max_tokens_share,eos_share\n";

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
    ExportError::Io { path: path.to_path_buf(), source: std::io::Error::other(e.to_string()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_header_matches_the_record_fields() {
        let record = crate::document::MedianRecord {
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
            n: 1,
            median: 1.0,
            ci_low: None,
            ci_high: None,
            ci_level: None,
            runs_ok: 1,
            runs_failed: 0,
            outputs_repeat: None,
            max_tokens_share: None,
            eos_share: None,
        };
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.serialize(&record).unwrap();
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        assert!(text.starts_with(MEDIANS_HEADER), "{text}");
    }
}
