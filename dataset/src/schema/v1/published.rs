//! The `published` table: one row per number a paper reports, with its citation and the sentence
//! it comes from.

use super::{Backend, OpClass};
use crate::define_table;
use crate::schema::{Sha256Hex, Text};

define_table! {
    /// One number that a paper reports, with its citation, its place in the paper and the sentence
    /// it comes from. Units are kept as printed; ambiguities are recorded, not resolved by guessing.
    table "published", id published_id, partition(device = device_label, model = model_name),
    pub struct Published {
        /// sha256 of citation_key, section, metric, device_label, backend, power_mode, model_name,
        /// op_class, value and quote.
        pub published_id: Sha256Hex,
        /// Schema version the row was written under (`major.minor`, see the versions of schema v1);
        /// always the version its shard's footer names.
        pub schema_version: String,
        /// Short key of the paper (for example `liu2026edge`).
        pub citation_key: String,
        /// Full citation of the paper.
        pub citation: Text,
        /// Section of the paper the number is quoted from (for example `IV-B`).
        pub section: String,
        /// Figure or table the number belongs to, when the text names one.
        pub figure: Option<String>,
        /// Device as the paper names it.
        pub device_label: String,
        /// Back-end, when the paper states it.
        pub backend: Option<Backend>,
        /// Power mode, when the paper states it.
        pub power_mode: Option<String>,
        /// Model as the paper names it; null for model-independent numbers (the fusion experiment).
        pub model_name: Option<String>,
        /// Precision of the model weights as the paper states it (`Q8`, `BF16`).
        pub model_precision: Option<String>,
        /// What was measured, in snake_case (`load_ms`, `tpot_ms`, `kernel_class_share`...).
        pub metric: String,
        /// Kernel class, for kernel-share numbers.
        pub op_class: Option<OpClass>,
        /// The number as printed.
        pub value: f64,
        /// Its unit as printed (`ms`, `ms/token`, `GB`, `W`, `%`, `µs`).
        pub unit: String,
        /// The sentence the number comes from, verbatim.
        pub quote: Text,
        /// What the text leaves unclear about this number (device, mode, back-end...), if anything.
        pub ambiguity: Option<Text>,
    }
}
