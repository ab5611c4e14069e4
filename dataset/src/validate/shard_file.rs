//! The checks of one shard file, in the order its parts are read: the bytes (not a link, within
//! the size limit, hash = file name = manifest entry, size as listed), the Parquet metadata
//! (declared row count as listed, schema version and columns: [`super::schema`]), the footer's
//! `edgebench.*` entries, then the rows, a batch at a time (column constraints, then each row as
//! the current struct: [`Validator::check_row`]).
//!
//! Each step reports to the shard's [`Sink`] and says whether the next one can run: a file that
//! cannot be read or opened stops there, one whose hash is wrong is still checked as far as it goes.

use std::fs;
use std::path::Path;

use super::schema::{self, ShardVersion};
use super::{Sink, Validator, columns};
use crate::fsutil;
use crate::manifest::ShardEntry;
use crate::schema::v1::version_rank;
use crate::schema::{ColumnSpec, Sha256Hex, TableSchema};
use crate::shard::{self, FOOTER_PROVENANCE_COLUMNS, OpenedShard};
use crate::store::ShardPath;
use crate::table::Table;

/// A footer entry that every row must repeat: (column, the footer's value).
type FooterCheck = (String, String);

impl Validator {
    pub(super) fn check_shard<T: Table>(&mut self, sp: &ShardPath, rel: &str, entry: Option<&ShardEntry>) {
        let file = self.display(rel);
        let abs = self.version_dir.join(rel);
        let file_index = self.files.len() as u32;
        self.files.push(file.clone());
        self.report.shards_checked += 1;
        let mut problems = std::mem::take(&mut self.report.problems);
        let mut sink = Sink { file: &file, problems: &mut problems, count: 0 };
        self.unresolved_run_refs = 0;
        let complete = self.check_shard_into::<T>(sp, &abs, entry, file_index, &mut sink);
        if T::schema().name == "runs" && !complete {
            self.runs_incomplete = true;
        }
        if self.unresolved_run_refs > 0 {
            sink.add(None, Some("run_id"), format!("{} rows reference runs that are not in the readable runs shards (some runs shards could not be read: see above)", self.unresolved_run_refs), "fix the runs shards first");
        }
        sink.finish();
        self.report.problems = problems;
    }

    /// Returns whether every row of the shard could be read and checked.
    fn check_shard_into<T: Table>(&mut self, sp: &ShardPath, abs: &Path, entry: Option<&ShardEntry>, file_index: u32, sink: &mut Sink) -> bool {
        let schema: &TableSchema = T::schema();
        let Some(bytes) = self.read_shard_bytes(sp, abs, entry, sink) else {
            return false;
        };
        let Some(opened) = self.open_shard(bytes, entry, sink) else {
            return false;
        };
        let Some(version) = schema::shard_version(schema, &opened, sink) else {
            return false;
        };
        let footer_checks = check_footer(schema, &opened, &version, entry, sink);
        self.check_rows::<T>(sp, &opened, &version, footer_checks, file_index, sink)
    }

    /// The shard's bytes, read only once its size is known to be within the limit; checks that
    /// they hash to the file name and match the manifest entry. `None` when they cannot be read.
    fn read_shard_bytes(&self, sp: &ShardPath, abs: &Path, entry: Option<&ShardEntry>, sink: &mut Sink) -> Option<Vec<u8>> {
        if fs::symlink_metadata(abs).map(|m| m.file_type().is_symlink()).unwrap_or(false) {
            sink.add(None, None, "is a symbolic link; shards must be regular files", "replace the link with the file");
            return None;
        }
        let bytes = match fsutil::read_limited(abs, self.limits.max_file_bytes) {
            Ok(b) => b,
            Err(crate::Error::Format { message, .. }) => {
                sink.add(None, None, message, "split the data into shards under the limit");
                return None;
            }
            Err(e) => {
                sink.add(None, None, format!("cannot read: {e}"), "check the file and its permissions");
                return None;
            }
        };
        let len = bytes.len() as u64;
        let sha = Sha256Hex::of(&bytes);
        if sha.as_str() != sp.sha256 {
            sink.add(None, None, format!("file name is not the sha256 of its bytes ({sha}); the file was changed after it was written"), "never edit shards: regenerate it with the edgebench tools");
        }
        if let Some(e) = entry {
            if e.sha256 != sha {
                sink.add(None, None, "bytes do not match the sha256 in MANIFEST.json", "regenerate the shard or its manifest entry (`dataset repair`)");
            }
            if e.bytes != len {
                sink.add(None, None, format!("is {len} bytes but MANIFEST.json says {}", e.bytes), "regenerate the manifest entry");
            }
        }
        Some(bytes)
    }

    /// Opens the bytes as Parquet (metadata within [`crate::shard::Limits`]) and checks the
    /// declared row count against the manifest entry. `None` when they are not a readable shard.
    fn open_shard(&self, bytes: Vec<u8>, entry: Option<&ShardEntry>, sink: &mut Sink) -> Option<OpenedShard> {
        let opened = match OpenedShard::open(bytes.into(), &self.limits) {
            Ok(o) => o,
            Err(message) => {
                sink.add(None, None, message, "regenerate the shard with the edgebench tools");
                return None;
            }
        };
        if let Some(e) = entry
            && e.rows != opened.num_rows()
        {
            sink.add(None, None, format!("holds {} rows but MANIFEST.json says {}", opened.num_rows(), e.rows), "regenerate the manifest entry");
        }
        Some(opened)
    }

    /// Decodes the rows a batch at a time: checks that they repeat the footer's values, the column
    /// constraints, then each row as the current struct; counts them against the footer's total.
    /// Returns whether every row could be decoded and checked.
    fn check_rows<T: Table>(&mut self, sp: &ShardPath, opened: &OpenedShard, version: &ShardVersion, mut footer_checks: Vec<FooterCheck>, file_index: u32, sink: &mut Sink) -> bool {
        let schema: &TableSchema = T::schema();
        let batches = match opened.batches(&self.limits) {
            Ok(b) => b,
            Err(message) => {
                sink.add(None, None, message, "regenerate the shard");
                return false;
            }
        };
        let all: Vec<&ColumnSpec> = schema.columns.iter().collect();
        let mut offset: u64 = 0;
        for batch in batches {
            let batch = match batch {
                Ok(b) => b,
                Err(e) => {
                    sink.add(Some(offset), None, format!("cannot decode rows: {e}"), "the file is corrupt: regenerate it");
                    return false;
                }
            };
            footer_checks.retain(|(col, expected)| {
                let Some(array) = batch.column_by_name(col) else { return false };
                for i in 0..array.len() {
                    let actual = shard::value_text(array.as_ref(), i);
                    if actual.as_deref() != Some(expected.as_str()) {
                        sink.add(Some(offset + i as u64), Some(col), format!("is {} but the footer says `{expected}`", actual.map(|a| format!("`{a}`")).unwrap_or("null".into())), "regenerate the shard");
                        return false;
                    }
                }
                true
            });
            let column_issues = columns::check_batch(schema, &batch);
            let clean = column_issues.is_empty();
            for (row, issue) in column_issues {
                sink.add(row.map(|r| offset + r as u64), Some(issue.column), issue.message, issue.fix);
            }
            // Rows are checked as the current struct: the columns the shard's version lacks are null.
            match shard::complete_batch(&batch, version.version, &all, &self.limits).and_then(|b| shard::rows_of::<T>(&b)) {
                Ok(rows) => {
                    for (i, row) in rows.iter().enumerate() {
                        self.check_row(row, sp, file_index, offset + i as u64, sink);
                    }
                }
                Err(message) if clean => sink.add(Some(offset), None, message, "regenerate the shard"),
                Err(_) => {}
            }
            offset += batch.num_rows() as u64;
        }
        self.report.rows_checked += offset;
        if offset != opened.num_rows() {
            sink.add(None, None, format!("decoded {offset} rows but the footer declares {}", opened.num_rows()), "the file is corrupt: regenerate it");
            return false;
        }
        true
    }
}

/// Footer: the table must be there (the version was checked with the columns); every other
/// `edgebench.*` entry must be a provenance column whose value is the same in every row. Returns
/// those values (and the version, when the footer names it) for the rows to be checked against.
fn check_footer(schema: &TableSchema, opened: &OpenedShard, version: &ShardVersion, entry: Option<&ShardEntry>, sink: &mut Sink) -> Vec<FooterCheck> {
    let mut footer_checks: Vec<FooterCheck> = Vec::new();
    if version.from_footer {
        // The rows repeat the footer's version, and so does the manifest entry.
        footer_checks.push(("schema_version".into(), version.version.into()));
        if let Some(e) = entry
            && version_rank(&e.schema_version).is_some()
            && e.schema_version != version.version
        {
            sink.add(
                None,
                None,
                format!("MANIFEST.json says schema version `{}` but the shard's footer says `{}`", e.schema_version, version.version),
                format!("set the entry's schema_version to `{}`", version.version),
            );
        }
    }
    let entries = opened.footer_entries();
    if !entries.iter().any(|(k, _)| k == "table") {
        sink.add(None, None, "footer lacks `edgebench.table`", "write shards with the edgebench dataset writer");
    }
    for (k, value) in entries {
        let value = value.unwrap_or_default();
        match k.as_str() {
            "table" if value != schema.name => sink.add(None, None, format!("footer says table `{value}` but the shard is under `{}`", schema.name), "move the shard or regenerate it"),
            "table" | "schema_version" | "writer" => {}
            col if FOOTER_PROVENANCE_COLUMNS.contains(&col) && schema.column(col).is_some() => footer_checks.push((k, value)),
            _ => sink.add(None, None, format!("footer has unknown entry `edgebench.{k}`"), "only the dataset writer's entries belong in the footer"),
        }
    }
    footer_checks
}
