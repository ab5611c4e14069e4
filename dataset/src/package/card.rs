//! `README.md` of the dataset directory: the Hugging Face dataset card.
//!
//! Its YAML front matter gives `datasets.load_dataset(<dataset dir>, "<table>")` one
//! configuration per table: `data_files` takes only `v1/<table>/**/*.parquet` (the directory also
//! holds the crate's sources, which no glob may pick up), and `dataset_info` declares each table's
//! features at the current version, to which `datasets` casts every shard, so older shards load
//! with their missing columns null. The body says what the tables are, how to load each in one line
//! ([`super::RECIPES`], the lines the tests run), the licence and the citation.

use super::{DATASET_NAME, KEYWORDS, LICENSE_SPDX, RECIPES, Release, SCHEMA_DIR};
use crate::dictionary::one_line;
use crate::ids::RESERVED_SLUGS;
use crate::schema::v1::{REFERENCES, SCHEMA_VERSION, TABLES, VERSION_DIR};
use crate::schema::Logical;
use crate::store::empty::NO_DEVICE;

/// The `datasets` feature type of a column.
fn hf_dtype(logical: Logical) -> &'static str {
    match logical {
        Logical::Label | Logical::Text | Logical::Sha256 | Logical::Enum(_) => "string",
        Logical::Bool => "bool",
        Logical::Int32 => "int32",
        Logical::UInt32 => "uint32",
        Logical::UInt64 => "uint64",
        Logical::Float64 => "float64",
        Logical::TimestampUtc => "timestamp[us, tz=UTC]",
    }
}

/// A YAML double-quoted scalar (JSON's string syntax is valid YAML).
fn q(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

/// The YAML front matter, between `---` lines.
fn front_matter() -> String {
    let mut y = format!(
        "---\nlicense: {}\npretty_name: {}\nlanguage:\n  - en\ntags:\n",
        LICENSE_SPDX.to_lowercase(),
        q(DATASET_NAME)
    );
    for k in KEYWORDS {
        y.push_str(&format!("  - {}\n", q(&k.to_lowercase().replace(' ', "-"))));
    }
    y.push_str("configs:\n");
    for t in TABLES {
        y.push_str(&format!(
            "  - config_name: {}\n    data_files:\n      - split: train\n        path: {}\n",
            t.name,
            q(&format!("{VERSION_DIR}/{}/**/*.parquet", t.name))
        ));
    }
    y.push_str("dataset_info:\n");
    for t in TABLES {
        y.push_str(&format!("  - config_name: {}\n    features:\n", t.name));
        for c in t.columns {
            y.push_str(&format!("      - name: {}\n        dtype: {}\n", c.name, q(hf_dtype(c.logical))));
        }
    }
    y.push_str("---\n");
    y
}

fn tables_section() -> String {
    let mut md = String::from("| table | one row is | id column |\n|---|---|---|\n");
    for t in TABLES {
        md.push_str(&format!("| `{}` | {} | `{}` |\n", t.name, one_line(t.description).replace('|', "\\|"), t.id_column));
    }
    let refs: Vec<String> = REFERENCES
        .iter()
        .map(|r| {
            let target = crate::schema::v1::table(r.target_table).expect("references name v1 tables");
            format!("`{}.{}` → `{}.{}`", r.table, r.column, target.name, target.id_column)
        })
        .collect();
    md.push_str(&format!(
        "\nReferences between tables: {}. Every column, its type, unit, meaning and the schema version that added \
         it: the data dictionary, `schema/{VERSION_DIR}/README.md` at the repository root (with a JSON Schema per table \
         beside it), generated from the same code as this card.\n",
        refs.join(", ")
    ));
    md
}

fn layout_section() -> String {
    let reserved: Vec<String> = RESERVED_SLUGS.iter().map(|w| format!("`{w}`")).collect();
    format!(
        "## Layout\n\n\
         - `{VERSION_DIR}/<table>/device=<slug>/model=<slug>/<sha256>.parquet`: the shards, zstd Parquet, named by the \
         sha256 of their bytes, partitioned hive-style by the slugs of the device label and the model name \
         (`model=no-model` for rows without a model). `{VERSION_DIR}/MANIFEST.json` lists every shard with its sha256, \
         size, row count and schema version, and the dataset's release.\n\
         - Slugs are lower-case `a-z0-9-`, at most 64 characters. A slug that a reader could type as something else \
         than text gets `x-` in front: one that starts with a digit (`x-2026-01-01`) and the words {reserved}. \
         The labels themselves are columns (`device_label`, `model_name`).\n\
         - Shards of several schema versions ({first} to {SCHEMA_VERSION}) can sit in one table: a minor version only adds \
         nullable columns, and a shard holds the columns of its own version. The lines below read such a table whole, \
         the columns a shard lacks being null.\n\
         - A table without rows holds one shard without rows, in `device={NO_DEVICE}/model=no-model`, so that every \
         reader finds its columns.\n\
         - `{SCHEMA_DIR}/<table>.parquet`: a file without rows whose columns are the table's at the current version, \
         then `device` and `model` as strings: the schema the lines below give pyarrow, pandas and Polars.\n\
         - `croissant.json`: MLCommons Croissant 1.0 metadata (file sets, record sets, every field, the references \
         between tables). mlcroissant 1.1 reads the records of a table shard by shard, so it needs every shard of \
         the table at one schema version, and it fails on a reference column that is null in every row (such as \
         `kernels.run_id` when every capture was imported). `LICENSE-DATA.md`: the licence. `CITATION.cff`: the \
         citation.\n",
        reserved = reserved.join(", "),
        first = crate::schema::v1::VERSIONS[0].version,
    )
}

fn load_section() -> String {
    let mut md = String::from(
        "## Load it\n\n\
         One line per library, here for `generations` (any table name works), run from the repository root \
         (or with `dataset` replaced by the path of this directory):\n\n```python\n",
    );
    for r in RECIPES {
        md.push_str(&format!("# {}\n{}\n{}\n", r.library, r.imports, r.render("dataset", "generations")));
    }
    md.push_str(
        "```\n\n\
         DuckDB's `union_by_name=true`, the schema file given to pandas, Polars and pyarrow and the features this \
         card declares to `datasets` are what make a table of mixed schema versions load whole; without them a \
         reader takes the columns of whichever file it opens first, dropping newer columns or failing. The hive \
         readers add `device` and `model` (the partition slugs) as string columns; `datasets` reads the columns \
         only.\n\n",
    );
    md.push_str(&format!(
        "Every line also loads a table without rows (columns and no rows), except `datasets`' own: it holds no split \
         without rows and raises \"corresponds to no data\". Streamed, such a table loads with its features: \
         `{}`.\n",
        super::HF_STREAMING.render("dataset", "kernels")
    ));
    md
}

/// Where the report's numbers are, for a reader who wants them without building the report.
const MEDIANS_SECTION: &str = "## The report's medians\n\n\
    `tables/medians.csv` holds the per-cell medians of this release with their distribution-free intervals, as \
    `report build` writes them (a test keeps the two equal). Each interval covers the median with at least 95% \
    confidence; the exact coverage depends on n and is in `ci_level_percent` (for people: 96.5) and \
    `ci_level_exact` (0.96484375). [`recipes/cell_medians.sql`](recipes/cell_medians.sql) computes the \
    same cell medians in DuckDB from the Parquet files, with the report's definitions in its comments (a test \
    checks that it agrees with the CSV): `duckdb -c \".read dataset/recipes/cell_medians.sql\"` from the \
    repository root.\n";

fn release_line(release: Option<&Release>) -> String {
    match release {
        Some(r) => format!("Release {}, {}; schema {VERSION_DIR}, version {SCHEMA_VERSION}.", r.version, r.date),
        None => format!("Not released (no version recorded in `{VERSION_DIR}/MANIFEST.json`); schema {VERSION_DIR}, version {SCHEMA_VERSION}."),
    }
}

/// The card, front matter and body.
pub fn dataset_card(release: Option<&Release>) -> String {
    let mut md = front_matter();
    md.push_str(
        "\n<!-- Generated by `dataset schema --write` from dataset/src/package/card.rs. Do not edit. -->\n\n\
         # edgebench dataset\n\n",
    );
    md.push_str(&format!("{}\n\n{}\n\n", super::DESCRIPTION, release_line(release)));
    md.push_str(&tables_section());
    md.push('\n');
    md.push_str(&layout_section());
    md.push('\n');
    md.push_str(&load_section());
    md.push('\n');
    md.push_str(MEDIANS_SECTION);
    md.push_str(&format!(
        "\n## Licence\n\n\
         {LICENSE_SPDX} for the measurements, with two exceptions: the sentences `published` quotes from papers \
         (short quotations, kept so that each number can be checked against its source) and the text the measured \
         models generated (`generations.output_text`, under the terms of each model's licence). See \
         [`LICENSE-DATA.md`](LICENSE-DATA.md). The code that writes and reads the dataset is Apache-2.0.\n\n\
         ## Citation\n\n\
         [`CITATION.cff`](CITATION.cff), or as BibTeX:\n\n```bibtex\n{}\n```\n",
        super::legal::bibtex(release)
    ));
    md
}
