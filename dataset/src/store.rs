//! The dataset on disk: `<root>/v1/<table>/device=<slug>/model=<slug>/<sha256>.parquet` plus
//! `<root>/v1/MANIFEST.json`.
//!
//! Writes never leave a partial shard or a manifest naming a missing file: a shard is written to a
//! hidden temporary file, fsynced and renamed to its content hash; only then is the manifest
//! rewritten (atomically) to list it. A crash between the two leaves a complete but unlisted
//! shard, which [`Store::open`] adopts the next time (after checking its hash and schema), and
//! leftover temporaries, which it deletes. One writer at a time holds `v1/.lock`.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use arrow_array::{Array, StringArray};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::{Error, Result};
use crate::fsutil::{self, TMP_MARKER};
use crate::manifest::{MANIFEST_FILE, Manifest, ShardEntry};
use crate::schema::v1::{SCHEMA_VERSION, VERSION_DIR};
use crate::schema::{Sha256Hex, is_sha256_hex};
use crate::shard::{self, Limits, OpenedShard};
use crate::table::Table;
use crate::validate::rules::Issue;

pub const LOCK_FILE: &str = ".lock";

/// Where a shard lives, parsed from its path relative to `v1/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardPath {
    pub table: String,
    pub device: String,
    pub model: String,
    pub sha256: String,
}

impl ShardPath {
    pub fn relative(&self) -> String {
        format!("{}/device={}/model={}/{}.parquet", self.table, self.device, self.model, self.sha256)
    }

    /// Parses `<table>/device=<slug>/model=<slug>/<sha256>.parquet`.
    pub fn parse(rel: &str) -> Result<ShardPath, String> {
        let parts: Vec<&str> = rel.split('/').collect();
        let expected = "expected <table>/device=<slug>/model=<slug>/<sha256>.parquet";
        let [table, device, model, file] = parts.as_slice() else {
            return Err(format!("path `{rel}` has {} segments; {expected}", parts.len()));
        };
        let device = device
            .strip_prefix("device=")
            .ok_or_else(|| format!("`{device}` should be `device=<slug>`; {expected}"))?;
        let model = model
            .strip_prefix("model=")
            .ok_or_else(|| format!("`{model}` should be `model=<slug>`; {expected}"))?;
        let sha = file
            .strip_suffix(".parquet")
            .ok_or_else(|| format!("`{file}` should end in .parquet; {expected}"))?;
        if !is_sha256_hex(sha) {
            return Err(format!("file name `{file}` should be the sha256 of the file's bytes"));
        }
        for (what, slug) in [("device", device), ("model", model)] {
            if crate::ids::slug(slug) != *slug {
                return Err(format!("{what} partition `{slug}` is not a slug (lower-case a-z, 0-9, `-`)"));
            }
        }
        Ok(ShardPath {
            table: (*table).to_owned(),
            device: device.to_owned(),
            model: model.to_owned(),
            sha256: sha.to_owned(),
        })
    }
}

/// A dataset opened for writing.
pub struct Store {
    version_dir: PathBuf,
    manifest: Manifest,
    _lock: File,
}

/// What [`Store::open`] found left over from an interrupted write.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Recovery {
    /// Temporary files deleted.
    pub removed_temporaries: Vec<PathBuf>,
    /// Complete shards that were missing from the manifest and have been added to it.
    pub adopted_shards: Vec<String>,
}

impl Store {
    /// Opens (creating if needed) the dataset at `root` for writing, takes its lock and recovers
    /// from any interrupted write.
    pub fn open(root: &Path) -> Result<(Store, Recovery)> {
        let version_dir = root.join(VERSION_DIR);
        fs::create_dir_all(&version_dir).map_err(Error::io(&version_dir))?;
        let lock_path = version_dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(Error::io(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(Error::Locked { path: lock_path }),
            Err(fs::TryLockError::Error(e)) => return Err(Error::Io { path: lock_path, source: e }),
        }
        let manifest_path = version_dir.join(MANIFEST_FILE);
        let manifest = if manifest_path.exists() {
            Manifest::load(&manifest_path)?
        } else {
            let m = Manifest::default();
            m.save(&manifest_path)?;
            m
        };
        let mut store = Store { version_dir, manifest, _lock: lock };
        let recovery = store.recover()?;
        Ok((store, recovery))
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn recover(&mut self) -> Result<Recovery> {
        let mut recovery = Recovery::default();
        let mut files = Vec::new();
        walk_files(&self.version_dir, &mut files)?;
        for path in files {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name.contains(TMP_MARKER) {
                fs::remove_file(&path).map_err(Error::io(&path))?;
                recovery.removed_temporaries.push(path);
                continue;
            }
            let Some(rel) = relative(&self.version_dir, &path) else { continue };
            if !rel.ends_with(".parquet") || self.manifest.contains_path(&rel) {
                continue;
            }
            // Adopt only a shard that is exactly what the writer would have produced.
            if let Ok(entry) = check_orphan(&self.version_dir, &rel) {
                self.manifest.shards.push(entry);
                recovery.adopted_shards.push(rel);
            }
        }
        if !recovery.adopted_shards.is_empty() {
            self.manifest.save(&self.version_dir.join(MANIFEST_FILE))?;
        }
        Ok(recovery)
    }

    /// Ids of every stored row of `T`'s table (reads the id column only).
    pub fn existing_ids<T: Table>(&self) -> Result<HashSet<Sha256Hex>> {
        read_ids(&self.version_dir, &self.manifest, T::schema().name, T::schema().id_column)
    }

    /// Appends rows: checks them, groups them by partition, writes one shard per partition and
    /// lists the new shards in the manifest. Refuses the whole batch if any row has a wrong id,
    /// fails a check, or repeats an id already stored or given twice.
    pub fn append<T: Table>(&mut self, rows: Vec<T>) -> Result<Vec<ShardEntry>> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let table = T::schema().name;
        let mut seen = self.existing_ids::<T>()?;
        let mut problems = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let expected = row.compute_id();
            if *row.id() != expected {
                problems.push(format!("{table} row {i}: id {} should be {expected}", row.id()));
            }
            if !seen.insert(row.id().clone()) {
                problems.push(format!("{table} row {i}: id {} is already in the dataset", row.id()));
            }
            let mut issues: Vec<Issue> = Vec::new();
            row.check(&mut issues);
            for issue in issues {
                problems.push(format!("{table} row {i}, column {}: {}", issue.column, issue.message));
            }
        }
        if !problems.is_empty() {
            return Err(Error::InvalidRows(problems.join("\n")));
        }
        let mut partitions: BTreeMap<(String, String), Vec<T>> = BTreeMap::new();
        for row in rows {
            partitions.entry(row.partition()).or_default().push(row);
        }
        let mut written = Vec::new();
        for ((device, model), mut part) in partitions {
            let bytes = shard::encode(&mut part).map_err(Error::InvalidRows)?;
            let sha = Sha256Hex::of(&bytes);
            let path = ShardPath { table: table.into(), device, model, sha256: sha.to_string() };
            let rel = path.relative();
            let abs = self.version_dir.join(&rel);
            fsutil::write_atomic(&abs, &bytes)?;
            written.push(ShardEntry {
                path: rel,
                table: table.into(),
                sha256: sha,
                rows: part.len() as u64,
                bytes: bytes.len() as u64,
                schema_version: SCHEMA_VERSION.into(),
            });
        }
        self.manifest.shards.extend(written.iter().cloned());
        self.manifest.save(&self.version_dir.join(MANIFEST_FILE))?;
        Ok(written)
    }
}

fn check_orphan(version_dir: &Path, rel: &str) -> Result<ShardEntry, String> {
    let path = ShardPath::parse(rel)?;
    let schema = crate::schema::v1::table(&path.table).ok_or("unknown table")?;
    let bytes = fsutil::read_limited(&version_dir.join(rel), Limits::default().max_file_bytes)
        .map_err(|e| e.to_string())?;
    let sha = Sha256Hex::of(&bytes);
    if sha.as_str() != path.sha256 {
        return Err("name is not the hash of the bytes".into());
    }
    let len = bytes.len() as u64;
    let opened = OpenedShard::open(bytes.into(), &Limits::default())?;
    if opened.arrow_schema().fields() != schema.arrow_schema().fields() {
        return Err("schema differs".into());
    }
    Ok(ShardEntry {
        path: rel.to_owned(),
        table: path.table,
        sha256: sha,
        rows: opened.num_rows(),
        bytes: len,
        schema_version: SCHEMA_VERSION.into(),
    })
}

/// Every file under `dir`, recursively (symlinks are listed, not followed).
pub(crate) fn walk_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(Error::io(dir))?
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(Error::io(dir))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type().map_err(Error::io(&path))?;
        if kind.is_dir() {
            walk_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// `path` relative to `base`, with `/` separators.
pub(crate) fn relative(base: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(base).ok()?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

fn read_ids(version_dir: &Path, manifest: &Manifest, table: &str, id_column: &str) -> Result<HashSet<Sha256Hex>> {
    let mut ids = HashSet::new();
    for entry in manifest.shards.iter().filter(|s| s.table == table) {
        let path = version_dir.join(&entry.path);
        let file = File::open(&path).map_err(Error::io(&path))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| Error::format(&path, e.to_string()))?;
        let mask = ProjectionMask::columns(builder.parquet_schema(), [id_column]);
        let reader = builder.with_projection(mask).build().map_err(|e| Error::format(&path, e.to_string()))?;
        for batch in reader {
            let batch = batch.map_err(|e| Error::format(&path, e.to_string()))?;
            let column = batch
                .column_by_name(id_column)
                .and_then(|c| c.as_any().downcast_ref::<StringArray>().cloned())
                .ok_or_else(|| Error::format(&path, format!("no text column `{id_column}`")))?;
            for i in 0..column.len() {
                if column.is_valid(i) {
                    let id = Sha256Hex::parse(column.value(i)).map_err(|e| Error::format(&path, e))?;
                    ids.insert(id);
                }
            }
        }
    }
    Ok(ids)
}

/// Reads every row of `T`'s table from the dataset at `root` (read-only; no lock). Each shard's
/// hash is checked against the manifest. For the full set of checks use [`crate::validate`].
pub fn read_table<T: Table>(root: &Path) -> Result<Vec<T>> {
    let version_dir = root.join(VERSION_DIR);
    let manifest = Manifest::load(&version_dir.join(MANIFEST_FILE))?;
    let limits = Limits::default();
    let mut rows = Vec::new();
    for entry in manifest.shards.iter().filter(|s| s.table == T::schema().name) {
        let path = version_dir.join(&entry.path);
        let bytes = fsutil::read_limited(&path, limits.max_file_bytes)?;
        if Sha256Hex::of(&bytes) != entry.sha256 {
            return Err(Error::format(&path, "bytes do not match the manifest's sha256; run `dataset validate`"));
        }
        let opened = OpenedShard::open(bytes.into(), &limits).map_err(|e| Error::format(&path, e))?;
        if opened.arrow_schema().fields() != T::schema().arrow_schema().fields() {
            return Err(Error::format(&path, "schema differs from v1; run `dataset validate`"));
        }
        for batch in opened.batches(&limits).map_err(|e| Error::format(&path, e))? {
            let batch = batch.map_err(|e| Error::format(&path, e.to_string()))?;
            rows.extend(shard::rows_of::<T>(&batch).map_err(|e| Error::format(&path, e))?);
        }
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
    let version_dir = root.join(VERSION_DIR);
    let limits = Limits::default();
    let mut rows = Vec::new();
    for entry in manifest.shards.iter().filter(|s| s.table == table) {
        let path = version_dir.join(&entry.path);
        let bytes = fsutil::read_limited(&path, limits.max_file_bytes)?;
        let opened = OpenedShard::open(bytes.into(), &limits).map_err(|e| Error::format(&path, e))?;
        for batch in opened.projected_batches(&limits, columns).map_err(|e| Error::format(&path, e))? {
            let batch = batch.map_err(|e| Error::format(&path, e.to_string()))?;
            rows.extend(serde_arrow::from_record_batch::<Vec<R>>(&batch).map_err(|e| Error::format(&path, e.to_string()))?);
        }
    }
    Ok(rows)
}
