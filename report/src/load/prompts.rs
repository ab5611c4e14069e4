//! What the report needs of each completed generation beyond the per-run means: which prompt it
//! answered and what it answered (whether a cell's outputs repeat across runs decides the
//! replicate of its relevance, [`crate::metrics::Replication`]), why it stopped, and its token
//! counts. Folded row by row beside [`super::RunTotals`]' sums, from four more projected columns.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, UInt32Type};
use arrow_array::{Array, Float64Array, RecordBatch, StringArray, UInt32Array};
use edgebench_dataset::schema::v1::StopReason;

use super::MeanAcc;

/// The generation columns read for [`RunDetail`] beyond those the sums need.
pub(super) const COLUMNS: [&str; 4] = ["prompt_sha256", "output_sha256", "stop_reason", "prompt_tokens"];

/// One run's completed generations, as [`RunDetail::fold`] saw them.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RunDetail {
    pub stops: StopCounts,
    pub prompt_tokens: MeanAcc,
    pub output_tokens: MeanAcc,
    /// One entry per completed generation with an output hash, in row order.
    pub prompts: Vec<PromptOutcome>,
}

impl RunDetail {
    pub(super) fn add(&mut self, other: &RunDetail) {
        self.stops.add(&other.stops);
        for (a, b) in [(&mut self.prompt_tokens, &other.prompt_tokens), (&mut self.output_tokens, &other.output_tokens)] {
            a.sum += b.sum;
            a.n += b.n;
        }
        self.prompts.extend_from_slice(&other.prompts);
    }
}

/// Completed generations by `stop_reason`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StopCounts {
    /// End-of-generation token sampled.
    pub eos: u64,
    /// The token limit reached.
    pub max_tokens: u64,
    pub context_full: u64,
    /// No stop reason recorded.
    pub unknown: u64,
}

impl StopCounts {
    pub fn add(&mut self, other: &StopCounts) {
        self.eos += other.eos;
        self.max_tokens += other.max_tokens;
        self.context_full += other.context_full;
        self.unknown += other.unknown;
    }

    /// Generations with a stop reason: the denominator of the shares.
    pub fn known(&self) -> u64 {
        self.eos + self.max_tokens + self.context_full
    }

    /// Share of the generations with a stop reason that stopped for `count`; `None` without any.
    pub fn share(&self, count: u64) -> Option<f64> {
        let known = self.known();
        (known > 0).then(|| count as f64 / known as f64)
    }
}

/// One completed generation's prompt, output and relevance, compact because a dataset can hold
/// millions: the first 64 bits of each sha256 tell texts apart (a collision among a cell's
/// prompts or outputs has probability ~n²/2⁶⁵), and a missing relevance is NaN rather than an
/// `Option`, which keeps an entry at 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PromptOutcome {
    /// `prompt_sha256`: a prompt is its text, not its index, since one cell may hold runs of
    /// different prompt sets.
    pub prompt: u64,
    /// `output_sha256`.
    pub output: u64,
    relevance: f64,
}

impl PromptOutcome {
    pub fn new(prompt: u64, output: u64, relevance: Option<f64>) -> PromptOutcome {
        PromptOutcome { prompt, output, relevance: relevance.filter(|r| r.is_finite()).unwrap_or(f64::NAN) }
    }

    pub fn relevance(&self) -> Option<f64> {
        Some(self.relevance).filter(|r| r.is_finite())
    }
}

/// The first 16 hex digits of a sha256 as a number.
fn prefix64(hex: &str) -> Option<u64> {
    u64::from_str_radix(hex.get(..16)?, 16).ok()
}

/// The columns of one batch that [`RunDetail`] is folded from.
pub(super) struct Columns<'a> {
    prompt: &'a StringArray,
    output: &'a StringArray,
    stop: &'a StringArray,
    prompt_tokens: &'a UInt32Array,
    output_tokens: &'a UInt32Array,
    relevance: &'a Float64Array,
}

impl<'a> Columns<'a> {
    pub(super) fn of(batch: &'a RecordBatch) -> Result<Columns<'a>, String> {
        let column = |name: &str| batch.column_by_name(name).ok_or_else(|| format!("column {name} missing"));
        let strings = |name: &str| {
            column(name)?.as_string_opt::<i32>().ok_or_else(|| format!("column {name} is not a string column"))
        };
        let counts = |name: &str| {
            column(name)?.as_primitive_opt::<UInt32Type>().ok_or_else(|| format!("column {name} is not a uint32 column"))
        };
        let [prompt, output, stop, prompt_tokens] = COLUMNS;
        Ok(Columns {
            prompt: strings(prompt)?,
            output: strings(output)?,
            stop: strings(stop)?,
            prompt_tokens: counts(prompt_tokens)?,
            output_tokens: counts("output_tokens")?,
            relevance: column("relevance")?
                .as_primitive_opt::<Float64Type>()
                .ok_or("column relevance is not a float64 column")?,
        })
    }

    /// Adds row `i`, a completed generation, to its run's detail.
    pub(super) fn fold(&self, i: usize, detail: &mut RunDetail) {
        let stops = &mut detail.stops;
        match self.stop.is_valid(i).then(|| self.stop.value(i)) {
            Some(s) if s == StopReason::Eos.as_str() => stops.eos += 1,
            Some(s) if s == StopReason::MaxTokens.as_str() => stops.max_tokens += 1,
            Some(s) if s == StopReason::ContextFull.as_str() => stops.context_full += 1,
            _ => stops.unknown += 1,
        }
        let count = |a: &UInt32Array| a.is_valid(i).then(|| f64::from(a.value(i)));
        detail.prompt_tokens.push(count(self.prompt_tokens));
        detail.output_tokens.push(count(self.output_tokens));
        let hash = |a: &StringArray| if a.is_valid(i) { prefix64(a.value(i)) } else { None };
        if let (Some(prompt), Some(output)) = (hash(self.prompt), hash(self.output)) {
            let relevance = self.relevance.is_valid(i).then(|| self.relevance.value(i));
            detail.prompts.push(PromptOutcome::new(prompt, output, relevance));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_stay_small_and_keep_missing_relevance_missing() {
        assert_eq!(std::mem::size_of::<PromptOutcome>(), 24);
        assert_eq!(PromptOutcome::new(1, 2, None).relevance(), None);
        assert_eq!(PromptOutcome::new(1, 2, Some(f64::INFINITY)).relevance(), None);
        assert_eq!(PromptOutcome::new(1, 2, Some(0.5)).relevance(), Some(0.5));
        assert_eq!(prefix64("00000000000000ffabc"), Some(255));
        assert_eq!(prefix64("short"), None);
    }

    #[test]
    fn stop_shares_are_over_generations_with_a_reason() {
        let s = StopCounts { eos: 1, max_tokens: 3, context_full: 0, unknown: 5 };
        assert_eq!(s.share(s.max_tokens), Some(0.75));
        assert_eq!(StopCounts::default().share(0), None);
    }
}
