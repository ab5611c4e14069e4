//! Device state at a point in time: CPU governor and frequencies, thermal zones, power mode, GPU
//! clock, load and throttle reasons.
//!
//! The campaign reads it before and after every run: `runs.cpu_governor` and `runs.power_mode`
//! come from the start, `temp_max_c_start`/`temp_max_c_end` from [`DeviceState::max_temp_c`], and
//! `device_state_json` holds both snapshots ([`DeviceState::to_json`]), every entry with its
//! source, so that a throttled or mis-configured device is visible in the data.
//!
//! # Sources
//!
//! All sysfs paths are read under [`StateRoots::sys_root`] (a fixture tree in tests) and recorded
//! as their logical `/sys/…` path.
//!
//! | field | source |
//! |---|---|
//! | `cpu_governor` | `/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor` (a note when other CPUs differ) |
//! | `cpu_freq_mhz` | `/sys/devices/system/cpu/cpu<N>/cpufreq/scaling_cur_freq`, kHz → MHz, per online CPU |
//! | `thermal_c` | `/sys/class/thermal/thermal_zone<N>/{type,temp}`, m°C → °C |
//! | `power_mode` | `nvpmodel -q` (Jetson), run with a time limit only when the executable exists |
//! | `gpu_clock_mhz`, `gpu_load_pct`, `gpu_throttle_reasons` | NVML device 0 (graphics clock, utilisation, clock-event reasons); else, for clock and load, the Jetson GPU's devfreq: `/sys/class/devfreq/<dev>` whose `device/of_node/name` is `ga10b` (Orin; also `gv11b`, `gp10b`, `gm20b`, or a node whose `compatible` names one of them): `cur_freq` in Hz → MHz, `device/load` (or `load`) 0–1000 → % |
//!
//! Nothing is guessed: whatever cannot be read stays `None` (or out of the list) and
//! [`DeviceState::notes`] says why. Thermal readings outside [-60, 200] °C are dropped with a note:
//! Jetson reports -256 °C for disabled zones (`cv0-thermal` on an Orin NX), and such a value
//! would corrupt `temp_max_c_*`. Reading never panics and never fails as a whole.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Thermal readings outside this range (°C) are sensors that are disabled or broken.
pub const PLAUSIBLE_TEMP_C: (f64, f64) = (-60.0, 200.0);

/// Node names of NVIDIA's integrated (Tegra) GPUs in the device tree.
pub const TEGRA_GPU_NODES: &[&str] = &["ga10b", "gv11b", "gp10b", "gm20b"];

/// Where the state is read, and which external tools may be used.
#[derive(Debug, Clone, PartialEq)]
pub struct StateRoots {
    /// `/sys`, or a fixture tree.
    pub sys_root: PathBuf,
    /// `nvpmodel` executable to run with `-q`; `None`: there is none, and no power mode is read.
    /// The default looks it up on `PATH` (then `/usr/sbin`, `/usr/bin`).
    pub nvpmodel: Option<PathBuf>,
    /// Time limit for `nvpmodel -q` (default 5 s).
    pub nvpmodel_timeout: Duration,
    /// Ask NVML for GPU clock, load and throttle reasons (default `true`; off for fixture trees so
    /// that a test on a machine with an NVIDIA GPU still sees only the fixture).
    pub nvml: bool,
}

impl Default for StateRoots {
    fn default() -> Self {
        StateRoots {
            sys_root: "/sys".into(),
            nvpmodel: find_nvpmodel(),
            nvpmodel_timeout: Duration::from_secs(5),
            nvml: true,
        }
    }
}

impl StateRoots {
    /// A fixture tree: sysfs only, no `nvpmodel`, no NVML.
    pub fn fixture(sys_root: impl Into<PathBuf>) -> Self {
        StateRoots { sys_root: sys_root.into(), nvpmodel: None, nvpmodel_timeout: Duration::from_secs(5), nvml: false }
    }
}

/// A Jetson power mode as `nvpmodel -q` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerMode {
    /// `MAXN`, `15W`, `MODE_30W`.
    pub name: String,
    /// The numeric id on the line after the name.
    pub id: Option<i32>,
    /// The whole output, as printed.
    pub raw: String,
}

/// The device's state at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceState {
    pub cpu_governor: Option<String>,
    /// (CPU number, current frequency in MHz), by CPU number.
    pub cpu_freq_mhz: Vec<(u32, f64)>,
    /// (thermal zone type, °C), by zone number.
    pub thermal_c: Vec<(String, f64)>,
    pub power_mode: Option<PowerMode>,
    pub gpu_clock_mhz: Option<f64>,
    pub gpu_throttle_reasons: Option<String>,
    /// 0–100.
    pub gpu_load_pct: Option<f64>,
    /// Field name → where its value was read (only for fields that have a value).
    pub sources: BTreeMap<String, String>,
    /// Why something is missing or was dropped.
    pub notes: Vec<String>,
}

impl DeviceState {
    /// Highest plausible thermal-zone temperature, in °C.
    pub fn max_temp_c(&self) -> Option<f64> {
        self.thermal_c.iter().map(|(_, c)| *c).filter(|c| c.is_finite()).reduce(f64::max)
    }

    /// This snapshot as a JSON value, each field with its source.
    pub fn to_value(&self) -> Value {
        let src = |k: &str| self.sources.get(k).map(|s| Value::String(s.clone())).unwrap_or(Value::Null);
        json!({
            "cpu_governor": {"value": self.cpu_governor, "source": src("cpu_governor")},
            "cpu_freq_mhz": {
                "values": self.cpu_freq_mhz.iter().map(|(cpu, mhz)| json!({"cpu": cpu, "mhz": mhz})).collect::<Vec<_>>(),
                "source": src("cpu_freq_mhz"),
            },
            "thermal_c": {
                "values": self.thermal_c.iter().map(|(t, c)| json!({"type": t, "c": c})).collect::<Vec<_>>(),
                "max": self.max_temp_c(),
                "source": src("thermal_c"),
            },
            "power_mode": {
                "name": self.power_mode.as_ref().map(|p| p.name.clone()),
                "id": self.power_mode.as_ref().and_then(|p| p.id),
                "raw": self.power_mode.as_ref().map(|p| p.raw.clone()),
                "source": src("power_mode"),
            },
            "gpu_clock_mhz": {"value": self.gpu_clock_mhz, "source": src("gpu_clock_mhz")},
            "gpu_load_pct": {"value": self.gpu_load_pct, "source": src("gpu_load_pct")},
            "gpu_throttle_reasons": {"value": self.gpu_throttle_reasons, "source": src("gpu_throttle_reasons")},
            "notes": self.notes,
        })
    }

    /// `device_state_json`: `{"start": <self>, "end": <end>}`.
    pub fn to_json(&self, end: &DeviceState) -> String {
        json!({"start": self.to_value(), "end": end.to_value()}).to_string()
    }
}

/// Reads the device state (see the module documentation for the sources).
pub fn read_state(roots: &StateRoots) -> DeviceState {
    let mut s = DeviceState::default();
    read_cpus(&roots.sys_root, &mut s);
    read_thermal(&roots.sys_root, &mut s);
    if roots.nvml {
        read_nvml(&mut s);
    } else {
        s.notes.push("gpu: NVML not consulted (fixture tree)".into());
    }
    if s.gpu_clock_mhz.is_none() || s.gpu_load_pct.is_none() {
        read_tegra_gpu(&roots.sys_root, &mut s);
    }
    match &roots.nvpmodel {
        None => s.notes.push("power_mode: nvpmodel not found (not a Jetson, or not on PATH)".into()),
        Some(exe) => match run_with_timeout(exe, &["-q"], roots.nvpmodel_timeout) {
            Ok(out) => match parse_nvpmodel(&out) {
                Some(pm) => {
                    s.sources.insert("power_mode".into(), format!("{} -q", exe.display()));
                    s.power_mode = Some(pm);
                }
                None => s.notes.push(format!(
                    "power_mode: `{} -q` printed no `NV Power Mode:` line: {}",
                    exe.display(),
                    clip(out.trim(), 300)
                )),
            },
            Err(e) => s.notes.push(format!("power_mode: `{} -q`: {e}", exe.display())),
        },
    }
    s
}

fn read_trimmed(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map(|t| t.trim().to_owned()).map_err(|e| e.to_string())
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_owned() } else { format!("{}…", s.chars().take(max).collect::<String>()) }
}

/// Numbered entries `<prefix><N>` of a directory, sorted by N.
fn numbered_entries(dir: &Path, prefix: &str) -> Result<Vec<(u32, PathBuf)>, String> {
    let rd = fs::read_dir(dir).map_err(|e| e.to_string())?;
    let mut out: Vec<(u32, PathBuf)> = rd
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let digits = name.to_str()?.strip_prefix(prefix)?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some((digits.parse().ok()?, e.path()))
        })
        .collect();
    out.sort_by_key(|(n, _)| *n);
    Ok(out)
}

fn read_cpus(sys: &Path, s: &mut DeviceState) {
    let cpu_dir = sys.join("devices/system/cpu");
    let gov_path = "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor";
    match read_trimmed(&cpu_dir.join("cpu0/cpufreq/scaling_governor")) {
        Ok(g) if !g.is_empty() => {
            s.cpu_governor = Some(g);
            s.sources.insert("cpu_governor".into(), gov_path.into());
        }
        Ok(_) => s.notes.push(format!("cpu_governor: {gov_path} is empty")),
        Err(e) => s.notes.push(format!("cpu_governor: {gov_path}: {e}")),
    }
    let cpus = match numbered_entries(&cpu_dir, "cpu") {
        Ok(c) => c,
        Err(e) => {
            s.notes.push(format!("cpu_freq_mhz: /sys/devices/system/cpu: {e}"));
            return;
        }
    };
    let mut other_governors: Vec<(u32, String)> = Vec::new();
    for (n, dir) in &cpus {
        let freq_path = dir.join("cpufreq/scaling_cur_freq");
        match read_trimmed(&freq_path) {
            Ok(t) => match t.parse::<u64>() {
                Ok(khz) => s.cpu_freq_mhz.push((*n, khz as f64 / 1000.0)),
                Err(_) => {
                    s.notes.push(format!("cpu_freq_mhz: cpu{n}: scaling_cur_freq is not a number: {}", clip(&t, 40)))
                }
            },
            Err(_) if !dir.join("cpufreq").exists() => {} // offline or no cpufreq driver: see below
            Err(e) => s.notes.push(format!("cpu_freq_mhz: cpu{n}: scaling_cur_freq: {e}")),
        }
        if *n != 0
            && let Ok(g) = read_trimmed(&dir.join("cpufreq/scaling_governor"))
            && Some(&g) != s.cpu_governor.as_ref()
        {
            other_governors.push((*n, g));
        }
    }
    if s.cpu_freq_mhz.is_empty() {
        s.notes.push(format!(
            "cpu_freq_mhz: no cpufreq in sysfs for any of {} CPUs (no cpufreq driver, e.g. a VM)",
            cpus.len()
        ));
    } else {
        s.sources.insert("cpu_freq_mhz".into(), "/sys/devices/system/cpu/cpu<N>/cpufreq/scaling_cur_freq (kHz)".into());
    }
    if !other_governors.is_empty() {
        let list: Vec<String> = other_governors.iter().map(|(n, g)| format!("cpu{n}={g}")).collect();
        s.notes.push(format!("cpu_governor: other CPUs differ from cpu0: {}", list.join(", ")));
    }
}

fn read_thermal(sys: &Path, s: &mut DeviceState) {
    let zones = match numbered_entries(&sys.join("class/thermal"), "thermal_zone") {
        Ok(z) => z,
        Err(e) => {
            s.notes.push(format!("thermal_c: /sys/class/thermal: {e}"));
            return;
        }
    };
    let mut used: Vec<String> = Vec::new();
    for (n, dir) in zones {
        let ty = match read_trimmed(&dir.join("type")) {
            Ok(t) if !t.is_empty() => t,
            Ok(_) => {
                s.notes.push(format!("thermal_c: thermal_zone{n}: empty type, zone ignored"));
                continue;
            }
            Err(e) => {
                s.notes.push(format!("thermal_c: thermal_zone{n}: type unreadable ({e}), zone ignored"));
                continue;
            }
        };
        let raw = match read_trimmed(&dir.join("temp")) {
            Ok(t) => t,
            Err(e) => {
                s.notes.push(format!("thermal_c: thermal_zone{n} ({ty}): temp unreadable ({e}), zone ignored"));
                continue;
            }
        };
        let Ok(milli) = raw.parse::<i64>() else {
            s.notes.push(format!("thermal_c: thermal_zone{n} ({ty}): temp is not a number: {}", clip(&raw, 40)));
            continue;
        };
        let c = milli as f64 / 1000.0;
        if !(PLAUSIBLE_TEMP_C.0..=PLAUSIBLE_TEMP_C.1).contains(&c) {
            s.notes.push(format!(
                "thermal_c: thermal_zone{n} ({ty}) reads {milli} m°C, outside [{}, {}] °C: disabled sensor, ignored",
                PLAUSIBLE_TEMP_C.0, PLAUSIBLE_TEMP_C.1
            ));
            continue;
        }
        s.thermal_c.push((ty, c));
        used.push(n.to_string());
    }
    if used.is_empty() {
        s.notes.push("thermal_c: no readable thermal zone in /sys/class/thermal".into());
    } else {
        s.sources.insert(
            "thermal_c".into(),
            format!("/sys/class/thermal/thermal_zone{{{}}}/{{type,temp}} (m°C)", used.join(",")),
        );
    }
}

fn read_nvml(s: &mut DeviceState) {
    use nvml_wrapper::enum_wrappers::device::Clock;
    let nvml = match nvml_wrapper::Nvml::init() {
        Ok(n) => n,
        Err(e) => {
            s.notes.push(format!("gpu: NVML unavailable ({e})"));
            return;
        }
    };
    let count = nvml.device_count().unwrap_or(0);
    let device = match nvml.device_by_index(0) {
        Ok(d) => d,
        Err(e) => {
            s.notes.push(format!("gpu: NVML lists no device 0 ({e})"));
            return;
        }
    };
    if count > 1 {
        s.notes.push(format!("gpu: NVML lists {count} devices; device 0 recorded"));
    }
    match device.clock_info(Clock::Graphics) {
        Ok(mhz) => {
            s.gpu_clock_mhz = Some(mhz as f64);
            s.sources.insert("gpu_clock_mhz".into(), "NVML device 0 graphics clock".into());
        }
        Err(e) => s.notes.push(format!("gpu_clock_mhz: NVML: {e}")),
    }
    match device.utilization_rates() {
        Ok(u) => {
            s.gpu_load_pct = Some(u.gpu as f64);
            s.sources.insert("gpu_load_pct".into(), "NVML device 0 utilization".into());
        }
        Err(e) => s.notes.push(format!("gpu_load_pct: NVML: {e}")),
    }
    match device.current_throttle_reasons() {
        Ok(r) => {
            let names: Vec<&str> = r.iter_names().map(|(name, _)| name).collect();
            let names = if names.is_empty() { "NONE".to_owned() } else { names.join("|") };
            s.gpu_throttle_reasons = Some(format!("{names} (0x{:x})", r.bits()));
            s.sources.insert("gpu_throttle_reasons".into(), "NVML device 0 clocks event reasons".into());
        }
        Err(e) => s.notes.push(format!("gpu_throttle_reasons: NVML: {e}")),
    }
}

/// Whether a devfreq device is a Tegra GPU: its `device/of_node` is named, or compatible with, one
/// of [`TEGRA_GPU_NODES`].
fn is_tegra_gpu(devfreq_dir: &Path) -> bool {
    let node = devfreq_dir.join("device/of_node");
    let name = fs::read(node.join("name")).map(|b| crate::host::parse_device_tree_strings(&b)).unwrap_or_default();
    let compatible =
        fs::read(node.join("compatible")).map(|b| crate::host::parse_device_tree_strings(&b)).unwrap_or_default();
    name.iter().any(|n| TEGRA_GPU_NODES.contains(&n.as_str()))
        || compatible.iter().any(|c| TEGRA_GPU_NODES.iter().any(|g| c.starts_with("nvidia,") && c.ends_with(g)))
}

fn read_tegra_gpu(sys: &Path, s: &mut DeviceState) {
    let Ok(rd) = fs::read_dir(sys.join("class/devfreq")) else {
        s.notes.push("gpu: no /sys/class/devfreq (no Jetson integrated GPU)".into());
        return;
    };
    let mut devs: Vec<(String, PathBuf)> =
        rd.flatten().filter_map(|e| Some((e.file_name().to_str()?.to_owned(), e.path()))).collect();
    devs.sort();
    let Some((name, dir)) = devs.into_iter().find(|(_, d)| is_tegra_gpu(d)) else {
        s.notes.push("gpu: no Jetson GPU (ga10b/gv11b/gp10b/gm20b) among /sys/class/devfreq devices".into());
        return;
    };
    let logical = format!("/sys/class/devfreq/{name}");
    if s.gpu_clock_mhz.is_none() {
        match read_trimmed(&dir.join("cur_freq")).map(|t| t.parse::<u64>()) {
            Ok(Ok(hz)) => {
                s.gpu_clock_mhz = Some(hz as f64 / 1e6);
                s.sources.insert("gpu_clock_mhz".into(), format!("{logical}/cur_freq (Hz)"));
            }
            Ok(Err(e)) => s.notes.push(format!("gpu_clock_mhz: {logical}/cur_freq: {e}")),
            Err(e) => s.notes.push(format!("gpu_clock_mhz: {logical}/cur_freq: {e}")),
        }
    }
    if s.gpu_load_pct.is_none() {
        let candidates = [("device/load", dir.join("device/load")), ("load", dir.join("load"))];
        let found = candidates.iter().find_map(|(rel, p)| read_trimmed(p).ok().map(|t| (*rel, t)));
        match found {
            Some((rel, t)) => match t.parse::<u32>() {
                Ok(permille) if permille <= 1000 => {
                    s.gpu_load_pct = Some(permille as f64 / 10.0);
                    s.sources.insert("gpu_load_pct".into(), format!("{logical}/{rel} (0-1000)"));
                }
                _ => s.notes.push(format!("gpu_load_pct: {logical}/{rel} is not 0-1000: {}", clip(&t, 40))),
            },
            None => s.notes.push(format!("gpu_load_pct: neither {logical}/device/load nor {logical}/load is readable")),
        }
    }
    if s.gpu_throttle_reasons.is_none() {
        s.notes.push("gpu_throttle_reasons: not reported for the Jetson integrated GPU (NVML only)".into());
    }
}

/// Parses `nvpmodel -q`: the name after `NV Power Mode:` and the numeric id on the next non-empty
/// line. Warning lines (`NVPM WARN: …`) before or after are ignored. `None` when there is no such
/// line or the name is empty.
pub fn parse_nvpmodel(output: &str) -> Option<PowerMode> {
    let lines: Vec<&str> = output.lines().map(str::trim).collect();
    let (i, name) = lines.iter().enumerate().find_map(|(i, l)| {
        let name = l.strip_prefix("NV Power Mode:")?.trim();
        (!name.is_empty() && !name.chars().any(char::is_control)).then_some((i, name))
    })?;
    let id = lines[i + 1..].iter().find(|l| !l.is_empty()).and_then(|l| l.parse::<i32>().ok());
    Some(PowerMode { name: name.to_owned(), id, raw: output.trim_end().to_owned() })
}

/// `nvpmodel` on `PATH`, else in `/usr/sbin` or `/usr/bin` (where JetPack installs it).
pub fn find_nvpmodel() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").into_iter().flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>());
    on_path
        .chain(["/usr/sbin".into(), "/usr/bin".into()])
        .map(|d: PathBuf| d.join("nvpmodel"))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(p).map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// Runs `exe args…` and returns stdout followed by stderr; kills it (and its process group) after
/// `timeout`.
fn run_with_timeout(exe: &Path, args: &[&str], timeout: Duration) -> Result<String, String> {
    let mut cmd = Command::new(exe);
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd.spawn().map_err(|e| format!("cannot run: {e}"))?;
    let (tx, rx) = mpsc::channel::<(bool, Vec<u8>)>();
    for (is_err, pipe) in [
        (false, child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>)),
        (true, child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>)),
    ] {
        let tx = tx.clone();
        if let Some(pipe) = pipe {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = pipe.take(1 << 20).read_to_end(&mut buf);
                let _ = tx.send((is_err, buf));
            });
        }
    }
    drop(tx);
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                kill_process_group(child.id());
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {:.1} s, killed", timeout.as_secs_f64()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("wait failed: {e}")),
        }
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let grace = Instant::now() + Duration::from_secs(1);
    for _ in 0..2 {
        match rx.recv_timeout(grace.saturating_duration_since(Instant::now())) {
            Ok((false, b)) => out = b,
            Ok((true, b)) => err = b,
            Err(_) => break,
        }
    }
    let mut text = String::from_utf8_lossy(&out).into_owned();
    let err = String::from_utf8_lossy(&err);
    if !err.trim().is_empty() {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&err);
    }
    if !status.success() && parse_nvpmodel(&text).is_none() {
        return Err(format!("exited with {status}: {}", clip(text.trim(), 300)));
    }
    Ok(text)
}

/// Kills the process group that [`run_with_timeout`] created for its child (whose id is `pid`),
/// so that a helper the child started does not outlive it.
#[cfg(unix)]
fn kill_process_group(pid: u32) {
    // SAFETY: plain syscall; the group id is our own child's, made a group leader by
    // `process_group(0)`, and it has not been reaped yet, so the id cannot have been reused.
    unsafe {
        libc::kill(-(pid as libc::pid_t), libc::SIGKILL);
    }
}

#[cfg(not(unix))]
fn kill_process_group(_pid: u32) {}
