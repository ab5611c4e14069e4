//! From launches (or summary rows) to one [`ImportedKernel`] per distinct kernel name, under the
//! caps of [`Limits`]; and the number checks every reader shares.

use std::collections::BTreeMap;

use edgebench_dataset::kernel_class::{classify_kernel, kernel_base_name};

use crate::error::{At, Problem, excerpt};
use crate::{ImportedKernel, Limits};

/// Micro-architectural metrics of one launch (Nsight Compute), or their means over launches.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Metrics {
    pub achieved_occupancy_pct: Option<f64>,
    pub theoretical_occupancy_pct: Option<f64>,
    pub eligible_warps_per_cycle: Option<f64>,
    pub active_warps_per_cycle: Option<f64>,
    pub issued_warps_per_cycle: Option<f64>,
    pub dram_throughput_pct: Option<f64>,
}

impl Metrics {
    pub fn slots(&mut self) -> [&mut Option<f64>; 6] {
        [
            &mut self.achieved_occupancy_pct,
            &mut self.theoretical_occupancy_pct,
            &mut self.eligible_warps_per_cycle,
            &mut self.active_warps_per_cycle,
            &mut self.issued_warps_per_cycle,
            &mut self.dram_throughput_pct,
        ]
    }
}

/// Checks a kernel name against the length cap; the name is kept as printed.
pub(crate) fn check_name(name: &str, at: &At, limits: &Limits) -> Result<(), Problem> {
    if name.trim().is_empty() {
        return Err(Problem::malformed(
            at.clone(),
            "empty kernel name",
            "every kernel record needs its name: export again",
        ));
    }
    if name.len() > limits.max_name_bytes {
        return Err(Problem::limit(
            at.clone(),
            format!("kernel name of {} bytes exceeds the limit of {} bytes", name.len(), limits.max_name_bytes),
            "this is not a name a profiler prints: check the file",
        ));
    }
    Ok(())
}

/// A duration in ns: finite, non-negative, at most [`Limits::max_duration_ns`].
pub(crate) fn check_ns(value: f64, what: &str, at: &At, limits: &Limits) -> Result<f64, Problem> {
    if !value.is_finite() || value < 0.0 || value > limits.max_duration_ns {
        return Err(Problem::malformed(
            at.clone(),
            format!("{what} {} ns is not a duration between 0 and {:e} ns", show(value), limits.max_duration_ns),
            "the file is corrupt or was edited: export it again from the profiler",
        ));
    }
    Ok(value)
}

/// A number for a message: plain when short, scientific when huge.
pub(crate) fn show(v: f64) -> String {
    if v.is_finite() && v.abs() < 1e15 { format!("{v}") } else { format!("{v:e}") }
}

/// A metric value: finite, non-negative and below an absurdity bound (percentages and warps per
/// cycle are small numbers).
pub(crate) fn check_metric(value: f64, what: &str, at: &At) -> Result<f64, Problem> {
    if !value.is_finite() || !(0.0..=1e9).contains(&value) {
        return Err(Problem::malformed(
            at.clone(),
            format!("{what} {} is not a plausible metric value", show(value)),
            "the file is corrupt or was edited: export it again from the profiler",
        ));
    }
    Ok(value)
}

/// A number as profilers print it in CSV: optional thousands separators (`1,234.5`).
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    let cleaned: String = t.chars().filter(|&c| c != ',').collect();
    // Only plain decimal notation: Rust's parser would also accept `inf` and `NaN`.
    if !cleaned.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E')) {
        return None;
    }
    cleaned.parse::<f64>().ok()
}

/// Scale of a duration unit to nanoseconds (`ns`, `nsecond`, `us`, `usecond`, `ms`, `msecond`, `s`,
/// `second`; empty means ns, the base unit of Nsight's raw metrics).
pub(crate) fn ns_per_unit(unit: &str) -> Option<f64> {
    match unit.trim().to_ascii_lowercase().as_str() {
        "" | "ns" | "nsecond" | "nseconds" | "nanosecond" | "nanoseconds" => Some(1.0),
        "us" | "µs" | "μs" | "usecond" | "useconds" | "microsecond" | "microseconds" => Some(1e3),
        "ms" | "msecond" | "mseconds" | "millisecond" | "milliseconds" => Some(1e6),
        "s" | "second" | "seconds" => Some(1e9),
        _ => None,
    }
}

/// Counts of everything held, checked as it grows so memory stays bounded on any input.
pub(crate) struct Budget<'a> {
    pub limits: &'a Limits,
    pub launches: u64,
    pub name_bytes: usize,
}

impl<'a> Budget<'a> {
    pub fn new(limits: &'a Limits) -> Self {
        Budget { limits, launches: 0, name_bytes: 0 }
    }

    pub fn launch(&mut self, at: &At) -> Result<(), Problem> {
        self.launches += 1;
        if self.launches > self.limits.max_launches {
            return Err(Problem::limit(
                at.clone(),
                format!("more than {} kernel launches", self.limits.max_launches),
                "profile a shorter window (fewer tokens, `nsys --duration`), or import `nsys stats` CSV instead",
            ));
        }
        Ok(())
    }

    /// A new distinct kernel name.
    pub fn new_name(&mut self, name: &str, distinct_before: usize, at: &At) -> Result<(), Problem> {
        self.name_bytes += name.len();
        if distinct_before >= self.limits.max_kernels || self.name_bytes > self.limits.max_total_name_bytes {
            return Err(Problem::limit(
                at.clone(),
                format!(
                    "more than {} distinct kernel names (or {} bytes of them)",
                    self.limits.max_kernels, self.limits.max_total_name_bytes
                ),
                "this is not an inference capture: check the file",
            ));
        }
        Ok(())
    }
}

#[derive(Default)]
struct KernelLaunches {
    durations: Vec<f64>,
    metric_sums: [f64; 6],
    metric_counts: [u64; 6],
}

/// Launches grouped by kernel name (deterministic order: by name).
pub(crate) struct LaunchTable<'a> {
    budget: Budget<'a>,
    kernels: BTreeMap<String, KernelLaunches>,
}

impl<'a> LaunchTable<'a> {
    pub fn new(limits: &'a Limits) -> Self {
        LaunchTable { budget: Budget::new(limits), kernels: BTreeMap::new() }
    }

    /// One launch of `name` that took `duration_ns` (already checked), with its metrics.
    pub fn add(&mut self, name: &str, duration_ns: f64, metrics: Option<&Metrics>, at: &At) -> Result<(), Problem> {
        self.budget.launch(at)?;
        if !self.kernels.contains_key(name) {
            check_name(name, at, self.budget.limits)?;
            self.budget.new_name(name, self.kernels.len(), at)?;
            self.kernels.insert(name.to_owned(), KernelLaunches::default());
        }
        let k = self.kernels.get_mut(name).expect("inserted above");
        k.durations.push(duration_ns);
        if let Some(m) = metrics {
            let mut m = *m;
            for (i, slot) in m.slots().into_iter().enumerate() {
                if let Some(v) = *slot {
                    k.metric_sums[i] += v;
                    k.metric_counts[i] += 1;
                }
            }
        }
        Ok(())
    }

    pub fn finish(self) -> Vec<ImportedKernel> {
        self.kernels
            .into_iter()
            .map(|(name, mut k)| {
                let stats = Stats::of(&mut k.durations);
                let mut metrics = Metrics::default();
                for (i, slot) in metrics.slots().into_iter().enumerate() {
                    if k.metric_counts[i] > 0 {
                        *slot = Some(k.metric_sums[i] / k.metric_counts[i] as f64);
                    }
                }
                kernel(name, stats, metrics)
            })
            .collect()
    }
}

/// Timing summary of one kernel name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stats {
    pub calls: u64,
    pub total_ns: f64,
    pub avg_ns: f64,
    pub min_ns: Option<f64>,
    pub max_ns: Option<f64>,
    pub median_ns: Option<f64>,
    pub stddev_ns: Option<f64>,
}

impl Stats {
    /// Over launch durations (at least one): the median of an even count is the mean of the two
    /// middle values; the standard deviation is the sample one (n − 1), 0 for a single launch,
    /// as `nsys stats` prints it.
    pub fn of(durations: &mut [f64]) -> Stats {
        durations.sort_by(f64::total_cmp);
        let n = durations.len();
        let total: f64 = durations.iter().sum();
        let avg = total / n as f64;
        let median = if n % 2 == 1 { durations[n / 2] } else { (durations[n / 2 - 1] + durations[n / 2]) / 2.0 };
        let var = if n > 1 { durations.iter().map(|d| (d - avg).powi(2)).sum::<f64>() / (n - 1) as f64 } else { 0.0 };
        Stats {
            calls: n as u64,
            total_ns: total,
            avg_ns: avg,
            min_ns: Some(durations[0]),
            max_ns: Some(durations[n - 1]),
            median_ns: Some(median),
            stddev_ns: Some(var.sqrt()),
        }
    }
}

pub(crate) fn kernel(name: String, s: Stats, m: Metrics) -> ImportedKernel {
    ImportedKernel {
        base_name: kernel_base_name(&name),
        class: classify_kernel(&name),
        name,
        calls: s.calls,
        total_ns: s.total_ns,
        avg_ns: s.avg_ns,
        min_ns: s.min_ns,
        max_ns: s.max_ns,
        median_ns: s.median_ns,
        stddev_ns: s.stddev_ns,
        achieved_occupancy_pct: m.achieved_occupancy_pct,
        theoretical_occupancy_pct: m.theoretical_occupancy_pct,
        eligible_warps_per_cycle: m.eligible_warps_per_cycle,
        active_warps_per_cycle: m.active_warps_per_cycle,
        issued_warps_per_cycle: m.issued_warps_per_cycle,
        dram_throughput_pct: m.dram_throughput_pct,
    }
}

/// Whether a kernel row is internally consistent: what every reader's output must satisfy.
pub(crate) fn invariant_violation(k: &ImportedKernel) -> Option<String> {
    let finite = |v: f64| v.is_finite() && v >= 0.0;
    let opt = [k.min_ns, k.max_ns, k.median_ns, k.stddev_ns];
    if k.calls == 0 {
        return Some("0 calls".into());
    }
    if !finite(k.total_ns) || !finite(k.avg_ns) || opt.iter().flatten().any(|&v| !finite(v)) {
        return Some("a time that is negative or not finite".into());
    }
    let expected = k.avg_ns * k.calls as f64;
    if (expected - k.total_ns).abs() > 1e-3 * k.total_ns.max(expected) + 0.5 * k.calls as f64 + 1.0 {
        return Some(format!("total {} ns differs from average {} ns × {} calls", k.total_ns, k.avg_ns, k.calls));
    }
    if let (Some(min), Some(max)) = (k.min_ns, k.max_ns)
        && min > max
    {
        return Some(format!("minimum {min} ns above maximum {max} ns"));
    }
    if k.name.is_empty() || k.base_name.is_empty() {
        return Some(format!("empty name or base name for {}", excerpt(&k.name, 80)));
    }
    None
}
