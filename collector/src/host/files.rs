//! The second source, [`HostFiles`]: the text of the host files under [`HostRoots`], read as is
//! (interpreting it is [`super::parse`]'s job). A missing file is `None`, never an error.

use std::fs;
use std::path::{Path, PathBuf};

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
fn cpu_index(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("cpu")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}
