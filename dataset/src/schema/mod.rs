//! The schema as a value.
//!
//! Every table is declared once, in Rust, with [`define_table!`]: the macro produces the row
//! struct (what the collector fills and the report reads) *and* a static [`TableSchema`] that
//! describes each column (logical type, nullability, unit, meaning, and the schema version that
//! added it). Everything else is derived from that value: the Arrow schema written into every
//! shard and the column set of every older version ([`TableSchema::columns_at`]), the JSON Schema
//! files and the data dictionary under `schema/v1/`, and the column checks of the validator.
//! Nothing about a column is written down twice.

pub mod v1;

use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields, Schema, TimeUnit};
use serde::{Deserialize, Serialize};

/// The logical type of a column: the Arrow type plus the constraint the validator enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logical {
    /// Short UTF-8 text: a label, a name, a version (at most [`Logical::max_len`] bytes).
    Label,
    /// Long UTF-8 text: model output, a quoted sentence, a JSON document.
    Text,
    /// A SHA-256 digest as 64 lower-case hexadecimal characters.
    Sha256,
    /// UTF-8 text restricted to a closed set of values.
    Enum(&'static [&'static str]),
    Bool,
    Int32,
    UInt32,
    UInt64,
    Float64,
    /// Microseconds since the Unix epoch, UTC.
    TimestampUtc,
}

impl Logical {
    /// The Arrow type that stores this logical type in a shard.
    pub fn arrow_type(&self) -> DataType {
        match self {
            Logical::Label | Logical::Text | Logical::Sha256 | Logical::Enum(_) => DataType::Utf8,
            Logical::Bool => DataType::Boolean,
            Logical::Int32 => DataType::Int32,
            Logical::UInt32 => DataType::UInt32,
            Logical::UInt64 => DataType::UInt64,
            Logical::Float64 => DataType::Float64,
            Logical::TimestampUtc => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        }
    }

    /// Longest value, in bytes, that a text column may hold. Bounds what a hostile shard can make
    /// the validator and the report hold in memory per value.
    pub fn max_len(&self) -> Option<usize> {
        match self {
            Logical::Label => Some(1024),
            Logical::Text => Some(1 << 20),
            Logical::Sha256 => Some(64),
            Logical::Enum(_) => Some(64),
            _ => None,
        }
    }

    /// Short human name used in the data dictionary.
    pub fn describe(&self) -> String {
        match self {
            Logical::Label => "string (≤ 1 KiB)".into(),
            Logical::Text => "string (≤ 1 MiB)".into(),
            Logical::Sha256 => "string: sha256, 64 lower-case hex".into(),
            Logical::Enum(values) => format!("string, one of: {}", values.join(", ")),
            Logical::Bool => "bool".into(),
            Logical::Int32 => "int32".into(),
            Logical::UInt32 => "uint32".into(),
            Logical::UInt64 => "uint64".into(),
            Logical::Float64 => "float64".into(),
            Logical::TimestampUtc => "timestamp[µs, UTC]".into(),
        }
    }
}

/// One column of a table.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub logical: Logical,
    pub nullable: bool,
    /// Unit of the stored value (`ms`, `bytes`, `W`, `J`, ...), when it has one.
    pub unit: Option<&'static str>,
    /// What the value means and where it comes from (the field's doc comment).
    pub description: &'static str,
    /// Schema version that added the column (`"1.0"` for the original columns). Columns added by a
    /// minor version are nullable, so shards written before it stay valid.
    pub since: &'static str,
}

impl ColumnSpec {
    pub fn arrow_field(&self) -> Field {
        Field::new(self.name, self.logical.arrow_type(), self.nullable)
    }
}

/// One version of a schema, for the data dictionary and the validator's messages.
#[derive(Debug, Clone, Copy)]
pub struct SchemaVersion {
    /// `major.minor`.
    pub version: &'static str,
    /// What the version added, in one line (the columns themselves carry `since`).
    pub added: &'static str,
}

/// How a table's shards are partitioned on disk (`device=<slug>/model=<slug>`).
#[derive(Debug, Clone, Copy)]
pub struct PartitionSpec {
    /// Column whose slug names the `device=` directory.
    pub device_column: &'static str,
    /// Column whose slug names the `model=` directory; `None` for tables that have no model
    /// (their rows live under `model=no-model`).
    pub model_column: Option<&'static str>,
}

/// A column whose values are the ids of another table's rows (a foreign key). The package
/// metadata (Croissant, the card) declares each; the validator's reference pass checks that every
/// non-null value names a row.
#[derive(Debug, Clone, Copy)]
pub struct Reference {
    pub table: &'static str,
    pub column: &'static str,
    /// The referenced table; the column referred to is its id column.
    pub target_table: &'static str,
}

/// A table of schema v1, as a value: its columns at the current version, each marked with the
/// version that added it (see [`TableSchema::columns_at`] for older versions).
#[derive(Debug)]
pub struct TableSchema {
    pub name: &'static str,
    /// What one row is (the struct's doc comment).
    pub description: &'static str,
    /// The column holding the row id (sha256 of the identifying fields).
    pub id_column: &'static str,
    pub partition: PartitionSpec,
    pub columns: &'static [ColumnSpec],
}

impl TableSchema {
    /// The Arrow schema of the current version ([`v1::SCHEMA_VERSION`]): what the writer writes,
    /// and what readers hand out whatever the version of the shard they read.
    pub fn arrow_schema(&self) -> Arc<Schema> {
        Arc::new(Schema::new(
            self.columns.iter().map(ColumnSpec::arrow_field).collect::<Vec<_>>(),
        ))
    }

    /// The columns a shard of `version` holds, in schema order: those added at or before it.
    /// `None` for a version this tool does not know.
    pub fn columns_at(&self, version: &str) -> Option<Vec<&'static ColumnSpec>> {
        let rank = v1::version_rank(version)?;
        let columns: &'static [ColumnSpec] = self.columns;
        Some(columns.iter().filter(|c| v1::version_rank(c.since).is_some_and(|since| since <= rank)).collect())
    }

    /// The Arrow schema every shard of `version` carries, column for column.
    pub fn arrow_schema_at(&self, version: &str) -> Option<Arc<Schema>> {
        let fields: Vec<Field> = self.columns_at(version)?.into_iter().map(ColumnSpec::arrow_field).collect();
        Some(Arc::new(Schema::new(fields)))
    }

    /// The newest known version whose columns are exactly `fields` (names, types, nullability,
    /// order), if any: what a shard with these columns is, whatever its footer says.
    pub fn version_of_fields(&self, fields: &Fields) -> Option<&'static str> {
        v1::VERSIONS
            .iter()
            .rev()
            .map(|v| v.version)
            .find(|v| self.arrow_schema_at(v).is_some_and(|s| s.fields() == fields))
    }

    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Maps a Rust field type to its logical column type. Implemented for the handful of types that
/// rows are made of; `Option<T>` makes a column nullable.
pub trait ColumnType {
    const LOGICAL: Logical;
    const NULLABLE: bool = false;
}

impl ColumnType for String {
    const LOGICAL: Logical = Logical::Label;
}
impl ColumnType for bool {
    const LOGICAL: Logical = Logical::Bool;
}
impl ColumnType for i32 {
    const LOGICAL: Logical = Logical::Int32;
}
impl ColumnType for u32 {
    const LOGICAL: Logical = Logical::UInt32;
}
impl ColumnType for u64 {
    const LOGICAL: Logical = Logical::UInt64;
}
impl ColumnType for f64 {
    const LOGICAL: Logical = Logical::Float64;
}
impl<T: ColumnType> ColumnType for Option<T> {
    const LOGICAL: Logical = T::LOGICAL;
    const NULLABLE: bool = true;
}

/// Long text (model output, quoted sentences, JSON documents).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(pub String);

impl ColumnType for Text {
    const LOGICAL: Logical = Logical::Text;
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(s)
    }
}
impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(s.to_owned())
    }
}
impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// A SHA-256 digest in lower-case hex. Constructed only from a digest or a checked string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sha256Hex(String);

impl Sha256Hex {
    /// Digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        use sha2::Digest;
        Sha256Hex(hex(&sha2::Sha256::digest(bytes)))
    }

    /// Accepts exactly 64 lower-case hex characters.
    pub fn parse(s: &str) -> Result<Self, String> {
        if is_sha256_hex(s) {
            Ok(Sha256Hex(s.to_owned()))
        } else {
            Err(format!("`{}` is not a sha256 digest (64 lower-case hex characters)", truncate(s, 80)))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl ColumnType for Sha256Hex {
    const LOGICAL: Logical = Logical::Sha256;
}

pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Cuts `s` to at most `max` characters for messages, marking the cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((i, _)) => format!("{}…", &s[..i]),
    }
}

/// A point in time: microseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UtcMicros(pub i64);

impl UtcMicros {
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        UtcMicros(d.as_micros() as i64)
    }
}

impl ColumnType for UtcMicros {
    const LOGICAL: Logical = Logical::TimestampUtc;
}

/// Declares a closed set of string values, stored as UTF-8 and checked by the validator.
#[macro_export]
macro_rules! string_enum {
    (
        $(#[doc = $doc:literal])*
        pub enum $name:ident { $( $(#[doc = $vdoc:literal])* $variant:ident = $value:literal, )+ }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
                 serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[doc = $vdoc])* #[serde(rename = $value)] $variant, )+
        }

        impl $name {
            pub const VALUES: &'static [&'static str] = &[$($value),+];
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self { $( $name::$variant => $value, )+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $( $value => Ok($name::$variant), )+
                    _ => Err(format!("`{}` is not one of: {}", s, Self::VALUES.join(", "))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::schema::ColumnType for $name {
            const LOGICAL: $crate::schema::Logical = $crate::schema::Logical::Enum($name::VALUES);
        }
    };
}

/// Declares one table: the row struct and its [`TableSchema`].
///
/// Field doc comments become the column descriptions in the data dictionary, and an optional
/// `#[unit = "ms"]` the column's unit, and an optional `#[since = "1.1"]` the minor version that
/// added the column: the struct is the single source of truth.
#[macro_export]
macro_rules! define_table {
    (
        $(#[doc = $tdoc:literal])*
        table $table:literal, id $id:ident, partition(device = $dev:ident, model = $model:tt),
        pub struct $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $(#[unit = $unit:literal])?
                $(#[since = $since:literal])?
                pub $field:ident : $fty:ty,
            )+
        }
    ) => {
        $(#[doc = $tdoc])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $( $(#[doc = $doc])* pub $field: $fty, )+
        }

        impl $name {
            pub const SCHEMA: &'static $crate::schema::TableSchema = &$crate::schema::TableSchema {
                name: $table,
                description: $crate::define_table!(@join $($tdoc)*),
                id_column: stringify!($id),
                partition: $crate::schema::PartitionSpec {
                    device_column: stringify!($dev),
                    model_column: $crate::define_table!(@model $model),
                },
                columns: &[
                    $(
                        $crate::schema::ColumnSpec {
                            name: stringify!($field),
                            logical: <$fty as $crate::schema::ColumnType>::LOGICAL,
                            nullable: <$fty as $crate::schema::ColumnType>::NULLABLE,
                            unit: $crate::define_table!(@unit $($unit)?),
                            description: $crate::define_table!(@join $($doc)*),
                            since: $crate::define_table!(@since $($since)?),
                        },
                    )+
                ],
            };
        }
    };
    (@unit $unit:literal) => { Some($unit) };
    (@unit) => { None };
    (@since $since:literal) => { $since };
    (@since) => { "1.0" };
    (@model none) => { None };
    (@model $model:ident) => { Some(stringify!($model)) };
    (@join $($doc:literal)*) => { concat!($($doc, "\n",)*) };
}
