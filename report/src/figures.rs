//! The paper's figures, drawn as standalone SVG documents (one per figure).
//!
//! The same SVG is embedded in the Typst PDF and inlined in the HTML page, so the design follows
//! from what both renderers can do:
//!
//! - **One monospace font.** Typst's SVG renderer only knows the fonts embedded in the report
//!   ("DejaVu Sans Mono", "Libertinus Serif", "New Computer Modern"), and plotters is built
//!   without a font backend, so it cannot measure text. A monospace font makes text width a
//!   function of the character count, which lets this module reserve space for labels itself
//!   instead of trusting plotters' naive estimate (which counts bytes). Every `font-family` in
//!   the output is [`FONT_FAMILY`], enforced by a final pass over the document. A browser
//!   without that font uses its default font instead; a page stylesheet rule such as
//!   `svg text { font-family: "DejaVu Sans Mono", monospace }` overrides the attribute and keeps
//!   the text monospace.
//! - **Labels are shortened, never allowed to push the layout.** Model and platform names come
//!   from the dataset and can be arbitrarily long; they are cut to the space available and end
//!   in "…". The full names appear in the legend and tables around the figure. A group label's
//!   mark (" · synthetic", with the quantisation before it) is never cut: the name is cut in the
//!   middle instead, and rotated labels grow to hold it ([`text::protected_tail`]).
//! - **Missing is not zero.** A group without data for a series keeps its slot, shows a small
//!   grey "n/a" mark and no bar: a zero-height bar would read as a measured zero. Non-finite
//!   values count as missing, and so do absurd magnitudes (beyond 1e±150), which would overflow
//!   the axis arithmetic.
//! - **Automatic log scale.** Load times and throughputs of small and large models on weak and
//!   strong devices easily span two or three orders of magnitude; on a linear axis the small
//!   bars then vanish. [`Scale::Auto`] switches to a log axis when every value is positive and the
//!   largest is more than 30× the smallest, the point where the smallest bar on a linear axis
//!   would be about 3 % of the axis. A log axis cannot show zero or negative values, so those
//!   always get a linear axis, whatever was requested; [`use_log_scale`] reports the outcome so
//!   the caption can say "log scale".
//! - **Deterministic output.** No hash-ordered state and no time stamps: the same input gives
//!   byte-identical SVG, so regenerated reports diff cleanly.
//! - **Never panics.** Degenerate input gives a figure-sized "no data" SVG ([`empty_svg`]); a
//!   drawing error gives the same with the error in the message.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::Serialize;

mod bar_chart;
mod scatter_chart;
mod share_chart;
mod sweep_chart;
mod text;

pub use bar_chart::bar_chart_svg;

use text::{
    LABEL_HEAD_MIN_COLS, clean, cols_in, ellipsize, ellipsize_keeping_suffix, keeps_tail, protected_tail, shorten_label, text_cols,
    text_width, wrap_two_lines,
};

pub use scatter_chart::{ScatterChart, ScatterPoint, scatter_chart_svg, scatter_log_axes};
pub use share_chart::{ShareBar, ShareChart, SharePanel, share_chart_svg};
pub use sweep_chart::{LineStyle, ReferenceKind, ReferenceLine, SizeMarker, SweepChart, SweepPoint, SweepSeries, sweep_chart_svg};

/// Font family named in every SVG text element: embedded in the PDF renderer, falls back to monospace in browsers.
pub const FONT_FAMILY: &str = "DejaVu Sans Mono";

/// One bar: a value and, when known, its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BarValue {
    pub value: f64,
    /// Lower end of the confidence interval; the error bar is drawn only when both ends are known.
    pub low: Option<f64>,
    /// Upper end of the confidence interval.
    pub high: Option<f64>,
}

/// One series of a grouped bar chart (one platform), with one legend entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BarSeries {
    pub name: String,
    /// One entry per group, in the order of [`BarChart::groups`]; `None` when there is no data.
    pub values: Vec<Option<BarValue>>,
}

/// How the value axis of a bar chart is scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Scale {
    /// Log when all values are positive and span more than a factor of 30, linear otherwise.
    #[default]
    Auto,
    Linear,
    /// Log, unless a value is zero or negative (a log axis cannot show it): then linear.
    Log,
}

/// A grouped bar chart: groups along the x axis (models), side-by-side bars within a group (platforms).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BarChart {
    /// Value axis label with unit, e.g. "load time (ms)".
    pub y_label: String,
    /// X categories, left to right.
    pub groups: Vec<String>,
    pub series: Vec<BarSeries>,
    pub scale: Scale,
}

// ---------------------------------------------------------------------------------------------
// Geometry and style
// ---------------------------------------------------------------------------------------------

const WIDTH: u32 = 800;
const BASE_HEIGHT: u32 = 450;
const MARGIN_TOP: u32 = 14;
const MARGIN_LEFT: u32 = 8;
const MARGIN_RIGHT: u32 = 22;
const MARGIN_BOTTOM: u32 = 8;
/// Bar charts get taller rather than squeezing the plot below this height.
const MIN_PLOT_HEIGHT: u32 = 250;

/// Text sizes in CSS pixels, as they appear in the SVG.
const TICK_PX: f64 = 12.0;
const LABEL_PX: f64 = 12.0;
const LEGEND_PX: f64 = 12.0;
const DESC_PX: f64 = 13.0;
const NOTE_PX: f64 = 10.0;
const SEGMENT_PX: f64 = 11.0;
const MESSAGE_PX: f64 = 14.0;
/// Advance of one DejaVu Sans Mono character per pixel of font size (0.602), rounded up so that
/// a browser falling back to a slightly wider monospace font still fits.
const CHAR_EM: f64 = 0.62;
/// plotters-svg writes `font-size` as the style's size divided by 1.24.
const PLOTTERS_FONT_SCALE: f64 = 1.24;
/// Distance between an axis and its tick labels: plotters puts labels at twice the tick size.
const TICK_SIZE: i32 = 4;

const LEGEND_ROW_H: u32 = 20;
const LEGEND_SWATCH: i32 = 12;
/// Between a swatch and its name, and between a name and the next entry.
const LEGEND_TEXT_GAP: i32 = 6;
const LEGEND_ENTRY_GAP: f64 = 22.0;
const LEGEND_MAX_COLS: usize = 40;
const GROUP_LABEL_VERTICAL_MAX_COLS: usize = 18;
/// The most a rotated group label grows to so that its mark ([`text::protected_tail`]) fits.
const GROUP_LABEL_VERTICAL_CAP_COLS: usize = 40;
/// Bars wider than this look like slabs when a chart has few groups and series.
const MAX_BAR_PX: f64 = 56.0;
/// Share of a bar's slot that the bar fills; the rest separates it from its neighbours.
const BAR_FILL: f64 = 0.88;
/// Half the width of an error bar's caps, at most.
const MAX_CAP_PX: f64 = 6.0;

const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const MUTED: RGBColor = RGBColor(0x77, 0x77, 0x77);

/// Okabe–Ito: distinguishable under the common colour-vision deficiencies. Black is replaced by
/// grey so the black error bars stay visible on every bar.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0xF0, 0xE4, 0x42), // yellow
    RGBColor(0x99, 0x99, 0x99), // grey
];

/// Values outside this magnitude are treated as missing: axis padding and tick arithmetic would
/// overflow or underflow f64, and no benchmark quantity is anywhere near them.
const MAX_MAGNITUDE: f64 = 1e150;
const MIN_MAGNITUDE: f64 = 1e-150;

/// Fill (and, for the second palette cycle, outline) of a series or class.
#[derive(Clone, Copy)]
struct Swatch {
    fill: RGBColor,
    outline: Option<RGBColor>,
}

/// Past eight entries the palette repeats as light tints with an outline, then as dark shades,
/// so that every entry still differs from the others.
fn swatch(index: usize) -> Swatch {
    let base = PALETTE[index % PALETTE.len()];
    match (index / PALETTE.len()) % 3 {
        0 => Swatch { fill: base, outline: None },
        1 => Swatch { fill: mix(base, WHITE, 0.55), outline: Some(base) },
        _ => Swatch { fill: mix(base, BLACK, 0.4), outline: None },
    }
}

fn mix(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let channel = |x: u8, y: u8| (f64::from(x) * (1.0 - t) + f64::from(y) * t).round() as u8;
    RGBColor(channel(a.0, b.0), channel(a.1, b.1), channel(a.2, b.2))
}

/// Text drawn on a fill must stay readable: dark on light colours, white on dark ones.
fn text_on(fill: RGBColor) -> RGBColor {
    let luma = 0.2126 * f64::from(fill.0) + 0.7152 * f64::from(fill.1) + 0.0722 * f64::from(fill.2);
    if luma > 128.0 { INK } else { WHITE }
}

/// The mesh every Cartesian chart shares: light grid lines, ink axes, tick and label sizes.
fn house_mesh<'m, 'a, 'b, X, Y, XT, YT, DB>(mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>) -> &'m mut MeshStyle<'a, 'b, X, Y, DB>
where
    X: Ranged<ValueType = XT> + ValueFormatter<XT>,
    Y: Ranged<ValueType = YT> + ValueFormatter<YT>,
    DB: DrawingBackend,
{
    mesh.bold_line_style(BLACK.mix(0.14))
        .light_line_style(BLACK.mix(0.05))
        .axis_style(INK)
        .set_all_tick_mark_size(TICK_SIZE)
        .label_style(text_style(TICK_PX, INK))
        .axis_desc_style(text_style(DESC_PX, INK))
}

fn text_style(px: f64, color: RGBColor) -> TextStyle<'static> {
    FontDesc::new(FontFamily::Name(FONT_FAMILY), px * PLOTTERS_FONT_SCALE, FontStyle::Normal).color(&color)
}

fn anchored(style: &TextStyle<'static>, h: HPos, v: VPos) -> TextStyle<'static> {
    style.pos(Pos::new(h, v))
}

/// Tick label: at most six significant digits (hides float noise such as 0.30000000000000004),
/// exponent notation only for very large or small magnitudes.
fn format_tick(v: f64) -> String {
    let rounded: f64 = format!("{v:.5e}").parse().unwrap_or(v);
    if rounded == 0.0 {
        return "0".to_owned();
    }
    let magnitude = rounded.abs();
    if (1e-3..1e6).contains(&magnitude) { format!("{rounded}") } else { format!("{rounded:e}") }
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Rendering frame
// ---------------------------------------------------------------------------------------------

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Drawn = Result<(), DrawingAreaErrorKind<std::io::Error>>;

/// Runs `draw` on a fresh SVG document; a drawing error becomes a "could not be drawn" figure.
fn render(size: (u32, u32), draw: impl FnOnce(&Area<'_>) -> Drawn) -> String {
    let mut buf = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        draw(&root).and_then(|()| root.present())
    };
    match result {
        Ok(()) => normalize_attributes(&buf),
        Err(e) => empty_svg(&format!("figure could not be drawn: {e}")),
    }
}

/// Pins every `font-family` to [`FONT_FAMILY`], whatever plotters chose for text whose style
/// this module does not set, and rounds `font-size` (plotters divides by 1.24, leaving float
/// noise such as 11.999999999999998). Attribute values never contain a raw `"` (plotters
/// escapes it), so the value ends at the next quote.
fn normalize_attributes(svg: &str) -> String {
    let svg = rewrite_attribute(svg, "font-family", |_| xml_escape(FONT_FAMILY));
    rewrite_attribute(&svg, "font-size", |value| match value.parse::<f64>() {
        Ok(px) => format_tick((px * 100.0).round() / 100.0),
        Err(_) => value.to_owned(),
    })
}

fn rewrite_attribute(svg: &str, name: &str, value: impl Fn(&str) -> String) -> String {
    let pattern = format!(" {name}=\"");
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(start) = rest.find(&pattern) {
        let value_start = start + pattern.len();
        let Some(len) = rest[value_start..].find('"') else {
            break;
        };
        out.push_str(&rest[..value_start]);
        out.push_str(&value(&rest[value_start..value_start + len]));
        rest = &rest[value_start + len..];
    }
    out.push_str(rest);
    out
}

/// A figure-sized SVG that says there is no data (message drawn as text, e.g. "no data: no run has power readings").
pub fn empty_svg(message: &str) -> String {
    let text = xml_escape(&ellipsize(&clean(message), cols_in(f64::from(WIDTH) - 40.0, MESSAGE_PX)));
    let (w, h) = (WIDTH, BASE_HEIGHT);
    let (cx, cy) = (w / 2, h / 2);
    // The dashed frame marks the figure's place, so an empty figure is not mistaken for a
    // rendering glitch.
    format!(
        "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\">\n\
         <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#FFFFFF\" stroke=\"none\"/>\n\
         <rect x=\"0.5\" y=\"0.5\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#BBBBBB\" stroke-dasharray=\"6 4\"/>\n\
         <text x=\"{cx}\" y=\"{cy}\" dy=\"0.5ex\" text-anchor=\"middle\" font-family=\"{FONT_FAMILY}\" \
         font-size=\"{MESSAGE_PX}\" fill=\"#555555\">{text}</text>\n\
         </svg>\n",
        w - 1,
        h - 1,
    )
}

// ---------------------------------------------------------------------------------------------
// Legend
// ---------------------------------------------------------------------------------------------

/// Where the entries of a legend below the plot go: as many equal columns as fit, the block
/// centred. Shared by every legend, whatever its entries' samples look like.
struct LegendGrid {
    columns: usize,
    column_width: f64,
    left: f64,
    height: u32,
}

impl LegendGrid {
    /// A grid for `labels`, each drawn after a sample `sample_px` wide.
    fn new<'a>(labels: impl Iterator<Item = &'a str>, sample_px: i32) -> LegendGrid {
        let widths: Vec<f64> = labels.map(|l| text_width(l, LEGEND_PX)).collect();
        let longest = widths.iter().copied().fold(0.0, f64::max);
        let column_width = f64::from(sample_px + LEGEND_TEXT_GAP) + longest + LEGEND_ENTRY_GAP;
        let available = f64::from(WIDTH - MARGIN_LEFT - MARGIN_RIGHT);
        let columns = ((available / column_width).floor() as usize).clamp(1, widths.len().max(1));
        let rows = widths.len().div_ceil(columns) as u32;
        let used = columns.min(widths.len()) as f64 * column_width - LEGEND_ENTRY_GAP;
        let left = ((f64::from(WIDTH) - used) / 2.0).max(f64::from(MARGIN_LEFT));
        LegendGrid { columns, column_width, left, height: rows * LEGEND_ROW_H + 10 }
    }

    /// The left end and the vertical centre of entry `i`.
    fn cell(&self, i: usize) -> (i32, i32) {
        let x = (self.left + (i % self.columns) as f64 * self.column_width).round() as i32;
        let y = 10 + (i / self.columns) as i32 * LEGEND_ROW_H as i32 + LEGEND_ROW_H as i32 / 2;
        (x, y)
    }
}

/// A legend below the plot, in as many columns as fit: it never covers data, and below the plot
/// it takes height rather than the width the groups need.
struct Legend {
    entries: Vec<(String, Swatch)>,
    grid: LegendGrid,
    height: u32,
}

impl Legend {
    fn new<'a>(names: impl Iterator<Item = &'a str>) -> Self {
        let entries: Vec<(String, Swatch)> = names
            .enumerate()
            .map(|(i, name)| (ellipsize_keeping_suffix(&clean(name), LEGEND_MAX_COLS), swatch(i)))
            .collect();
        let grid = LegendGrid::new(entries.iter().map(|(name, _)| name.as_str()), LEGEND_SWATCH);
        Self { entries, height: grid.height, grid }
    }

    fn draw(&self, area: &Area<'_>) -> Drawn {
        let label = anchored(&text_style(LEGEND_PX, INK), HPos::Left, VPos::Center);
        for (i, (name, swatch)) in self.entries.iter().enumerate() {
            let (x, y) = self.grid.cell(i);
            let corners = [(x, y - LEGEND_SWATCH / 2), (x + LEGEND_SWATCH, y + LEGEND_SWATCH / 2)];
            area.draw(&Rectangle::new(corners, swatch.fill.filled()))?;
            if let Some(outline) = swatch.outline {
                area.draw(&Rectangle::new(corners, outline.stroke_width(1)))?;
            }
            area.draw(&Text::new(name.clone(), (x + LEGEND_SWATCH + LEGEND_TEXT_GAP, y), label.clone()))?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Bar chart
// ---------------------------------------------------------------------------------------------

/// A drawable bar: finite value, interval ends ordered.
#[derive(Clone, Copy)]
struct Bar {
    value: f64,
    interval: Option<(f64, f64)>,
}

fn usable(v: f64) -> bool {
    v.is_finite() && (v == 0.0 || (MIN_MAGNITUDE..=MAX_MAGNITUDE).contains(&v.abs()))
}

impl Bar {
    fn from_value(v: &BarValue) -> Option<Self> {
        if !usable(v.value) {
            return None;
        }
        let interval = match (v.low.filter(|x| usable(*x)), v.high.filter(|x| usable(*x))) {
            (Some(a), Some(b)) => Some((a.min(b), a.max(b))),
            _ => None,
        };
        Some(Self { value: v.value, interval })
    }
}

/// `bars[series][group]`, exactly one entry per group whatever the length of `values`.
fn usable_bars(chart: &BarChart) -> Vec<Vec<Option<Bar>>> {
    chart
        .series
        .iter()
        .map(|series| {
            (0..chart.groups.len())
                .map(|g| series.values.get(g).copied().flatten().as_ref().and_then(Bar::from_value))
                .collect()
        })
        .collect()
}

fn log_wanted(scale: Scale, bars: &[Vec<Option<Bar>>]) -> bool {
    let values: Vec<f64> = bars.iter().flatten().flatten().map(|b| b.value).collect();
    if values.is_empty() || values.iter().any(|&v| v <= 0.0) {
        return false;
    }
    match scale {
        Scale::Linear => false,
        Scale::Log => true,
        Scale::Auto => {
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            max / min > 30.0
        }
    }
}

/// Whether Auto picks log for these values (exposed for tests and for the caption, which says "log scale").
///
/// This is the scale the chart is actually drawn with: [`Scale::Log`] with a zero or negative
/// value also answers `false`.
pub fn use_log_scale(chart: &BarChart) -> bool {
    log_wanted(chart.scale, &usable_bars(chart))
}

fn pow10(k: i32) -> f64 {
    10f64.powi(k)
}

/// Largest 1-2-5 number (…, 0.5, 1, 2, 5, 10, …) not above `x` (> 0).
fn nice_floor(x: f64) -> f64 {
    let p = pow10((x.log10() + 1e-9).floor() as i32);
    [5.0, 2.0, 1.0].into_iter().map(|m| m * p).find(|&v| v <= x * (1.0 + 1e-9)).unwrap_or(p / 2.0)
}

/// Smallest 1-2-5 number not below `x` (> 0).
fn nice_ceil(x: f64) -> f64 {
    let p = pow10((x.log10() - 1e-9).floor() as i32);
    [1.0, 2.0, 5.0].into_iter().map(|m| m * p).find(|&v| v >= x * (1.0 - 1e-9)).unwrap_or(10.0 * p)
}

/// The value axis: its range, where bars start, and its ticks.
struct ValueAxis {
    log: bool,
    range: Range<f64>,
    baseline: f64,
    ticks: Vec<f64>,
    /// Unlabelled grid lines between decades on a log axis.
    minor: Vec<f64>,
}

impl ValueAxis {
    fn linear(bars: &[Bar]) -> Self {
        let ends = bars.iter().flat_map(|b| {
            let (low, high) = b.interval.unwrap_or((b.value, b.value));
            [b.value, low, high]
        });
        let (min, max) = ends.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let (min, max) = if max > min { (min, max) } else { (0.0, 1.0) };
        let pad = 0.1 * (max - min);
        let range = if min < 0.0 { min - pad } else { min }..if max > 0.0 { max + pad } else { max };
        let step = nice_ceil((range.end - range.start) / 6.0);
        let first = (range.start / step - 1e-9).ceil() as i64;
        let last = (range.end / step + 1e-9).floor() as i64;
        let ticks = (first..=last).map(|k| k as f64 * step).collect();
        Self { log: false, range, baseline: 0.0, ticks, minor: Vec::new() }
    }

    /// Bounds on 1-2-5 numbers strictly outside the data, so that even the smallest bar, which
    /// starts at the bottom of the axis, has a visible height.
    fn log(bars: &[Bar]) -> Self {
        let ends = bars.iter().flat_map(|b| {
            let (low, high) = b.interval.unwrap_or((b.value, b.value));
            [b.value, low, high]
        });
        let (min, max) = ends
            .filter(|&v| v > 0.0)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let lo = nice_floor(min / 1.05);
        let hi = nice_ceil(max * 1.05);
        let first = (lo.log10() - 1e-9).ceil() as i32;
        let last = (hi.log10() + 1e-9).floor() as i32;
        let decades: Vec<i32> = (first..=last).collect();
        let in_range = |v: &f64| *v >= lo * (1.0 - 1e-9) && *v <= hi * (1.0 + 1e-9);
        let (ticks, minor) = if decades.len() >= 3 {
            // At most about eight labelled decades; the others become grid lines.
            let stride = decades.len().div_ceil(8) as i32;
            let (labelled, unlabelled): (Vec<i32>, Vec<i32>) =
                decades.iter().partition(|&&k| k.rem_euclid(stride) == 0);
            let minor = if stride == 1 {
                ((first - 1)..=last)
                    .flat_map(|k| (2..=9).map(move |m| f64::from(m) * pow10(k)))
                    .filter(in_range)
                    .collect()
            } else {
                unlabelled.into_iter().map(pow10).collect()
            };
            (labelled.into_iter().map(pow10).collect(), minor)
        } else {
            // Less than three decades: label 1, 2, 5 of each so the axis has enough ticks to read.
            let ticks = ((first - 1)..=last)
                .flat_map(|k| [1.0, 2.0, 5.0].map(|m| m * pow10(k)))
                .filter(in_range)
                .collect();
            (ticks, Vec::new())
        };
        Self { log: true, range: lo..hi, baseline: lo, ticks, minor }
    }

    fn clamp(&self, v: f64) -> f64 {
        v.clamp(self.range.start, self.range.end)
    }
}

/// An axis with ticks chosen here rather than by plotters (whose log axis has no tick at all
/// when the range holds no power of ten). plotters' own `WithKeyPoints` would do, but wrapped
/// around a linear f64 axis it loses the value formatter that drawing the mesh requires.
struct Ticked<R> {
    inner: R,
    ticks: Vec<f64>,
    minor: Vec<f64>,
}

impl<R: Ranged<ValueType = f64>> Ticked<R> {
    fn new(inner: impl Into<R>, ticks: Vec<f64>, minor: Vec<f64>) -> Self {
        Self { inner: inner.into(), ticks, minor }
    }
}

impl<R: Ranged<ValueType = f64>> Ranged for Ticked<R> {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() { self.minor.clone() } else { self.ticks.clone() }
    }

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }
}
