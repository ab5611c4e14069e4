//! NVIDIA GPUs through NVML (`nvml-wrapper`, which `dlopen`s `libnvidia-ml.so.1` at run time).
//!
//! NVML is initialised once per process and shared ([`nvml`]); on a host without the NVIDIA
//! driver the initialisation fails, the failure is remembered as a reason, and every function
//! here returns that reason instead of a value. Nothing here panics.
//!
//! Power: `total_energy_consumption()` (mJ since the driver was loaded, Volta and newer) is the
//! preferred source, because `power_usage()` is on recent GPUs an average over the last second
//! or so rather than an instantaneous value; GPUs without the counter fall back to power only.
//! Both measure the GPU board only, not the host.
//!
//! GPU memory of the worker: the sum of `used_gpu_memory` over the entries of
//! `running_compute_processes()` whose pid is the worker's. A worker that has not created a CUDA
//! context yet is not listed and uses 0 bytes. NVML reports host pids: inside a container with
//! its own pid namespace the worker is never found, which shows as 0 throughout.

use std::sync::{Arc, OnceLock};

use nvml_wrapper::Nvml;
use nvml_wrapper::enum_wrappers::device::{Clock, TemperatureSensor};
use nvml_wrapper::enums::device::UsedGpuMemory;
use nvml_wrapper::error::NvmlError;
use serde::{Deserialize, Serialize};

use super::{PowerReading, PowerSource};

static NVML: OnceLock<Result<Arc<Nvml>, String>> = OnceLock::new();

/// The process-wide NVML handle, initialised at the first call; `Err` with the reason NVML
/// cannot be used (library absent, driver not loaded, no permission).
pub fn nvml() -> Result<Arc<Nvml>, String> {
    NVML.get_or_init(|| Nvml::init().map(Arc::new).map_err(|e| nvml_init_reason(&e))).clone()
}

fn nvml_init_reason(e: &NvmlError) -> String {
    match e {
        NvmlError::LibloadingError(inner) => {
            format!("NVML not available: libnvidia-ml.so.1 not found (no NVIDIA driver): {inner}")
        }
        NvmlError::DriverNotLoaded => "NVML not available: the NVIDIA driver is not loaded".into(),
        NvmlError::NoPermission => "NVML not available: no permission to talk to the NVIDIA driver".into(),
        NvmlError::LibRmVersionMismatch => {
            "NVML not available: libnvidia-ml and the kernel driver have different versions (reboot?)".into()
        }
        other => format!("NVML not available: {other}"),
    }
}

/// `what` failed on GPU `index`: NVML's error as a sentence.
pub fn nvml_error_reason(what: &str, index: u32, e: &NvmlError) -> String {
    match e {
        NvmlError::NotSupported => format!("NVML {what} not supported on GPU {index}"),
        NvmlError::InvalidArg => format!("NVML: no GPU {index}"),
        NvmlError::GpuLost => format!("NVML {what}: GPU {index} has fallen off the bus"),
        NvmlError::NoPermission => format!("NVML {what} on GPU {index}: permission denied"),
        other => format!("NVML {what} on GPU {index}: {other}"),
    }
}

/// Number of GPUs NVML sees.
pub fn nvml_device_count() -> Result<u32, String> {
    let nvml = nvml()?;
    nvml.device_count().map_err(|e| format!("NVML device count: {e}"))
}

/// Identity of one GPU and of the driver stack, for the host fingerprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NvmlGpuInfo {
    pub index: u32,
    /// e.g. `NVIDIA GeForce RTX 3090`.
    pub name: String,
    pub uuid: Option<String>,
    /// Kernel driver version, e.g. `550.54.14`.
    pub driver_version: String,
    /// Highest CUDA version the driver supports, e.g. `12.4` (`sys_cuda_driver_version`).
    pub cuda_driver_version: Option<String>,
    /// e.g. `8.6`.
    pub compute_capability: Option<String>,
    /// Total framebuffer memory, bytes.
    pub memory_total_bytes: Option<u64>,
    /// Enforced power limit, W.
    pub power_limit_w: Option<f64>,
}

/// Name, driver and CUDA driver versions and memory size of GPU `index`.
pub fn nvml_gpu_info(index: u32) -> Result<NvmlGpuInfo, String> {
    let nvml = nvml()?;
    let device = nvml.device_by_index(index).map_err(|e| nvml_error_reason("device", index, &e))?;
    let name = device.name().map_err(|e| nvml_error_reason("name", index, &e))?;
    let driver_version = nvml.sys_driver_version().map_err(|e| format!("NVML driver version: {e}"))?;
    Ok(NvmlGpuInfo {
        index,
        name,
        uuid: device.uuid().ok(),
        driver_version,
        cuda_driver_version: nvml.sys_cuda_driver_version().ok().map(cuda_version_string),
        compute_capability: device.cuda_compute_capability().ok().map(|c| format!("{}.{}", c.major, c.minor)),
        memory_total_bytes: device.memory_info().ok().map(|m| m.total),
        power_limit_w: device.enforced_power_limit().ok().map(|mw| f64::from(mw) / 1000.0),
    })
}

/// NVML's CUDA driver version number (`12040`) as `12.4`.
pub fn cuda_version_string(v: i32) -> String {
    format!("{}.{}", v / 1000, (v % 1000) / 10)
}

/// Clocks of one GPU, MHz; each `None` when NVML does not report it for this GPU.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct NvmlClocks {
    pub graphics_mhz: Option<u32>,
    pub sm_mhz: Option<u32>,
    pub memory_mhz: Option<u32>,
    pub max_graphics_mhz: Option<u32>,
    pub max_sm_mhz: Option<u32>,
    pub max_memory_mhz: Option<u32>,
}

/// Current and maximum clocks of GPU `index`.
pub fn nvml_clocks(index: u32) -> Result<NvmlClocks, String> {
    let nvml = nvml()?;
    let device = nvml.device_by_index(index).map_err(|e| nvml_error_reason("device", index, &e))?;
    Ok(NvmlClocks {
        graphics_mhz: device.clock_info(Clock::Graphics).ok(),
        sm_mhz: device.clock_info(Clock::SM).ok(),
        memory_mhz: device.clock_info(Clock::Memory).ok(),
        max_graphics_mhz: device.max_clock_info(Clock::Graphics).ok(),
        max_sm_mhz: device.max_clock_info(Clock::SM).ok(),
        max_memory_mhz: device.max_clock_info(Clock::Memory).ok(),
    })
}

/// Why GPU `index`'s clocks are held down now, as NVML flag names (`GPU_IDLE`, `SW_POWER_CAP`,
/// `HW_THERMAL_SLOWDOWN`...); empty when nothing limits them.
pub fn nvml_throttle_reasons(index: u32) -> Result<Vec<String>, String> {
    let nvml = nvml()?;
    let device = nvml.device_by_index(index).map_err(|e| nvml_error_reason("device", index, &e))?;
    let reasons = device
        .current_throttle_reasons()
        .map_err(|e| nvml_error_reason("throttle reasons", index, &e))?;
    Ok(reasons.iter_names().map(|(name, _)| name.to_string()).filter(|n| n != "NONE").collect())
}

/// GPU die temperature of GPU `index`, °C.
pub fn nvml_temperature_c(index: u32) -> Result<u32, String> {
    let nvml = nvml()?;
    let device = nvml.device_by_index(index).map_err(|e| nvml_error_reason("device", index, &e))?;
    device.temperature(TemperatureSensor::Gpu).map_err(|e| nvml_error_reason("temperature", index, &e))
}

/// Framebuffer memory of a GPU, bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NvmlMemory {
    pub used_bytes: u64,
    pub free_bytes: u64,
    pub total_bytes: u64,
}

/// Framebuffer memory of GPU `index` (all processes).
pub fn nvml_memory_info(index: u32) -> Result<NvmlMemory, String> {
    let nvml = nvml()?;
    let device = nvml.device_by_index(index).map_err(|e| nvml_error_reason("device", index, &e))?;
    let m = device.memory_info().map_err(|e| nvml_error_reason("memory info", index, &e))?;
    Ok(NvmlMemory { used_bytes: m.used, free_bytes: m.free, total_bytes: m.total })
}

/// GPU memory used by process `pid` on GPU `index`, bytes (0 when the process has no CUDA
/// context on it).
pub fn nvml_process_memory_bytes(index: u32, pid: u32) -> Result<u64, String> {
    let nvml = nvml()?;
    process_memory(&nvml, index, pid)
}

pub(crate) fn process_memory(nvml: &Nvml, index: u32, pid: u32) -> Result<u64, String> {
    let device = nvml.device_by_index(index).map_err(|e| nvml_error_reason("device", index, &e))?;
    let procs = device
        .running_compute_processes()
        .map_err(|e| nvml_error_reason("running compute processes", index, &e))?;
    let mut total = 0u64;
    for p in procs.iter().filter(|p| p.pid == pid) {
        match p.used_gpu_memory {
            UsedGpuMemory::Used(bytes) => total += bytes,
            UsedGpuMemory::Unavailable => {
                return Err(format!(
                    "NVML reports no per-process memory for pid {pid} on GPU {index} (WDDM or MIG)"
                ));
            }
        }
    }
    Ok(total)
}

/// Power and energy of one NVIDIA GPU.
pub struct NvmlPower {
    nvml: Arc<Nvml>,
    index: u32,
    has_energy_counter: bool,
    name: String,
}

impl std::fmt::Debug for NvmlPower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NvmlPower")
            .field("index", &self.index)
            .field("has_energy_counter", &self.has_energy_counter)
            .finish()
    }
}

impl NvmlPower {
    /// Opens GPU `index` and checks that it reports power; notes whether it also has the energy
    /// counter.
    pub fn open(index: u32) -> Result<Self, String> {
        let nvml = nvml()?;
        let (has_energy_counter, name) = {
            let device = nvml.device_by_index(index).map_err(|e| nvml_error_reason("device", index, &e))?;
            device.power_usage().map_err(|e| nvml_error_reason("power usage", index, &e))?;
            (device.total_energy_consumption().is_ok(), format!("nvml:gpu{index}"))
        };
        Ok(NvmlPower { nvml, index, has_energy_counter, name })
    }

    /// Whether the GPU has the cumulative energy counter (Volta and newer).
    pub fn has_energy_counter(&self) -> bool {
        self.has_energy_counter
    }
}

impl PowerSource for NvmlPower {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn read(&mut self) -> Result<PowerReading, String> {
        let device = self
            .nvml
            .device_by_index(self.index)
            .map_err(|e| nvml_error_reason("device", self.index, &e))?;
        let power_w = device.power_usage().ok().map(|mw| f64::from(mw) / 1000.0);
        let energy_j = if self.has_energy_counter {
            device.total_energy_consumption().ok().map(|mj| mj as f64 / 1000.0)
        } else {
            None
        };
        if power_w.is_none() && energy_j.is_none() {
            let err = device.power_usage().err();
            return Err(match err {
                Some(e) => nvml_error_reason("power usage", self.index, &e),
                None => format!("NVML gave no power on GPU {}", self.index),
            });
        }
        Ok(PowerReading { power_w, energy_j })
    }
}
