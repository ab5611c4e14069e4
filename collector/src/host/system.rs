//! The first source, [`SystemFacts`]: what `sysinfo` reports. On macOS and Windows it is the only
//! one.

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
