//! Running the built `report` binary and the readers the tests check its output with.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// `report build --dataset DATASET --out OUT`, which must succeed.
pub fn report_build(dataset: &Path, out: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_report")).args(["build", "--dataset"]).arg(dataset).arg("--out").arg(out).output().unwrap();
    assert!(o.status.success(), "report build failed:\n{}", String::from_utf8_lossy(&o.stderr));
}

/// A tool the test command installs (poppler's `pdftotext`, Chromium), found on `PATH`.
pub fn need(tool: &str) -> PathBuf {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).map(|d| d.join(tool)).find(|p| p.is_file());
    found.unwrap_or_else(|| panic!("`{tool}` is not installed; the test command (scripts/test.sh) installs it"))
}
