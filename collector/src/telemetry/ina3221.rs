//! Jetson Orin power monitors: INA3221 through the hwmon interface of JetPack 5 and 6.
//!
//! Layout read (the `N` of `hwmonN` differs between boots and boards, so it is globbed):
//!
//! ```text
//! <sys>/bus/i2c/drivers/ina3221/<bus-addr>/hwmon/hwmon*/inK_label    rail name (device tree)
//!                                                       inK_input    bus voltage, mV
//!                                                       currK_input  current, mA
//! ```
//!
//! Power of a rail in mW = mV × mA / 1000. Channels whose label contains `NC` (not connected)
//! are skipped. The total is `VDD_IN` when a rail has that name (Orin NX / Orin Nano: the module
//! input, which includes the other rails); otherwise (AGX Orin: `VDD_GPU_SOC`, `VDD_CPU_CV`,
//! `VIN_SYS_5V0` on 1-0040 and `VDDQ_VDD2_1V8AO` on 1-0041) the sum of every connected rail.
//! These monitors give instantaneous power only: there is no energy counter, so energy over a
//! window is integrated from the samples.
//!
//! JetPack 4 exposed the same chips through IIO (`iio:device*`, `rail_name_N`, `in_powerN_input`
//! in mW) under the `ina3221x` driver; that layout is recognised only to say it is not supported.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::sysfs::{SmallFile, read_trimmed, sorted_entries};
use super::{PowerReading, PowerSource};

/// The rail whose power is the whole module's input, when the board has it.
pub const INA3221_TOTAL_RAIL: &str = "VDD_IN";

/// One INA3221 channel, read at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RailReading {
    /// Rail name from `inK_label`, e.g. `VDD_IN`.
    pub label: String,
    /// I²C device the channel belongs to, e.g. `1-0040`.
    pub device: String,
    /// Channel number `K` of `inK_*` / `currK_*`.
    pub channel: u32,
    /// Bus voltage, mV (`inK_input`).
    pub voltage_mv: f64,
    /// Current, mA (`currK_input`).
    pub current_ma: f64,
    /// `voltage_mv × current_ma / 1000`.
    pub power_mw: f64,
}

struct Rail {
    label: String,
    device: String,
    channel: u32,
    voltage: SmallFile,
    current: SmallFile,
}

impl Rail {
    /// (mV, mA, mW)
    fn read(&mut self) -> Result<(f64, f64, f64), String> {
        let mv = self.voltage.read_i64()? as f64;
        let ma = self.current.read_i64()? as f64;
        Ok((mv, ma, mv * ma / 1000.0))
    }
}

/// Power from the INA3221 monitors of a Jetson Orin (JetPack 5/6 hwmon layout).
pub struct Ina3221 {
    rails: Vec<Rail>,
    /// Index of `VDD_IN` in `rails`, or `None` to sum every rail.
    total: Option<usize>,
    name: String,
}

impl std::fmt::Debug for Ina3221 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ina3221").field("name", &self.name).field("rails", &self.rail_labels()).finish()
    }
}

impl Ina3221 {
    /// Finds every connected channel under `<sys_root>/bus/i2c/drivers/ina3221/*/hwmon/hwmon*/`
    /// and opens its voltage and current files. `Err` says why there is no usable monitor.
    pub fn discover(sys_root: impl AsRef<Path>) -> Result<Self, String> {
        let sys_root = sys_root.as_ref();
        let driver = sys_root.join("bus/i2c/drivers/ina3221");
        if !driver.is_dir() {
            let jp4 = sys_root.join("bus/i2c/drivers/ina3221x");
            if jp4.is_dir() {
                return Err(format!(
                    "INA3221: only the JetPack 4 IIO layout is present ({}); it is not supported",
                    jp4.display()
                ));
            }
            return Err(format!(
                "INA3221: {} not found (not a Jetson Orin with JetPack 5/6)",
                driver.display()
            ));
        }
        let mut rails = Vec::new();
        let mut skipped = Vec::new();
        let mut hwmon_dirs = 0;
        for (device, device_path) in sorted_entries(&driver)? {
            let hwmon = device_path.join("hwmon");
            if !hwmon.is_dir() {
                continue; // bind, unbind, uevent, module
            }
            for (hname, hpath) in sorted_entries(&hwmon)? {
                if !hname.starts_with("hwmon") || !hpath.is_dir() {
                    continue;
                }
                hwmon_dirs += 1;
                for channel in label_channels(&hpath)? {
                    let label = read_trimmed(&hpath.join(format!("in{channel}_label")))?;
                    if label.contains("NC") {
                        skipped.push(format!("{device}/in{channel} ({label})"));
                        continue;
                    }
                    let voltage_path = hpath.join(format!("in{channel}_input"));
                    let current_path = hpath.join(format!("curr{channel}_input"));
                    if !voltage_path.is_file() || !current_path.is_file() {
                        skipped.push(format!("{device}/in{channel} ({label}: no input/current file)"));
                        continue;
                    }
                    rails.push(Rail {
                        label,
                        device: device.clone(),
                        channel,
                        voltage: SmallFile::open(voltage_path)?,
                        current: SmallFile::open(current_path)?,
                    });
                }
            }
        }
        if rails.is_empty() {
            return Err(if hwmon_dirs == 0 {
                format!("INA3221: no hwmon directory under {}/*/hwmon/", driver.display())
            } else {
                format!(
                    "INA3221: no connected rail with inK_label, inK_input and currK_input under {} (skipped: {})",
                    driver.display(),
                    if skipped.is_empty() { "none".to_string() } else { skipped.join(", ") }
                )
            });
        }
        let total = rails.iter().position(|r| r.label == INA3221_TOTAL_RAIL);
        let name = match total {
            Some(_) => format!("ina3221:{INA3221_TOTAL_RAIL}"),
            None => {
                let labels: Vec<&str> = rails.iter().map(|r| r.label.as_str()).collect();
                format!("ina3221:sum({})", labels.join(","))
            }
        };
        Ok(Ina3221 { rails, total, name })
    }

    /// Names of the connected rails, in discovery order (device, then channel).
    pub fn rail_labels(&self) -> Vec<String> {
        self.rails.iter().map(|r| r.label.clone()).collect()
    }

    /// `Some("VDD_IN")` when the total is that rail, `None` when it is the sum of the rails.
    pub fn total_rail(&self) -> Option<&str> {
        self.total.map(|i| self.rails[i].label.as_str())
    }

    /// Every connected rail, read now.
    pub fn read_rails(&mut self) -> Result<Vec<RailReading>, String> {
        self.rails
            .iter_mut()
            .map(|rail| {
                let (voltage_mv, current_ma, power_mw) = rail.read()?;
                Ok(RailReading {
                    label: rail.label.clone(),
                    device: rail.device.clone(),
                    channel: rail.channel,
                    voltage_mv,
                    current_ma,
                    power_mw,
                })
            })
            .collect()
    }

    /// Total power in mW: `VDD_IN`, or the sum of every rail (all rails must read; a partial
    /// sum would be a wrong number, not a smaller one).
    pub fn read_total_mw(&mut self) -> Result<f64, String> {
        match self.total {
            Some(i) => Ok(self.rails[i].read()?.2),
            None => {
                let mut sum = 0.0;
                for rail in &mut self.rails {
                    sum += rail.read()?.2;
                }
                Ok(sum)
            }
        }
    }
}

impl PowerSource for Ina3221 {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn read(&mut self) -> Result<PowerReading, String> {
        let mw = self.read_total_mw()?;
        Ok(PowerReading { power_w: Some(mw / 1000.0), energy_j: None })
    }
}

/// Channel numbers `K` that have an `inK_label` file in a hwmon directory, sorted.
fn label_channels(hwmon: &Path) -> Result<Vec<u32>, String> {
    let mut channels: Vec<u32> = sorted_entries(hwmon)?
        .into_iter()
        .filter_map(|(name, _)| name.strip_prefix("in")?.strip_suffix("_label")?.parse().ok())
        .collect();
    channels.sort_unstable();
    Ok(channels)
}
