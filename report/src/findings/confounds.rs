//! Confounds: what two compared cells differ in besides the factor their claim is about.
//!
//! A ratio between two cells says something about a claim's factor (back-end, power mode, size,
//! precision, family) only when nothing else that moves the measure differs between them. The
//! cell key already keeps apart the protocol, the weights origin and the page-cache state, but
//! comparisons across models or power modes can still pair cells that differ in:
//!
//! - **tuning** (instruction-tuned against base): decides what a model answers, so it bears on
//!   relevance, never on speed;
//! - **chat-template use**: changes what the model is asked (relevance) and how long the prompt
//!   is; for the prompt-length measures (TTFT, prefill rate, energy per output token, which
//!   includes the prefill's energy) the prompt tokens themselves are compared, with a
//!   [`PROMPT_TOKENS_TOLERANCE`];
//! - **prompt set, protocol or output-token cap**: different work per generation, so they bear on
//!   every measure taken while generating, not on load time or peak memory (set by the context
//!   size, the same for any prompt);
//! - **page-cache state** (cold against warm start): load time only;
//! - **weights origin** (synthetic against trained): every measure; ratios never pair them, and
//!   the check stands guard should a comparison ever do so.
//!
//! A comparison with a confound is not decisive whatever its interval says: its evidence line
//! says why, with the numbers, and the finding lists the confounds as caveats.

use std::collections::BTreeSet;

use super::Evidence;
use crate::analysis::{Analysis, Cell, CellKey, WeightsOrigin};
use crate::format;
use crate::metrics::Metric;

/// Two cells' mean prompt tokens are "the same length" when the longer is at most this much
/// longer than the shorter (relative): the tokenisers of two models cut one prompt into
/// slightly different counts, a chat template adds tens of tokens.
pub const PROMPT_TOKENS_TOLERANCE: f64 = 0.10;

/// What a comparison mixes, ordered as the caveats list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Kind {
    Weights,
    Tuning,
    ChatTemplate,
    PromptTokens,
    PromptSet,
    Protocol,
    TokenCap,
    PageCache,
}

impl Kind {
    /// Whether a difference of this kind moves `metric`.
    fn bears_on(self, metric: Metric) -> bool {
        let while_generating = !matches!(metric, Metric::LoadMs | Metric::PeakCpuMemory | Metric::PeakGpuMemory);
        match self {
            Kind::Weights => true,
            Kind::Tuning | Kind::ChatTemplate => metric.is_quality(),
            Kind::PromptTokens => is_prompt_length_measure(metric),
            Kind::PromptSet | Kind::Protocol | Kind::TokenCap => while_generating,
            Kind::PageCache => metric == Metric::LoadMs,
        }
    }

    /// What the caveat is about, first in it.
    fn title(self) -> &'static str {
        match self {
            Kind::Weights => "Weights",
            Kind::Tuning => "Tuning",
            Kind::ChatTemplate => "Chat template",
            Kind::PromptTokens => "Prompt length",
            Kind::PromptSet => "Prompt set",
            Kind::Protocol => "Protocol",
            Kind::TokenCap => "Token cap",
            Kind::PageCache => "Page cache",
        }
    }

    /// Why the difference matters, after the sentence that states it.
    fn why(self) -> &'static str {
        match self {
            Kind::Weights => "synthetic weights measure an architecture, not a model",
            Kind::Tuning => "tuning decides how a model answers, whatever its size or platform",
            Kind::ChatTemplate => "the template changes what the model is asked",
            Kind::PromptTokens => "prefill work, and with it the time to first token, grows with the prompt's length",
            Kind::PromptSet => "different prompts ask for different work",
            Kind::Protocol => "the protocols ask for different prompts and output lengths",
            Kind::TokenCap => "a lower cap cuts generations shorter",
            Kind::PageCache => "a cold load reads the model file from storage",
        }
    }

    /// What the two sides must share for a comparison to decide: "alike in …".
    pub(super) fn alike(self) -> String {
        match self {
            Kind::Weights => "weights origin (both trained, or both synthetic)".to_owned(),
            Kind::Tuning => "tuning (both instruction-tuned, or both base models)".to_owned(),
            Kind::ChatTemplate => "chat-template use".to_owned(),
            Kind::PromptTokens => {
                format!("prompt length (mean prompt tokens within {}%)", format::sig3(PROMPT_TOKENS_TOLERANCE * 100.0))
            }
            Kind::PromptSet => "prompt set".to_owned(),
            Kind::Protocol => "protocol".to_owned(),
            Kind::TokenCap => "output-token cap".to_owned(),
            Kind::PageCache => "page-cache state (both cold or both warm starts)".to_owned(),
        }
    }
}

/// The measures whose value depends on the prompt's length.
fn is_prompt_length_measure(metric: Metric) -> bool {
    matches!(metric, Metric::TtftMs | Metric::PrefillTokensPerS | Metric::EnergyPerOutputTokenJ)
}

/// One thing a comparison mixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Confound {
    pub kind: Kind,
    /// What differs, with the numbers (`gemma-3-270m's prompts average 41.0 tokens against 97.0
    /// for SmolLM2-135M-Instruct (no chat template for gemma-3-270m)`).
    pub sentence: String,
}

impl Confound {
    /// The sentence and why it matters, as a finding's caveat (`Tuning: gemma-3-270m is …;
    /// tuning decides …`). It starts with the kind's title, since the sentence itself may start
    /// with a model's name, whose case is the model's.
    pub(super) fn caveat(&self) -> String {
        format!("{}: {}; {}.", self.kind.title(), self.sentence, self.kind.why())
    }
}

/// What the cells `a` and `b` differ in, besides the factor compared, that moves `metric`.
pub(super) fn between(analysis: &Analysis, a: &CellKey, b: &CellKey, metric: Metric) -> Vec<Confound> {
    let (Some(ca), Some(cb)) = (analysis.cell(a), analysis.cell(b)) else { return Vec::new() };
    let (na, nb) = names(a, b);
    let sides = [Side { cell: ca, name: na }, Side { cell: cb, name: nb }];
    let mut out: Vec<Confound> = differences(analysis, &sides).into_iter().filter(|c| c.kind.bears_on(metric)).collect();
    out.sort_by_key(|c| c.kind);
    out
}

/// [`between`] over every pair of `keys` (one model on several platforms), each confound once.
pub(super) fn among(analysis: &Analysis, keys: &[&CellKey], metric: Metric) -> Vec<Confound> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, a) in keys.iter().enumerate() {
        for b in &keys[i + 1..] {
            for c in between(analysis, a, b, metric) {
                if seen.insert(c.sentence.clone()) {
                    out.push(c);
                }
            }
        }
    }
    out.sort_by_key(|c| c.kind);
    out
}

/// Marks `evidence` not decisive because of `confounds`, saying why in its result.
pub(super) fn mark(evidence: &mut Evidence, confounds: Vec<Confound>) {
    if confounds.is_empty() {
        return;
    }
    let words: Vec<&str> = confounds.iter().map(|c| c.sentence.as_str()).collect();
    evidence.result.push_str(&format!("; not decisive: {}", words.join("; ")));
    evidence.agrees = None;
    evidence.confounds = confounds.iter().map(Confound::caveat).collect();
    evidence.confound_kinds = confounds.iter().map(|c| c.kind).collect();
}

struct Side<'a> {
    cell: &'a Cell,
    name: String,
}

/// How the sentences name the two cells: by model where the models differ, else by platform.
fn names(a: &CellKey, b: &CellKey) -> (String, String) {
    let (ma, mb) = (a.model_key(), b.model_key());
    if ma == mb {
        return (a.platform().label(), b.platform().label());
    }
    if ma.name_label() != mb.name_label() { (ma.name_label(), mb.name_label()) } else { (ma.label(), mb.label()) }
}

fn differences(analysis: &Analysis, [a, b]: &[Side<'_>; 2]) -> Vec<Confound> {
    let mut out = Vec::new();
    let mut push = |kind, sentence: String| out.push(Confound { kind, sentence });
    let (ka, kb) = (&a.cell.key, &b.cell.key);
    if ka.weights != kb.weights {
        push(Kind::Weights, format!("{} has {} weights, {} {} ones", a.name, origin(ka.weights), b.name, origin(kb.weights)));
    }
    if let (Some(ta), Some(tb)) = (analysis.tuning(&ka.model_key()), analysis.tuning(&kb.model_key()))
        && ta != tb
    {
        push(Kind::Tuning, format!("{} is {}, {} {}", a.name, ta.words(), b.name, tb.words()));
    }
    let (ta, tb) = (&a.cell.conditions.chat_template, &b.cell.conditions.chat_template);
    let templates_differ = !ta.is_empty() && !tb.is_empty() && ta != tb;
    if templates_differ {
        push(
            Kind::ChatTemplate,
            format!("{}'s prompts were given {}, {}'s {}", a.name, template_words(ta), b.name, template_words(tb)),
        );
    }
    if let Some(sentence) = prompt_length(a, b, templates_differ) {
        push(Kind::PromptTokens, sentence);
    }
    let (ca, cb) = (&a.cell.conditions, &b.cell.conditions);
    if !ca.prompt_sets.is_empty() && !cb.prompt_sets.is_empty() && ca.prompt_sets != cb.prompt_sets {
        let label = |s: &BTreeSet<crate::analysis::PromptSet>| s.iter().map(|p| p.label()).collect::<Vec<_>>().join(" and ");
        push(Kind::PromptSet, format!("{} answered prompt set {}, {} {}", a.name, label(&ca.prompt_sets), b.name, label(&cb.prompt_sets)));
    }
    if ka.protocol != kb.protocol {
        let p = |k: &CellKey| k.protocol.map(|p| format!("the {p} protocol")).unwrap_or_else(|| "no protocol".to_owned());
        push(Kind::Protocol, format!("{} ran {}, {} {}", a.name, p(ka), b.name, p(kb)));
    }
    if !ca.max_output_tokens.is_empty() && !cb.max_output_tokens.is_empty() && ca.max_output_tokens != cb.max_output_tokens {
        let caps = |s: &BTreeSet<u32>| s.iter().map(u32::to_string).collect::<Vec<_>>().join(" and ");
        push(
            Kind::TokenCap,
            format!(
                "{}'s outputs were capped at {} tokens, {}'s at {}",
                a.name,
                caps(&ca.max_output_tokens),
                b.name,
                caps(&cb.max_output_tokens)
            ),
        );
    }
    if let (Some(pa), Some(pb)) = (ka.page_cache, kb.page_cache)
        && pa != pb
    {
        push(Kind::PageCache, format!("{}'s runs were a {}, {}'s a {}", a.name, pa.label(), b.name, pb.label()));
    }
    out
}

fn origin(weights: WeightsOrigin) -> &'static str {
    match weights {
        WeightsOrigin::Trained => "trained",
        WeightsOrigin::Synthetic => "synthetic",
    }
}

fn template_words(applied: &BTreeSet<bool>) -> &'static str {
    match (applied.contains(&true), applied.contains(&false)) {
        (true, false) => "in its chat template",
        (false, true) => "without a chat template",
        _ => "in its chat template in some runs only",
    }
}

/// The sentence that says the two cells' prompts differ in length by more than the tolerance.
fn prompt_length(a: &Side<'_>, b: &Side<'_>, templates_differ: bool) -> Option<String> {
    let (pa, pb) = (a.cell.prompt_tokens.as_ref()?.median, b.cell.prompt_tokens.as_ref()?.median);
    let (short, long) = (pa.min(pb), pa.max(pb));
    if short <= 0.0 || long / short <= 1.0 + PROMPT_TOKENS_TOLERANCE {
        return None;
    }
    let untemplated = |s: &Side<'_>| s.cell.conditions.chat_template == BTreeSet::from([false]);
    let note = match (templates_differ, untemplated(a), untemplated(b)) {
        (true, true, false) => format!(" (no chat template for {})", a.name),
        (true, false, true) => format!(" (no chat template for {})", b.name),
        _ => String::new(),
    };
    Some(format!(
        "{}'s prompts average {} tokens against {} for {}{note}",
        a.name,
        format::sig3(pa),
        format::sig3(pb),
        b.name
    ))
}
