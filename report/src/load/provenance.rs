//! Where the dataset being reported comes from: its release, the exact manifest (by hash) and,
//! when the dataset sits in a git work tree, the commit it was checked out at.
//!
//! This is the report's only door to git, and it only reads (`git rev-parse`, `git status`).
//! Git is optional: a dataset copied out of its repository, or a machine without git, gives a
//! reason instead of a commit, never a guess. The answer depends only on the checkout, so two
//! builds of one checkout stay byte-identical.

use std::path::Path;
use std::process::Command;

use edgebench_dataset::manifest::Manifest;
use edgebench_dataset::schema::Sha256Hex;

/// The dataset's identity, as the front page states it.
#[derive(Debug, Clone, Default)]
pub struct DatasetProvenance {
    /// The manifest's `schema_version`.
    pub schema_version: String,
    /// The release the manifest records (`dataset_version`), if one was cut.
    pub dataset_version: Option<String>,
    pub release_date: Option<String>,
    /// sha256 of `v1/MANIFEST.json`'s bytes: it lists every shard's own sha256, so it names the
    /// data exactly.
    pub manifest_sha256: String,
    pub shards: usize,
    pub git: GitState,
}

/// The git checkout the dataset was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitState {
    /// `commit` is HEAD; `modified` when the dataset directory differs from it (uncommitted or
    /// untracked files under it).
    Commit { commit: String, modified: bool },
    /// Why no commit can be named (not a git work tree, git not installed).
    Unknown(String),
}

impl Default for GitState {
    fn default() -> Self {
        GitState::Unknown("not read".to_owned())
    }
}

impl DatasetProvenance {
    pub(super) fn read(root: &Path, manifest: &Manifest, manifest_bytes: &[u8]) -> DatasetProvenance {
        DatasetProvenance {
            schema_version: manifest.schema_version.clone(),
            dataset_version: manifest.dataset_version.clone(),
            release_date: manifest.release_date.clone(),
            manifest_sha256: Sha256Hex::of(manifest_bytes).as_str().to_owned(),
            shards: manifest.shards.len(),
            git: git_state(root),
        }
    }
}

fn git_state(root: &Path) -> GitState {
    let git = |args: &[&str]| Command::new("git").arg("-C").arg(root).args(args).output();
    let head = match git(&["rev-parse", "--verify", "HEAD"]) {
        Err(e) => return GitState::Unknown(format!("git could not be run ({e})")),
        Ok(out) if !out.status.success() => return GitState::Unknown("the dataset is not in a git work tree".to_owned()),
        Ok(out) => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
    };
    // `-- .` limits the question to the dataset directory: edits elsewhere in the repository
    // do not change the data.
    let modified = match git(&["status", "--porcelain", "--untracked-files=all", "--", "."]) {
        Ok(out) if out.status.success() => !out.stdout.is_empty(),
        _ => return GitState::Unknown("git status failed in the dataset directory".to_owned()),
    };
    GitState::Commit { commit: head, modified }
}
