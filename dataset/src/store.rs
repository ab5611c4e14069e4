//! The dataset on disk: `<root>/v1/<table>/device=<slug>/model=<slug>/<sha256>.parquet` plus
//! `<root>/v1/MANIFEST.json`.
//!
//! Writes are transactions ([`WriteBatch`]): rows of several tables (a run and its generations)
//! land together or not at all. [`Store::commit`] first writes a journal naming every shard of
//! the batch, then writes each shard to a hidden temporary file, fsyncs it and renames it to its
//! content hash, then rewrites the manifest atomically (the commit point), then deletes the
//! journal. After a crash, [`Store::open`] reads any journal left behind: if every shard it names
//! is complete the batch is rolled forward into the manifest, otherwise the shards it names are
//! deleted (rolled back); temporaries are deleted. So the manifest never names a missing or
//! partial shard, and a batch is never half visible. [`Store::rewrite`] replaces a shard by a new
//! version of the same rows (relevance scores added after measurement) through the same journal,
//! which then also names the shard being replaced. [`Store::compact`] (module [`compact`]) merges
//! the shards of each partition into one, or a few of bounded size, through the same journal: one
//! transaction names every merged shard it writes and every shard it replaces, so a crash leaves
//! the dataset either as it was or wholly compacted. Unlisted shards that no journal explains
//! (for example a manifest line lost in a merge) are only adopted by an explicit
//! [`Store::adopt_unlisted`] (`dataset repair`). One writer at a time holds `v1/.lock`.
//!
//! Versions: every shard the store writes is of the current schema version
//! ([`SCHEMA_VERSION`]), rows and footer alike; shards of older versions are never touched except
//! by a [`Store::rewrite`] or a compaction, whose new shards are then of the current version (row
//! ids do not include the version, so they do not change). Readers
//! ([`read_table`], [`for_each_projected_batch`]...) accept shards of every known version and
//! hand out rows of the current one, the columns an old shard lacks being null.

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

pub mod compact;
pub mod empty;
pub use compact::{CompactScope, CompactSummary, Compaction, TableCompaction};
pub use crate::read::{for_each_projected, for_each_projected_batch, read_table, scan_columns};
use crate::read::read_shard_rows;

pub const LOCK_FILE: &str = ".lock";
/// Prefix of transaction journals in `v1/` (`.journal-<id>.json`).
pub const JOURNAL_PREFIX: &str = ".journal-";

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
    /// Row ids per table, loaded on first use and kept current by [`Store::commit`].
    ids: std::collections::HashMap<&'static str, HashSet<Sha256Hex>>,
    _lock: File,
}

/// Shards staged for one atomic commit: rows of any tables, checked and encoded.
#[derive(Default)]
pub struct WriteBatch {
    shards: Vec<(ShardEntry, Vec<u8>)>,
    ids: std::collections::HashMap<&'static str, Vec<Sha256Hex>>,
}

impl WriteBatch {
    pub fn is_empty(&self) -> bool {
        self.shards.is_empty()
    }

    /// `(path relative to v1/, bytes)` of each staged shard.
    pub fn shards(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.shards.iter().map(|(e, b)| (e.path.as_str(), b.as_slice()))
    }

    /// The manifest entry of each staged shard (what a commit's journal names).
    pub fn entries(&self) -> impl Iterator<Item = &ShardEntry> {
        self.shards.iter().map(|(e, _)| e)
    }

    fn push<T: Table>(&mut self, entry: ShardEntry, rows: &[T], bytes: Vec<u8>) {
        self.ids.entry(T::schema().name).or_default().extend(rows.iter().map(|r| r.id().clone()));
        self.shards.push((entry, bytes));
    }
}

/// The manifest entry of a shard of the current version holding `rows` rows of `table`.
fn shard_entry(table: &str, device: String, model: String, rows: usize, bytes: &[u8]) -> ShardEntry {
    let sha = Sha256Hex::of(bytes);
    let path = ShardPath { table: table.into(), device, model, sha256: sha.to_string() };
    ShardEntry {
        path: path.relative(),
        table: table.into(),
        sha256: sha,
        rows: rows as u64,
        bytes: bytes.len() as u64,
        schema_version: SCHEMA_VERSION.into(),
    }
}

/// The journal of a commit in progress: the shards it writes, and the shards it replaces (a
/// [`Store::rewrite`]; absent in journals of plain appends).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Journal {
    shards: Vec<ShardEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    removed: Vec<ShardEntry>,
}

/// What [`Store::open`] (and `dataset repair`) found left over from interrupted writes.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Recovery {
    /// Temporary files deleted.
    pub removed_temporaries: Vec<PathBuf>,
    /// Shards of interrupted commits that were complete and have been listed (rolled forward).
    pub rolled_forward: Vec<String>,
    /// Shards of interrupted commits that were incomplete and have been deleted (rolled back).
    pub rolled_back: Vec<String>,
    /// Complete unlisted shards adopted by [`Store::adopt_unlisted`].
    pub adopted_shards: Vec<String>,
    /// Shards that an interrupted [`Store::rewrite`] had replaced, deleted when rolling it forward.
    pub replaced: Vec<String>,
}

impl Recovery {
    pub fn is_empty(&self) -> bool {
        *self == Recovery::default()
    }
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
        let mut store = Store { version_dir, manifest, ids: Default::default(), _lock: lock };
        let recovery = store.recover()?;
        Ok((store, recovery))
    }

    /// Lists complete shards that are on disk but in no manifest entry and no journal (after
    /// checking that each file's hash is its name and its schema is v1). For `dataset repair`.
    pub fn adopt_unlisted(&mut self) -> Result<Vec<String>> {
        let mut files = Vec::new();
        walk_files(&self.version_dir, &mut files)?;
        let mut adopted = Vec::new();
        for path in files {
            let Some(rel) = relative(&self.version_dir, &path) else { continue };
            if rel.ends_with(".parquet") && !self.manifest.contains_path(&rel) && check_orphan(&self.version_dir, &rel).is_ok() {
                let entry = check_orphan(&self.version_dir, &rel).map_err(|e| Error::format(&path, e))?;
                self.manifest.shards.push(entry);
                adopted.push(rel);
            }
        }
        if !adopted.is_empty() {
            self.manifest.raise_version();
            self.manifest.save(&self.version_dir.join(MANIFEST_FILE))?;
            self.ids.clear();
        }
        Ok(adopted)
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn recover(&mut self) -> Result<Recovery> {
        let mut recovery = Recovery::default();
        let mut journals: Vec<PathBuf> = fs::read_dir(&self.version_dir)
            .map_err(Error::io(&self.version_dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(JOURNAL_PREFIX) && !n.contains(TMP_MARKER)))
            .collect();
        journals.sort();
        let mut manifest_changed = false;
        for journal_path in journals {
            // An unreadable journal is one whose own atomic write never completed: nothing was
            // renamed after it, so there is nothing to roll back.
            if let Ok(bytes) = fsutil::read_limited(&journal_path, crate::manifest::MAX_MANIFEST_BYTES)
                && let Ok(journal) = serde_json::from_slice::<Journal>(&bytes)
            {
                let complete = journal.shards.iter().all(|e| {
                    fsutil::read_limited(&self.version_dir.join(&e.path), Limits::default().max_file_bytes)
                        .is_ok_and(|b| Sha256Hex::of(&b) == e.sha256)
                });
                let written: HashSet<String> = journal.shards.iter().map(|e| e.path.clone()).collect();
                if complete {
                    // The replaced shards go, whether or not the manifest already dropped them.
                    // (Sets, not scans: a compaction's journal can name every shard.)
                    let gone: Vec<&ShardEntry> = journal.removed.iter().filter(|e| !written.contains(&e.path)).collect();
                    let gone_paths: HashSet<&str> = gone.iter().map(|e| e.path.as_str()).collect();
                    let before = self.manifest.shards.len();
                    self.manifest.shards.retain(|e| !gone_paths.contains(e.path.as_str()));
                    manifest_changed |= self.manifest.shards.len() != before;
                    for gone in gone {
                        let abs = self.version_dir.join(&gone.path);
                        if abs.exists() {
                            fs::remove_file(&abs).map_err(Error::io(&abs))?;
                            recovery.replaced.push(gone.path.clone());
                        }
                    }
                }
                let listed: HashSet<String> = self.manifest.shards.iter().map(|e| e.path.clone()).collect();
                for entry in journal.shards {
                    if listed.contains(&entry.path) {
                        continue;
                    }
                    if complete {
                        recovery.rolled_forward.push(entry.path.clone());
                        self.manifest.shards.push(entry);
                        manifest_changed = true;
                    } else {
                        let abs = self.version_dir.join(&entry.path);
                        if abs.exists() {
                            fs::remove_file(&abs).map_err(Error::io(&abs))?;
                        }
                        recovery.rolled_back.push(entry.path);
                    }
                }
            }
            if manifest_changed {
                self.manifest.raise_version();
                self.manifest.save(&self.version_dir.join(MANIFEST_FILE))?;
            }
            fs::remove_file(&journal_path).map_err(Error::io(&journal_path))?;
            fsutil::sync_dir(&self.version_dir)?;
        }
        let mut files = Vec::new();
        walk_files(&self.version_dir, &mut files)?;
        for path in files {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name.contains(TMP_MARKER) {
                fs::remove_file(&path).map_err(Error::io(&path))?;
                recovery.removed_temporaries.push(path);
            }
        }
        Ok(recovery)
    }

    /// Ids of every stored row of `T`'s table (read from the id column once, then cached).
    pub fn existing_ids<T: Table>(&mut self) -> Result<&HashSet<Sha256Hex>> {
        let table = T::schema().name;
        if !self.ids.contains_key(table) {
            let ids = read_ids(&self.version_dir, &self.manifest, table, T::schema().id_column)?;
            self.ids.insert(table, ids);
        }
        Ok(&self.ids[table])
    }

    /// Appends rows of one table in one commit (see [`Store::stage`] and [`Store::commit`]).
    pub fn append<T: Table>(&mut self, rows: Vec<T>) -> Result<Vec<ShardEntry>> {
        let mut batch = WriteBatch::default();
        self.stage(&mut batch, rows)?;
        self.commit(batch)
    }

    /// Checks rows and encodes them into `batch`, one shard per partition. Refuses all of them if
    /// any row has a wrong id, fails a check, or repeats an id already stored or staged.
    pub fn stage<T: Table>(&mut self, batch: &mut WriteBatch, rows: Vec<T>) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        self.check_rows(batch, &rows, &HashSet::new())?;
        let mut partitions: BTreeMap<(String, String), Vec<T>> = BTreeMap::new();
        for row in rows {
            partitions.entry(row.partition()).or_default().push(row);
        }
        for ((device, model), mut part) in partitions {
            let bytes = shard::encode(&mut part).map_err(Error::InvalidRows)?;
            let entry = shard_entry(T::schema().name, device, model, part.len(), &bytes);
            batch.push(entry, &part, bytes);
        }
        Ok(())
    }

    /// The checks of [`Store::stage`]: right ids, the row rules, the writer's schema version, and
    /// no id already stored (except those in `replacing`, the rows a compaction rewrites in place),
    /// staged, or repeated.
    fn check_rows<T: Table>(&mut self, batch: &WriteBatch, rows: &[T], replacing: &HashSet<Sha256Hex>) -> Result<()> {
        let table = T::schema().name;
        let staged: HashSet<Sha256Hex> = batch.ids.get(table).into_iter().flatten().cloned().collect();
        let existing = self.existing_ids::<T>()?;
        let mut seen = HashSet::new();
        let mut problems = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let expected = row.compute_id();
            if *row.id() != expected {
                problems.push(format!("{table} row {i}: id {} should be {expected}", row.id()));
            }
            let stored = existing.contains(row.id()) && !replacing.contains(row.id());
            if stored || staged.contains(row.id()) || !seen.insert(row.id().clone()) {
                problems.push(format!("{table} row {i}: id {} is already in the dataset", row.id()));
            }
            // The shard's footer will say SCHEMA_VERSION: its rows must say the same.
            if row.schema_version() != SCHEMA_VERSION {
                problems.push(format!(
                    "{table} row {i}, column schema_version: is `{}` but the writer writes schema version {SCHEMA_VERSION}; set it to `{SCHEMA_VERSION}`",
                    crate::schema::truncate(row.schema_version(), 40)
                ));
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
        Ok(())
    }

    /// Writes every shard of `batch` and lists them in the manifest, atomically as a whole.
    pub fn commit(&mut self, batch: WriteBatch) -> Result<Vec<ShardEntry>> {
        self.commit_replacing(batch, Vec::new())
    }

    /// Reads the rows of one listed shard, checking its bytes against the manifest's sha256.
    pub fn read_shard<T: Table>(&self, entry: &ShardEntry) -> Result<Vec<T>> {
        read_shard_rows(&self.version_dir, entry)
    }

    /// Replaces the listed shard `old` by a new version of the same rows: the same ids, with
    /// other column values (relevance scores filled in after measurement, say). Atomic like
    /// [`Store::commit`]: the journal names the new shard and the replaced one, the new shard is
    /// written, the manifest swaps them (the commit point), then the old file is deleted. After a
    /// crash, [`Store::open`] finishes the swap if the new shard is complete and otherwise
    /// deletes it, leaving the old one listed: a reader sees either version, never both or
    /// neither. Every row is checked as on append, and the ids must be exactly those of `old`.
    ///
    /// Like every shard the store writes, the new one is of the current schema version: rows read
    /// from a shard of an older version are upgraded here (their `schema_version` set to the
    /// current one; the columns added since stay as the caller left them, null unless filled).
    /// `schema_version` is no identifying field, so the ids, and the check above, are unchanged.
    pub fn rewrite<T: Table>(&mut self, old: &ShardEntry, mut rows: Vec<T>) -> Result<Vec<ShardEntry>> {
        let table = T::schema().name;
        let listed = self.manifest.shards.iter().any(|e| e == old);
        if !listed || old.table != table {
            return Err(Error::InvalidRows(format!("{}: not a listed shard of table {table}", old.path)));
        }
        let before: HashSet<Sha256Hex> = self.read_shard::<T>(old)?.iter().map(|r| r.id().clone()).collect();
        let after: HashSet<Sha256Hex> = rows.iter().map(|r| r.id().clone()).collect();
        if before != after || after.len() != rows.len() {
            return Err(Error::InvalidRows(format!(
                "{}: a rewrite must keep exactly the shard's rows ({} ids before, {} rows with {} distinct ids after)",
                old.path,
                before.len(),
                rows.len(),
                after.len()
            )));
        }
        for row in &mut rows {
            row.set_schema_version(SCHEMA_VERSION);
        }
        // The ids are the old shard's own: take them out of the duplicate check while staging.
        let known = self.existing_ids::<T>()?.clone();
        self.ids.insert(table, known.difference(&before).cloned().collect());
        let mut batch = WriteBatch::default();
        let staged = self.stage(&mut batch, rows);
        self.ids.insert(table, known);
        staged?;
        if batch.shards.iter().any(|(e, _)| e.path == old.path) {
            // Same bytes: nothing changed.
            return Ok(vec![old.clone()]);
        }
        self.commit_replacing(batch, vec![old.clone()])
    }

    fn commit_replacing(&mut self, batch: WriteBatch, removed: Vec<ShardEntry>) -> Result<Vec<ShardEntry>> {
        if batch.is_empty() {
            return Ok(vec![]);
        }
        let entries: Vec<ShardEntry> = batch.shards.iter().map(|(e, _)| e.clone()).collect();
        let journal = Journal { shards: entries.clone(), removed: removed.clone() };
        let journal_path = self.version_dir.join(format!(
            "{JOURNAL_PREFIX}{}.json",
            Sha256Hex::of(serde_json::to_string(&journal).expect("journal serialises").as_bytes())
        ));
        fsutil::write_atomic(&journal_path, serde_json::to_string(&journal).expect("journal serialises").as_bytes())?;
        for (entry, bytes) in &batch.shards {
            fsutil::write_atomic(&self.version_dir.join(&entry.path), bytes)?;
        }
        let removed_paths: HashSet<&str> = removed.iter().map(|r| r.path.as_str()).collect();
        self.manifest.shards.retain(|e| !removed_paths.contains(e.path.as_str()));
        self.manifest.shards.extend(entries.iter().cloned());
        self.manifest.raise_version();
        self.manifest.save(&self.version_dir.join(MANIFEST_FILE))?;
        for gone in &removed {
            let abs = self.version_dir.join(&gone.path);
            fs::remove_file(&abs).map_err(Error::io(&abs))?;
        }
        fs::remove_file(&journal_path).map_err(Error::io(&journal_path))?;
        fsutil::sync_dir(&self.version_dir)?;
        for (table, ids) in batch.ids {
            if let Some(known) = self.ids.get_mut(table) {
                known.extend(ids);
            }
        }
        Ok(entries)
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
    // A shard of any known version is adopted, listed under the version its footer names.
    let version = opened.version(schema)?;
    Ok(ShardEntry {
        path: rel.to_owned(),
        table: path.table,
        sha256: sha,
        rows: opened.num_rows(),
        bytes: len,
        schema_version: version.into(),
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
