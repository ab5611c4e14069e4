//! `collect synth`: GGUF files with the architecture, tensor shapes and weight types of a real
//! model and generated weight values, so that the paper's models can be measured where their
//! weights cannot be had.
//!
//! Load time, TTFT, TPOT, memory and power depend on the architecture, the shapes, the weight
//! type and the number of tokens, not on the values of the weights. A synthetic file measures
//! the architecture, never the model's quality: it says so in its own metadata
//! (`edgebench.synthetic.*`, and " (synthetic weights)" in `general.name`), and every run of it
//! says so in the dataset (`runs.weights_origin`).
//!
//! - A **preset** ([`presets`]) is one of the paper's seven models: hyper-parameters from its
//!   `config.json`, the tensor list llama.cpp's converter writes for it, a tokenizer copied from a
//!   real GGUF ([`tokenizer`]).
//! - A **twin** (`--like FILE`) copies an existing GGUF's metadata, tokenizer, tensor names,
//!   shapes and types, with new values: a contributor can publish performance rows of a model
//!   whose weights they may not share.
//!
//! Values ([`values`]) come from a seeded generator, row by row, so the same request writes the
//! same bytes whatever the thread count; they are drawn uniform with the variance a trained layer
//! has, so nothing overflows in F16 or BF16. Files are written through ggml's own GGUF writer
//! (metadata) and quantiser (`ggml_quantize_chunk`; `Q4_K_M`, a per-tensor mix only llama.cpp
//! decides, through `llama_model_quantize`), streamed row block by row block into a temporary file
//! that is renamed into place when complete: nothing partial is left behind, on any error.

pub mod gguf;
pub mod presets;
pub mod tokenizer;
pub mod values;
mod write;

use std::path::{Path, PathBuf};

use edgebench_dataset::schema::Sha256Hex;
use serde::Serialize;

use crate::model_file::synthetic_keys;
use gguf::{Gguf, GgmlType, Value};
use presets::{Preset, Role};
use write::{Contents, Planned};

/// Weight types a preset can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightType {
    Q8_0,
    Bf16,
    F16,
    Q4KM,
}

impl WeightType {
    pub fn parse(s: &str) -> Option<WeightType> {
        match s.to_ascii_lowercase().as_str() {
            "q8_0" => Some(WeightType::Q8_0),
            "bf16" => Some(WeightType::Bf16),
            "f16" => Some(WeightType::F16),
            "q4_k_m" => Some(WeightType::Q4KM),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            WeightType::Q8_0 => "Q8_0",
            WeightType::Bf16 => "BF16",
            WeightType::F16 => "F16",
            WeightType::Q4KM => "Q4_K_M",
        }
    }
    /// llama.cpp's `general.file_type`.
    fn ftype(self) -> u32 {
        match self {
            WeightType::Q8_0 => llama_cpp_sys_2::LLAMA_FTYPE_MOSTLY_Q8_0,
            WeightType::Bf16 => llama_cpp_sys_2::LLAMA_FTYPE_MOSTLY_BF16,
            WeightType::F16 => llama_cpp_sys_2::LLAMA_FTYPE_MOSTLY_F16,
            WeightType::Q4KM => llama_cpp_sys_2::LLAMA_FTYPE_MOSTLY_Q4_K_M,
        }
    }
    /// The type every matrix is written in directly (Q4_K_M: F16 first, then llama.cpp's mix).
    fn direct(self) -> GgmlType {
        match self {
            WeightType::Q8_0 => llama_cpp_sys_2::GGML_TYPE_Q8_0,
            WeightType::Bf16 => llama_cpp_sys_2::GGML_TYPE_BF16,
            WeightType::F16 | WeightType::Q4KM => llama_cpp_sys_2::GGML_TYPE_F16,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Source {
    Preset(&'static Preset, WeightType),
    Like(PathBuf),
}

#[derive(Debug, Clone)]
pub struct SynthRequest {
    pub source: Source,
    pub seed: u64,
    /// The GGUF whose tokenizer a preset copies (default: [`tokenizer::default_source`]).
    pub tokenizer_from: Option<PathBuf>,
    pub out: PathBuf,
    pub threads: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct SynthOutcome {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
    /// Every tensor's elements but RoPE frequency factors.
    pub params: u64,
    pub tensors: usize,
    pub generator: String,
    pub seconds: f64,
}

/// Suffix of `general.name` in every synthetic file.
pub const NAME_SUFFIX: &str = " (synthetic weights)";

/// Version of the value generator: bumped whenever a change to this module would change the
/// bytes written for the same request (values, order, metadata). It, not the collector's commit,
/// goes into the file, so that any collector with the same generator writes the same bytes.
pub const GENERATOR_VERSION: u32 = 1;

/// The generator's identity: with the preset or source, the weight type and the seed, enough to
/// write the same bytes again.
fn generator(tokenizer: Option<(&str, &str)>) -> String {
    let mut g = format!(
        "edgebench collect synth, generator {GENERATOR_VERSION}: values uniform with the variance of a trained layer (matrices 1/fan-in, embeddings and biases 0.02², norms 1 ± 0.05), row-seeded SplitMix64"
    );
    if let Some((file, sha)) = tokenizer {
        g.push_str(&format!("; tokenizer from {file} (sha256 {sha})"));
    }
    g
}

/// Writes the file the request describes and returns what it wrote.
pub fn synth(r: &SynthRequest, progress: &mut dyn FnMut(&str)) -> Result<SynthOutcome, String> {
    let started = std::time::Instant::now();
    if r.out.exists() {
        return Err(format!("{} exists: remove it or give another --out (collect synth never overwrites)", r.out.display()));
    }
    let dir = r.out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(format!("{}: the output directory does not exist", dir.display()));
    }
    let (meta, planned, generator_id, weight_type) = match &r.source {
        Source::Preset(p, ty) => {
            let (meta, planned, gen_id) = preset_file(p, *ty, r)?;
            (meta, planned, gen_id, Some(*ty))
        }
        Source::Like(path) => {
            let (meta, planned, gen_id) = twin_file(path, r)?;
            (meta, planned, gen_id, None)
        }
    };
    let params = planned.iter().filter(|t| t.role != Role::RopeFactors).map(|t| t.ne.iter().product::<i64>() as u64).sum();
    let tensors = planned.len();
    let written = if weight_type == Some(WeightType::Q4KM) {
        write::write_then_quantize(&meta, &planned, r, WeightType::Q4KM.ftype(), progress)?
    } else {
        write::write_file(&meta, &planned, r, &r.out, progress)?
    };
    Ok(SynthOutcome {
        path: r.out.display().to_string(),
        sha256: written.sha256.to_string(),
        bytes: written.bytes,
        params,
        tensors,
        generator: generator_id,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn set(g: &mut Gguf, key: &str, v: Value) -> Result<(), String> {
    g.set(key, &v)
}

fn mark(g: &mut Gguf, generator: &str, seed: u64, preset: Option<&str>, source: Option<&Sha256Hex>) -> Result<(), String> {
    set(g, synthetic_keys::GENERATOR, Value::Str(generator.into()))?;
    set(g, synthetic_keys::SEED, Value::U64(seed))?;
    if let Some(p) = preset {
        set(g, synthetic_keys::PRESET, Value::Str(p.into()))?;
    }
    if let Some(s) = source {
        set(g, synthetic_keys::SOURCE_SHA256, Value::Str(s.to_string()))?;
    }
    Ok(())
}

/// Metadata and tensor plan of a preset.
fn preset_file(p: &'static Preset, ty: WeightType, r: &SynthRequest) -> Result<(Gguf, Vec<Planned>, String), String> {
    let tok_path = match &r.tokenizer_from {
        Some(path) => path.clone(),
        None => tokenizer::default_source(p.arch)?,
    };
    let tok = tokenizer::Tokenizer::read(&tok_path, p.vocab as usize)?;
    let generator_id = generator(Some((&tok.file_name, &tok.sha256.to_string())));
    let tensors = p.tensors();
    let mut g = Gguf::empty(tensors.len());
    let arch = p.arch.gguf_name();
    let k = |s: &str| format!("{arch}.{s}");
    set(&mut g, "general.architecture", Value::Str(arch.into()))?;
    set(&mut g, "general.name", Value::Str(format!("{}{NAME_SUFFIX}", p.model)))?;
    set(&mut g, "general.file_type", Value::U32(ty.ftype()))?;
    set(&mut g, &k("context_length"), Value::U32(p.context))?;
    set(&mut g, &k("embedding_length"), Value::U32(p.hidden as u32))?;
    set(&mut g, &k("block_count"), Value::U32(p.layers as u32))?;
    set(&mut g, &k("feed_forward_length"), Value::U32(p.ffn as u32))?;
    set(&mut g, &k("attention.head_count"), Value::U32(p.heads as u32))?;
    set(&mut g, &k("attention.head_count_kv"), Value::U32(p.kv_heads as u32))?;
    set(&mut g, &k("attention.key_length"), Value::U32(p.head_dim as u32))?;
    set(&mut g, &k("attention.value_length"), Value::U32(p.head_dim as u32))?;
    set(&mut g, &k("rope.freq_base"), Value::F32(p.rope_theta))?;
    set(&mut g, &k("attention.layer_norm_rms_epsilon"), Value::F32(p.rms_eps))?;
    match p.arch {
        presets::Arch::Llama => {
            set(&mut g, &k("vocab_size"), Value::U32(p.vocab as u32))?;
            set(&mut g, &k("rope.dimension_count"), Value::U32(p.head_dim as u32))?;
        }
        presets::Arch::Gemma2 => {
            // gemma-2-2b-it config.json: attn_logit_softcapping 50, final_logit_softcapping 30,
            // sliding_window 4096 (every other layer, as llama.cpp applies it).
            set(&mut g, &k("attn_logit_softcapping"), Value::F32(50.0))?;
            set(&mut g, &k("final_logit_softcapping"), Value::F32(30.0))?;
            set(&mut g, &k("attention.sliding_window"), Value::U32(4096))?;
        }
        presets::Arch::Qwen2 => {}
    }
    tok.write_into(&mut g)?;
    mark(&mut g, &generator_id, r.seed, Some(p.name), None)?;
    let mut planned = Vec::new();
    for t in tensors {
        let ty_t = if t.ne.len() >= 2 { ty.direct() } else { llama_cpp_sys_2::GGML_TYPE_F32 };
        g.add_tensor(&t.name, &t.ne, ty_t)?;
        let contents = if t.role == Role::RopeFactors { Contents::Floats(p.rope_factors()) } else { Contents::Generated(t.role) };
        planned.push(Planned { name: t.name, ne: t.ne, ty: ty_t, role: t.role, contents });
    }
    Ok((g, planned, generator_id))
}

/// Metadata and tensor plan of a twin of `path`.
fn twin_file(path: &Path, r: &SynthRequest) -> Result<(Gguf, Vec<Planned>, String), String> {
    if r.tokenizer_from.is_some() {
        return Err("--tokenizer-from is for presets: a twin keeps its source's tokenizer".into());
    }
    let src = Gguf::open(path)?;
    let source_sha = crate::model_file::hash_file(path)?;
    let generator_id = generator(None);
    let infos = src.tensors();
    let mut g = Gguf::empty(infos.len());
    g.copy_all_keys(&src);
    let name = match src.get("general.name") {
        Some(Value::Str(n)) => n,
        _ => path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into()),
    };
    if !name.ends_with(NAME_SUFFIX) {
        set(&mut g, "general.name", Value::Str(format!("{name}{NAME_SUFFIX}")))?;
    }
    mark(&mut g, &generator_id, r.seed, None, Some(&source_sha))?;
    let mut planned = Vec::new();
    for t in &infos {
        let role = Role::of(&t.name);
        if role != Role::RopeFactors && !gguf::can_quantize(t.ty) {
            return Err(format!(
                "{}: tensor {} is {}, which ggml cannot write without an importance matrix; a twin of this file cannot be made",
                path.display(),
                t.name,
                gguf::type_name(t.ty)
            ));
        }
        g.add_tensor(&t.name, &t.ne, t.ty)?;
        // RoPE factors are computed from the configuration, not learnt: keep the source's bytes.
        let contents = if role == Role::RopeFactors { Contents::CopiedFrom(path.to_path_buf(), src.data_offset() + t.offset, t.size) } else { Contents::Generated(role) };
        planned.push(Planned { name: t.name.clone(), ne: t.ne.clone(), ty: t.ty, role, contents });
    }
    Ok((g, planned, generator_id))
}
