//! Device state: `parse_nvpmodel` on realistic outputs, `read_state` on fixture sysfs trees (x86
//! host, Jetson Orin NX, empty) with exact values, `nvpmodel` run as a real process (answer,
//! failure, time-out), `max_temp_c`, `to_json`, and `read_state` on this machine.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use edgebench_collector::device_state::{DeviceState, PowerMode, StateRoots, parse_nvpmodel, read_state};

fn fixture_sys(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/device").join(name).join("sys")
}

fn has_note(s: &DeviceState, needle: &str) -> bool {
    s.notes.iter().any(|n| n.contains(needle))
}

// --- nvpmodel -----------------------------------------------------------------------------------

#[test]
fn nvpmodel_maxn() {
    let out = "NV Power Mode: MAXN\n0\n";
    assert_eq!(
        parse_nvpmodel(out),
        Some(PowerMode { name: "MAXN".into(), id: Some(0), raw: "NV Power Mode: MAXN\n0".into() })
    );
}

#[test]
fn nvpmodel_with_leading_warning() {
    let out = "NVPM WARN: fan mode is not set!\nNV Power Mode: 15W\n1\n";
    let pm = parse_nvpmodel(out).unwrap();
    assert_eq!((pm.name.as_str(), pm.id), ("15W", Some(1)));
    assert_eq!(pm.raw, out.trim_end(), "raw keeps the whole output, warning included");

    // JetPack 6 names, CRLF line ends, blank line before the id.
    let pm =
        parse_nvpmodel("NVPM WARN: Golden image context is already created\r\nNV Power Mode: MAXN_SUPER\r\n\r\n2\r\n")
            .unwrap();
    assert_eq!((pm.name.as_str(), pm.id), ("MAXN_SUPER", Some(2)));
    // Name without an id line.
    let pm = parse_nvpmodel("NV Power Mode: 30W\n").unwrap();
    assert_eq!((pm.name.as_str(), pm.id), ("30W", None));
}

#[test]
fn nvpmodel_garbage_is_none() {
    for out in [
        "",
        "garbage\n",
        "nvpmodel: command not found\n",
        "NVPM ERROR: failed to read PARAM CPU_ONLINE: ret = -13\n",
        "NV Power Mode:\n0\n",
        "Power Mode: MAXN\n0\n",
    ] {
        assert_eq!(parse_nvpmodel(out), None, "{out:?}");
    }
}

// --- fixture trees ------------------------------------------------------------------------------

#[test]
fn x86_tree() {
    let s = read_state(&StateRoots::fixture(fixture_sys("x86-debian")));
    assert_eq!(s.cpu_governor.as_deref(), Some("powersave"));
    assert_eq!(s.cpu_freq_mhz, vec![(0, 2600.0), (1, 1100.0)]);
    assert_eq!(s.thermal_c, vec![("acpitz".to_owned(), 27.8), ("x86_pkg_temp".to_owned(), 45.0)]);
    assert_eq!(s.power_mode, None);
    assert_eq!((s.gpu_clock_mhz, s.gpu_load_pct, s.gpu_throttle_reasons.as_deref()), (None, None, None));
    assert_eq!(s.max_temp_c(), Some(45.0));
    assert_eq!(
        s.sources.get("cpu_governor").map(String::as_str),
        Some("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")
    );
    assert_eq!(
        s.sources.get("thermal_c").map(String::as_str),
        Some("/sys/class/thermal/thermal_zone{0,1}/{type,temp} (m°C)")
    );
    assert!(has_note(&s, "power_mode: nvpmodel not found"), "{:?}", s.notes);
    assert!(has_note(&s, "no /sys/class/devfreq"), "{:?}", s.notes);
    assert!(!has_note(&s, "thermal_c"), "{:?}", s.notes);
    assert!(!has_note(&s, "cpu_governor"), "{:?}", s.notes);
}

#[test]
fn jetson_orin_tree() {
    let s = read_state(&StateRoots::fixture(fixture_sys("jetson-orin-nx")));
    assert_eq!(s.cpu_governor.as_deref(), Some("schedutil"));
    let freqs: Vec<(u32, f64)> = (0..8).map(|c| (c, if c < 4 { 729.6 } else { 1984.0 })).collect();
    assert_eq!(s.cpu_freq_mhz, freqs);
    let zones: Vec<(String, f64)> = [
        ("cpu-thermal", 48.5),
        ("gpu-thermal", 47.281),
        ("soc0-thermal", 46.718),
        ("soc1-thermal", 47.093),
        ("soc2-thermal", 46.156),
        ("tj-thermal", 48.5),
    ]
    .iter()
    .map(|(t, c)| (t.to_string(), *c))
    .collect();
    assert_eq!(s.thermal_c, zones, "disabled cv*-thermal zones (-256 °C) and the unreadable zone are left out");
    assert_eq!(s.max_temp_c(), Some(48.5));
    for cv in
        ["thermal_zone2 (cv0-thermal) reads -256000", "thermal_zone3 (cv1-thermal)", "thermal_zone4 (cv2-thermal)"]
    {
        assert!(has_note(&s, cv), "no note `{cv}`: {:?}", s.notes);
    }
    assert!(has_note(&s, "thermal_zone9 (tboard-thermal): temp unreadable"), "{:?}", s.notes);
    assert_eq!(
        s.sources.get("thermal_c").map(String::as_str),
        Some("/sys/class/thermal/thermal_zone{0,1,5,6,7,8}/{type,temp} (m°C)")
    );
    // GPU from the ga10b devfreq node (the vic node beside it is not the GPU).
    assert_eq!(s.gpu_clock_mhz, Some(306.0));
    assert_eq!(s.gpu_load_pct, Some(12.3));
    assert_eq!(s.gpu_throttle_reasons, None);
    assert_eq!(
        s.sources.get("gpu_clock_mhz").map(String::as_str),
        Some("/sys/class/devfreq/17000000.ga10b/cur_freq (Hz)")
    );
    assert_eq!(
        s.sources.get("gpu_load_pct").map(String::as_str),
        Some("/sys/class/devfreq/17000000.ga10b/device/load (0-1000)")
    );
    assert!(has_note(&s, "gpu_throttle_reasons: not reported"), "{:?}", s.notes);
    assert_eq!(s.power_mode, None, "no nvpmodel given");
}

#[test]
fn empty_tree() {
    let s = read_state(&StateRoots::fixture(fixture_sys("empty")));
    assert_eq!(s.cpu_governor, None);
    assert!(s.cpu_freq_mhz.is_empty() && s.thermal_c.is_empty());
    assert_eq!((s.power_mode.as_ref(), s.gpu_clock_mhz, s.gpu_load_pct), (None, None, None));
    assert_eq!(s.max_temp_c(), None);
    assert!(s.sources.is_empty(), "{:?}", s.sources);
    for what in ["cpu_governor:", "cpu_freq_mhz:", "thermal_c:", "power_mode:", "gpu:"] {
        assert!(s.notes.iter().any(|n| n.starts_with(what)), "no note `{what}`: {:?}", s.notes);
    }
}

#[test]
fn governors_that_differ_are_noted() {
    let dir = tempfile::tempdir().unwrap();
    for (cpu, gov) in [(0, "performance"), (1, "performance"), (2, "powersave")] {
        let d = dir.path().join(format!("devices/system/cpu/cpu{cpu}/cpufreq"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("scaling_governor"), format!("{gov}\n")).unwrap();
        std::fs::write(d.join("scaling_cur_freq"), "bogus\n").unwrap();
    }
    let s = read_state(&StateRoots::fixture(dir.path()));
    assert_eq!(s.cpu_governor.as_deref(), Some("performance"));
    assert!(has_note(&s, "other CPUs differ from cpu0: cpu2=powersave"), "{:?}", s.notes);
    assert!(s.cpu_freq_mhz.is_empty());
    assert!(has_note(&s, "cpu0: scaling_cur_freq is not a number"), "{:?}", s.notes);
}

/// `nvpmodel` run as a real process: an answer, a failure and a hang (killed at the time limit).
/// One test so that no other test forks while these scripts are being written.
#[cfg(unix)]
#[test]
fn nvpmodel_is_run_with_a_time_limit() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let script = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    };
    let ok = script(
        "nvpmodel-ok",
        r#"[ "$1" = "-q" ] || exit 64
echo "NVPM WARN: fan mode is not set!" >&2
printf 'NV Power Mode: 15W\n1\n'"#,
    );
    let fails = script("nvpmodel-fails", r#"echo "NVPM ERROR: failed to read PARAM" >&2; exit 1"#);
    let hangs = script("nvpmodel-hangs", "sleep 30");

    let mut roots = StateRoots::fixture(fixture_sys("jetson-orin-nx"));
    roots.nvpmodel = Some(ok.clone());
    let s = read_state(&roots);
    let pm = s.power_mode.clone().expect("power mode");
    assert_eq!((pm.name.as_str(), pm.id), ("15W", Some(1)));
    assert!(pm.raw.contains("NV Power Mode: 15W") && pm.raw.contains("NVPM WARN"), "{}", pm.raw);
    assert_eq!(s.sources.get("power_mode"), Some(&format!("{} -q", ok.display())));

    roots.nvpmodel = Some(fails);
    let s = read_state(&roots);
    assert_eq!(s.power_mode, None);
    assert!(has_note(&s, "exited with") && has_note(&s, "NVPM ERROR"), "{:?}", s.notes);

    roots.nvpmodel = Some(hangs);
    roots.nvpmodel_timeout = Duration::from_millis(300);
    let t = Instant::now();
    let s = read_state(&roots);
    assert!(t.elapsed() < Duration::from_secs(5), "the hang was not cut at the limit: {:?}", t.elapsed());
    assert_eq!(s.power_mode, None);
    assert!(has_note(&s, "timed out after 0.3 s"), "{:?}", s.notes);

    roots.nvpmodel = Some(dir.path().join("does-not-exist"));
    let s = read_state(&roots);
    assert!(has_note(&s, "cannot run"), "{:?}", s.notes);
}

// --- JSON ---------------------------------------------------------------------------------------

#[test]
fn to_json_holds_both_snapshots_with_sources() {
    let start = read_state(&StateRoots::fixture(fixture_sys("jetson-orin-nx")));
    let mut end = start.clone();
    end.thermal_c[0].1 = 61.25;
    end.power_mode = Some(PowerMode { name: "MAXN".into(), id: Some(0), raw: "NV Power Mode: MAXN\n0".into() });
    end.sources.insert("power_mode".into(), "/usr/sbin/nvpmodel -q".into());
    let text = start.to_json(&end);
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let obj = v.as_object().unwrap();
    assert_eq!(obj.keys().collect::<Vec<_>>(), ["end", "start"]);
    assert_eq!(v["start"]["cpu_governor"]["value"], "schedutil");
    assert_eq!(v["start"]["cpu_governor"]["source"], "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
    assert_eq!(v["start"]["cpu_freq_mhz"]["values"][4], serde_json::json!({"cpu": 4, "mhz": 1984.0}));
    assert_eq!(v["start"]["thermal_c"]["values"][0], serde_json::json!({"type": "cpu-thermal", "c": 48.5}));
    assert_eq!(v["start"]["thermal_c"]["max"], 48.5);
    assert_eq!(v["end"]["thermal_c"]["max"], 61.25);
    assert_eq!(v["start"]["gpu_clock_mhz"]["value"], 306.0);
    assert_eq!(v["start"]["gpu_load_pct"]["source"], "/sys/class/devfreq/17000000.ga10b/device/load (0-1000)");
    assert_eq!(v["start"]["power_mode"]["name"], serde_json::Value::Null);
    assert_eq!(v["start"]["power_mode"]["source"], serde_json::Value::Null);
    assert_eq!(v["end"]["power_mode"]["name"], "MAXN");
    assert_eq!(v["end"]["power_mode"]["id"], 0);
    assert_eq!(v["end"]["power_mode"]["raw"], "NV Power Mode: MAXN\n0");
    assert_eq!(v["end"]["power_mode"]["source"], "/usr/sbin/nvpmodel -q");
    assert_eq!(v["start"]["gpu_throttle_reasons"]["value"], serde_json::Value::Null);
    assert!(v["start"]["notes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().contains("cv0-thermal")));

    // An empty snapshot is still a complete object.
    let empty = read_state(&StateRoots::fixture(fixture_sys("empty")));
    let v: serde_json::Value = serde_json::from_str(&empty.to_json(&empty)).unwrap();
    assert_eq!(v["start"]["thermal_c"]["max"], serde_json::Value::Null);
    assert_eq!(v["end"]["cpu_freq_mhz"]["values"], serde_json::json!([]));
}

// --- this machine -------------------------------------------------------------------------------

#[test]
fn read_state_on_this_machine_never_panics() {
    let a = read_state(&StateRoots::default());
    let b = read_state(&StateRoots::default());
    eprintln!("{a:#?}");
    let v: serde_json::Value = serde_json::from_str(&a.to_json(&b)).unwrap();
    assert!(v["start"].is_object() && v["end"].is_object());
    if let Some(t) = a.max_temp_c() {
        assert!((-60.0..=200.0).contains(&t));
    }
    for (_, mhz) in &a.cpu_freq_mhz {
        assert!(*mhz > 0.0);
    }
    // Every field that has no value says why.
    if a.cpu_governor.is_none() {
        assert!(a.notes.iter().any(|n| n.starts_with("cpu_governor:")), "{:?}", a.notes);
    }
    if a.thermal_c.is_empty() {
        assert!(a.notes.iter().any(|n| n.starts_with("thermal_c:")), "{:?}", a.notes);
    }
    if a.power_mode.is_none() {
        assert!(a.notes.iter().any(|n| n.starts_with("power_mode:")), "{:?}", a.notes);
    }
}
