//! The protocol on this machine's CPU (small sizes: a correctness test, not a measurement), and
//! the errors a bad request gets before anything runs.

use edgebench_microbench::cpu::CpuDevice;
use edgebench_microbench::cuda::{CudaDevice, driver_present};
use edgebench_microbench::{Device, Dtype, Error, Kernel, Protocol, run_sweep};

fn protocol(max: u64) -> Protocol {
    Protocol { dtypes: vec![Dtype::F32, Dtype::F16], min_elements: 64, max_elements: Some(max), warmup: 1, repetitions: 3 }
}

#[test]
fn a_small_cpu_sweep_runs_checks_and_times_every_kernel() {
    let mut device = CpuDevice::new(None).unwrap();
    let d = device.describe().clone();
    assert_eq!(d.backend, "cpu");
    assert!(d.write_allocate);
    assert!(d.threads.unwrap() >= 1);
    assert_eq!(d.launch_config["threads"], d.threads.unwrap());
    let mut lines = Vec::new();
    // 8192 + 64·k: the last size is not a power of two, and not a multiple of the thread count.
    let sweep = run_sweep(&mut device, &protocol(8192 + 192), &mut |l| lines.push(l.to_owned())).unwrap();
    let sizes: Vec<(Dtype, u64)> = sweep.sizes.iter().map(|s| (s.dtype, s.elements)).collect();
    assert_eq!(sizes.len(), 2 * 9, "{sizes:?}");
    assert_eq!(sizes[8], (Dtype::F32, 8192 + 192));
    for s in &sweep.sizes {
        assert_eq!(s.failure, None, "{} × {}", s.dtype.as_str(), s.elements);
        assert_eq!(s.timings.len(), 4 * 3);
        for k in Kernel::ALL {
            assert_eq!(s.times(k).count(), 3);
            assert!(s.times(k).all(|t| t.as_nanos() > 0));
        }
        // Rounds alternate direction: repetition 0 starts with unfused, repetition 1 with triad.
        assert_eq!((s.timings[0].kernel, s.timings[4].kernel), (Kernel::Unfused, Kernel::Triad));
        assert!(s.copy_gb_s.unwrap() > 0.0 && s.triad_gb_s.unwrap() > 0.0);
    }
    assert_eq!(lines.len(), 2 * 18 + 1, "one line per size, one for its bandwidth, one for the probe: {lines:?}");
    let probe = sweep.write_allocate_probe.expect("a CPU measures how its stores treat the cache");
    assert_eq!(probe.elements, 8192 + 192);
    assert!(probe.read_gb_s > 0.0 && probe.write_gb_s > 0.0);
    assert_eq!(sweep.device.write_allocate, probe.write_allocate);
    assert!(lines.last().unwrap().contains("write-allocate probe"), "{lines:?}");
    assert!(lines[0].starts_with("[1/18] cpu f32 × 64"), "{}", lines[0]);
}

#[test]
fn bad_requests_fail_before_anything_runs() {
    let mut device = CpuDevice::new(Some(1)).unwrap();
    // A size that cannot fit in memory: refused whole, not after the sizes that fit.
    let err = run_sweep(&mut device, &protocol(1 << 50), &mut |_| panic!("nothing may run")).unwrap_err();
    assert!(matches!(err, Error::OutOfMemory(_)), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("need 4 vectors") && msg.contains("lower --max-elements"), "{msg}");
    let err = run_sweep(&mut device, &Protocol { min_elements: 0, ..protocol(64) }, &mut |_| panic!("nothing may run")).unwrap_err();
    assert!(err.to_string().contains("--min-elements is 0"), "{err}");
    let err = run_sweep(&mut device, &Protocol { dtypes: vec![], ..protocol(64) }, &mut |_| panic!("nothing may run")).unwrap_err();
    assert!(err.to_string().contains("no element type"), "{err}");
    assert!(CpuDevice::new(Some(0)).err().unwrap().to_string().contains("--threads is 0"));
    assert!(CpuDevice::new(Some(100_000)).err().unwrap().to_string().contains("one pinned thread per core"));
}

#[test]
fn cuda_without_a_driver_says_so() {
    if driver_present() {
        eprintln!("an NVIDIA driver is present here: the no-driver path is not exercised on this machine");
        return;
    }
    let err = CudaDevice::new(0).err().expect("no driver, no device");
    assert!(matches!(err, Error::Unavailable(_)));
    assert!(err.to_string().contains("no NVIDIA driver") && err.to_string().contains("nothing was measured"), "{err}");
}
