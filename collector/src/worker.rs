//! The worker: one process per run. It reads a [`Job`] (JSON) on stdin, loads the model, runs
//! every prompt, and writes [`Event`]s as JSON lines on stdout, flushing each, so that the parent
//! keeps everything finished before a crash. It measures and nothing else: telemetry is sampled by
//! the parent from outside, rows are built by the parent, so the timed loop does no extra work.
//!
//! Timing (the paper's definitions, Section III-C):
//!
//! - load: wall clock of `LlamaModel::load_from_file` + context creation;
//! - prefill: the prompt's decode calls alone, synchronised (what llama-bench's `pp` measures);
//! - TTFT: prompt submitted (before the chat template and tokenisation) → first token sampled;
//! - generation: prompt submitted → last token sampled;
//! - TPOT is derived by the parent: (generation − TTFT) / (tokens − 1);
//! - llama_decode: within the decode phase (first token sampled → last token sampled), the time
//!   spent in the decode calls and their synchronisation alone, which is exactly what llama-bench's
//!   `tg` test times. The rest of the phase (batch building, greedy argmax, end check) is the
//!   harness's own cost per token; the parent reports it as a share so that a benchmark can check
//!   it in the same process and on the same tokens, immune to the host's drift. Two clock reads
//!   per token (tens of nanoseconds against milliseconds) are the whole cost of knowing.
//!
//! Tokens counted as output include a final end-of-generation token (it was sampled); the text
//! excludes it. Event timestamps use CLOCK_MONOTONIC, which the parent's sampler shares.

use std::io::{BufRead, Write};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Instant;

use edgebench_dataset::schema::v1::{Backend, Phase, StopReason};
use llama_cpp_2::token::LlamaToken;
use serde::{Deserialize, Serialize};

use crate::telemetry::monotonic_ns;

/// What one worker process must do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub model_path: PathBuf,
    pub backend: Backend,
    pub n_gpu_layers: i32,
    pub n_threads: u32,
    pub n_ctx: u32,
    pub n_batch: u32,
    pub seed: u32,
    pub max_output_tokens: u32,
    pub prompts: Vec<JobPrompt>,
    /// Time every ggml graph node (`collect profile`): the context is created with the
    /// scheduler's eval callback ([`crate::profile::eval_callback`]), which synchronises after
    /// each node. Never set for a measured run.
    #[serde(default)]
    pub profile_ops: bool,
    /// Generate every prompt to `max_output_tokens`, an end-of-generation token included: set for
    /// synthetic-weight models, whose outputs mean nothing, so that their TTFT and TPOT are
    /// always taken over the same number of tokens.
    #[serde(default)]
    pub ignore_eos: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobPrompt {
    pub index: u32,
    /// The text submitted: question plus the CoT trigger (the chat template is applied here).
    pub text: String,
}

/// What the worker reports, one JSON line each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Loaded {
        t_start_ns: u64,
        t_end_ns: u64,
        load_ms: f64,
        n_params: u64,
        chat_template_applied: bool,
        ggml_version: Option<String>,
    },
    LoadFailed {
        reason: String,
    },
    PromptStarted {
        index: u32,
        t_ns: u64,
    },
    Generation {
        index: u32,
        t_start_ns: u64,
        t_end_ns: u64,
        prompt_tokens: u32,
        output_tokens: u32,
        prefill_ms: f64,
        ttft_ms: f64,
        generation_ms: f64,
        /// Time inside the decode calls of the decode phase (see the module docs).
        decode_calls_ms: f64,
        stop_reason: StopReason,
        output_text: String,
    },
    GenerationFailed {
        index: u32,
        reason: String,
    },
    /// The node times of one phase over every prompt (profiling workers only, after the last
    /// prompt).
    OpProfile {
        phase: Phase,
        nodes: Vec<crate::profile::eval_callback::NodeStat>,
    },
    Finished,
}

/// Entry point of `collect worker`: reads the job, runs it, reports. Returns the exit code.
pub fn main() -> i32 {
    // If the collector is killed, its worker must not outlive it and go on loading the machine.
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_PDEATHSIG only sets a signal for this process.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
    }
    let mut input = String::new();
    if let Err(e) = std::io::stdin().lock().read_line(&mut input) {
        eprintln!("worker: cannot read the job: {e}");
        return 2;
    }
    let job: Job = match serde_json::from_str(&input) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("worker: invalid job: {e}");
            return 2;
        }
    };
    if job.profile_ops && job.backend == Backend::Cuda {
        // Per-node graph views defeat CUDA graphs anyway (ggml keys its graph cache on the first
        // node, so every node would be captured and warmed up as a graph of its own); a profile
        // times plain kernel launches instead, and its overhead against the unprofiled worker,
        // which keeps CUDA graphs, says what that costs.
        // SAFETY: the worker has started no thread yet (llama.cpp is not initialised), so no
        // other thread can be reading the environment.
        unsafe { std::env::set_var("GGML_CUDA_DISABLE_GRAPHS", "1") };
    }
    let stdout = std::io::stdout();
    let mut emit = |event: Event| {
        let mut out = stdout.lock();
        let _ = writeln!(out, "{}", serde_json::to_string(&event).expect("event serialises"));
        let _ = out.flush();
    };
    match run(&job, &mut emit) {
        Ok(()) => {
            emit(Event::Finished);
            0
        }
        Err(reason) => {
            emit(Event::LoadFailed { reason });
            1
        }
    }
}

fn ggml_version() -> Option<String> {
    // SAFETY: returns a pointer to a static string.
    unsafe {
        let p = llama_cpp_sys_2::ggml_version();
        (!p.is_null()).then(|| std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()).filter(|v| !v.is_empty() && v != "unknown")
    }
}

/// Loads the model and runs every prompt. `Err` only when the model cannot be loaded.
fn run(job: &Job, emit: &mut dyn FnMut(Event)) -> Result<(), String> {
    use llama_cpp_2::context::params::LlamaContextParams;
    use llama_cpp_2::llama_backend::LlamaBackend;
    use llama_cpp_2::model::params::LlamaModelParams;
    use llama_cpp_2::model::{LlamaChatMessage, LlamaModel};

    let backend = LlamaBackend::init().map_err(|e| format!("llama.cpp back-end initialisation failed: {e}"))?;
    let model_params = LlamaModelParams::default().with_n_gpu_layers(match job.n_gpu_layers {
        n if n < 0 => u32::MAX,
        n => n as u32,
    });
    // A CPU run must not touch an accelerator that the llama.cpp build happens to have: with no
    // layers offloaded, llama.cpp would still place compute buffers on a GPU and offload large
    // prefill matrix products to it. An empty device list keeps everything on the CPU.
    let model_params = if job.backend == Backend::Cpu {
        model_params.with_devices(&[]).map_err(|e| format!("cannot restrict llama.cpp to the CPU: {e}"))?
    } else {
        model_params
    };
    let context_params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(job.n_ctx))
        .with_n_batch(job.n_batch)
        .with_n_threads(job.n_threads as i32)
        .with_n_threads_batch(job.n_threads as i32);

    let t_start_ns = monotonic_ns();
    let started = Instant::now();
    let model = LlamaModel::load_from_file(&backend, &job.model_path, &model_params)
        .map_err(|e| format!("llama.cpp could not load {}: {e}", job.model_path.display()))?;
    let cannot = |e: &dyn std::fmt::Display| format!("llama.cpp could not create a context for {}: {e}", job.model_path.display());
    let mut decoder: Box<dyn Decoder + '_> = if job.profile_ops {
        Box::new(crate::profile::eval_callback::ProfiledContext::new(&model, job.n_ctx, job.n_batch, job.n_threads).map_err(|e| cannot(&e))?)
    } else {
        Box::new(PlainContext::new(model.new_context(&backend, context_params).map_err(|e| cannot(&e))?, job.n_batch))
    };
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let t_end_ns = monotonic_ns();

    let template = model.chat_template(None).ok();
    // Whether the template can be applied is checked once, on an empty user message.
    let chat_template_applied = template.as_ref().is_some_and(|t| {
        LlamaChatMessage::new("user".into(), "x".into())
            .ok()
            .is_some_and(|m| model.apply_chat_template(t, &[m], true).is_ok())
    });
    emit(Event::Loaded {
        t_start_ns,
        t_end_ns,
        load_ms,
        n_params: model.n_params(),
        chat_template_applied,
        ggml_version: ggml_version(),
    });

    let vocab = model.vocab();
    for prompt in &job.prompts {
        let t_start_ns = monotonic_ns();
        emit(Event::PromptStarted { index: prompt.index, t_ns: t_start_ns });
        decoder.clear();
        match generate(&model, &vocab, decoder.as_mut(), template.as_ref().filter(|_| chat_template_applied), prompt, job) {
            Ok(mut g) => {
                if let Event::Generation { t_start_ns: s, t_end_ns: e, .. } = &mut g {
                    *s = t_start_ns;
                    *e = monotonic_ns();
                }
                emit(g)
            }
            Err(reason) => emit(Event::GenerationFailed { index: prompt.index, reason }),
        }
    }
    for (phase, nodes) in decoder.take_op_profile() {
        emit(Event::OpProfile { phase, nodes });
    }
    Ok(())
}

/// What [`generate`] needs of a llama.cpp context. A measured run uses [`PlainContext`]; a
/// profiling worker uses the profiler's context, so a capture runs exactly the loop it profiles.
/// Calls are dispatched once per decode call (tens of nanoseconds against milliseconds).
pub(crate) trait Decoder {
    /// Forgets the previous prompt (clears the KV cache).
    fn clear(&mut self);
    /// Evaluates `tokens` at positions `first_pos..`, with logits for the last one only.
    fn eval(&mut self, tokens: &[LlamaToken], first_pos: i32) -> Result<(), String>;
    /// Waits until the back-end has finished the calls made so far.
    fn synchronize(&mut self);
    /// The logits of the last token evaluated.
    fn last_logits(&self) -> &[f32];
    /// The phase the following calls belong to; only a profiler records it.
    fn enter_phase(&mut self, _phase: Phase) {}
    /// The node times per phase (a profiler's; empty otherwise).
    fn take_op_profile(&mut self) -> Vec<(Phase, Vec<crate::profile::eval_callback::NodeStat>)> {
        Vec::new()
    }
}

/// llama-cpp-2's context with one reusable batch: what every measured run decodes with.
struct PlainContext<'m> {
    ctx: llama_cpp_2::context::LlamaContext<'m>,
    batch: llama_cpp_2::llama_batch::LlamaBatch<'static>,
    last: i32,
}

impl<'m> PlainContext<'m> {
    fn new(ctx: llama_cpp_2::context::LlamaContext<'m>, n_batch: u32) -> Self {
        let batch = llama_cpp_2::llama_batch::LlamaBatch::new(n_batch.max(1) as usize, 1);
        PlainContext { ctx, batch, last: 0 }
    }
}

impl Decoder for PlainContext<'_> {
    fn clear(&mut self) {
        self.ctx.clear_kv_cache();
    }
    fn eval(&mut self, tokens: &[LlamaToken], first_pos: i32) -> Result<(), String> {
        self.batch.clear();
        let last = tokens.len().saturating_sub(1);
        for (j, &token) in tokens.iter().enumerate() {
            self.batch.add(token, first_pos + j as i32, &[0], j == last).map_err(|e| e.to_string())?;
        }
        self.ctx.decode(&mut self.batch).map_err(|e| e.to_string())?;
        self.last = self.batch.n_tokens() - 1;
        Ok(())
    }
    fn synchronize(&mut self) {
        self.ctx.synchronize();
    }
    fn last_logits(&self) -> &[f32] {
        self.ctx.get_logits_ith(self.last)
    }
}

/// Greedy sampling: the token with the highest logit (the first one on ties, as llama.cpp's
/// greedy sampler). Read straight from the logits: llama.cpp's sampler chain would first copy the
/// whole vocabulary into a candidate array at every token, harness work that llama-bench does
/// not do and that would be counted in TPOT.
fn greedy(decoder: &dyn Decoder) -> LlamaToken {
    LlamaToken::new(argmax(decoder.last_logits()) as i32)
}

/// Index of the largest value, the first one on ties (0 for an empty slice). A vocabulary is
/// 50k–260k logits and this runs once per token inside TPOT, so it is written for speed: each
/// block's maximum is found with one running maximum per lane (a shape the compiler turns into
/// SIMD max instructions, which an index-tracking loop is not), and only the first block holding
/// the overall maximum is scanned again for its position.
fn argmax(values: &[f32]) -> usize {
    const LANES: usize = 16;
    const BLOCK: usize = 4096;
    let mut best = (f32::NEG_INFINITY, 0usize);
    for (b, block) in values.chunks(BLOCK).enumerate() {
        let mut lanes = [f32::NEG_INFINITY; LANES];
        let chunks = block.chunks_exact(LANES);
        let tail = chunks.remainder();
        for chunk in chunks {
            for (m, &v) in lanes.iter_mut().zip(chunk) {
                *m = if v > *m { v } else { *m };
            }
        }
        let max = lanes.iter().chain(tail).fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m });
        if max > best.0 {
            best = (max, b);
        }
    }
    let start = best.1 * BLOCK;
    values[start..].iter().position(|&v| v == best.0).map_or(0, |i| start + i)
}

fn generate(
    model: &llama_cpp_2::model::LlamaModel,
    vocab: &llama_cpp_2::vocab::LlamaVocab<'_>,
    decoder: &mut dyn Decoder,
    template: Option<&llama_cpp_2::model::LlamaChatTemplate>,
    prompt: &JobPrompt,
    job: &Job,
) -> Result<Event, String> {
    use llama_cpp_2::model::LlamaChatMessage;

    let submitted = Instant::now();
    let text = match template {
        Some(t) => {
            let message = LlamaChatMessage::new("user".into(), prompt.text.clone()).map_err(|e| format!("prompt {}: {e}", prompt.index))?;
            model.apply_chat_template(t, &[message], true).map_err(|e| format!("chat template failed: {e}"))?
        }
        None => prompt.text.clone(),
    };
    let tokens = vocab.tokenize(text.as_bytes(), true, true);
    if tokens.is_empty() {
        return Err("the prompt tokenised to nothing".into());
    }
    if tokens.len() as u32 >= job.n_ctx {
        return Err(format!("the prompt has {} tokens, more than the context of {}; raise --n-ctx", tokens.len(), job.n_ctx));
    }
    let n_batch = job.n_batch.max(1) as usize;
    decoder.enter_phase(Phase::Prefill);
    let prefill_started = Instant::now();
    for (chunk_start, chunk) in tokens.chunks(n_batch).enumerate().map(|(i, c)| (i * n_batch, c)) {
        decoder.eval(chunk, chunk_start as i32).map_err(|e| format!("prompt evaluation failed: {e}"))?;
    }
    decoder.synchronize();
    let prefill_ms = prefill_started.elapsed().as_secs_f64() * 1000.0;

    let mut output = Vec::new();
    let mut pos = tokens.len() as i32;
    let mut token = greedy(decoder);
    let ttft_ms = submitted.elapsed().as_secs_f64() * 1000.0;
    decoder.enter_phase(Phase::Decode);
    let mut sampled: u32 = 1;
    let mut decode_calls = std::time::Duration::ZERO;
    let stop_reason = loop {
        if vocab.is_eog(token) && !job.ignore_eos {
            break StopReason::Eos;
        }
        output.push(token);
        if sampled >= job.max_output_tokens {
            break StopReason::MaxTokens;
        }
        if pos as u32 + 1 >= job.n_ctx {
            break StopReason::ContextFull;
        }
        let call = Instant::now();
        decoder.eval(&[token], pos).map_err(|e| format!("decoding failed after {sampled} tokens: {e}"))?;
        // What llama-bench does after each decode; reading the logits would synchronise anyway.
        decoder.synchronize();
        decode_calls += call.elapsed();
        pos += 1;
        token = greedy(decoder);
        sampled += 1;
    };
    let generation_ms = submitted.elapsed().as_secs_f64() * 1000.0;
    let bytes = vocab.detokenize(&output, false, false);
    Ok(Event::Generation {
        index: prompt.index,
        t_start_ns: 0,
        t_end_ns: 0,
        prompt_tokens: tokens.len() as u32,
        output_tokens: sampled,
        prefill_ms,
        ttft_ms,
        generation_ms,
        decode_calls_ms: decode_calls.as_secs_f64() * 1000.0,
        stop_reason,
        output_text: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::argmax;

    /// The obvious argmax: first index of the largest value.
    fn reference(values: &[f32]) -> usize {
        let mut best = 0;
        for (i, &v) in values.iter().enumerate() {
            if v > values[best] {
                best = i;
            }
        }
        best
    }

    #[test]
    fn argmax_matches_the_obvious_loop() {
        // Deterministic pseudo-random logits of every length around the lane width, with ties.
        let mut state: u32 = 0x9e37_79b9;
        for len in (1..70).chain([49_152, 262_144]) {
            let values: Vec<f32> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    // Few distinct values, so ties are frequent.
                    (state % 41) as f32 - 30.0
                })
                .collect();
            assert_eq!(argmax(&values), reference(&values), "length {len}");
        }
    }

    #[test]
    fn argmax_takes_the_first_of_equal_maxima_and_edge_cases() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0, 2.0]), 1);
        let mut v = vec![0.0f32; 40];
        v[33] = 5.0;
        v[17] = 5.0;
        assert_eq!(argmax(&v), 17);
        assert_eq!(argmax(&[-2.0]), 0);
        assert_eq!(argmax(&[f32::NEG_INFINITY, f32::NEG_INFINITY]), 0);
        assert_eq!(argmax(&[]), 0);
        assert_eq!(argmax(&[-1.0, f32::NAN, 4.0, -7.0]), 2);
    }
}
