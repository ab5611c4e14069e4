//! Energy per token: a figure of each cell's energy per output token against its time per output
//! token (the trade-off a power mode makes: slower decoding at lower power may cost less energy
//! per token, or more), and a table of every cell with its energy, or why it has none.
//!
//! Energy per prompt token is not computed. `generations.energy_j` covers the whole generation,
//! prefill and decode together, and the schema has no energy of the prefill alone. Dividing the
//! whole by the prompt's tokens would charge the decode's energy to the prompt; splitting it by
//! time (energy × prefill_ms / generation_ms) would assume the prefill draws the generation's mean
//! power, which it need not (prefill computes on many tokens at once, decode streams weights).
//! So it is shown as absent with that reason, until rows carry a per-phase energy.

use super::{FigureDoc, MISSING, RowDoc, TableDoc, cell_columns, synthetic_note};
use crate::analysis::{Analysis, Cell, SYNTHETIC_MARK, WeightsOrigin};
use crate::figures::{self, ScatterChart, ScatterPoint};
use crate::format;
use crate::metrics::Metric;
use crate::stats::{LEVEL, MedianEstimate, min_runs_for_interval};

const FIGURE_ID: &str = "energy_tpot";
const TABLE_ID: &str = "energy";

/// Why energy per prompt token is absent, said once wherever it is named.
pub(super) const PER_PROMPT_TOKEN_ABSENT: &str = "Energy per prompt token is not reported: generations.energy_j covers the whole generation (prefill and decode together) and the dataset has no energy of the prefill alone. Dividing it by prompt tokens would charge the decode's energy to the prompt, and splitting it by time would assume the prefill draws the generation's mean power, which it need not; it needs a per-phase energy reading.";

/// Energy per output token as the report computes it, for the methods section.
pub(super) const PER_OUTPUT_TOKEN_NOTE: &str = "Energy per output token is each run's energy over its output tokens (generations with an energy reading), so it includes the prefill's energy: a long prompt raises it, and a capped generation spreads the prefill over more tokens.";

pub(super) fn energy_section(analysis: &Analysis) -> (FigureDoc, TableDoc) {
    (figure(analysis), table(analysis))
}

/// Cells that have a TPOT: the ones whose energy per token is either shown or absent.
fn cells(analysis: &Analysis) -> impl Iterator<Item = &Cell> {
    analysis.cells.iter().filter(|c| c.estimates.contains_key(&Metric::TpotMs))
}

fn with_energy(cell: &Cell) -> Option<(&MedianEstimate, &MedianEstimate)> {
    Some((cell.estimates.get(&Metric::TpotMs)?, cell.estimates.get(&Metric::EnergyPerOutputTokenJ)?))
}

/// Why a cell has no energy per output token: what its rows say, else what is known.
fn absent_reason(cell: &Cell) -> String {
    if !cell.power_null_reasons.is_empty() {
        // Each reason lists every rejected source ("INA3221: …; RAPL: …"), and runs of one cell
        // repeat most of them: each source's line once, in the order first seen.
        let mut parts: Vec<&str> = Vec::new();
        for part in cell.power_null_reasons.iter().flat_map(|r| r.split("; ")) {
            if !parts.contains(&part) {
                parts.push(part);
            }
        }
        return parts.join("; ");
    }
    if cell.estimates.contains_key(&Metric::MeanPowerW) {
        "the runs have power readings, but no generation has an energy value (generations.power_null_reason says why)".to_owned()
    } else {
        "no power or energy reading, and no reason recorded".to_owned()
    }
}

/// `gemma-3-270m (Q4_K_M), H100 · cuda`: the model first and the synthetic mark last, since a
/// legend entry too long for the figure loses its middle (a long device name), never those.
fn label(cell: &Cell) -> String {
    let model = cell.key.model_key();
    let quantization = model.quantization.as_ref().map(|q| format!(" ({q})")).unwrap_or_default();
    let mark = if model.is_synthetic() { SYNTHETIC_MARK } else { "" };
    format!("{}{quantization}, {}{mark}", model.display_name(), cell.key.platform().label())
}

fn interval(e: &MedianEstimate) -> Option<(f64, f64)> {
    e.interval.map(|i| (i.low, i.high))
}

fn figure(analysis: &Analysis) -> FigureDoc {
    let points: Vec<ScatterPoint> = cells(analysis)
        .filter_map(|c| with_energy(c).map(|e| (c, e)))
        .map(|(cell, (tpot, energy))| ScatterPoint {
            label: label(cell),
            x: tpot.median,
            x_interval: interval(tpot),
            y: energy.median,
            y_interval: interval(energy),
        })
        .collect();
    let absent = cells(analysis).filter(|c| with_energy(c).is_none()).count();
    let chart = ScatterChart {
        x_label: format!("{} ({})", Metric::TpotMs.label(), Metric::TpotMs.unit()),
        y_label: format!("{} ({})", Metric::EnergyPerOutputTokenJ.label(), Metric::EnergyPerOutputTokenJ.unit()),
        points,
    };
    let empty = chart.points.is_empty();
    let svg = if empty {
        figures::empty_svg("no data: no cell has both an energy reading and a TPOT")
    } else {
        figures::scatter_chart_svg(&chart)
    };
    let scale = match figures::scatter_log_axes(&chart) {
        Some((true, true)) => " Both axes log scale.",
        Some((true, false)) => " Log scale on x.",
        Some((false, true)) => " Log scale on y.",
        _ => "",
    };
    let absent_text = match absent {
        0 => String::new(),
        1 => " One cell has no energy reading; the table names it and why.".to_owned(),
        n => format!(" {n} cells have no energy reading; the table names them and why."),
    };
    let synthetic = synthetic_note(cells(analysis).any(|c| c.key.weights == WeightsOrigin::Synthetic && with_energy(c).is_some()));
    FigureDoc {
        id: FIGURE_ID.to_owned(),
        title: "Energy per output token against time per output token".to_owned(),
        caption: format!(
            "One point per cell (numbered; the legend names them): median TPOT (x) and median energy per output token (y), each with its {}% confidence interval as a whisker, absent where a cell has fewer than {} runs. Down is less energy per token, left faster decoding: a power mode that slows decoding pays off in energy only if its point moves down.{absent_text}{scale}{synthetic}",
            format::level(LEVEL),
            min_runs_for_interval(LEVEL),
        ),
        file: format!("figures/{FIGURE_ID}.svg"),
        svg,
        empty,
        tables: vec![TABLE_ID.to_owned()],
    }
}

fn table(analysis: &Analysis) -> TableDoc {
    let metric = Metric::EnergyPerOutputTokenJ;
    let rows = cells(analysis)
        .map(|cell| {
            let [device, backend, mode, protocol, model] = cell_columns(&cell.key);
            let tpot = &cell.estimates[&Metric::TpotMs];
            let tpot_text = format!("{} {}", format::metric_value(Metric::TpotMs, tpot.median), format::interval(Metric::TpotMs, tpot, cell.replicates[&Metric::TpotMs]));
            let at_cap = cell.stops.share(cell.stops.max_tokens).map(format::percent).unwrap_or_else(|| MISSING.to_owned());
            let (n, median, ci, per_prompt, note) = match cell.estimates.get(&metric) {
                Some(e) => (
                    e.n.to_string(),
                    format::metric_value(metric, e.median),
                    format::interval(metric, e, cell.replicates[&metric]),
                    "absent: no prefill energy".to_owned(),
                    MISSING.to_owned(),
                ),
                None => (MISSING.to_owned(), MISSING.to_owned(), MISSING.to_owned(), MISSING.to_owned(), format!("no energy: {}", absent_reason(cell))),
            };
            RowDoc { cells: vec![device, backend, mode, protocol, model, n, median, ci, tpot_text, at_cap, per_prompt, note], published: false }
        })
        .collect();
    TableDoc {
        id: TABLE_ID.to_owned(),
        title: "Energy per token".to_owned(),
        caption: format!(
            "Every cell with a TPOT: its median energy per output token over runs ({}) with its interval (at least {}%), its TPOT with interval, and the share of generations stopped at the token limit; a cell without energy says why, in the rows' own words (power_null_reason). {PER_PROMPT_TOKEN_ABSENT}{}",
            metric.definition(),
            format::level(LEVEL),
            synthetic_note(cells(analysis).any(|c| c.key.weights == WeightsOrigin::Synthetic)),
        ),
        columns: {
            let ci = format::ci_header(LEVEL);
            let tpot = format!("TPOT (ms/token) [{ci}]");
            ["Device", "Back-end", "Mode", "Protocol", "Model", "n", "J / output token", &ci, &tpot, "Stopped at cap", "J / prompt token", "Note"]
                .map(String::from)
                .to_vec()
        },
        rows,
        empty_message: "No run in the dataset has a TPOT yet, so there is no energy per token to show.".to_owned(),
        group_columns: 0,
        repeats: Vec::new(),
    }
}
