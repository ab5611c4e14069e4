//! A campaign's shards, merged when it ends into one shard per table and partition.
//!
//! Every run is committed the moment it ends, so that killing the collector loses at most the run
//! in flight; each commit is a shard per table. When the campaign ends, its shards are merged per
//! partition in one store transaction ([`Store::compact`] with [`CompactScope::Shards`]), which
//! keeps that guarantee: interrupted, the transaction leaves the per-run shards as they were (the
//! store's journal rolls it back or forward whole), and running the command again, which skips
//! the stored runs, merges them.
//!
//! The campaign's shards are those this invocation committed and, in the same partitions, earlier
//! shards every row of which belongs to a run this campaign plans: what an interrupted invocation
//! of the same command left, or the same configuration run with fewer repetitions. A shard that
//! holds any other run is never rewritten, so a campaign adds one shard per table and partition
//! beside what the dataset held.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use edgebench_dataset::Table;
use edgebench_dataset::manifest::{Manifest, ShardEntry};
use edgebench_dataset::schema::Sha256Hex;
use edgebench_dataset::schema::v1::Run;
use edgebench_dataset::shard::Limits;
use edgebench_dataset::store::{CompactScope, Store, scan_columns};

/// The tables a campaign writes, each with a `run_id` column.
const TABLES: &[&str] = &["runs", "generations"];

/// What a campaign planned and committed, for the merge at its end.
#[derive(Default)]
pub(super) struct CampaignShards {
    /// Shards this invocation committed (paths relative to `v1/`).
    written: Vec<String>,
    /// Every run the campaign plans, stored already or not.
    planned: HashSet<Sha256Hex>,
    /// `(device, model)` partitions of those runs.
    partitions: BTreeSet<(String, String)>,
}

impl CampaignShards {
    pub(super) fn plan(&mut self, run: &Run) {
        self.planned.insert(run.run_id.clone());
        self.partitions.insert(run.partition());
    }

    pub(super) fn committed(&mut self, entries: Vec<ShardEntry>) {
        self.written.extend(entries.into_iter().map(|e| e.path));
    }

    /// Merges the campaign's shards per table and partition in one transaction; returns them as
    /// they are afterwards.
    pub(super) fn merge(self, store: &mut Store, root: &Path) -> Result<Vec<String>, String> {
        let mut scope = self.written.clone();
        scope.extend(self.earlier(store, root)?);
        let merged = store.compact(CompactScope::Shards(&scope), &Limits::default()).map_err(|e| e.to_string())?;
        let removed: HashSet<&str> = merged.removed.iter().map(|e| e.path.as_str()).collect();
        let mut shards: Vec<String> = scope.iter().filter(|p| !removed.contains(p.as_str())).cloned().collect();
        shards.extend(merged.added.into_iter().map(|e| e.path));
        shards.sort();
        Ok(shards)
    }

    /// Listed shards of the campaign's partitions, not committed by this invocation, whose rows
    /// all belong to planned runs.
    fn earlier(&self, store: &Store, root: &Path) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        for entry in &store.manifest().shards {
            let in_partition = TABLES.iter().any(|table| {
                self.partitions.iter().any(|(device, model)| entry.path.starts_with(&format!("{table}/device={device}/model={model}/")))
            });
            if !in_partition || self.written.contains(&entry.path) {
                continue;
            }
            #[derive(serde::Deserialize)]
            struct RunOf {
                run_id: Sha256Hex,
            }
            let one = Manifest { shards: vec![entry.clone()], ..Manifest::default() };
            let rows: Vec<RunOf> = scan_columns(root, &one, &entry.table, &["run_id"]).map_err(|e| e.to_string())?;
            if rows.iter().all(|r| self.planned.contains(&r.run_id)) {
                out.push(entry.path.clone());
            }
        }
        Ok(out)
    }
}
