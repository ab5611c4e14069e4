//! Generated documentation of the schema: `schema/v1/<table>.schema.json` (JSON Schema 2020-12
//! of one row at the current version, with the Arrow type, unit and version that added every
//! column) and `schema/v1/README.md` (the data dictionary: the versions and what each added, every
//! column with the version that added it, and how to read shards of several versions together).
//! Both are pure functions of [`crate::schema::v1::TABLES`] and [`crate::schema::v1::VERSIONS`];
//! a test fails when the checked-in files differ from what this module generates.

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::ids::NO_MODEL;
use crate::schema::v1::{SCHEMA_VERSION, TABLES, VERSION_DIR, VERSIONS};
use crate::schema::{ColumnSpec, Logical, TableSchema};

/// A column description as one line of text (doc comment lines joined).
pub fn one_line(doc: &str) -> String {
    doc.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

/// `(path relative to the schema directory, contents)` of every generated file.
pub fn generated_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = TABLES
        .iter()
        .map(|t| {
            let mut text = serde_json::to_string_pretty(&json_schema(t)).expect("JSON schema serialises");
            text.push('\n');
            (format!("{VERSION_DIR}/{}.schema.json", t.name), text)
        })
        .collect();
    files.push((format!("{VERSION_DIR}/README.md"), data_dictionary()));
    files
}

/// Writes every generated file under `dir` (normally `schema/`).
pub fn write(dir: &Path) -> Result<Vec<String>> {
    let mut written = Vec::new();
    for (rel, text) in generated_files() {
        let path = dir.join(&rel);
        crate::fsutil::write_atomic(&path, text.as_bytes())?;
        written.push(path.display().to_string());
    }
    Ok(written)
}

/// Files under `dir` that are missing or differ from what the code generates.
pub fn stale_files(dir: &Path) -> Vec<String> {
    generated_files()
        .into_iter()
        .filter(|(rel, text)| std::fs::read_to_string(dir.join(rel)).ok().as_deref() != Some(text.as_str()))
        .map(|(rel, _)| dir.join(rel).display().to_string())
        .collect()
}

fn column_json(c: &ColumnSpec) -> Value {
    let mut p = Map::new();
    p.insert("description".into(), json!(one_line(c.description)));
    let (ty, extra): (&str, Vec<(&str, Value)>) = match c.logical {
        Logical::Label | Logical::Text => ("string", vec![("maxLength", json!(c.logical.max_len()))]),
        Logical::Sha256 => ("string", vec![("pattern", json!("^[0-9a-f]{64}$"))]),
        Logical::Enum(values) => {
            let mut v: Vec<Value> = values.iter().map(|s| json!(s)).collect();
            if c.nullable {
                v.push(Value::Null);
            }
            ("string", vec![("enum", Value::Array(v))])
        }
        Logical::Bool => ("boolean", vec![]),
        Logical::Int32 => ("integer", vec![("minimum", json!(i32::MIN)), ("maximum", json!(i32::MAX))]),
        Logical::UInt32 => ("integer", vec![("minimum", json!(0)), ("maximum", json!(u32::MAX))]),
        Logical::UInt64 => ("integer", vec![("minimum", json!(0))]),
        Logical::Float64 => ("number", vec![]),
        Logical::TimestampUtc => ("integer", vec![("description", json!(format!("{} (microseconds since 1970-01-01T00:00:00Z)", one_line(c.description))))]),
    };
    p.insert("type".into(), if c.nullable { json!([ty, "null"]) } else { json!(ty) });
    for (k, v) in extra {
        p.insert(k.into(), v);
    }
    p.insert("x-arrow-type".into(), json!(c.logical.arrow_type().to_string()));
    if let Some(unit) = c.unit {
        p.insert("x-unit".into(), json!(unit));
    }
    p.insert("x-edgebench-since".into(), json!(c.since));
    Value::Object(p)
}

/// JSON Schema (2020-12) of one row of `t` at the current version. Each property says which
/// version added it (`x-edgebench-since`); a row read from a shard of an older version, through a
/// reader that unifies versions, has the later columns null.
pub fn json_schema(t: &TableSchema) -> Value {
    let properties: Map<String, Value> = t.columns.iter().map(|c| (c.name.to_owned(), column_json(c))).collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("urn:edgebench:schema:{VERSION_DIR}:{}", t.name),
        "title": format!("edgebench {VERSION_DIR} `{}` row", t.name),
        "description": one_line(t.description),
        "type": "object",
        "additionalProperties": false,
        "required": t.columns.iter().map(|c| c.name).collect::<Vec<_>>(),
        "properties": properties,
        "x-edgebench": {
            "table": t.name,
            "schema_version": SCHEMA_VERSION,
            "versions": VERSIONS.iter().map(|v| json!({"version": v.version, "added": one_line(v.added)})).collect::<Vec<_>>(),
            "id_column": t.id_column,
            "partition": {
                "device": t.partition.device_column,
                "model": t.partition.model_column.unwrap_or(NO_MODEL),
            },
        },
    })
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The data dictionary, in Markdown.
pub fn data_dictionary() -> String {
    let mut md = String::new();
    md.push_str(&format!(
        "<!-- Generated by `dataset schema --write` from dataset/src/schema/v1.rs. Do not edit. -->\n\n\
         # edgebench dataset, schema {VERSION_DIR} (current version {SCHEMA_VERSION})\n\n\
         Layout: `dataset/{VERSION_DIR}/<table>/device=<slug>/model=<slug>/<sha256>.parquet` (zstd Parquet; the file \
         name is the sha256 of the file's bytes) and `dataset/{VERSION_DIR}/MANIFEST.json`, which lists every shard \
         with its path, sha256, byte size, row count and schema version.\n\n\
         - **Grain.** Rows are what was measured, never aggregates. A failed run is a row with its status and reason.\n\
         - **Partitions.** `device=` is the slug of the row's device label and `model=` the slug of its model name \
         (`{NO_MODEL}` for rows without a model). Slugs are lower-case `a-z0-9-`, at most 64 characters; a slug that \
         starts with a digit or is one of the words {reserved} gets `x-` in front, so hive readers infer every slug \
         as a string (never a number, a date, a boolean or a null). The labels themselves are columns; the partition \
         names are not, so readers with hive partitioning add `device` and `model` without clashing. A table \
         without rows holds one shard without rows (`device=no-device/model={NO_MODEL}`), so readers find its \
         columns.\n\
         - **Ids.** Each table's id column is the sha256 of the canonical JSON array of its identifying fields \
         (listed in the id column's description): `[[\"table\",\"<table>\"],[\"<field>\",\"<value or null>\"],...]`, \
         no whitespace, values as strings (numbers in shortest round-trip form). The same measurement contributed \
         twice has the same id.\n\
         - **Footer.** Every shard's Parquet footer carries `edgebench.table`, `edgebench.schema_version`, \
         `edgebench.writer` and, for each provenance column whose value is the same in all its rows, \
         `edgebench.<column>`.\n\
         - **Nulls.** A null means not measured or not applicable; where a sensor is absent, a `*_null_reason` \
         column says why. Values are never guessed.\n\
         - **Versions.** Adding a nullable column is a minor version (1.x); any other change is a new major \
         directory with a documented migration. A shard holds exactly the columns of the version its footer names \
         (its rows' `schema_version` and its manifest entry say the same); shards of every version below stay valid, \
         and new shards are written at the current version. See [Versions](#versions).\n\
         - **Types.** Timestamps are microseconds since the Unix epoch, UTC. Text columns have a maximum length.\n\n\
         Loading, one line each (for a table whose shards are all of one version; see below otherwise): \
         pyarrow `ds.dataset(\"dataset/{VERSION_DIR}/generations\", partitioning=\"hive\")`; \
         DuckDB `read_parquet('dataset/{VERSION_DIR}/generations/**/*.parquet', hive_partitioning=true)`; \
         Polars `pl.scan_parquet(\"dataset/{VERSION_DIR}/generations/**/*.parquet\", hive_partitioning=True)`.\n\n\
         The dataset card, `dataset/README.md`, has one line per library (pandas, Polars, DuckDB, pyarrow, \
         Hugging Face `datasets`) that also reads tables of mixed versions and empty tables.\n\n\
         JSON Schema of one row of each table (at the current version; `x-edgebench-since` names the version \
         that added each column): `<table>.schema.json` beside this file.\n",
        reserved = crate::ids::RESERVED_SLUGS.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(", "),
    ));
    md.push_str(&versions_section());
    for t in TABLES {
        md.push_str(&format!("\n## `{}`\n\n{}\n\n", t.name, one_line(t.description)));
        md.push_str(&format!(
            "Id column: `{}`. Partitioned by `{}` and {}.\n\n",
            t.id_column,
            t.partition.device_column,
            t.partition.model_column.map(|m| format!("`{m}`")).unwrap_or_else(|| format!("`{NO_MODEL}`"))
        ));
        md.push_str("| column | type | unit | nullable | since | meaning |\n|---|---|---|---|---|---|\n");
        for c in t.columns {
            md.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} |\n",
                c.name,
                cell(&c.logical.describe()),
                c.unit.unwrap_or(""),
                if c.nullable { "yes" } else { "no" },
                // Only later versions are marked: a blank is the first version.
                if c.since == VERSIONS[0].version { "" } else { c.since },
                cell(&one_line(c.description)),
            ));
        }
    }
    md.push_str(
        "\n## Kernel classes\n\n\
         `kernels.op_class` (and `published.op_class`) come from one rule set, defined as data in \
         `dataset/src/kernel_class.rs`. Rules are tried in order within their namespace, on the \
         lower-cased name; the first match wins. GPU kernel names (Nsight, PyTorch) are matched on \
         their base name (no `void `, template arguments or parameters), then on the full demangled \
         name; ggml op names (`collect profile`) are matched as `ggml_op_desc` prints them. A matrix \
         product (`MUL_MAT`, `MUL_MAT_ID`, `OUT_PROD`) is `gemv` with one token column and `gemm` with \
         more, and `attention` when its first source is not a weight (the KQ and KQV products \
         without flash attention). A name no rule matches is `other`: kept, and counted in the \
         report, never dropped; `misc` is a known op outside the named classes.\n\n",
    );
    md.push_str(&crate::kernel_class::rules_markdown());
    md.push_str(&crate::published_join::markdown());
    md
}

/// The versions of the schema, what each added (its note and the columns derived from `since`),
/// and how readers combine shards of several versions.
fn versions_section() -> String {
    let mut md = String::from("\n## Versions\n\n| version | added |\n|---|---|\n");
    for v in VERSIONS {
        let columns: Vec<String> = TABLES
            .iter()
            .flat_map(|t| t.columns.iter().filter(|c| c.since == v.version).map(move |c| format!("`{}.{}`", t.name, c.name)))
            .collect();
        let added = if v.version == VERSIONS[0].version || columns.is_empty() {
            one_line(v.added)
        } else {
            format!("{}: {}", one_line(v.added), columns.join(", "))
        };
        md.push_str(&format!("| {} | {} |\n", v.version, cell(&added)));
    }
    let dir = format!("dataset/{VERSION_DIR}/kernels");
    md.push_str(&format!(
        "\nA table can hold shards of an older version beside current ones (for example `kernels` shards of 1.0, \
         without the columns 1.1 added). Each shard holds only its own version's columns, and by default each \
         reader takes its columns from one file: tell it to take the union, and the rows of older shards then have \
         the later columns null.\n\n\
         - pyarrow: `d = ds.dataset(\"{dir}\", partitioning=\"hive\")`, then \
         `ds.dataset(\"{dir}\", partitioning=\"hive\", schema=pa.unify_schemas([d.schema] + [f.physical_schema for f in d.get_fragments()]))` \
         (without `schema=`, the columns of the first file found are used and the others' are dropped).\n\
         - DuckDB: `read_parquet('{dir}/**/*.parquet', hive_partitioning=true, union_by_name=true)` \
         (without `union_by_name`, the first file's columns are used and the others' are dropped).\n\
         - Polars: `pl.concat([pl.scan_parquet(f, hive_partitioning=True) for f in glob.glob(\"{dir}/**/*.parquet\", recursive=True)], how=\"diagonal\")`, \
         or `pl.scan_parquet(\"{dir}/**/*.parquet\", hive_partitioning=True, schema=s, missing_columns=\"insert\")` \
         where `s` is the current version's columns, for example `pl.read_parquet_schema` of a current shard; \
         without either, a file whose columns differ from the first one's is an error.\n\n\
         Each shard's version is in its manifest entry (`schema_version`) and its footer \
         (`edgebench.schema_version`).\n"
    ));
    md
}

/// Error for a schema directory that cannot be written.
pub fn write_error(dir: &Path, e: Error) -> String {
    format!("{}: cannot write the schema files: {e}", dir.display())
}
