//! `v1/MANIFEST.json`: the list of every shard, with its hash, size and row count.
//!
//! The manifest is what makes a contribution reviewable: a pull request adds shard files and the
//! lines that list them. It is written sorted and pretty-printed so diffs are small and stable.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fsutil;
use crate::schema::Sha256Hex;
use crate::schema::v1::{SCHEMA_VERSION, VERSIONS, version_rank};

pub const MANIFEST_FILE: &str = "MANIFEST.json";
pub const MANIFEST_FORMAT: &str = "edgebench-manifest/1";
/// Largest manifest the tools will read (about 300 000 shards).
pub const MAX_MANIFEST_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always `edgebench-manifest/1`.
    pub format: String,
    /// The newest schema version among the shards listed (or, in a manifest listing none, the
    /// version it was created under): a reader that knows it can read every shard. Each shard's own
    /// version is in its entry.
    pub schema_version: String,
    pub shards: Vec<ShardEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardEntry {
    /// Path relative to the manifest's directory: `<table>/device=<slug>/model=<slug>/<sha256>.parquet`.
    pub path: String,
    pub table: String,
    /// sha256 of the file's bytes (also its file name).
    pub sha256: Sha256Hex,
    pub rows: u64,
    pub bytes: u64,
    /// The shard's schema version, as its footer names it.
    pub schema_version: String,
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest { format: MANIFEST_FORMAT.into(), schema_version: SCHEMA_VERSION.into(), shards: vec![] }
    }
}

impl Manifest {
    /// Reads and parses a manifest, refusing oversized files. Parse errors name line and column.
    pub fn load(path: &Path) -> Result<Manifest> {
        let bytes = fsutil::read_limited(path, MAX_MANIFEST_BYTES)?;
        let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
            Error::format(path, format!("line {}, column {}: {e}", e.line(), e.column()))
        })?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(Error::format(
                path,
                format!("format is `{}`, expected `{MANIFEST_FORMAT}`", manifest.format),
            ));
        }
        Ok(manifest)
    }

    /// The canonical text: shards sorted by path, two-space indentation, final newline.
    pub fn to_canonical_json(&self) -> String {
        let mut sorted = self.clone();
        sorted.shards.sort_by(|a, b| a.path.cmp(&b.path));
        let mut text = serde_json::to_string_pretty(&sorted).expect("manifest serialises");
        text.push('\n');
        text
    }

    /// Writes atomically: a crash leaves either the old or the new manifest, never a mix.
    pub fn save(&self, path: &Path) -> Result<()> {
        fsutil::write_atomic(path, self.to_canonical_json().as_bytes())
    }

    /// Raises `schema_version` to the newest known version of the listed shards, so that it keeps
    /// its promise after shards were added. Never lowers it; unknown versions are left for the
    /// validator to report.
    pub fn raise_version(&mut self) {
        let newest = self.shards.iter().filter_map(|e| version_rank(&e.schema_version)).max();
        if let (Some(newest), Some(own)) = (newest, version_rank(&self.schema_version))
            && newest > own
        {
            self.schema_version = VERSIONS[newest].version.to_owned();
        }
    }

    pub fn contains_path(&self, path: &str) -> bool {
        self.shards.iter().any(|s| s.path == path)
    }
}
