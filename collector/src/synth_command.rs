//! The command line of `collect synth` (the writer is `edgebench_collector::synth`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use edgebench_collector::synth::{self, Source, SynthRequest, WeightType, presets};

#[derive(Clone, Copy, ValueEnum)]
pub enum TypeArg {
    /// 8-bit blocks: the paper's "Q8" (Qwen, Llama, Gemma).
    #[value(name = "q8_0")]
    Q8_0,
    /// bfloat16: the paper's DeepSeek and QwQ runs.
    Bf16,
    F16,
    /// llama.cpp's 4-bit mix (Q4_K with Q6_K where llama.cpp puts it).
    #[value(name = "q4_k_m")]
    Q4KM,
}

#[derive(clap::Args)]
pub struct SynthArgs {
    /// The architecture to write: qwen2.5-0.5b, qwen2.5-1.5b, qwen2.5-3b, llama-3.2-1b,
    /// deepseek-r1-distill-qwen-1.5b, qwq-1.5b, gemma-2-2b.
    #[arg(long, required_unless_present = "like", conflicts_with = "like", value_name = "NAME")]
    preset: Option<String>,
    /// Weight type of the matrices (norms, biases and RoPE factors are F32, as llama.cpp writes
    /// them).
    #[arg(long = "type", value_enum, required_unless_present = "like", conflicts_with = "like")]
    weight_type: Option<TypeArg>,
    /// Make the twin of this GGUF: its metadata, tokenizer, tensor names, shapes and types, with
    /// new values.
    #[arg(long, value_name = "FILE")]
    like: Option<PathBuf>,
    /// Seed of the value generator.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// GGUF whose tokenizer a preset copies (default: SmolLM2-135M's for Qwen2 and Llama presets,
    /// gemma-3-270m's for Gemma-2, from $EDGEBENCH_MODELS as scripts/fetch-models.sh fetches them).
    #[arg(long, value_name = "FILE")]
    tokenizer_from: Option<PathBuf>,
    /// Output file (never overwritten). Default: <preset>.<TYPE>.seed<N>.synthetic.gguf, or
    /// <source stem>.twin.seed<N>.synthetic.gguf, in the current directory.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Threads that generate and convert values (the file does not depend on it).
    #[arg(long)]
    threads: Option<usize>,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

pub fn synth(args: SynthArgs) -> ExitCode {
    let fail = |msg: String| {
        eprintln!("collect synth: {msg}");
        ExitCode::from(2)
    };
    let (source, default_name) = match (args.preset, args.weight_type, args.like) {
        (Some(name), Some(ty), None) => {
            let Some(p) = presets::find(&name) else {
                return fail(format!("unknown preset `{name}`; the presets are {}", presets::names()));
            };
            let ty = match ty {
                TypeArg::Q8_0 => WeightType::Q8_0,
                TypeArg::Bf16 => WeightType::Bf16,
                TypeArg::F16 => WeightType::F16,
                TypeArg::Q4KM => WeightType::Q4KM,
            };
            (Source::Preset(p, ty), format!("{}.{}.seed{}.synthetic.gguf", p.name, ty.as_str(), args.seed))
        }
        (None, None, Some(path)) => {
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into());
            (Source::Like(path), format!("{stem}.twin.seed{}.synthetic.gguf", args.seed))
        }
        _ => return fail("give --preset NAME --type TYPE, or --like FILE".into()),
    };
    if args.threads == Some(0) {
        return fail("--threads is 0: at least one thread is needed".into());
    }
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let request = SynthRequest { source, seed: args.seed, tokenizer_from: args.tokenizer_from, out: args.out.unwrap_or_else(|| PathBuf::from(default_name)), threads };
    match synth::synth(&request, &mut |line| eprintln!("collect synth: {line}")) {
        Err(e) => fail(e),
        Ok(o) => {
            if args.json {
                println!("{}", serde_json::to_string_pretty(&o).expect("summary serialises"));
            }
            eprintln!(
                "collect synth: wrote {} ({:.2} GB, {} tensors, {} parameters without RoPE factors) in {:.1} s; sha256 {}",
                o.path,
                o.bytes as f64 / 1e9,
                o.tensors,
                o.params,
                o.seconds,
                o.sha256
            );
            ExitCode::SUCCESS
        }
    }
}
