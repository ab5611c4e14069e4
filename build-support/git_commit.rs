//! The git commit a crate of this workspace is built from, for the build scripts of the crates
//! that stamp their output with it (`collector/build.rs`: every run row; `report/build.rs`: the
//! front page). One file, included by each with `#[path]`, so both name the code the same way.
//!
//! The answer is the 40-hex commit, `<commit>-dirty` when tracked files differ from it (untracked
//! scratch files are not code the binary was built from), or empty when the workspace is not a
//! git checkout of its own: without its own `.git`, git would answer for whatever repository
//! happens to enclose an unpacked copy.
//!
//! Cargo reruns a build script when HEAD, the index or a ref moves ([`watch`]), not when a
//! tracked file is edited: watching every source would rebuild on any edit anywhere, so the
//! `-dirty` marker can lag behind the working tree until the next commit, checkout or `git add`.

use std::path::Path;
use std::process::Command;

/// `git -C workspace ARGS`'s trimmed output, or `None` when git is missing or fails.
fn git_output(workspace: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git").arg("-C").arg(workspace).args(args).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Asks cargo to rerun the build script when the checkout's commit or index moves.
pub fn watch(workspace: &Path) {
    for moved in [".git/HEAD", ".git/index", ".git/refs"] {
        let path = workspace.join(moved);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}

/// The commit, `<commit>-dirty`, or empty (see the module doc).
pub fn build_commit(workspace: &Path) -> String {
    if !workspace.join(".git").exists() {
        return String::new();
    }
    let Some(commit) = git_output(workspace, &["rev-parse", "HEAD"]).filter(|c| c.len() == 40) else {
        return String::new();
    };
    let changed = git_output(workspace, &["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    if changed { format!("{commit}-dirty") } else { commit }
}
