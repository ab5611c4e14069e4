//! `collect run --reps N|auto` and the flags of the adaptive rule
//! ([`edgebench_collector::repetitions`]).

use edgebench_collector::campaign::CellOutcome;
use edgebench_collector::repetitions::RepetitionRule;

/// What `--reps` says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reps {
    Count(u32),
    Auto,
}

fn parse_reps(value: &str) -> Result<Reps, String> {
    match value.trim() {
        "auto" => Ok(Reps::Auto),
        n => n.parse().map(Reps::Count).map_err(|_| format!("expected a number of repetitions or `auto`, not `{value}`")),
    }
}

#[derive(clap::Args)]
pub struct RepsArgs {
    /// Repetitions per model: a number, or `auto` (protocol default: paper 15, quick 2). A number
    /// is not part of the protocol: a campaign run with fewer repetitions can be extended later by
    /// re-running with more.
    ///
    /// `auto` stops each model once the 95% interval of the median of every primary metric (load
    /// time, TTFT, TPOT, peak memory; TTFT and TPOT as each run's mean over its prompts) lies
    /// within ±--reps-target of the median, from --reps-min runs on, and after --reps-max runs
    /// otherwise. The rule checks the stricter 97.5% interval, which contains the 95% one: stopping
    /// on the interval that is then reported would make it cover the median less often than it
    /// claims. Failed runs count toward --reps-max and give no values; runs already stored (an
    /// interrupted campaign run again) count toward the rule. Every run stores the rule
    /// (repetition_rule) and what it decided after that run (repetition_decision: continue,
    /// target_met, maximum_reached).
    #[arg(long, value_parser = parse_reps, value_name = "N|auto")]
    reps: Option<Reps>,
    /// With --reps auto: values each metric needs before the target can be met (default and least:
    /// 7, the fewest runs with a 97.5% median interval).
    #[arg(long, value_name = "N")]
    reps_min: Option<u32>,
    /// With --reps auto: runs per model at most, failed ones included (default 15, the paper's; at
    /// most 20, as far as a simulation shows the interval's coverage holding under the rule).
    #[arg(long, value_name = "N")]
    reps_max: Option<u32>,
    /// With --reps auto: the largest half-width of a median interval, as a fraction of the median
    /// (default 0.02: ±2%).
    #[arg(long, value_name = "FRACTION")]
    reps_target: Option<f64>,
}

impl RepsArgs {
    /// A fixed count (`None`: the protocol's) or the adaptive rule; `Err` is a usage error.
    pub fn resolve(&self) -> Result<(Option<u32>, Option<RepetitionRule>), String> {
        let rule_flags = self.reps_min.is_some() || self.reps_max.is_some() || self.reps_target.is_some();
        match self.reps {
            Some(Reps::Auto) => Ok((None, Some(RepetitionRule::new(self.reps_min, self.reps_max, self.reps_target)?))),
            _ if rule_flags => Err("--reps-min, --reps-max and --reps-target apply only with --reps auto".into()),
            Some(Reps::Count(n)) => Ok((Some(n), None)),
            None => Ok((None, None)),
        }
    }
}

/// One line on how a cell ended: `SmolLM2: target_met after 8 runs; load_ms ±1.2% (n 8), …`.
pub fn cell_line(cell: &CellOutcome) -> String {
    let metrics: Vec<String> = cell
        .metrics
        .iter()
        .map(|m| match m.relative_half_width {
            Some(w) => format!("{} ±{:.2}% (n {})", m.metric, w * 100.0, m.n),
            None => format!("{} no interval yet (n {})", m.metric, m.n),
        })
        .collect();
    format!("{}: {} after {} runs; 97.5% median intervals: {}", cell.model, cell.decision, cell.runs, metrics.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        reps: RepsArgs,
    }

    fn resolve(args: &[&str]) -> Result<(Option<u32>, Option<RepetitionRule>), String> {
        let cli = Cli::try_parse_from(std::iter::once("collect").chain(args.iter().copied())).map_err(|e| e.to_string())?;
        cli.reps.resolve()
    }

    #[test]
    fn reps_is_a_number_or_auto() {
        assert_eq!(resolve(&[]).unwrap(), (None, None));
        assert_eq!(resolve(&["--reps", "6"]).unwrap(), (Some(6), None));
        let (count, rule) = resolve(&["--reps", "auto"]).unwrap();
        assert_eq!((count, rule), (None, Some(RepetitionRule::new(None, None, None).unwrap())));
        let rule = resolve(&["--reps", "auto", "--reps-min", "8", "--reps-max", "20", "--reps-target", "0.05"]).unwrap().1.unwrap();
        assert_eq!((rule.min, rule.max, rule.target), (8, 20, 0.05));
        assert!(resolve(&["--reps", "many"]).unwrap_err().contains("a number of repetitions or `auto`"));
    }

    #[test]
    fn rule_flags_are_validated() {
        assert!(resolve(&["--reps", "5", "--reps-max", "9"]).unwrap_err().contains("only with --reps auto"));
        assert!(resolve(&["--reps-target", "0.01"]).unwrap_err().contains("only with --reps auto"));
        assert!(resolve(&["--reps", "auto", "--reps-target", "2"]).unwrap_err().contains("--reps-target"));
        assert!(resolve(&["--reps", "auto", "--reps-target", "0"]).unwrap_err().contains("--reps-target"));
        assert!(resolve(&["--reps", "auto", "--reps-min", "12", "--reps-max", "10"]).unwrap_err().contains("larger than --reps-max"));
        assert!(resolve(&["--reps", "auto", "--reps-min", "5"]).unwrap_err().contains("at least 7"));
        assert!(resolve(&["--reps", "auto", "--reps-max", "21"]).unwrap_err().contains("at most 20"));
    }
}
