//! The dataset as a package that researchers load from anywhere: the files beside `v1/` in a
//! dataset directory, each generated from the schema value ([`crate::schema::v1::TABLES`]) and
//! the release recorded in the manifest, never written by hand.
//!
//! - `croissant.json`: MLCommons Croissant 1.0 metadata ([`croissant`]): one file set per table,
//!   one record set per table with every column, its type and description, and the references
//!   between tables.
//! - `README.md`: the Hugging Face dataset card ([`card`]): one `configs` entry per table whose
//!   `data_files` glob takes only that table's shards, the features of each table at the current
//!   version, and the one-line loaders of [`RECIPES`].
//! - `LICENSE-DATA.md` and `CITATION.cff` ([`legal`]): the data licence and the dataset citation.
//! - `schema/<table>.parquet` ([`schema_file`]): a Parquet file with no rows whose columns are the
//!   table's at the current version plus the partition columns `device` and `model`, as strings.
//!   Readers that take their columns from one file are given this one, so a table whose shards are
//!   of several schema versions reads whole, and partition values are never typed as anything but
//!   text.
//!
//! A table without rows holds a shard without rows ([`crate::store::empty`]), added by
//! [`write`] together with the files. `dataset schema --write` writes all of it for the
//! committed dataset and `dataset schema --check` fails when any of it is stale.

pub mod card;
pub mod croissant;
pub mod legal;

use std::path::Path;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;

use crate::error::{Error, Result};
use crate::manifest::{MANIFEST_FILE, Manifest};
use crate::schema::TableSchema;
use crate::schema::v1::{TABLES, VERSION_DIR};
use crate::store::Store;
use crate::store::empty::tables_without_shards;

/// Name of the dataset in every package file.
pub const DATASET_NAME: &str = "edgebench";
/// Title of the dataset (card, citation).
pub const DATASET_TITLE: &str = "edgebench: measurements of small LLMs on edge devices";
/// Who the dataset is by (the contributors of measurements and code).
pub const CREATORS: &str = "edgebench contributors";
/// Where the dataset lives.
pub const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");
/// SPDX identifier and address of the licence of the measurements.
pub const LICENSE_SPDX: &str = "CC-BY-4.0";
pub const LICENSE_URL: &str = "https://creativecommons.org/licenses/by/4.0/";
/// What the dataset is, in a paragraph (Croissant, the card, the citation's abstract).
pub const DESCRIPTION: &str = "Measurements of small language models (about 0.1 to 3 billion parameters) running \
    through llama.cpp on edge devices (NVIDIA Jetson boards, laptops, GPU servers, cloud VMs), contributed by \
    pull request: one row per run (a fresh process loading one model under one configuration, with its \
    provenance, device state, memory, power and status, failed runs included), per generation (latencies, \
    token counts, energy and the relevance of the output to a reference answer), per kernel or ggml op of a \
    profile capture, per repetition of the kernel-fusion micro-benchmark, and per number quoted from a \
    published paper with the sentence it comes from. Rows are what was measured, never aggregates.";
/// Keywords (Croissant, the card's tags, the citation).
pub const KEYWORDS: &[&str] = &[
    "benchmark",
    "small language models",
    "edge computing",
    "llama.cpp",
    "GGUF",
    "inference latency",
    "energy efficiency",
    "NVIDIA Jetson",
];
/// Folder, in a dataset directory, of the zero-row schema files.
pub const SCHEMA_DIR: &str = "schema";
/// Names of the partition columns that hive readers add from `device=<slug>/model=<slug>`.
pub const PARTITION_COLUMNS: [&str; 2] = ["device", "model"];

/// The release a package describes, from the manifest (`None` for a dataset never released).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub version: String,
    /// `YYYY-MM-DD`.
    pub date: String,
}

impl Release {
    pub fn of(manifest: &Manifest) -> Option<Release> {
        Some(Release { version: manifest.dataset_version.clone()?, date: manifest.release_date.clone()? })
    }
}

/// One line that loads a table with one library, as the card shows it and the tests run it.
#[derive(Debug, Clone, Copy)]
pub struct Recipe {
    /// The library, as its users name it.
    pub library: &'static str,
    /// The imports the line needs.
    pub imports: &'static str,
    /// The line, with `{dir}` for the dataset directory and `{table}` for the table.
    pub line: &'static str,
}

impl Recipe {
    pub fn render(&self, dir: &str, table: &str) -> String {
        self.line.replace("{dir}", dir).replace("{table}", table)
    }
}

/// The one-line loaders. Each copes with a table whose shards are of several schema versions
/// (older shards lack the nullable columns later versions added) and with a table that holds only
/// its zero-row shard: DuckDB takes the union of the files' columns; pyarrow, pandas and Polars
/// take their columns from the table's schema file, the columns a shard lacks being null;
/// `datasets` casts every file to the features the card declares.
pub const RECIPES: &[Recipe] = &[
    Recipe {
        library: "pandas",
        imports: "import pandas as pd, pyarrow.parquet as pq",
        line: r#"pd.read_parquet("{dir}/v1/{table}", schema=pq.read_schema("{dir}/schema/{table}.parquet"))"#,
    },
    Recipe {
        library: "Polars",
        imports: "import polars as pl",
        line: r#"pl.read_parquet("{dir}/v1/{table}/**/*.parquet", hive_partitioning=True, schema=pl.read_parquet_schema("{dir}/schema/{table}.parquet"), missing_columns="insert")"#,
    },
    Recipe {
        library: "DuckDB",
        imports: "import duckdb",
        line: r#"duckdb.sql("SELECT * FROM read_parquet('{dir}/v1/{table}/**/*.parquet', hive_partitioning=true, union_by_name=true)")"#,
    },
    Recipe {
        library: "pyarrow",
        imports: "import pyarrow.dataset as ds, pyarrow.parquet as pq",
        line: r#"ds.dataset("{dir}/v1/{table}", partitioning="hive", schema=pq.read_schema("{dir}/schema/{table}.parquet")).to_table()"#,
    },
    Recipe {
        library: "Hugging Face datasets",
        imports: "from datasets import load_dataset",
        line: r#"load_dataset("{dir}", "{table}", split="train")"#,
    },
];

/// `datasets` cannot hold a split without rows: on a table without rows the line of [`RECIPES`]
/// raises ("corresponds to no data"), while streamed the table loads with its features and no rows.
pub const HF_STREAMING: Recipe = Recipe {
    library: "Hugging Face datasets, streamed",
    imports: "from datasets import load_dataset",
    line: r#"load_dataset("{dir}", "{table}", split="train", streaming=True)"#,
};

/// The Arrow schema of `table`'s schema file: the current columns, then the partition columns.
pub fn reader_schema(table: &TableSchema) -> Arc<Schema> {
    let mut fields: Vec<Field> = table.arrow_schema().fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.extend(PARTITION_COLUMNS.iter().map(|name| Field::new(*name, DataType::Utf8, true)));
    Arc::new(Schema::new(fields))
}

/// The bytes of `table`'s schema file: a Parquet file without rows. The parquet crate writes the
/// same bytes for the same schema, so the file can be checked like the text files.
pub fn schema_file(table: &TableSchema) -> Vec<u8> {
    let schema = reader_schema(table);
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, schema.clone(), None).expect("a v1 schema is writable");
    writer.write(&RecordBatch::new_empty(schema)).expect("an empty batch writes");
    writer.close().expect("an empty file closes");
    out
}

/// `(path relative to the dataset directory, contents)` of every generated file.
pub fn generated_files(release: Option<&Release>) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![
        ("croissant.json".to_owned(), croissant::croissant_json(release).into_bytes()),
        ("README.md".to_owned(), card::dataset_card(release).into_bytes()),
        ("LICENSE-DATA.md".to_owned(), legal::license_text().into_bytes()),
        ("CITATION.cff".to_owned(), legal::citation_cff(release).into_bytes()),
    ];
    for t in TABLES {
        files.push((format!("{SCHEMA_DIR}/{}.parquet", t.name), schema_file(t)));
    }
    files
}

/// The manifest of the dataset at `dir` (`dir/v1/MANIFEST.json`).
fn manifest_of(dir: &Path) -> Result<Manifest> {
    Manifest::load(&dir.join(VERSION_DIR).join(MANIFEST_FILE))
}

/// Writes every generated file into the dataset directory `dir` and gives each table without a
/// shard its zero-row shard. Returns what it wrote.
pub fn write(dir: &Path) -> Result<Vec<String>> {
    let manifest = manifest_of(dir)?;
    let mut written = Vec::new();
    for (rel, bytes) in generated_files(Release::of(&manifest).as_ref()) {
        let path = dir.join(&rel);
        crate::fsutil::write_atomic(&path, &bytes)?;
        written.push(path.display().to_string());
    }
    if !tables_without_shards(&manifest).is_empty() {
        let (mut store, _) = Store::open(dir)?;
        for entry in store.add_empty_shards()? {
            written.push(dir.join(VERSION_DIR).join(entry.path).display().to_string());
        }
    }
    Ok(written)
}

/// What in the dataset directory `dir` differs from what [`write`] would make: a generated file
/// that is missing or different, a table without a shard; or why the manifest cannot be read.
pub fn stale(dir: &Path) -> Vec<String> {
    let manifest = match manifest_of(dir) {
        Ok(m) => m,
        Err(e) => return vec![e.to_string()],
    };
    let mut stale: Vec<String> = generated_files(Release::of(&manifest).as_ref())
        .into_iter()
        .filter(|(rel, bytes)| std::fs::read(dir.join(rel)).ok().as_deref() != Some(bytes.as_slice()))
        .map(|(rel, _)| dir.join(rel).display().to_string())
        .collect();
    for table in tables_without_shards(&manifest) {
        stale.push(format!("{}: table without a shard (readers cannot load it)", dir.join(VERSION_DIR).join(table).display()));
    }
    stale
}

/// Error for a dataset directory whose package cannot be written.
pub fn write_error(dir: &Path, e: Error) -> String {
    format!("{}: cannot write the package files: {e}", dir.display())
}

