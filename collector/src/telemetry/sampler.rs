//! The background sampler: one thread in the parent process that reads the worker's memory and
//! the host's power at a fixed rate until it is stopped.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use edgebench_dataset::schema::v1::MemoryKind;
use nvml_wrapper::Nvml;

use super::memory::{NvmapReader, RssReader};
use super::series::{ReadErrors, Sample, Series};
use super::{DEFAULT_PROC_ROOT, DEFAULT_SYS_ROOT, PowerSource, detect_power, monotonic_ns};

/// Default sampling rate, Hz.
pub const DEFAULT_HZ: f64 = 20.0;
/// Lowest and highest sampling rates accepted; other values are clamped into this range.
pub const HZ_RANGE: (f64, f64) = (0.1, 1000.0);

/// Where the GPU memory of the worker is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GpuMemorySource {
    /// Not sampled (CPU back-end, or no sensor).
    #[default]
    None,
    /// NVML per-process memory of the worker on GPU `index` (dedicated VRAM).
    Nvml { index: u32 },
    /// Jetson `NvMapMemUsed` from `<proc>/meminfo` (unified memory, all processes).
    Nvmap,
}

/// What to sample, how often, and from which roots.
pub struct SamplerConfig {
    /// Process whose memory is sampled (the worker).
    pub pid: u32,
    /// Sampling rate, Hz (default [`DEFAULT_HZ`]; clamped into [`HZ_RANGE`]).
    pub hz: f64,
    /// procfs root (default `/proc`).
    pub proc_root: PathBuf,
    /// sysfs root (default `/sys`); used by [`SamplerConfig::detect_power`].
    pub sys_root: PathBuf,
    /// Power source, already opened; `None` for no power data.
    pub power: Option<Box<dyn PowerSource>>,
    /// Why `power` is `None` (recorded in the series); a generic reason is used when unset.
    pub power_null_reason: Option<String>,
    pub gpu_memory: GpuMemorySource,
    /// Why `gpu_memory` is `None` (e.g. `CPU back-end`); a generic reason is used when unset.
    pub gpu_memory_null_reason: Option<String>,
}

impl std::fmt::Debug for SamplerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SamplerConfig")
            .field("pid", &self.pid)
            .field("hz", &self.hz)
            .field("proc_root", &self.proc_root)
            .field("sys_root", &self.sys_root)
            .field("power", &self.power.as_ref().map(|p| p.name()))
            .field("power_null_reason", &self.power_null_reason)
            .field("gpu_memory", &self.gpu_memory)
            .field("gpu_memory_null_reason", &self.gpu_memory_null_reason)
            .finish()
    }
}

impl SamplerConfig {
    /// Sample `pid` at 20 Hz from `/proc` and `/sys`, with no power source and no GPU memory.
    pub fn new(pid: u32) -> Self {
        SamplerConfig {
            pid,
            hz: DEFAULT_HZ,
            proc_root: PathBuf::from(DEFAULT_PROC_ROOT),
            sys_root: PathBuf::from(DEFAULT_SYS_ROOT),
            power: None,
            power_null_reason: None,
            gpu_memory: GpuMemorySource::None,
            gpu_memory_null_reason: None,
        }
    }

    /// Fills `power` with [`detect_power`] on `sys_root`, or `power_null_reason` with every
    /// rejected candidate's reason.
    pub fn detect_power(mut self) -> Self {
        let (power, reasons) = detect_power(&self.sys_root);
        if power.is_none() {
            self.power_null_reason = Some(reasons.join("; "));
        }
        self.power = power;
        self
    }
}

/// Starts samplers.
#[derive(Debug)]
pub struct Sampler;

/// A running sampler; [`SamplerHandle::stop`] ends it and returns what it recorded. Dropping the
/// handle stops the thread too (and discards the series).
#[derive(Debug)]
pub struct SamplerHandle {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Series>>,
    /// The series to return when the thread could not be started.
    failed: Option<Series>,
}

impl Sampler {
    /// Takes a first sample now, then one every `1/hz` s on a background thread.
    pub fn start(config: SamplerConfig) -> SamplerHandle {
        let hz = if config.hz.is_finite() { config.hz.clamp(HZ_RANGE.0, HZ_RANGE.1) } else { DEFAULT_HZ };
        let mut series = Series { pid: config.pid, hz, ..Series::default() };
        match &config.power {
            Some(p) => series.power_source = Some(p.name()),
            None => {
                series.power_null_reason =
                    Some(config.power_null_reason.clone().unwrap_or_else(|| "no power source configured".into()))
            }
        }
        let gpu = GpuReader::open(config.gpu_memory, &config.proc_root, config.pid, &mut series);
        if gpu.is_none() && series.gpu_memory_null_reason.is_none() {
            series.gpu_memory_null_reason =
                Some(config.gpu_memory_null_reason.clone().unwrap_or_else(|| "no GPU-memory source configured".into()));
        }
        let state = ThreadState {
            period_ns: (1e9 / hz) as u64,
            rss: RssReader::new(&config.proc_root, config.pid),
            gpu,
            power: config.power,
            series,
        };
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        // The series is moved into the thread; keep a copy of its header in case spawning fails.
        let header = Series { samples: Vec::new(), ..state.series.clone() };
        match std::thread::Builder::new().name("edgebench-telemetry".into()).spawn(move || state.run(&flag)) {
            Ok(thread) => SamplerHandle { stop, thread: Some(thread), failed: None },
            Err(e) => {
                let mut failed = header;
                let reason = format!("the telemetry thread could not start: {e}");
                failed.power_null_reason.get_or_insert_with(|| reason.clone());
                failed.gpu_memory_null_reason.get_or_insert_with(|| reason.clone());
                failed.rss_errors.record(|| reason);
                SamplerHandle { stop, thread: None, failed: Some(failed) }
            }
        }
    }
}

impl SamplerHandle {
    /// Stops the thread (after one last sample, so a window that ends just before the stop is
    /// bracketed) and returns the series.
    pub fn stop(mut self) -> Series {
        self.stop.store(true, Ordering::Release);
        match self.thread.take() {
            Some(thread) => {
                thread.thread().unpark();
                match thread.join() {
                    Ok(series) => series,
                    Err(_) => {
                        let mut s = self.failed.take().unwrap_or_default();
                        s.power_null_reason = Some("the telemetry thread panicked".into());
                        s
                    }
                }
            }
            None => self.failed.take().unwrap_or_default(),
        }
    }

    /// Whether the sampling thread is still running.
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }
}

impl Drop for SamplerHandle {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            self.stop.store(true, Ordering::Release);
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

enum GpuReader {
    Nvml { nvml: Arc<Nvml>, index: u32, pid: u32 },
    Nvmap(NvmapReader),
}

impl GpuReader {
    /// Opens the GPU-memory source and records its name and kind, or why it is unavailable.
    fn open(source: GpuMemorySource, proc_root: &Path, pid: u32, series: &mut Series) -> Option<Self> {
        let opened = match source {
            GpuMemorySource::None => return None,
            GpuMemorySource::Nvml { index } => super::nvml::nvml().and_then(|nvml| {
                super::nvml::process_memory(&nvml, index, pid)?;
                series.gpu_memory_source = Some(format!("nvml_process:gpu{index}"));
                series.gpu_memory_kind = Some(MemoryKind::Dedicated);
                Ok(GpuReader::Nvml { nvml, index, pid })
            }),
            GpuMemorySource::Nvmap => NvmapReader::open(proc_root).map(|r| {
                series.gpu_memory_source = Some("nvmap".into());
                series.gpu_memory_kind = Some(MemoryKind::Unified);
                GpuReader::Nvmap(r)
            }),
        };
        match opened {
            Ok(reader) => Some(reader),
            Err(reason) => {
                series.gpu_memory_null_reason = Some(reason);
                None
            }
        }
    }

    fn read(&mut self, errors: &mut ReadErrors) -> Option<u64> {
        match self {
            GpuReader::Nvml { nvml, index, pid } => match super::nvml::process_memory(nvml, *index, *pid) {
                Ok(v) => Some(v),
                Err(reason) => {
                    errors.record(|| reason);
                    None
                }
            },
            GpuReader::Nvmap(reader) => match reader.read() {
                Ok(v) => Some(v),
                Err(fail) => {
                    errors.record(|| reader.describe(fail));
                    None
                }
            },
        }
    }
}

struct ThreadState {
    period_ns: u64,
    rss: RssReader,
    gpu: Option<GpuReader>,
    power: Option<Box<dyn PowerSource>>,
    series: Series,
}

impl ThreadState {
    fn run(mut self, stop: &AtomicBool) -> Series {
        // Room for ten minutes at the chosen rate before the first reallocation.
        let expected = (600.0 * 1e9 / self.period_ns.max(1) as f64) as usize;
        self.series.samples.reserve(expected.min(1 << 20));
        let mut next = monotonic_ns();
        'sampling: loop {
            self.sample();
            next += self.period_ns;
            loop {
                if stop.load(Ordering::Acquire) {
                    break 'sampling;
                }
                let now = monotonic_ns();
                if now >= next {
                    // A tick was missed (the host was busy): skip to the next one in the future
                    // rather than sampling in a burst.
                    if now - next >= self.period_ns {
                        next += (now - next) / self.period_ns * self.period_ns;
                    }
                    break;
                }
                std::thread::park_timeout(Duration::from_nanos(next - now));
            }
        }
        self.sample(); // after the stop request: brackets windows that end just before it
        self.finish()
    }

    fn sample(&mut self) {
        let t_ns = monotonic_ns();
        let rss_bytes = match self.rss.read() {
            Ok(v) => Some(v),
            Err(fail) => {
                let rss = &self.rss;
                self.series.rss_errors.record(|| rss.describe(fail));
                None
            }
        };
        let gpu_memory_bytes = match &mut self.gpu {
            Some(gpu) => gpu.read(&mut self.series.gpu_memory_errors),
            None => None,
        };
        let (mut power_w, mut energy_j) = (None, None);
        if let Some(source) = &mut self.power {
            match catch_unwind(AssertUnwindSafe(|| source.read())) {
                Ok(Ok(reading)) => {
                    power_w = reading.power_w.filter(|p| p.is_finite());
                    energy_j = reading.energy_j.filter(|e| e.is_finite());
                }
                Ok(Err(reason)) => self.series.power_errors.record(|| reason),
                Err(_) => {
                    // A source that panics once would panic at every tick: stop reading it.
                    let name = source.name();
                    self.series.power_errors.record(|| format!("power source {name} panicked; not read again"));
                    self.power = None;
                }
            }
        }
        self.series.samples.push(Sample { t_ns, rss_bytes, gpu_memory_bytes, power_w, energy_j });
    }

    fn finish(mut self) -> Series {
        let s = &mut self.series;
        if s.power_source.is_some() && s.samples.iter().all(|x| x.power_w.is_none() && x.energy_j.is_none()) {
            s.power_null_reason = Some(match &s.power_errors.first {
                Some(first) => format!("every power read failed: {first}"),
                None => "the power source returned no value".into(),
            });
        }
        if s.gpu_memory_source.is_some() && s.samples.iter().all(|x| x.gpu_memory_bytes.is_none()) {
            s.gpu_memory_null_reason = Some(match &s.gpu_memory_errors.first {
                Some(first) => format!("every GPU-memory read failed: {first}"),
                None => "the GPU-memory source returned no value".into(),
            });
        }
        self.series
    }
}
