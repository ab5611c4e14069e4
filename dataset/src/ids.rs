//! Content identities: row ids and partition slugs.
//!
//! A row id is the sha256 of a canonical JSON array of the row's identifying fields, so the same
//! measurement contributed twice gets the same id and the validator catches the duplicate. The
//! canonical form is easy to reproduce from any language:
//!
//! ```text
//! sha256(json([["table","runs"],["device_label","Jetson Orin NX"],["power_mode",null],...]))
//! ```
//! with no whitespace, UTF-8 unescaped, fields in the order the table defines them, every value a
//! string or null (numbers in their shortest round-trip form, `707.0`).

use crate::schema::Sha256Hex;

/// sha256 of the canonical JSON form of `(name, value)` pairs, prefixed by the table name.
pub fn row_id(table: &str, fields: &[(&str, Option<String>)]) -> Sha256Hex {
    let mut pairs: Vec<serde_json::Value> = Vec::with_capacity(fields.len() + 1);
    pairs.push(serde_json::json!(["table", table]));
    for (name, value) in fields {
        pairs.push(serde_json::json!([name, value]));
    }
    let canonical = serde_json::Value::Array(pairs).to_string();
    Sha256Hex::of(canonical.as_bytes())
}

/// Directory-safe, lower-case slug of a label, as used in `device=<slug>` and `model=<slug>`.
///
/// ASCII letters and digits are kept, everything else becomes `-` (collapsed, trimmed), at most
/// 64 characters. A slug never starts with a digit (`x-` is prefixed) so that hive readers
/// (DuckDB, Polars) never infer a number or a date from a partition value.
pub fn slug(label: &str) -> String {
    let mut out = String::with_capacity(label.len().min(64));
    let mut dash = false;
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
        if out.len() >= 64 {
            break;
        }
    }
    out.truncate(64);
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        return "unnamed".into();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "x-");
        out.truncate(64);
    }
    out
}

/// Partition value for rows that have no model (`microbench`, published model-free numbers).
pub const NO_MODEL: &str = "no-model";

/// Formats a float for identities: shortest round-trip form, always with a fraction or exponent.
pub fn float_key(v: f64) -> String {
    format!("{v:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_stable_and_safe() {
        assert_eq!(slug("Jetson AGX Orin (MAXN)"), "jetson-agx-orin-maxn");
        assert_eq!(slug("Qwen2.5-0.5B-Instruct Q8_0"), "qwen2-5-0-5b-instruct-q8-0");
        assert_eq!(slug("  --  "), "unnamed");
        assert_eq!(slug("3090 server"), "x-3090-server");
        assert_eq!(slug("2024-01-01"), "x-2024-01-01");
        assert_eq!(slug("Ünïcode ✓ name"), "n-code-name");
        assert!(slug(&"a".repeat(500)).len() <= 64);
        assert_eq!(slug(NO_MODEL), NO_MODEL);
    }

    #[test]
    fn row_ids_depend_on_every_field_and_on_null() {
        let a = row_id("runs", &[("x", Some("1".into())), ("y", None)]);
        let b = row_id("runs", &[("x", Some("1".into())), ("y", Some("".into()))]);
        let c = row_id("generations", &[("x", Some("1".into())), ("y", None)]);
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, row_id("runs", &[("x", Some("1".into())), ("y", None)]));
        // The canonical form is documented; pin it so other languages can reproduce ids.
        assert_eq!(
            a,
            Sha256Hex::of(br#"[["table","runs"],["x","1"],["y",null]]"#)
        );
    }
}
