//! Host fingerprint: the pure parsers on fixture text, `assemble` on three fixture hosts (x86
//! Debian, Jetson Orin NX, a macOS-like host without any of the files), and `fingerprint()` on this
//! machine.

use std::path::{Path, PathBuf};

use edgebench_collector::host::{
    CpuInfo, GpuFacts, HostFiles, HostRoots, SystemFacts, assemble, fingerprint, fingerprint_sha256,
    format_cuda_version, parse_cpuinfo, parse_device_tree_strings, parse_meminfo_total, parse_nv_tegra_release,
    parse_os_release, physical_cores_from_siblings, read_system_facts, tegra_gpu_name,
};
use edgebench_dataset::ids::row_id;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/device").join(name)
}

fn files(name: &str) -> HostFiles {
    HostFiles::read(&HostRoots::under(&fixture(name)))
}

/// What sysinfo reports on the x86 fixture host.
fn x86_sysinfo() -> SystemFacts {
    SystemFacts {
        cpu_brands: vec!["Intel(R) Celeron(R) N4020 CPU @ 1.10GHz".into(); 2],
        logical_cores: Some(2),
        physical_cores: Some(2),
        ram_bytes: Some(8_219_398_144),
        os_name: Some("Debian GNU/Linux".into()),
        os_version: Some("12".into()),
        long_os_version: Some("Linux (Debian GNU/Linux 12)".into()),
        kernel: Some("6.1.0-18-amd64".into()),
        arch: Some("x86_64".into()),
    }
}

/// What sysinfo reports on a Jetson Orin NX 16GB (it decodes CPU part 0xd42).
fn jetson_sysinfo() -> SystemFacts {
    SystemFacts {
        cpu_brands: vec!["Cortex-A78AE".into(); 8],
        logical_cores: Some(8),
        physical_cores: Some(8),
        ram_bytes: Some(16_183_046_144),
        os_name: Some("Ubuntu".into()),
        os_version: Some("22.04".into()),
        long_os_version: Some("Linux (Ubuntu 22.04)".into()),
        kernel: Some("5.15.136-tegra".into()),
        arch: Some("aarch64".into()),
    }
}

fn no_gpu() -> GpuFacts {
    GpuFacts { notes: vec!["gpu: NVML unavailable (test)".into()], ..GpuFacts::default() }
}

// --- pure parsers --------------------------------------------------------------------------------

#[test]
fn cpuinfo_x86_gives_model_name_and_physical_cores() {
    let text = std::fs::read_to_string(fixture("x86-debian/proc/cpuinfo")).unwrap();
    assert_eq!(
        parse_cpuinfo(&text),
        CpuInfo {
            model_name: Some("Intel(R) Celeron(R) N4020 CPU @ 1.10GHz".into()),
            processors: 2,
            physical_cores: Some(2),
            arm_parts: vec![],
        }
    );
}

#[test]
fn cpuinfo_counts_hyperthreads_once_per_physical_and_core_id() {
    // Two sockets, two cores each, two threads per core; old Xeon names carry runs of spaces.
    let mut text = String::new();
    let mut n = 0;
    for socket in 0..2 {
        for core in 0..2 {
            for _thread in 0..2 {
                text.push_str(&format!(
                    "processor\t: {n}\nmodel name\t: Intel(R) Xeon(R) CPU           E5-2680 v4 @ 2.40GHz\n\
                     physical id\t: {socket}\ncore id\t\t: {core}\n\n"
                ));
                n += 1;
            }
        }
    }
    let info = parse_cpuinfo(&text);
    assert_eq!(info.processors, 8);
    assert_eq!(info.physical_cores, Some(4));
    assert_eq!(info.model_name.as_deref(), Some("Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz"));
}

#[test]
fn cpuinfo_jetson_has_no_model_name_but_arm_parts() {
    let text = std::fs::read_to_string(fixture("jetson-orin-nx/proc/cpuinfo")).unwrap();
    assert_eq!(
        parse_cpuinfo(&text),
        CpuInfo {
            model_name: None,
            processors: 8,
            physical_cores: None,
            arm_parts: vec![("0x41".into(), "0xd42".into())],
        }
    );
    // big.LITTLE: two distinct parts, in order of appearance.
    let mixed = "processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd05\n\n\
                 processor\t: 1\nCPU implementer\t: 0x41\nCPU part\t: 0xd05\n\n\
                 processor\t: 2\nCPU implementer\t: 0x41\nCPU part\t: 0xd0b\n\n";
    assert_eq!(
        parse_cpuinfo(mixed).arm_parts,
        vec![("0x41".to_owned(), "0xd05".to_owned()), ("0x41".to_owned(), "0xd0b".to_owned())]
    );
    // Old ARM kernels: a global "Processor : ARMv7 …" line is not a processor entry.
    let old = "Processor\t: ARMv7 Processor rev 10 (v7l)\nprocessor\t: 0\nBogoMIPS\t: 1581.05\n\n";
    assert_eq!(parse_cpuinfo(old).processors, 1);
    assert_eq!(parse_cpuinfo("").processors, 0);
}

#[test]
fn os_release_pretty_name_and_fallbacks() {
    let debian = std::fs::read_to_string(fixture("x86-debian/etc/os-release")).unwrap();
    assert_eq!(parse_os_release(&debian).as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
    let ubuntu = std::fs::read_to_string(fixture("jetson-orin-nx/etc/os-release")).unwrap();
    assert_eq!(parse_os_release(&ubuntu).as_deref(), Some("Ubuntu 22.04.4 LTS"));
    assert_eq!(parse_os_release("NAME='Arch Linux'\nVERSION=rolling\n").as_deref(), Some("Arch Linux rolling"));
    assert_eq!(parse_os_release("NAME=Alpine\n").as_deref(), Some("Alpine"));
    assert_eq!(parse_os_release("PRETTY_NAME=\"\"\nID=x\n"), None);
    assert_eq!(parse_os_release("garbage"), None);
}

#[test]
fn nv_tegra_release_gives_l4t_version() {
    let text = std::fs::read_to_string(fixture("jetson-orin-nx/etc/nv_tegra_release")).unwrap();
    assert_eq!(parse_nv_tegra_release(&text).as_deref(), Some("R36.3.0"));
    let jp4 = "# R32 (release), REVISION: 7.1, GCID: 29818004, BOARD: t210ref, EABI: aarch64, DATE: Sat Feb 19 17:05:08 UTC 2022\n";
    assert_eq!(parse_nv_tegra_release(jp4).as_deref(), Some("R32.7.1"));
    assert_eq!(parse_nv_tegra_release("TARGET_USERSPACE_LIB_DIR=nvidia\n"), None);
    assert_eq!(parse_nv_tegra_release("# Rxx (release), REVISION: 3.0\n"), None);
}

#[test]
fn small_parsers() {
    assert_eq!(
        parse_device_tree_strings(b"nvidia,p3768-0000+p3767-0000\0nvidia,p3767-0000\0nvidia,tegra234\0"),
        vec!["nvidia,p3768-0000+p3767-0000", "nvidia,p3767-0000", "nvidia,tegra234"]
    );
    assert_eq!(parse_device_tree_strings(b"\0"), Vec::<String>::new());
    assert_eq!(parse_meminfo_total("MemTotal:        8026756 kB\nMemFree: 1 kB\n"), Some(8_026_756 * 1024));
    assert_eq!(parse_meminfo_total("MemFree: 1 kB\n"), None);
    assert_eq!(parse_meminfo_total("MemTotal: lots kB\n"), None);
    assert_eq!(physical_cores_from_siblings(&["0,2".into(), "1,3".into(), "0,2".into(), "1,3".into()]), Some(2));
    assert_eq!(physical_cores_from_siblings(&[]), None);
    assert_eq!(format_cuda_version(12040), "12.4");
    assert_eq!(format_cuda_version(11080), "11.8");
    assert_eq!(format_cuda_version(12060), "12.6");
    let compat = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(tegra_gpu_name(&compat(&["nvidia,tegra234"]), None).as_deref(), Some("NVIDIA Orin (nvgpu)"));
    assert_eq!(
        tegra_gpu_name(&[], Some("NVIDIA Jetson AGX Orin Developer Kit")).as_deref(),
        Some("NVIDIA Orin (nvgpu)")
    );
    assert_eq!(tegra_gpu_name(&compat(&["nvidia,tegra194"]), None).as_deref(), Some("NVIDIA Xavier (nvgpu)"));
    assert_eq!(tegra_gpu_name(&compat(&["raspberrypi,4-model-b"]), Some("Raspberry Pi 4 Model B")), None);
}

// --- fixture hosts ------------------------------------------------------------------------------

#[test]
fn x86_debian_host() {
    let f = files("x86-debian");
    assert_eq!(f.cpu_thread_siblings, vec!["0", "1"]);
    assert!(f.nv_tegra_release.is_none() && f.device_tree_model.is_none());
    let fp = assemble(&x86_sysinfo(), &f, &no_gpu());
    assert_eq!(fp.cpu_model, "Intel(R) Celeron(R) N4020 CPU @ 1.10GHz");
    assert_eq!(fp.cpu_logical_cores, 2);
    assert_eq!(fp.cpu_physical_cores, Some(2));
    assert_eq!(fp.ram_bytes, 8_219_398_144);
    assert_eq!(fp.os, "Debian GNU/Linux 12 (bookworm)");
    assert_eq!(fp.kernel, "6.1.0-18-amd64");
    assert_eq!(fp.arch, "x86_64");
    assert_eq!((fp.gpu_name.as_deref(), fp.gpu_driver.as_deref(), fp.cuda_version.as_deref()), (None, None, None));
    assert!(fp.notes.iter().any(|n| n.contains("NVML unavailable")), "{:?}", fp.notes);

    // With an NVIDIA driver (an RTX 3090 server), the GPU fields come from NVML.
    let gpu = GpuFacts {
        name: Some("NVIDIA GeForce RTX 3090".into()),
        driver: Some("550.54.14".into()),
        cuda_version: Some("12.4".into()),
        notes: vec![],
    };
    let with_gpu = assemble(&x86_sysinfo(), &f, &gpu);
    assert_eq!(with_gpu.gpu_name.as_deref(), Some("NVIDIA GeForce RTX 3090"));
    assert_eq!(with_gpu.gpu_driver.as_deref(), Some("550.54.14"));
    assert_eq!(with_gpu.cuda_version.as_deref(), Some("12.4"));
    assert_ne!(with_gpu.sha256, fp.sha256, "the GPU is part of the fingerprint");
}

#[test]
fn x86_host_falls_back_to_files_when_sysinfo_reports_nothing() {
    let facts = SystemFacts { arch: Some("x86_64".into()), ..SystemFacts::default() };
    let fp = assemble(&facts, &files("x86-debian"), &no_gpu());
    assert_eq!(fp.cpu_model, "Intel(R) Celeron(R) N4020 CPU @ 1.10GHz");
    assert_eq!(fp.cpu_logical_cores, 2, "processor entries of /proc/cpuinfo");
    assert_eq!(fp.cpu_physical_cores, Some(2));
    assert_eq!(fp.ram_bytes, 8_026_756 * 1024, "MemTotal of /proc/meminfo");
    assert_eq!(fp.os, "Debian GNU/Linux 12 (bookworm)");
    assert_eq!(fp.kernel, "6.1.0-18-amd64", "/proc/sys/kernel/osrelease");
    for what in ["cpu_logical_cores: from /proc/cpuinfo", "ram_bytes: from /proc/meminfo"] {
        assert!(fp.notes.iter().any(|n| n.starts_with(what)), "no note `{what}` in {:?}", fp.notes);
    }
}

#[test]
fn jetson_orin_nx_host() {
    let f = files("jetson-orin-nx");
    let fp = assemble(&jetson_sysinfo(), &f, &no_gpu());
    assert_eq!(fp.cpu_model, "Cortex-A78AE (NVIDIA Jetson Orin NX Engineering Reference Developer Kit)");
    assert_eq!(fp.cpu_logical_cores, 8);
    assert_eq!(fp.cpu_physical_cores, Some(8), "distinct thread_siblings_list in sysfs");
    assert_eq!(fp.ram_bytes, 16_183_046_144);
    assert_eq!(fp.os, "Ubuntu 22.04.4 LTS (L4T R36.3.0)");
    assert_eq!(fp.kernel, "5.15.136-tegra");
    assert_eq!(fp.arch, "aarch64");
    assert_eq!(fp.gpu_name.as_deref(), Some("NVIDIA Orin (nvgpu)"));
    assert_eq!(fp.gpu_driver.as_deref(), Some("L4T R36.3.0"));
    assert_eq!(fp.cuda_version, None, "no NVML and no libcuda in this test");

    // libcuda answered (as it does on a real Jetson).
    let gpu = GpuFacts { cuda_version: Some("12.2".into()), ..GpuFacts::default() };
    assert_eq!(assemble(&jetson_sysinfo(), &f, &gpu).cuda_version.as_deref(), Some("12.2"));

    // sysinfo could not decode the CPU part: the raw ids are recorded, with a note.
    let raw = SystemFacts { cpu_brands: vec![String::new(); 8], ..jetson_sysinfo() };
    let fp = assemble(&raw, &f, &no_gpu());
    assert_eq!(
        fp.cpu_model,
        "CPU implementer 0x41 part 0xd42 (NVIDIA Jetson Orin NX Engineering Reference Developer Kit)"
    );
    assert!(fp.notes.iter().any(|n| n.starts_with("cpu_model:")));

    // Without nv_tegra_release the device tree alone does not make a GPU.
    let not_jetson = HostFiles { nv_tegra_release: None, ..f.clone() };
    let fp = assemble(&jetson_sysinfo(), &not_jetson, &no_gpu());
    assert_eq!((fp.gpu_name, fp.gpu_driver), (None, None));
    assert_eq!(fp.os, "Ubuntu 22.04.4 LTS");
}

#[test]
fn macos_like_host_uses_sysinfo_only() {
    let f = files("empty");
    assert_eq!(f, HostFiles::default(), "no file exists in the empty tree");
    let mac = SystemFacts {
        cpu_brands: vec!["Apple M4".into(); 10],
        logical_cores: Some(10),
        physical_cores: Some(10),
        ram_bytes: Some(17_179_869_184),
        os_name: Some("Darwin".into()),
        os_version: Some("15.1.1".into()),
        long_os_version: Some("macOS 15.1.1 Sequoia".into()),
        kernel: Some("24.1.0".into()),
        arch: Some("arm64".into()),
    };
    let fp = assemble(&mac, &f, &no_gpu());
    assert_eq!(fp.cpu_model, "Apple M4");
    assert_eq!(fp.cpu_logical_cores, 10);
    assert_eq!(fp.cpu_physical_cores, Some(10));
    assert_eq!(fp.ram_bytes, 17_179_869_184);
    assert_eq!(fp.os, "macOS 15.1.1 Sequoia");
    assert_eq!(fp.kernel, "24.1.0");
    assert_eq!(fp.arch, "arm64");
    assert_eq!((fp.gpu_name, fp.gpu_driver, fp.cuda_version), (None, None, None));

    // Nothing at all: nullable fields are None, the others say `unknown`, and notes say why.
    let fp = assemble(&SystemFacts::default(), &f, &GpuFacts::default());
    assert_eq!((fp.cpu_model.as_str(), fp.os.as_str(), fp.kernel.as_str()), ("unknown", "unknown", "unknown"));
    assert_eq!((fp.cpu_logical_cores, fp.cpu_physical_cores, fp.ram_bytes), (0, None, 0));
    for field in ["cpu_model", "cpu_logical_cores", "cpu_physical_cores", "ram_bytes", "os", "kernel", "arch"] {
        assert!(fp.notes.iter().any(|n| n.starts_with(field)), "no note for {field}: {:?}", fp.notes);
    }
}

#[test]
fn digest_is_the_canonical_row_id_of_the_host_fields_and_ignores_notes() {
    let fp = assemble(&x86_sysinfo(), &files("x86-debian"), &no_gpu());
    let expected = row_id(
        "host",
        &[
            ("cpu_model", Some("Intel(R) Celeron(R) N4020 CPU @ 1.10GHz".into())),
            ("cpu_logical_cores", Some("2".into())),
            ("cpu_physical_cores", Some("2".into())),
            ("ram_bytes", Some("8219398144".into())),
            ("os", Some("Debian GNU/Linux 12 (bookworm)".into())),
            ("kernel", Some("6.1.0-18-amd64".into())),
            ("arch", Some("x86_64".into())),
            ("gpu_name", None),
            ("gpu_driver", None),
            ("cuda_version", None),
        ],
    );
    assert_eq!(fp.sha256, expected);
    assert_eq!(fingerprint_sha256(&fp), expected);
    let other_notes = assemble(&x86_sysinfo(), &files("x86-debian"), &GpuFacts::default());
    assert_eq!(other_notes.sha256, fp.sha256);
    let other_kernel = SystemFacts { kernel: Some("6.1.0-21-amd64".into()), ..x86_sysinfo() };
    assert_ne!(assemble(&other_kernel, &files("x86-debian"), &no_gpu()).sha256, fp.sha256);
}

// --- this machine -------------------------------------------------------------------------------

#[test]
fn fingerprint_of_this_machine() {
    let sys = read_system_facts();
    eprintln!("{sys:#?}");
    assert!(!sys.cpu_brands.is_empty(), "sysinfo lists the CPUs");
    assert_eq!(sys.logical_cores, Some(sys.cpu_brands.len() as u32));
    assert!(sys.ram_bytes.is_some() && sys.kernel.is_some() && sys.arch.is_some() && sys.os_name.is_some());
    let a = fingerprint(&HostRoots::default());
    let b = fingerprint(&HostRoots::default());
    eprintln!("{a:#?}");
    assert!(!a.cpu_model.is_empty() && a.cpu_model != "unknown");
    assert!(!a.os.is_empty() && a.os != "unknown");
    assert!(!a.kernel.is_empty() && a.kernel != "unknown");
    assert!(!a.arch.is_empty() && a.arch != "unknown");
    assert!(a.cpu_logical_cores >= 1);
    assert!(a.cpu_physical_cores.is_none_or(|p| p >= 1 && p <= a.cpu_logical_cores));
    assert!(a.ram_bytes > 0);
    assert_eq!(a.sha256, b.sha256, "the fingerprint is stable");
    assert_eq!(a.sha256, fingerprint_sha256(&a));
    let has_nvidia_driver = nvml_wrapper_present() || Path::new("/etc/nv_tegra_release").exists();
    if !has_nvidia_driver {
        assert_eq!((a.gpu_name.as_deref(), a.gpu_driver.as_deref()), (None, None));
        assert!(a.notes.iter().any(|n| n.starts_with("gpu: NVML unavailable")), "{:?}", a.notes);
    } else {
        assert!(a.gpu_name.is_some(), "an NVIDIA driver is installed but no GPU is named: {:?}", a.notes);
    }
    // The hostname is never part of what is recorded.
    if let Ok(host) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        let host = host.trim();
        if host.len() >= 4 {
            let recorded = format!("{:?}", (&a.cpu_model, &a.os, &a.kernel, &a.arch, &a.gpu_name, &a.notes));
            assert!(!recorded.contains(host), "hostname `{host}` leaked into {recorded}");
        }
    }
}

/// Whether an NVIDIA driver's NVML library loads here.
fn nvml_wrapper_present() -> bool {
    nvml_wrapper::Nvml::init().is_ok()
}
