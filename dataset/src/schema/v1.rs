//! Schema v1: the five tables of the edgebench dataset.
//!
//! Grain: every row is one thing that was measured (or quoted), never an aggregate. A failed run is
//! a row with its status and reason, not a missing row. Units are in the column names or in
//! `#[unit]` (and so in the data dictionary). Partition columns are slugified into the directory
//! names `device=<slug>/model=<slug>` and are *not* stored under those names in the files, so hive
//! readers never see a column twice.
//!
//! Versioning: adding a nullable column is a minor version (`1.0` → `1.1`), marked on the field with
//! `#[since = "1.1"]` and listed in [`VERSIONS`]; any other change is a new major directory (`v2/`)
//! with a documented migration. A shard holds exactly the columns of the version its footer names
//! (`edgebench.schema_version`, which its rows' `schema_version` repeats), so shards written before
//! a minor version stay byte for byte what they were, and stay valid. The writer writes only the
//! newest version ([`SCHEMA_VERSION`]); readers decode a shard of any known version into the
//! current row structs, the columns its version lacks being null (see [`crate::shard`]).
//!
//! Layout: each table is declared in a file of its own under `v1/` (one
//! [`define_table!`](crate::define_table): the row struct and its schema value); this file gathers
//! them into [`TABLES`], the one value the data dictionary, the JSON Schema files, the package
//! metadata and the validator are derived from, and holds what is common to the tables: the
//! versions and the references between tables (the closed value sets are in `v1/values.rs`).

use super::{Reference, SchemaVersion};

mod values;
pub use values::*;

mod generations;
mod kernels;
mod microbench;
mod published;
mod runs;
pub use generations::Generation;
pub use kernels::Kernel;
pub use microbench::Microbench;
pub use published::Published;
pub use runs::Run;

/// The version the writer writes: in every new row's `schema_version` and every new shard's
/// footer. Always the last of [`VERSIONS`].
pub const SCHEMA_VERSION: &str = "1.4";

/// Every version of schema v1, oldest first, with what it added (the columns themselves are
/// derived from the fields' `#[since]`). Shards of each are valid and readable.
pub const VERSIONS: &[SchemaVersion] = &[
    SchemaVersion { version: "1.0", added: "the five tables" },
    SchemaVersion {
        version: "1.1",
        added: "kernels from ggml op profiles: the phase, op, weight type and shapes a row timed, where \
                its times come from, the phase's wall time and tokens with and without the profiler, and the \
                configuration profiled",
    },
    SchemaVersion {
        version: "1.2",
        added: "microbench rows of `collect fusion`: the sweep a row belongs to, the threads and launch \
                configuration that ran it, how its stores treat the cache, the device's last-level cache, and \
                the STREAM copy and triad bandwidth measured in the same sweep",
    },
    SchemaVersion {
        version: "1.3",
        added: "runs of synthetic-weight models (`collect synth`): where the weights come from, the preset, \
                seed and generator that made them or the file whose shapes they copy; generations say why \
                relevance is null",
    },
    SchemaVersion {
        version: "1.4",
        added: "how energy was obtained (counter or power integral); whether the model file was in the page \
                cache when a run started, and whether a cold start was asked for; the adaptive repetition \
                rule of `collect run --reps auto` and its decision after each run",
    },
];

/// The directory under the dataset root that holds schema v1 shards.
pub const VERSION_DIR: &str = "v1";

/// Position of `version` in [`VERSIONS`] (higher is newer); `None` for a version this tool does not
/// know. Versions are compared by this position, never as text.
pub fn version_rank(version: &str) -> Option<usize> {
    VERSIONS.iter().position(|v| v.version == version)
}

/// The known versions, for messages (`1.0, 1.1`).
pub fn known_versions() -> String {
    VERSIONS.iter().map(|v| v.version).collect::<Vec<_>>().join(", ")
}

/// Every table of schema v1, in dictionary order.
pub const TABLES: &[&crate::schema::TableSchema] = &[
    Run::SCHEMA,
    Generation::SCHEMA,
    Kernel::SCHEMA,
    Microbench::SCHEMA,
    Published::SCHEMA,
];

/// The columns that hold another table's row ids.
pub const REFERENCES: &[Reference] = &[
    Reference { table: "generations", column: "run_id", target_table: "runs" },
    Reference { table: "kernels", column: "run_id", target_table: "runs" },
];

/// Looks a table up by name.
pub fn table(name: &str) -> Option<&'static crate::schema::TableSchema> {
    TABLES.iter().copied().find(|t| t.name == name)
}

#[cfg(test)]
mod tests;
