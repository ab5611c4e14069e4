//! `collect import-profile`: a profile taken with the paper's tools (Nsight Systems, Nsight
//! Compute, the PyTorch profiler) into `kernels` rows, so that anyone who profiled a model that
//! way can contribute it.
//!
//! Reading the files is [`edgebench_profile_import`]'s job (format detection, bounded parsing,
//! classification with the dataset's kernel-class rule set); this module adds what the file does
//! not say — the device, the model, the back-end, the host — and stores the rows. The capture id
//! is the sha256 of the raw file, so importing the same file again adds nothing.

use std::path::{Path, PathBuf};

use edgebench_dataset::Table;
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::schema::{Sha256Hex, Text, UtcMicros};
use edgebench_dataset::store::{Store, WriteBatch};
use edgebench_profile_import::{ImportedCapture, ImportedKernel};
use serde::Serialize;

use crate::host::HostFingerprint;
use crate::provenance;

/// What the profiler's file does not record.
#[derive(Debug, Clone)]
pub struct ImportTarget {
    pub device_label: String,
    pub backend: Backend,
    pub power_mode: Option<String>,
    pub model_name: String,
    pub model_sha256: Option<Sha256Hex>,
    /// Set when the capture covers one phase only (e.g. an nsys capture of the decode loop).
    pub phase: Option<Phase>,
    pub out: PathBuf,
}

/// One imported file, for the summary.
#[derive(Debug, Clone, Serialize)]
pub struct ImportOutcome {
    pub file: String,
    pub format: &'static str,
    pub tool: ProfileTool,
    pub capture_id: String,
    /// Kernel rows added (0 when the file was imported before).
    pub rows_added: usize,
    pub already_stored: bool,
    /// Kernels no rule of the class table matched (`other`), counted rather than dropped.
    pub unclassified: usize,
}

/// Imports every file; all of them are read before anything is written, so a bad file in the
/// list leaves the dataset as it was.
pub fn import_files(files: &[PathBuf], target: &ImportTarget, host: &HostFingerprint) -> Result<Vec<ImportOutcome>, String> {
    let commit = provenance::collector_git_commit()?;
    crate::campaign::check_host(host)?;
    if target.device_label.trim().is_empty() {
        return Err("--device-label must not be empty".into());
    }
    let mut captures = Vec::new();
    for file in files {
        let capture = edgebench_profile_import::import(file).map_err(|e| e.to_string())?;
        captures.push((file, capture, captured_at(file)));
    }
    let (mut store, _recovery) = Store::open(&target.out).map_err(|e| e.to_string())?;
    let mut outcomes = Vec::new();
    let mut batch = WriteBatch::default();
    let mut staged = std::collections::HashSet::new();
    for (file, capture, at) in captures {
        let rows = rows(&capture, target, host, &commit, at);
        let existing = store.existing_ids::<Kernel>().map_err(|e| e.to_string())?;
        let already_stored = rows.iter().all(|r| existing.contains(&r.kernel_id)) || !staged.insert(capture.capture_id.clone());
        let unclassified = capture.kernels.iter().filter(|k| k.class == OpClass::Other).count();
        let new: Vec<Kernel> = if already_stored { Vec::new() } else { rows.into_iter().filter(|r| !existing.contains(&r.kernel_id)).collect() };
        outcomes.push(ImportOutcome {
            file: file.display().to_string(),
            format: capture.format.as_str(),
            tool: capture.tool,
            capture_id: capture.capture_id.to_string(),
            rows_added: new.len(),
            already_stored,
            unclassified,
        });
        store.stage(&mut batch, new).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    store.commit(batch).map_err(|e| e.to_string())?;
    Ok(outcomes)
}

/// When the capture was taken: the file's modification time, the best the file says.
fn captured_at(file: &Path) -> UtcMicros {
    std::fs::metadata(file)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or_else(UtcMicros::now, |d| UtcMicros(d.as_micros() as i64))
}

fn rows(capture: &ImportedCapture, target: &ImportTarget, host: &HostFingerprint, commit: &str, captured_at: UtcMicros) -> Vec<Kernel> {
    capture.kernels.iter().map(|k| row(capture, k, target, host, commit, captured_at)).collect()
}

fn row(capture: &ImportedCapture, k: &ImportedKernel, target: &ImportTarget, host: &HostFingerprint, commit: &str, captured_at: UtcMicros) -> Kernel {
    let mut row = Kernel {
        kernel_id: Sha256Hex::of(b""),
        capture_id: capture.capture_id.clone(),
        run_id: None,
        schema_version: SCHEMA_VERSION.into(),
        device_label: target.device_label.trim().to_owned(),
        backend: target.backend,
        power_mode: target.power_mode.clone(),
        model_name: target.model_name.clone(),
        model_sha256: target.model_sha256.clone(),
        host_fingerprint_sha256: host.sha256.clone(),
        collector_version: env!("CARGO_PKG_VERSION").into(),
        collector_git_commit: commit.to_owned(),
        tool: capture.tool,
        tool_version: capture.tool_version.clone(),
        kernel_name: Text(k.name.clone()),
        kernel_base_name: k.base_name.clone(),
        op_class: k.class,
        calls: k.calls,
        total_ns: k.total_ns,
        avg_ns: k.avg_ns,
        min_ns: k.min_ns,
        max_ns: k.max_ns,
        median_ns: k.median_ns,
        stddev_ns: k.stddev_ns,
        achieved_occupancy_pct: k.achieved_occupancy_pct,
        theoretical_occupancy_pct: k.theoretical_occupancy_pct,
        eligible_warps_per_cycle: k.eligible_warps_per_cycle,
        issued_warps_per_cycle: k.issued_warps_per_cycle,
        dram_throughput_pct: k.dram_throughput_pct,
        captured_at,
        phase: target.phase,
        op_name: None,
        weight_type: None,
        shape_signature: None,
        token_columns: None,
        timing_source: Some(capture.timing_source),
        phase_wall_ns: None,
        phase_tokens: None,
        unprofiled_phase_wall_ns: None,
        active_warps_per_cycle: k.active_warps_per_cycle,
        run_config_json: None,
    };
    row.kernel_id = row.compute_id();
    row
}
