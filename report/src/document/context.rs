//! What a measure's table shows beside its medians: the replicate n counts, why generations
//! stopped (a generation cut at the token limit is longer than the model would make it, which
//! weighs on TPOT, energy and relevance), prompt and output token counts with whether the chat
//! template wrapped the prompts (a model without one answers shorter prompts, so its TTFT is
//! lower for a reason that is not its speed), and whether outputs repeat across runs. Also the
//! methods section's notes on replication and stop reasons.

use super::MISSING;
use crate::analysis::{Analysis, Cell, Outputs};
use crate::findings::PROMPT_TOKENS_TOLERANCE;
use crate::format;
use crate::metrics::Metric;
use crate::stats::MedianEstimate;

/// A column of a measure's table after its median and interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Context {
    /// Share of completed generations that stopped at the token limit.
    AtCap,
    /// Share that stopped on an end-of-generation token.
    AtEnd,
    PromptTokens,
    OutputTokens,
    /// Whether the model's chat template wrapped the prompts.
    ChatTemplate,
    /// Whether the runs gave each prompt the same output.
    Outputs,
}

impl Context {
    /// The columns a measure's table has beside its medians.
    pub(super) fn of(metric: Metric) -> &'static [Context] {
        match metric {
            Metric::TtftMs | Metric::PrefillTokensPerS => &[Context::PromptTokens, Context::ChatTemplate, Context::OutputTokens],
            Metric::TpotMs | Metric::DecodeTokensPerS | Metric::EnergyPerOutputTokenJ => {
                &[Context::AtCap, Context::AtEnd, Context::PromptTokens, Context::OutputTokens]
            }
            Metric::Relevance => &[Context::Outputs, Context::ChatTemplate, Context::AtCap, Context::AtEnd],
            _ => &[],
        }
    }

    pub(super) fn header(self) -> &'static str {
        match self {
            Context::AtCap => "Stopped at cap",
            Context::AtEnd => "Stopped at end",
            Context::PromptTokens => "Prompt tokens",
            Context::OutputTokens => "Output tokens",
            Context::ChatTemplate => "Chat template",
            Context::Outputs => "Outputs across runs",
        }
    }

    pub(super) fn value(self, cell: &Cell) -> String {
        let share = |count| cell.stops.share(count).map(format::percent).unwrap_or_else(|| MISSING.to_owned());
        let tokens = |e: &Option<MedianEstimate>| e.as_ref().map(|e| format::sig3(e.median)).unwrap_or_else(|| MISSING.to_owned());
        match self {
            Context::AtCap => share(cell.stops.max_tokens),
            Context::AtEnd => share(cell.stops.eos),
            Context::PromptTokens => tokens(&cell.prompt_tokens),
            Context::OutputTokens => tokens(&cell.output_tokens),
            Context::ChatTemplate => {
                let applied = &cell.conditions.chat_template;
                match (applied.contains(&true), applied.contains(&false)) {
                    (true, false) => "applied".to_owned(),
                    (false, true) => "none".to_owned(),
                    (true, true) => "in some runs".to_owned(),
                    (false, false) => MISSING.to_owned(),
                }
            }
            Context::Outputs => cell.outputs.describe(),
        }
    }

    /// What the column means, for the table's caption.
    pub(super) fn explain(self) -> String {
        let text = match self {
            Context::AtCap => {
                "Stopped at cap / at end: share of the cell's completed generations whose stop_reason is max_tokens (cut at the token limit) / eos (the model ended its answer); a capped answer is longer than the model would make it, which weighs on TPOT, energy and relevance."
            }
            Context::AtEnd => "",
            Context::PromptTokens => {
                return format!(
                    "Prompt tokens / output tokens: median over the cell's runs of each run's mean tokens per prompt (the prompt with its chat template where one was applied; the output with a final end-of-generation token). A longer prompt takes longer to prefill, so time to first token and prefill rate compare between cells only at similar prompt lengths: the findings do not count a comparison whose mean prompt tokens differ by more than {}%.",
                    format::sig3(PROMPT_TOKENS_TOLERANCE * 100.0)
                );
            }
            Context::OutputTokens => "",
            Context::ChatTemplate => {
                "Chat template: whether the model's own chat template wrapped each prompt (runs.chat_template_applied); a model whose file has none (a base model) is given the bare prompt, which is shorter and asks it something different."
            }
            Context::Outputs => {
                "Outputs across runs: whether every run gave each prompt the same output (generations.output_sha256); where they are the same, relevance is over prompts."
            }
        };
        text.to_owned()
    }
}

/// The methods section's notes on replication: what each replicate is, and what the data show.
pub(super) fn replication_notes(analysis: &Analysis) -> Vec<String> {
    let mut notes = vec![
        "The replicate column says what a metric's n counts and its interval is over. Relevance is over prompts in a cell whose runs gave every prompt the same output (compared by generations.output_sha256, prompt by prompt): greedy decoding repeats its answers, so every run scores the same relevance for a prompt, and an interval over runs would be a single value claiming a precision the data do not have. There, n is the number of scored prompts and the interval is that of the median over prompts. In a cell whose outputs differ between runs (sampling, non-deterministic kernels), the runs are repetitions of the answer and relevance stays over runs of per-prompt means; the relevance table says which cells those are. With one run there is nothing to compare, and runs are kept.".to_owned(),
    ];
    let compared: Vec<&Cell> = analysis.cells.iter().filter(|c| !matches!(c.outputs, Outputs::Unknown { .. })).collect();
    let differ: Vec<String> = compared
        .iter()
        .filter(|c| !c.outputs.repeat())
        .map(|c| format!("{}, {} ({})", c.key.platform().label(), c.key.model_key().label(), c.outputs.describe()))
        .collect();
    let summary = if compared.is_empty() {
        "No cell has two runs with outputs to compare yet.".to_owned()
    } else if differ.is_empty() {
        format!("In this dataset every one of the {} cells with outputs in two or more runs gave each prompt the same output in every run.", compared.len())
    } else {
        format!(
            "Of the {} cells with outputs in two or more runs, {} gave each prompt the same output in every run; outputs differ between runs in {}: {}.",
            compared.len(),
            compared.len() - differ.len(),
            differ.len(),
            differ.join("; ")
        )
    };
    notes.push(summary);
    notes.push(Context::AtCap.explain().to_owned());
    notes.push(page_cache_note(analysis));
    notes
}

/// Cold and warm starts: how they are told apart, and what the dataset holds.
fn page_cache_note(analysis: &Analysis) -> String {
    let known = analysis.cells.iter().filter(|c| c.key.page_cache.is_some()).count();
    let mut note = "Whether a run's model file was in the operating system's page cache when its worker started changes its load time severalfold. Runs since schema 1.4 record the share that was resident (runs.model_resident_fraction, from mincore): under a tenth is a cold start, nine tenths or more a warm start, between the two partly cached. Cold, partly cached and warm runs are separate cells, labelled so, and never pooled; collect run --cold measures cold starts on purpose.".to_owned();
    note.push_str(&if known == 0 {
        " No cell of this dataset recorded it (its runs predate schema 1.4); their labels carry no page-cache state.".to_owned()
    } else {
        format!(" {known} of the {} cells recorded it; cells without a state predate schema 1.4.", analysis.cells.len())
    });
    note
}
