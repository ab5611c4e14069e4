//! What a cell's runs were given besides the platform and the model, and what kind of model it
//! is: the things a comparison between two cells may differ in without meaning to.
//!
//! The cell key keeps apart what always changes a measurement (protocol, weights origin, page
//! cache); the conditions here are what a cell's runs share in practice but the key does not
//! pin: whether the model's chat template wrapped the prompts (a file without one gets the bare
//! prompt, so fewer prompt tokens and a different task for the model), which prompt set, exactly,
//! and the output-token cap. A finding that compares two cells reads them to tell when the
//! comparison mixes something its claim does not intend ([`crate::findings`]).
//!
//! **Tuning.** Whether a trained model is instruction-tuned or a base (pre-trained) model is read
//! from its name as the model registry gives it (its Hugging Face repository name), where the
//! publishers mark tuning with a suffix: `-Instruct`, `-it`, `-Chat`. A registered model with a
//! repository and no such mark is a base model (the registry's gemma-3-270m, "the pre-trained
//! model, not the instruction-tuned gemma-3-270m-it"); a name the registry does not know is
//! judged only when it carries the mark, since a GGUF's own `general.name` often drops it
//! (SmolLM2-135M-Instruct's file says "Smollm2 135M 8k Lc100K Mix1 Ep2"). Synthetic weights have
//! no tuning: their values are generated.

use std::collections::BTreeSet;

use serde::Serialize;

use edgebench_dataset::model_registry::ModelRegistry;

use super::WeightsOrigin;
use crate::load::RunSummary as Run;

/// What a cell's completed runs were given, as sets: one value each normally, several when the
/// runs of one cell differ (which the findings treat as a difference too).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Conditions {
    /// Whether the model's chat template was applied to the prompts (runs that say).
    pub chat_template: BTreeSet<bool>,
    pub prompt_sets: BTreeSet<PromptSet>,
    pub max_output_tokens: BTreeSet<u32>,
}

/// A prompt set as a run names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PromptSet {
    pub name: String,
    pub n_prompts: u32,
    pub sha256: String,
}

impl PromptSet {
    /// `builtin (50 prompts, 23eaa426…)`.
    pub fn label(&self) -> String {
        format!("{} ({} prompts, {}…)", self.name, self.n_prompts, self.sha256.get(..8).unwrap_or(&self.sha256))
    }
}

impl Conditions {
    pub(super) fn add_run(&mut self, run: &Run) {
        self.chat_template.extend(run.chat_template_applied);
        self.prompt_sets.insert(PromptSet {
            name: run.prompt_set_name.clone(),
            n_prompts: run.n_prompts,
            sha256: run.prompt_set_sha256.to_string(),
        });
        self.max_output_tokens.insert(run.max_output_tokens);
    }
}

/// How a trained model was trained last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tuning {
    /// Tuned to follow instructions or chat (`-Instruct`, `-it`, `-Chat`).
    Instruction,
    /// Pre-trained only.
    Base,
}

impl Tuning {
    /// `instruction-tuned`, `a base (pre-trained) model`: what follows "is".
    pub fn words(self) -> &'static str {
        match self {
            Tuning::Instruction => "instruction-tuned",
            Tuning::Base => "a base (pre-trained) model",
        }
    }
}

/// Name parts (split at anything but letters and digits, any case) that mark a tuned model.
const TUNED_MARKS: &[&str] = &["instruct", "it", "chat"];

fn has_tuned_mark(name: &str) -> bool {
    name.split(|c: char| !c.is_ascii_alphanumeric()).any(|part| TUNED_MARKS.iter().any(|m| part.eq_ignore_ascii_case(m)))
}

/// The tuning of a run's model; `None` when the weights are synthetic or nothing says.
pub(super) fn tuning(run: &Run, registry: Option<&ModelRegistry>) -> Option<Tuning> {
    if run.weights() == WeightsOrigin::Synthetic {
        return None;
    }
    let registered = registry.and_then(|r| r.file(run.model_sha256.as_str())).map(|(model, _)| model);
    match registered {
        Some(model) => {
            let repo = model.repo.as_deref();
            if has_tuned_mark(&model.name) || repo.is_some_and(has_tuned_mark) {
                Some(Tuning::Instruction)
            } else {
                repo.map(|_| Tuning::Base)
            }
        }
        None => has_tuned_mark(&run.model_name).then_some(Tuning::Instruction),
    }
}

#[cfg(test)]
mod tests {
    use super::has_tuned_mark;

    #[test]
    fn tuning_marks_are_whole_name_parts() {
        for tuned in ["SmolLM2-135M-Instruct", "gemma-2-2b-it", "Qwen/Qwen1.5-0.5B-Chat", "llama 3 instruct"] {
            assert!(has_tuned_mark(tuned), "{tuned}");
        }
        // "it" inside a word, or no mark at all.
        for base in ["gemma-3-270m", "google/gemma-3-270m", "Qwen2.5-0.5B", "Smollm2 135M 8k Lc100K Mix1 Ep2", "Transit-1B"] {
            assert!(!has_tuned_mark(base), "{base}");
        }
    }
}
