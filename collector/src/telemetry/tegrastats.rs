//! Jetson power from `tegrastats`, for boards whose INA3221 sysfs files are not readable (some
//! JetPack images make them root-only, or expose them under another path), while NVIDIA's own
//! `tegrastats` still prints the rails.
//!
//! # The line
//!
//! `tegrastats --interval <ms>` prints one line per interval, for example (Orin NX, JetPack 6):
//!
//! ```text
//! RAM 2493/7620MB (lfb 1x4MB) SWAP 0/3810MB (cached 0MB) CPU [5%@729,…] EMC_FREQ 0%@2133 GR3D_FREQ 37%
//! cpu@45.5C soc2@44.1C gpu@44.2C tj@45.5C VDD_IN 4542mW/4000mW VDD_CPU_GPU_CV 495mW/400mW VDD_SOC 1286mW/1200mW
//! ```
//!
//! A rail is `NAME current/average` in mW (`mW` suffixes absent in JetPack 4's `POM_5V_IN 3145/3145`;
//! a third value appears in newer releases). JetPack 6 may prefix a date and time. Only the
//! *current* value is used: the average is tegrastats' own running mean since it started, not a
//! value at an instant. Rail names differ per board: Orin NX / Nano have `VDD_IN` (the module
//! input, which includes the other rails), AGX Orin has none and its module power is the sum of
//! `VDD_GPU_SOC`, `VDD_CPU_CV`, `VIN_SYS_5V0` and `VDDQ_VDD2_1V8AO` — the same rule as
//! [`super::Ina3221`], so the two sources name the same quantity the same way.
//!
//! # The source
//!
//! [`Tegrastats`] runs `tegrastats --interval <ms>` as a child process; a thread reads its lines
//! and keeps the newest parsed reading with the monotonic time it arrived. The sampler's `read`
//! returns that reading when it is fresh (younger than [`STALE_INTERVALS`] intervals), an error
//! otherwise: a value is never repeated past the point where tegrastats stopped producing it.
//! Dropping the source kills the child.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use super::{INA3221_TOTAL_RAIL, PowerReading, PowerSource, monotonic_ns};

/// A reading older than this many intervals is stale.
pub const STALE_INTERVALS: u64 = 3;

/// One rail of a tegrastats line.
#[derive(Debug, Clone, PartialEq)]
pub struct TegraRail {
    pub name: String,
    /// Power at the instant of the line, mW.
    pub current_mw: f64,
    /// tegrastats' running average since it started, mW (kept for completeness, not used).
    pub average_mw: Option<f64>,
}

/// The module's power from one line: the rails, and the total with its name
/// (`VDD_IN`, or `sum(VDD_GPU_SOC,VDD_CPU_CV,…)`).
#[derive(Debug, Clone, PartialEq)]
pub struct TegraPower {
    pub rails: Vec<TegraRail>,
    pub total_name: String,
    pub total_mw: f64,
}

/// Parses the power rails of one tegrastats line; Err says why there is no power in it.
pub fn parse_power(line: &str) -> Result<TegraPower, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut rails = Vec::new();
    for pair in words.windows(2) {
        let (name, value) = (pair[0], pair[1]);
        if !is_rail_name(name) {
            continue;
        }
        if let Some((current, average)) = rail_values(value) {
            rails.push(TegraRail { name: name.to_owned(), current_mw: current, average_mw: average });
        }
    }
    if rails.is_empty() {
        return Err(format!("no power rails in the tegrastats line `{}`", line.chars().take(120).collect::<String>()));
    }
    if let Some(input) = rails.iter().find(|r| r.name == INA3221_TOTAL_RAIL || r.name == "POM_5V_IN") {
        return Ok(TegraPower { total_name: input.name.clone(), total_mw: input.current_mw, rails });
    }
    let names: Vec<&str> = rails.iter().map(|r| r.name.as_str()).collect();
    let total_mw = rails.iter().map(|r| r.current_mw).sum();
    Ok(TegraPower { total_name: format!("sum({})", names.join(",")), total_mw, rails })
}

/// Rail names are upper-case identifiers (`VDD_IN`, `VIN_SYS_5V0`, `POM_5V_GPU`); the other
/// upper-case words of the line (`RAM`, `SWAP`, `CPU`, `EMC_FREQ`, `GR3D_FREQ`, `VIC_FREQ`, `APE`)
/// are followed by values of other forms and are told apart by [`rail_values`], except `APE`
/// whose value is a bare number: it is excluded here.
fn is_rail_name(word: &str) -> bool {
    word.len() >= 3
        && word != "APE"
        && word.starts_with(|c: char| c.is_ascii_uppercase())
        && word.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// `4542mW/4000mW`, `3145/3145` or `9761mW/9761mW/9761mW` → (current, average) in mW.
fn rail_values(value: &str) -> Option<(f64, Option<f64>)> {
    let parts: Vec<&str> = value.split('/').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return None;
    }
    let number = |p: &str| -> Option<f64> {
        let digits = p.strip_suffix("mW").unwrap_or(p);
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    };
    let current = number(parts[0])?;
    let average = number(parts[1])?;
    Some((current, Some(average)))
}

/// The newest reading and when it arrived (monotonic ns), shared with the reader thread.
type Latest = Arc<Mutex<(Option<(u64, Result<TegraPower, String>)>, Option<String>)>>;

/// `tegrastats` running as a child process.
pub struct Tegrastats {
    child: Child,
    interval_ms: u64,
    latest: Latest,
    name: String,
}

impl Tegrastats {
    /// Starts `tegrastats --interval <interval_ms>` (found on PATH, or `program`) and waits up to
    /// a few intervals for its first line with power in it.
    pub fn start(program: &str, interval_ms: u64) -> Result<Tegrastats, String> {
        let interval_ms = interval_ms.clamp(10, 10_000);
        let mut child = Command::new(program)
            .args(["--interval", &interval_ms.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run `{program}`: {e}"))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let latest: Latest = Arc::new(Mutex::new((None, None)));
        let shared = Arc::clone(&latest);
        std::thread::Builder::new()
            .name("tegrastats".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    let parsed = parse_power(&line);
                    if let Ok(mut guard) = shared.lock() {
                        guard.0 = Some((monotonic_ns(), parsed));
                    }
                }
                if let Ok(mut guard) = shared.lock() {
                    guard.1 = Some("tegrastats stopped printing (its output ended)".into());
                }
            })
            .map_err(|e| format!("cannot start the tegrastats reader thread: {e}"))?;
        let mut source = Tegrastats { child, interval_ms, latest, name: String::new() };
        let deadline = monotonic_ns() + (STALE_INTERVALS + 2) * interval_ms * 1_000_000 + 2_000_000_000;
        loop {
            match source.current() {
                Ok(power) => {
                    source.name = format!("tegrastats:{}", power.total_name);
                    return Ok(source);
                }
                Err(e) if monotonic_ns() > deadline => return Err(format!("`{program}` gave no power reading: {e}")),
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(interval_ms.min(100))),
            }
        }
    }

    fn current(&self) -> Result<TegraPower, String> {
        let guard = self.latest.lock().map_err(|_| "tegrastats reader thread panicked".to_owned())?;
        let (latest, ended) = &*guard;
        let Some((at, parsed)) = latest else {
            return Err(ended.clone().unwrap_or_else(|| "no line from tegrastats yet".into()));
        };
        let age_ms = monotonic_ns().saturating_sub(*at) / 1_000_000;
        if age_ms > STALE_INTERVALS * self.interval_ms {
            let why = ended.clone().unwrap_or_else(|| "no newer line".into());
            return Err(format!("the last tegrastats line is {age_ms} ms old ({why})"));
        }
        parsed.clone()
    }
}

impl PowerSource for Tegrastats {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn read(&mut self) -> Result<PowerReading, String> {
        let power = self.current()?;
        let name = format!("tegrastats:{}", power.total_name);
        if name != self.name {
            return Err(format!("the rails changed from {} to {name}", self.name));
        }
        Ok(PowerReading { power_w: Some(power.total_mw / 1000.0), energy_j: None })
    }
}

impl Drop for Tegrastats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Orin NX 16GB, JetPack 6 (L4T 36): module input VDD_IN and its two sub-rails.
    const ORIN_NX: &str = "11-30-2026 10:15:01 RAM 2448/15388MB (lfb 2767x4MB) SWAP 0/7694MB (cached 0MB) CPU [1%@729,0%@729,0%@729,0%@729,0%@729,0%@729,0%@729,0%@729] EMC_FREQ 0%@2133 GR3D_FREQ 0%@[305] VIC_FREQ 729 APE 174 CV0@-256C CPU@46.937C Tboard@35C SOC2@43.656C Tdiode@36.25C SOC0@43.625C CV1@-256C GPU@-256C tj@46.937C SOC1@43.031C CV2@-256C VDD_IN 5147mW/5147mW VDD_CPU_GPU_CV 554mW/554mW VDD_SOC 1478mW/1478mW";
    /// Orin Nano / NX as PROFILING-NOTES quotes it (no date, `GR3D_FREQ 37%`).
    const ORIN_NANO: &str = "RAM 2493/7620MB (lfb 1x4MB) SWAP 0/3810MB (cached 0MB) CPU [5%@729,4%@729,3%@729,2%@729,1%@729,0%@729] EMC_FREQ 0%@2133 GR3D_FREQ 37% cpu@45.5C soc2@44.1C gpu@44.2C tj@45.5C VDD_IN 4542mW/4000mW VDD_CPU_GPU_CV 495mW/400mW VDD_SOC 1286mW/1200mW";
    /// AGX Orin 64GB, MAXN: no VDD_IN; four rails, per-GPC GR3D_FREQ.
    const AGX_ORIN: &str = "RAM 7347/62841MB (lfb 4929x4MB) SWAP 0/31421MB (cached 0MB) CPU [2%@2201,1%@2201,0%@2201,0%@2201,4%@2201,0%@2201,0%@2201,0%@2201,0%@2201,0%@2201,0%@2201,0%@2201] EMC_FREQ 0%@3199 GR3D_FREQ 14%@[1300,1300] VIC_FREQ 115 APE 174 CV0@-256C CPU@47.375C Tboard@38C SOC2@44.593C Tdiode@39.25C SOC0@44.406C CV1@-256C GPU@-256C tj@47.375C SOC1@44.125C CV2@-256C VDD_GPU_SOC 3150mW/2971mW VDD_CPU_CV 14312mW/12415mW VIN_SYS_5V0 4968mW/5048mW VDDQ_VDD2_1V8AO 1091mW/1091mW";
    /// JetPack 4 (Xavier / Nano): no `mW` suffix.
    const JETPACK4: &str = "RAM 1510/3964MB (lfb 5x4MB) SWAP 0/1982MB (cached 0MB) CPU [10%@1479,3%@1479,2%@1479,1%@1479] EMC_FREQ 3%@1600 GR3D_FREQ 0%@921 APE 25 PLL@36C CPU@38.5C PMIC@50C GPU@36C AO@43.5C thermal@37.25C POM_5V_IN 3145/3145 POM_5V_GPU 78/78 POM_5V_CPU 629/629";

    #[test]
    fn orin_nx_and_nano_use_the_module_input() {
        for (line, mw, rails) in [(ORIN_NX, 5147.0, 3), (ORIN_NANO, 4542.0, 3)] {
            let p = parse_power(line).unwrap();
            assert_eq!(p.total_name, "VDD_IN");
            assert_eq!(p.total_mw, mw);
            assert_eq!(p.rails.len(), rails, "{:?}", p.rails);
        }
        let nano = parse_power(ORIN_NANO).unwrap();
        assert_eq!(nano.rails[1], TegraRail { name: "VDD_CPU_GPU_CV".into(), current_mw: 495.0, average_mw: Some(400.0) });
    }

    #[test]
    fn agx_orin_sums_its_four_rails() {
        let p = parse_power(AGX_ORIN).unwrap();
        assert_eq!(p.total_name, "sum(VDD_GPU_SOC,VDD_CPU_CV,VIN_SYS_5V0,VDDQ_VDD2_1V8AO)");
        assert_eq!(p.total_mw, 3150.0 + 14312.0 + 4968.0 + 1091.0);
    }

    #[test]
    fn jetpack_4_and_three_value_rails_parse() {
        let p = parse_power(JETPACK4).unwrap();
        assert_eq!((p.total_name.as_str(), p.total_mw), ("POM_5V_IN", 3145.0));
        let three = parse_power("RAM 1/2MB VDD_IN 9761mW/9761mW/9761mW VDD_SOC 100mW/90mW/80mW").unwrap();
        assert_eq!((three.total_name.as_str(), three.total_mw, three.rails.len()), ("VDD_IN", 9761.0, 2));
    }

    #[test]
    fn other_fields_are_not_rails() {
        // RAM, SWAP, EMC_FREQ, GR3D_FREQ, VIC_FREQ and APE never count as rails.
        let p = parse_power(AGX_ORIN).unwrap();
        assert!(p.rails.iter().all(|r| r.name.starts_with('V')), "{:?}", p.rails);
        let e = parse_power("RAM 2448/15388MB SWAP 0/7694MB CPU [1%@729] EMC_FREQ 0%@2133 GR3D_FREQ 0%@[305] VIC_FREQ 729 APE 174").unwrap_err();
        assert!(e.contains("no power rails"), "{e}");
    }

    #[test]
    fn a_missing_program_is_a_reason() {
        let e = Tegrastats::start("/nonexistent/tegrastats", 50).err().unwrap();
        assert!(e.contains("cannot run `/nonexistent/tegrastats`"), "{e}");
    }
}
