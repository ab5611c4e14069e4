//! The reviewable source of the `published` table: a JSON Lines file per paper, written and
//! reviewed by hand (`dataset/sources/<citation_key>.published.jsonl`), and its import into the
//! dataset (`dataset import-published`).
//!
//! Each non-blank line is one JSON object with the columns of [`Published`] except
//! `published_id` and `schema_version`, which the importer fills in:
//!
//! ```text
//! {"citation_key":"liu2026edge","citation":"…","section":"IV-A","figure":"Fig. 2",
//!  "device_label":"Jetson Orin NX","backend":"cpu","power_mode":null,"model_name":"Qwen-1.5B",
//!  "model_precision":"Q8","metric":"load_ms","op_class":null,"value":707.0,"unit":"ms",
//!  "quote":"For instance, Qwen-1.5B load time on Orin NX increased by over 195% (…)",
//!  "ambiguity":null}
//! ```
//!
//! (one line in the file). Optional columns may be left out (they are null); unknown keys are
//! refused, so a misspelt column never silently becomes a null. Every row is checked with the
//! table's own rules ([`Table::check`]) and the column limits of the schema as it is parsed, so a
//! problem is reported with its line number; the import then stages the new rows through the
//! store, which checks them again, and commits them in one transaction. Rows whose id is already
//! stored are skipped, so importing a file twice adds nothing; a stored row with the same id but
//! different content (an edited ambiguity, say) is reported instead of being skipped silently,
//! because the store never rewrites a row.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::manifest::ShardEntry;
use crate::schema::v1::{Backend, OpClass, Published, SCHEMA_VERSION};
use crate::schema::{Logical, Sha256Hex, Text, truncate};
use crate::store::{Store, WriteBatch, read_table};
use crate::table::Table;
use crate::validate::rules::Issue;

/// Largest source file read, in bytes: a paper quotes hundreds of numbers, not millions.
pub const MAX_SOURCE_BYTES: u64 = 16 << 20;

/// One line of the source file: a `published` row without its id and schema version.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceRow {
    pub citation_key: String,
    pub citation: String,
    pub section: String,
    #[serde(default)]
    pub figure: Option<String>,
    pub device_label: String,
    #[serde(default)]
    pub backend: Option<Backend>,
    #[serde(default)]
    pub power_mode: Option<String>,
    #[serde(default)]
    pub model_name: Option<String>,
    #[serde(default)]
    pub model_precision: Option<String>,
    pub metric: String,
    #[serde(default)]
    pub op_class: Option<OpClass>,
    pub value: f64,
    pub unit: String,
    pub quote: String,
    #[serde(default)]
    pub ambiguity: Option<String>,
}

impl SourceRow {
    /// The dataset row: current schema version, id computed from the identifying fields.
    pub fn into_published(self) -> Published {
        let mut row = Published {
            published_id: Sha256Hex::of(b""),
            schema_version: SCHEMA_VERSION.to_owned(),
            citation_key: self.citation_key,
            citation: Text(self.citation),
            section: self.section,
            figure: self.figure,
            device_label: self.device_label,
            backend: self.backend,
            power_mode: self.power_mode,
            model_name: self.model_name,
            model_precision: self.model_precision,
            metric: self.metric,
            op_class: self.op_class,
            value: self.value,
            unit: self.unit,
            quote: Text(self.quote),
            ambiguity: self.ambiguity.map(Text),
        };
        row.published_id = row.compute_id();
        row
    }
}

/// One thing wrong with one line of a source file.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceProblem {
    /// 1-based line number.
    pub line: usize,
    pub message: String,
    pub fix: String,
}

/// A row of the source file, with the line it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceLine {
    /// 1-based line number.
    pub line: usize,
    pub row: Published,
}

/// Parses a source file's text. Returns every row, or every problem found (all lines are read,
/// so one run lists all of them).
pub fn parse(text: &str) -> Result<Vec<SourceLine>, Vec<SourceProblem>> {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut first_line_of: HashMap<Sha256Hex, usize> = HashMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let mut problem = |message: String, fix: &str| problems.push(SourceProblem { line, message, fix: fix.to_owned() });
        let source: SourceRow = match serde_json::from_str(raw) {
            Ok(r) => r,
            Err(e) => {
                // serde_json says "at line 1 column N" of the one-line document; the file's line is
                // already in the message, so keep only the column.
                let full = e.to_string();
                let msg = match full.rfind(" at line ") {
                    Some(at) if e.column() > 0 => format!("{} (column {})", &full[..at], e.column()),
                    Some(at) => full[..at].to_owned(),
                    None => full,
                };
                let fix = if msg.contains("published_id") || msg.contains("schema_version") {
                    "remove the key: the importer fills published_id and schema_version"
                } else if msg.starts_with("unknown field") {
                    "use only the columns of the published table (see schema/v1/README.md)"
                } else if msg.starts_with("missing field") {
                    "give every required column: citation_key, citation, section, device_label, metric, value, unit, quote"
                } else if msg.starts_with("unknown variant") {
                    "use one of the listed values, or null"
                } else {
                    "write one JSON object per line (JSON Lines)"
                };
                problem(format!("not a valid row: {msg}"), fix);
                continue;
            }
        };
        let row = source.into_published();
        let mut issues: Vec<Issue> = Vec::new();
        row.check(&mut issues);
        issues.extend(column_limits(&row));
        for issue in issues {
            problem(format!("column {}: {}", issue.column, issue.message), &issue.fix);
        }
        match first_line_of.get(&row.published_id) {
            Some(first) => problem(
                format!("repeats line {first}: same citation_key, section, metric, device, back-end, mode, model, op_class, value and quote"),
                "remove the repeated line, or tell the two numbers apart",
            ),
            None => {
                first_line_of.insert(row.published_id.clone(), line);
            }
        }
        rows.push(SourceLine { line, row });
    }
    if problems.is_empty() { Ok(rows) } else { Err(problems) }
}

/// The validator's column rules that [`Table::check`] does not cover: text lengths and one-line
/// labels (driven by the schema value, like `validate`).
fn column_limits(row: &Published) -> Vec<Issue> {
    let mut out = Vec::new();
    let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(row) else { return out };
    for spec in Published::SCHEMA.columns {
        let Some(serde_json::Value::String(v)) = fields.get(spec.name) else { continue };
        if let Some(max) = spec.logical.max_len()
            && v.len() > max
        {
            out.push(Issue {
                column: spec.name,
                message: format!("is {} bytes long, over the {max}-byte limit of this column", v.len()),
                fix: "store a shorter value".into(),
            });
        } else if spec.logical == Logical::Label && v.chars().any(char::is_control) {
            out.push(Issue {
                column: spec.name,
                message: format!("`{}` contains control characters (newline, tab...)", truncate(&v.escape_debug().to_string(), 60)),
                fix: "labels are one line of plain text".into(),
            });
        }
    }
    out
}

/// Why an import did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The source file could not be read (a usage error: wrong path).
    #[error("{}: {message}", path.display())]
    Unreadable { path: PathBuf, message: String },
    /// Lines of the source file are not valid rows.
    #[error("{}", render_problems(path, problems))]
    Invalid { path: PathBuf, problems: Vec<SourceProblem> },
    /// The store refused or failed (locked, invalid rows, I/O).
    #[error(transparent)]
    Store(#[from] crate::Error),
}

fn render_problems(path: &Path, problems: &[SourceProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("{}:{}: {}; {}", path.display(), p.line, p.message, p.fix))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads and parses a source file.
pub fn read(path: &Path) -> Result<Vec<SourceLine>, ImportError> {
    let unreadable = |message: String| ImportError::Unreadable { path: path.to_owned(), message };
    let bytes = crate::fsutil::read_limited(path, MAX_SOURCE_BYTES).map_err(|e| unreadable(strip_path(&e.to_string(), path)))?;
    let text = String::from_utf8(bytes).map_err(|e| unreadable(format!("is not UTF-8 (byte {}); save the file as UTF-8", e.utf8_error().valid_up_to())))?;
    parse(&text).map_err(|problems| ImportError::Invalid { path: path.to_owned(), problems })
}

/// `fsutil` errors start with the path; the caller prints it once.
fn strip_path(message: &str, path: &Path) -> String {
    let prefix = format!("{}: ", path.display());
    message.strip_prefix(&prefix).unwrap_or(message).to_owned()
}

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportSummary {
    /// Rows written.
    pub imported: usize,
    /// Rows skipped because the dataset already holds them.
    pub already_present: usize,
    /// Shards written (one per device × model partition).
    pub shards: Vec<ShardEntry>,
}

/// Adds the rows of `lines` (read from `source`, named in messages) that the dataset at `root`,
/// opened as `store`, does not hold yet, in one transaction. A line whose id is stored with
/// different content is an error (nothing is written): the store never rewrites rows.
pub fn import(store: &mut Store, root: &Path, source: &Path, lines: Vec<SourceLine>) -> Result<ImportSummary, ImportError> {
    let existing = store.existing_ids::<Published>()?.clone();
    let (present, new): (Vec<SourceLine>, Vec<SourceLine>) = lines.into_iter().partition(|l| existing.contains(&l.row.published_id));
    if !present.is_empty() {
        let stored: HashMap<Sha256Hex, Published> =
            read_table::<Published>(root)?.into_iter().map(|r| (r.published_id.clone(), r)).collect();
        let problems: Vec<SourceProblem> = present
            .iter()
            .filter_map(|l| {
                let old = stored.get(&l.row.published_id)?;
                let differ = differing_columns(old, &l.row);
                (!differ.is_empty()).then(|| SourceProblem {
                    line: l.line,
                    message: format!(
                        "the dataset already holds this row (id {}) with a different {}",
                        l.row.published_id,
                        differ.join(", ")
                    ),
                    fix: "stored rows are never rewritten: restore the stored value in the source, or change an identifying column so that the row is a new one".into(),
                })
            })
            .collect();
        if !problems.is_empty() {
            return Err(ImportError::Invalid { path: source.to_owned(), problems });
        }
    }
    let mut summary = ImportSummary { already_present: present.len(), ..Default::default() };
    if new.is_empty() {
        return Ok(summary);
    }
    let rows: Vec<Published> = new.into_iter().map(|l| l.row).collect();
    summary.imported = rows.len();
    let mut batch = WriteBatch::default();
    store.stage(&mut batch, rows)?;
    summary.shards = store.commit(batch)?;
    Ok(summary)
}

/// Columns (outside the id) whose values differ between two rows with the same id.
/// `schema_version` is not compared: the importer fills it, and a row stored under an older
/// version says that version while the same line imported today says the current one.
fn differing_columns(a: &Published, b: &Published) -> Vec<&'static str> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) = (serde_json::to_value(a), serde_json::to_value(b)) else {
        return vec!["row"];
    };
    Published::SCHEMA.columns.iter().map(|c| c.name).filter(|name| *name != "schema_version" && a.get(*name) != b.get(*name)).collect()
}

/// Opens the dataset at `root` and imports the source file at `path` into it.
pub fn import_file(root: &Path, path: &Path) -> Result<ImportSummary, ImportError> {
    let lines = read(path)?;
    let (mut store, _recovery) = Store::open(root)?;
    import(&mut store, root, path, lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUOTE: &str = "For instance, Qwen-1.5B load time on Orin NX increased by over 195% (from 707 ms on CPU to 2086 ms on GPU).";

    fn line(value: &str) -> String {
        format!(
            r#"{{"citation_key":"k2026","citation":"A. Author, Paper, 2026.","section":"IV-A","figure":"Fig. 2","device_label":"Jetson Orin NX","backend":"cpu","power_mode":null,"model_name":"Qwen-1.5B","model_precision":"Q8","metric":"load_ms","op_class":null,"value":{value},"unit":"ms","quote":"{QUOTE}","ambiguity":null}}"#
        )
    }

    #[test]
    fn a_valid_line_becomes_a_row_with_its_id() {
        let text = format!("{}\n\n{}\n", line("707"), line("2086.0"));
        let rows = parse(&text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].line, rows[1].line), (1, 3), "blank lines are skipped but counted");
        let r = &rows[0].row;
        assert_eq!(r.schema_version, SCHEMA_VERSION);
        assert_eq!(r.published_id, r.compute_id());
        assert_eq!((r.backend, r.value, r.quote.0.as_str()), (Some(Backend::Cpu), 707.0, QUOTE));
        let mut issues = Vec::new();
        r.check(&mut issues);
        assert!(issues.is_empty(), "{issues:?}");
    }

    #[test]
    fn optional_columns_may_be_left_out() {
        let text = r#"{"citation_key":"k","citation":"c","section":"V","device_label":"Dell","metric":"fusion_elapsed_us_fused","value":76.4,"unit":"µs","quote":"drops from 124.4 µs to 76.4 µs"}"#;
        let rows = parse(text).unwrap();
        assert_eq!(rows[0].row.model_name, None);
        assert_eq!(rows[0].row.backend, None);
    }

    #[test]
    fn each_problem_names_its_line() {
        let text = [
            line("707"),
            "{not json".to_owned(),
            line("708"),
            line("707").replace("\"device_label\"", "\"devce_label\""),
            line("707").replace("\"cpu\"", "\"gpu\""),
            line("707"),
            line("707").replace("\"citation_key\"", "\"published_id\":\"x\",\"citation_key\""),
            line("707").replace("load_ms", "Load ms"),
        ]
        .join("\n");
        let problems = parse(&text).unwrap_err();
        let at = |n: usize| problems.iter().filter(|p| p.line == n).collect::<Vec<_>>();
        assert!(at(1).is_empty(), "{problems:?}");
        assert!(at(2)[0].message.contains("not a valid row") && at(2)[0].fix.contains("JSON Lines"), "{problems:?}");
        assert!(at(3)[0].message.contains("708 does not appear in the quoted sentence"), "{problems:?}");
        assert!(at(4)[0].message.contains("unknown field `devce_label`"), "{problems:?}");
        assert!(at(5)[0].message.contains("unknown variant `gpu`"), "{problems:?}");
        assert!(at(6)[0].message.contains("repeats line 1"), "{problems:?}");
        assert!(at(7)[0].fix.contains("importer fills published_id"), "{problems:?}");
        assert!(at(8)[0].message.contains("column metric"), "{problems:?}");
        assert_eq!(problems.len(), 7, "{problems:?}");
    }

    #[test]
    fn labels_are_one_line_and_bounded() {
        let text = line("707").replace("Jetson Orin NX", "Jetson\\nOrin NX");
        let problems = parse(&text).unwrap_err();
        assert!(problems[0].message.contains("column device_label") && problems[0].message.contains("control characters"), "{problems:?}");
        let long = line("707").replace("Jetson Orin NX", &"x".repeat(2000));
        assert!(parse(&long).unwrap_err()[0].message.contains("1024-byte limit"));
    }

    #[test]
    fn problems_render_with_file_and_line() {
        let err = ImportError::Invalid {
            path: PathBuf::from("sources/x.jsonl"),
            problems: vec![SourceProblem { line: 4, message: "column value: bad".into(), fix: "fix it".into() }],
        };
        assert_eq!(err.to_string(), "sources/x.jsonl:4: column value: bad; fix it");
    }
}
