//! Intel and AMD RAPL energy counters through the Linux powercap interface.
//!
//! ```text
//! <sys>/class/powercap/intel-rapl:P/name                  "package-P" (or "psys", "dram"...)
//!                                  /energy_uj             cumulative energy, µJ, wraps
//!                                  /max_energy_range_uj   value at which it wraps
//! ```
//!
//! Only top-level zones (`intel-rapl:P`, not the sub-zones `intel-rapl:P:S` such as `core` or
//! `uncore`, which are parts of their package) named `package-*` are summed: a `psys` zone
//! measures the whole platform and overlaps the packages, so adding it would count twice. AMD Zen
//! processors expose the same zones through the same driver. `energy_uj` is readable by root only
//! since Linux 5.10 (CVE-2020-8694, the PLATYPUS side channel).
//!
//! The counters wrap at `max_energy_range_uj`. Between two reads
//! `delta = e2 >= e1 ? e2 − e1 : e2 + max − e1`, which is right as long as fewer than one full
//! range (hundreds of kJ on current parts: tens of minutes at full package power) passes between
//! reads; the sampler reads many times a second. The reading's `energy_j` is the energy
//! accumulated since [`Rapl::discover`] took its baseline read, so it is monotonic and already
//! corrected for wrap-around; only differences between readings mean anything.

use std::path::Path;

use super::sysfs::{IntError, SmallFile, io_reason, parse_u64, read_trimmed, sorted_entries};
use super::{PowerReading, PowerSource};

/// Energy between two counter reads `e1` then `e2`, correcting one wrap at `max_range_uj`.
pub fn rapl_delta_uj(e1: u64, e2: u64, max_range_uj: u64) -> u64 {
    if e2 >= e1 { e2 - e1 } else { (e2 + max_range_uj).saturating_sub(e1) }
}

struct Zone {
    name: String,
    energy: SmallFile,
    max_range_uj: u64,
    last_uj: Option<u64>,
    accumulated_uj: u128,
}

impl Zone {
    fn read_raw(&mut self) -> Result<u64, String> {
        self.energy.read_int(parse_u64).map_err(|e| match e {
            IntError::Io(e) => rapl_unreadable(self.energy.path(), &e),
            IntError::Parse(reason) => format!("RAPL: {reason}"),
        })
    }

    fn update(&mut self) -> Result<(), String> {
        let now = self.read_raw()?;
        if let Some(last) = self.last_uj {
            self.accumulated_uj += u128::from(rapl_delta_uj(last, now, self.max_range_uj));
        }
        self.last_uj = Some(now);
        Ok(())
    }
}

fn rapl_unreadable(path: &Path, e: &std::io::Error) -> String {
    let mut reason = format!("RAPL energy_uj not readable: {}", io_reason(path, e));
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        reason.push_str(" (root only since Linux 5.10)");
    }
    reason
}

/// Energy of every CPU package from RAPL, summed.
pub struct Rapl {
    zones: Vec<Zone>,
    name: String,
}

impl std::fmt::Debug for Rapl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rapl").field("name", &self.name).finish()
    }
}

impl Rapl {
    /// Finds the top-level `package-*` zones under `<sys_root>/class/powercap/` and opens their
    /// counters. `Err` says why RAPL cannot be used (absent, no package zone, not readable).
    pub fn discover(sys_root: impl AsRef<Path>) -> Result<Self, String> {
        let powercap = sys_root.as_ref().join("class/powercap");
        if !powercap.is_dir() {
            return Err(format!(
                "RAPL: {} not found (no powercap driver: not x86, or intel_rapl not loaded)",
                powercap.display()
            ));
        }
        let mut zones = Vec::new();
        let mut others = Vec::new();
        for (entry, path) in sorted_entries(&powercap)? {
            let Some(index) = entry.strip_prefix("intel-rapl:") else { continue };
            if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
                continue; // sub-zone intel-rapl:P:S, or not a zone
            }
            let name = read_trimmed(&path.join("name")).map_err(|e| format!("RAPL: {e}"))?;
            if !name.starts_with("package") {
                others.push(format!("{entry} ({name})"));
                continue;
            }
            let max_path = path.join("max_energy_range_uj");
            let max_text = std::fs::read(&max_path).map_err(|e| format!("RAPL: {}", io_reason(&max_path, &e)))?;
            let max_range_uj = parse_u64(&max_text)
                .filter(|&m| m > 0)
                .ok_or_else(|| format!("RAPL: {}: not a positive integer", max_path.display()))?;
            let energy_path = path.join("energy_uj");
            let energy = match std::fs::File::open(&energy_path) {
                Ok(file) => SmallFile::from_file(energy_path, file),
                Err(e) => return Err(rapl_unreadable(&energy_path, &e)),
            };
            let mut zone = Zone { name, energy, max_range_uj, last_uj: None, accumulated_uj: 0 };
            zone.update()?; // the baseline: later reads accumulate from here
            zones.push(zone);
        }
        if zones.is_empty() {
            return Err(if others.is_empty() {
                format!("RAPL: no intel-rapl:* zone in {}", powercap.display())
            } else {
                format!("RAPL: no package zone in {} (only {})", powercap.display(), others.join(", "))
            });
        }
        let names: Vec<&str> = zones.iter().map(|z| z.name.as_str()).collect();
        let name = format!("rapl:{}", names.join("+"));
        Ok(Rapl { zones, name })
    }

    /// Names of the summed zones, e.g. `["package-0", "package-1"]`.
    pub fn zone_names(&self) -> Vec<String> {
        self.zones.iter().map(|z| z.name.clone()).collect()
    }
}

impl PowerSource for Rapl {
    fn name(&self) -> String {
        self.name.clone()
    }

    /// Reads every zone (each zone keeps its own last value, so a zone that fails once is still
    /// exact at its next read) and returns the accumulated energy of all zones, in joules.
    fn read(&mut self) -> Result<PowerReading, String> {
        let mut first_err = None;
        for zone in &mut self.zones {
            if let Err(e) = zone.update() {
                first_err.get_or_insert(e);
            }
        }
        if let Some(e) = first_err {
            return Err(e);
        }
        let total_uj: u128 = self.zones.iter().map(|z| z.accumulated_uj).sum();
        Ok(PowerReading { power_w: None, energy_j: Some(total_uj as f64 / 1e6) })
    }
}
