//! The protocol, the same on every device.
//!
//! For each element type and vector length: allocate and fill the vectors (untimed), run every
//! kernel once and check its result exactly, run `warmup` more untimed rounds, then `repetitions`
//! timed rounds. A round runs the four kernels (unfused, fused, copy, triad) in turn, forwards on
//! even rounds and backwards on odd ones, so that a drift of the machine (clock, a neighbour on a
//! shared host) lands on every kernel alike rather than on whichever always runs first. The
//! bandwidth of a size is STREAM's: credited bytes over the fastest repetition.
//!
//! Lengths double from `min_elements` to `max_elements`; by default the last one is the first
//! whose vectors are at least four times the last-level cache (STREAM's rule), so that `t` cannot
//! stay in cache between the two unfused kernels.

use std::time::Duration;

use serde::Serialize;

use crate::model::{Dtype, Kernel};
use crate::{Device, DeviceDescription, Error};

/// Vector lengths must be multiples of this: CPU slices stay cache-line aligned per thread, and
/// CUDA kernels load 16 bytes (4 f32 or 8 f16) at a time.
pub const ELEMENT_QUANTUM: u64 = 64;

/// What to measure.
#[derive(Debug, Clone, Serialize)]
pub struct Protocol {
    pub dtypes: Vec<Dtype>,
    pub min_elements: u64,
    /// `None`: the first doubling whose vector is ≥ 4× the last-level cache.
    pub max_elements: Option<u64>,
    pub warmup: u32,
    pub repetitions: u32,
}

/// One timed run of one kernel.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Timing {
    pub kernel: Kernel,
    pub repetition: u32,
    pub elapsed: Duration,
}

/// Everything measured at one element type and vector length.
#[derive(Debug, Clone, Serialize)]
pub struct SizeResult {
    pub dtype: Dtype,
    pub elements: u64,
    pub warmup: u32,
    /// How the kernels of this size were launched ([`Device::launch_config`]).
    pub launch_config: serde_json::Value,
    pub timings: Vec<Timing>,
    /// STREAM copy and triad bandwidth (GB/s, 10⁹ bytes/s), when those kernels ran.
    pub copy_gb_s: Option<f64>,
    pub triad_gb_s: Option<f64>,
    /// Why this size stopped before its last repetition (its timed runs so far are kept).
    pub failure: Option<String>,
}

impl SizeResult {
    pub fn times(&self, kernel: Kernel) -> impl Iterator<Item = Duration> + '_ {
        self.timings.iter().filter(move |t| t.kernel == kernel).map(|t| t.elapsed)
    }
}

/// A whole sweep on one device.
#[derive(Debug, Clone, Serialize)]
pub struct Sweep {
    pub device: DeviceDescription,
    pub protocol: Protocol,
    pub sizes: Vec<SizeResult>,
    /// The write-allocate measurement that set `device.write_allocate`, where the device has one.
    pub write_allocate_probe: Option<crate::WriteAllocateProbe>,
}

/// The vector lengths of one element type, smallest first.
pub fn plan_sizes(p: &Protocol, dtype: Dtype, llc_bytes: Option<u64>) -> Result<Vec<u64>, Error> {
    let quantum = |what: &str, n: u64| {
        if n == 0 || n % ELEMENT_QUANTUM != 0 {
            Err(Error::Usage(format!("{what} is {n}: it must be a positive multiple of {ELEMENT_QUANTUM} elements")))
        } else {
            Ok(())
        }
    };
    quantum("--min-elements", p.min_elements)?;
    let max = match p.max_elements {
        Some(max) => {
            quantum("--max-elements", max)?;
            if max < p.min_elements {
                return Err(Error::Usage(format!("--max-elements ({max}) is below --min-elements ({})", p.min_elements)));
            }
            max
        }
        None => {
            let llc = llc_bytes.ok_or_else(|| {
                Error::Usage("the device does not report its last-level cache size: give --max-elements (vectors of at least 4× that cache)".into())
            })?;
            let target = (4 * llc).div_ceil(dtype.bytes());
            let mut n = p.min_elements;
            while n < target {
                n *= 2;
            }
            n
        }
    };
    let mut sizes = Vec::new();
    let mut n = p.min_elements;
    while n <= max {
        sizes.push(n);
        n *= 2;
    }
    if sizes.last() != Some(&max) {
        sizes.push(max);
    }
    if p.repetitions == 0 {
        return Err(Error::Usage("--repetitions is 0: at least one timed repetition is needed (the report's intervals want 15 or more)".into()));
    }
    Ok(sizes)
}

/// Every (element type, length) the sweep will measure, after checking that the largest fits in
/// the device's memory: a size that cannot fit is a usage error before anything ran, never a
/// partial sweep.
pub fn plan(device: &dyn Device, protocol: &Protocol) -> Result<Vec<(Dtype, u64)>, Error> {
    let description = device.describe();
    let mut plan = Vec::new();
    for &dtype in &protocol.dtypes {
        for n in plan_sizes(protocol, dtype, description.last_level_cache_bytes)? {
            plan.push((dtype, n));
        }
    }
    let Some((dtype, n)) = plan.iter().copied().max_by_key(|&(d, n)| n * d.bytes()) else {
        return Err(Error::Usage("no element type given: name f32, f16 or both".into()));
    };
    let available = device.available_bytes()?;
    let needed = 4 * n * dtype.bytes();
    if needed > available {
        return Err(Error::OutOfMemory(format!(
            "{n} elements of {} need 4 vectors of {:.2} GiB ({:.2} GiB) but {} has {:.2} GiB free; lower --max-elements",
            dtype.as_str(),
            gib(n * dtype.bytes()),
            gib(needed),
            description.name,
            gib(available)
        )));
    }
    Ok(plan)
}

/// Measures every size of [`plan`] on `device`.
pub fn run_sweep(device: &mut dyn Device, protocol: &Protocol, progress: &mut dyn FnMut(&str)) -> Result<Sweep, Error> {
    let plan = plan(device, protocol)?;
    let description = device.describe().clone();
    let mut sizes = Vec::new();
    for (i, &(dtype, n)) in plan.iter().enumerate() {
        progress(&format!(
            "[{}/{}] {} {} × {n} ({:.1} MiB per vector)",
            i + 1,
            plan.len(),
            description.backend,
            dtype.as_str(),
            (n * dtype.bytes()) as f64 / (1u64 << 20) as f64
        ));
        let result = measure_size(device, protocol, dtype, n);
        if let Some(reason) = &result.failure {
            progress(&format!("  failed: {reason}"));
        } else if let (Some(c), Some(t)) = (result.copy_gb_s, result.triad_gb_s) {
            progress(&format!("  copy {c:.1} GB/s, triad {t:.1} GB/s"));
        }
        sizes.push(result);
    }
    // How the stores treat the cache, at the largest f32 length (the largest of any type if f32
    // was not asked for): the bound of every row of this sweep follows from it.
    let mut description = description;
    let probe_size = plan.iter().filter(|(d, _)| *d == Dtype::F32).max_by_key(|(_, n)| *n).or_else(|| plan.iter().max_by_key(|(d, n)| n * d.bytes()));
    let mut write_allocate_probe = None;
    if let Some(&(dtype, n)) = probe_size {
        // The same bytes per vector as that length, in f32.
        let n = n * dtype.bytes() / Dtype::F32.bytes();
        let n = usize::try_from(n).map_err(|_| Error::Usage(format!("{n} elements do not fit this machine's address space")))?;
        device.prepare(Dtype::F32, n)?;
        if let Some(probe) = device.probe_write_allocate(protocol.repetitions)? {
            progress(&format!(
                "  write-allocate probe ({} × f32): read-only {:.1} GB/s, write-only {:.1} GB/s: stores {} their line first",
                n,
                probe.read_gb_s,
                probe.write_gb_s,
                if probe.write_allocate { "read" } else { "do not read" }
            ));
            description.write_allocate = probe.write_allocate;
            write_allocate_probe = Some(probe);
        }
    }
    Ok(Sweep { device: description, protocol: protocol.clone(), sizes, write_allocate_probe })
}

fn measure_size(device: &mut dyn Device, p: &Protocol, dtype: Dtype, elements: u64) -> SizeResult {
    let launch_config = device.launch_config(dtype, elements);
    let mut result = SizeResult {
        dtype,
        elements,
        warmup: p.warmup,
        launch_config,
        timings: Vec::new(),
        copy_gb_s: None,
        triad_gb_s: None,
        failure: None,
    };
    if let Err(e) = rounds(device, p, dtype, elements, &mut result.timings) {
        result.failure = Some(e.to_string());
    }
    let best_rate = |kernel: Kernel| {
        let fastest = result.times(kernel).min()?;
        (fastest > Duration::ZERO).then(|| kernel.credited_bytes(dtype, elements) as f64 / fastest.as_secs_f64() / 1e9)
    };
    let (copy, triad) = (best_rate(Kernel::Copy), best_rate(Kernel::Triad));
    SizeResult { copy_gb_s: copy, triad_gb_s: triad, ..result }
}

fn rounds(device: &mut dyn Device, p: &Protocol, dtype: Dtype, elements: u64, out: &mut Vec<Timing>) -> Result<(), Error> {
    let n = usize::try_from(elements).map_err(|_| Error::Usage(format!("{elements} elements do not fit this machine's address space")))?;
    device.prepare(dtype, n)?;
    for kernel in Kernel::ALL {
        device.time(kernel)?;
        device.check(kernel)?;
    }
    for _ in 0..p.warmup {
        for kernel in Kernel::ALL {
            device.time(kernel)?;
        }
    }
    for repetition in 0..p.repetitions {
        let mut order = Kernel::ALL;
        if repetition % 2 == 1 {
            order.reverse();
        }
        for kernel in order {
            let elapsed = device.time(kernel)?;
            if elapsed == Duration::ZERO {
                return Err(Error::Device(format!("{} timed 0 s: the timer is too coarse for {elements} elements", kernel.as_str())));
            }
            out.push(Timing { kernel, repetition, elapsed });
        }
    }
    // Once more, untimed, and checked: a kernel that went wrong only under repetition (a race
    // between threads, a stale buffer) is caught too.
    for kernel in Kernel::ALL {
        device.time(kernel)?;
        device.check(kernel)?;
    }
    Ok(())
}

fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn protocol(min: u64, max: Option<u64>) -> Protocol {
        Protocol { dtypes: vec![Dtype::F32], min_elements: min, max_elements: max, warmup: 1, repetitions: 3 }
    }

    #[test]
    fn default_sizes_reach_four_times_the_cache() {
        let llc = 32 << 20;
        let sizes = plan_sizes(&protocol(4096, None), Dtype::F32, Some(llc)).unwrap();
        assert_eq!(sizes.first(), Some(&4096));
        let last = *sizes.last().unwrap();
        assert!(last * 4 >= 4 * llc && last * 4 / 2 < 4 * llc, "{last}");
        assert!(sizes.windows(2).all(|w| w[1] == 2 * w[0]));
        // f16 needs twice the elements for the same bytes.
        let f16 = plan_sizes(&protocol(4096, None), Dtype::F16, Some(llc)).unwrap();
        assert_eq!(*f16.last().unwrap(), 2 * last);
    }

    #[test]
    fn explicit_bounds_and_bad_ones() {
        assert_eq!(plan_sizes(&protocol(64, Some(320)), Dtype::F32, None).unwrap(), vec![64, 128, 256, 320]);
        for (min, max, says) in [
            (0, Some(64), "--min-elements is 0"),
            (100, Some(6400), "--min-elements is 100"),
            (128, Some(64), "below --min-elements"),
            (64, Some(65), "--max-elements is 65"),
            (64, None, "does not report its last-level cache"),
        ] {
            let err = plan_sizes(&protocol(min, max), Dtype::F32, None).unwrap_err().to_string();
            assert!(err.contains(says), "{err}");
        }
        let mut p = protocol(64, Some(64));
        p.repetitions = 0;
        assert!(plan_sizes(&p, Dtype::F32, None).unwrap_err().to_string().contains("--repetitions is 0"));
    }
}
