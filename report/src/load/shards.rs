//! Every shard the report reads, read on every core ([`super::parallel::map_in_order`]).
//!
//! Each shard is one task: its bytes are read and checked against the manifest's sha256 (the
//! integrity check) before anything in it is decoded, then it is decoded on its own: a
//! generations shard folded into per-run totals of its own ([`GenerationFolder`]), a runs shard
//! projected to [`RunSummary`], the small tables read whole. The parts are then combined in
//! manifest order, so sums and row order do not depend on the threads.

use std::path::Path;

use edgebench_dataset::manifest::{Manifest, ShardEntry};
use edgebench_dataset::read;
use edgebench_dataset::schema::v1::{Generation, Kernel, Microbench, Published, Run};
use edgebench_dataset::{Error, Table};

use super::{
    DICTIONARY_COLUMNS, GENERATION_COLUMNS, GenerationFolder, RUN_COLUMNS, RunSummary, parallel,
};

/// Every table's rows (generations folded per run), in manifest order.
#[derive(Default)]
pub(super) struct Tables {
    pub generations: GenerationFolder,
    pub runs: Vec<RunSummary>,
    pub kernels: Vec<Kernel>,
    pub microbench: Vec<Microbench>,
    pub published: Vec<Published>,
}

/// What one shard gave.
enum Part {
    Generations(GenerationFolder),
    Runs(Vec<RunSummary>),
    Kernels(Vec<Kernel>),
    Microbench(Vec<Microbench>),
    Published(Vec<Published>),
}

/// Reads every shard of the tables in [`Tables`] on `threads` threads. A shard that fails does
/// not stop the others, so the error returned is the first in manifest order on any number of
/// threads (a damaged dataset costs a full read to be told so).
pub(super) fn read(
    root: &Path,
    manifest: &Manifest,
    threads: usize,
) -> edgebench_dataset::Result<Tables> {
    let tables = [
        Generation::schema(),
        Run::schema(),
        Kernel::schema(),
        Microbench::schema(),
        Published::schema(),
    ];
    let shards: Vec<&ShardEntry> = manifest
        .shards
        .iter()
        .filter(|s| tables.iter().any(|t| t.name == s.table))
        .collect();
    let parts = parallel::map_in_order(
        &shards,
        threads,
        |s| s.bytes,
        |&shard| read_shard(root, shard),
    );
    let mut out = Tables::default();
    for part in parts {
        match part? {
            Part::Generations(folder) => out.generations.merge(folder),
            Part::Runs(rows) => out.runs.extend(rows),
            Part::Kernels(rows) => out.kernels.extend(rows),
            Part::Microbench(rows) => out.microbench.extend(rows),
            Part::Published(rows) => out.published.extend(rows),
        }
    }
    Ok(out)
}

fn read_shard(root: &Path, shard: &ShardEntry) -> edgebench_dataset::Result<Part> {
    let table = shard.table.as_str();
    if table == Generation::schema().name {
        let mut folder = GenerationFolder::default();
        read::for_each_batch_in_shard(
            root,
            shard,
            GENERATION_COLUMNS,
            DICTIONARY_COLUMNS,
            |path, batch| folder.fold(batch).map_err(|e| Error::format(path, e)),
        )?;
        Ok(Part::Generations(folder))
    } else if table == Run::schema().name {
        read::scan_shard(root, shard, RUN_COLUMNS).map(Part::Runs)
    } else if table == Kernel::schema().name {
        read::read_shard(root, shard).map(Part::Kernels)
    } else if table == Microbench::schema().name {
        read::read_shard(root, shard).map(Part::Microbench)
    } else {
        read::read_shard(root, shard).map(Part::Published)
    }
}
