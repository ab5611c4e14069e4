//! # edgebench dataset
//!
//! The one place where the edgebench dataset is defined and guarded. Everything that meets in the
//! dataset — the collector that writes it, the report that reads it, contributors who extend it
//! by pull request, and researchers who load it with pandas, polars, DuckDB or pyarrow — goes
//! through the types and rules of this crate.
//!
//! Design, in the order data flows:
//!
//! - [`schema`]: schema v1 as Rust types and as a value ([`schema::TableSchema`]); the Arrow
//!   schema, the JSON Schema files and the data dictionary are all derived from it ([`dictionary`]).
//! - [`ids`]: row ids are hashes of identifying fields; partition directories are slugs.
//! - [`shard`]: deterministic Parquet encoding (zstd, provenance in the footer) and defensive
//!   decoding under [`shard::Limits`].
//! - [`store`] and [`manifest`]: the on-disk layout, atomic writes, crash recovery; [`read`]:
//!   reading tables, whole or a few columns at a time, from shards of every schema version.
//! - [`validate`]: every check a contribution must pass, one line per problem.
//! - [`listing`]: what the dataset holds (`dataset ls`).
//! - [`stats`]: the distribution-free interval of a median (order statistics, exact binomial
//!   tail), shared by the report and the collector's adaptive repetition rule.
//! - [`kernel_class`]: the ordered rule table that classifies GPU kernel names and ggml ops
//!   (`kernels.op_class`), as data the data dictionary prints.
//! - [`package`]: the files that make a dataset directory a package (Croissant metadata, the
//!   Hugging Face card, the data licence, the citation, a zero-row schema file per table).
//! - [`published_source`]: the hand-curated JSON Lines source of the `published` table and its
//!   import (`dataset import-published`).
//! - [`model_registry`]: `models.jsonl`, each model's canonical name and the files, presets and
//!   paper names that refer to it; [`published_join`]: `published.metric` mapped to the measured
//!   columns, and the query that puts a paper's number beside ours.
//!
//! This crate depends on no inference engine: reading the dataset and building the report need
//! nothing but a Rust toolchain.

pub mod contribution;
pub mod dictionary;
mod error;
pub mod fixtures;
pub mod fsutil;
pub mod ids;
pub mod kernel_class;
pub mod listing;
pub mod manifest;
pub mod model_registry;
pub mod package;
pub mod published_join;
pub mod published_source;
pub mod read;
pub mod schema;
pub mod shard;
pub mod stats;
pub mod store;
pub mod table;
pub mod validate;

pub use error::{Error, Result};
pub use store::{Store, read_table};
pub use table::Table;
