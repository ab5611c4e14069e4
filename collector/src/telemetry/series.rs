//! A sampled time series and the statistics of a time window of it.
//!
//! # Energy over a window `[t0, t1]`
//!
//! - When the power source has a cumulative energy counter (RAPL, NVML Volta+), the counter is
//!   interpolated linearly at `t0` and at `t1` between the samples that bracket each instant, and
//!   the energy is the difference. This is exact up to the interpolation inside the two edge
//!   sampling intervals, whatever happened between samples.
//! - Otherwise (INA3221, older NVML GPUs) power is integrated with the trapezoid rule over the
//!   samples strictly inside the window plus the power interpolated at `t0` and `t1`.
//! - The counter is used when the series has one; if it cannot bracket the window (a read
//!   failed at the edge), power is integrated instead if it can.
//! - A counter that did not advance across the window, or whose update step (the median time
//!   between its changes over the series) is more than half the window, cannot measure it: its
//!   difference is zero, one or two steps depending on where the window falls (NVML's counter on
//!   an H100 gave generations under 100 ms a mean power of 28 to 287 W, longer ones 136 to
//!   171 W). Power is then integrated from the same source's power samples when they bracket the
//!   window. [`WindowStats::energy_method`] says which of the two gave the value, so a reader
//!   can keep them apart: the counter is exact between its updates, the integral only as good as
//!   the sampling rate and the sensor's own averaging.
//! - `mean_power_w = energy_j / (t1 − t0)`.
//! - Nothing is extrapolated: when no sample at or before `t0`, or none at or after `t1`, carries
//!   the quantity, the value is `None` with a reason. Samples whose read failed (`None`) are
//!   skipped, so the interpolation spans the gap.
//!
//! # Peaks
//!
//! Peak RSS and peak GPU memory are the maxima over the samples inside `[t0, t1]`. A window
//! shorter than the sampling period may hold no sample at all; then the nearest sample before
//! `t0` stands for it, provided a sample after `t1` exists too (the window lies inside the
//! sampled span: a window after the sampler stopped gets `None`, not the last value seen). If
//! the window holds samples but none carries the quantity (reads failed), the peak is `None`.

use serde::{Deserialize, Serialize};

/// How the energy of a window was obtained: the dataset's own enum, stored as is.
pub use edgebench_dataset::schema::v1::EnergyMethod;
use edgebench_dataset::schema::v1::MemoryKind;

/// One sampler tick. `t_ns` is [`super::monotonic_ns`]; each quantity is `None` when its source
/// is absent or its read failed at this tick.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Sample {
    pub t_ns: u64,
    pub rss_bytes: Option<u64>,
    pub gpu_memory_bytes: Option<u64>,
    /// Instantaneous power of the source, W.
    pub power_w: Option<f64>,
    /// Cumulative energy counter of the source, J (monotonic, wrap-corrected, arbitrary origin).
    pub energy_j: Option<f64>,
}

/// How often one kind of read failed during sampling, and the first reason.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReadErrors {
    pub count: u64,
    pub first: Option<String>,
}

impl ReadErrors {
    /// Counts a failure; `reason` is called only for the first one.
    pub fn record(&mut self, reason: impl FnOnce() -> String) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(reason());
        }
    }
}

/// Everything the sampler recorded, with the provenance of each quantity.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Series {
    /// Process sampled.
    pub pid: u32,
    /// Sampling rate actually used, Hz.
    pub hz: f64,
    /// Samples in time order (`t_ns` non-decreasing: [`Series::window`] relies on it).
    pub samples: Vec<Sample>,
    /// [`super::PowerSource::name`] of the power source, `None` when there was none.
    pub power_source: Option<String>,
    /// Why there is no power data (no source, or every read failed).
    pub power_null_reason: Option<String>,
    /// GPU-memory sensor, e.g. `nvml_process:gpu0` or `nvmap`.
    pub gpu_memory_source: Option<String>,
    /// `Dedicated` (NVML: VRAM of the worker) or `Unified` (Jetson nvmap, all processes).
    pub gpu_memory_kind: Option<MemoryKind>,
    /// Why there is no GPU-memory data.
    pub gpu_memory_null_reason: Option<String>,
    pub rss_errors: ReadErrors,
    pub gpu_memory_errors: ReadErrors,
    pub power_errors: ReadErrors,
}

/// Statistics of `[t0, t1]` (see the module documentation for how each is computed).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WindowStats {
    pub peak_rss_bytes: Option<u64>,
    pub peak_gpu_memory_bytes: Option<u64>,
    /// `energy_j / (t1 − t0)`, W.
    pub mean_power_w: Option<f64>,
    /// Energy over the window, J.
    pub energy_j: Option<f64>,
    /// Number of samples with `t0 <= t_ns <= t1`.
    pub samples: usize,
    /// Why `energy_j` / `mean_power_w` are `None`.
    pub power_null_reason: Option<String>,
    /// Why `peak_gpu_memory_bytes` is `None`.
    pub gpu_memory_null_reason: Option<String>,
    /// How `energy_j` was obtained; `None` when it is `None`.
    pub energy_method: Option<EnergyMethod>,
}

impl Series {
    /// Peaks, energy and mean power over `[t0_ns, t1_ns]` (monotonic-clock nanoseconds).
    pub fn window(&self, t0_ns: u64, t1_ns: u64) -> WindowStats {
        let s = &self.samples;
        let lo = s.partition_point(|x| x.t_ns < t0_ns);
        let hi = s.partition_point(|x| x.t_ns <= t1_ns).max(lo);
        let inside = &s[lo..hi];

        let peak = |get: fn(&Sample) -> Option<u64>| -> Option<u64> {
            if t1_ns < t0_ns {
                return None;
            }
            if !inside.is_empty() {
                return inside.iter().filter_map(get).max();
            }
            // No sample inside: the window falls between two samples.
            if lo > 0 && hi < s.len() { get(&s[lo - 1]) } else { None }
        };
        let peak_rss_bytes = peak(|x| x.rss_bytes);
        let peak_gpu_memory_bytes = peak(|x| x.gpu_memory_bytes);
        let gpu_memory_null_reason = match peak_gpu_memory_bytes {
            Some(_) => None,
            None => Some(match (&self.gpu_memory_source, &self.gpu_memory_null_reason) {
                (None, reason) => reason.clone().unwrap_or_else(|| "no GPU-memory source".into()),
                (Some(_), Some(reason)) => reason.clone(),
                (Some(_), None) => self.no_data_reason("GPU-memory", &self.gpu_memory_errors, t0_ns, t1_ns),
            }),
        };

        let (energy, power_null_reason) = if self.power_source.is_none() {
            (None, Some(self.power_null_reason.clone().unwrap_or_else(|| "no power source".into())))
        } else if let Some(reason) = &self.power_null_reason {
            (None, Some(reason.clone()))
        } else if t1_ns <= t0_ns {
            (None, Some(format!("empty window [{t0_ns}, {t1_ns}] ns")))
        } else {
            let by_counter = if s.iter().any(|x| x.energy_j.is_some()) {
                // A window shorter than two of the counter's update steps holds zero, one or two
                // steps depending on where it falls: its difference is quantised, not measured
                // (H100 generations under 100 ms read 28 to 287 W where longer ones read
                // 136 to 171 W). Power samples, where the source has them, integrate it instead.
                let too_short = counter_step_ns(s).is_some_and(|step| t1_ns - t0_ns < 2 * step);
                let integral = || trapezoid(s, t0_ns, t1_ns).map(|e| Ok((e, EnergyMethod::PowerIntegralCounterTooCoarse)));
                match (interpolate(s, t0_ns, |x| x.energy_j), interpolate(s, t1_ns, |x| x.energy_j)) {
                    (Some(e0), Some(e1)) if e1 > e0 && too_short && let Some(by_power) = integral() => Some(by_power),
                    (Some(e0), Some(e1)) if e1 > e0 => Some(Ok((e1 - e0, EnergyMethod::Counter))),
                    // A powered device never uses zero energy: the counter did not advance between
                    // the samples around this window (NVML's counter updates more slowly than
                    // 20 Hz on some GPUs), so the window is too short for it to measure.
                    (Some(e0), Some(e1)) if e1 == e0 => Some(match integral() {
                        Some(by_power) => by_power,
                        None => Err(format!(
                            "the energy counter did not advance within this {:.1} ms window (it updates more slowly than the window is long), and no power samples bracket it",
                            (t1_ns - t0_ns) as f64 / 1e6
                        )),
                    }),
                    (Some(e0), Some(e1)) => {
                        Some(Err(format!("energy counter went backwards in the window ({e0} J → {e1} J)")))
                    }
                    _ => None,
                }
            } else {
                None
            };
            match by_counter {
                Some(Ok(e)) => (Some(e), None),
                Some(Err(reason)) => (None, Some(reason)),
                None => match trapezoid(s, t0_ns, t1_ns) {
                    Some(e) => (Some((e, EnergyMethod::PowerIntegral)), None),
                    None => (None, Some(self.no_data_reason("power", &self.power_errors, t0_ns, t1_ns))),
                },
            }
        };
        let energy_j = energy.map(|(e, _)| e);
        let energy_method = energy.map(|(_, m)| m);
        let mean_power_w = energy_j.map(|e| e / ((t1_ns - t0_ns) as f64 / 1e9));

        WindowStats {
            peak_rss_bytes,
            peak_gpu_memory_bytes,
            mean_power_w,
            energy_j,
            samples: inside.len(),
            power_null_reason,
            gpu_memory_null_reason,
            energy_method,
        }
    }

    fn no_data_reason(&self, what: &str, errors: &ReadErrors, t0_ns: u64, t1_ns: u64) -> String {
        let mut reason = match (self.samples.first(), self.samples.last()) {
            (Some(a), Some(b)) => format!(
                "no {what} samples around the window [{t0_ns}, {t1_ns}] ns (samples cover [{}, {}] ns)",
                a.t_ns, b.t_ns
            ),
            _ => format!("no {what} samples (the sampler recorded nothing)"),
        };
        if let Some(first) = &errors.first {
            reason.push_str(&format!("; {} {what} reads failed, first: {first}", errors.count));
        }
        reason
    }
}

/// The quantity at time `t`, linear between the nearest samples at or before and at or after `t`
/// that carry it; `None` if either side has none.
fn interpolate(s: &[Sample], t: u64, get: fn(&Sample) -> Option<f64>) -> Option<f64> {
    let after_start = s.partition_point(|x| x.t_ns < t); // first index with t_ns >= t
    let before_end = s.partition_point(|x| x.t_ns <= t); // one past the last index with t_ns <= t
    let (ta, va) = s[..before_end].iter().rev().find_map(|x| get(x).map(|v| (x.t_ns, v)))?;
    let (tb, vb) = s[after_start..].iter().find_map(|x| get(x).map(|v| (x.t_ns, v)))?;
    if tb == ta {
        return Some(va);
    }
    let f = (t - ta) as f64 / (tb - ta) as f64;
    Some(va + (vb - va) * f)
}

/// The energy counter's update step: the median time between successive samples whose counter
/// values differ, over the whole series (`None` with fewer than three changes). A counter that
/// updates at every sample has a step of one sampling period.
fn counter_step_ns(s: &[Sample]) -> Option<u64> {
    let mut changes = Vec::new();
    let mut last: Option<(u64, f64)> = None;
    for x in s {
        let Some(e) = x.energy_j else { continue };
        match last {
            Some((_, prev)) if prev == e => {}
            Some((t, _)) => {
                changes.push(x.t_ns - t);
                last = Some((x.t_ns, e));
            }
            None => last = Some((x.t_ns, e)),
        }
    }
    if changes.len() < 3 {
        return None;
    }
    changes.sort_unstable();
    Some(changes[changes.len() / 2])
}

/// ∫ power dt over `[t0, t1]`, J, by the trapezoid rule; `None` without bracketing samples.
fn trapezoid(s: &[Sample], t0: u64, t1: u64) -> Option<f64> {
    let p0 = interpolate(s, t0, |x| x.power_w)?;
    let p1 = interpolate(s, t1, |x| x.power_w)?;
    let lo = s.partition_point(|x| x.t_ns <= t0);
    let hi = s.partition_point(|x| x.t_ns < t1).max(lo);
    let mut energy = 0.0;
    let (mut tp, mut pp) = (t0, p0);
    for x in &s[lo..hi] {
        if let Some(p) = x.power_w {
            energy += (pp + p) / 2.0 * (x.t_ns - tp) as f64 / 1e9;
            (tp, pp) = (x.t_ns, p);
        }
    }
    energy += (pp + p1) / 2.0 * (t1 - tp) as f64 / 1e9;
    Some(energy)
}
