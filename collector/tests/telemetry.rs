//! Telemetry readers against the fixture trees in `tests/fixtures/sysfs/` (see its README), the
//! window maths on hand-built series, and short real sampler runs on this test process.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use edgebench_collector::telemetry::*;
use edgebench_dataset::schema::v1::MemoryKind;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sysfs")
}

fn fixture_sys(tree: &str) -> PathBuf {
    fixtures().join(tree).join("sys")
}

fn fixture_proc(tree: &str) -> PathBuf {
    fixtures().join(tree).join("proc")
}

/// A writable copy of a fixture tree.
fn copy_tree(tree: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        fs::create_dir_all(to).unwrap();
        for entry in fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(&fixtures().join(tree), dir.path());
    dir
}

fn write(path: impl AsRef<Path>, text: &str) {
    let path = path.as_ref();
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn mw(mv: f64, ma: f64) -> f64 {
    mv * ma / 1000.0
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

// ---------------------------------------------------------------------------------------------
// INA3221

#[test]
fn ina3221_orin_nx_total_is_vdd_in() {
    let mut ina = Ina3221::discover(fixture_sys("orin-nx")).unwrap();
    assert_eq!(ina.name(), "ina3221:VDD_IN");
    assert_eq!(ina.rail_labels(), ["VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"]);
    assert_eq!(ina.total_rail(), Some("VDD_IN"));

    let rails = ina.read_rails().unwrap();
    let expected = [("VDD_IN", 1, 4984.0, 1329.0), ("VDD_CPU_GPU_CV", 2, 4992.0, 246.0), ("VDD_SOC", 3, 4992.0, 296.0)];
    assert_eq!(rails.len(), 3);
    for (rail, (label, channel, mv, ma)) in rails.iter().zip(expected) {
        assert_eq!(rail.label, label);
        assert_eq!(rail.device, "1-0040");
        assert_eq!(rail.channel, channel);
        assert_eq!(rail.voltage_mv, mv);
        assert_eq!(rail.current_ma, ma);
        assert_eq!(rail.power_mw, mw(mv, ma));
    }
    assert_eq!(rails[0].power_mw, 6623.736);
    assert_eq!(rails[1].power_mw, 1228.032);

    // VDD_IN is the module input: the total is that rail, not the sum.
    assert_eq!(ina.read_total_mw().unwrap(), 6623.736);
    let r = ina.read().unwrap();
    assert_eq!(r.power_w, Some(6623.736 / 1000.0));
    assert_eq!(r.energy_j, None);
}

#[test]
fn ina3221_agx_orin_sums_rails_and_skips_nc() {
    let mut ina = Ina3221::discover(fixture_sys("agx-orin")).unwrap();
    assert_eq!(ina.name(), "ina3221:sum(VDD_GPU_SOC,VDD_CPU_CV,VIN_SYS_5V0,VDDQ_VDD2_1V8AO)");
    assert_eq!(ina.total_rail(), None);
    let rails = ina.read_rails().unwrap();
    assert!(rails.iter().all(|r| !r.label.contains("NC")), "{rails:?}");
    let vddq = rails.iter().find(|r| r.label == "VDDQ_VDD2_1V8AO").unwrap();
    assert_eq!((vddq.device.as_str(), vddq.channel), ("1-0041", 2));

    let sum = mw(19152.0, 166.0) + mw(19152.0, 41.0) + mw(5016.0, 723.0) + mw(4992.0, 101.0);
    assert_eq!(ina.read_total_mw().unwrap(), sum);
    assert!((sum - 8095.224).abs() < 1e-9);
    // The NC channel's 4 mV × 8 mA of noise is not in the total.
    assert_eq!(ina.read().unwrap().power_w, Some(sum / 1000.0));
}

#[test]
fn ina3221_rereads_the_files_at_every_read() {
    let dir = copy_tree("orin-nx");
    let hwmon = dir.path().join("sys/bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon1");
    let mut ina = Ina3221::discover(dir.path().join("sys")).unwrap();
    assert_eq!(ina.read_total_mw().unwrap(), 6623.736);
    write(hwmon.join("curr1_input"), "2410\n");
    assert_eq!(ina.read_total_mw().unwrap(), mw(4984.0, 2410.0));
    write(hwmon.join("in1_input"), "garbage\n");
    let err = ina.read().unwrap_err();
    assert!(err.contains("in1_input") && err.contains("not an integer"), "{err}");
}

#[test]
fn ina3221_reasons() {
    let err = Ina3221::discover(fixture_sys("none")).unwrap_err();
    assert!(err.starts_with("INA3221: ") && err.contains("not found"), "{err}");

    let jp4 = tempfile::tempdir().unwrap();
    write(jp4.path().join("bus/i2c/drivers/ina3221x/1-0040/iio:device0/rail_name_0"), "VDD_IN\n");
    let err = Ina3221::discover(jp4.path()).unwrap_err();
    assert!(err.contains("JetPack 4") && err.contains("not supported"), "{err}");

    let only_nc = tempfile::tempdir().unwrap();
    let h = only_nc.path().join("bus/i2c/drivers/ina3221/1-0041/hwmon/hwmon0");
    write(h.join("in1_label"), "NC\n");
    write(h.join("in1_input"), "0\n");
    write(h.join("curr1_input"), "0\n");
    let err = Ina3221::discover(only_nc.path()).unwrap_err();
    assert!(err.contains("no connected rail") && err.contains("1-0041/in1 (NC)"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// RAPL

#[test]
fn rapl_delta_corrects_one_wrap() {
    assert_eq!(rapl_delta_uj(1_000, 5_000, 262_143_328_850), 4_000);
    assert_eq!(rapl_delta_uj(5_000, 5_000, 262_143_328_850), 0);
    assert_eq!(rapl_delta_uj(262_143_000_000, 1_500_000, 262_143_328_850), 1_828_850);
}

#[test]
fn rapl_wraps_between_two_reads() {
    let dir = copy_tree("rapl-wrap");
    let energy = dir.path().join("sys/class/powercap/intel-rapl:0/energy_uj");
    let mut rapl = Rapl::discover(dir.path().join("sys")).unwrap();
    assert_eq!(rapl.name(), "rapl:package-0");
    assert_eq!(rapl.zone_names(), ["package-0"]); // the core sub-zone intel-rapl:0:0 is not summed

    // Discovery took the baseline: nothing has been consumed since.
    assert_eq!(rapl.read().unwrap(), PowerReading { power_w: None, energy_j: Some(0.0) });
    write(&energy, "1500000\n"); // wrapped at 262143328850 µJ
    assert_eq!(rapl.read().unwrap().energy_j, Some(1_828_850.0 / 1e6));
    write(&energy, "2500000\n");
    assert_eq!(rapl.read().unwrap().energy_j, Some(2_828_850.0 / 1e6));
}

#[test]
fn rapl_sums_packages_only() {
    let dir = tempfile::tempdir().unwrap();
    let pc = dir.path().join("class/powercap");
    let zone = |name: &str, label: &str, uj: u64| {
        write(pc.join(name).join("name"), &format!("{label}\n"));
        write(pc.join(name).join("energy_uj"), &format!("{uj}\n"));
        write(pc.join(name).join("max_energy_range_uj"), "262143328850\n");
    };
    zone("intel-rapl:0", "package-0", 1_000_000);
    zone("intel-rapl:1", "package-1", 2_000_000);
    zone("intel-rapl:2", "psys", 9_000_000); // whole platform: overlaps the packages
    zone("intel-rapl:0:0", "core", 500_000);
    zone("intel-rapl-mmio:0", "package-0", 1_000_000);
    let mut rapl = Rapl::discover(dir.path()).unwrap();
    assert_eq!(rapl.name(), "rapl:package-0+package-1");
    rapl.read().unwrap();
    write(pc.join("intel-rapl:0/energy_uj"), "3000000\n");
    write(pc.join("intel-rapl:1/energy_uj"), "2500000\n");
    write(pc.join("intel-rapl:2/energy_uj"), "99000000\n");
    write(pc.join("intel-rapl:0:0/energy_uj"), "99000000\n");
    assert_eq!(rapl.read().unwrap().energy_j, Some(2.5));
}

#[test]
fn rapl_reasons() {
    let err = Rapl::discover(fixture_sys("none")).unwrap_err();
    assert!(err.starts_with("RAPL: ") && err.contains("powercap") && err.contains("not found"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let psys = dir.path().join("class/powercap/intel-rapl:1");
    write(psys.join("name"), "psys\n");
    write(psys.join("energy_uj"), "1\n");
    write(psys.join("max_energy_range_uj"), "262143328850\n");
    let err = Rapl::discover(dir.path()).unwrap_err();
    assert!(err.contains("no package zone") && err.contains("intel-rapl:1 (psys)"), "{err}");

    // energy_uj is root-only since Linux 5.10; as root, permissions cannot be tested this way.
    if !is_root() {
        use std::os::unix::fs::PermissionsExt;
        let dir = copy_tree("rapl-wrap");
        let energy = dir.path().join("sys/class/powercap/intel-rapl:0/energy_uj");
        fs::set_permissions(&energy, fs::Permissions::from_mode(0o000)).unwrap();
        let err = Rapl::discover(dir.path().join("sys")).unwrap_err();
        assert!(err.starts_with("RAPL energy_uj not readable: "), "{err}");
        assert!(err.ends_with("permission denied (root only since Linux 5.10)"), "{err}");
    }
}

// ---------------------------------------------------------------------------------------------
// Detection

#[test]
fn detect_picks_the_source_of_each_tree() {
    // INA3221 comes first in the default order, so this holds on any host, NVIDIA or not.
    let (source, reasons) = detect_power(fixture_sys("orin-nx"));
    assert_eq!(source.unwrap().name(), "ina3221:VDD_IN");
    assert!(reasons.is_empty(), "{reasons:?}");

    let (source, _) = detect_power(fixture_sys("agx-orin"));
    assert!(source.unwrap().name().starts_with("ina3221:sum(VDD_GPU_SOC,"));

    let dir = copy_tree("rapl-wrap");
    let (source, reasons) =
        detect_power_with(dir.path().join("sys"), &[PowerCandidate::Ina3221, PowerCandidate::Rapl]);
    assert_eq!(source.unwrap().name(), "rapl:package-0");
    assert_eq!(reasons.len(), 1);
    assert!(reasons[0].starts_with("INA3221: "), "{reasons:?}");
}

#[test]
fn detect_on_none_gives_every_reason() {
    let (source, reasons) =
        detect_power_with(fixture_sys("none"), &[PowerCandidate::Ina3221, PowerCandidate::Rapl]);
    assert!(source.is_none());
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].starts_with("INA3221: ") && reasons[0].contains("not found"), "{reasons:?}");
    assert!(reasons[1].starts_with("RAPL: ") && reasons[1].contains("not found"), "{reasons:?}");

    // With NVML in the list: on a host without the NVIDIA driver its reason is there too; on a
    // host with one, NVML is the source (it does not depend on the sysfs root).
    let (source, reasons) = detect_power(fixture_sys("none"));
    match source {
        None => {
            assert_eq!(reasons.len(), 4, "{reasons:?}");
            assert!(reasons[1].contains("`tegrastats`"), "{reasons:?}");
            assert!(reasons[2].starts_with("NVML"), "{reasons:?}");
        }
        Some(source) => {
            assert_eq!(source.name(), "nvml:gpu0");
            assert_eq!(reasons.len(), 2, "{reasons:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// NVML

#[test]
fn nvml_gives_a_reason_or_values_and_never_panics() {
    match nvml() {
        Err(reason) => {
            eprintln!("NVML on this host: {reason}");
            assert!(reason.starts_with("NVML not available"), "{reason}");
            assert_eq!(nvml_gpu_info(0).unwrap_err(), reason);
            assert_eq!(NvmlPower::open(0).unwrap_err(), reason);
            assert_eq!(nvml_process_memory_bytes(0, std::process::id()).unwrap_err(), reason);
            assert_eq!(nvml_clocks(0).unwrap_err(), reason);
            assert_eq!(nvml_throttle_reasons(0).unwrap_err(), reason);
            assert_eq!(nvml_memory_info(0).unwrap_err(), reason);
            assert_eq!(nvml_temperature_c(0).unwrap_err(), reason);
            assert!(nvml_device_count().is_err());
        }
        Ok(_) => {
            let info = nvml_gpu_info(0).unwrap();
            eprintln!("NVML on this host: {info:?}");
            assert!(!info.name.is_empty() && !info.driver_version.is_empty());
            let clocks = nvml_clocks(0).unwrap();
            eprintln!("clocks {clocks:?}, throttle {:?}", nvml_throttle_reasons(0));
            let mem = nvml_memory_info(0).unwrap();
            assert!(mem.total_bytes > 0 && mem.used_bytes <= mem.total_bytes);
            // This test process has no CUDA context: NVML does not list it.
            assert_eq!(nvml_process_memory_bytes(0, std::process::id()).unwrap(), 0);
            let mut power = NvmlPower::open(0).unwrap();
            let r = power.read().unwrap();
            eprintln!("power {r:?}, energy counter: {}", power.has_energy_counter());
            assert!(r.power_w.is_some_and(|w| w > 0.0 && w < 2000.0));
            assert_eq!(r.energy_j.is_some(), power.has_energy_counter());
            let err = nvml_gpu_info(4096).unwrap_err();
            assert!(err.starts_with("NVML"), "{err}");
        }
    }
    assert_eq!(cuda_version_string(12040), "12.4");
    assert_eq!(cuda_version_string(11080), "11.8");
}

// ---------------------------------------------------------------------------------------------
// Memory

#[test]
fn proc_rss_of_this_process() {
    let rss = proc_rss_bytes(DEFAULT_PROC_ROOT, std::process::id()).unwrap();
    assert!(rss > 0 && rss < 1 << 40, "{rss}");
    assert_eq!(rss % 1024, 0);
}

#[test]
fn proc_and_meminfo_fixtures() {
    assert_eq!(proc_rss_bytes(fixture_proc("orin-nx"), 4242).unwrap(), 1_887_436 * 1024);
    let err = proc_rss_bytes(fixture_proc("orin-nx"), 4243).unwrap_err();
    assert!(err.contains("4243/status") && err.ends_with("not found"), "{err}");
    assert_eq!(nvmap_used_bytes(fixture_proc("orin-nx")).unwrap(), 471_036 * 1024);
    assert_eq!(nvmap_used_bytes(fixture_proc("agx-orin")).unwrap(), 1_208_320 * 1024);
    let err = nvmap_used_bytes(fixture_proc("none")).unwrap_err();
    assert!(err.contains("no NvMapMemUsed") && err.contains("not a Jetson"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    write(dir.path().join("7/status"), "Name:\tkthreadd\nState:\tS (sleeping)\nPid:\t7\n");
    let err = proc_rss_bytes(dir.path(), 7).unwrap_err();
    assert!(err.contains("no VmRSS"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Series::window

const S: u64 = 1_000_000_000;

fn sample(t_ns: u64, rss: Option<u64>, power_w: Option<f64>, energy_j: Option<f64>) -> Sample {
    Sample { t_ns, rss_bytes: rss, gpu_memory_bytes: rss.map(|r| r / 2), power_w, energy_j }
}

fn series(samples: Vec<Sample>) -> Series {
    Series {
        pid: 1,
        hz: 1.0,
        samples,
        power_source: Some("test".into()),
        gpu_memory_source: Some("nvmap".into()),
        gpu_memory_kind: Some(MemoryKind::Unified),
        ..Series::default()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn window_interpolates_the_energy_counter() {
    let s = series(vec![
        sample(10 * S, Some(100), Some(999.0), Some(100.0)),
        sample(11 * S, Some(300), Some(999.0), Some(110.0)),
        sample(12 * S, Some(200), Some(999.0), Some(130.0)),
        sample(13 * S, Some(900), Some(999.0), Some(160.0)),
    ]);
    // E(10.5 s) = 105, E(12.5 s) = 145; the counter wins over the (inconsistent) power samples.
    let w = s.window(10 * S + S / 2, 12 * S + S / 2);
    assert!(close(w.energy_j.unwrap(), 40.0), "{w:?}");
    assert!(close(w.mean_power_w.unwrap(), 20.0), "{w:?}");
    assert_eq!(w.samples, 2);
    assert_eq!(w.peak_rss_bytes, Some(300));
    assert_eq!(w.peak_gpu_memory_bytes, Some(150));
    assert_eq!((w.power_null_reason, w.gpu_memory_null_reason), (None, None));

    // On sample instants exactly: no interpolation needed.
    let w = s.window(11 * S, 13 * S);
    assert_eq!(w.energy_j, Some(50.0));
    assert_eq!(w.samples, 3);
    assert_eq!(w.peak_rss_bytes, Some(900));
}

#[test]
fn window_integrates_power_by_trapezoids() {
    let s = series(vec![
        sample(0, Some(1), Some(10.0), None),
        sample(S, Some(1), Some(20.0), None),
        sample(2 * S, Some(1), Some(20.0), None),
        sample(3 * S, Some(1), Some(10.0), None),
    ]);
    // P(0.5) = 15, P(2.5) = 15: (15+20)/2·0.5 + 20·1 + (20+15)/2·0.5 = 37.5 J over 2 s.
    let w = s.window(S / 2, 2 * S + S / 2);
    assert!(close(w.energy_j.unwrap(), 37.5), "{w:?}");
    assert!(close(w.mean_power_w.unwrap(), 18.75), "{w:?}");

    // Inside one sampling interval: the interpolated trapezoid only.
    let w = s.window(S / 4, S / 2);
    assert!(close(w.energy_j.unwrap(), (12.5 + 15.0) / 2.0 * 0.25), "{w:?}");

    // A failed read (None) in the middle is spanned by interpolation.
    let gap = series(vec![
        sample(0, Some(1), Some(10.0), None),
        sample(S, Some(1), None, None),
        sample(2 * S, Some(1), Some(30.0), None),
    ]);
    let w = gap.window(0, 2 * S);
    assert!(close(w.energy_j.unwrap(), 40.0), "{w:?}");
}

#[test]
fn window_falls_back_to_power_when_the_counter_cannot_bracket() {
    let s = series(vec![
        sample(0, Some(1), Some(10.0), Some(0.0)),
        sample(S, Some(1), Some(10.0), None), // counter read failed at the edge
        sample(2 * S, Some(1), Some(10.0), None),
    ]);
    let w = s.window(S / 2, 2 * S);
    assert!(close(w.energy_j.unwrap(), 15.0), "{w:?}");
}

#[test]
fn a_counter_too_coarse_for_the_window_gives_way_to_the_power_integral() {
    // NVML on an H100: the energy counter holds one value for longer than a short generation,
    // while the power reading moves. Over [0.5 s, 1.5 s] the counter reads 100 J at both edges.
    let s = series(vec![
        sample(0, Some(1), Some(200.0), Some(100.0)),
        sample(S, Some(1), Some(300.0), Some(100.0)),
        sample(2 * S, Some(1), Some(200.0), Some(100.0)),
        sample(3 * S, Some(1), Some(200.0), Some(600.0)),
    ]);
    let w = s.window(S / 2, S + S / 2);
    // P(0.5) = 250, P(1) = 300, P(1.5) = 250: (250+300)/2·0.5 + (300+250)/2·0.5 = 275 J.
    assert!(close(w.energy_j.unwrap(), 275.0), "{w:?}");
    assert_eq!(w.energy_method, Some(EnergyMethod::PowerIntegralCounterTooCoarse));
    assert_eq!(w.power_null_reason, None);
    // Where the counter advances, it is used.
    let w = s.window(2 * S, 3 * S);
    assert_eq!((w.energy_j, w.energy_method), (Some(500.0), Some(EnergyMethod::Counter)));
    // A flat counter without power samples leaves energy null, with the reason.
    let flat = series(vec![sample(0, Some(1), None, Some(5.0)), sample(S, Some(1), None, Some(5.0))]);
    let w = flat.window(S / 4, S / 2);
    assert_eq!((w.energy_j, w.energy_method), (None, None));
    assert!(w.power_null_reason.unwrap().contains("did not advance within this 250.0 ms window"));
    // A source without a counter is integrated, and says so.
    let power_only = series(vec![sample(0, Some(1), Some(10.0), None), sample(S, Some(1), Some(10.0), None)]);
    assert_eq!(power_only.window(0, S).energy_method, Some(EnergyMethod::PowerIntegral));
}

#[test]
fn a_window_shorter_than_two_counter_steps_is_integrated_from_power() {
    // The counter steps by 400 J every 4 s (100 W), sampled each second; power reads 100 W.
    let s = series(
        (0..=16u64)
            .map(|i| sample(i * S, Some(1), Some(100.0), Some(400.0 * (i / 4) as f64)))
            .collect(),
    );
    // [3.5 s, 4.5 s] straddles one step: the counter's interpolation says 200 J for 1 s
    // (200 W), the power samples 100 J.
    let w = s.window(3 * S + S / 2, 4 * S + S / 2);
    assert_eq!(w.energy_method, Some(EnergyMethod::PowerIntegralCounterTooCoarse));
    assert!(close(w.energy_j.unwrap(), 100.0), "{w:?}");
    // Over two steps and more, the counter is used.
    let w = s.window(4 * S, 12 * S);
    assert_eq!((w.energy_j, w.energy_method), (Some(800.0), Some(EnergyMethod::Counter)));
}

#[test]
fn window_peaks_use_the_sample_before_only_between_samples() {
    let s = series(vec![
        sample(0, Some(100), Some(5.0), None),
        sample(S, Some(400), Some(5.0), None),
        sample(2 * S, Some(700), Some(5.0), None),
    ]);
    // A 10 ms window between two samples: the sample before stands for it.
    let w = s.window(S + S / 10, S + S / 10 + S / 100);
    assert_eq!(w.samples, 0);
    assert_eq!(w.peak_rss_bytes, Some(400));
    assert_eq!(w.peak_gpu_memory_bytes, Some(200));
    assert!(close(w.energy_j.unwrap(), 0.05), "{w:?}");
    assert!(close(w.mean_power_w.unwrap(), 5.0), "{w:?}");

    // After the last sample: nothing is known, nothing is extrapolated.
    let w = s.window(3 * S, 4 * S);
    assert_eq!((w.peak_rss_bytes, w.peak_gpu_memory_bytes, w.energy_j, w.mean_power_w), (None, None, None, None));
    let reason = w.power_null_reason.unwrap();
    assert!(reason.contains("no power samples around the window"), "{reason}");
    assert!(w.gpu_memory_null_reason.unwrap().contains("no GPU-memory samples"));

    // Before the first sample.
    let w = s.window(0, S / 2).peak_rss_bytes;
    assert_eq!(w, Some(100)); // the sample at 0 is inside [0, 0.5 s]
    let late_start = series(vec![sample(5 * S, Some(1), Some(1.0), None), sample(6 * S, Some(2), Some(1.0), None)]);
    let w = late_start.window(S, 2 * S);
    assert_eq!((w.peak_rss_bytes, w.energy_j), (None, None));

    // A window that starts inside the span but ends after it: peaks from inside, no energy.
    let w = s.window(S + S / 2, 5 * S);
    assert_eq!(w.peak_rss_bytes, Some(700));
    assert_eq!(w.energy_j, None);
    assert!(w.power_null_reason.is_some());
}

#[test]
fn window_without_power_source_or_samples() {
    let mut s = series(vec![sample(0, Some(1), None, None), sample(S, Some(2), None, None)]);
    s.power_source = None;
    s.power_null_reason = Some("RAPL energy_uj not readable: permission denied".into());
    s.gpu_memory_source = None;
    s.gpu_memory_kind = None;
    s.gpu_memory_null_reason = Some("CPU back-end".into());
    for i in 0..2 {
        s.samples[i].gpu_memory_bytes = None;
    }
    let w = s.window(0, S);
    assert_eq!(w.peak_rss_bytes, Some(2));
    assert_eq!((w.energy_j, w.mean_power_w, w.peak_gpu_memory_bytes), (None, None, None));
    assert_eq!(w.power_null_reason.as_deref(), Some("RAPL energy_uj not readable: permission denied"));
    assert_eq!(w.gpu_memory_null_reason.as_deref(), Some("CPU back-end"));

    let empty = series(Vec::new());
    let w = empty.window(0, S);
    assert_eq!(w, WindowStats {
        samples: 0,
        power_null_reason: w.power_null_reason.clone(),
        gpu_memory_null_reason: w.gpu_memory_null_reason.clone(),
        ..WindowStats::default()
    });
    assert!(w.power_null_reason.unwrap().contains("recorded nothing"));

    // Inverted window.
    let w = series(vec![sample(0, Some(1), Some(1.0), None), sample(S, Some(1), Some(1.0), None)]).window(S, 0);
    assert_eq!((w.peak_rss_bytes, w.energy_j, w.samples), (None, None, 0));
}

// ---------------------------------------------------------------------------------------------
// Sampler

#[test]
fn monotonic_clock_advances() {
    let a = monotonic_ns();
    std::thread::sleep(Duration::from_millis(20));
    let b = monotonic_ns();
    assert!(b - a >= 20_000_000 && b - a < 5_000_000_000, "{a} {b}");
}

#[test]
fn sampler_on_this_process_without_power() {
    let config = SamplerConfig { hz: 50.0, ..SamplerConfig::new(std::process::id()) };
    let t0 = monotonic_ns();
    let handle = Sampler::start(config);
    std::thread::sleep(Duration::from_millis(300));
    let t1 = monotonic_ns();
    assert!(handle.is_running());
    let series = handle.stop();

    let n = series.samples.len();
    assert!((8..=40).contains(&n), "{n} samples in 300 ms at 50 Hz");
    assert_eq!(series.hz, 50.0);
    assert_eq!(series.pid, std::process::id());
    assert!(series.samples.iter().all(|s| s.rss_bytes.is_some_and(|r| r > 0)), "{:?}", series.rss_errors);
    assert!(series.samples.iter().all(|s| s.power_w.is_none() && s.energy_j.is_none() && s.gpu_memory_bytes.is_none()));
    assert!(series.samples.windows(2).all(|w| w[0].t_ns < w[1].t_ns));
    let gaps: Vec<u64> = series.samples.windows(2).map(|w| w[1].t_ns - w[0].t_ns).collect();
    let median_gap = {
        let mut g = gaps.clone();
        g.sort_unstable();
        g[g.len() / 2]
    };
    assert!((15_000_000..=40_000_000).contains(&median_gap), "{gaps:?}");
    assert!(series.samples[0].t_ns >= t0 && series.samples[n - 1].t_ns >= t1);

    assert_eq!(series.power_source, None);
    assert_eq!(series.power_null_reason.as_deref(), Some("no power source configured"));
    assert_eq!(series.gpu_memory_null_reason.as_deref(), Some("no GPU-memory source configured"));
    assert_eq!(series.rss_errors.count, 0);

    let w = series.window(t0, t1);
    assert!(w.peak_rss_bytes.is_some_and(|r| r > 0));
    assert_eq!(w.energy_j, None);
    assert_eq!(w.power_null_reason.as_deref(), Some("no power source configured"));
    serde_json::to_string(&series).unwrap();
}

#[test]
fn sampler_on_the_orin_nx_fixture() {
    let mut config = SamplerConfig::new(4242);
    config.hz = 100.0;
    config.proc_root = fixture_proc("orin-nx");
    config.sys_root = fixture_sys("orin-nx");
    config.gpu_memory = GpuMemorySource::Nvmap;
    let config = config.detect_power();
    assert_eq!(config.power.as_ref().unwrap().name(), "ina3221:VDD_IN");
    let handle = Sampler::start(config);
    std::thread::sleep(Duration::from_millis(100));
    let series = handle.stop();

    assert!(series.samples.len() >= 3);
    assert_eq!(series.power_source.as_deref(), Some("ina3221:VDD_IN"));
    assert_eq!(series.gpu_memory_source.as_deref(), Some("nvmap"));
    assert_eq!(series.gpu_memory_kind, Some(MemoryKind::Unified));
    for s in &series.samples {
        assert_eq!(s.rss_bytes, Some(1_887_436 * 1024));
        assert_eq!(s.gpu_memory_bytes, Some(471_036 * 1024));
        assert_eq!(s.power_w, Some(6.623736));
        assert_eq!(s.energy_j, None);
    }
    let (first, last) = (series.samples[0].t_ns, series.samples.last().unwrap().t_ns);
    let w = series.window(first, last);
    let seconds = (last - first) as f64 / 1e9;
    assert!(close(w.energy_j.unwrap(), 6.623736 * seconds), "{w:?}");
    assert!(close(w.mean_power_w.unwrap(), 6.623736), "{w:?}");
    assert_eq!(w.peak_gpu_memory_bytes, Some(471_036 * 1024));
}

#[test]
fn sampler_survives_failing_and_panicking_sources() {
    struct Failing;
    impl PowerSource for Failing {
        fn name(&self) -> String {
            "failing".into()
        }
        fn read(&mut self) -> Result<PowerReading, String> {
            Err("sensor unplugged".into())
        }
    }
    struct Panicking;
    impl PowerSource for Panicking {
        fn name(&self) -> String {
            "panicking".into()
        }
        fn read(&mut self) -> Result<PowerReading, String> {
            panic!("bug in a power source")
        }
    }

    let mut config = SamplerConfig::new(std::process::id());
    config.hz = 200.0;
    config.power = Some(Box::new(Failing));
    let handle = Sampler::start(config);
    std::thread::sleep(Duration::from_millis(30));
    let series = handle.stop();
    assert!(series.power_errors.count >= 2);
    assert_eq!(series.power_errors.first.as_deref(), Some("sensor unplugged"));
    assert_eq!(series.power_null_reason.as_deref(), Some("every power read failed: sensor unplugged"));
    assert!(series.samples.iter().all(|s| s.rss_bytes.is_some()));
    let (a, b) = (series.samples[0].t_ns, series.samples.last().unwrap().t_ns);
    assert!(series.window(a, b).power_null_reason.unwrap().contains("sensor unplugged"));

    let mut config = SamplerConfig::new(std::process::id());
    config.hz = 200.0;
    config.power = Some(Box::new(Panicking));
    let handle = Sampler::start(config);
    std::thread::sleep(Duration::from_millis(30));
    let series = handle.stop();
    assert_eq!(series.power_errors.count, 1, "a panicking source is read once");
    assert!(series.power_null_reason.unwrap().contains("panicked"));
    assert!(series.samples.len() >= 2);
}

#[test]
fn sampler_records_why_gpu_memory_is_missing() {
    let mut config = SamplerConfig::new(std::process::id());
    config.proc_root = fixture_proc("none");
    config.gpu_memory = GpuMemorySource::Nvmap;
    let series = Sampler::start(config).stop();
    assert_eq!((series.gpu_memory_source.as_deref(), series.gpu_memory_kind), (None, None));
    assert!(series.gpu_memory_null_reason.unwrap().contains("no NvMapMemUsed"));
    // The fixture proc has no status for this pid.
    assert!(series.samples.iter().all(|s| s.rss_bytes.is_none()));
    assert!(series.rss_errors.first.as_deref().unwrap().ends_with("not found"));

    let mut config = SamplerConfig::new(std::process::id());
    config.gpu_memory = GpuMemorySource::Nvml { index: 0 };
    let series = Sampler::start(config).stop();
    match nvml() {
        Err(reason) => {
            assert_eq!(series.gpu_memory_null_reason, Some(reason));
            assert_eq!(series.gpu_memory_kind, None);
        }
        Ok(_) => {
            assert_eq!(series.gpu_memory_kind, Some(MemoryKind::Dedicated));
            assert_eq!(series.gpu_memory_source.as_deref(), Some("nvml_process:gpu0"));
            assert!(series.samples.iter().all(|s| s.gpu_memory_bytes == Some(0)));
        }
    }

    let mut config = SamplerConfig::new(std::process::id());
    config.gpu_memory_null_reason = Some("CPU back-end".into());
    let series = Sampler::start(config).stop();
    assert_eq!(series.gpu_memory_null_reason.as_deref(), Some("CPU back-end"));
}

#[test]
fn sampler_sees_a_child_exit() {
    let mut child = std::process::Command::new("sleep").arg("0.15").spawn().unwrap();
    let config = SamplerConfig { hz: 100.0, ..SamplerConfig::new(child.id()) };
    let handle = Sampler::start(config);
    child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let series = handle.stop();
    assert!(series.samples.first().unwrap().rss_bytes.is_some_and(|r| r > 0));
    assert_eq!(series.samples.last().unwrap().rss_bytes, None);
    assert!(series.rss_errors.count >= 1);
    eprintln!("after exit: {:?}", series.rss_errors.first);
}
