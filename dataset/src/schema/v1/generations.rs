//! The `generations` table: one row per prompt of a run, with its tokens, latencies, output,
//! energy and relevance.

use super::{Backend, EnergyMethod, GenerationStatus, StopReason};
use crate::define_table;
use crate::schema::{Sha256Hex, Text, UtcMicros};

define_table! {
    /// One prompt inside one run: token counts, latencies, output, energy and relevance.
    table "generations", id generation_id, partition(device = device_label, model = model_name),
    pub struct Generation {
        /// sha256 of run_id and prompt_index.
        pub generation_id: Sha256Hex,
        /// The run this generation belongs to (`runs.run_id`).
        pub run_id: Sha256Hex,
        /// Schema version the row was written under (`major.minor`, see the versions of schema v1);
        /// always the version its shard's footer names.
        pub schema_version: String,
        /// Same as the run's `device_label` (kept here so that this table reads on its own).
        pub device_label: String,
        /// Same as the run's `backend`.
        pub backend: Backend,
        /// Same as the run's `power_mode`.
        pub power_mode: Option<String>,
        /// Same as the run's `model_name`.
        pub model_name: String,
        /// Same as the run's `model_sha256`.
        pub model_sha256: Sha256Hex,
        /// 0-based position of the prompt in the prompt set.
        pub prompt_index: u32,
        /// Identifier of the prompt within its set.
        pub prompt_id: String,
        /// sha256 of the prompt text as submitted (after the CoT trigger, before the chat template).
        pub prompt_sha256: Sha256Hex,
        /// sha256 of the prompt's reference answer, when the set has one.
        pub reference_sha256: Option<Sha256Hex>,
        /// Whether the generation completed.
        pub status: GenerationStatus,
        /// Why it failed (required when `status` is `failed`).
        pub failure_reason: Option<Text>,
        /// When the prompt was submitted.
        pub started_at: UtcMicros,
        /// Tokens in the prompt as evaluated (chat template included).
        #[unit = "tokens"]
        pub prompt_tokens: Option<u32>,
        /// Tokens sampled, the first one included, and a final end-of-generation token included
        /// when generation stopped on one (`output_text` excludes it).
        #[unit = "tokens"]
        pub output_tokens: Option<u32>,
        /// Time to evaluate the prompt: its decode calls alone, synchronised (llama-bench's `pp`).
        #[unit = "ms"]
        pub prefill_ms: Option<f64>,
        /// Time to first token: prompt submitted (before chat template and tokenisation) → first
        /// token sampled (prefill included).
        #[unit = "ms"]
        pub ttft_ms: Option<f64>,
        /// Time per output token after the first: (generation_ms − ttft_ms) / (output_tokens − 1);
        /// null when fewer than two tokens were generated.
        #[unit = "ms/token"]
        pub tpot_ms: Option<f64>,
        /// Prompt submitted → last token sampled.
        #[unit = "ms"]
        pub generation_ms: Option<f64>,
        /// Prompt tokens per second of prefill: 1000 · prompt_tokens / prefill_ms.
        #[unit = "tokens/s"]
        pub prefill_tokens_per_s: Option<f64>,
        /// Output tokens per second of decode: 1000 / tpot_ms.
        #[unit = "tokens/s"]
        pub decode_tokens_per_s: Option<f64>,
        /// Why generation stopped.
        pub stop_reason: Option<StopReason>,
        /// Generated text.
        pub output_text: Option<Text>,
        /// sha256 of `output_text` (UTF-8).
        pub output_sha256: Option<Sha256Hex>,
        /// Peak resident set size of the worker during this generation.
        #[unit = "bytes"]
        pub peak_rss_bytes: Option<u64>,
        /// Peak GPU (or unified) memory of the worker during this generation.
        #[unit = "bytes"]
        pub peak_gpu_memory_bytes: Option<u64>,
        /// Mean power during this generation.
        #[unit = "W"]
        pub mean_power_w: Option<f64>,
        /// Energy during this generation.
        #[unit = "J"]
        pub energy_j: Option<f64>,
        /// energy_j / output_tokens.
        #[unit = "J/token"]
        pub energy_per_output_token_j: Option<f64>,
        /// Why the power columns are null.
        pub power_null_reason: Option<Text>,
        /// Cosine similarity between the embeddings of the output and of the reference answer;
        /// filled after measurement by the scorer.
        #[unit = "cosine similarity"]
        pub relevance: Option<f64>,
        /// Scorer that computed `relevance` (embedding model and method).
        pub relevance_model: Option<String>,
        /// sha256 of the scorer's weights.
        pub relevance_model_sha256: Option<Sha256Hex>,
        /// Why `relevance` is null and stays so (for example: the run's weights are synthetic, so
        /// its outputs carry no meaning to score).
        #[since = "1.3"]
        pub relevance_null_reason: Option<Text>,
        /// How `energy_j` was obtained from the run's power source; null when it is.
        #[since = "1.4"]
        pub energy_method: Option<EnergyMethod>,
    }
}
