//! The per-run measures the report summarises, defined once: their keys (shared with the
//! `published` table's `metric` column), labels, units, and how each is read from a run.

use serde::Serialize;

use edgebench_dataset::schema::v1::WeightsOrigin;

use crate::load::{RunSummary, RunTotals};

/// A per-run aggregate of one run (one repetition). Cells report the median of these over runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    LoadMs,
    TtftMs,
    TpotMs,
    PrefillTokensPerS,
    DecodeTokensPerS,
    PeakCpuMemory,
    PeakGpuMemory,
    MeanPowerW,
    EnergyPerOutputTokenJ,
    Relevance,
}

/// What one observation of a cell's metric is: the unit its median, n and interval are over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Replicate {
    Runs,
    Prompts,
}

impl Replicate {
    /// As `tables/medians.csv` and the tables write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Replicate::Runs => "runs",
            Replicate::Prompts => "prompts",
        }
    }
}

/// How a metric's replicate is chosen, declared once per metric ([`Metric::replication`]).
///
/// A median interval is honest only when its observations vary as independent repetitions of
/// what the metric measures would. Load time, memory and power vary from run to run, and so do
/// a run's mean latencies, so their replicate is the run. Relevance scores the outputs: with
/// greedy decoding every run gives the same output for a prompt, so every run gives the same
/// relevance, and an interval over runs would be a point claiming a precision the data do not
/// have. Its spread is over prompts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Replication {
    /// One value per run, read from the run's row.
    Run,
    /// One value per run, formed from the run's generations (a mean or a ratio of sums over
    /// its prompts).
    RunOfPrompts,
    /// Prompts when the cell's outputs repeat across its runs (each prompt's value is then the
    /// same in every run, and the cell's value is the median over prompts); otherwise runs of
    /// per-prompt means, as [`Replication::RunOfPrompts`], because a run's outputs then differ
    /// from another's and the runs are repetitions of the answer.
    PromptsWhenOutputsRepeat,
}

impl Replication {
    /// The replicate for a cell whose outputs repeat across runs (`true`), or differ or cannot
    /// be compared (`false`: fewer than two runs with outputs).
    pub fn replicate(self, outputs_repeat: bool) -> Replicate {
        match self {
            Replication::PromptsWhenOutputsRepeat if outputs_repeat => Replicate::Prompts,
            _ => Replicate::Runs,
        }
    }

    /// For the methods section.
    pub fn describe(self) -> &'static str {
        match self {
            Replication::Run => "runs (one value each)",
            Replication::RunOfPrompts => "runs (each formed from the run's prompts)",
            Replication::PromptsWhenOutputsRepeat => {
                "prompts when every run gives each prompt the same output (each prompt's value, the same in every run); runs of per-prompt means when outputs differ between runs or cannot be compared"
            }
        }
    }
}

/// Which way is better, used only to phrase findings ("faster" for a lower time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Lower,
    Higher,
    /// Neither direction is better in itself (memory, power).
    Neither,
}

impl Metric {
    pub const ALL: [Metric; 10] = [
        Metric::LoadMs,
        Metric::TtftMs,
        Metric::TpotMs,
        Metric::PrefillTokensPerS,
        Metric::DecodeTokensPerS,
        Metric::PeakCpuMemory,
        Metric::PeakGpuMemory,
        Metric::MeanPowerW,
        Metric::EnergyPerOutputTokenJ,
        Metric::Relevance,
    ];

    /// Key of the metric; also the `metric` value of matching `published` rows.
    pub fn key(self) -> &'static str {
        match self {
            Metric::LoadMs => "load_ms",
            Metric::TtftMs => "ttft_ms",
            Metric::TpotMs => "tpot_ms",
            Metric::PrefillTokensPerS => "prefill_tokens_per_s",
            Metric::DecodeTokensPerS => "decode_tokens_per_s",
            Metric::PeakCpuMemory => "peak_cpu_memory",
            Metric::PeakGpuMemory => "peak_gpu_memory",
            Metric::MeanPowerW => "mean_power_w",
            Metric::EnergyPerOutputTokenJ => "energy_per_output_token_j",
            Metric::Relevance => "relevance",
        }
    }

    pub fn from_key(key: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.key() == key)
    }

    /// Name in text and axis labels.
    pub fn label(self) -> &'static str {
        match self {
            Metric::LoadMs => "load time",
            Metric::TtftMs => "time to first token",
            Metric::TpotMs => "time per output token",
            Metric::PrefillTokensPerS => "prefill rate",
            Metric::DecodeTokensPerS => "decode rate",
            Metric::PeakCpuMemory => "peak CPU memory",
            Metric::PeakGpuMemory => "peak GPU memory",
            Metric::MeanPowerW => "mean power",
            Metric::EnergyPerOutputTokenJ => "energy per output token",
            Metric::Relevance => "relevance",
        }
    }

    /// Short name for table headers.
    pub fn short(self) -> &'static str {
        match self {
            Metric::LoadMs => "Load",
            Metric::TtftMs => "TTFT",
            Metric::TpotMs => "TPOT",
            Metric::PrefillTokensPerS => "Prefill",
            Metric::DecodeTokensPerS => "Decode",
            Metric::PeakCpuMemory => "CPU mem",
            Metric::PeakGpuMemory => "GPU mem",
            Metric::MeanPowerW => "Power",
            Metric::EnergyPerOutputTokenJ => "Energy/token",
            Metric::Relevance => "Relevance",
        }
    }

    /// Unit the report displays (values are stored in the dataset's units; see [`Metric::display_factor`]).
    pub fn unit(self) -> &'static str {
        match self {
            Metric::LoadMs | Metric::TtftMs => "ms",
            Metric::TpotMs => "ms/token",
            Metric::PrefillTokensPerS | Metric::DecodeTokensPerS => "tokens/s",
            // The paper prints memory in GB; bytes are divided by 10⁹.
            Metric::PeakCpuMemory | Metric::PeakGpuMemory => "GB",
            Metric::MeanPowerW => "W",
            Metric::EnergyPerOutputTokenJ => "J/token",
            Metric::Relevance => "cosine",
        }
    }

    /// Factor from the dataset's unit to the displayed unit.
    pub fn display_factor(self) -> f64 {
        match self {
            Metric::PeakCpuMemory | Metric::PeakGpuMemory => 1e-9,
            _ => 1.0,
        }
    }

    pub fn better(self) -> Better {
        match self {
            Metric::LoadMs | Metric::TtftMs | Metric::TpotMs | Metric::EnergyPerOutputTokenJ => Better::Lower,
            Metric::PrefillTokensPerS | Metric::DecodeTokensPerS | Metric::Relevance => Better::Higher,
            Metric::PeakCpuMemory | Metric::PeakGpuMemory | Metric::MeanPowerW => Better::Neither,
        }
    }

    /// How the per-run value is formed, for the methods section.
    pub fn definition(self) -> &'static str {
        match self {
            Metric::LoadMs => "runs.load_ms: model load plus context initialisation, wall clock",
            Metric::TtftMs => "mean of generations.ttft_ms over the run's completed prompts",
            Metric::TpotMs => "mean of generations.tpot_ms over the run's completed prompts",
            Metric::PrefillTokensPerS => "mean of generations.prefill_tokens_per_s over the run's completed prompts",
            Metric::DecodeTokensPerS => "mean of generations.decode_tokens_per_s over the run's completed prompts",
            Metric::PeakCpuMemory => "runs.peak_rss_bytes: peak resident set size of the worker process",
            Metric::PeakGpuMemory => "runs.peak_gpu_memory_bytes: NVML per-process or Jetson unified memory",
            Metric::MeanPowerW => "runs.mean_power_w: mean power from model loaded to last prompt",
            Metric::EnergyPerOutputTokenJ => {
                "sum of generations.energy_j over the sum of their output_tokens; energy_j covers the whole generation, so the prefill's energy is included"
            }
            Metric::Relevance => {
                "per prompt, generations.relevance (its mean over the runs that scored it); per run, its mean over the run's scored prompts; trained weights only"
            }
        }
    }

    /// What the metric's median, n and interval are over; see [`Replication`].
    pub fn replication(self) -> Replication {
        match self {
            Metric::LoadMs | Metric::PeakCpuMemory | Metric::PeakGpuMemory | Metric::MeanPowerW => Replication::Run,
            Metric::TtftMs
            | Metric::TpotMs
            | Metric::PrefillTokensPerS
            | Metric::DecodeTokensPerS
            | Metric::EnergyPerOutputTokenJ => Replication::RunOfPrompts,
            Metric::Relevance => Replication::PromptsWhenOutputsRepeat,
        }
    }

    /// The replicate of this metric in a cell whose outputs repeat across runs or not.
    pub fn replicate(self, outputs_repeat: bool) -> Replicate {
        self.replication().replicate(outputs_repeat)
    }

    /// The figure of the paper that shows this metric, when it has one.
    pub fn paper_figure(self) -> Option<u32> {
        match self {
            Metric::LoadMs => Some(2),
            Metric::TpotMs => Some(3),
            Metric::TtftMs => Some(4),
            Metric::PeakCpuMemory => Some(5),
            Metric::PeakGpuMemory => Some(6),
            Metric::MeanPowerW => Some(7),
            Metric::Relevance => Some(8),
            _ => None,
        }
    }

    /// Whether runs of weights from `origin` measure this. Synthetic weights (`collect synth`)
    /// keep a trained model's architecture, shapes and types and draw the values: load time,
    /// latency, memory and power depend on the former, so they are measured; what the outputs say
    /// depends on the values, so their relevance measures nothing (and would be read as the
    /// model's quality if it entered a median).
    pub fn applies_to(self, origin: WeightsOrigin) -> bool {
        match origin {
            WeightsOrigin::Trained => true,
            WeightsOrigin::Synthetic => !self.is_quality(),
        }
    }

    /// A measure of what the model answers rather than of how it runs.
    pub fn is_quality(self) -> bool {
        self == Metric::Relevance
    }

    /// The run's value of this metric, in dataset units; `None` when the run has none, or when
    /// the metric does not apply to the run's weights ([`Metric::applies_to`]), whatever the
    /// row holds.
    pub fn of_run(self, run: &RunSummary, totals: Option<&RunTotals>) -> Option<f64> {
        if !self.applies_to(run.weights()) {
            return None;
        }
        let value = match self {
            Metric::LoadMs => run.load_ms,
            Metric::PeakCpuMemory => run.peak_rss_bytes.map(|b| b as f64),
            Metric::PeakGpuMemory => run.peak_gpu_memory_bytes.map(|b| b as f64),
            Metric::MeanPowerW => run.mean_power_w,
            Metric::TtftMs => totals?.ttft_ms.mean(),
            Metric::TpotMs => totals?.tpot_ms.mean(),
            Metric::PrefillTokensPerS => totals?.prefill_tokens_per_s.mean(),
            Metric::DecodeTokensPerS => totals?.decode_tokens_per_s.mean(),
            Metric::Relevance => totals?.relevance.mean(),
            Metric::EnergyPerOutputTokenJ => {
                let t = totals?;
                (t.energy_tokens > 0).then(|| t.energy_j / t.energy_tokens as f64)
            }
        };
        value.filter(|v| v.is_finite())
    }

    /// Converts a published number in `unit` (as printed in a paper) to this metric's dataset
    /// unit; `None` when the unit does not fit the metric.
    pub fn from_published_unit(self, value: f64, unit: &str) -> Option<f64> {
        let unit = unit.trim();
        let factor = match (self, unit) {
            (Metric::LoadMs | Metric::TtftMs, "ms") => 1.0,
            (Metric::LoadMs | Metric::TtftMs, "s") => 1e3,
            (Metric::TpotMs, "ms/token" | "ms") => 1.0,
            (Metric::PrefillTokensPerS | Metric::DecodeTokensPerS, "tokens/s" | "tok/s") => 1.0,
            (Metric::PeakCpuMemory | Metric::PeakGpuMemory, "GB") => 1e9,
            (Metric::PeakCpuMemory | Metric::PeakGpuMemory, "MB") => 1e6,
            (Metric::PeakCpuMemory | Metric::PeakGpuMemory, "GiB") => (1u64 << 30) as f64,
            (Metric::MeanPowerW, "W") => 1.0,
            (Metric::EnergyPerOutputTokenJ, "J/token" | "J") => 1.0,
            (Metric::Relevance, "" | "cosine" | "score") => 1.0,
            _ => return None,
        };
        Some(value * factor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_are_unique() {
        for m in Metric::ALL {
            assert_eq!(Metric::from_key(m.key()), Some(m));
        }
        let mut keys: Vec<_> = Metric::ALL.iter().map(|m| m.key()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), Metric::ALL.len());
    }

    #[test]
    fn keys_and_units_are_the_datasets_published_vocabulary() {
        // The dataset documents the same mapping for SQL readers (schema/v1/README.md); the two
        // must not drift apart.
        for m in Metric::ALL {
            let mapping = edgebench_dataset::published_join::published_metric(m.key())
                .unwrap_or_else(|| panic!("{} is not in the dataset's PUBLISHED_METRICS", m.key()));
            assert!(mapping.is_per_run(), "{}", m.key());
            assert_eq!(m.from_published_unit(1.0, mapping.unit), Some(mapping.factor), "{}", m.key());
        }
    }

    #[test]
    fn only_relevance_can_be_replicated_by_prompts() {
        for m in Metric::ALL {
            assert_eq!(m.replicate(false), Replicate::Runs, "{}", m.key());
            let want = if m == Metric::Relevance { Replicate::Prompts } else { Replicate::Runs };
            assert_eq!(m.replicate(true), want, "{}", m.key());
        }
    }

    #[test]
    fn published_units_convert_to_dataset_units() {
        assert_eq!(Metric::PeakCpuMemory.from_published_unit(1.2, "GB"), Some(1.2e9));
        assert_eq!(Metric::LoadMs.from_published_unit(2.0, "s"), Some(2000.0));
        assert_eq!(Metric::MeanPowerW.from_published_unit(13.0, "ms"), None);
    }
}
