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

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use edgebench_dataset::ids::row_id;
use edgebench_dataset::schema::Sha256Hex;

/// Where the host's files are read: `/proc`, `/sys` and `/etc`, or a fixture tree in tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRoots {
    pub proc_root: PathBuf,
    pub sys_root: PathBuf,
    pub etc_root: PathBuf,
}

impl Default for HostRoots {
    fn default() -> Self {
        HostRoots { proc_root: "/proc".into(), sys_root: "/sys".into(), etc_root: "/etc".into() }
    }
}

impl HostRoots {
    /// `<root>/proc`, `<root>/sys` and `<root>/etc` (a fixture tree).
    pub fn under(root: &Path) -> Self {
        HostRoots { proc_root: root.join("proc"), sys_root: root.join("sys"), etc_root: root.join("etc") }
    }
}

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

/// What `sysinfo` reports (each `None` when it could not tell).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SystemFacts {
    /// Brand of each logical CPU (`Intel(R) Xeon(R) …`; `Cortex-A78AE` on ARM Linux; `Apple M4`).
    pub cpu_brands: Vec<String>,
    pub logical_cores: Option<u32>,
    pub physical_cores: Option<u32>,
    pub ram_bytes: Option<u64>,
    /// `Darwin`, `Debian GNU/Linux`.
    pub os_name: Option<String>,
    /// `15.1.1`, `12`.
    pub os_version: Option<String>,
    /// `macOS 15.1.1 Sequoia`, `Linux (Debian GNU/Linux 12)`.
    pub long_os_version: Option<String>,
    pub kernel: Option<String>,
    pub arch: Option<String>,
}

/// Text of the host files under [`HostRoots`] (`None`: absent or unreadable).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostFiles {
    pub cpuinfo: Option<String>,
    pub meminfo: Option<String>,
    pub kernel_osrelease: Option<String>,
    /// Raw bytes of the device-tree `model` (NUL-terminated).
    pub device_tree_model: Option<Vec<u8>>,
    /// Raw bytes of the device-tree `compatible` (NUL-separated list).
    pub device_tree_compatible: Option<Vec<u8>>,
    /// `thread_siblings_list` of each CPU in sysfs, in CPU order.
    pub cpu_thread_siblings: Vec<String>,
    pub os_release: Option<String>,
    pub nv_tegra_release: Option<String>,
}

/// GPU facts from the driver (NVML, `libcuda`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GpuFacts {
    pub name: Option<String>,
    pub driver: Option<String>,
    pub cuda_version: Option<String>,
    /// Why something is missing.
    pub notes: Vec<String>,
}

/// The fingerprint of this machine (see the module documentation for the sources).
pub fn fingerprint(roots: &HostRoots) -> HostFingerprint {
    let system = read_system_facts();
    let files = HostFiles::read(roots);
    let gpu = read_gpu_facts();
    assemble(&system, &files, &gpu)
}

/// Reads [`SystemFacts`] through `sysinfo`.
pub fn read_system_facts() -> SystemFacts {
    use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};
    let ok = |r: Result<String, sysinfo::Error>| r.ok().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let mut facts = SystemFacts {
        os_name: ok(System::name()),
        os_version: ok(System::os_version()),
        long_os_version: ok(System::long_os_version()),
        kernel: ok(System::kernel_version()),
        arch: Some(System::cpu_arch()).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
        physical_cores: System::physical_core_count().ok().filter(|&n| n > 0).map(|n| n as u32),
        ..SystemFacts::default()
    };
    let refresh =
        RefreshKind::nothing().with_cpu(CpuRefreshKind::nothing()).with_memory(MemoryRefreshKind::nothing().with_ram());
    if let Ok(sys) = System::new_with_specifics(refresh) {
        facts.cpu_brands = sys.cpus().iter().map(|c| c.brand().trim().to_owned()).collect();
        facts.logical_cores = Some(sys.cpus().len() as u32).filter(|&n| n > 0);
        facts.ram_bytes = Some(sys.total_memory()).filter(|&n| n > 0);
    }
    facts
}

impl HostFiles {
    /// Reads every file under `roots`; absent files are `None`.
    pub fn read(roots: &HostRoots) -> Self {
        let text = |p: PathBuf| fs::read_to_string(p).ok();
        let bytes = |name: &str| {
            fs::read(roots.proc_root.join("device-tree").join(name))
                .or_else(|_| fs::read(roots.sys_root.join("firmware/devicetree/base").join(name)))
                .ok()
        };
        let mut siblings: Vec<(u32, String)> = Vec::new();
        if let Ok(dir) = fs::read_dir(roots.sys_root.join("devices/system/cpu")) {
            for entry in dir.flatten() {
                let name = entry.file_name();
                let Some(n) = name.to_str().and_then(cpu_index) else { continue };
                if let Some(s) = text(entry.path().join("topology/thread_siblings_list")) {
                    siblings.push((n, s.trim().to_owned()));
                }
            }
        }
        siblings.sort();
        HostFiles {
            cpuinfo: text(roots.proc_root.join("cpuinfo")),
            meminfo: text(roots.proc_root.join("meminfo")),
            kernel_osrelease: text(roots.proc_root.join("sys/kernel/osrelease")),
            device_tree_model: bytes("model"),
            device_tree_compatible: bytes("compatible"),
            cpu_thread_siblings: siblings.into_iter().map(|(_, s)| s).collect(),
            os_release: text(roots.etc_root.join("os-release")),
            nv_tegra_release: text(roots.etc_root.join("nv_tegra_release")),
        }
    }
}

/// `cpu12` → 12; anything else (`cpufreq`, `cpuidle`, `online`) → `None`.
pub(crate) fn cpu_index(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("cpu")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// What `/proc/cpuinfo` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpuInfo {
    /// First `model name` (x86, some ARM kernels).
    pub model_name: Option<String>,
    /// Number of `processor` entries.
    pub processors: u32,
    /// Distinct (`physical id`, `core id`) pairs; `None` unless every processor has both.
    pub physical_cores: Option<u32>,
    /// Distinct (`CPU implementer`, `CPU part`) pairs in order of appearance (ARM).
    pub arm_parts: Vec<(String, String)>,
}

/// Parses `/proc/cpuinfo` text.
pub fn parse_cpuinfo(text: &str) -> CpuInfo {
    #[derive(Default)]
    struct Block {
        physical_id: Option<String>,
        core_id: Option<String>,
        implementer: Option<String>,
        part: Option<String>,
    }
    let mut info = CpuInfo::default();
    let mut blocks: Vec<Block> = Vec::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else { continue };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "processor" => {
                // ARM kernels before 3.8 printed a global `Processor : ARMv7 …` line; only a numeric
                // value opens a processor entry.
                if value.parse::<u32>().is_ok() {
                    info.processors += 1;
                    blocks.push(Block::default());
                }
            }
            "model name" if info.model_name.is_none() && !value.is_empty() => {
                info.model_name = Some(collapse_spaces(value));
            }
            _ => {
                let Some(block) = blocks.last_mut() else { continue };
                let slot = match key {
                    "physical id" => &mut block.physical_id,
                    "core id" => &mut block.core_id,
                    "CPU implementer" => &mut block.implementer,
                    "CPU part" => &mut block.part,
                    _ => continue,
                };
                *slot = Some(value.to_owned());
            }
        }
    }
    if !blocks.is_empty() && blocks.iter().all(|b| b.physical_id.is_some() && b.core_id.is_some()) {
        let pairs: BTreeSet<(&str, &str)> = blocks
            .iter()
            .map(|b| (b.physical_id.as_deref().unwrap_or(""), b.core_id.as_deref().unwrap_or("")))
            .collect();
        info.physical_cores = Some(pairs.len() as u32);
    }
    for b in &blocks {
        if let (Some(i), Some(p)) = (&b.implementer, &b.part) {
            let pair = (i.clone(), p.clone());
            if !info.arm_parts.contains(&pair) {
                info.arm_parts.push(pair);
            }
        }
    }
    info
}

fn collapse_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `PRETTY_NAME` of an os-release file (else `NAME` + `VERSION`), unquoted.
pub fn parse_os_release(text: &str) -> Option<String> {
    let get = |key: &str| {
        text.lines().find_map(|line| {
            let (k, v) = line.trim().split_once('=')?;
            if k.trim() != key {
                return None;
            }
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            let v = v.replace("\\\"", "\"").replace("\\\\", "\\");
            Some(v.trim().to_owned()).filter(|v| !v.is_empty())
        })
    };
    get("PRETTY_NAME").or_else(|| match (get("NAME"), get("VERSION")) {
        (Some(n), Some(v)) => Some(format!("{n} {v}")),
        (n, _) => n,
    })
}

/// L4T release from `/etc/nv_tegra_release`: `# R36 (release), REVISION: 3.0, …` → `R36.3.0`.
pub fn parse_nv_tegra_release(text: &str) -> Option<String> {
    let line = text.lines().find(|l| l.trim_start().starts_with('#') && l.contains("REVISION"))?;
    let line = line.trim_start().trim_start_matches('#').trim();
    let major = line.split_whitespace().next()?.trim_end_matches(',');
    let major = major.strip_prefix('R').filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))?;
    let rev = line.split(',').find_map(|part| part.trim().strip_prefix("REVISION:"))?.trim();
    if rev.is_empty() || !rev.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    Some(format!("R{major}.{rev}"))
}

/// The strings of a device-tree property (NUL-separated, NUL-terminated).
pub fn parse_device_tree_strings(bytes: &[u8]) -> Vec<String> {
    bytes.split(|&b| b == 0).map(|s| String::from_utf8_lossy(s).trim().to_owned()).filter(|s| !s.is_empty()).collect()
}

/// `MemTotal` of `/proc/meminfo`, in bytes.
pub fn parse_meminfo_total(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut it = line["MemTotal:".len()..].split_whitespace();
    let n: u64 = it.next()?.parse().ok()?;
    match it.next() {
        Some("kB") => n.checked_mul(1024),
        None => Some(n),
        Some(_) => None,
    }
}

/// Physical cores from the sysfs `thread_siblings_list` of every CPU: one per distinct list.
pub fn physical_cores_from_siblings(lists: &[String]) -> Option<u32> {
    let distinct: BTreeSet<&str> = lists.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
    Some(distinct.len() as u32).filter(|&n| n > 0)
}

/// Name of a Jetson's integrated GPU, from the SoC in the device-tree `compatible` list (as
/// `nvidia-smi` and CUDA name them), else from the board model. `None` when neither names a
/// known Tegra SoC.
pub fn tegra_gpu_name(compatible: &[String], model: Option<&str>) -> Option<String> {
    const SOCS: &[(&str, &str, &str)] = &[
        ("nvidia,tegra234", "Orin", "NVIDIA Orin (nvgpu)"),
        ("nvidia,tegra194", "Xavier", "NVIDIA Xavier (nvgpu)"),
        ("nvidia,tegra186", "TX2", "NVIDIA Tegra X2 (nvgpu)"),
        ("nvidia,tegra210", "TX1", "NVIDIA Tegra X1 (nvgpu)"),
    ];
    if let Some((_, _, name)) = SOCS.iter().find(|(c, _, _)| compatible.iter().any(|x| x == c)) {
        return Some((*name).to_owned());
    }
    let model = model?;
    SOCS.iter()
        .find(|(_, word, _)| model.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w == *word))
        .map(|(_, _, name)| (*name).to_owned())
}

/// NVML's CUDA driver version (`12040`) as `12.4`.
pub fn format_cuda_version(version: i32) -> String {
    format!("{}.{}", version / 1000, (version % 1000) / 10)
}

/// Combines the three sources into the fingerprint (pure; see the module documentation).
pub fn assemble(system: &SystemFacts, files: &HostFiles, gpu: &GpuFacts) -> HostFingerprint {
    let mut notes: Vec<String> = Vec::new();
    let cpuinfo = files.cpuinfo.as_deref().map(parse_cpuinfo);
    let dt_model = files.device_tree_model.as_deref().map(parse_device_tree_strings).and_then(|v| v.into_iter().next());
    let dt_compatible = files.device_tree_compatible.as_deref().map(parse_device_tree_strings).unwrap_or_default();
    let l4t = files.nv_tegra_release.as_deref().and_then(parse_nv_tegra_release);
    if files.nv_tegra_release.is_some() && l4t.is_none() {
        notes.push("nv_tegra_release present but its release line could not be parsed".into());
    }

    // CPU model.
    let brands: Vec<&str> = {
        let mut seen: Vec<&str> = Vec::new();
        for b in system.cpu_brands.iter().map(|b| b.trim()).filter(|b| !b.is_empty()) {
            if !seen.contains(&b) {
                seen.push(b);
            }
        }
        seen
    };
    let cpu_model = if let Some(name) = cpuinfo.as_ref().and_then(|c| c.model_name.clone()) {
        name
    } else {
        let arm_parts = cpuinfo.as_ref().map(|c| c.arm_parts.as_slice()).unwrap_or_default();
        let cores = if !brands.is_empty() {
            Some(brands.join(" + "))
        } else if !arm_parts.is_empty() {
            notes.push("cpu_model: core names not decoded; raw CPU implementer/part ids recorded".into());
            Some(arm_parts.iter().map(|(i, p)| format!("CPU implementer {i} part {p}")).collect::<Vec<_>>().join(" + "))
        } else {
            None
        };
        match (cores, dt_model.clone()) {
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
    };

    // Cores.
    let cpu_logical_cores = match (system.logical_cores, cpuinfo.as_ref().map(|c| c.processors).filter(|&n| n > 0)) {
        (Some(n), _) => n,
        (None, Some(n)) => {
            notes.push("cpu_logical_cores: from /proc/cpuinfo (sysinfo reported none)".into());
            n
        }
        (None, None) => {
            notes.push("cpu_logical_cores: unreadable (sysinfo and /proc/cpuinfo both failed); 0 recorded".into());
            0
        }
    };
    let cpu_physical_cores = cpuinfo
        .as_ref()
        .and_then(|c| c.physical_cores)
        .or_else(|| physical_cores_from_siblings(&files.cpu_thread_siblings))
        .or(system.physical_cores);
    if cpu_physical_cores.is_none() {
        notes.push("cpu_physical_cores: not reported by /proc/cpuinfo, sysfs topology or sysinfo".into());
    }

    // Memory.
    let ram_bytes = match system.ram_bytes.or_else(|| files.meminfo.as_deref().and_then(parse_meminfo_total)) {
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
    };

    // OS and kernel.
    let os_base =
        files.os_release.as_deref().and_then(parse_os_release).or_else(|| system.long_os_version.clone()).or_else(
            || match (&system.os_name, &system.os_version) {
                (Some(n), Some(v)) => Some(format!("{n} {v}")),
                (n, _) => n.clone(),
            },
        );
    let os = match (os_base, &l4t) {
        (Some(os), Some(l4t)) => format!("{os} (L4T {l4t})"),
        (Some(os), None) => os,
        (None, Some(l4t)) => format!("L4T {l4t}"),
        (None, None) => {
            notes.push("os: neither /etc/os-release nor sysinfo names the OS".into());
            "unknown".into()
        }
    };
    let kernel = match system
        .kernel
        .clone()
        .or_else(|| files.kernel_osrelease.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned))
    {
        Some(k) => k,
        None => {
            notes.push("kernel: neither sysinfo nor /proc/sys/kernel/osrelease gives it".into());
            "unknown".into()
        }
    };
    let arch = match system.arch.clone() {
        Some(a) => a,
        None => {
            notes.push("arch: sysinfo does not report it".into());
            "unknown".into()
        }
    };

    // GPU.
    notes.extend(gpu.notes.iter().cloned());
    let (mut gpu_name, mut gpu_driver) = (gpu.name.clone(), gpu.driver.clone());
    if gpu_name.is_none() && files.nv_tegra_release.is_some() {
        match tegra_gpu_name(&dt_compatible, dt_model.as_deref()) {
            Some(name) => {
                gpu_name = Some(name);
                if gpu_driver.is_none() {
                    gpu_driver = l4t.as_ref().map(|r| format!("L4T {r}"));
                }
                notes.push("gpu: Jetson integrated GPU named from the device tree; driver = L4T release".into());
            }
            None => notes.push("gpu: Jetson (nv_tegra_release present) but the device tree names no known SoC".into()),
        }
    }

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

/// GPU facts from NVML, else the CUDA driver version from `libcuda`.
pub fn read_gpu_facts() -> GpuFacts {
    let mut facts = GpuFacts::default();
    match read_nvml() {
        Ok((names, driver, cuda)) => {
            facts.name = Some(names.join(" + ")).filter(|s| !s.is_empty());
            if facts.name.is_none() {
                facts.notes.push("gpu_name: NVML loaded but lists no device".into());
            }
            facts.driver = driver.map_err(|e| facts.notes.push(format!("gpu_driver: NVML: {e}"))).ok();
            facts.cuda_version = cuda.map_err(|e| facts.notes.push(format!("cuda_version: NVML: {e}"))).ok();
        }
        Err(e) => facts.notes.push(format!("gpu: NVML unavailable ({e})")),
    }
    if facts.cuda_version.is_none() {
        match cuda_driver_version_from_libcuda() {
            Ok(v) => {
                facts.cuda_version = Some(v);
                facts.notes.push("cuda_version: from libcuda cuDriverGetVersion".into());
            }
            Err(e) => facts.notes.push(format!("cuda_version: {e}")),
        }
    }
    facts
}

type NvmlAnswer = (Vec<String>, Result<String, String>, Result<String, String>);

fn read_nvml() -> Result<NvmlAnswer, String> {
    let nvml = nvml_wrapper::Nvml::init().map_err(|e| e.to_string())?;
    let count = nvml.device_count().map_err(|e| e.to_string())?;
    let mut names = Vec::new();
    for i in 0..count {
        let name = nvml.device_by_index(i).and_then(|d| d.name()).map_err(|e| format!("device {i}: {e}"))?;
        names.push(name.trim().to_owned());
    }
    let driver = nvml.sys_driver_version().map(|s| s.trim().to_owned()).map_err(|e| e.to_string());
    let cuda = nvml.sys_cuda_driver_version().map(format_cuda_version).map_err(|e| e.to_string());
    Ok((names, driver, cuda))
}

/// `cuDriverGetVersion` of `libcuda.so.1`, loaded at run time (callable before `cuInit`).
#[cfg(unix)]
pub fn cuda_driver_version_from_libcuda() -> Result<String, String> {
    use std::ffi::CStr;
    const LIB: &CStr = c"libcuda.so.1";
    const SYM: &CStr = c"cuDriverGetVersion";
    // SAFETY: dlopen/dlsym with valid NUL-terminated names; the symbol has the documented C
    // signature `CUresult cuDriverGetVersion(int*)`. The library stays loaded (no dlclose), as
    // libcuda does not support being unloaded.
    unsafe {
        let handle = libc::dlopen(LIB.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
        if handle.is_null() {
            return Err("libcuda.so.1 not loadable (no CUDA driver)".into());
        }
        let sym = libc::dlsym(handle, SYM.as_ptr());
        if sym.is_null() {
            return Err("libcuda.so.1 has no cuDriverGetVersion".into());
        }
        let f = std::mem::transmute::<*mut libc::c_void, unsafe extern "C" fn(*mut libc::c_int) -> libc::c_int>(sym);
        let mut v: libc::c_int = 0;
        let rc = f(&mut v);
        if rc != 0 || v <= 0 {
            return Err(format!("cuDriverGetVersion failed (CUresult {rc})"));
        }
        Ok(format_cuda_version(v))
    }
}

/// `cuDriverGetVersion` is only looked up on Unix.
#[cfg(not(unix))]
pub fn cuda_driver_version_from_libcuda() -> Result<String, String> {
    Err("libcuda lookup is implemented on Unix only".into())
}
