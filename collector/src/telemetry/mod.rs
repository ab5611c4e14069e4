//! Telemetry: the worker's memory and the host's power, sampled while a model runs.
//!
//! # Rule: no fake sensor, no guessed value
//!
//! Every reader returns either a measured value or a human-readable reason why there is none
//! (`"RAPL energy_uj not readable: …: permission denied (root only since Linux 5.10)"`,
//! `"NVML not available: libnvidia-ml.so.1 not found …"`). The reasons travel into the dataset's
//! `*_null_reason` columns. Every sysfs / procfs reader takes its root directory as a parameter
//! ([`DEFAULT_SYS_ROOT`], [`DEFAULT_PROC_ROOT`] on a real host) so it is tested against fixture
//! trees (`collector/tests/fixtures/sysfs/`).
//!
//! # Why the sampler runs in the parent and samples the worker's pid
//!
//! Each measured run is a fresh worker process (a cold model load per repetition). The
//! [`Sampler`] is a thread of the *parent* process that reads `/proc/<worker pid>/status`, NVML's
//! per-process memory for that pid, and the power sensors:
//!
//! - a thread inside the worker would share its address space and allocator and compete with
//!   llama.cpp's threads for the worker's cores, perturbing the timings it is there to explain;
//!   from the parent, its cost is a few small-file reads per tick, outside the measured process;
//! - the worker may die (out of memory, a llama.cpp abort, a timeout kill): the parent keeps the
//!   samples up to the crash, which is exactly when peak memory matters;
//! - memory is attributed to the worker alone (its RSS and its CUDA allocations), not to the
//!   harness. The descriptor on `/proc/<pid>/status` stays open, so a reused pid cannot be
//!   mistaken for the worker after it exits (reads then fail with `ESRCH`).
//!
//! # Why a monotonic clock
//!
//! Samples are stamped with [`monotonic_ns`], `clock_gettime(CLOCK_MONOTONIC)`: one clock for
//! every process on the host, never stepped by NTP or by a wall-clock change. The worker stamps
//! its events (prompt submitted, first token, last token) with the same function, sends the
//! numbers to the parent, and the parent asks [`Series::window`] for the statistics of exactly
//! that interval. `std::time::Instant` is the same clock on Linux but is opaque and cannot cross
//! a process boundary.
//!
//! # How energy is computed
//!
//! A [`PowerSource`] gives a [`PowerReading`]: instantaneous power (INA3221, NVML) and/or a
//! cumulative energy counter (RAPL, NVML on Volta and newer), the counter already corrected for
//! wrap-around. Over a window, the counter is interpolated at both edges and differenced;
//! without a counter, power is integrated by the trapezoid rule; mean power is energy over
//! duration; nothing is extrapolated beyond the samples (details in [`series`]). Sources measure
//! different things: `ina3221:VDD_IN` is the Jetson module's input, `ina3221:sum(…)` the sum of
//! the AGX Orin rails, `rapl:package-*` the CPU packages only, `nvml:gpuN` the GPU board only;
//! the name is recorded with every value so that they are never compared blindly.
//!
//! # Memory
//!
//! [`proc_rss_bytes`] reads `VmRSS`. GPU memory is NVML's per-process memory on discrete GPUs
//! (kind `dedicated`) or, on Jetson, [`nvmap_used_bytes`] (`NvMapMemUsed`, kind `unified`), which
//! counts every process's nvmap allocations: a per-process figure needs root and debugfs.
//!
//! # Choosing the power source
//!
//! [`detect_power`] tries INA3221 (present only on a Jetson, where it measures the whole
//! module), then `tegrastats` (a Jetson whose INA3221 files are not readable: [`Tegrastats`]
//! runs it and parses its rails), then NVML (discrete NVIDIA GPU), then RAPL (x86 CPU packages), and returns the first
//! that opens and reads, with the reason each earlier candidate was rejected. A CPU-back-end run
//! on a host with an NVIDIA GPU should rather call [`detect_power_with`] with RAPL first.
//! On macOS, power needs `powermetrics` (sudo) or IOReport, which are not implemented.

mod ina3221;
mod memory;
mod nvml;
mod rapl;
mod sampler;
pub mod series;
mod sysfs;
mod tegrastats;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use ina3221::{INA3221_TOTAL_RAIL, Ina3221, RailReading};
pub use memory::{nvmap_used_bytes, proc_rss_bytes};
pub use nvml::{
    NvmlClocks, NvmlGpuInfo, NvmlMemory, NvmlPower, cuda_version_string, nvml, nvml_clocks, nvml_device_count,
    nvml_error_reason, nvml_gpu_info, nvml_memory_info, nvml_process_memory_bytes, nvml_temperature_c,
    nvml_throttle_reasons,
};
pub use rapl::{Rapl, rapl_delta_uj};
pub use sampler::{DEFAULT_HZ, GpuMemorySource, HZ_RANGE, Sampler, SamplerConfig, SamplerHandle};
pub use series::{EnergyMethod, ReadErrors, Sample, Series, WindowStats};
pub use tegrastats::{TegraPower, TegraRail, Tegrastats, parse_power as parse_tegrastats_power};

/// sysfs root on a real host.
pub const DEFAULT_SYS_ROOT: &str = "/sys";
/// procfs root on a real host.
pub const DEFAULT_PROC_ROOT: &str = "/proc";

/// The reason recorded for power on macOS.
pub const MACOS_POWER_REASON: &str = "power on macOS needs powermetrics (sudo) or IOReport; not implemented";

/// `CLOCK_MONOTONIC` in nanoseconds: the same clock in every process of this host, so a worker
/// can stamp events that the parent's sampler series is then cut by.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC exists on Linux and macOS.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    if rc != 0 {
        // Cannot happen for CLOCK_MONOTONIC with a valid pointer; Instant reads the same clock.
        return fallback_monotonic_ns();
    }
    (ts.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec as u64)
}

fn fallback_monotonic_ns() -> u64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// One read of a power source. At least one of the two is `Some` in a successful read.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PowerReading {
    /// Instantaneous power, W.
    pub power_w: Option<f64>,
    /// Cumulative energy, J: monotonic, corrected for counter wrap-around, arbitrary origin (only
    /// differences between readings of the same source mean anything).
    pub energy_j: Option<f64>,
}

/// A power sensor the sampler reads at every tick. `read` must be cheap and must not panic; an
/// error is a reason, stored and counted by the sampler.
pub trait PowerSource: Send {
    /// What is measured, recorded as the dataset's `power_source`: `ina3221:VDD_IN`,
    /// `ina3221:sum(VDD_GPU_SOC,…)`, `rapl:package-0+package-1`, `nvml:gpu0`.
    fn name(&self) -> String;
    fn read(&mut self) -> Result<PowerReading, String>;
}

/// A kind of power source [`detect_power_with`] can try.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PowerCandidate {
    /// Jetson INA3221 monitors under `<sys>/bus/i2c/drivers/ina3221`.
    Ina3221,
    /// Jetson rails as `tegrastats` prints them, for boards whose INA3221 sysfs is not readable;
    /// it prints a line every `interval_ms`.
    Tegrastats { interval_ms: u64 },
    /// NVIDIA GPU `index` through NVML.
    Nvml { index: u32 },
    /// RAPL package counters under `<sys>/class/powercap`.
    Rapl,
}

/// tegrastats' print interval when it is the power source: 10 lines a second, so that a
/// generation of a second or more is bracketed by several readings.
pub const TEGRASTATS_INTERVAL_MS: u64 = 100;

/// The order [`detect_power`] uses: INA3221, tegrastats, NVML GPU 0, RAPL.
pub const DEFAULT_POWER_ORDER: [PowerCandidate; 4] = [
    PowerCandidate::Ina3221,
    PowerCandidate::Tegrastats { interval_ms: TEGRASTATS_INTERVAL_MS },
    PowerCandidate::Nvml { index: 0 },
    PowerCandidate::Rapl,
];

/// The first power source of [`DEFAULT_POWER_ORDER`] that opens and reads on this host, and the
/// reason each candidate tried before it was rejected (all of them when it returns `None`).
pub fn detect_power(sys_root: impl AsRef<Path>) -> (Option<Box<dyn PowerSource>>, Vec<String>) {
    detect_power_with(sys_root, &DEFAULT_POWER_ORDER)
}

/// [`detect_power`] with the candidates and their order chosen by the caller.
#[cfg(not(target_os = "macos"))]
pub fn detect_power_with(
    sys_root: impl AsRef<Path>,
    candidates: &[PowerCandidate],
) -> (Option<Box<dyn PowerSource>>, Vec<String>) {
    let sys_root = sys_root.as_ref();
    let mut reasons = Vec::new();
    for candidate in candidates {
        let opened: Result<Box<dyn PowerSource>, String> = match *candidate {
            PowerCandidate::Ina3221 => Ina3221::discover(sys_root).map(|s| Box::new(s) as Box<dyn PowerSource>),
            PowerCandidate::Tegrastats { interval_ms } => {
                Tegrastats::start("tegrastats", interval_ms).map(|s| Box::new(s) as Box<dyn PowerSource>)
            }
            PowerCandidate::Nvml { index } => NvmlPower::open(index).map(|s| Box::new(s) as Box<dyn PowerSource>),
            PowerCandidate::Rapl => Rapl::discover(sys_root).map(|s| Box::new(s) as Box<dyn PowerSource>),
        };
        let checked = opened.and_then(|mut source| match source.read() {
            Ok(r) if r.power_w.is_some() || r.energy_j.is_some() => Ok(source),
            Ok(_) => Err(format!("{}: the first read gave no value", source.name())),
            Err(e) => Err(format!("{}: first read failed: {e}", source.name())),
        });
        match checked {
            Ok(source) => return (Some(source), reasons),
            Err(reason) => reasons.push(reason),
        }
    }
    if candidates.is_empty() {
        reasons.push("no power source candidate was tried".into());
    }
    (None, reasons)
}

/// On macOS: no source is implemented; the reason says so.
#[cfg(target_os = "macos")]
pub fn detect_power_with(
    _sys_root: impl AsRef<Path>,
    _candidates: &[PowerCandidate],
) -> (Option<Box<dyn PowerSource>>, Vec<String>) {
    (None, vec![MACOS_POWER_REASON.to_string()])
}
