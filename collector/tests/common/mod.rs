//! What the collector's integration tests on real models share: where those models are.

use std::path::PathBuf;

/// The smallest real model (SmolLM2-135M-Instruct, Q4_1), fetched by `scripts/fetch-models.sh`.
pub const SMOL: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// The directory of the real test models (`EDGEBENCH_MODELS`), with [`SMOL`] in it; a clear
/// failure that says how to get them otherwise.
pub fn models_dir() -> PathBuf {
    let dir = std::env::var_os("EDGEBENCH_MODELS").map(PathBuf::from).unwrap_or_else(|| {
        panic!("EDGEBENCH_MODELS is not set: run the tests with `bash scripts/test.sh`, which fetches the test models")
    });
    assert!(dir.join(SMOL).is_file(), "{} is missing: run scripts/fetch-models.sh", dir.join(SMOL).display());
    dir
}
