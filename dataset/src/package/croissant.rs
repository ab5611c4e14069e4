//! `croissant.json`: the dataset described in MLCommons Croissant 1.0 (JSON-LD).
//!
//! One `cr:FileSet` per table (its shards, by glob, relative to the dataset directory) and one
//! `cr:RecordSet` per table: every column as a `cr:Field` extracted from that file set, with its
//! type, its description (unit, nullability and the schema version that added it included, as
//! Croissant 1.0 has no property for them), the table's id column as the record set's key, and
//! each column of [`REFERENCES`] pointing at the id field of the table it refers to. Columns that
//! older shards lack read as missing values, as in every other reader.

use serde_json::{Map, Value, json};

use super::{CREATORS, DATASET_NAME, LICENSE_URL, REPOSITORY, Release};
use crate::dictionary::one_line;
use crate::schema::v1::{REFERENCES, SCHEMA_VERSION, TABLES, VERSION_DIR};
use crate::schema::{ColumnSpec, Logical, TableSchema};

/// The JSON-LD context Croissant 1.0 documents use.
fn context() -> Value {
    json!({
        "@language": "en",
        "@vocab": "https://schema.org/",
        "citeAs": "cr:citeAs",
        "column": "cr:column",
        "conformsTo": "dct:conformsTo",
        "cr": "http://mlcommons.org/croissant/",
        "rai": "http://mlcommons.org/croissant/RAI/",
        "data": {"@id": "cr:data", "@type": "@json"},
        "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
        "dct": "http://purl.org/dc/terms/",
        "equivalentProperty": "cr:equivalentProperty",
        "examples": {"@id": "cr:examples", "@type": "@json"},
        "extract": "cr:extract",
        "field": "cr:field",
        "fileProperty": "cr:fileProperty",
        "fileObject": "cr:fileObject",
        "fileSet": "cr:fileSet",
        "format": "cr:format",
        "includes": "cr:includes",
        "isLiveDataset": "cr:isLiveDataset",
        "jsonPath": "cr:jsonPath",
        "key": "cr:key",
        "md5": "cr:md5",
        "parentField": "cr:parentField",
        "path": "cr:path",
        "recordSet": "cr:recordSet",
        "references": "cr:references",
        "regex": "cr:regex",
        "repeated": "cr:repeated",
        "replace": "cr:replace",
        "samplingRate": "cr:samplingRate",
        "sc": "https://schema.org/",
        "separator": "cr:separator",
        "source": "cr:source",
        "subField": "cr:subField",
        "transform": "cr:transform",
    })
}

/// The schema.org type a column's values have.
fn data_type(logical: Logical) -> &'static str {
    match logical {
        Logical::Label | Logical::Text | Logical::Sha256 | Logical::Enum(_) => "sc:Text",
        Logical::Bool => "sc:Boolean",
        Logical::Int32 | Logical::UInt32 | Logical::UInt64 => "sc:Integer",
        Logical::Float64 => "sc:Float",
        Logical::TimestampUtc => "sc:DateTime",
    }
}

/// `@id` of a table's file set and of one of its fields.
fn file_set_id(table: &str) -> String {
    format!("{table}-shards")
}
fn field_id(table: &str, column: &str) -> String {
    format!("{table}/{column}")
}

/// A column's description with what Croissant has no property for.
fn field_description(c: &ColumnSpec) -> String {
    let mut d = one_line(c.description);
    if let Logical::Enum(values) = c.logical {
        d.push_str(&format!(" One of: {}.", values.join(", ")));
    }
    if let Some(unit) = c.unit {
        d.push_str(&format!(" Unit: {unit}."));
    }
    d.push_str(if c.nullable { " May be null." } else { " Never null." });
    if c.since != crate::schema::v1::VERSIONS[0].version {
        d.push_str(&format!(" Added in schema {}; null in rows of older shards.", c.since));
    }
    d
}

fn field(t: &TableSchema, c: &ColumnSpec) -> Value {
    let mut f = Map::new();
    f.insert("@type".into(), json!("cr:Field"));
    f.insert("@id".into(), json!(field_id(t.name, c.name)));
    f.insert("name".into(), json!(c.name));
    f.insert("description".into(), json!(field_description(c)));
    f.insert("dataType".into(), json!(data_type(c.logical)));
    f.insert(
        "source".into(),
        json!({"fileSet": {"@id": file_set_id(t.name)}, "extract": {"column": c.name}}),
    );
    if let Some(r) = REFERENCES.iter().find(|r| r.table == t.name && r.column == c.name) {
        let target = crate::schema::v1::table(r.target_table).expect("references name v1 tables");
        f.insert("references".into(), json!({"field": {"@id": field_id(target.name, target.id_column)}}));
    }
    Value::Object(f)
}

fn record_set(t: &TableSchema) -> Value {
    json!({
        "@type": "cr:RecordSet",
        "@id": t.name,
        "name": t.name,
        "description": format!(
            "{} Id column: {}. Schema {VERSION_DIR}, version {SCHEMA_VERSION}.",
            one_line(t.description),
            t.id_column
        ),
        "key": {"@id": field_id(t.name, t.id_column)},
        "field": t.columns.iter().map(|c| field(t, c)).collect::<Vec<_>>(),
    })
}

fn file_set(t: &TableSchema) -> Value {
    json!({
        "@type": "cr:FileSet",
        "@id": file_set_id(t.name),
        "name": file_set_id(t.name),
        "description": format!(
            "The `{}` table: zstd Parquet shards partitioned as device=<slug>/model=<slug> (hive style), listed in \
             {VERSION_DIR}/MANIFEST.json with their sha256. A table without rows holds one shard without rows.",
            t.name
        ),
        "encodingFormat": "application/x-parquet",
        "includes": format!("{VERSION_DIR}/{}/**/*.parquet", t.name),
    })
}

/// The document, as pretty-printed JSON with a final newline.
pub fn croissant_json(release: Option<&Release>) -> String {
    let mut doc = Map::new();
    doc.insert("@context".into(), context());
    doc.insert("@type".into(), json!("sc:Dataset"));
    doc.insert("conformsTo".into(), json!("http://mlcommons.org/croissant/1.0"));
    doc.insert("name".into(), json!(DATASET_NAME));
    doc.insert("description".into(), json!(super::DESCRIPTION));
    doc.insert("url".into(), json!(REPOSITORY));
    doc.insert("license".into(), json!(LICENSE_URL));
    doc.insert("creator".into(), json!({"@type": "sc:Organization", "name": CREATORS, "url": REPOSITORY}));
    doc.insert("keywords".into(), json!(super::KEYWORDS));
    if let Some(r) = release {
        doc.insert("version".into(), json!(r.version));
        doc.insert("datePublished".into(), json!(r.date));
    }
    doc.insert("citeAs".into(), json!(super::legal::bibtex(release)));
    doc.insert("isLiveDataset".into(), json!(true));
    doc.insert("distribution".into(), Value::Array(TABLES.iter().map(|t| file_set(t)).collect()));
    doc.insert("recordSet".into(), Value::Array(TABLES.iter().map(|t| record_set(t)).collect()));
    let mut text = serde_json::to_string_pretty(&Value::Object(doc)).expect("croissant serialises");
    text.push('\n');
    text
}
