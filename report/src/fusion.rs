//! The kernel-fusion micro-benchmark (the paper's Fig. 10): from `microbench` rows to per-size
//! medians, the fused / unfused ratio, the memory-bound limit it is held against, and achieved
//! bandwidth against the STREAM bandwidth the same sweep measured. Nothing here formats.
//!
//! **Bytes model.** The experiment computes `out = s·(a + b)`. Unfused, Add reads `a` and `b` and
//! writes `t`, then Scale reads `t` and writes `out`: 5 vectors of traffic. Fused reads `a` and `b`
//! and writes `out`: 3 vectors. Where both variants are limited by memory traffic alone, fused /
//! unfused time tends to 3/5. A CPU whose ordinary stores first read the line they write
//! (write-allocate) also reads every vector it writes: 7 vectors against 4, limit 4/7. A row's
//! `write_allocate` (schema 1.2) says which limit applies ([`Bound`]); rows that do not say get no
//! bound, and the report says why. `bytes_moved`, like the copy and triad bandwidths, counts as
//! STREAM does (write-allocate reads not counted), so achieved bandwidth and copy bandwidth are
//! counted alike.
//!
//! **Point.** A [`FusionResult`] is one platform (device × back-end × power mode) × experiment ×
//! element type × vector length: each variant's median time over its `ok` repetitions with a
//! distribution-free interval, their ratio with its conservative interval ([`crate::stats`]),
//! the ratio's distance from the bound (`ratio / bound − 1`, its interval from the ratio's),
//! achieved bandwidth (bytes moved over the median time; `bytes / t` is decreasing in `t`, so the
//! time's interval maps onto an interval of the same level), and that bandwidth as a fraction of
//! the copy bandwidth, which is also the time the variant's bytes would take at copy bandwidth
//! over the time it took.
//!
//! **Memory-bound point.** Per platform, experiment and element type, the largest vector measured
//! with both variants: `collect fusion` sweeps up to at least 4× the last-level cache, where the
//! vectors come from memory. Whether the point is that large ([`MEMORY_RESIDENT_FACTOR`]) is
//! recorded, never assumed.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use edgebench_dataset::schema::v1::{self, Backend, FusionVariant, Microbench, Published, RunStatus};

use crate::analysis::Platform;
use crate::stats::{self, Interval, LEVEL, MedianEstimate, RatioEstimate};

/// The paper's experiment: Add then Scale, against one fused kernel.
pub const ADD_SCALE: &str = "add_scale_fusion";

/// `published.metric` of the paper's Fig. 10 numbers.
pub const PUBLISHED_UNFUSED: &str = "fusion_elapsed_us_unfused";
pub const PUBLISHED_FUSED: &str = "fusion_elapsed_us_fused";
pub const PUBLISHED_REDUCTION: &str = "latency_reduction_pct";

/// A vector at least this many times the last-level cache is taken to run from memory.
pub const MEMORY_RESIDENT_FACTOR: u64 = 4;

/// The schema version whose columns carry the bound, the cache size and the STREAM bandwidths.
pub const SWEEP_COLUMNS_SINCE: &str = "1.2";

/// The memory-bound limit of fused / unfused time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// Stores do not read their line first (a GPU, or streaming stores): 3 vectors against 5.
    NoWriteAllocate,
    /// Every store first reads its line (a CPU's ordinary stores): 4 vectors against 7.
    WriteAllocate,
}

impl Bound {
    pub const ALL: [Bound; 2] = [Bound::NoWriteAllocate, Bound::WriteAllocate];

    pub fn of(write_allocate: bool) -> Bound {
        if write_allocate { Bound::WriteAllocate } else { Bound::NoWriteAllocate }
    }

    /// Vectors of memory traffic of the fused and the unfused variant.
    pub fn vectors(self) -> (u32, u32) {
        match self {
            Bound::NoWriteAllocate => (3, 5),
            Bound::WriteAllocate => (4, 7),
        }
    }

    pub fn value(self) -> f64 {
        let (fused, unfused) = self.vectors();
        f64::from(fused) / f64::from(unfused)
    }

    /// `3/5`.
    pub fn fraction(self) -> String {
        let (fused, unfused) = self.vectors();
        format!("{fused}/{unfused}")
    }

    /// When the bound applies, in words.
    pub fn condition(self) -> &'static str {
        match self {
            Bound::NoWriteAllocate => "no write-allocate",
            Bound::WriteAllocate => "write-allocate",
        }
    }
}

/// A value computed from a median (or a ratio of medians), with the interval that maps onto it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Derived {
    pub value: f64,
    pub interval: Option<Interval>,
}

/// One variant at one point.
#[derive(Debug, Clone, Serialize)]
pub struct VariantResult {
    /// Elapsed time of the variant (all its launches), µs.
    pub time_us: MedianEstimate,
    /// Bytes the variant moves, as STREAM counts them.
    pub bytes_moved: u64,
    pub kernel_launches: u32,
    /// Bytes moved over the median time, GB/s.
    pub bandwidth_gb_s: Derived,
    /// Achieved over copy bandwidth: also the time the bytes take at copy bandwidth over the time
    /// taken.
    pub copy_fraction: Option<Derived>,
}

impl VariantResult {
    /// The time the variant's bytes take at `gb_s`, µs.
    pub fn time_at(&self, gb_s: f64) -> f64 {
        self.bytes_moved as f64 / (gb_s * 1e3)
    }
}

/// The fusion micro-benchmark on one platform, element type and vector length.
#[derive(Debug, Clone, Serialize)]
pub struct FusionResult {
    pub platform: Platform,
    pub experiment: String,
    pub dtype: String,
    pub elements: u64,
    /// Bytes of one vector, when the element size is known.
    pub vector_bytes: Option<u64>,
    pub unfused: Option<VariantResult>,
    pub fused: Option<VariantResult>,
    /// fused / unfused elapsed time.
    pub ratio: Option<RatioEstimate>,
    /// The memory-bound limit of the ratio, when the rows say which applies.
    pub bound: Option<Bound>,
    /// `ratio / bound − 1`: above 0, the fused kernel saves less than the traffic it removes.
    pub distance: Option<Derived>,
    /// STREAM copy and triad bandwidth of the same device, threads, type and length (GB/s).
    pub copy_gb_s: Option<f64>,
    pub triad_gb_s: Option<f64>,
    pub last_level_cache_bytes: Option<u64>,
    /// Whether one vector is at least [`MEMORY_RESIDENT_FACTOR`] × the last-level cache.
    pub memory_resident: Option<bool>,
    /// The largest vector measured with both variants on this platform, experiment and type.
    pub memory_bound_point: bool,
    /// Repetitions that did not end `ok` (or have no time).
    pub failed: usize,
    /// `collect fusion` sweeps the rows come from (rows of 1.1 have no sweep id: 0).
    pub sweeps: usize,
    /// Every row was written before schema 1.2 added the bound, cache and bandwidth columns.
    pub predates_sweep_columns: bool,
    /// The rows disagree on `write_allocate` (rows of several hosts under one device label).
    pub write_allocate_conflict: bool,
}

impl FusionResult {
    /// Why there is no bound, when there is none.
    pub fn bound_missing(&self) -> Option<String> {
        if self.bound.is_some() {
            None
        } else if self.experiment != ADD_SCALE {
            Some(format!("no bytes model for the experiment `{}`", self.experiment))
        } else if self.write_allocate_conflict {
            Some("the rows disagree on write_allocate".to_owned())
        } else {
            Some(self.column_missing("write_allocate"))
        }
    }

    /// Why the STREAM bandwidths are missing, when they are.
    pub fn bandwidth_missing(&self) -> Option<String> {
        self.copy_gb_s.is_none().then(|| self.column_missing("copy_bandwidth_gb_s"))
    }

    /// Why the last-level cache size is missing, when it is.
    pub fn cache_missing(&self) -> Option<String> {
        self.last_level_cache_bytes.is_none().then(|| self.column_missing("last_level_cache_bytes"))
    }

    fn column_missing(&self, column: &str) -> String {
        if self.predates_sweep_columns {
            format!("rows written before schema {SWEEP_COLUMNS_SINCE} added {column}")
        } else {
            format!("{column} not recorded")
        }
    }

    /// Vector size over the last-level cache.
    pub fn cache_multiple(&self) -> Option<f64> {
        match (self.vector_bytes, self.last_level_cache_bytes) {
            (Some(v), Some(c)) if c > 0 => Some(v as f64 / c as f64),
            _ => None,
        }
    }

    pub fn variant(&self, variant: FusionVariant) -> Option<&VariantResult> {
        match variant {
            FusionVariant::Fused => self.fused.as_ref(),
            FusionVariant::Unfused => self.unfused.as_ref(),
        }
    }

    /// The key of the sweep this point belongs to.
    pub fn sweep_key(&self) -> SweepKey {
        SweepKey { platform: self.platform.clone(), experiment: self.experiment.clone(), dtype: self.dtype.clone() }
    }
}

/// A platform, experiment and element type: one line of the size sweep.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SweepKey {
    pub platform: Platform,
    pub experiment: String,
    pub dtype: String,
}

impl SweepKey {
    /// `H200 · cuda, f32` (the experiment only when it is not the paper's).
    pub fn label(&self) -> String {
        let mut label = format!("{}, {}", self.platform.label(), self.dtype);
        if self.experiment != ADD_SCALE {
            label.push_str(&format!(" ({})", self.experiment));
        }
        label
    }
}

/// Size in bytes of one element of `dtype`, for the types the micro-benchmark knows.
pub fn element_bytes(dtype: &str) -> Option<u64> {
    match dtype.to_ascii_lowercase().as_str() {
        "f64" | "fp64" => Some(8),
        "f32" | "fp32" => Some(4),
        "f16" | "fp16" | "bf16" => Some(2),
        "f8" | "fp8" | "i8" | "u8" => Some(1),
        _ => None,
    }
}

#[derive(Default)]
struct Group<'a> {
    fused: Vec<f64>,
    unfused: Vec<f64>,
    rows: Vec<&'a Microbench>,
    failed: usize,
}

/// The fusion results of `rows`, ordered by platform, experiment, type and length, the
/// memory-bound point of each sweep marked.
pub fn results(rows: &[Microbench]) -> Vec<FusionResult> {
    type Key = (Platform, String, String, u64);
    let mut groups: BTreeMap<Key, Group<'_>> = BTreeMap::new();
    for m in rows {
        let platform =
            Platform { device: m.device_label.clone(), backend: m.backend, power_mode: m.power_mode.clone(), protocol: None, page_cache: None };
        let group = groups.entry((platform, m.experiment.clone(), m.dtype.clone(), m.elements)).or_default();
        group.rows.push(m);
        match (m.status, m.elapsed_us.filter(|v| v.is_finite() && *v > 0.0)) {
            (RunStatus::Ok, Some(us)) => match m.variant {
                FusionVariant::Fused => group.fused.push(us),
                FusionVariant::Unfused => group.unfused.push(us),
            },
            _ => group.failed += 1,
        }
    }
    let mut out: Vec<FusionResult> =
        groups.into_iter().map(|((platform, experiment, dtype, elements), g)| point(platform, experiment, dtype, elements, g)).collect();
    mark_memory_bound_points(&mut out);
    out
}

fn point(platform: Platform, experiment: String, dtype: String, elements: u64, mut g: Group<'_>) -> FusionResult {
    // Rows arrive in shard order; sort so that nothing depends on it.
    g.fused.sort_by(f64::total_cmp);
    g.unfused.sort_by(f64::total_cmp);
    let rows = &g.rows;
    let copy_gb_s = median_of(rows.iter().filter_map(|m| m.copy_bandwidth_gb_s));
    let triad_gb_s = median_of(rows.iter().filter_map(|m| m.triad_bandwidth_gb_s));
    let write_allocate: BTreeSet<bool> = rows.iter().filter_map(|m| m.write_allocate).collect();
    let bound = match (experiment == ADD_SCALE, write_allocate.len()) {
        (true, 1) => write_allocate.first().copied().map(Bound::of),
        _ => None,
    };
    let last_level_cache_bytes = rows.iter().filter_map(|m| m.last_level_cache_bytes).max();
    let vector_bytes = element_bytes(&dtype).map(|w| w * elements).or_else(|| stream_vector_bytes(&experiment, rows, elements));
    let since = v1::version_rank(SWEEP_COLUMNS_SINCE);
    let predates_sweep_columns =
        !rows.is_empty() && rows.iter().all(|m| matches!((v1::version_rank(&m.schema_version), since), (Some(r), Some(s)) if r < s));
    let sweeps = rows.iter().filter_map(|m| m.sweep_id.as_ref().map(|s| s.to_string())).collect::<BTreeSet<_>>().len();
    let variant = |variant: FusionVariant, times: &[f64]| -> Option<VariantResult> {
        let time_us = stats::median(times, LEVEL)?;
        let of_variant: Vec<&&Microbench> = rows.iter().filter(|m| m.variant == variant).collect();
        let bytes_moved = median_u64(of_variant.iter().map(|m| m.bytes_moved))?;
        let kernel_launches = median_u64(of_variant.iter().map(|m| u64::from(m.kernel_launches))).unwrap_or(0) as u32;
        let bandwidth_gb_s = bandwidth(bytes_moved, &time_us);
        let copy_fraction = copy_gb_s.map(|copy| scale(bandwidth_gb_s, 1.0 / copy));
        Some(VariantResult { time_us, bytes_moved, kernel_launches, bandwidth_gb_s, copy_fraction })
    };
    let ratio = stats::ratio(&g.fused, &g.unfused, LEVEL);
    let distance = match (&ratio, bound) {
        (Some(r), Some(b)) => {
            let shift = |x: f64| x / b.value() - 1.0;
            Some(Derived {
                value: shift(r.ratio),
                interval: r.interval.map(|i| Interval { low: shift(i.low), high: shift(i.high), level: i.level }),
            })
        }
        _ => None,
    };
    FusionResult {
        memory_resident: match (vector_bytes, last_level_cache_bytes) {
            (Some(v), Some(c)) => Some(v >= MEMORY_RESIDENT_FACTOR.saturating_mul(c)),
            _ => None,
        },
        unfused: variant(FusionVariant::Unfused, &g.unfused),
        fused: variant(FusionVariant::Fused, &g.fused),
        ratio,
        bound,
        distance,
        copy_gb_s,
        triad_gb_s,
        last_level_cache_bytes,
        vector_bytes,
        memory_bound_point: false,
        failed: g.failed,
        sweeps,
        predates_sweep_columns,
        write_allocate_conflict: experiment == ADD_SCALE && write_allocate.len() > 1,
        platform,
        experiment,
        dtype,
        elements,
    }
}

/// Bytes of one vector from the rows' own STREAM counting (5 vectors unfused, 3 fused), for an
/// element type this module does not know.
fn stream_vector_bytes(experiment: &str, rows: &[&Microbench], elements: u64) -> Option<u64> {
    if experiment != ADD_SCALE || elements == 0 {
        return None;
    }
    rows.iter().find_map(|m| {
        let vectors = match m.variant {
            FusionVariant::Unfused => 5,
            FusionVariant::Fused => 3,
        };
        (m.bytes_moved % vectors == 0).then_some(m.bytes_moved / vectors)
    })
}

/// `bytes` over a median time in µs, in GB/s, with the time's interval mapped (reversed: a longer
/// time is a lower bandwidth).
fn bandwidth(bytes: u64, time_us: &MedianEstimate) -> Derived {
    let gb_s = |us: f64| bytes as f64 / (us * 1e3);
    Derived {
        value: gb_s(time_us.median),
        interval: time_us.interval.map(|i| Interval { low: gb_s(i.high), high: gb_s(i.low), level: i.level }),
    }
}

fn scale(d: Derived, factor: f64) -> Derived {
    Derived {
        value: d.value * factor,
        interval: d.interval.map(|i| Interval { low: i.low * factor, high: i.high * factor, level: i.level }),
    }
}

fn median_of(values: impl Iterator<Item = f64>) -> Option<f64> {
    let values: Vec<f64> = values.filter(|v| v.is_finite() && *v > 0.0).collect();
    stats::median(&values, LEVEL).map(|e| e.median)
}

/// The middle value (the lower of the two middle ones), so a byte count stays a byte count.
fn median_u64(values: impl Iterator<Item = u64>) -> Option<u64> {
    let mut values: Vec<u64> = values.collect();
    values.sort_unstable();
    values.get(values.len().saturating_sub(1) / 2).copied()
}

/// Marks, per platform, experiment and type, the largest vector measured with both variants (the
/// largest vector at all when none has both).
fn mark_memory_bound_points(results: &mut [FusionResult]) {
    let mut best: BTreeMap<SweepKey, (bool, u64, usize)> = BTreeMap::new();
    for (i, r) in results.iter().enumerate() {
        let candidate = (r.ratio.is_some(), r.elements, i);
        let entry = best.entry(r.sweep_key()).or_insert(candidate);
        if (candidate.0, candidate.1) > (entry.0, entry.1) {
            *entry = candidate;
        }
    }
    for (_, _, i) in best.into_values() {
        results[i].memory_bound_point = true;
    }
}

/// The memory-bound point of each sweep, in sweep order.
pub fn memory_bound_points(results: &[FusionResult]) -> impl Iterator<Item = &FusionResult> {
    results.iter().filter(|r| r.memory_bound_point)
}

/// The sweeps (platform, experiment, type) with their points, smallest vector first.
pub fn sweeps(results: &[FusionResult]) -> Vec<(SweepKey, Vec<&FusionResult>)> {
    let mut out: BTreeMap<SweepKey, Vec<&FusionResult>> = BTreeMap::new();
    for r in results {
        out.entry(r.sweep_key()).or_default().push(r);
    }
    out.into_iter().collect()
}

/// One device's Fig. 10 numbers as a paper gives them.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedFusion {
    pub citation_key: String,
    pub section: String,
    pub figure: Option<String>,
    pub device: String,
    pub backend: Option<Backend>,
    pub power_mode: Option<String>,
    pub unfused_us: Option<f64>,
    pub fused_us: Option<f64>,
    /// Latency reduction as printed (%).
    pub reduction_pct: Option<f64>,
    /// Some number of the device's has an ambiguity recorded.
    pub ambiguous: bool,
    /// The `published` rows behind it: the appendix entries they are in are its references.
    pub published_ids: Vec<edgebench_dataset::schema::Sha256Hex>,
}

impl PublishedFusion {
    /// fused / unfused from the two times, or from the printed reduction when a time is missing.
    pub fn ratio(&self) -> Option<f64> {
        match (self.fused_us, self.unfused_us, self.reduction_pct) {
            (Some(f), Some(u), _) if u > 0.0 => Some(f / u),
            (_, _, Some(pct)) => Some(1.0 - pct / 100.0),
            _ => None,
        }
    }

    /// `Jetson AGX Orin (paper)`.
    pub fn label(&self) -> String {
        format!("{} (paper)", self.device)
    }
}

/// A published time in µs, from the units papers print.
fn micros(value: f64, unit: &str) -> Option<f64> {
    let factor = match unit.trim() {
        "µs" | "μs" | "us" => 1.0,
        "ns" => 1e-3,
        "ms" => 1e3,
        "s" => 1e6,
        _ => return None,
    };
    Some(value * factor).filter(|v| v.is_finite() && *v > 0.0)
}

/// The paper's Fig. 10 numbers, one entry per citation, device, back-end and mode. A latency
/// reduction counts only where it belongs to a figure that also gives fusion times, since the
/// metric name alone could belong to another experiment.
pub fn published(rows: &[Published]) -> Vec<PublishedFusion> {
    let is_time = |r: &Published| r.metric == PUBLISHED_UNFUSED || r.metric == PUBLISHED_FUSED;
    let figures: BTreeSet<(&str, Option<&str>)> =
        rows.iter().filter(|r| is_time(r)).map(|r| (r.citation_key.as_str(), r.figure.as_deref())).collect();
    type Id = (String, String, Option<Backend>, Option<String>);
    let mut out: BTreeMap<Id, PublishedFusion> = BTreeMap::new();
    for row in rows {
        let reduction = row.metric == PUBLISHED_REDUCTION
            && row.unit.trim() == "%"
            && figures.contains(&(row.citation_key.as_str(), row.figure.as_deref()));
        if !(is_time(row) || reduction) {
            continue;
        }
        let id = (row.citation_key.clone(), row.device_label.clone(), row.backend, row.power_mode.clone());
        let entry = out.entry(id).or_insert_with(|| PublishedFusion {
            citation_key: row.citation_key.clone(),
            section: row.section.clone(),
            figure: row.figure.clone(),
            device: row.device_label.clone(),
            backend: row.backend,
            power_mode: row.power_mode.clone(),
            unfused_us: None,
            fused_us: None,
            reduction_pct: None,
            ambiguous: false,
            published_ids: Vec::new(),
        });
        entry.ambiguous |= row.ambiguity.is_some();
        entry.published_ids.push(row.published_id.clone());
        match row.metric.as_str() {
            PUBLISHED_UNFUSED => entry.unfused_us = entry.unfused_us.or(micros(row.value, &row.unit)),
            PUBLISHED_FUSED => entry.fused_us = entry.fused_us.or(micros(row.value, &row.unit)),
            _ => entry.reduction_pct = entry.reduction_pct.or(Some(row.value).filter(|v| v.is_finite())),
        }
    }
    out.into_values().filter(|p| p.ratio().is_some() || p.unfused_us.is_some() || p.fused_us.is_some()).collect()
}

#[cfg(test)]
mod tests;
