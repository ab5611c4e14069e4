//! `collect fusion`: the paper's Add + Scale fusion experiment (Fig. 10) and the device's STREAM
//! bandwidth, measured by [`edgebench_microbench`] and stored as `microbench` rows.
//!
//! The measurement is the microbench crate's; this module chooses the devices, checks every
//! request before anything runs (so a bad one leaves the dataset as it was), and turns each timed
//! repetition of the fused and unfused variants into one row, carrying the sweep's copy and triad
//! bandwidth, threads, launch configuration and cache size (schema 1.2). Each device's rows are
//! committed when its sweep ends.

use std::collections::HashSet;
use std::path::PathBuf;

use edgebench_dataset::Table;
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::schema::{Sha256Hex, Text, UtcMicros};
use edgebench_dataset::store::Store;
use edgebench_microbench::cpu::CpuDevice;
use edgebench_microbench::cuda::{self, CudaDevice};
use edgebench_microbench::model::bound;
use edgebench_microbench::sweep::{SizeResult, Sweep, plan};
use edgebench_microbench::{Device, Dtype, Error, Kernel, Protocol, run_sweep};
use serde::Serialize;

use crate::host::HostFingerprint;
use crate::provenance;

/// The experiment's name in the `microbench` table.
pub const EXPERIMENT: &str = "add_scale_fusion";

/// Which devices to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backends {
    /// The CPU, and CUDA when an NVIDIA driver is present.
    Auto,
    Cpu,
    Cuda,
}

#[derive(Debug, Clone)]
pub struct FusionRequest {
    pub device_label: String,
    pub power_mode: Option<String>,
    pub backends: Backends,
    pub protocol: Protocol,
    /// CPU threads (default: every core the process may use).
    pub threads: Option<usize>,
    /// CUDA device ordinal.
    pub cuda_device: usize,
    pub out: PathBuf,
}

/// One (device, element type) at its largest vector: what the command prints.
#[derive(Debug, Clone, Serialize)]
pub struct LargestSize {
    pub backend: &'static str,
    pub device: String,
    pub dtype: &'static str,
    pub elements: u64,
    pub unfused_us: f64,
    pub fused_us: f64,
    pub ratio: f64,
    pub bound: f64,
    pub write_allocate: bool,
    pub unfused_gb_s: f64,
    pub fused_gb_s: f64,
    pub copy_gb_s: Option<f64>,
    pub triad_gb_s: Option<f64>,
}

#[derive(Debug, Default, Serialize)]
pub struct FusionSummary {
    pub rows_written: usize,
    pub failed_sizes: usize,
    pub largest: Vec<LargestSize>,
    pub skipped: Vec<String>,
    pub out: String,
}

/// Opens the devices the request names; with `Auto`, CUDA only where a driver is present.
fn open_devices(r: &FusionRequest, skipped: &mut Vec<String>) -> Result<Vec<Box<dyn Device>>, String> {
    let mut devices: Vec<Box<dyn Device>> = Vec::new();
    if matches!(r.backends, Backends::Auto | Backends::Cpu) {
        devices.push(Box::new(CpuDevice::new(r.threads).map_err(|e: Error| e.to_string())?));
    }
    match r.backends {
        Backends::Cuda => devices.push(Box::new(CudaDevice::new(r.cuda_device).map_err(|e: Error| e.to_string())?)),
        Backends::Auto if cuda::driver_present() => devices.push(Box::new(CudaDevice::new(r.cuda_device).map_err(|e: Error| e.to_string())?)),
        Backends::Auto => skipped.push("cuda: no NVIDIA driver on this machine".into()),
        Backends::Cpu => {}
    }
    Ok(devices)
}

/// Runs the sweep on every device and stores its rows; `progress` gets one line per step.
pub fn run(r: &FusionRequest, host: &HostFingerprint, progress: &mut dyn FnMut(&str)) -> Result<FusionSummary, String> {
    let commit = provenance::collector_git_commit()?;
    crate::campaign::check_host(host)?;
    let label = r.device_label.trim();
    if label.is_empty() {
        return Err("--device-label must not be empty".into());
    }
    let mut summary = FusionSummary { out: r.out.display().to_string(), ..Default::default() };
    let mut devices = open_devices(r, &mut summary.skipped)?;
    // Every device's plan and memory before anything runs: a bad request writes no row.
    for d in &devices {
        plan(d.as_ref(), &r.protocol).map_err(|e: Error| e.to_string())?;
    }
    let (mut store, _recovery) = Store::open(&r.out).map_err(|e| e.to_string())?;
    for device in &mut devices {
        let started = UtcMicros::now();
        let sweep = run_sweep(device.as_mut(), &r.protocol, progress).map_err(|e: Error| e.to_string())?;
        let sweep_id = Sha256Hex::of(format!("{} {} {} {}", host.sha256, sweep.device.backend, started.0, commit).as_bytes());
        let context = RowContext { label, power_mode: r.power_mode.clone(), host, commit: &commit, sweep_id, sweep: &sweep };
        let existing = store.existing_ids::<Microbench>().map_err(|e| e.to_string())?.clone();
        let rows: Vec<Microbench> = sweep.sizes.iter().flat_map(|s| context.rows(s, &existing)).collect();
        summary.failed_sizes += sweep.sizes.iter().filter(|s| s.failure.is_some()).count();
        summary.rows_written += rows.len();
        store.append(rows).map_err(|e| e.to_string())?;
        summary.largest.extend(largest(&sweep));
    }
    Ok(summary)
}

struct RowContext<'a> {
    label: &'a str,
    power_mode: Option<String>,
    host: &'a HostFingerprint,
    commit: &'a str,
    sweep_id: Sha256Hex,
    sweep: &'a Sweep,
}

impl RowContext<'_> {
    fn backend(&self) -> Backend {
        match self.sweep.device.backend {
            "cuda" => Backend::Cuda,
            _ => Backend::Cpu,
        }
    }

    /// The rows of one size: one per timed repetition of each variant, plus one failed row per
    /// variant when the size stopped early. Repetitions are numbered after those already stored
    /// for the same device, variant, type and length, so a second sweep adds to the first.
    fn rows(&self, s: &SizeResult, existing: &HashSet<Sha256Hex>) -> Vec<Microbench> {
        let mut rows = Vec::new();
        for kernel in [Kernel::Unfused, Kernel::Fused] {
            let mut first = 0;
            while existing.contains(&self.row(s, kernel, first, None).microbench_id) {
                first += 1;
            }
            let mut next = first;
            for t in s.timings.iter().filter(|t| t.kernel == kernel) {
                rows.push(self.row(s, kernel, first + t.repetition, Some(t.elapsed.as_secs_f64() * 1e6)));
                next = next.max(first + t.repetition + 1);
            }
            if let Some(reason) = &s.failure {
                let mut row = self.row(s, kernel, next, None);
                row.status = if reason.starts_with("not enough memory") { RunStatus::OomKilled } else { RunStatus::Crashed };
                row.failure_reason = Some(Text::from(reason.clone()));
                row.microbench_id = row.compute_id();
                rows.push(row);
            }
        }
        rows
    }

    /// The size's launch configuration, with the measurement that chose the bound.
    fn launch_config(&self, s: &SizeResult) -> String {
        let mut config = s.launch_config.clone();
        if let (Some(probe), Some(map)) = (&self.sweep.write_allocate_probe, config.as_object_mut()) {
            map.insert("write_allocate_probe".into(), serde_json::to_value(probe).expect("probe serialises"));
        }
        config.to_string()
    }

    fn row(&self, s: &SizeResult, kernel: Kernel, repetition: u32, elapsed_us: Option<f64>) -> Microbench {
        let d = &self.sweep.device;
        let mut row = Microbench {
            microbench_id: Sha256Hex::of(b""),
            schema_version: SCHEMA_VERSION.into(),
            device_label: self.label.to_owned(),
            backend: self.backend(),
            power_mode: self.power_mode.clone(),
            host_fingerprint_sha256: self.host.sha256.clone(),
            collector_version: env!("CARGO_PKG_VERSION").into(),
            collector_git_commit: self.commit.to_owned(),
            experiment: EXPERIMENT.into(),
            variant: match kernel {
                Kernel::Fused => FusionVariant::Fused,
                _ => FusionVariant::Unfused,
            },
            dtype: s.dtype.as_str().into(),
            elements: s.elements,
            repetition,
            kernel_launches: kernel.launches(),
            bytes_moved: kernel.credited_bytes(s.dtype, s.elements),
            status: RunStatus::Ok,
            failure_reason: None,
            elapsed_us,
            measured_at: UtcMicros::now(),
            sweep_id: Some(self.sweep_id.clone()),
            threads: d.threads,
            launch_config_json: Some(Text::from(self.launch_config(s))),
            write_allocate: Some(d.write_allocate),
            last_level_cache_bytes: d.last_level_cache_bytes,
            copy_bandwidth_gb_s: s.copy_gb_s,
            triad_bandwidth_gb_s: s.triad_gb_s,
            warmup_repetitions: Some(s.warmup),
        };
        row.microbench_id = row.compute_id();
        row
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 })
}

/// Per element type, the largest size that ran: medians, their ratio, the bound and bandwidths.
pub fn largest(sweep: &Sweep) -> Vec<LargestSize> {
    let mut out = Vec::new();
    for dtype in [Dtype::F32, Dtype::F16] {
        let Some(s) = sweep.sizes.iter().filter(|s| s.dtype == dtype && s.failure.is_none()).max_by_key(|s| s.elements) else { continue };
        let us = |k: Kernel| median(s.times(k).map(|t| t.as_secs_f64() * 1e6).collect());
        let (Some(unfused_us), Some(fused_us)) = (us(Kernel::Unfused), us(Kernel::Fused)) else { continue };
        let gb_s = |k: Kernel, us: f64| k.credited_bytes(dtype, s.elements) as f64 / us / 1e3;
        out.push(LargestSize {
            backend: sweep.device.backend,
            device: sweep.device.name.clone(),
            dtype: dtype.as_str(),
            elements: s.elements,
            unfused_us,
            fused_us,
            ratio: fused_us / unfused_us,
            bound: bound(sweep.device.write_allocate),
            write_allocate: sweep.device.write_allocate,
            unfused_gb_s: gb_s(Kernel::Unfused, unfused_us),
            fused_gb_s: gb_s(Kernel::Fused, fused_us),
            copy_gb_s: s.copy_gb_s,
            triad_gb_s: s.triad_gb_s,
        });
    }
    out
}
