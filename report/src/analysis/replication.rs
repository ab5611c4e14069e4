//! Whether a cell's outputs repeat across its runs, and its relevance over prompts when they do
//! ([`crate::metrics::Replication`]).
//!
//! Greedy decoding answers a prompt with the same text in every run, so every run scores the same
//! relevance for it, and runs are then not repetitions of the answer: the cell's relevance varies
//! over prompts only. Whether that holds is read from the data (`generations.output_sha256` per
//! prompt across runs), never assumed, since sampling or non-deterministic kernels make outputs
//! differ; a cell whose outputs differ is said so and keeps runs as its replicate.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::load::PromptOutcome;

/// What the outputs of a cell's completed runs show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Outputs {
    /// Some prompt was answered in two or more runs, and every prompt got the same output
    /// every time it was answered.
    Repeat {
        /// Runs with outputs.
        runs: usize,
        /// Prompts answered in two or more runs.
        compared: usize,
    },
    /// Some prompt got different outputs in different runs.
    Differ { runs: usize, compared: usize, differing: usize },
    /// Nothing to compare: no prompt answered in two runs.
    Unknown { runs: usize },
}

impl Outputs {
    pub fn repeat(self) -> bool {
        matches!(self, Outputs::Repeat { .. })
    }

    /// For tables: `same in 15 runs`, `differ for 3 of 50 prompts`, `1 run: not compared`.
    pub fn describe(self) -> String {
        match self {
            Outputs::Repeat { runs, .. } => format!("same in {runs} runs"),
            Outputs::Differ { compared, differing, .. } => format!("differ for {differing} of {compared} prompts"),
            Outputs::Unknown { runs: 0 } => "no outputs".to_owned(),
            Outputs::Unknown { runs: 1 } => "1 run: not compared".to_owned(),
            Outputs::Unknown { runs } => format!("{runs} runs, no prompt in two: not compared"),
        }
    }
}

/// The prompts of a cell across its runs: each prompt's outputs and relevance scores.
#[derive(Default)]
pub struct PromptTable {
    prompts: BTreeMap<u64, PromptEntry>,
    runs_with_outputs: usize,
}

struct PromptEntry {
    /// The first output seen, and whether any other answer differed from it.
    output: u64,
    differs: bool,
    /// Runs that answered the prompt, and the last of them (1-based), so that a prompt asked
    /// twice in one run counts that run once.
    runs: usize,
    last_run: usize,
    relevance: Vec<f64>,
}

impl PromptTable {
    /// Adds one completed run's generations.
    pub fn add_run(&mut self, outcomes: &[PromptOutcome]) {
        if outcomes.is_empty() {
            return;
        }
        self.runs_with_outputs += 1;
        let run = self.runs_with_outputs;
        for o in outcomes {
            let entry = self.prompts.entry(o.prompt).or_insert(PromptEntry {
                output: o.output,
                differs: false,
                runs: 0,
                last_run: 0,
                relevance: Vec::new(),
            });
            entry.differs |= entry.output != o.output;
            if entry.last_run != run {
                entry.runs += 1;
                entry.last_run = run;
            }
            entry.relevance.extend(o.relevance());
        }
    }

    pub fn outputs(&self) -> Outputs {
        let runs = self.runs_with_outputs;
        let compared = self.prompts.values().filter(|p| p.runs >= 2).count();
        let differing = self.prompts.values().filter(|p| p.differs).count();
        match (compared, differing) {
            (0, _) => Outputs::Unknown { runs },
            (_, 0) => Outputs::Repeat { runs, compared },
            _ => Outputs::Differ { runs, compared, differing },
        }
    }

    /// Each scored prompt's relevance, the mean over the runs that scored it (the same value in
    /// each when outputs repeat; the mean keeps a scorer's last-bit noise from deciding which
    /// run's value is taken), sorted: one observation per prompt.
    pub fn relevance_per_prompt(&self) -> Vec<f64> {
        let mut out: Vec<f64> = self
            .prompts
            .values()
            .filter(|p| !p.relevance.is_empty())
            .map(|p| {
                let mut r = p.relevance.clone();
                r.sort_by(f64::total_cmp);
                // The value itself when every run has it (a mean of n equal values can be off
                // in its last bit); else summed in sorted order, so the order runs were read in
                // does not matter.
                if r[0] == r[r.len() - 1] { r[0] } else { r.iter().sum::<f64>() / r.len() as f64 }
            })
            .collect();
        out.sort_by(f64::total_cmp);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(outputs: &[(u64, u64, Option<f64>)]) -> Vec<PromptOutcome> {
        outputs.iter().map(|&(p, o, r)| PromptOutcome::new(p, o, r)).collect()
    }

    #[test]
    fn repeated_outputs_give_one_relevance_per_prompt() {
        let mut t = PromptTable::default();
        for _ in 0..15 {
            t.add_run(&run(&[(1, 10, Some(0.5)), (2, 20, Some(0.7)), (3, 30, None)]));
        }
        assert_eq!(t.outputs(), Outputs::Repeat { runs: 15, compared: 3 });
        assert_eq!(t.relevance_per_prompt(), vec![0.5, 0.7]);
    }

    #[test]
    fn a_differing_output_is_detected_and_counted() {
        let mut t = PromptTable::default();
        t.add_run(&run(&[(1, 10, Some(0.75)), (2, 20, Some(0.7))]));
        t.add_run(&run(&[(1, 11, Some(0.25)), (2, 20, Some(0.7))]));
        assert_eq!(t.outputs(), Outputs::Differ { runs: 2, compared: 2, differing: 1 });
        assert_eq!(t.outputs().describe(), "differ for 1 of 2 prompts");
        assert_eq!(t.relevance_per_prompt(), vec![0.5, 0.7]);
    }

    #[test]
    fn one_run_or_disjoint_prompts_cannot_be_compared() {
        let mut t = PromptTable::default();
        t.add_run(&run(&[(1, 10, None)]));
        assert_eq!(t.outputs(), Outputs::Unknown { runs: 1 });
        t.add_run(&run(&[(2, 10, None), (2, 10, None)]));
        assert_eq!(t.outputs(), Outputs::Unknown { runs: 2 }, "a prompt asked twice in one run is not compared across runs");
        t.add_run(&[]);
        assert_eq!(t.outputs(), Outputs::Unknown { runs: 2 });
    }
}
