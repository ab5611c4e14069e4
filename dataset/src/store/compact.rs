//! Compaction: the shards of a partition merged into one, or into a few of bounded size.
//!
//! Why: the collector commits every run as soon as it ends, so that a crash loses at most the
//! run in flight, and each commit is a shard per table and partition. Left like that, a campaign
//! of 60 runs is 120 files of ~30 KB: every reader opens and checks 120 footers, and a pull
//! request lists 120 files. Compaction merges them afterwards without giving up that guarantee.
//!
//! What it does ([`Store::plan_compaction`], then [`Store::commit_compaction`]; [`Store::compact`]
//! does both): for every partition (table, device, model) with more than one shard in scope (or
//! a shard of an older schema version), it
//! reads the rows of all of them, checks them as an append would (ids, row rules, no id stored
//! elsewhere), upgrades them to the current schema version as [`Store::rewrite`] does (columns
//! an old shard lacks stay null; row ids do not include the version, so no id changes), sorts
//! them by row id and encodes them into as few shards as `limits` allow: one if it opens under
//! the limits, else `k` contiguous runs of rows in id order, equal in count to within one, for
//! the smallest `k` tried that fits ([`encode_bounded`]). The output depends on the rows alone,
//! so the same rows give byte-identical shards whatever shards they came from.
//!
//! One transaction: every partition's new shards and every shard they replace are named in one
//! journal and swapped in one manifest write, so after a crash [`Store::open`] finds the dataset
//! as it was or wholly compacted, never a partition merged and its old shards still listed (the
//! journal mechanism of [`Store::commit`], with `removed` as for a rewrite).
//!
//! Idempotent: a partition whose planned shards are exactly its listed ones is left alone, and
//! one with a single shard of the current version is not read at all, so compacting a compacted
//! dataset writes nothing. (A single shard of an older version is rewritten at the current one,
//! so that after compaction every table is of one version.)
//!
//! Memory: the journal names every new shard before the first is written, so the planned shards
//! are held encoded until the commit (about the compressed size of what is rewritten), and the
//! decoded rows of one partition at a time.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use bytes::Bytes;

use super::{ShardPath, Store, WriteBatch, shard_entry};
use crate::error::{Error, Result};
use crate::manifest::ShardEntry;
use crate::schema::Sha256Hex;
use crate::schema::v1::{Generation, Kernel, Microbench, Published, Run, SCHEMA_VERSION, TABLES};
use crate::shard::{self, Limits, OpenedShard};
use crate::table::Table;

/// Which listed shards a compaction may merge.
#[derive(Debug, Clone, Copy)]
pub enum CompactScope<'a> {
    /// Every listed shard: afterwards each partition holds one shard, or a few bounded ones.
    All,
    /// Only these listed shards (paths relative to `v1/`), merged per partition; the other shards
    /// of the same partitions are left as they are. The collector passes the shards of one
    /// campaign, so that the campaign adds one shard per table and partition and never rewrites
    /// shards that hold anything else.
    Shards(&'a [String]),
}

/// What a compaction does (or would do) to one table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableCompaction {
    pub table: String,
    /// Listed shards of the table before and after.
    pub shards_before: usize,
    pub shards_after: usize,
    /// Rows of the table (the same before and after).
    pub rows: u64,
    /// Partitions whose shards are replaced.
    pub partitions_merged: usize,
}

/// What a compaction did, or would do.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct CompactSummary {
    /// One entry per table of the schema, in schema order.
    pub tables: Vec<TableCompaction>,
    /// Shards written.
    pub added: Vec<ShardEntry>,
    /// Shards replaced (deleted).
    pub removed: Vec<ShardEntry>,
}

impl CompactSummary {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }

    pub fn shards_before(&self) -> usize {
        self.tables.iter().map(|t| t.shards_before).sum()
    }

    pub fn shards_after(&self) -> usize {
        self.tables.iter().map(|t| t.shards_after).sum()
    }
}

/// A planned compaction: the merged shards, encoded, and the shards they replace.
pub struct Compaction {
    batch: WriteBatch,
    summary: CompactSummary,
}

impl Compaction {
    pub fn summary(&self) -> &CompactSummary {
        &self.summary
    }

    /// The staged shards, as the commit will write them (tests lay them down by hand to simulate
    /// a crash part-way).
    pub fn batch(&self) -> &WriteBatch {
        &self.batch
    }
}

impl Store {
    /// Merges the shards in `scope`, per partition, in one transaction (see the [module
    /// docs](self)). Returns what changed; nothing is written when nothing would change.
    pub fn compact(&mut self, scope: CompactScope<'_>, limits: &Limits) -> Result<CompactSummary> {
        let plan = self.plan_compaction(scope, limits)?;
        self.commit_compaction(plan)
    }

    /// Reads, checks and encodes the merged shards without writing anything (`dataset compact
    /// --dry-run` prints its summary).
    pub fn plan_compaction(&mut self, scope: CompactScope<'_>, limits: &Limits) -> Result<Compaction> {
        let listed: HashSet<&str> = self.manifest.shards.iter().map(|e| e.path.as_str()).collect();
        if let CompactScope::Shards(paths) = scope
            && let Some(unlisted) = paths.iter().find(|p| !listed.contains(p.as_str()))
        {
            return Err(Error::InvalidRows(format!("{unlisted}: not a listed shard; nothing to compact")));
        }
        let chosen: Option<HashSet<&str>> = match scope {
            CompactScope::All => None,
            CompactScope::Shards(paths) => Some(paths.iter().map(String::as_str).collect()),
        };
        let in_scope = |e: &ShardEntry| chosen.as_ref().is_none_or(|c| c.contains(e.path.as_str()));
        let mut groups: BTreeMap<(String, String, String), Vec<ShardEntry>> = BTreeMap::new();
        for entry in self.manifest.shards.iter().filter(|e| in_scope(e)) {
            let p = ShardPath::parse(&entry.path).map_err(|m| Error::format(self.version_dir.join(&entry.path), m))?;
            if crate::schema::v1::table(&p.table).is_none() {
                return Err(Error::format(self.version_dir.join(&entry.path), "not a table of schema v1; run `dataset validate`"));
            }
            groups.entry((p.table, p.device, p.model)).or_default().push(entry.clone());
        }
        let mut plan = Compaction { batch: WriteBatch::default(), summary: CompactSummary::default() };
        // A partition of one shard is rewritten only to raise it to the current version: a table
        // whose shards are all of one version reads in every library without a unified schema
        // (mlcroissant, for one, reads shard by shard and cannot mix them).
        let worth_rewriting = |s: &Vec<ShardEntry>| s.len() > 1 || s.iter().any(|e| e.schema_version != SCHEMA_VERSION);
        for ((table, device, model), shards) in groups.into_iter().filter(|(_, s)| worth_rewriting(s)) {
            let partition = Partition { device: &device, model: &model, shards: &shards };
            match table.as_str() {
                "runs" => self.plan_partition::<Run>(&mut plan, partition, limits)?,
                "generations" => self.plan_partition::<Generation>(&mut plan, partition, limits)?,
                "kernels" => self.plan_partition::<Kernel>(&mut plan, partition, limits)?,
                "microbench" => self.plan_partition::<Microbench>(&mut plan, partition, limits)?,
                "published" => self.plan_partition::<Published>(&mut plan, partition, limits)?,
                other => unreachable!("table `{other}` was checked against the schema above"),
            }
        }
        plan.summary.tables = TABLES.iter().map(|t| self.table_summary(t.name, &plan)).collect();
        Ok(plan)
    }

    /// Commits a plan of [`Store::plan_compaction`] as one journalled transaction.
    pub fn commit_compaction(&mut self, plan: Compaction) -> Result<CompactSummary> {
        if plan.summary.is_empty() {
            return Ok(plan.summary);
        }
        // A plan made before another write could replace shards that are no longer listed.
        let listed: std::collections::HashMap<&str, &ShardEntry> = self.manifest.shards.iter().map(|e| (e.path.as_str(), e)).collect();
        if let Some(gone) = plan.summary.removed.iter().find(|e| listed.get(e.path.as_str()) != Some(e)) {
            return Err(Error::InvalidRows(format!("{}: no longer listed as planned; plan the compaction again", gone.path)));
        }
        // Ids are unchanged, so the id cache stays right.
        self.commit_replacing(plan.batch, plan.summary.removed.clone())?;
        Ok(plan.summary)
    }

    /// Plans one partition: merged shards staged into `plan.batch`, replaced ones listed, unless
    /// the planned shards are exactly the listed ones.
    fn plan_partition<T: Table>(&mut self, plan: &mut Compaction, part: Partition<'_>, limits: &Limits) -> Result<()> {
        let table = T::schema().name;
        let mut rows: Vec<T> = Vec::new();
        for entry in part.shards {
            rows.extend(self.read_shard::<T>(entry)?);
        }
        if rows.is_empty() {
            // Only shards without rows (a table's placeholder): there is nothing to merge, and a
            // merged shard must hold a row.
            return Ok(());
        }
        for row in &mut rows {
            row.set_schema_version(SCHEMA_VERSION);
        }
        let here = (part.device.to_owned(), part.model.to_owned());
        if let Some(row) = rows.iter().find(|r| r.partition() != here) {
            let (device, model) = row.partition();
            return Err(Error::InvalidRows(format!(
                "{table} row {} is stored in device={}/model={} but belongs in device={device}/model={model}; \
                 compaction does not move rows between partitions: run `dataset validate`",
                row.id(),
                part.device,
                part.model
            )));
        }
        // The rows' own ids are stored already: they are what this replaces.
        let own: HashSet<Sha256Hex> = rows.iter().map(|r| r.id().clone()).collect();
        self.check_rows(&plan.batch, &rows, &own)?;
        let chunks = encode_bounded(rows, limits)
            .map_err(|e| Error::InvalidRows(format!("{table}/device={}/model={}: {e}", part.device, part.model)))?;
        let planned: Vec<ShardEntry> = chunks
            .iter()
            .map(|(rows, bytes)| shard_entry(table, part.device.to_owned(), part.model.to_owned(), rows.len(), bytes))
            .collect();
        let old: BTreeSet<&str> = part.shards.iter().map(|e| e.path.as_str()).collect();
        let new: BTreeSet<&str> = planned.iter().map(|e| e.path.as_str()).collect();
        if old == new {
            return Ok(());
        }
        plan.summary.removed.extend(part.shards.iter().filter(|e| !new.contains(e.path.as_str())).cloned());
        for (entry, (rows, bytes)) in planned.iter().zip(chunks) {
            if !old.contains(entry.path.as_str()) {
                plan.summary.added.push(entry.clone());
                plan.batch.push(entry.clone(), &rows, bytes);
            }
        }
        Ok(())
    }

    fn table_summary(&self, table: &str, plan: &Compaction) -> TableCompaction {
        let listed: Vec<&ShardEntry> = self.manifest.shards.iter().filter(|e| e.table == table).collect();
        let count = |entries: &[ShardEntry]| entries.iter().filter(|e| e.table == table).count();
        // A partition is a shard's directory.
        let partitions: BTreeSet<&str> = plan
            .summary
            .removed
            .iter()
            .filter(|e| e.table == table)
            .map(|e| e.path.rsplit_once('/').map_or("", |(dir, _)| dir))
            .collect();
        TableCompaction {
            table: table.to_owned(),
            shards_before: listed.len(),
            shards_after: listed.len() - count(&plan.summary.removed) + count(&plan.summary.added),
            rows: listed.iter().map(|e| e.rows).sum(),
            partitions_merged: partitions.len(),
        }
    }
}

/// The listed shards of one partition that a compaction merges.
#[derive(Clone, Copy)]
struct Partition<'a> {
    device: &'a str,
    model: &'a str,
    shards: &'a [ShardEntry],
}

/// The rows of one shard, and its bytes.
type Encoded<T> = (Vec<T>, Vec<u8>);

/// Encodes one partition's rows into the fewest shards tried that each open under `limits`: all
/// rows in one shard, else `k` contiguous runs of the rows in id order, equal in count to within
/// one row, for growing `k`. Nothing but the rows decides the cut, so it is deterministic.
pub(crate) fn encode_bounded<T: Table>(mut rows: Vec<T>, limits: &Limits) -> Result<Vec<Encoded<T>>, String> {
    rows.sort_by(|a, b| a.id().cmp(b.id()));
    let mut parts = 1usize;
    loop {
        let mut out = Vec::with_capacity(parts);
        let mut refused: Option<(String, f64)> = None;
        for chunk in even_chunks(&rows, parts) {
            let mut chunk = chunk.to_vec();
            let bytes = shard::encode(&mut chunk)?;
            // The readers' own check, so a merged shard is never one the validator refuses.
            if let Err(why) = OpenedShard::open(Bytes::from(bytes.clone()), limits) {
                // How many times too large the file is: the next k jumps by that much at once.
                let factor = bytes.len() as f64 / limits.max_file_bytes.max(1) as f64;
                refused = Some((why, factor));
                break;
            }
            out.push((chunk, bytes));
        }
        let Some((why, factor)) = refused else { return Ok(out) };
        if parts >= rows.len() {
            return Err(format!("a shard of a single row is refused under the limits ({why})"));
        }
        let grown = if factor > 1.0 { (parts as f64 * factor * 1.1).ceil() as usize } else { parts * 2 };
        parts = grown.max(parts + 1).min(rows.len());
    }
}

/// `rows` cut into `parts` contiguous runs whose lengths differ by at most one (longer first).
fn even_chunks<T>(rows: &[T], parts: usize) -> Vec<&[T]> {
    let (base, extra) = (rows.len() / parts, rows.len() % parts);
    let mut out = Vec::with_capacity(parts);
    let mut start = 0;
    for i in 0..parts {
        let len = base + usize::from(i < extra);
        out.push(&rows[start..start + len]);
        start += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_chunks_cover_every_row_once_in_order() {
        let rows: Vec<u32> = (0..10).collect();
        let chunks = even_chunks(&rows, 3);
        assert_eq!(chunks, vec![&rows[0..4], &rows[4..7], &rows[7..10]]);
        assert_eq!(even_chunks(&rows, 1), vec![&rows[..]]);
        assert_eq!(even_chunks(&rows, 10).len(), 10);
    }
}
