//! One shard: a zstd-compressed Parquet file holding rows of one table for one partition.
//!
//! Encoding is deterministic (rows sorted by id, fixed writer settings), so the same rows always
//! give the same bytes and therefore the same shard id (the sha256 of those bytes). Decoding is
//! defensive: every size the file declares is checked against [`Limits`] before anything is
//! allocated for it, so a truncated, hostile or huge file is refused with a message instead of
//! exhausting memory.
//!
//! Versions: the encoder writes the current schema version ([`SCHEMA_VERSION`]) with all its
//! columns and names it in the footer. A shard written under an older minor version holds only
//! that version's columns; [`OpenedShard::version`] checks that the footer names a known version
//! and that the columns are exactly that version's, and [`complete_batch`] adds the columns the
//! version lacks, as nulls, to each decoded batch, so that rows of every version decode into the
//! current row structs. Nothing is guessed: which columns are filled is decided by the schema
//! value (`since` of each column), never by what a file happens to hold.

use std::sync::Arc;

use arrow_array::{Array, BooleanArray, Int32Array, RecordBatch, RecordBatchOptions, StringArray, UInt32Array, UInt64Array};
use arrow_schema::{DataType, FieldRef, Schema, SchemaRef};
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::{KeyValue, ParquetMetaData};
use parquet::file::properties::WriterProperties;

use crate::schema::v1::{self, SCHEMA_VERSION};
use crate::schema::{ColumnSpec, TableSchema};
use crate::table::Table;

/// Prefix of the dataset's key-value metadata in Parquet footers.
pub const FOOTER_PREFIX: &str = "edgebench.";
/// Rows per row group (and per read batch).
pub const ROW_GROUP_ROWS: usize = 65_536;

/// Columns whose value, when it is the same in every row of a shard, is also written into the
/// Parquet footer as `edgebench.<column>`: the shard-level provenance.
pub const FOOTER_PROVENANCE_COLUMNS: &[&str] = &[
    "schema_version",
    "device_label",
    "backend",
    "power_mode",
    "power_mode_id",
    "model_name",
    "model_file_name",
    "model_sha256",
    "model_size_bytes",
    "model_architecture",
    "model_n_params",
    "model_file_type",
    "protocol",
    "prompt_set_name",
    "prompt_set_sha256",
    "run_config_sha256",
    "collector_version",
    "collector_git_commit",
    "llama_cpp_sys_version",
    "llama_cpp_commit",
    "ggml_version",
    "host_fingerprint_sha256",
    "host_cpu_model",
    "host_cpu_logical_cores",
    "host_cpu_physical_cores",
    "host_ram_bytes",
    "host_os",
    "host_kernel",
    "host_arch",
    "host_gpu_name",
    "host_gpu_driver",
    "host_cuda_version",
    "capture_id",
    "tool",
    "tool_version",
    "experiment",
    "citation_key",
];

/// Bounds on what a shard may declare. The defaults hold every honest shard with a wide margin.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest shard file (GitHub refuses files over 100 MB).
    pub max_file_bytes: u64,
    /// Largest uncompressed size of one column chunk, as the footer declares it.
    pub max_column_chunk_bytes: u64,
    /// Largest uncompressed size of all column chunks together.
    pub max_uncompressed_bytes: u64,
    pub max_row_groups: usize,
    pub max_rows: u64,
    /// Rows decoded at a time.
    pub batch_rows: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 100 * 1000 * 1000,
            max_column_chunk_bytes: 256 << 20,
            max_uncompressed_bytes: 1 << 30,
            max_row_groups: 4096,
            max_rows: 50_000_000,
            batch_rows: 8192,
        }
    }
}

/// Encodes rows of one partition into shard bytes at the current schema version. Rows are
/// sorted by id first.
pub fn encode<T: Table>(rows: &mut [T]) -> Result<Vec<u8>, String> {
    encode_at(rows, SCHEMA_VERSION)
}

/// Encodes rows as the writer of `version` did: that version's columns only (later columns must
/// be null) and `version` in the footer. The store only ever writes the current
/// version; older ones are for tests of reading old shards ([`crate::fixtures::encode_at_version`]).
pub(crate) fn encode_at<T: Table>(rows: &mut [T], version: &str) -> Result<Vec<u8>, String> {
    if rows.is_empty() {
        return Err("a shard must hold at least one row".into());
    }
    rows.sort_by(|a, b| a.id().cmp(b.id()));
    let schema = T::schema();
    let arrow_schema = schema.arrow_schema();
    let fields: Vec<FieldRef> = arrow_schema.fields().iter().cloned().collect();
    let batch = serde_arrow::to_record_batch(&fields, &rows)
        .map_err(|e| format!("cannot convert {} rows to Arrow: {e}", schema.name))?;
    let keep: Vec<usize> = schema
        .columns_at(version)
        .ok_or_else(|| format!("`{version}` is not a schema version this tool knows"))?
        .iter()
        .filter_map(|c| arrow_schema.index_of(c.name).ok())
        .collect();
    if let Some(dropped) = (0..batch.num_columns()).find(|i| !keep.contains(i) && batch.column(*i).null_count() < batch.num_rows()) {
        return Err(format!("column `{}` has values but schema version {version} has no such column", arrow_schema.field(dropped).name()));
    }
    let batch = batch.project(&keep).map_err(|e| e.to_string())?;
    write_shard(schema, &batch, version)
}

/// A shard of `schema` at the current version holding no rows: what a table without rows holds,
/// so that every reader finds a file with the table's columns (see `crate::store::empty`).
pub fn encode_empty(schema: &TableSchema) -> Vec<u8> {
    let batch = RecordBatch::new_empty(schema.arrow_schema());
    write_shard(schema, &batch, SCHEMA_VERSION).expect("an empty batch of the table's own schema encodes")
}

/// The Parquet bytes of one shard: zstd, bounded row groups, the `edgebench.*` footer.
fn write_shard(schema: &TableSchema, batch: &RecordBatch, version: &str) -> Result<Vec<u8>, String> {
    let arrow_schema = batch.schema();
    let metadata = footer_metadata_at(schema, batch, version);
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).map_err(|e| e.to_string())?))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_key_value_metadata(Some(metadata))
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, arrow_schema, Some(props)).map_err(|e| e.to_string())?;
    writer.write(batch).map_err(|e| e.to_string())?;
    writer.close().map_err(|e| e.to_string())?;
    Ok(out)
}

/// The footer's `edgebench.*` entries for a batch: table, schema version, writer, and every
/// provenance column that is constant and non-null across the batch.
pub fn footer_metadata(schema: &TableSchema, batch: &RecordBatch) -> Vec<KeyValue> {
    footer_metadata_at(schema, batch, SCHEMA_VERSION)
}

fn footer_metadata_at(schema: &TableSchema, batch: &RecordBatch, version: &str) -> Vec<KeyValue> {
    let mut kv = vec![
        KeyValue::new(format!("{FOOTER_PREFIX}table"), schema.name.to_owned()),
        KeyValue::new(format!("{FOOTER_PREFIX}schema_version"), version.to_owned()),
        KeyValue::new(
            format!("{FOOTER_PREFIX}writer"),
            format!("edgebench-dataset {}", env!("CARGO_PKG_VERSION")),
        ),
    ];
    for name in FOOTER_PROVENANCE_COLUMNS {
        if *name == "schema_version" {
            continue;
        }
        if let Some(value) = batch.column_by_name(name).and_then(|a| constant_value(a.as_ref())) {
            kv.push(KeyValue::new(format!("{FOOTER_PREFIX}{name}"), value));
        }
    }
    kv
}

/// The single value of a column that holds one non-null value in every row, as text.
pub fn constant_value(array: &dyn Array) -> Option<String> {
    if array.is_empty() || array.null_count() > 0 {
        return None;
    }
    let first = value_text(array, 0)?;
    for i in 1..array.len() {
        if value_text(array, i).as_deref() != Some(first.as_str()) {
            return None;
        }
    }
    Some(first)
}

/// A scalar cell as text, for the column types provenance uses.
pub fn value_text(array: &dyn Array, row: usize) -> Option<String> {
    if array.is_null(row) {
        return None;
    }
    let any = array.as_any();
    if let Some(a) = any.downcast_ref::<StringArray>() {
        Some(a.value(row).to_owned())
    } else if let Some(a) = any.downcast_ref::<Int32Array>() {
        Some(a.value(row).to_string())
    } else if let Some(a) = any.downcast_ref::<UInt32Array>() {
        Some(a.value(row).to_string())
    } else if let Some(a) = any.downcast_ref::<UInt64Array>() {
        Some(a.value(row).to_string())
    } else {
        any.downcast_ref::<BooleanArray>().map(|a| a.value(row).to_string())
    }
}

/// A shard whose footer has been read and checked against [`Limits`]; no data decoded yet.
pub struct OpenedShard {
    bytes: Bytes,
    reader_metadata: ArrowReaderMetadata,
}

impl OpenedShard {
    /// Reads the footer of `bytes` and checks every declared size against `limits`.
    pub fn open(bytes: Bytes, limits: &Limits) -> Result<Self, String> {
        if bytes.len() as u64 > limits.max_file_bytes {
            return Err(format!(
                "file is {} bytes, over the {}-byte limit for one shard; split it into smaller shards",
                bytes.len(),
                limits.max_file_bytes
            ));
        }
        if bytes.len() < 12 || &bytes[..4] != b"PAR1" || &bytes[bytes.len() - 4..] != b"PAR1" {
            return Err("not a Parquet file (the PAR1 magic is missing at its start or end; truncated or not Parquet)".into());
        }
        let reader_metadata = ArrowReaderMetadata::load(&bytes, ArrowReaderOptions::new())
            .map_err(|e| format!("unreadable Parquet footer: {e}"))?;
        check_declared_sizes(reader_metadata.metadata(), limits)?;
        Ok(OpenedShard { bytes, reader_metadata })
    }

    pub fn metadata(&self) -> &Arc<ParquetMetaData> {
        self.reader_metadata.metadata()
    }

    pub fn arrow_schema(&self) -> &SchemaRef {
        self.reader_metadata.schema()
    }

    /// Rows the footer declares.
    pub fn num_rows(&self) -> u64 {
        self.metadata().file_metadata().num_rows().max(0) as u64
    }

    /// `edgebench.*` entries of the footer, prefix removed.
    pub fn footer_entries(&self) -> Vec<(String, Option<String>)> {
        self.metadata()
            .file_metadata()
            .key_value_metadata()
            .map(|kvs| {
                kvs.iter()
                    .filter_map(|kv| {
                        kv.key
                            .strip_prefix(FOOTER_PREFIX)
                            .map(|k| (k.to_owned(), kv.value.clone()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The footer's `edgebench.schema_version`, as written (not checked).
    pub fn footer_version(&self) -> Option<String> {
        self.footer_entries().into_iter().find(|(k, _)| k == "schema_version").and_then(|(_, v)| v)
    }

    /// The schema version of this shard of `schema`'s table, checked: the footer names a version
    /// this tool knows, and the shard's columns are exactly that version's. Readers call this
    /// before decoding; the validator says in more detail what is wrong.
    pub fn version(&self, schema: &TableSchema) -> Result<&'static str, String> {
        let Some(claimed) = self.footer_version() else {
            return Err("footer lacks `edgebench.schema_version`".into());
        };
        let Some(rank) = v1::version_rank(&claimed) else {
            return Err(format!(
                "footer says schema version `{}`, which this tool does not know (it knows {}); if a newer edgebench wrote it, upgrade edgebench",
                crate::schema::truncate(&claimed, 40),
                v1::known_versions()
            ));
        };
        let version = v1::VERSIONS[rank].version;
        match schema.arrow_schema_at(version) {
            Some(expected) if expected.fields() == self.arrow_schema().fields() => Ok(version),
            _ => Err(format!("columns differ from those of `{}` in schema version {version}", schema.name)),
        }
    }

    /// Batches of at most `limits.batch_rows` rows.
    pub fn batches(&self, limits: &Limits) -> Result<ParquetRecordBatchReader, String> {
        ParquetRecordBatchReaderBuilder::new_with_metadata(self.bytes.clone(), self.reader_metadata.clone())
            .with_batch_size(limits.batch_rows)
            .build()
            .map_err(|e| format!("cannot start reading rows: {e}"))
    }
}

impl OpenedShard {
    /// Batches holding only the named columns.
    pub fn projected_batches(&self, limits: &Limits, columns: &[&str]) -> Result<ParquetRecordBatchReader, String> {
        self.projected_batches_as(limits, columns, &[])
    }

    /// Like [`OpenedShard::projected_batches`], with the text columns named in `dictionary`
    /// decoded as [`dictionary_type`]: a column with few distinct values (run ids, statuses)
    /// then costs one key per row instead of a copied string, and a reader can resolve each
    /// distinct value once. Pages the writer stored plain are dictionary-encoded while decoding,
    /// so the values are the same whatever the file's encoding.
    pub fn projected_batches_as(
        &self,
        limits: &Limits,
        columns: &[&str],
        dictionary: &[&str],
    ) -> Result<ParquetRecordBatchReader, String> {
        let metadata = if dictionary.is_empty() {
            self.reader_metadata.clone()
        } else {
            let schema = self.arrow_schema();
            let fields: Vec<FieldRef> = schema
                .fields()
                .iter()
                .map(|f| match f.data_type() {
                    DataType::Utf8 if dictionary.contains(&f.name().as_str()) => {
                        Arc::new(f.as_ref().clone().with_data_type(dictionary_type()))
                    }
                    _ => f.clone(),
                })
                .collect();
            let supplied = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
            ArrowReaderMetadata::try_new(self.metadata().clone(), ArrowReaderOptions::new().with_schema(supplied))
                .map_err(|e| format!("cannot read text columns as dictionaries: {e}"))?
        };
        let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(self.bytes.clone(), metadata);
        let mask = parquet::arrow::ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
        builder
            .with_projection(mask)
            .with_batch_size(limits.batch_rows)
            .build()
            .map_err(|e| format!("cannot start reading rows: {e}"))
    }
}

fn check_declared_sizes(metadata: &ParquetMetaData, limits: &Limits) -> Result<(), String> {
    let groups = metadata.row_groups();
    if groups.len() > limits.max_row_groups {
        return Err(format!(
            "footer declares {} row groups, over the limit of {}; rewrite the shard with fewer, larger row groups",
            groups.len(),
            limits.max_row_groups
        ));
    }
    let declared_rows = metadata.file_metadata().num_rows();
    if declared_rows < 0 || declared_rows as u64 > limits.max_rows {
        return Err(format!("footer declares {declared_rows} rows, outside 0..={}", limits.max_rows));
    }
    let mut sum_rows: i64 = 0;
    let mut total: u64 = 0;
    for (g, group) in groups.iter().enumerate() {
        if group.num_rows() < 0 {
            return Err(format!("row group {g} declares a negative row count ({})", group.num_rows()));
        }
        sum_rows = sum_rows.saturating_add(group.num_rows());
        for column in group.columns() {
            let size = column.uncompressed_size();
            if size < 0 || size as u64 > limits.max_column_chunk_bytes {
                return Err(format!(
                    "row group {g}, column {}: declared uncompressed size {size} bytes is outside 0..={} \
                     (a decompression bomb or corrupt footer); regenerate the shard",
                    column.column_path(),
                    limits.max_column_chunk_bytes
                ));
            }
            total = total.saturating_add(size as u64);
        }
    }
    if total > limits.max_uncompressed_bytes {
        return Err(format!(
            "footer declares {total} uncompressed bytes in all, over the {}-byte limit; split the shard",
            limits.max_uncompressed_bytes
        ));
    }
    if sum_rows != declared_rows {
        return Err(format!(
            "footer declares {declared_rows} rows but its row groups add up to {sum_rows}; the file is corrupt"
        ));
    }
    Ok(())
}

/// The Arrow type of a text column read as a dictionary ([`OpenedShard::projected_batches_as`]).
pub fn dictionary_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// `batch`, read from a shard of `version` (as checked by [`OpenedShard::version`]), with the
/// columns `wanted`, in that order: those the shard holds as they are, and those added after its
/// version as nulls of their type. A wanted column that the shard's version has but the batch
/// lacks is an error, never filled. Nulls are made per batch, so what they cost is bounded by
/// `limits.batch_rows` rows × the columns added since, like the batch itself.
pub fn complete_batch(batch: &RecordBatch, version: &str, wanted: &[&ColumnSpec], limits: &Limits) -> Result<RecordBatch, String> {
    let rank = v1::version_rank(version).ok_or_else(|| format!("`{version}` is not a schema version this tool knows"))?;
    let rows = batch.num_rows();
    if rows > limits.batch_rows {
        return Err(format!("a batch of {rows} rows is over the limit of {} rows per batch", limits.batch_rows));
    }
    let mut fields = Vec::with_capacity(wanted.len());
    let mut columns = Vec::with_capacity(wanted.len());
    for spec in wanted {
        let mut field = spec.arrow_field();
        let column = match batch.column_by_name(spec.name) {
            Some(column) => {
                // A text column read as a dictionary (`projected_batches_as`) keeps that type.
                if *column.data_type() == dictionary_type() && field.data_type() == &DataType::Utf8 {
                    field = field.with_data_type(dictionary_type());
                }
                column.clone()
            }
            None if spec.nullable && v1::version_rank(spec.since).is_some_and(|since| since > rank) => {
                arrow_array::new_null_array(&spec.logical.arrow_type(), rows)
            }
            None => return Err(format!("column `{}` is missing, but schema version {version} has it", spec.name)),
        };
        fields.push(field);
        columns.push(column);
    }
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), columns, &options).map_err(|e| format!("cannot complete a batch: {e}"))
}

/// Converts a batch whose schema has already been checked into rows.
pub fn rows_of<T: Table>(batch: &RecordBatch) -> Result<Vec<T>, String> {
    serde_arrow::from_record_batch(batch).map_err(|e| format!("cannot decode rows: {e}"))
}
