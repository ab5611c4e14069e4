//! Every row of a dataset as text cells keyed by row id, for comparing two versions of it.
//!
//! Rows are read at the current schema version (columns a shard's version lacks are null), so a
//! row rewritten at a newer version compares equal to its old self. A shard that cannot be read is
//! recorded, not fatal: `validate` says what is wrong with it, and the comparison goes on without it.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use arrow_array::{Array, BooleanArray, Float64Array, Int32Array, StringArray, TimestampMicrosecondArray, UInt32Array, UInt64Array};

use crate::fsutil;
use crate::manifest::{MANIFEST_FILE, Manifest, ShardEntry};
use crate::schema::v1::{TABLES, VERSION_DIR};
use crate::schema::{ColumnSpec, Sha256Hex, TableSchema};
use crate::shard::{self, Limits, OpenedShard};

/// Where a row is stored and what it holds.
#[derive(Debug, Clone)]
pub struct StoredRow {
    /// Shard path relative to `v1/`.
    pub shard: String,
    /// 0-based row within the shard.
    pub row: u64,
    /// Cells in the table's column order, as text (None = null).
    pub cells: Vec<Option<String>>,
}

/// The rows of one table: id → every place the id is stored (more than one is a duplicate).
#[derive(Debug, Default)]
pub struct TableRows {
    pub by_id: HashMap<String, Vec<StoredRow>>,
}

/// A dataset read whole.
pub struct Snapshot {
    pub manifest: Manifest,
    pub tables: BTreeMap<&'static str, TableRows>,
    /// Shards that could not be read: (path relative to v1/, why).
    pub unreadable: Vec<(String, String)>,
}

impl Snapshot {
    /// An empty dataset (the base of a repository's first contribution).
    pub fn empty() -> Snapshot {
        Snapshot { manifest: Manifest::default(), tables: BTreeMap::new(), unreadable: vec![] }
    }

    /// Reads every listed shard of the dataset at `root`.
    pub fn read(root: &Path, limits: &Limits) -> Result<Snapshot, String> {
        let version_dir = root.join(VERSION_DIR);
        let manifest = Manifest::load(&version_dir.join(MANIFEST_FILE)).map_err(|e| e.to_string())?;
        let mut tables: BTreeMap<&'static str, TableRows> = TABLES.iter().map(|t| (t.name, TableRows::default())).collect();
        let mut unreadable = Vec::new();
        for entry in &manifest.shards {
            let Some(schema) = TABLES.iter().find(|t| t.name == entry.table) else {
                unreadable.push((entry.path.clone(), format!("`{}` is not a table", entry.table)));
                continue;
            };
            match read_shard(&version_dir, entry, schema, limits) {
                Ok(rows) => {
                    let table = tables.get_mut(schema.name).expect("every table has an entry");
                    for (id, row) in rows {
                        table.by_id.entry(id).or_default().push(row);
                    }
                }
                Err(why) => unreadable.push((entry.path.clone(), why)),
            }
        }
        Ok(Snapshot { manifest, tables, unreadable })
    }

    pub fn table(&self, name: &str) -> Option<&TableRows> {
        self.tables.get(name)
    }

    pub fn entry(&self, path: &str) -> Option<&ShardEntry> {
        self.manifest.shards.iter().find(|s| s.path == path)
    }
}

fn read_shard(version_dir: &Path, entry: &ShardEntry, schema: &TableSchema, limits: &Limits) -> Result<Vec<(String, StoredRow)>, String> {
    let path = version_dir.join(&entry.path);
    let bytes = fsutil::read_limited(&path, limits.max_file_bytes).map_err(|e| e.to_string())?;
    if Sha256Hex::of(&bytes) != entry.sha256 {
        return Err("bytes do not match the manifest's sha256".into());
    }
    let opened = OpenedShard::open(bytes.into(), limits)?;
    let version = opened.version(schema)?;
    let all: Vec<&ColumnSpec> = schema.columns.iter().collect();
    let id_index = schema.columns.iter().position(|c| c.name == schema.id_column).expect("the id column is a column");
    let mut out = Vec::new();
    let mut row_in_shard = 0u64;
    for batch in opened.batches(limits)? {
        let batch = batch.map_err(|e| e.to_string())?;
        let batch = shard::complete_batch(&batch, version, &all, limits)?;
        for i in 0..batch.num_rows() {
            let cells: Vec<Option<String>> = batch.columns().iter().map(|c| cell_text(c.as_ref(), i)).collect();
            let id = cells[id_index].clone().ok_or_else(|| format!("row {row_in_shard}: the id column is null"))?;
            out.push((id, StoredRow { shard: entry.path.clone(), row: row_in_shard, cells }));
            row_in_shard += 1;
        }
    }
    Ok(out)
}

/// A cell as text: exact for every Arrow type schema v1 uses (floats in their shortest
/// round-trip form, timestamps as microseconds), so equal text means an equal value.
pub fn cell_text(array: &dyn Array, row: usize) -> Option<String> {
    if array.is_null(row) {
        return None;
    }
    let any = array.as_any();
    if let Some(a) = any.downcast_ref::<Float64Array>() {
        return Some(crate::ids::float_key(a.value(row)));
    }
    if let Some(a) = any.downcast_ref::<TimestampMicrosecondArray>() {
        return Some(a.value(row).to_string());
    }
    if any.is::<StringArray>() || any.is::<BooleanArray>() || any.is::<Int32Array>() || any.is::<UInt32Array>() || any.is::<UInt64Array>() {
        return shard::value_text(array, row);
    }
    Some(format!("{:?}", array.slice(row, 1)))
}
