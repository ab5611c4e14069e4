//! Line charts against vector size (the fusion sweep): one line per series over a log2 x axis of
//! bytes, with interval whiskers, labelled horizontal reference lines (limits, thresholds and a
//! paper's values whose size is unknown) and vertical markers (each device's last-level cache).
//!
//! Reference lines are named in the legend below the plot, with their line style, and tagged
//! with a short text just outside the plot's right edge, so that no label ever covers data (the
//! data of a fusion sweep converges on exactly those lines); tags that would overlap are pushed
//! apart, so two limits 0.03 apart stay readable. The y axis is linear and fitted to the data and
//! the reference lines (a ratio near 0.6 needs the resolution more than a zero), or logarithmic
//! like the bar charts' ([`Scale`]).

use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use serde::Serialize;

use super::axis::{Bar, Scale, Ticked, ValueAxis, fitted_linear, min_max, usable};
use super::legend::{LegendGrid, TEXT_GAP};
use super::style::{
    DESC_PX, plot_height, INK, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MUTED, NOTE_PX,
    TICK_PX, TICK_SIZE, WIDTH, anchored, format_tick, house_chart, house_mesh, mix, swatch, text_style,
};
use super::svg::{Area, Drawn, empty_svg, render};
use super::text::{clean, cols_in, ellipsize, text_width, wrap};

/// A chart of lines against size in bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepChart {
    /// X axis label, e.g. "bytes per vector (log2 axis)".
    pub x_label: String,
    pub y_label: String,
    pub y_scale: Scale,
    pub series: Vec<SweepSeries>,
    pub references: Vec<ReferenceLine>,
    pub markers: Vec<SizeMarker>,
}

/// One line, one legend entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepSeries {
    pub name: String,
    /// Palette index: series of one device share it, and their line styles tell them apart.
    pub color: usize,
    pub line: LineStyle,
    /// Left to right; points that cannot be drawn (non-finite, or not positive on a log axis) are
    /// left out and the line joins its neighbours.
    pub points: Vec<SweepPoint>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LineStyle {
    /// Solid line, filled dots.
    Solid,
    /// Dashed line, hollow dots.
    Dashed,
    /// Dotted line, squares.
    Dotted,
}

/// A value at a size, with its interval when known.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SweepPoint {
    /// Bytes.
    pub x: f64,
    pub y: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// A horizontal line across the plot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferenceLine {
    pub y: f64,
    /// Its legend entry.
    pub label: String,
    /// A few characters beside its end, right of the plot (`3/5`, `0.522`).
    pub tag: String,
    pub kind: ReferenceKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ReferenceKind {
    /// A threshold such as 1 (no gain): thin grey.
    Threshold,
    /// A model's limit: dashed dark grey.
    Bound,
    /// A published value of unknown size: dotted purple.
    Published,
}

impl ReferenceKind {
    fn color(self) -> RGBColor {
        match self {
            ReferenceKind::Threshold => MUTED,
            ReferenceKind::Bound => INK,
            ReferenceKind::Published => PUBLISHED,
        }
    }
}

/// What a legend entry's sample shows.
#[derive(Clone, Copy)]
enum Sample {
    Series(LineStyle),
    Reference(ReferenceKind),
}

/// A vertical line at a size (a device's cache), labelled upright at the top of the plot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SizeMarker {
    /// Bytes.
    pub x: f64,
    pub label: String,
    /// Palette index of the device's series.
    pub color: usize,
}

/// The purple the templates use for published values.
const PUBLISHED: RGBColor = RGBColor(0x6a, 0x3d, 0x9a);
const LINE_SAMPLE_PX: i32 = 26;
/// A reference line's legend entry: one sentence.
const DOT_PX: i32 = 3;
const CAP_PX: i32 = 4;
/// Longest reference tag.
const TAG_MAX_COLS: usize = 8;
/// Fraction of a power of two left beyond the outermost sizes.
const X_PAD_LOG2: f64 = 0.35;

/// A drawable point: x, y and the interval's ends in order.
type Drawable = (f64, f64, Option<(f64, f64)>);

struct SweepPlan {
    x_range: (f64, f64),
    x_ticks: Vec<f64>,
    x_minor: Vec<f64>,
    axis: ValueAxis,
    series: Vec<(SweepSeries, Vec<Drawable>)>,
    references: Vec<ReferenceLine>,
    markers: Vec<SizeMarker>,
    legend: LineLegend,
    x_label: String,
    y_label: String,
    /// Right of the plot: room for the reference tags.
    tag_area: u32,
    y_area: u32,
    x_area: u32,
    plot_height: u32,
    height: u32,
}

fn ok_x(x: f64) -> bool {
    usable(x) && x > 0.0
}

impl SweepPlan {
    fn new(chart: &SweepChart) -> Option<Self> {
        let candidate = drawable_points(chart);
        let values: Vec<f64> = candidate
            .iter()
            .flat_map(|(_, ps)| ps.iter().flat_map(|(_, y, i)| [Some(*y), i.map(|i| i.0), i.map(|i| i.1)]))
            .flatten()
            .collect();
        if values.is_empty() {
            return None;
        }
        let references: Vec<ReferenceLine> = chart.references.iter().filter(|r| usable(r.y)).cloned().collect();
        let all_y: Vec<f64> = values.iter().copied().chain(references.iter().map(|r| r.y)).collect();
        let axis = value_axis(chart.y_scale, &all_y);
        // Without the log axis, points a log axis could not show are still drawable; with it, the
        // non-positive ones go.
        let series: Vec<_> = candidate
            .into_iter()
            .map(|(s, ps)| (s, ps.into_iter().filter(|(_, y, _)| !axis.log || *y > 0.0).collect::<Vec<_>>()))
            .collect();
        let markers: Vec<SizeMarker> = chart.markers.iter().filter(|m| ok_x(m.x)).cloned().collect();
        let (x_range, x_ticks, x_minor) = size_axis(&series, &markers);

        let tick_width = axis.ticks.iter().map(|&t| text_width(&format_tick(t), TICK_PX)).fold(0.0, f64::max);
        let y_area = (DESC_PX * 1.2 + 6.0 + tick_width + f64::from(2 * TICK_SIZE) + 4.0).ceil() as u32;
        let x_area = 2 * TICK_SIZE as u32 + (TICK_PX * 1.3).ceil() as u32 + (DESC_PX * 1.5).ceil() as u32 + 6;
        let legend = LineLegend::new(
            series
                .iter()
                .map(|(s, _)| (s.name.as_str(), line_color(s.color), Sample::Series(s.line)))
                .chain(references.iter().map(|r| (r.label.as_str(), r.kind.color(), Sample::Reference(r.kind)))),
        );
        let tag_area = tag_area(&references);
        let fixed = MARGIN_TOP + x_area + legend.height + MARGIN_BOTTOM;
        let plot_height = plot_height(fixed, &clean(&chart.y_label));
        let plot_width = f64::from(WIDTH - MARGIN_LEFT - tag_area - y_area);
        Some(Self {
            x_range,
            x_ticks,
            x_minor,
            axis,
            series,
            references,
            markers,
            legend,
            x_label: ellipsize(&clean(&chart.x_label), cols_in(plot_width, DESC_PX)),
            y_label: ellipsize(&clean(&chart.y_label), cols_in(f64::from(plot_height), DESC_PX)),
            tag_area,
            y_area,
            x_area,
            plot_height,
            height: fixed + plot_height,
        })
    }
}

/// Each series with the points that can be drawn on a log x axis, left to right, their
/// intervals kept only when both ends are usable.
fn drawable_points(chart: &SweepChart) -> Vec<(SweepSeries, Vec<Drawable>)> {
    chart
        .series
        .iter()
        .map(|s| {
            let mut points: Vec<Drawable> = s
                .points
                .iter()
                .filter(|p| ok_x(p.x) && usable(p.y))
                .map(|p| {
                    let interval = match (p.low.filter(|v| usable(*v)), p.high.filter(|v| usable(*v))) {
                        (Some(a), Some(b)) => Some((a.min(b), a.max(b))),
                        _ => None,
                    };
                    (p.x, p.y, interval)
                })
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            (s.clone(), points)
        })
        .collect()
}

/// The y axis over every value, interval end and reference line: logarithmic when asked for, or
/// (for [`Scale::Auto`]) when they span more than a factor of 30, and never with a value ≤ 0.
fn value_axis(scale: Scale, all_y: &[f64]) -> ValueAxis {
    let log = match scale {
        _ if all_y.iter().any(|&v| v <= 0.0) => false,
        Scale::Linear => false,
        Scale::Log => true,
        Scale::Auto => {
            let (min, max) = min_max(all_y);
            max / min > 30.0
        }
    };
    if log {
        let bars: Vec<Bar> = all_y.iter().map(|&value| Bar { value, interval: None }).collect();
        ValueAxis::log(&bars)
    } else {
        fitted_linear(all_y)
    }
}

/// The log2 x axis over the points and markers: `(range, labelled ticks, minor ticks)`, the range
/// padded by [`X_PAD_LOG2`] on each side.
fn size_axis(series: &[(SweepSeries, Vec<Drawable>)], markers: &[SizeMarker]) -> ((f64, f64), Vec<f64>, Vec<f64>) {
    let xs: Vec<f64> = series.iter().flat_map(|(_, ps)| ps.iter().map(|p| p.0)).chain(markers.iter().map(|m| m.x)).collect();
    let (x_min, x_max) = min_max(&xs);
    let (mut e_lo, mut e_hi) = (x_min.log2().floor() as i32, x_max.log2().ceil() as i32);
    if e_lo == e_hi {
        e_lo -= 1;
        e_hi += 1;
    }
    let x_range = (x_min / 2f64.powf(X_PAD_LOG2), x_max * 2f64.powf(X_PAD_LOG2));
    // At most about eight labels, on strides that divide 10 so that 1 KiB, 1 MiB and 1 GiB
    // are among them whenever they are in range.
    let stride = [1, 2, 5, 10, 20, 50].into_iter().find(|s| (e_hi - e_lo) / s < 8).unwrap_or(100);
    let in_x = |v: &f64| *v >= x_range.0 && *v <= x_range.1;
    let (labelled, minor): (Vec<i32>, Vec<i32>) = (e_lo..=e_hi).partition(|e| e.rem_euclid(stride) == 0);
    let x_ticks: Vec<f64> = labelled.into_iter().map(|e| 2f64.powi(e)).filter(in_x).collect();
    let x_minor: Vec<f64> = minor.into_iter().map(|e| 2f64.powi(e)).filter(in_x).collect();
    (x_range, x_ticks, x_minor)
}

/// Room right of the plot for the longest reference tag, and at least the house margin.
fn tag_area(references: &[ReferenceLine]) -> u32 {
    references
        .iter()
        .map(|r| (text_width(&ellipsize(&clean(&r.tag), TAG_MAX_COLS), NOTE_PX) + 8.0).ceil() as u32)
        .max()
        .map_or(MARGIN_RIGHT, |w| w.max(MARGIN_RIGHT))
}

/// Lines of the chart, in the legend below the plot: a line sample (with its dot for a series),
/// then the name.
struct LineLegend {
    entries: Vec<(RGBColor, Sample)>,
    grid: LegendGrid,
    height: u32,
}

impl LineLegend {
    fn new<'a>(entries: impl Iterator<Item = (&'a str, RGBColor, Sample)>) -> Self {
        let (names, entries): (Vec<&str>, Vec<(RGBColor, Sample)>) = entries.map(|(name, color, sample)| (name, (color, sample))).unzip();
        let grid = LegendGrid::new(names.into_iter(), LINE_SAMPLE_PX);
        Self { entries, height: grid.height, grid }
    }

    fn draw(&self, area: &Area<'_>) -> Drawn {
        for (i, (color, sample)) in self.entries.iter().enumerate() {
            let (x, y) = self.grid.cell(i);
            let line = vec![(x, y), (x + LINE_SAMPLE_PX, y)];
            match sample {
                Sample::Series(style) => {
                    draw_line(area, line, *color, *style)?;
                    draw_dot(area, (x + LINE_SAMPLE_PX / 2, y), *color, *style)?;
                }
                Sample::Reference(kind) => draw_reference(area, line, *kind)?,
            }
            self.grid.draw_name(area, i, (x + LINE_SAMPLE_PX + TEXT_GAP, y))?;
        }
        Ok(())
    }
}

/// The darker of a palette entry's fill and outline: a line is thin and must stand out on white.
fn line_color(index: usize) -> RGBColor {
    let s = swatch(index);
    s.outline.unwrap_or(s.fill)
}

fn draw_line(area: &Area<'_>, points: Vec<(i32, i32)>, color: RGBColor, line: LineStyle) -> Drawn {
    let style = color.stroke_width(2);
    match line {
        LineStyle::Solid => area.draw(&PathElement::new(points, style)),
        LineStyle::Dashed => area.draw(&DashedPathElement::new(points, 7, 4, style)),
        LineStyle::Dotted => area.draw(&DashedPathElement::new(points, 2, 3, style)),
    }
}

fn draw_reference(area: &Area<'_>, points: Vec<(i32, i32)>, kind: ReferenceKind) -> Drawn {
    match kind {
        ReferenceKind::Threshold => area.draw(&PathElement::new(points, MUTED.stroke_width(1))),
        ReferenceKind::Bound => area.draw(&DashedPathElement::new(points, 8, 5, INK.stroke_width(1))),
        ReferenceKind::Published => area.draw(&DashedPathElement::new(points, 2, 4, PUBLISHED.stroke_width(2))),
    }
}

fn draw_dot(area: &Area<'_>, (x, y): (i32, i32), color: RGBColor, line: LineStyle) -> Drawn {
    match line {
        LineStyle::Solid => area.draw(&Circle::new((x, y), DOT_PX, color.filled())),
        LineStyle::Dashed => {
            area.draw(&Circle::new((x, y), DOT_PX, WHITE.filled()))?;
            area.draw(&Circle::new((x, y), DOT_PX, color.stroke_width(1)))
        }
        LineStyle::Dotted => area.draw(&Rectangle::new([(x - DOT_PX, y - DOT_PX), (x + DOT_PX, y + DOT_PX)], color.filled())),
    }
}

/// Line chart against size; returns a complete SVG document.
pub fn sweep_chart_svg(chart: &SweepChart) -> String {
    let Some(plan) = SweepPlan::new(chart) else {
        return empty_svg("no data");
    };
    render((WIDTH, plan.height), |root| draw_sweep_chart(root, &plan))
}

fn draw_sweep_chart(root: &Area<'_>, plan: &SweepPlan) -> Drawn {
    root.fill(&WHITE)?;
    let (upper, lower) = root.split_vertically(MARGIN_TOP + plan.plot_height + plan.x_area);
    let x = Ticked::<LogCoord<f64>>::new((plan.x_range.0..plan.x_range.1).log_scale(), plan.x_ticks.clone(), plan.x_minor.clone());
    let axis = &plan.axis;
    if axis.log {
        let y = Ticked::<LogCoord<f64>>::new(axis.range.clone().log_scale(), axis.ticks.clone(), axis.minor.clone());
        draw_sweep_plot(&upper, plan, x, y)?;
    } else {
        let y = Ticked::<RangedCoordf64>::new(axis.range.clone(), axis.ticks.clone(), axis.minor.clone());
        draw_sweep_plot(&upper, plan, x, y)?;
    }
    plan.legend.draw(&lower)
}

fn draw_sweep_plot<Y: Ranged<ValueType = f64>>(area: &Area<'_>, plan: &SweepPlan, x: Ticked<LogCoord<f64>>, y: Ticked<Y>) -> Drawn {
    let mut chart = house_chart(area, plan.tag_area, (plan.x_area, plan.y_area))
        .build_cartesian_2d(x, y)?;
    let x_format = |v: &f64| crate::format::binary_bytes(v.round() as u64);
    let y_format = |v: &f64| format_tick(*v);
    house_mesh(&mut chart.configure_mesh())
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format)
        .x_desc(plan.x_label.clone())
        .y_desc(plan.y_label.clone())
        .draw()?;

    // `area` is the top of the root, so the chart's pixel coordinates are also `area`'s.
    let (x_px, y_px) = chart.plotting_area().get_pixel_range();
    let axis = &plan.axis;
    let (x0, x1) = plan.x_range;
    let at = |x: f64, y: f64| chart.backend_coord(&(x, y));
    let inside = |y: f64| y >= axis.range.start && y <= axis.range.end;

    for r in plan.references.iter().filter(|r| inside(r.y)) {
        draw_reference(area, vec![at(x0, r.y), at(x1, r.y)], r.kind)?;
    }

    let marker_style = anchored(&text_style(NOTE_PX, INK), HPos::Right, VPos::Center).transform(FontTransform::Rotate270);
    let marker_cols = cols_in(f64::from(y_px.end - y_px.start) - 8.0, NOTE_PX);
    for m in &plan.markers {
        let (px, _) = at(m.x, axis.range.start);
        let color = mix(line_color(m.color), WHITE, 0.25);
        area.draw(&DashedPathElement::new(vec![(px, y_px.start), (px, y_px.end)], 5, 4, color.stroke_width(1)))?;
        // Read upwards beside its line; a label longer than the plot is tall continues on lines
        // further right.
        for (i, line) in wrap(&clean(&m.label), marker_cols, 3).into_iter().enumerate() {
            let x = px + NOTE_PX as i32 / 2 + 3 + (i as f64 * NOTE_PX * 1.2).round() as i32;
            area.draw(&Text::new(line, (x, y_px.start + 4), marker_style.clone()))?;
        }
    }

    for (series, points) in &plan.series {
        let color = line_color(series.color);
        for &(x, _, interval) in points {
            if let Some((low, high)) = interval {
                let (px, low_py) = at(x, axis.clamp(low));
                let high_py = at(x, axis.clamp(high)).1;
                area.draw(&PathElement::new(vec![(px, low_py), (px, high_py)], color.stroke_width(1)))?;
                for py in [low_py, high_py] {
                    area.draw(&PathElement::new(vec![(px - CAP_PX, py), (px + CAP_PX, py)], color.stroke_width(1)))?;
                }
            }
        }
        let path: Vec<(i32, i32)> = points.iter().map(|&(x, y, _)| at(x, axis.clamp(y))).collect();
        if path.len() > 1 {
            draw_line(area, path.clone(), color, series.line)?;
        }
        for p in path {
            draw_dot(area, p, color, series.line)?;
        }
    }

    draw_reference_tags(area, plan, &at, x_px.end, y_px)
}

/// Each reference line's tag just right of the plot, centred on its line; tags that would overlap
/// are pushed apart (downwards, then back up from the bottom if they run out of room).
fn draw_reference_tags(area: &Area<'_>, plan: &SweepPlan, at: &dyn Fn(f64, f64) -> (i32, i32), right: i32, y_px: std::ops::Range<i32>) -> Drawn {
    let axis = &plan.axis;
    let mut tags: Vec<(i32, &ReferenceLine)> = plan
        .references
        .iter()
        .filter(|r| r.y >= axis.range.start && r.y <= axis.range.end)
        .map(|r| (at(plan.x_range.0, r.y).1, r))
        .collect();
    tags.sort_by_key(|(y, _)| *y);
    let gap = (NOTE_PX * 1.2).ceil() as i32;
    let mut ys: Vec<i32> = Vec::with_capacity(tags.len());
    for (y, _) in &tags {
        let y = match ys.last() {
            Some(previous) => (*y).max(previous + gap),
            None => *y,
        };
        ys.push(y);
    }
    let mut limit = y_px.end + gap / 2;
    for y in ys.iter_mut().rev() {
        *y = (*y).min(limit);
        limit = *y - gap;
    }
    for ((_, r), y) in tags.into_iter().zip(ys) {
        let style = anchored(&text_style(NOTE_PX, r.kind.color()), HPos::Left, VPos::Center);
        area.draw(&Text::new(ellipsize(&clean(&r.tag), TAG_MAX_COLS), (right + 5, y), style))?;
    }
    Ok(())
}
