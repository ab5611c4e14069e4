//! What `collect run` and `collect score` show on stderr while they work.
//!
//! On a terminal, an indicatif bar: for `run`, prompts done of those planned, with the elapsed
//! time, an ETA and the current run; for `score`, a spinner counting the generations scored.
//! Anywhere else (nohup, CI, a pipe) a bar is not drawn, and indicatif's hidden bar prints nothing
//! at all, not even the lines printed above it: a campaign of an hour would say nothing until its
//! summary. There, `run` prints one plain line per finished run ([`Lines`]), failed ones with their
//! reason, and `score` a line each time another [`SCORE_LINE_EVERY`] generations are scored (its
//! summary line closes the job either way). Neither writes anything on stdout, which holds the
//! `--json` summary.
//!
//! (`collect profile` already reports each step as a plain line, terminal or not.)

use std::cell::Cell;
use std::io::IsTerminal;
use std::time::Instant;

use edgebench_collector::campaign::{Campaign, Progress, Repetitions, RunOutcome};
use indicatif::{ProgressBar, ProgressStyle};

/// The progress of a `collect run` campaign: a bar on a terminal, else [`Lines`]. A bar clears
/// itself when dropped, so drop this before printing the summary.
pub fn for_campaign(campaign: &Campaign) -> Box<dyn Progress> {
    if std::io::stderr().is_terminal() { Box::new(Bar::for_campaign(campaign)) } else { Box::new(Lines::for_campaign(campaign)) }
}

/// The terminal's bar: prompts done of those planned.
struct Bar(ProgressBar);

impl Bar {
    fn for_campaign(campaign: &Campaign) -> Self {
        // With --reps auto, each model's maximum; a cell that stops earlier shortens the bar.
        let total = (campaign.models.len() * campaign.repetitions.max() as usize * campaign.prompts.prompts.len()) as u64;
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} prompts  {elapsed} elapsed, ETA {eta}  {msg}")
                .expect("valid template"),
        );
        Bar(bar)
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

impl Progress for Bar {
    fn run_started(&self, model: &str, repetition: u32) {
        self.0.set_message(format!("{model} rep {repetition}"));
    }
    fn prompt_done(&self) {
        self.0.inc(1);
    }
    fn prompts_not_needed(&self, prompts: u64) {
        self.0.set_length(self.0.length().unwrap_or(0).saturating_sub(prompts));
    }
    fn run_finished(&self, outcome: &RunOutcome) {
        if outcome.status != "ok" {
            self.0.println(format!(
                "run {} rep {}: {}: {}",
                outcome.model,
                outcome.repetition,
                outcome.status,
                outcome.reason.as_deref().unwrap_or("")
            ));
        }
    }
}

/// Without a terminal: one line per finished run, e.g. `collect run: Qwen2.5-3B-Instruct
/// (synthetic weights) rep 12: ok in 41.2 s (run 27 of 115 planned; 3 skipped as already
/// stored)`. The run's place counts the skipped runs before it; with `--reps auto` the plan is
/// each model's maximum, less the runs of cells that have stopped ("at most").
struct Lines {
    prompts_per_run: u64,
    adaptive: bool,
    /// Runs the campaign can still reach, all models (what the summary's `runs_planned` ends at).
    planned: Cell<u64>,
    /// Runs finished or skipped so far.
    reached: Cell<u64>,
    skipped: Cell<u64>,
    run_started_at: Cell<Option<Instant>>,
}

impl Lines {
    fn for_campaign(campaign: &Campaign) -> Self {
        Lines {
            prompts_per_run: campaign.prompts.prompts.len() as u64,
            adaptive: matches!(campaign.repetitions, Repetitions::Auto(_)),
            planned: Cell::new(campaign.models.len() as u64 * u64::from(campaign.repetitions.max())),
            reached: Cell::new(0),
            skipped: Cell::new(0),
            run_started_at: Cell::new(None),
        }
    }

    /// `<model> rep <n>: <status> in <s> s[: <reason>] (run <k> of <n> planned; <m> skipped as
    /// already stored)`, without the `collect run: ` prefix.
    fn line(&self, outcome: &RunOutcome, seconds: f64) -> String {
        let reason = outcome.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
        format!(
            "{} rep {}: {} in {seconds:.1} s{reason} (run {} of {}{} planned; {} skipped as already stored)",
            outcome.model,
            outcome.repetition,
            outcome.status,
            self.reached.get(),
            if self.adaptive { "at most " } else { "" },
            self.planned.get(),
            self.skipped.get()
        )
    }
}

impl Progress for Lines {
    fn run_started(&self, _model: &str, _repetition: u32) {
        self.run_started_at.set(Some(Instant::now()));
    }
    fn prompt_done(&self) {}
    fn run_skipped(&self, _model: &str, _repetition: u32) {
        self.reached.set(self.reached.get() + 1);
        self.skipped.set(self.skipped.get() + 1);
    }
    fn prompts_not_needed(&self, prompts: u64) {
        let runs = prompts.checked_div(self.prompts_per_run).unwrap_or(0);
        self.planned.set(self.planned.get().saturating_sub(runs));
    }
    fn run_finished(&self, outcome: &RunOutcome) {
        self.reached.set(self.reached.get() + 1);
        let seconds = self.run_started_at.take().map_or(0.0, |t| t.elapsed().as_secs_f64());
        eprintln!("collect run: {}", self.line(outcome, seconds));
    }
}

/// Without a terminal, `collect score` prints a line each time this many more generations are
/// scored (scores arrive a shard at a time, so a line can cover more).
pub const SCORE_LINE_EVERY: usize = 1000;

/// The progress of `collect score`: a spinner on a terminal, else a line every
/// [`SCORE_LINE_EVERY`] generations.
pub enum ScoreProgress {
    Spinner(ProgressBar),
    Lines { scored: usize, started: Instant },
}

impl ScoreProgress {
    pub fn new() -> Self {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new_spinner();
            bar.set_style(ProgressStyle::with_template("{spinner} scored {pos} generations [{elapsed}]").expect("valid template"));
            ScoreProgress::Spinner(bar)
        } else {
            ScoreProgress::Lines { scored: 0, started: Instant::now() }
        }
    }

    /// `n` more generations are scored.
    pub fn scored(&mut self, n: usize) {
        match self {
            ScoreProgress::Spinner(bar) => bar.inc(n as u64),
            ScoreProgress::Lines { scored, started } => {
                let before = *scored;
                *scored += n;
                if *scored / SCORE_LINE_EVERY > before / SCORE_LINE_EVERY {
                    eprintln!("collect score: {scored} generations scored so far ({:.0} s)", started.elapsed().as_secs_f64());
                }
            }
        }
    }

    /// Clears the spinner (the caller then prints the summary).
    pub fn finish(self) {
        if let ScoreProgress::Spinner(bar) = self {
            bar.finish_and_clear();
        }
    }
}
