//! A shard's schema version and columns, against the schema value.
//!
//! A shard is of the version its footer names (`edgebench.schema_version`), which must be one this
//! tool knows, and holds exactly that version's columns ([`TableSchema::columns_at`]): shards
//! written before a minor version stay valid as they are. When the footer and the columns
//! disagree as a whole (a shard claiming 1.0 that holds the 1.1 columns, or the reverse), that is
//! said in one line rather than one line per column.

use arrow_schema::Fields;

use crate::schema::v1::{self, SCHEMA_VERSION, VERSION_DIR, VERSIONS};
use crate::schema::{TableSchema, truncate};
use crate::shard::OpenedShard;

use super::Sink;

const REGENERATE: &str = "write shards with the edgebench dataset writer (see schema/v1/README.md)";

/// The version a shard's rows are checked and decoded at.
pub(super) struct ShardVersion {
    pub version: &'static str,
    /// False when the footer names no version and the columns told it: the rows and the manifest
    /// are then not compared with a footer value that is not there.
    pub from_footer: bool,
}

/// Checks the footer's version and the shard's columns; `None` when the rows cannot be checked
/// (unknown version, or columns that are not the version's).
pub(super) fn shard_version(schema: &TableSchema, opened: &OpenedShard, sink: &mut Sink) -> Option<ShardVersion> {
    let actual = opened.arrow_schema().fields();
    let Some(claimed) = opened.footer_version() else {
        sink.add(None, None, "footer lacks `edgebench.schema_version`", REGENERATE);
        // Go on at the version the columns are (or the current one), to report what else is wrong.
        let version = schema.version_of_fields(actual).unwrap_or(SCHEMA_VERSION);
        return columns_match(schema, version, actual, sink).then_some(ShardVersion { version, from_footer: false });
    };
    let Some(rank) = v1::version_rank(&claimed) else {
        unknown_version(&claimed, sink);
        return None;
    };
    let version = VERSIONS[rank].version;
    if schema.arrow_schema_at(version).is_some_and(|s| s.fields() == actual) {
        return Some(ShardVersion { version, from_footer: true });
    }
    if let Some(other) = schema.version_of_fields(actual) {
        let other_rank = v1::version_rank(other).unwrap_or(rank);
        let (low, high) = (rank.min(other_rank), rank.max(other_rank));
        let between: Vec<&str> = schema
            .columns
            .iter()
            .filter(|c| v1::version_rank(c.since).is_some_and(|since| since > low && since <= high))
            .map(|c| c.name)
            .collect();
        let message = if other_rank > rank {
            format!(
                "footer says schema version `{version}` but the shard holds the columns added after it ({}): its columns are those of version {other}",
                between.join(", ")
            )
        } else {
            format!(
                "footer says schema version `{version}` but the shard lacks the columns that version has ({}): its columns are those of version {other}",
                between.join(", ")
            )
        };
        sink.add(None, None, message, "the footer's version and the columns must agree: regenerate the shard with the edgebench dataset writer");
        return None;
    }
    columns_match(schema, version, actual, sink).then_some(ShardVersion { version, from_footer: true })
}

fn unknown_version(claimed: &str, sink: &mut Sink) {
    let shown = truncate(claimed, 40);
    let major = claimed.split_once('.').map_or(claimed, |(major, _)| major);
    if major == "1" {
        sink.add(
            None,
            None,
            format!("footer says schema version `{shown}`, which this tool does not know (it knows {})", v1::known_versions()),
            "if a newer edgebench wrote the shard, upgrade edgebench; otherwise regenerate the shard with the edgebench dataset writer",
        );
    } else {
        let directory = if !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit()) { format!("v{major}/") } else { "its own directory".into() };
        sink.add(
            None,
            None,
            format!("footer says schema version `{shown}`, but shards under {VERSION_DIR}/ are of schema v1 (versions {})", v1::known_versions()),
            format!("a shard of another major version belongs under {directory}, with its migration; for {VERSION_DIR}/, regenerate it with the edgebench dataset writer"),
        );
    }
}

/// Compares a shard's columns with those of `version`, column by column. True when identical.
fn columns_match(schema: &TableSchema, version: &str, actual: &Fields, sink: &mut Sink) -> bool {
    let Some(expected) = schema.arrow_schema_at(version) else { return false };
    let mut ok = true;
    for field in expected.fields() {
        match actual.find(field.name()) {
            None => {
                ok = false;
                sink.add(None, Some(field.name()), "column is missing", REGENERATE);
            }
            Some((_, found)) => {
                if found.data_type() != field.data_type() {
                    ok = false;
                    sink.add(None, Some(field.name()), format!("has type {}, expected {}", found.data_type(), field.data_type()), REGENERATE);
                }
                if found.is_nullable() != field.is_nullable() {
                    ok = false;
                    let say = |n: bool| if n { "nullable" } else { "not nullable" };
                    sink.add(None, Some(field.name()), format!("is {}, expected {}", say(found.is_nullable()), say(field.is_nullable())), REGENERATE);
                }
            }
        }
    }
    for field in actual {
        if expected.field_with_name(field.name()).is_ok() {
            continue;
        }
        ok = false;
        let message = match schema.column(field.name()) {
            Some(later) => format!("is a column of `{}` since schema version {}, not of version {version}", schema.name, later.since),
            None => format!("is not a column of `{}` in schema version {version}", schema.name),
        };
        sink.add(None, Some(field.name()), message, REGENERATE);
    }
    if ok {
        let order: Vec<&String> = actual.iter().map(|f| f.name()).collect();
        let want: Vec<&String> = expected.fields().iter().map(|f| f.name()).collect();
        if order != want {
            ok = false;
            sink.add(None, None, "columns are not in schema order", REGENERATE);
        }
    }
    ok
}
