//! Column-level checks on decoded Arrow arrays, driven by the schema value: nulls where the
//! schema forbids them, enum values, digests, text lengths, non-finite floats. They run before
//! rows are turned into structs, so each problem can name its row.

use arrow_array::{Array, Float64Array, RecordBatch, StringArray};

use crate::schema::{Logical, TableSchema, is_sha256_hex, truncate};

use super::rules::Issue;

/// At most this many problems per column per batch are listed (the rest are counted).
const PER_COLUMN: usize = 5;

/// Problems in `batch` as `(row within batch, issue)`.
pub fn check_batch(schema: &TableSchema, batch: &RecordBatch) -> Vec<(Option<usize>, Issue)> {
    let mut out = Vec::new();
    for spec in schema.columns {
        let Some(array) = batch.column_by_name(spec.name) else { continue };
        let mut found = 0usize;
        let mut push = |row: Option<usize>, message: String, fix: &str, out: &mut Vec<(Option<usize>, Issue)>| {
            found += 1;
            if found <= PER_COLUMN {
                out.push((row, Issue { column: spec.name, message, fix: fix.into() }));
            }
        };
        if !spec.nullable && array.null_count() > 0 {
            for row in (0..array.len()).filter(|&i| array.is_null(i)) {
                push(Some(row), "is null but the column is not nullable".into(), "fill the value (see schema/v1/README.md)", &mut out);
            }
        }
        if let Some(strings) = array.as_any().downcast_ref::<StringArray>() {
            let max = spec.logical.max_len().unwrap_or(usize::MAX);
            for row in 0..strings.len() {
                if strings.is_null(row) {
                    continue;
                }
                let v = strings.value(row);
                if v.len() > max {
                    push(Some(row), format!("is {} bytes long, over the {max}-byte limit of this column", v.len()), "store a shorter value", &mut out);
                    continue;
                }
                match spec.logical {
                    Logical::Enum(values) if !values.contains(&v) => push(
                        Some(row),
                        format!("`{}` is not one of: {}", truncate(v, 40), values.join(", ")),
                        "use one of the listed values",
                        &mut out,
                    ),
                    Logical::Sha256 if !is_sha256_hex(v) => push(
                        Some(row),
                        format!("`{}` is not a sha256 digest (64 lower-case hex)", truncate(v, 70)),
                        "store the hex digest",
                        &mut out,
                    ),
                    Logical::Label if v.chars().any(char::is_control) => push(
                        Some(row),
                        format!("`{}` contains control characters (newline, tab...)", truncate(&v.escape_debug().to_string(), 60)),
                        "labels are one line of plain text",
                        &mut out,
                    ),
                    _ => {}
                }
            }
        }
        if let Some(floats) = array.as_any().downcast_ref::<Float64Array>() {
            for row in 0..floats.len() {
                if floats.is_valid(row) && !floats.value(row).is_finite() {
                    push(Some(row), format!("is {}, not a finite number", floats.value(row)), "store a measured value or null", &mut out);
                }
            }
        }
        if found > PER_COLUMN {
            out.push((None, Issue {
                column: spec.name,
                message: format!("{} more problems of this kind in the same batch", found - PER_COLUMN),
                fix: "fix the ones listed and validate again".into(),
            }));
        }
    }
    out
}
