//! The pure text parsers: what the host files say, each tested on fixture text.

use std::collections::BTreeSet;

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
