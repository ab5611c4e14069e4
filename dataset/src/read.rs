//! Reading the dataset without the writer's lock: whole tables into row structs
//! ([`read_table`]) or a few columns at a time ([`for_each_projected_batch`] and the helpers on
//! it), for the report and `dataset ls`; the same one shard at a time ([`read_shard`],
//! [`scan_shard`], [`for_each_batch_in_shard`]) for callers that read shards on threads of their
//! own, optionally with text columns decoded as dictionaries.
//!
//! Each shard's bytes are checked against the manifest's sha256, and its footer's schema version
//! and columns against the schema value ([`OpenedShard::version`]) before anything is decoded.
//! Shards of every known version are read: batches are completed to the current version's columns
//! ([`shard::complete_batch`]), so a row read from a shard written before a column existed has
//! that column null. For the full set of checks use [`crate::validate`].

use std::path::Path;

use crate::error::{Error, Result};
use crate::fsutil;
use crate::manifest::{MANIFEST_FILE, Manifest, ShardEntry};
use crate::schema::v1::VERSION_DIR;
use crate::schema::{ColumnSpec, Sha256Hex, TableSchema};
use crate::shard::{self, Limits, OpenedShard};
use crate::table::Table;

/// Reads every row of `T`'s table from the dataset at `root` (read-only; no lock). Each shard's
/// hash is checked against the manifest. For the full set of checks use [`crate::validate`].
pub fn read_table<T: Table>(root: &Path) -> Result<Vec<T>> {
    let version_dir = root.join(VERSION_DIR);
    let manifest = Manifest::load(&version_dir.join(MANIFEST_FILE))?;
    let mut rows = Vec::new();
    for entry in manifest.shards.iter().filter(|s| s.table == T::schema().name) {
        rows.extend(read_shard_rows::<T>(&version_dir, entry)?);
    }
    Ok(rows)
}

/// Every row of one shard of `T`'s table (as [`read_table`] reads each), for callers that read
/// shards on threads of their own.
pub fn read_shard<T: Table>(root: &Path, entry: &ShardEntry) -> Result<Vec<T>> {
    read_shard_rows(&root.join(VERSION_DIR), entry)
}

pub(crate) fn read_shard_rows<T: Table>(version_dir: &Path, entry: &ShardEntry) -> Result<Vec<T>> {
    let limits = Limits::default();
    let path = version_dir.join(&entry.path);
    let bytes = fsutil::read_limited(&path, limits.max_file_bytes)?;
    if Sha256Hex::of(&bytes) != entry.sha256 {
        return Err(Error::format(&path, "its bytes do not match the sha256 that MANIFEST.json lists for it (changed or truncated since it was written)"));
    }
    let opened = OpenedShard::open(bytes.into(), &limits).map_err(|e| Error::format(&path, e))?;
    let version = opened.version(T::schema()).map_err(|e| Error::format(&path, e))?;
    let all: Vec<&ColumnSpec> = T::schema().columns.iter().collect();
    let mut rows = Vec::new();
    for batch in opened.batches(&limits).map_err(|e| Error::format(&path, e))? {
        let batch = batch.map_err(|e| Error::format(&path, e.to_string()))?;
        let batch = shard::complete_batch(&batch, version, &all, &limits).map_err(|e| Error::format(&path, e))?;
        rows.extend(shard::rows_of::<T>(&batch).map_err(|e| Error::format(&path, e))?);
    }
    Ok(rows)
}

/// Reads only `columns` of every shard of `table` into rows of `R` (a struct with exactly those
/// fields). For summaries that should not decode model outputs.
pub fn scan_columns<R: serde::de::DeserializeOwned>(
    root: &Path,
    manifest: &Manifest,
    table: &str,
    columns: &[&str],
) -> Result<Vec<R>> {
    let mut rows = Vec::new();
    for_each_projected(root, manifest, table, columns, |batch: Vec<R>| rows.extend(batch))?;
    Ok(rows)
}

/// Like [`scan_columns`], but hands the rows to `visit` one record batch at a time, so that a
/// caller folding millions of rows into sums never holds them all. Each shard's hash is checked
/// against the manifest first.
pub fn for_each_projected<R: serde::de::DeserializeOwned>(
    root: &Path,
    manifest: &Manifest,
    table: &str,
    columns: &[&str],
    mut visit: impl FnMut(Vec<R>),
) -> Result<()> {
    for_each_projected_batch(root, manifest, table, columns, |path, batch| {
        visit(serde_arrow::from_record_batch::<Vec<R>>(batch).map_err(|e| Error::format(path, e.to_string()))?);
        Ok(())
    })
}

/// [`scan_columns`] for one shard (see [`for_each_batch_in_shard`]): its rows, projected to
/// `columns`, as `R`.
pub fn scan_shard<R: serde::de::DeserializeOwned>(root: &Path, entry: &ShardEntry, columns: &[&str]) -> Result<Vec<R>> {
    let mut rows = Vec::new();
    for_each_batch_in_shard(root, entry, columns, &[], |path, batch| {
        rows.extend(serde_arrow::from_record_batch::<Vec<R>>(batch).map_err(|e| Error::format(path, e.to_string()))?);
        Ok(())
    })?;
    Ok(rows)
}

/// Hands every record batch of `table`, projected to `columns`, to `visit` with the shard's path
/// (for messages), for callers that fold columns directly without building rows. Each shard's
/// hash is checked against the manifest first, and its version and columns (as for
/// [`read_table`]); the batches hold the requested columns in schema order with the schema's
/// Arrow types, those added after a shard's version as nulls.
pub fn for_each_projected_batch(
    root: &Path,
    manifest: &Manifest,
    table: &str,
    columns: &[&str],
    mut visit: impl FnMut(&Path, &arrow_array::RecordBatch) -> Result<()>,
) -> Result<()> {
    projection(table, columns)?;
    for entry in manifest.shards.iter().filter(|s| s.table == table) {
        for_each_batch_in_shard(root, entry, columns, &[], &mut visit)?;
    }
    Ok(())
}

/// [`for_each_projected_batch`] for one shard (of the table `entry.table` names), so that callers
/// can read shards on threads of their own and combine what they fold in manifest order. The
/// text columns named in `dictionary` come as `Dictionary(Int32, Utf8)`
/// ([`shard::dictionary_type`]), except that a column added after the shard's version comes as
/// nulls of its plain type. The integrity checks are [`for_each_projected_batch`]'s.
pub fn for_each_batch_in_shard(
    root: &Path,
    entry: &ShardEntry,
    columns: &[&str],
    dictionary: &[&str],
    mut visit: impl FnMut(&Path, &arrow_array::RecordBatch) -> Result<()>,
) -> Result<()> {
    let (schema, wanted) = projection(&entry.table, columns)?;
    let limits = Limits::default();
    let path = root.join(VERSION_DIR).join(&entry.path);
    let bytes = fsutil::read_limited(&path, limits.max_file_bytes)?;
    if Sha256Hex::of(&bytes) != entry.sha256 {
        return Err(Error::format(&path, "its bytes do not match the sha256 that MANIFEST.json lists for it (changed or truncated since it was written)"));
    }
    let opened = OpenedShard::open(bytes.into(), &limits).map_err(|e| Error::format(&path, e))?;
    let version = opened.version(schema).map_err(|e| Error::format(&path, e))?;
    for batch in opened.projected_batches_as(&limits, columns, dictionary).map_err(|e| Error::format(&path, e))? {
        let batch = batch.map_err(|e| Error::format(&path, e.to_string()))?;
        let batch = shard::complete_batch(&batch, version, &wanted, &limits).map_err(|e| Error::format(&path, e))?;
        visit(&path, &batch)?;
    }
    Ok(())
}

/// `table`'s schema and the specs of `columns` in schema order; an unknown table or column is an
/// error.
fn projection(table: &str, columns: &[&str]) -> Result<(&'static TableSchema, Vec<&'static ColumnSpec>)> {
    let schema = crate::schema::v1::table(table)
        .ok_or_else(|| Error::InvalidRows(format!("`{table}` is not a table of schema {VERSION_DIR}")))?;
    if let Some(unknown) = columns.iter().find(|c| schema.column(c).is_none()) {
        return Err(Error::InvalidRows(format!("`{unknown}` is not a column of `{table}`")));
    }
    Ok((schema, schema.columns.iter().filter(|c| columns.contains(&c.name)).collect()))
}
