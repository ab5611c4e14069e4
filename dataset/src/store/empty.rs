//! Zero-row shards for tables without rows.
//!
//! Readers find a table by its files: DuckDB and Polars fail on a glob that matches nothing,
//! Hugging Face `datasets` on a configuration without data files, pyarrow and pandas on a missing
//! directory. A fresh dataset (one `collect run` has only `runs` and `generations`) would then
//! be unreadable table by table. The rule: a table that has no shard gets one shard of the
//! current version with no rows, in the partition `device=no-device/model=no-model`. It is an
//! ordinary listed shard (its bytes are deterministic, so every dataset's empty shard of a table
//! is the same file), it stays when rows arrive (zero rows change no result), and it is written
//! through the journal like any commit. `dataset repair` and `dataset schema --write` add the
//! missing ones; the store never adds them by itself, so a writer's commits hold only its rows.

use super::{ShardPath, Store, WriteBatch};
use crate::error::Result;
use crate::ids::NO_MODEL;
use crate::manifest::ShardEntry;
use crate::schema::Sha256Hex;
use crate::schema::v1::{SCHEMA_VERSION, TABLES};
use crate::shard;

/// `device=` partition of the zero-row shards.
pub const NO_DEVICE: &str = "no-device";

/// The manifest entry and bytes of the zero-row shard of `table`.
pub fn empty_shard(table: &crate::schema::TableSchema) -> (ShardEntry, Vec<u8>) {
    let bytes = shard::encode_empty(table);
    let sha = Sha256Hex::of(&bytes);
    let path = ShardPath { table: table.name.into(), device: NO_DEVICE.into(), model: NO_MODEL.into(), sha256: sha.to_string() };
    let entry = ShardEntry {
        path: path.relative(),
        table: table.name.into(),
        sha256: sha,
        rows: 0,
        bytes: bytes.len() as u64,
        schema_version: SCHEMA_VERSION.into(),
    };
    (entry, bytes)
}

/// Tables of `manifest` that no listed shard belongs to.
pub fn tables_without_shards(manifest: &crate::manifest::Manifest) -> Vec<&'static str> {
    TABLES.iter().map(|t| t.name).filter(|name| !manifest.shards.iter().any(|s| s.table == *name)).collect()
}

impl Store {
    /// Gives every table that has no shard its zero-row shard, in one commit. Returns the shards
    /// written (none when every table has a shard).
    pub fn add_empty_shards(&mut self) -> Result<Vec<ShardEntry>> {
        let mut batch = WriteBatch::default();
        for name in tables_without_shards(&self.manifest) {
            let table = crate::schema::v1::table(name).expect("a table of TABLES");
            batch.shards.push(empty_shard(table));
        }
        self.commit(batch)
    }
}
