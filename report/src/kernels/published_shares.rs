//! The kernel-class shares papers quote (the paper's Fig. 9), one bar per source and target,
//! drawn beside the measured cells they speak about.

use std::collections::BTreeMap;

use serde::Serialize;

use edgebench_dataset::schema::Sha256Hex;
use edgebench_dataset::schema::v1::{Backend, OpClass, Published};

use crate::analysis::{CellKey, published_target_matches};
use crate::stats::{self, LEVEL};

/// `published.metric` of a kernel-class share (the paper's Fig. 9), in percent.
pub const PUBLISHED_SHARE_METRIC: &str = "kernel_class_share";

/// One bar of a paper's Fig. 9: the class shares it quotes for one device and model.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedShares {
    pub citation_key: String,
    pub section: String,
    pub device: String,
    pub backend: Option<Backend>,
    pub power_mode: Option<String>,
    pub model: Option<String>,
    pub precision: Option<String>,
    /// Quoted shares in [0, 1] per class; `None` is a bin of the paper's own that matches no
    /// class ("small operations"). The same number quoted in several sentences appears once;
    /// different numbers for one class all appear.
    pub shares: BTreeMap<Option<OpClass>, Vec<f64>>,
    /// Any quoted row carries an ambiguity note.
    pub ambiguous: bool,
    /// The `published` rows behind it: the appendix entries they are in are its references.
    pub published_ids: Vec<Sha256Hex>,
}

impl PublishedShares {
    /// The share to draw for `class`: the quoted value, or the median of several.
    pub fn share(&self, class: Option<OpClass>) -> Option<f64> {
        let values = self.shares.get(&class)?;
        stats::median(values, LEVEL).map(|m| m.median)
    }

    /// Whether the bar speaks about the measured cell `key` (see [`published_target_matches`]).
    pub fn matches(&self, key: &CellKey) -> bool {
        published_target_matches(&self.device, self.model.as_deref(), self.backend, self.power_mode.as_deref(), key)
    }
}

/// Published rows of [`PUBLISHED_SHARE_METRIC`], one bar per source × device × back-end × mode ×
/// model. Values in another unit than `%` are left out (they would need a conversion no paper has
/// needed yet).
pub fn published_shares(rows: &[Published]) -> Vec<PublishedShares> {
    type BarId = (String, String, Option<Backend>, Option<String>, Option<String>, Option<String>);
    let mut bars: BTreeMap<BarId, PublishedShares> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.metric == PUBLISHED_SHARE_METRIC && r.unit == "%" && r.value.is_finite()) {
        let id = (
            row.citation_key.clone(),
            row.device_label.clone(),
            row.backend,
            row.power_mode.clone(),
            row.model_name.clone(),
            row.model_precision.clone(),
        );
        let bar = bars.entry(id).or_insert_with(|| PublishedShares {
            citation_key: row.citation_key.clone(),
            section: row.section.clone(),
            device: row.device_label.clone(),
            backend: row.backend,
            power_mode: row.power_mode.clone(),
            model: row.model_name.clone(),
            precision: row.model_precision.clone(),
            shares: BTreeMap::new(),
            ambiguous: false,
            published_ids: Vec::new(),
        });
        bar.ambiguous |= row.ambiguity.is_some();
        bar.published_ids.push(row.published_id.clone());
        let values = bar.shares.entry(row.op_class).or_default();
        let share = row.value / 100.0;
        if !values.contains(&share) {
            values.push(share);
            values.sort_by(f64::total_cmp);
        }
    }
    bars.into_values().collect()
}
