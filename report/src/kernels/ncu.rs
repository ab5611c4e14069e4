//! The Nsight Compute measures: their vocabulary (labels, units, `published.metric` keys), how a
//! kernel row carries each, and the values papers quote for them. The per-capture means are in
//! [`super::Capture::ncu_mean`], the per-cell medians in [`super::KernelCell::ncu`].

use std::collections::BTreeMap;

use serde::Serialize;

use edgebench_dataset::schema::Sha256Hex;
use edgebench_dataset::schema::v1::{Backend, Kernel, Published};

/// A Nsight Compute measure, as the report shows it and as `published.metric` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NcuMetric {
    TheoreticalOccupancy,
    AchievedOccupancy,
    ActiveWarps,
    EligibleWarps,
    IssuedWarps,
    /// 1 / issued warps per scheduler per cycle: how many cycles pass between two issued
    /// instructions (the paper's "one instruction every 5.4 cycles").
    IssueCyclesPerInstruction,
}

impl NcuMetric {
    pub const ALL: [NcuMetric; 6] = [
        NcuMetric::TheoreticalOccupancy,
        NcuMetric::AchievedOccupancy,
        NcuMetric::ActiveWarps,
        NcuMetric::EligibleWarps,
        NcuMetric::IssuedWarps,
        NcuMetric::IssueCyclesPerInstruction,
    ];

    /// The `published.metric` vocabulary.
    pub fn key(self) -> &'static str {
        match self {
            NcuMetric::TheoreticalOccupancy => "theoretical_occupancy_pct",
            NcuMetric::AchievedOccupancy => "achieved_occupancy_pct",
            NcuMetric::ActiveWarps => "active_warps_per_scheduler",
            NcuMetric::EligibleWarps => "eligible_warps_per_cycle",
            NcuMetric::IssuedWarps => "issued_warps_per_cycle",
            NcuMetric::IssueCyclesPerInstruction => "issue_cycles_per_instruction",
        }
    }

    pub fn from_key(key: &str) -> Option<NcuMetric> {
        NcuMetric::ALL.into_iter().find(|m| m.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            NcuMetric::TheoreticalOccupancy => "theoretical occupancy",
            NcuMetric::AchievedOccupancy => "achieved occupancy",
            NcuMetric::ActiveWarps => "active warps per scheduler",
            NcuMetric::EligibleWarps => "eligible warps per scheduler per cycle",
            NcuMetric::IssuedWarps => "issued warps per scheduler per cycle",
            NcuMetric::IssueCyclesPerInstruction => "cycles per issued instruction",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            NcuMetric::TheoreticalOccupancy | NcuMetric::AchievedOccupancy => "%",
            NcuMetric::ActiveWarps => "warps",
            NcuMetric::EligibleWarps => "warps/cycle",
            NcuMetric::IssuedWarps => "instructions/cycle",
            NcuMetric::IssueCyclesPerInstruction => "cycles",
        }
    }

    /// The row's own value; `None` for the derived measure.
    pub(super) fn of_row(self, k: &Kernel) -> Option<f64> {
        match self {
            NcuMetric::TheoreticalOccupancy => k.theoretical_occupancy_pct,
            NcuMetric::AchievedOccupancy => k.achieved_occupancy_pct,
            NcuMetric::ActiveWarps => k.active_warps_per_cycle,
            NcuMetric::EligibleWarps => k.eligible_warps_per_cycle,
            NcuMetric::IssuedWarps => k.issued_warps_per_cycle,
            NcuMetric::IssueCyclesPerInstruction => None,
        }
        .filter(|v| v.is_finite())
    }
}

/// A paper's Nsight Compute numbers for one device, back-end, mode and model.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedNcu {
    pub citation_key: String,
    pub section: String,
    pub device: String,
    pub backend: Option<Backend>,
    pub power_mode: Option<String>,
    pub model: Option<String>,
    /// Quoted value and unit per measure.
    pub values: BTreeMap<NcuMetric, (f64, String)>,
    pub ambiguous: bool,
    /// The `published` rows behind it: the appendix entries they are in are its references.
    pub published_ids: Vec<Sha256Hex>,
}

/// Published rows whose metric is an [`NcuMetric`] key, one entry per source × device × back-end
/// × mode × model.
pub fn published_ncu(rows: &[Published]) -> Vec<PublishedNcu> {
    type Id = (String, String, Option<Backend>, Option<String>, Option<String>);
    let mut out: BTreeMap<Id, PublishedNcu> = BTreeMap::new();
    for row in rows {
        let Some(metric) = NcuMetric::from_key(&row.metric) else { continue };
        let id = (
            row.citation_key.clone(),
            row.device_label.clone(),
            row.backend,
            row.power_mode.clone(),
            row.model_name.clone(),
        );
        let entry = out.entry(id).or_insert_with(|| PublishedNcu {
            citation_key: row.citation_key.clone(),
            section: row.section.clone(),
            device: row.device_label.clone(),
            backend: row.backend,
            power_mode: row.power_mode.clone(),
            model: row.model_name.clone(),
            values: BTreeMap::new(),
            ambiguous: false,
            published_ids: Vec::new(),
        });
        entry.ambiguous |= row.ambiguity.is_some();
        entry.published_ids.push(row.published_id.clone());
        entry.values.entry(metric).or_insert_with(|| (row.value, row.unit.clone()));
    }
    out.into_values().collect()
}
