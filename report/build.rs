//! Stamps the report with the code that drew it: `EDGEBENCH_GIT_COMMIT` is the commit of the
//! checkout this crate is built from, with `-dirty` when tracked files differ from it, and empty
//! when the workspace is not a git checkout. The front page prints it beside the report's version.
//!
//! Cargo reruns this script when HEAD, the index or a ref moves, not when a tracked file is
//! edited: watching every source file would rebuild on any edit anywhere, so the `-dirty` marker
//! can lag behind the working tree until the next commit, checkout or `git add`.

use std::path::Path;
use std::process::Command;

/// `git -C workspace ARGS`'s trimmed output, or `None` when git is missing or fails.
fn git_output(workspace: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git").arg("-C").arg(workspace).args(args).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The commit, `<commit>-dirty`, or empty (see the module doc).
fn build_commit(workspace: &Path) -> String {
    // Without its own .git, the workspace is an unpacked copy; git would otherwise answer for
    // whatever repository happens to enclose it.
    if !workspace.join(".git").exists() {
        return String::new();
    }
    let Some(commit) = git_output(workspace, &["rev-parse", "HEAD"]).filter(|c| c.len() == 40) else {
        return String::new();
    };
    // Untracked files are left out: scratch files in the tree are not code the binary was built from.
    let changed = git_output(workspace, &["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    if changed { format!("{commit}-dirty") } else { commit }
}

fn main() {
    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let workspace = Path::new(&crate_dir).parent().expect("the report crate sits in the workspace");
    for moved in [".git/HEAD", ".git/index", ".git/refs"] {
        let path = workspace.join(moved);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-env=EDGEBENCH_GIT_COMMIT={}", build_commit(workspace));
}
