//! 100 %-stacked horizontal bars in labelled panels (the paper's Fig. 9: kernel time by class,
//! prefill and decode apart), with published bars drawn hatched beside the measured ones.
//!
//! The panels share one x axis (0–100 %), so bars of different panels stay comparable; a panel
//! is a heading row followed by its bars. A published bar is hatched and outlined over its whole
//! length: a paper usually quotes only some of a bar's classes, and the outline shows the part it
//! leaves unstated as blank rather than as a short bar.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use serde::Serialize;

use super::axis::Ticked;
use super::legend::Legend;
use super::style::{
    INK, LINE_SPACING, MARGIN_BOTTOM, MARGIN_RIGHT, MARGIN_TOP, MUTED, NOTE_PX, PLOTTERS_FONT_SCALE, SEGMENT_PX,
    TICK_PX, TICK_SIZE, anchored, format_tick, house_chart, swatch, text_on, text_style,
};
use super::svg::{Area, DrawError, Drawn, empty_svg, render};
use super::text::{clean, ellipsize, text_width, wrap};
use super::FONT_FAMILY;
use super::style::WIDTH;

/// A chart of 100 %-stacked horizontal bars, grouped in panels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShareChart {
    /// Stacked segments and legend entries, in the same order in every bar.
    pub classes: Vec<String>,
    /// Top to bottom.
    pub panels: Vec<SharePanel>,
}

/// A titled group of bars (`prefill`, `decode`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharePanel {
    /// Drawn above the panel's bars; an empty title draws no heading.
    pub title: String,
    pub bars: Vec<ShareBar>,
}

/// One horizontal bar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShareBar {
    pub label: String,
    /// `shares[class]` in `[0, 1]`; a bar sums to about 1.
    pub shares: Vec<f64>,
    /// Quoted from a paper rather than measured: hatched, its whole length outlined.
    pub published: bool,
}

const ROW_H: u32 = 30;
/// Rows whose label takes two lines; each further line adds [`LINE_SPACING`] of a tick label.
const TWO_LINE_ROW_H: u32 = 36;
/// Only a bar label longer than this many lines is cut.
const MAX_LABEL_LINES: usize = 6;
/// Thickest bar: with only a few rows, thicker bars would look like slabs.
const MAX_BAR_PX: f64 = 36.0;
/// One line of a bar label: "paper: Jetson Orin NX · cuda · Qwen-1.5B" fits; longer labels
/// (device · back-end · mode · model · timing) take further lines rather than lose their end.
const LABEL_LINE_COLS: usize = 42;
const HEADING_PX: f64 = 12.0;
/// Pixels between two hatch lines.
const HATCH_SPACING_PX: f64 = 7.0;

enum Line {
    Heading(String),
    /// `label`: one line or more.
    Bar {
        label: Vec<String>,
        published: bool,
        segments: Vec<(usize, f64, f64)>,
    },
}

struct SharePlan {
    lines: Vec<Line>,
    legend: Legend,
    y_area: u32,
    x_area: u32,
    plot_height: u32,
    height: u32,
}

/// `(class, start %, end %)` of a bar, left to right. Shares are drawn as given, not
/// renormalised: a bar that sums to less than one shows the gap, and anything past 100 % is cut
/// at the end of the bar.
fn segments(shares: &[f64], classes: usize) -> Vec<(usize, f64, f64)> {
    let mut start = 0.0;
    let mut out = Vec::new();
    for (class, &share) in shares.iter().enumerate().take(classes) {
        if !(share.is_finite() && share > 0.0) || start >= 100.0 {
            continue;
        }
        let end = (start + share * 100.0).min(100.0);
        out.push((class, start, end));
        start = end;
    }
    out
}

impl SharePlan {
    fn new(chart: &ShareChart) -> Option<Self> {
        if chart.classes.is_empty() {
            return None;
        }
        let mut lines = Vec::new();
        for panel in chart.panels.iter().filter(|p| !p.bars.is_empty()) {
            let title = clean(&panel.title);
            if !title.is_empty() {
                lines.push(Line::Heading(ellipsize(&title, 80)));
            }
            for bar in &panel.bars {
                lines.push(Line::Bar {
                    label: wrap(&clean(&bar.label), LABEL_LINE_COLS, MAX_LABEL_LINES),
                    published: bar.published,
                    segments: segments(&bar.shares, chart.classes.len()),
                });
            }
        }
        if !lines.iter().any(|l| matches!(l, Line::Bar { segments, .. } if !segments.is_empty())) {
            return None;
        }
        let labels = || {
            lines.iter().filter_map(|l| match l {
                Line::Bar { label, .. } => Some(label),
                Line::Heading(_) => None,
            })
        };
        let longest = labels().flatten().map(|line| text_width(line, TICK_PX)).fold(0.0, f64::max);
        let row_h = match labels().map(Vec::len).max().unwrap_or(1) {
            0 | 1 => ROW_H,
            lines => TWO_LINE_ROW_H + ((lines - 2) as f64 * TICK_PX * LINE_SPACING).ceil() as u32,
        };
        let y_area = (longest + f64::from(2 * TICK_SIZE) + 6.0).ceil() as u32;
        let x_area = 2 * TICK_SIZE as u32 + (TICK_PX * 1.3).ceil() as u32 + 4;
        let legend = Legend::of_swatches(chart.classes.iter().map(String::as_str));
        let plot_height = u32::try_from(lines.len()).unwrap_or(u32::MAX).saturating_mul(row_h).max(120);
        let height = MARGIN_TOP + plot_height + x_area + legend.height + MARGIN_BOTTOM;
        Some(Self { lines, legend, y_area, x_area, plot_height, height })
    }
}

/// 100%-stacked horizontal bars in panels; percentages as x axis 0–100 %.
pub fn share_chart_svg(chart: &ShareChart) -> String {
    let Some(plan) = SharePlan::new(chart) else {
        return empty_svg("no data");
    };
    render((WIDTH, plan.height), |root| draw_share_chart(root, &plan))
}

/// The chart's coordinates: x in percent, y in rows ([`Rows::center`]).
type ShareCoord = Cartesian2d<Ticked<RangedCoordf64>, Ticked<RangedCoordf64>>;
/// The chart's plot area, drawn on in [`ShareCoord`] units.
type SharePlot<'a> = DrawingArea<SVGBackend<'a>, ShareCoord>;

fn draw_share_chart(root: &Area<'_>, plan: &SharePlan) -> Drawn {
    root.fill(&WHITE)?;
    let (upper, lower) = root.split_vertically(MARGIN_TOP + plan.plot_height + plan.x_area);
    let chart = draw_share_axes(&upper, plan)?;
    let plot = chart.plotting_area();
    let rows = Rows::of(plot, plan);
    // Bar labels first and top to bottom, so that they read in order in the document too.
    draw_bar_labels(&upper, plot, plan, &rows)?;
    for (r, line) in plan.lines.iter().enumerate() {
        match line {
            Line::Heading(title) => draw_heading(plot, &rows, r, title)?,
            Line::Bar { segments, .. } if segments.is_empty() => {
                let style = anchored(&text_style(NOTE_PX, MUTED), HPos::Left, VPos::Center);
                plot.draw(&Text::new("n/a", (0.5, rows.center(r)), style))?;
            }
            Line::Bar { segments, published, .. } => draw_bar(plot, &rows, r, segments, *published)?,
        }
    }
    plan.legend.draw(&lower)
}

/// The shared 0–100 % x axis and its grid; the y axis has no key points: plotters' tick labels
/// are one line each, and bar labels may take several ([`draw_bar_labels`] draws them).
fn draw_share_axes<'a, 'b>(
    upper: &'a Area<'b>,
    plan: &SharePlan,
) -> Result<ChartContext<'a, SVGBackend<'b>, ShareCoord>, DrawError> {
    let ticks = vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0];
    let x = Ticked::<RangedCoordf64>::new(0.0..100.0, ticks, Vec::new());
    // Headings are drawn inside the plot, as rows of their own.
    let y = Ticked::<RangedCoordf64>::new(0.0..plan.lines.len() as f64, Vec::new(), Vec::new());
    let mut chart = house_chart(upper, MARGIN_RIGHT, (plan.x_area, plan.y_area))
        .build_cartesian_2d(x, y)?;
    let x_format = |v: &f64| format!("{}%", format_tick(*v));
    chart
        .configure_mesh()
        .disable_y_mesh()
        .bold_line_style(BLACK.mix(0.14))
        .axis_style(INK)
        .set_all_tick_mark_size(TICK_SIZE)
        .label_style(text_style(TICK_PX, INK))
        .x_label_formatter(&x_format)
        .draw()?;
    Ok(chart)
}

/// Where the plan's lines go in the plot, and its scale in pixels.
struct Rows {
    lines: usize,
    /// Half a bar's thickness, in rows.
    half: f64,
    /// Pixels per row.
    slot_px: f64,
    px_per_percent: f64,
}

impl Rows {
    fn of(plot: &SharePlot<'_>, plan: &SharePlan) -> Rows {
        let (x_pixels, _) = plot.get_pixel_range();
        let lines = plan.lines.len();
        let slot_px = f64::from(plan.plot_height) / lines as f64;
        Rows {
            lines,
            half: (0.35f64).min(MAX_BAR_PX / 2.0 / slot_px),
            slot_px,
            px_per_percent: f64::from(x_pixels.end - x_pixels.start) / 100.0,
        }
    }

    /// Line r occupies [n - r - 1, n - r) so that the first line is at the top.
    fn center(&self, r: usize) -> f64 {
        (self.lines - r) as f64 - 0.5
    }
}

/// Each bar's tick and label left of the plot, the label's lines centred on the bar.
fn draw_bar_labels(upper: &Area<'_>, plot: &SharePlot<'_>, plan: &SharePlan, rows: &Rows) -> Drawn {
    let label_style = anchored(&text_style(TICK_PX, INK), HPos::Right, VPos::Center);
    for (r, line) in plan.lines.iter().enumerate() {
        if let Line::Bar { label, .. } = line {
            // `upper` is the top of the root, so the plot's pixel coordinates are also its own.
            let (x_px, y_px) = plot.map_coordinate(&(0.0, rows.center(r)));
            upper.draw(&PathElement::new([(x_px - TICK_SIZE, y_px), (x_px, y_px)], INK.stroke_width(1)))?;
            let spread = (label.len() as f64 - 1.0) * TICK_PX * 0.6;
            for (i, text) in label.iter().enumerate() {
                let y = y_px + (i as f64 * 2.0 * TICK_PX * 0.6 - spread).round() as i32;
                upper.draw(&Text::new(text.clone(), (x_px - 2 * TICK_SIZE, y), label_style.clone()))?;
            }
        }
    }
    Ok(())
}

/// A panel's title at the left of its row, under a rule unless it is the first line.
fn draw_heading(plot: &SharePlot<'_>, rows: &Rows, r: usize, title: &str) -> Drawn {
    let heading = anchored(
        &FontDesc::new(FontFamily::Name(FONT_FAMILY), HEADING_PX * PLOTTERS_FONT_SCALE, FontStyle::Bold)
            .color(&INK),
        HPos::Left,
        VPos::Center,
    );
    if r > 0 {
        // A rule above every heading but the first separates the panels.
        let top = rows.center(r) + 0.5;
        plot.draw(&PathElement::new([(0.0, top), (100.0, top)], MUTED.stroke_width(1)))?;
    }
    plot.draw(&Text::new(title.to_owned(), (0.5, rows.center(r)), heading))
}

/// One stacked bar: its outline when published, then each segment (filled, hatched when
/// published, labelled with its percentage where the label fits).
fn draw_bar(plot: &SharePlot<'_>, rows: &Rows, r: usize, segments: &[(usize, f64, f64)], published: bool) -> Drawn {
    let (y0, y1) = (rows.center(r) - rows.half, rows.center(r) + rows.half);
    if published {
        plot.draw(&Rectangle::new([(0.0, y0), (100.0, y1)], MUTED.stroke_width(1)))?;
    }
    for &(class, start, end) in segments {
        let swatch = swatch(class);
        let corners = [(start, y0), (end, y1)];
        plot.draw(&Rectangle::new(corners, swatch.fill.filled()))?;
        if let Some(outline) = swatch.outline {
            plot.draw(&Rectangle::new(corners, outline.stroke_width(1)))?;
        }
        if published {
            let bar_px = (y1 - y0) * rows.slot_px;
            for hatch in hatch_lines(
                (start, end),
                (y0, y1),
                bar_px / rows.px_per_percent,
                HATCH_SPACING_PX / rows.px_per_percent,
            ) {
                plot.draw(&PathElement::new(hatch, text_on(swatch.fill).mix(0.55).stroke_width(1)))?;
            }
        }
        let label = format!("{:.0}%", end - start);
        if (end - start) * rows.px_per_percent >= text_width(&label, SEGMENT_PX) + 6.0 {
            let style = anchored(&text_style(SEGMENT_PX, text_on(swatch.fill)), HPos::Center, VPos::Center);
            plot.draw(&Text::new(label, ((start + end) / 2.0, rows.center(r)), style))?;
        }
    }
    Ok(())
}

/// 45° hatch lines over the segment `[start, end] × [y0, y1]` (percent × row units), clipped to
/// it: `rise` is the bar's height in percent units (so the lines are diagonal in pixels), `step`
/// the spacing between lines in percent units.
fn hatch_lines((start, end): (f64, f64), (y0, y1): (f64, f64), rise: f64, step: f64) -> Vec<[(f64, f64); 2]> {
    let mut out = Vec::new();
    if !(rise > 0.0 && step > 0.0 && end > start) {
        return out;
    }
    // Line k starts at the bar's bottom at x = first + k·step and ends `rise` to the right at its
    // top; lines are anchored to multiples of `step` so neighbouring segments' hatching lines up.
    let first = ((start - rise) / step).floor() * step;
    let mut x = first;
    while x < end {
        let t_low = ((start - x) / rise).max(0.0);
        let t_high = ((end - x) / rise).min(1.0);
        if t_low < t_high {
            let at = |t: f64| (x + t * rise, y0 + t * (y1 - y0));
            out.push([at(t_low), at(t_high)]);
        }
        x += step;
    }
    out
}
