//! `collect profile`: where a model's time goes, op by op, prefill and decode apart.
//!
//! Each capture is a pair of fresh worker processes on the same model, configuration and prompts
//! ([`crate::worker_process`]): first an unprofiled worker, exactly what `collect run` measures,
//! then a profiling worker whose context times every ggml graph node through the scheduler's eval
//! callback ([`eval_callback`]). A profile is never taken inside a measured run.
//!
//! Timing node by node distorts what it measures (every node pays a graph launch and a back-end
//! synchronisation, and ggml cannot fuse ops), so every capture carries its own account of that:
//! the wall time of each phase in the profiled worker (`phase_wall_ns`; the sum of the capture's
//! node times over it is the share the profile explains) and the wall time of the same phase in
//! the unprofiled worker, scaled to the same number of tokens (`unprofiled_phase_wall_ns`; the
//! ratio is the profiler's overhead, and for decode the unprofiled value per token is the TPOT
//! of the same configuration).
//!
//! One capture is one phase of one profiling worker: its rows are the distinct node signatures
//! (op, weight type, shapes) with their times, classified by the dataset's kernel-class rule set.
//! Its id is the sha256 of the capture's identity and raw node table, so two captures never share
//! an id and the same capture stored twice is one.

pub mod eval_callback;
pub mod import;

use std::collections::BTreeMap;

use edgebench_dataset::Table;
use edgebench_dataset::kernel_class::classify_ggml_op;
use edgebench_dataset::schema::v1::*;
use edgebench_dataset::schema::{Sha256Hex, Text, UtcMicros};
use edgebench_dataset::shard::Limits;
use edgebench_dataset::store::{CompactScope, Store, WriteBatch};
use serde::Serialize;

use crate::campaign::{self, Campaign};
use crate::host::HostFingerprint;
use crate::model_file::ModelFile;
use crate::provenance;
use crate::worker::Event;
use crate::worker_process::{Finished, explain, run_worker};
use eval_callback::NodeStat;

/// One stored capture, for the summary the command prints.
#[derive(Debug, Clone, Serialize)]
pub struct CaptureOutcome {
    pub model: String,
    pub repetition: u32,
    pub phase: Phase,
    pub capture_id: String,
    /// Kernel rows (distinct node signatures).
    pub rows: usize,
    pub phase_tokens: u64,
    /// Profiled phase wall time per token, ms.
    pub profiled_ms_per_token: f64,
    /// The same phase per token in the unprofiled worker, ms (for decode: the TPOT).
    pub unprofiled_ms_per_token: f64,
    /// Profiled / unprofiled phase time.
    pub overhead: f64,
    /// Σ node times / profiled phase wall time.
    pub coverage: f64,
    /// Share of node time per class (sums to 1).
    pub class_shares: BTreeMap<OpClass, f64>,
}

#[derive(Debug, Default, Serialize)]
pub struct ProfileSummary {
    pub captures: Vec<CaptureOutcome>,
    pub rows_written: usize,
    /// The `kernels` shards the profile wrote, once merged: one per partition.
    pub shards: Vec<String>,
    pub out: String,
}

/// Wall time and tokens of each phase over a worker's generations.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct PhaseTotals {
    prefill_ms: f64,
    prefill_tokens: u64,
    decode_ms: f64,
    decode_tokens: u64,
}

impl PhaseTotals {
    /// Prefill: the prompt's decode calls (`prefill_ms`) over the prompt tokens. Decode: first
    /// token sampled → last token sampled, over the tokens after the first, as TPOT is defined.
    fn of(events: &[Event]) -> PhaseTotals {
        let mut t = PhaseTotals::default();
        for e in events {
            if let Event::Generation { prompt_tokens, output_tokens, prefill_ms, ttft_ms, generation_ms, .. } = e {
                t.prefill_ms += prefill_ms;
                t.prefill_tokens += u64::from(*prompt_tokens);
                if *output_tokens >= 2 {
                    t.decode_ms += generation_ms - ttft_ms;
                    t.decode_tokens += u64::from(output_tokens - 1);
                }
            }
        }
        t
    }

    fn get(&self, phase: Phase) -> (f64, u64) {
        match phase {
            Phase::Prefill => (self.prefill_ms, self.prefill_tokens),
            Phase::Decode => (self.decode_ms, self.decode_tokens),
        }
    }
}

/// Takes `c.repetitions.max()` captures of every model, committing each pair of phases as it ends (so
/// that a crash loses at most the capture in flight), then merges the shards it wrote into one
/// per partition in one store transaction (see [`crate::campaign`]: the same reasoning).
/// `progress` receives one line per finished step.
pub fn run(c: &Campaign, host: &HostFingerprint, progress: &mut dyn FnMut(&str)) -> Result<ProfileSummary, String> {
    let commit = provenance::collector_git_commit()?;
    campaign::check_host(host)?;
    let (mut store, _recovery) = Store::open(&c.out).map_err(|e| e.to_string())?;
    let (power_mode, _) = campaign::power_mode(c);
    let config_json = c.run_config_json();
    let mut summary = ProfileSummary { out: c.out.display().to_string(), ..Default::default() };
    let mut written = Vec::new();
    // `collect profile` takes a fixed number of captures (`--captures`), never `--reps auto`.
    let captures = c.repetitions.max();
    for model in &c.models {
        for repetition in 0..captures {
            let name = model.model_name();
            progress(&format!("{name} capture {}/{}: unprofiled worker", repetition + 1, captures));
            let plain = worker(c, model, false)?;
            progress(&format!("{name} capture {}/{}: profiling worker", repetition + 1, captures));
            let captured_at = UtcMicros::now();
            let profiled = worker(c, model, true)?;
            let unprofiled = PhaseTotals::of(&plain.events);
            let timed = PhaseTotals::of(&profiled.events);
            let ggml_version = profiled.events.iter().find_map(|e| match e {
                Event::Loaded { ggml_version, .. } => ggml_version.clone(),
                _ => None,
            });
            let context = CaptureContext {
                c,
                model,
                host,
                commit: &commit,
                power_mode: power_mode.clone(),
                config_json: &config_json,
                tool_version: Some(match ggml_version {
                    Some(v) => format!("ggml {v} (llama-cpp-sys-2 {})", provenance::LLAMA_CPP_SYS_VERSION),
                    None => format!("llama-cpp-sys-2 {}", provenance::LLAMA_CPP_SYS_VERSION),
                }),
                captured_at,
                repetition,
            };
            let mut batch = WriteBatch::default();
            for event in &profiled.events {
                let Event::OpProfile { phase, nodes } = event else { continue };
                let (rows, outcome) = capture_rows(&context, *phase, nodes, timed.get(*phase), unprofiled.get(*phase))?;
                summary.rows_written += rows.len();
                store.stage(&mut batch, rows).map_err(|e| e.to_string())?;
                progress(&format!(
                    "{name} capture {}/{} {}: {} node signatures, {:.1}% of the phase's wall time, overhead {:.2}× ({:.3} ms/token profiled, {:.3} unprofiled)",
                    repetition + 1,
                    captures,
                    phase,
                    outcome.rows,
                    outcome.coverage * 100.0,
                    outcome.overhead,
                    outcome.profiled_ms_per_token,
                    outcome.unprofiled_ms_per_token
                ));
                summary.captures.push(outcome);
            }
            written.extend(store.commit(batch).map_err(|e| e.to_string())?.into_iter().map(|e| e.path));
        }
    }
    let merged = store.compact(CompactScope::Shards(&written), &Limits::default()).map_err(|e| e.to_string())?;
    written.retain(|p| !merged.removed.iter().any(|e| e.path == *p));
    written.extend(merged.added.into_iter().map(|e| e.path));
    summary.shards = written;
    Ok(summary)
}

/// Runs one worker over the campaign's prompts and insists that it completed every one.
fn worker(c: &Campaign, model: &ModelFile, profile_ops: bool) -> Result<Finished, String> {
    let job = c.job(model, profile_ops);
    let (finished, ()) = run_worker(&c.worker_exe, &job, c.run_timeout, |_| (), &mut |_| {})?;
    let which = if profile_ops { "profiling" } else { "unprofiled" };
    let failed: Vec<String> = finished
        .events
        .iter()
        .filter_map(|e| match e {
            Event::GenerationFailed { index, reason } => Some(format!("prompt {index}: {reason}")),
            Event::LoadFailed { reason } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    let completed = finished.events.iter().any(|e| matches!(e, Event::Finished));
    if finished.timed_out {
        return Err(format!("the {which} worker for {} exceeded the {} s time limit; raise --run-timeout", model.path.display(), c.run_timeout.as_secs()));
    }
    if !finished.status.success() || !completed || !failed.is_empty() {
        let detail = failed.first().cloned().or_else(|| explain(&finished.log.tail)).unwrap_or_else(|| format!("exit status {}", finished.status));
        return Err(format!("the {which} worker for {} did not complete every prompt: {detail}", model.path.display()));
    }
    if c.backend == Backend::Cpu && let Some(bytes) = campaign::llama_device_buffer_bytes(&finished.log.buffer_lines) {
        return Err(format!("llama.cpp placed {bytes} bytes in accelerator buffers during a cpu capture, so it did not run on the CPU alone"));
    }
    Ok(finished)
}

/// What every row of one capture shares.
struct CaptureContext<'a> {
    c: &'a Campaign,
    model: &'a ModelFile,
    host: &'a HostFingerprint,
    commit: &'a str,
    power_mode: Option<String>,
    config_json: &'a str,
    tool_version: Option<String>,
    captured_at: UtcMicros,
    repetition: u32,
}

/// The kernel rows of one phase of one capture, and its summary.
fn capture_rows(
    ctx: &CaptureContext<'_>,
    phase: Phase,
    nodes: &[NodeStat],
    (profiled_ms, tokens): (f64, u64),
    (unprofiled_ms, unprofiled_tokens): (f64, u64),
) -> Result<(Vec<Kernel>, CaptureOutcome), String> {
    if tokens == 0 || unprofiled_tokens == 0 || profiled_ms <= 0.0 || unprofiled_ms <= 0.0 {
        return Err(format!(
            "the {phase} phase of {} processed no tokens in one of the two workers; use prompts that generate at least 2 tokens",
            ctx.model.path.display()
        ));
    }
    // Greedy decoding gives both workers the same tokens as a rule; should a sync-induced
    // difference in rounding change one, the comparison is still made per token.
    let unprofiled_same_tokens_ms = unprofiled_ms / unprofiled_tokens as f64 * tokens as f64;
    let raw = serde_json::to_string(&(
        &ctx.c.device_label,
        ctx.host.sha256.as_str(),
        ctx.model.sha256.as_str(),
        ctx.config_json,
        ctx.repetition,
        phase.as_str(),
        ctx.captured_at.0,
        nodes,
    ))
    .expect("capture serialises");
    let capture_id = Sha256Hex::of(raw.as_bytes());
    let mut rows = Vec::with_capacity(nodes.len());
    let mut per_class: BTreeMap<OpClass, f64> = BTreeMap::new();
    for node in nodes {
        let class = classify_ggml_op(&node.op, node.token_columns, node.src0_is_weight);
        *per_class.entry(class).or_default() += node.total_ns;
        let weight = node.src0_type.clone().unwrap_or_else(|| "-".into());
        let mut row = Kernel {
            kernel_id: Sha256Hex::of(b""),
            capture_id: capture_id.clone(),
            run_id: None,
            schema_version: SCHEMA_VERSION.into(),
            device_label: ctx.c.device_label.clone(),
            backend: ctx.c.backend,
            power_mode: ctx.power_mode.clone(),
            model_name: ctx.model.model_name(),
            model_sha256: Some(ctx.model.sha256.clone()),
            host_fingerprint_sha256: ctx.host.sha256.clone(),
            collector_version: env!("CARGO_PKG_VERSION").into(),
            collector_git_commit: ctx.commit.to_owned(),
            tool: ProfileTool::GgmlOp,
            tool_version: ctx.tool_version.clone(),
            kernel_name: Text(format!("{} {weight} {}", node.op, node.shape_signature)),
            kernel_base_name: node.op.clone(),
            op_class: class,
            calls: node.calls,
            total_ns: node.total_ns,
            avg_ns: node.total_ns / node.calls.max(1) as f64,
            min_ns: Some(node.min_ns),
            max_ns: Some(node.max_ns),
            median_ns: Some(node.median_ns),
            stddev_ns: Some(node.stddev_ns),
            achieved_occupancy_pct: None,
            theoretical_occupancy_pct: None,
            eligible_warps_per_cycle: None,
            issued_warps_per_cycle: None,
            dram_throughput_pct: None,
            captured_at: ctx.captured_at,
            phase: Some(phase),
            op_name: Some(node.op.clone()),
            weight_type: node.src0_type.clone(),
            shape_signature: Some(node.shape_signature.clone()),
            token_columns: node.token_columns,
            timing_source: Some(TimingSource::HostSynchronised),
            phase_wall_ns: Some(profiled_ms * 1e6),
            phase_tokens: Some(tokens),
            unprofiled_phase_wall_ns: Some(unprofiled_same_tokens_ms * 1e6),
            active_warps_per_cycle: None,
            run_config_json: Some(Text(ctx.config_json.to_owned())),
        };
        row.kernel_id = row.compute_id();
        rows.push(row);
    }
    let timed_ns: f64 = per_class.values().sum();
    let outcome = CaptureOutcome {
        model: ctx.model.model_name(),
        repetition: ctx.repetition,
        phase,
        capture_id: capture_id.to_string(),
        rows: rows.len(),
        phase_tokens: tokens,
        profiled_ms_per_token: profiled_ms / tokens as f64,
        unprofiled_ms_per_token: unprofiled_ms / unprofiled_tokens as f64,
        overhead: profiled_ms / unprofiled_same_tokens_ms,
        coverage: timed_ns / (profiled_ms * 1e6),
        class_shares: per_class.into_iter().map(|(k, v)| (k, if timed_ns > 0.0 { v / timed_ns } else { 0.0 })).collect(),
    };
    Ok((rows, outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generation(prompt_tokens: u32, output_tokens: u32, prefill_ms: f64, ttft_ms: f64, generation_ms: f64) -> Event {
        Event::Generation {
            index: 0,
            t_start_ns: 0,
            t_end_ns: 0,
            prompt_tokens,
            output_tokens,
            prefill_ms,
            ttft_ms,
            generation_ms,
            decode_calls_ms: 0.0,
            stop_reason: StopReason::MaxTokens,
            output_text: String::new(),
        }
    }

    #[test]
    fn phase_totals_follow_the_tpot_definition() {
        let events = vec![
            generation(10, 5, 4.0, 5.0, 13.0),
            // One output token has no decode phase: it adds prefill only.
            generation(6, 1, 2.0, 3.0, 3.0),
            Event::Finished,
        ];
        let t = PhaseTotals::of(&events);
        assert_eq!(t, PhaseTotals { prefill_ms: 6.0, prefill_tokens: 16, decode_ms: 8.0, decode_tokens: 4 });
        assert_eq!(t.get(Phase::Decode), (8.0, 4));
        assert_eq!(t.get(Phase::Prefill), (6.0, 16));
    }
}
