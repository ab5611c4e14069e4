//! Stamps the report with the code that drew it: `EDGEBENCH_GIT_COMMIT` (see
//! `build-support/git_commit.rs`), which the front page prints beside the report's version.

use std::path::Path;

#[path = "../build-support/git_commit.rs"]
mod git_commit;

fn main() {
    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let workspace = Path::new(&crate_dir).parent().expect("the report crate sits in the workspace");
    git_commit::watch(workspace);
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=../build-support/git_commit.rs");
    println!("cargo:rustc-env=EDGEBENCH_GIT_COMMIT={}", git_commit::build_commit(workspace));
}
