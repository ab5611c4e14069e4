//! Host fingerprint: what machine a run was measured on, without naming it.
//!
//! Every run row carries the `host_*` columns (CPU model, logical and physical cores, RAM, OS,
//! kernel, architecture, GPU name, driver and CUDA version) and `host_fingerprint_sha256`, a digest
//! of exactly those fields, so that rows from the same machine group together and a duplicate
//! contribution is recognised. The raw hostname is never read.
//!
//! # Design
//!
//! Reading is split in three so that everything that interprets text is pure and tested on
//! fixture trees ([`HostRoots`] points at a fake `/proc`, `/sys` and `/etc`):
//!
//! 1. [`SystemFacts`]: what `sysinfo` reports (CPU brand per logical CPU, core counts, total
//!    memory, OS name and version, kernel version, architecture). On macOS and Windows this is the
//!    only source.
//! 2. [`HostFiles`]: the text of the files that complement it, read under the roots:
//!    `<proc>/cpuinfo`, `<proc>/meminfo`, `<proc>/sys/kernel/osrelease`,
//!    `<proc>/device-tree/{model,compatible}` (or `<sys>/firmware/devicetree/base/…`),
//!    `<sys>/devices/system/cpu/cpu*/topology/thread_siblings_list`, `<etc>/os-release` and
//!    `<etc>/nv_tegra_release` (Jetson's L4T release). A missing file is `None`, never an error.
//! 3. [`GpuFacts`]: NVML (`libnvidia-ml`, loaded at run time: `Nvml::init()` fails cleanly when
//!    there is no NVIDIA driver) for the GPU names, driver version and CUDA driver version; when
//!    NVML is absent, the CUDA driver version from `libcuda`'s `cuDriverGetVersion` if that library
//!    loads (it does on Jetson, where NVML does not cover the integrated GPU).
//!
//! [`assemble`] then chooses, field by field, in this order of preference:
//!
//! | field | sources, first that answers |
//! |---|---|
//! | `cpu_model` | cpuinfo `model name`; else sysinfo's brands (distinct, joined with ` + `: `Cortex-A78AE` on ARM Linux, `Apple M4` on macOS), or the raw `CPU implementer`/`CPU part` ids when sysinfo decodes none, followed by the device-tree board model in parentheses when there is one (`Cortex-A78AE (NVIDIA Jetson Orin NX …)`); else the board model alone |
//! | `cpu_logical_cores` | sysinfo's CPU count; else the `processor` entries of cpuinfo |
//! | `cpu_physical_cores` | distinct (`physical id`, `core id`) pairs in cpuinfo; else distinct `thread_siblings_list` in sysfs; else sysinfo; else `None` |
//! | `ram_bytes` | sysinfo; else `MemTotal` of `/proc/meminfo` |
//! | `os` | `PRETTY_NAME` of `/etc/os-release`; else sysinfo's long OS version; plus ` (L4T R36.3.0)` on Jetson |
//! | `kernel` | sysinfo; else `/proc/sys/kernel/osrelease` |
//! | `arch` | sysinfo (`uname -m` on Unix) |
//! | `gpu_name`, `gpu_driver` | NVML (several GPUs: names joined with ` + `); else, only on a Jetson (`nv_tegra_release` present) whose SoC the device tree names, `NVIDIA Orin (nvgpu)` and the L4T release |
//! | `cuda_version` | NVML's CUDA driver version (`12.4`); else `libcuda`'s |
//!
//! Nothing is guessed: a nullable field that no source answers is `None`, and every fallback or
//! gap is explained in [`HostFingerprint::notes`]. The non-nullable text fields (`cpu_model`, `os`,
//! `kernel`, `arch`) become the literal `unknown` (with a note) only if every source fails, and
//! `ram_bytes` becomes 0 (with a note); neither happens on the platforms the collector supports.
//!
//! # Digest
//!
//! `sha256` = [`edgebench_dataset::ids::row_id`]`("host", [("cpu_model", …), ("cpu_logical_cores",
//! …), ("cpu_physical_cores", …), ("ram_bytes", …), ("os", …), ("kernel", …), ("arch", …),
//! ("gpu_name", …), ("gpu_driver", …), ("cuda_version", …)])`, numbers as decimal strings and absent
//! values as JSON `null` ([`fingerprint_sha256`]). The notes are not part of it.
//!
//! # Layout
//!
//! - `host/system.rs`: [`SystemFacts`] and [`read_system_facts`];
//! - `host/files.rs`: [`HostRoots`] and [`HostFiles::read`];
//! - `host/parse.rs`: the pure parsers of that text ([`parse_cpuinfo`], [`parse_os_release`],
//!   [`parse_nv_tegra_release`], [`parse_meminfo_total`], [`parse_device_tree_strings`],
//!   [`physical_cores_from_siblings`], [`tegra_gpu_name`]);
//! - `host/gpu.rs`: [`GpuFacts`] and [`read_gpu_facts`] (NVML, `libcuda`);
//! - `host/assemble.rs`: [`assemble`], one chooser per field;
//! - this file: [`HostFingerprint`], [`fingerprint`] and the digest, [`fingerprint_sha256`].

mod assemble;
mod files;
mod gpu;
mod parse;
mod system;

use edgebench_dataset::ids::row_id;
use edgebench_dataset::schema::Sha256Hex;

pub use assemble::assemble;
pub use files::{HostFiles, HostRoots};
pub use gpu::{GpuFacts, cuda_driver_version_from_libcuda, format_cuda_version, read_gpu_facts};
pub use parse::{
    CpuInfo, parse_cpuinfo, parse_device_tree_strings, parse_meminfo_total, parse_nv_tegra_release, parse_os_release,
    physical_cores_from_siblings, tegra_gpu_name,
};
pub use system::{SystemFacts, read_system_facts};

/// The machine, as recorded in the `host_*` columns of every run.
#[derive(Debug, Clone, PartialEq)]
pub struct HostFingerprint {
    pub cpu_model: String,
    pub cpu_logical_cores: u32,
    pub cpu_physical_cores: Option<u32>,
    pub ram_bytes: u64,
    pub os: String,
    pub kernel: String,
    pub arch: String,
    pub gpu_name: Option<String>,
    pub gpu_driver: Option<String>,
    pub cuda_version: Option<String>,
    /// [`fingerprint_sha256`] of the fields above.
    pub sha256: Sha256Hex,
    /// Which fallback gave a value, and why a value is missing. Not part of the digest.
    pub notes: Vec<String>,
}

/// The fingerprint of this machine (see the module documentation for the sources).
pub fn fingerprint(roots: &HostRoots) -> HostFingerprint {
    let system = read_system_facts();
    let files = HostFiles::read(roots);
    let gpu = read_gpu_facts();
    assemble(&system, &files, &gpu)
}

/// The canonical digest of the `host_*` fields (see the module documentation).
pub fn fingerprint_sha256(fp: &HostFingerprint) -> Sha256Hex {
    row_id(
        "host",
        &[
            ("cpu_model", Some(fp.cpu_model.clone())),
            ("cpu_logical_cores", Some(fp.cpu_logical_cores.to_string())),
            ("cpu_physical_cores", fp.cpu_physical_cores.map(|n| n.to_string())),
            ("ram_bytes", Some(fp.ram_bytes.to_string())),
            ("os", Some(fp.os.clone())),
            ("kernel", Some(fp.kernel.clone())),
            ("arch", Some(fp.arch.clone())),
            ("gpu_name", fp.gpu_name.clone()),
            ("gpu_driver", fp.gpu_driver.clone()),
            ("cuda_version", fp.cuda_version.clone()),
        ],
    )
}
