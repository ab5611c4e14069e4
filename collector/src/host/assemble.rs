//! [`assemble`]: the three sources combined, field by field, in the order of preference the
//! module documentation's table gives. One chooser per field (or pair of fields decided
//! together), each pure and each explaining its fallbacks and gaps in the notes.
//!
//! The notes are pushed in the order the fields are decided (the Jetson release line first, then
//! CPU, memory, OS, kernel, architecture, GPU), so that a fingerprint's notes read the same from one
//! collector version to the next.

use edgebench_dataset::schema::Sha256Hex;

use super::parse::{
    CpuInfo, parse_cpuinfo, parse_device_tree_strings, parse_meminfo_total, parse_nv_tegra_release, parse_os_release,
    physical_cores_from_siblings, tegra_gpu_name,
};
use super::{GpuFacts, HostFiles, HostFingerprint, SystemFacts, fingerprint_sha256};

/// What the host files say once parsed: the parts more than one field draws on.
struct ParsedFiles {
    cpuinfo: Option<CpuInfo>,
    /// The device-tree board model (`NVIDIA Jetson Orin NX …`).
    dt_model: Option<String>,
    /// The device-tree `compatible` list (`nvidia,tegra234`, …).
    dt_compatible: Vec<String>,
    /// The L4T release (`R36.3.0`) of a Jetson.
    l4t: Option<String>,
}

impl ParsedFiles {
    fn parse(files: &HostFiles, notes: &mut Vec<String>) -> Self {
        let l4t = files.nv_tegra_release.as_deref().and_then(parse_nv_tegra_release);
        if files.nv_tegra_release.is_some() && l4t.is_none() {
            notes.push("nv_tegra_release present but its release line could not be parsed".into());
        }
        ParsedFiles {
            cpuinfo: files.cpuinfo.as_deref().map(parse_cpuinfo),
            dt_model: files
                .device_tree_model
                .as_deref()
                .map(parse_device_tree_strings)
                .and_then(|v| v.into_iter().next()),
            dt_compatible: files.device_tree_compatible.as_deref().map(parse_device_tree_strings).unwrap_or_default(),
            l4t,
        }
    }
}

/// Combines the three sources into the fingerprint (pure; see the module documentation).
pub fn assemble(system: &SystemFacts, files: &HostFiles, gpu: &GpuFacts) -> HostFingerprint {
    let mut notes: Vec<String> = Vec::new();
    let parsed = ParsedFiles::parse(files, &mut notes);
    let cpu_model = cpu_model(system, &parsed, &mut notes);
    let cpu_logical_cores = cpu_logical_cores(system, &parsed, &mut notes);
    let cpu_physical_cores = cpu_physical_cores(system, files, &parsed, &mut notes);
    let ram_bytes = ram_bytes(system, files, &mut notes);
    let os = os(system, files, &parsed, &mut notes);
    let kernel = kernel(system, files, &mut notes);
    let arch = arch(system, &mut notes);
    let (gpu_name, gpu_driver) = gpu_name_and_driver(gpu, files, &parsed, &mut notes);

    let mut fp = HostFingerprint {
        cpu_model,
        cpu_logical_cores,
        cpu_physical_cores,
        ram_bytes,
        os,
        kernel,
        arch,
        gpu_name,
        gpu_driver,
        cuda_version: gpu.cuda_version.clone(),
        sha256: Sha256Hex::of(b""),
        notes,
    };
    fp.sha256 = fingerprint_sha256(&fp);
    fp
}

/// cpuinfo's `model name`; else the core names (sysinfo's distinct brands, or the raw ARM ids)
/// with the board model in parentheses; else the board model alone; else `unknown`.
fn cpu_model(system: &SystemFacts, parsed: &ParsedFiles, notes: &mut Vec<String>) -> String {
    if let Some(name) = parsed.cpuinfo.as_ref().and_then(|c| c.model_name.clone()) {
        return name;
    }
    let brands: Vec<&str> = {
        let mut seen: Vec<&str> = Vec::new();
        for b in system.cpu_brands.iter().map(|b| b.trim()).filter(|b| !b.is_empty()) {
            if !seen.contains(&b) {
                seen.push(b);
            }
        }
        seen
    };
    let arm_parts = parsed.cpuinfo.as_ref().map(|c| c.arm_parts.as_slice()).unwrap_or_default();
    let cores = if !brands.is_empty() {
        Some(brands.join(" + "))
    } else if !arm_parts.is_empty() {
        notes.push("cpu_model: core names not decoded; raw CPU implementer/part ids recorded".into());
        Some(arm_parts.iter().map(|(i, p)| format!("CPU implementer {i} part {p}")).collect::<Vec<_>>().join(" + "))
    } else {
        None
    };
    match (cores, parsed.dt_model.clone()) {
        (Some(c), Some(m)) => format!("{c} ({m})"),
        (Some(c), None) => c,
        (None, Some(m)) => {
            notes.push("cpu_model: no CPU name available; device-tree board model recorded".into());
            m
        }
        (None, None) => {
            notes.push("cpu_model: neither sysinfo nor /proc/cpuinfo nor the device tree names the CPU".into());
            "unknown".into()
        }
    }
}

/// sysinfo's CPU count; else cpuinfo's `processor` entries; else 0.
fn cpu_logical_cores(system: &SystemFacts, parsed: &ParsedFiles, notes: &mut Vec<String>) -> u32 {
    match (system.logical_cores, parsed.cpuinfo.as_ref().map(|c| c.processors).filter(|&n| n > 0)) {
        (Some(n), _) => n,
        (None, Some(n)) => {
            notes.push("cpu_logical_cores: from /proc/cpuinfo (sysinfo reported none)".into());
            n
        }
        (None, None) => {
            notes.push("cpu_logical_cores: unreadable (sysinfo and /proc/cpuinfo both failed); 0 recorded".into());
            0
        }
    }
}

/// cpuinfo's (`physical id`, `core id`) pairs; else sysfs's distinct sibling lists; else sysinfo.
fn cpu_physical_cores(system: &SystemFacts, files: &HostFiles, parsed: &ParsedFiles, notes: &mut Vec<String>) -> Option<u32> {
    let cores = parsed
        .cpuinfo
        .as_ref()
        .and_then(|c| c.physical_cores)
        .or_else(|| physical_cores_from_siblings(&files.cpu_thread_siblings))
        .or(system.physical_cores);
    if cores.is_none() {
        notes.push("cpu_physical_cores: not reported by /proc/cpuinfo, sysfs topology or sysinfo".into());
    }
    cores
}

/// sysinfo; else `MemTotal` of `/proc/meminfo`; else 0.
fn ram_bytes(system: &SystemFacts, files: &HostFiles, notes: &mut Vec<String>) -> u64 {
    match system.ram_bytes.or_else(|| files.meminfo.as_deref().and_then(parse_meminfo_total)) {
        Some(n) => {
            if system.ram_bytes.is_none() {
                notes.push("ram_bytes: from /proc/meminfo (sysinfo reported none)".into());
            }
            n
        }
        None => {
            notes.push("ram_bytes: unreadable (sysinfo and /proc/meminfo both failed); 0 recorded".into());
            0
        }
    }
}

/// os-release's name; else sysinfo's; with the L4T release of a Jetson; else `unknown`.
fn os(system: &SystemFacts, files: &HostFiles, parsed: &ParsedFiles, notes: &mut Vec<String>) -> String {
    let os_base =
        files.os_release.as_deref().and_then(parse_os_release).or_else(|| system.long_os_version.clone()).or_else(
            || match (&system.os_name, &system.os_version) {
                (Some(n), Some(v)) => Some(format!("{n} {v}")),
                (n, _) => n.clone(),
            },
        );
    match (os_base, &parsed.l4t) {
        (Some(os), Some(l4t)) => format!("{os} (L4T {l4t})"),
        (Some(os), None) => os,
        (None, Some(l4t)) => format!("L4T {l4t}"),
        (None, None) => {
            notes.push("os: neither /etc/os-release nor sysinfo names the OS".into());
            "unknown".into()
        }
    }
}

/// sysinfo; else `/proc/sys/kernel/osrelease`; else `unknown`.
fn kernel(system: &SystemFacts, files: &HostFiles, notes: &mut Vec<String>) -> String {
    match system
        .kernel
        .clone()
        .or_else(|| files.kernel_osrelease.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned))
    {
        Some(k) => k,
        None => {
            notes.push("kernel: neither sysinfo nor /proc/sys/kernel/osrelease gives it".into());
            "unknown".into()
        }
    }
}

/// sysinfo (`uname -m` on Unix); else `unknown`.
fn arch(system: &SystemFacts, notes: &mut Vec<String>) -> String {
    match system.arch.clone() {
        Some(a) => a,
        None => {
            notes.push("arch: sysinfo does not report it".into());
            "unknown".into()
        }
    }
}

/// NVML's answer (with its notes); else, on a Jetson whose SoC the device tree names, the
/// integrated GPU and the L4T release as its driver.
fn gpu_name_and_driver(
    gpu: &GpuFacts,
    files: &HostFiles,
    parsed: &ParsedFiles,
    notes: &mut Vec<String>,
) -> (Option<String>, Option<String>) {
    notes.extend(gpu.notes.iter().cloned());
    let (mut gpu_name, mut gpu_driver) = (gpu.name.clone(), gpu.driver.clone());
    if gpu_name.is_none() && files.nv_tegra_release.is_some() {
        match tegra_gpu_name(&parsed.dt_compatible, parsed.dt_model.as_deref()) {
            Some(name) => {
                gpu_name = Some(name);
                if gpu_driver.is_none() {
                    gpu_driver = parsed.l4t.as_ref().map(|r| format!("L4T {r}"));
                }
                notes.push("gpu: Jetson integrated GPU named from the device tree; driver = L4T release".into());
            }
            None => notes.push("gpu: Jetson (nv_tegra_release present) but the device tree names no known SoC".into()),
        }
    }
    (gpu_name, gpu_driver)
}
