//! `dataset check-contribution`: what a pull request may do to the dataset, checked against the
//! base commit it would merge into.
//!
//! `validate` looks at one dataset; it cannot tell an addition from an edit of someone else's
//! rows. This module compares the working tree's dataset with the base commit's (read through
//! [`git`], the only module that runs git) row by row:
//!
//! - every row of the base must still be there with the same values. Shards may be *replaced*,
//!   but only by the store's own transactions, recognised by what they do to rows: compaction
//!   moves rows unchanged (the schema version may rise, the columns a newer version added are
//!   null), relevance scoring fills [`FILLED_LATER`] columns that were null. Anything else —
//!   an edited value, a deleted row, a shard edited in place — is an error;
//! - the whole dataset must pass `validate` (which also checks every reference of a new row,
//!   into new rows or the base, and finds duplicate ids: the same measurement contributed twice);
//! - new rows must carry provenance that can be traced: a collector commit that is in the
//!   repository's history, not `-dirty`, whose `Cargo.toml` and `Cargo.lock` give the collector
//!   and llama.cpp versions the rows state;
//! - a pull request stays under size caps ([`Caps`]), so review stays possible;
//! - cells whose new runs are far from the base's runs of the same cell (or, for a new cell, of
//!   the same model file) get a *warning* with the numbers ([`outliers`]): surprising results are
//!   allowed, but a reviewer should look.
//!
//! The content-based rule is deliberately stronger than trusting a record of transactions: a
//! journal could be forged as easily as a row, the rows themselves cannot lie about what changed.

mod cells;
mod compare;
mod git;
mod outliers;
mod provenance;
mod rows;
pub mod summary;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::shard::Limits;
use crate::validate::{self, Problem};

pub use git::Repo;
pub use rows::Snapshot;

/// Columns that a store transaction may fill in later on rows already in the dataset, from null
/// to a value: `collect score` writes relevance after measurement (see collector/src/score.rs).
pub const FILLED_LATER: &[(&str, &[&str])] =
    &[("generations", &["relevance", "relevance_model", "relevance_model_sha256"])];

/// Size caps of one pull request, on what it adds (rows moved by compaction do not count).
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    /// Bytes of the new shards holding new rows.
    pub max_added_bytes: u64,
    /// Number of new shards holding new rows.
    pub max_added_shards: usize,
    /// New rows over all tables.
    pub max_added_rows: u64,
}

impl Default for Caps {
    /// About ten campaigns of the paper's protocol (15 runs × 50 prompts each), compacted.
    fn default() -> Self {
        Caps { max_added_bytes: 64 << 20, max_added_shards: 200, max_added_rows: 200_000 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem, or one warning.
#[derive(Debug, Clone)]
pub struct Finding {
    pub severity: Severity,
    pub problem: Problem,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{word}: {}", self.problem)
    }
}

/// What the pull request does, and what is wrong with it.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The base commit, resolved.
    pub base_commit: String,
    pub findings: Vec<Finding>,
    /// New rows per table (ids not in the base).
    pub added_rows: BTreeMap<&'static str, u64>,
    /// New shards holding new rows, and their bytes.
    pub added_shards: usize,
    pub added_bytes: u64,
    /// Base shards no longer listed, and the shards that took their rows.
    pub replaced_shards: usize,
    pub replacing_shards: usize,
    /// How the replaced rows changed, in words (`moved unchanged (compaction)`...).
    pub replacement_kinds: Vec<&'static str>,
}

impl Outcome {
    pub fn errors(&self) -> usize {
        self.findings.iter().filter(|f| f.severity == Severity::Error).count()
    }
    pub fn warnings(&self) -> usize {
        self.findings.len() - self.errors()
    }
}

/// Checks the dataset at `dataset_dir` (in a git work tree) as a contribution on top of `base`.
/// Err is a usage error: not a dataset, not in git, no such revision.
pub fn check(dataset_dir: &Path, base: &str, caps: &Caps, limits: &Limits) -> Result<Outcome, String> {
    let report = validate::validate(dataset_dir, limits).map_err(|e| e.to_string())?;
    let mut repo = Repo::discover(dataset_dir)?;
    let (base_commit, base_snapshot) = read_base(&repo, base, limits)?;
    let head = Snapshot::read(dataset_dir, limits)?;

    let mut outcome = Outcome { base_commit, ..Outcome::default() };
    let at = |shard: &str| format!("{}/{shard}", crate::schema::v1::VERSION_DIR);
    for p in report.problems {
        outcome.findings.push(Finding { severity: Severity::Error, problem: p });
    }
    compare::base_rows_kept(&base_snapshot, &head, &at, &mut outcome);
    compare::additions(&base_snapshot, &head, caps, &at, &mut outcome);
    provenance::check_new_rows(&base_snapshot, &head, &mut repo, &at, &mut outcome.findings);
    outliers::warn(&base_snapshot, &head, &at, &mut outcome.findings);
    outcome.findings.sort_by_key(|f| f.severity);
    Ok(outcome)
}

/// The dataset as it is at revision `base` of `repo`: (the commit, its rows). A commit without a
/// dataset gives an empty one (a repository's first contribution).
pub fn read_base(repo: &Repo, base: &str, limits: &Limits) -> Result<(String, Snapshot), String> {
    let commit = repo.resolve(base)?;
    let unpacked = ScratchDir::new()?;
    let snapshot = if repo.unpack_dataset(&commit, &unpacked.0)? {
        Snapshot::read(&unpacked.0, limits).map_err(|e| format!("the dataset at {base}: {e}"))?
    } else {
        Snapshot::empty()
    };
    Ok((commit, snapshot))
}

/// A private temporary directory, removed when dropped (the base's dataset is unpacked there).
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> Result<ScratchDir, String> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("edgebench-base-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(ScratchDir(dir))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A finding at a shard (and optionally a row and a column).
fn finding(severity: Severity, file: String, row: Option<u64>, column: Option<&str>, message: String, fix: &str) -> Finding {
    Finding {
        severity,
        problem: Problem { file, row, column: column.map(str::to_owned), message, fix: fix.to_owned() },
    }
}
