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
/// 64 characters. Hive readers type partition values by what they look like, so a slug that a
/// reader could take for something other than text gets `x-` in front: one that starts with a
/// digit (numbers, dates, `1e5`) and the words in [`RESERVED_SLUGS`]. Every slug is its own slug,
/// so the slugs already in the dataset keep their names.
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
    if out.starts_with(|c: char| c.is_ascii_digit()) || RESERVED_SLUGS.contains(&out.as_str()) {
        out.insert_str(0, "x-");
        out.truncate(64);
        while out.ends_with('-') {
            out.pop();
        }
    }
    out
}

/// Whole slugs that some reader turns into something other than text: DuckDB reads `inf`,
/// `infinity` and `epoch` as dates, Polars `true` and `false` as booleans and `inf` as a float.
/// The rest are the other spellings of booleans, nulls, non-numbers and special dates that
/// readers of CSV-like text (pandas, pyarrow, Polars, DuckDB, PostgreSQL) recognise: they read
/// back as strings today, and the prefix keeps them so whatever a reader's next version infers.
pub const RESERVED_SLUGS: &[&str] = &[
    "true", "false", "t", "f", "yes", "no", "y", "n", "on", "off", // booleans
    "null", "none", "nil", "na", "nan", "nat", // missing values
    "inf", "infinity", // infinities (as numbers and as dates)
    "epoch", "now", "today", "tomorrow", "yesterday", "allballs", // special dates and times
];

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
        assert_eq!(slug("-Inf"), "x-inf");
        assert_eq!(slug("TRUE"), "x-true");
        assert_eq!(slug("N/A"), "n-a");
        assert_eq!(slug("1e-5"), "x-1e-5");
        assert_eq!(slug("Infinity Board"), "infinity-board");
        // Cut at 64 characters after the prefix, without a trailing dash.
        let long = slug(&format!("1{}", "-a".repeat(40)));
        assert!(long.len() <= 64 && long.starts_with("x-1-a") && !long.ends_with('-'), "{long}");
    }

    #[test]
    fn every_slug_is_its_own_slug() {
        let labels = ["inf", "x-inf", "2026-01-01", "Jetson", "true", "no-model", "NaN", "ÄÖ", "", &"9".repeat(80)];
        for label in labels {
            let s = slug(label);
            assert_eq!(slug(&s), s, "{label}");
        }
        for word in RESERVED_SLUGS {
            assert_eq!(slug(word), format!("x-{word}"));
        }
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
