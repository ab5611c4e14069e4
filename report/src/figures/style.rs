//! The house style every chart shares: page geometry, text sizes, the palette and its swatches,
//! the mesh of Cartesian charts, tick formatting and hatching.

use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::FONT_FAMILY;

pub(super) const WIDTH: u32 = 800;
pub(super) const BASE_HEIGHT: u32 = 450;
pub(super) const MARGIN_TOP: u32 = 14;
pub(super) const MARGIN_LEFT: u32 = 8;
pub(super) const MARGIN_RIGHT: u32 = 22;
pub(super) const MARGIN_BOTTOM: u32 = 8;
/// Charts get taller rather than squeezing the plot below this height.
const MIN_PLOT_HEIGHT: u32 = 250;

/// Text sizes in CSS pixels, as they appear in the SVG.
pub(super) const TICK_PX: f64 = 12.0;
pub(super) const LABEL_PX: f64 = 12.0;
pub(super) const LEGEND_PX: f64 = 12.0;
pub(super) const DESC_PX: f64 = 13.0;
pub(super) const NOTE_PX: f64 = 10.0;
pub(super) const SEGMENT_PX: f64 = 11.0;
pub(super) const MESSAGE_PX: f64 = 14.0;
/// Advance of one DejaVu Sans Mono character per pixel of font size (0.602), rounded up so that
/// a browser falling back to a slightly wider monospace font still fits.
pub(super) const CHAR_EM: f64 = 0.62;
/// plotters-svg writes `font-size` as the style's size divided by 1.24.
pub(super) const PLOTTERS_FONT_SCALE: f64 = 1.24;
/// Distance between an axis and its tick labels: plotters puts labels at twice the tick size.
pub(super) const TICK_SIZE: i32 = 4;
/// Baseline-to-baseline distance of wrapped label lines, per pixel of font size.
pub(super) const LINE_SPACING: f64 = 1.25;

pub(super) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(super) const MUTED: RGBColor = RGBColor(0x77, 0x77, 0x77);

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

/// Fill (and, for the second palette cycle, outline) of a series or class.
#[derive(Clone, Copy)]
pub(super) struct Swatch {
    pub fill: RGBColor,
    pub outline: Option<RGBColor>,
}

impl Swatch {
    /// The colour of lines and outlines drawn in this swatch's name: the darker of its fill and
    /// outline, so that a thin stroke still stands out on white.
    pub fn ink(self) -> RGBColor {
        self.outline.unwrap_or(self.fill)
    }
}

/// Past eight entries the palette repeats as light tints with an outline, then as dark shades,
/// so that every entry still differs from the others.
pub(super) fn swatch(index: usize) -> Swatch {
    let base = PALETTE[index % PALETTE.len()];
    match (index / PALETTE.len()) % 3 {
        0 => Swatch { fill: base, outline: None },
        1 => Swatch { fill: mix(base, WHITE, 0.55), outline: Some(base) },
        _ => Swatch { fill: mix(base, BLACK, 0.4), outline: None },
    }
}

pub(super) fn mix(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let channel = |x: u8, y: u8| (f64::from(x) * (1.0 - t) + f64::from(y) * t).round() as u8;
    RGBColor(channel(a.0, b.0), channel(a.1, b.1), channel(a.2, b.2))
}

/// Text drawn on a fill must stay readable: dark on light colours, white on dark ones.
pub(super) fn text_on(fill: RGBColor) -> RGBColor {
    let luma = 0.2126 * f64::from(fill.0) + 0.7152 * f64::from(fill.1) + 0.0722 * f64::from(fill.2);
    if luma > 128.0 { INK } else { WHITE }
}

/// The frame every Cartesian chart shares: the house margins (`right` varies: the sweep chart
/// keeps room for its line tags) and the label areas its plan measured.
pub(super) fn house_chart<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, plotters::coord::Shift>,
    right: u32,
    (x_area, y_area): (u32, u32),
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder.margin_top(MARGIN_TOP).margin_left(MARGIN_LEFT).margin_right(right).x_label_area_size(x_area).y_label_area_size(y_area);
    builder
}

/// The mesh every Cartesian chart shares: light grid lines, ink axes, tick and label sizes.
pub(super) fn house_mesh<'m, 'a, 'b, X, Y, XT, YT, DB>(mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>) -> &'m mut MeshStyle<'a, 'b, X, Y, DB>
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

pub(super) fn text_style(px: f64, color: RGBColor) -> TextStyle<'static> {
    FontDesc::new(FontFamily::Name(FONT_FAMILY), px * PLOTTERS_FONT_SCALE, FontStyle::Normal).color(&color)
}

pub(super) fn anchored(style: &TextStyle<'static>, h: HPos, v: VPos) -> TextStyle<'static> {
    style.pos(Pos::new(h, v))
}

/// Tick label: at most six significant digits (hides float noise such as 0.30000000000000004),
/// exponent notation only for very large or small magnitudes.
pub(super) fn format_tick(v: f64) -> String {
    let rounded: f64 = format!("{v:.5e}").parse().unwrap_or(v);
    if rounded == 0.0 {
        return "0".to_owned();
    }
    let magnitude = rounded.abs();
    if (1e-3..1e6).contains(&magnitude) { format!("{rounded}") } else { format!("{rounded:e}") }
}

pub(super) fn xml_escape(text: &str) -> String {
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

/// 45° hatch lines (rising to the right) over the pixel rectangle `[x0, x1] × [y0, y1]`, clipped
/// to it, `spacing` pixels apart along the x axis. Lines are anchored to multiples of `spacing`,
/// so neighbouring rectangles' hatching lines up.
pub(super) fn hatch_in_pixels((x0, y0): (i32, i32), (x1, y1): (i32, i32), spacing: i32) -> Vec<[(i32, i32); 2]> {
    let (left, right, top, bottom) = (x0.min(x1), x0.max(x1), y0.min(y1), y0.max(y1));
    let mut out = Vec::new();
    if right <= left || bottom <= top || spacing <= 0 {
        return out;
    }
    // A line through (c, bottom) rises to (c + h, top); it crosses the rectangle for c in
    // (left - h, right).
    let height = bottom - top;
    let mut c = (left - height).div_euclid(spacing) * spacing;
    while c < right {
        // Points (c + t, bottom - t) for t in [0, height], clipped to left..=right.
        let t_low = (left - c).max(0);
        let t_high = (right - c).min(height);
        if t_low < t_high {
            out.push([(c + t_low, bottom - t_low), (c + t_high, bottom - t_high)]);
        }
        c += spacing;
    }
    out
}

/// The most a plot grows so that its value axis label fits along it; a longer label is cut.
const MAX_PLOT_HEIGHT: u32 = 600;

/// Height of a Cartesian chart's plot: what the base height leaves after the `fixed` parts, at
/// least [`MIN_PLOT_HEIGHT`], and tall enough for the (rotated) value axis label `y_label`.
pub(super) fn plot_height(fixed: u32, y_label: &str) -> u32 {
    let label = (super::text::text_width(y_label, DESC_PX) + 12.0).ceil() as u32;
    BASE_HEIGHT.saturating_sub(fixed).max(MIN_PLOT_HEIGHT).max(label.min(MAX_PLOT_HEIGHT))
}
