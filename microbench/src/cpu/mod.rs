//! The experiment on CPU cores, done as STREAM does it.
//!
//! - All cores the process may use (or the first `--threads` of them), one pinned thread each
//!   ([`pool`]).
//! - Each thread owns a contiguous slice of every vector and allocates and fills it itself, so the
//!   kernel places its pages on that thread's memory node (first touch); nothing is allocated in
//!   a timed region.
//! - A kernel is one parallel pass; the unfused pair is two passes with a barrier between them,
//!   as two launches would be.
//! - The clock (monotonic) is read on the calling thread just before it releases the start
//!   barrier and just after the end barrier: barrier costs are part of every kernel, as launch
//!   costs are on a GPU; they matter only for cache-resident sizes.
//! - Ordinary stores, no streaming hints. Whether the hardware reads each stored line first
//!   (write-allocate: bound 4/7) or not (3/5) depends on the core and, on some, on the traffic; so
//!   it is measured ([`Device::probe_write_allocate`]): a write-only pass over a vector far above
//!   the cache runs at about half the read-only rate when every store first reads its line, and
//!   near the read-only rate when it does not.

mod f16c;
mod kernels;
pub mod pool;

use std::sync::Arc;
use std::time::{Duration, Instant};

use half::f16;

use crate::model::{self, Dtype, Kernel};
use crate::{Device, DeviceDescription, Error};
use pool::{Barriers, Pool};

/// One thread's slices of the four vectors.
#[derive(Default)]
pub enum Slices {
    #[default]
    Empty,
    F32 { first: usize, a: Vec<f32>, b: Vec<f32>, t: Vec<f32>, out: Vec<f32> },
    F16 { first: usize, a: Vec<f16>, b: Vec<f16>, t: Vec<f16>, out: Vec<f16> },
}

/// Elements per slice are multiples of this (a 64-byte line of f16), so no two threads share a
/// cache line.
const SLICE_QUANTUM: usize = 32;

/// The range of the `elements` that member `index` of `members` owns.
fn slice_of(elements: usize, members: usize, index: usize) -> std::ops::Range<usize> {
    let per = elements / members / SLICE_QUANTUM * SLICE_QUANTUM;
    let start = index * per;
    let end = if index + 1 == members { elements } else { start + per };
    start..end
}

pub struct CpuDevice {
    pool: Pool<Slices>,
    description: DeviceDescription,
    elements: usize,
}

impl CpuDevice {
    /// Uses the first `threads` cores the process may run on (all of them when `None`).
    pub fn new(threads: Option<usize>) -> Result<CpuDevice, Error> {
        let allowed = pool::allowed_cores()?;
        let n = match threads {
            None => allowed.len(),
            Some(0) => return Err(Error::Usage("--threads is 0: at least one thread is needed".into())),
            Some(n) if n > allowed.len() => {
                return Err(Error::Usage(format!(
                    "--threads is {n} but this process may run on {} cores ({allowed:?}): one pinned thread per core",
                    allowed.len()
                )));
            }
            Some(n) => n,
        };
        let cores: Vec<usize> = allowed[..n].to_vec();
        let f16c = f16c::available();
        let description = DeviceDescription {
            backend: "cpu",
            name: cpu_model().unwrap_or_else(|| std::env::consts::ARCH.to_owned()),
            last_level_cache_bytes: last_level_cache(&cores),
            threads: Some(n as u32),
            write_allocate: true,
            launch_config: serde_json::json!({
                "threads": n,
                "cores": cores,
                "partition": "one contiguous slice of each vector per thread, allocated and first touched by that thread",
                "passes": "one parallel pass per kernel; a barrier between the two unfused passes",
                "stores": "ordinary stores, no streaming hints; whether they read each line first is measured (write_allocate_probe)",
                "f16": if f16c { "8 lanes converted to f32 in registers with F16C" } else { "blocks of 512 converted to f32 in software" },
                "timer": "monotonic clock on the calling thread around a start and an end barrier of all threads",
            }),
        };
        Ok(CpuDevice { pool: Pool::new(cores)?, description, elements: 0 })
    }
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("model name").or_else(|| l.strip_prefix("Model")))
        .and_then(|rest| rest.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
}

/// The largest cache level of the given cores, summed over its distinct instances (a cache shared
/// by several cores counts once; two L3 slices of two core complexes count twice), from sysfs.
pub fn last_level_cache(cores: &[usize]) -> Option<u64> {
    let mut best: Option<(u32, std::collections::BTreeMap<String, u64>)> = None;
    for &core in cores {
        let dir = format!("/sys/devices/system/cpu/cpu{core}/cache");
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let p = entry.path();
            let read = |f: &str| std::fs::read_to_string(p.join(f)).ok().map(|s| s.trim().to_owned());
            let (Some(level), Some(kind), Some(size)) = (read("level"), read("type"), read("size")) else { continue };
            if kind == "Instruction" {
                continue;
            }
            let (Ok(level), Some(bytes)) = (level.parse::<u32>(), parse_cache_size(&size)) else { continue };
            let shared = read("shared_cpu_list").unwrap_or_else(|| format!("cpu{core}"));
            match &mut best {
                Some((l, _)) if *l > level => {}
                Some((l, map)) if *l == level => {
                    map.insert(shared, bytes);
                }
                _ => best = Some((level, [(shared, bytes)].into_iter().collect())),
            }
        }
    }
    best.map(|(_, map)| map.values().sum())
}

fn parse_cache_size(s: &str) -> Option<u64> {
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = digits.parse().ok()?;
    match unit.trim() {
        "" => Some(n),
        "K" | "KB" | "KiB" => Some(n << 10),
        "M" | "MB" | "MiB" => Some(n << 20),
        "G" | "GB" | "GiB" => Some(n << 30),
        _ => None,
    }
}

/// `MemAvailable` of /proc/meminfo: what can be allocated without swapping.
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib << 10)
}

fn fill<T: Copy>(range: std::ops::Range<usize>, f: impl Fn(usize) -> T) -> Vec<T> {
    range.map(f).collect()
}

fn prepare_slices(dtype: Dtype, range: std::ops::Range<usize>) -> Slices {
    let first = range.start;
    match dtype {
        Dtype::F32 => Slices::F32 {
            first,
            a: fill(range.clone(), model::input_a),
            b: fill(range.clone(), model::input_b),
            t: fill(range.clone(), |_| 0.0),
            out: fill(range, |_| 0.0),
        },
        Dtype::F16 => Slices::F16 {
            first,
            a: fill(range.clone(), |i| f16::from_f32(model::input_a(i))),
            b: fill(range.clone(), |i| f16::from_f32(model::input_b(i))),
            t: fill(range.clone(), |_| f16::ZERO),
            out: fill(range, |_| f16::ZERO),
        },
    }
}

fn execute(kernel: Kernel, slices: &mut Slices, barriers: &Barriers) {
    match slices {
        Slices::Empty => {
            if kernel == Kernel::Unfused {
                barriers.middle.wait();
            }
        }
        Slices::F32 { a, b, t, out, .. } => match kernel {
            Kernel::Unfused => {
                kernels::add_f32(a, b, t);
                barriers.middle.wait();
                kernels::scale_f32(t, out);
            }
            Kernel::Fused => kernels::add_scale_f32(a, b, out),
            Kernel::Copy => kernels::copy_f32(a, out),
            Kernel::Triad => kernels::triad_f32(a, b, out),
        },
        Slices::F16 { a, b, t, out, .. } => match kernel {
            Kernel::Unfused => {
                kernels::add_f16(a, b, t);
                barriers.middle.wait();
                kernels::scale_f16(t, t, out);
            }
            Kernel::Fused => kernels::add_scale_f16(a, b, out),
            Kernel::Copy => kernels::copy_f16(a, a, out),
            Kernel::Triad => kernels::triad_f16(a, b, out),
        },
    }
}

/// The first element of a slice that differs from the exact result, as (index, got, want).
fn first_wrong(kernel: Kernel, slices: &Slices) -> Option<(usize, f32, f32)> {
    let check = |first: usize, out: &mut dyn Iterator<Item = f32>, want: &dyn Fn(usize) -> f32| {
        out.enumerate().find_map(|(i, got)| {
            let want = want(first + i);
            (got != want).then_some((first + i, got, want))
        })
    };
    let sum = |i: usize| model::input_a(i) + model::input_b(i);
    let want_out = |i: usize| model::expected_out(kernel, i);
    match slices {
        Slices::Empty => None,
        Slices::F32 { first, t, out, .. } => check(*first, &mut out.iter().copied(), &want_out)
            .or_else(|| if kernel == Kernel::Unfused { check(*first, &mut t.iter().copied(), &sum) } else { None }),
        Slices::F16 { first, t, out, .. } => check(*first, &mut out.iter().map(|h| h.to_f32()), &want_out)
            .or_else(|| if kernel == Kernel::Unfused { check(*first, &mut t.iter().map(|h| h.to_f32()), &sum) } else { None }),
    }
}

/// Below this ratio of write-only to read-only bandwidth, stores are taken to read their line
/// first: with write-allocate a written byte costs two transfers (ratio ≈ 0.5), without one
/// (ratio ≈ 1, less what writes cost the memory more than reads). 0.75 is the midpoint.
pub const WRITE_ALLOCATE_BELOW: f64 = 0.75;

#[derive(Clone, Copy)]
enum Probe {
    Read,
    Write,
}

fn run_probe(probe: Probe, slices: &mut Slices) {
    if let Slices::F32 { a, out, .. } = slices {
        match probe {
            Probe::Read => {
                std::hint::black_box(kernels::sum_f32(a));
            }
            Probe::Write => kernels::fill_f32(out),
        }
    }
}

impl Device for CpuDevice {
    fn probe_write_allocate(&mut self, repetitions: u32) -> Result<Option<crate::WriteAllocateProbe>, Error> {
        let elements = self.elements as u64;
        let mut best = [Duration::MAX; 2];
        for _ in 0..repetitions.max(3) {
            for (i, probe) in [Probe::Read, Probe::Write].into_iter().enumerate() {
                let mut clock: Option<Instant> = None;
                let mut elapsed = Duration::ZERO;
                self.pool.run(Arc::new(move |_, slices: &mut Slices, _: &Barriers| run_probe(probe, slices)), || match clock {
                    None => clock = Some(Instant::now()),
                    Some(start) => elapsed = start.elapsed(),
                });
                best[i] = best[i].min(elapsed);
            }
        }
        if best.iter().any(|d| d.is_zero()) {
            return Err(Error::Device("the write-allocate probe timed 0 s".into()));
        }
        let rate = |d: Duration| (elements * 4) as f64 / d.as_secs_f64() / 1e9;
        let (read_gb_s, write_gb_s) = (rate(best[0]), rate(best[1]));
        Ok(Some(crate::WriteAllocateProbe {
            elements,
            read_gb_s,
            write_gb_s,
            write_allocate: write_gb_s / read_gb_s < WRITE_ALLOCATE_BELOW,
        }))
    }

    fn describe(&self) -> &DeviceDescription {
        &self.description
    }

    fn available_bytes(&self) -> Result<u64, Error> {
        available_memory().ok_or_else(|| Error::Device("cannot read MemAvailable from /proc/meminfo".into()))
    }

    fn prepare(&mut self, dtype: Dtype, elements: usize) -> Result<(), Error> {
        let members = self.pool.cores().len();
        self.pool.run(
            Arc::new(move |index, slices: &mut Slices, _: &Barriers| {
                // Free the old slices before the new ones are allocated.
                *slices = Slices::Empty;
                *slices = prepare_slices(dtype, slice_of(elements, members, index));
            }),
            || {},
        );
        self.elements = elements;
        Ok(())
    }

    fn time(&mut self, kernel: Kernel) -> Result<Duration, Error> {
        let mut clock: Option<Instant> = None;
        let mut elapsed = Duration::ZERO;
        self.pool.run(Arc::new(move |_, slices: &mut Slices, barriers: &Barriers| execute(kernel, slices, barriers)), || match clock {
            None => clock = Some(Instant::now()),
            Some(start) => elapsed = start.elapsed(),
        });
        Ok(elapsed)
    }

    fn check(&mut self, kernel: Kernel) -> Result<(), Error> {
        let wrong = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = Arc::clone(&wrong);
        self.pool.run(
            Arc::new(move |_, slices: &mut Slices, _: &Barriers| {
                if let Some(w) = first_wrong(kernel, slices) {
                    sink.lock().expect("check lock").push(w);
                }
            }),
            || {},
        );
        let wrong = wrong.lock().expect("check lock");
        match wrong.iter().min_by_key(|w| w.0) {
            None => Ok(()),
            Some((i, got, want)) => {
                Err(Error::WrongResult(format!("{} on the CPU: element {i} of {} is {got}, not {want}", kernel.as_str(), self.elements)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_cover_the_vector_once_on_line_boundaries() {
        for (n, members) in [(64, 1), (4096, 3), (1 << 20, 16), (96, 2), (64, 5)] {
            let mut next = 0;
            for i in 0..members {
                let r = slice_of(n, members, i);
                assert_eq!(r.start, next);
                assert_eq!(r.start % SLICE_QUANTUM, 0);
                next = r.end;
            }
            assert_eq!(next, n);
        }
    }

    #[test]
    fn cache_sizes_parse() {
        assert_eq!(parse_cache_size("32768K"), Some(32 << 20));
        assert_eq!(parse_cache_size("1M"), Some(1 << 20));
        assert_eq!(parse_cache_size("512"), Some(512));
        assert_eq!(parse_cache_size("12X"), None);
    }
}
