//! The grouped bar chart (most of the paper's figures): groups along the x axis (models), a bar
//! per series within a group (platforms) with its interval, and a paper's published values drawn
//! as diamonds in their series' slot, so that a reader compares them with the bar beside them.
//!
//! Layout: every group has a slot per series ("aligned"), so that a series keeps its place and a
//! missing value shows as "n/a" in its slot. When there are so many groups and series that the
//! aligned slots would be too thin to read (the usual case once a paper's platforms join the
//! measured ones: each model then has only a few of them), each group holds only the series it
//! has ("compact"), and a group's width follows its number of slots. Series are told apart by
//! colour in both layouts; hatched series (the report's synthetic weights) are lighter and
//! hatched. Group names are horizontal and wrapped when the groups are wide enough, rotated (and
//! wrapped onto side-by-side lines only when very long) otherwise.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use serde::Serialize;

use super::axis::{Bar, Scale, Ticked, ValueAxis, usable};
use super::legend::{Legend, Sample, draw_hatched};
use super::style::{
    DESC_PX, plot_height, INK, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP,
    MUTED, NOTE_PX, TICK_PX, TICK_SIZE, WIDTH, anchored, format_tick, house_chart, house_mesh, mix, swatch, text_style,
    xml_escape,
};
use super::svg::{Area, DrawError, Drawn, empty_svg, render_with_overlay};
use super::text::{clean, cols_in, ellipsize, text_width};

mod labels;

use labels::{GroupLabels, draw_group_labels, group_labels};

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
    /// Drawn lighter and hatched (the report: cells with synthetic weights); [`BarKey::hatched`]
    /// says what that means.
    pub hatched: bool,
}

/// A published value: a diamond in the slot of `series` in `group`, at `value`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BarMarker {
    pub group: usize,
    pub series: usize,
    pub value: f64,
    /// White inside (the report: a value the paper leaves ambiguous).
    pub hollow: bool,
    /// Written as the marker's SVG `<title>` (a tooltip in a browser): where the value comes from.
    pub title: String,
}

/// What the chart's special marks mean, each drawn in the legend after the series when the chart
/// shows that mark; `None` draws no entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BarKey {
    pub hatched: Option<String>,
    pub marker: Option<String>,
    pub hollow_marker: Option<String>,
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
    /// Drawn on top of the bars, each with the class [`MARKER_CLASS`].
    pub markers: Vec<BarMarker>,
    pub key: BarKey,
}

/// The SVG class of every marker drawn from [`BarChart::markers`]; hollow ones also have the
/// class `ambiguous`.
pub const MARKER_CLASS: &str = "published-value";

/// Bars wider than this look like slabs when a chart has few groups and series.
const MAX_BAR_PX: f64 = 56.0;
/// Share of a bar's slot that the bar fills; the rest separates it from its neighbours.
const BAR_FILL: f64 = 0.88;
/// Share of a group's width that its slots take; the rest separates it from the next group.
const CLUSTER: f64 = 0.8;
/// Half the width of an error bar's caps, at most.
const MAX_CAP_PX: f64 = 6.0;
/// Aligned slots thinner than this give way to the compact layout.
const MIN_ALIGNED_SLOT_PX: f64 = 14.0;
/// In the compact layout a group is never narrower than this many slots, so that its name has
/// room and a lone bar is not a sliver.
const MIN_COMPACT_SLOTS: f64 = 2.0;
/// Half-diagonal of a published value's diamond, in pixels.
const MAX_MARKER_R: f64 = 7.0;
const MIN_MARKER_R: f64 = 4.0;

/// One slot of a group: a series' bar, if any, and its published values.
struct Slot {
    series: usize,
    bar: Option<Bar>,
    markers: Vec<usize>,
}

struct GroupPlan {
    /// Left end, in axis units (one unit per slot).
    start: f64,
    width: f64,
    slots: Vec<Slot>,
}

impl GroupPlan {
    fn centre(&self) -> f64 {
        self.start + self.width / 2.0
    }
}

struct BarPlan {
    y_label: String,
    axis: ValueAxis,
    groups: Vec<GroupPlan>,
    total_units: f64,
    /// Units between the left ends of neighbouring bars (at most one: bars capped at
    /// [`MAX_BAR_PX`] sit closer together).
    pitch: f64,
    unit_px: f64,
    group_labels: GroupLabels,
    legend: Legend,
    y_area: u32,
    x_area: u32,
    plot_height: u32,
    height: u32,
}

/// `bars[series][group]`, exactly one entry per group whatever the length of `values`.
fn usable_bars(chart: &BarChart) -> Vec<Vec<Option<Bar>>> {
    chart
        .series
        .iter()
        .map(|series| {
            (0..chart.groups.len())
                .map(|g| series.values.get(g).copied().flatten().as_ref().and_then(bar_of))
                .collect()
        })
        .collect()
}

fn bar_of(v: &BarValue) -> Option<Bar> {
    if !usable(v.value) {
        return None;
    }
    let interval = match (v.low.filter(|x| usable(*x)), v.high.filter(|x| usable(*x))) {
        (Some(a), Some(b)) => Some((a.min(b), a.max(b))),
        _ => None,
    };
    Some(Bar { value: v.value, interval })
}

/// Markers that can be drawn: in range of the groups and series, with a usable value.
fn usable_markers(chart: &BarChart) -> Vec<usize> {
    (0..chart.markers.len())
        .filter(|&i| {
            let m = &chart.markers[i];
            m.group < chart.groups.len() && m.series < chart.series.len() && usable(m.value)
        })
        .collect()
}

/// Every value the value axis must hold: bars (with their intervals) and markers.
fn axis_values(chart: &BarChart, bars: &[Vec<Option<Bar>>]) -> Vec<Bar> {
    let markers = usable_markers(chart).into_iter().map(|i| Bar { value: chart.markers[i].value, interval: None });
    bars.iter().flatten().flatten().copied().chain(markers).collect()
}

fn log_wanted(scale: Scale, values: &[Bar]) -> bool {
    if values.is_empty() || values.iter().any(|b| b.value <= 0.0) {
        return false;
    }
    match scale {
        Scale::Linear => false,
        Scale::Log => true,
        Scale::Auto => {
            let min = values.iter().map(|b| b.value).fold(f64::INFINITY, f64::min);
            let max = values.iter().map(|b| b.value).fold(f64::NEG_INFINITY, f64::max);
            max / min > 30.0
        }
    }
}

/// Whether Auto picks log for these values (exposed for tests and for the caption, which says "log scale").
///
/// This is the scale the chart is actually drawn with: [`Scale::Log`] with a zero or negative
/// value also answers `false`.
pub fn use_log_scale(chart: &BarChart) -> bool {
    log_wanted(chart.scale, &axis_values(chart, &usable_bars(chart)))
}

/// The groups' slots, in the aligned layout when its slots are wide enough, else compact.
fn lay_out_groups(chart: &BarChart, bars: &[Vec<Option<Bar>>], plot_width: f64) -> Vec<GroupPlan> {
    let markers = usable_markers(chart);
    let slot = |g: usize, s: usize| Slot {
        series: s,
        bar: bars[s][g],
        markers: markers.iter().copied().filter(|&i| chart.markers[i].group == g && chart.markers[i].series == s).collect(),
    };
    let (n_groups, n_series) = (chart.groups.len(), chart.series.len().max(1));
    let aligned_px = plot_width * CLUSTER / (n_groups * n_series) as f64;
    let aligned = aligned_px >= MIN_ALIGNED_SLOT_PX;
    let mut start = 0.0;
    (0..n_groups)
        .map(|g| {
            let slots: Vec<Slot> = (0..chart.series.len())
                .map(|s| slot(g, s))
                .filter(|slot| aligned || slot.bar.is_some() || !slot.markers.is_empty())
                .collect();
            let least = if aligned { n_series as f64 } else { MIN_COMPACT_SLOTS };
            let width = (slots.len() as f64).max(least) / CLUSTER;
            let group = GroupPlan { start, width, slots };
            start += width;
            group
        })
        .collect()
}

impl BarPlan {
    fn new(chart: &BarChart) -> Option<Self> {
        let bars = usable_bars(chart);
        let values = axis_values(chart, &bars);
        if chart.groups.is_empty() || values.is_empty() {
            return None;
        }
        let axis = if log_wanted(chart.scale, &values) { ValueAxis::log(&values) } else { ValueAxis::linear(&values) };

        let tick_width = axis.ticks.iter().map(|&t| text_width(&format_tick(t), TICK_PX)).fold(0.0, f64::max);
        let y_area = (DESC_PX * 1.2 + 6.0 + tick_width + f64::from(2 * TICK_SIZE) + 4.0).ceil() as u32;
        let plot_width = f64::from(WIDTH.saturating_sub(MARGIN_LEFT + MARGIN_RIGHT + y_area).max(1));
        let groups = lay_out_groups(chart, &bars, plot_width);
        let total_units = groups.last().map_or(1.0, |g| g.start + g.width);
        let unit_px = plot_width / total_units;
        let pitch = (MAX_BAR_PX / BAR_FILL / unit_px).min(1.0);

        let names: Vec<String> = chart.groups.iter().map(|g| clean(g)).collect();
        let (group_labels, x_area) = group_labels(&names, &groups, unit_px);

        let legend = legend(chart, &groups);
        let fixed = MARGIN_TOP + x_area + legend.height + MARGIN_BOTTOM;
        let plot_height = plot_height(fixed, &clean(&chart.y_label));
        let y_label = ellipsize(&clean(&chart.y_label), cols_in(f64::from(plot_height), DESC_PX));
        Some(Self {
            y_label,
            axis,
            groups,
            total_units,
            pitch,
            unit_px,
            group_labels,
            legend,
            y_area,
            x_area,
            plot_height,
            height: fixed + plot_height,
        })
    }

    /// Horizontal extent of slot `k` of group `g`, in axis units: the slots centred in the group.
    fn slot_span(&self, g: usize, k: usize) -> (f64, f64) {
        let group = &self.groups[g];
        let cluster = self.pitch * group.slots.len() as f64;
        let x0 = group.centre() - cluster / 2.0 + k as f64 * self.pitch;
        let width = self.pitch * BAR_FILL;
        let x0 = x0 + (self.pitch - width) / 2.0;
        (x0, x0 + width)
    }
}

/// The series, then what hatching and markers mean where the chart shows them.
fn legend(chart: &BarChart, groups: &[GroupPlan]) -> Legend {
    let slots = || groups.iter().flat_map(|g| &g.slots);
    let has_bars = |s: usize| slots().any(|slot| slot.series == s && slot.bar.is_some());
    let has_markers = |s: usize| slots().any(|slot| slot.series == s && !slot.markers.is_empty());
    let drawn: Vec<&BarMarker> = slots().flat_map(|slot| &slot.markers).map(|&i| &chart.markers[i]).collect();
    let mut entries: Vec<(&str, Sample)> = chart
        .series
        .iter()
        .enumerate()
        .map(|(s, series)| {
            let sample = if series.hatched && has_bars(s) {
                Sample::Hatched(swatch(s))
            } else if !has_bars(s) && has_markers(s) {
                Sample::Diamond { color: swatch(s).fill, hollow: false }
            } else {
                Sample::Filled(swatch(s))
            };
            (series.name.as_str(), sample)
        })
        .collect();
    let grey = super::style::Swatch { fill: MUTED, outline: None };
    if let Some(text) = &chart.key.hatched
        && chart.series.iter().enumerate().any(|(s, series)| series.hatched && has_bars(s))
    {
        entries.push((text.as_str(), Sample::Hatched(grey)));
    }
    if let Some(text) = &chart.key.marker
        && drawn.iter().any(|m| !m.hollow)
    {
        entries.push((text.as_str(), Sample::Diamond { color: MUTED, hollow: false }));
    }
    if let Some(text) = &chart.key.hollow_marker
        && drawn.iter().any(|m| m.hollow)
    {
        entries.push((text.as_str(), Sample::Diamond { color: MUTED, hollow: true }));
    }
    Legend::new(entries.into_iter())
}

/// Grouped bar chart with error bars and published-value markers; returns a complete SVG document (String).
pub fn bar_chart_svg(chart: &BarChart) -> String {
    let Some(plan) = BarPlan::new(chart) else {
        return empty_svg("no data");
    };
    render_with_overlay((WIDTH, plan.height), |root| draw_bar_chart(root, chart, &plan))
}

fn draw_bar_chart(root: &Area<'_>, chart: &BarChart, plan: &BarPlan) -> Result<String, DrawError> {
    root.fill(&WHITE)?;
    let (upper, lower) = root.split_vertically(MARGIN_TOP + plan.plot_height + plan.x_area);
    // One unit per slot; no ticks, the group names are drawn separately.
    let x = Ticked::<RangedCoordf64>::new(0.0..plan.total_units, Vec::new(), Vec::new());
    let axis = &plan.axis;
    let (ticks, minor) = (axis.ticks.clone(), axis.minor.clone());
    let overlay = if axis.log {
        let y = Ticked::<LogCoord<f64>>::new(axis.range.clone().log_scale(), ticks, minor);
        draw_bar_plot(&upper, chart, plan, x, y)?
    } else {
        let y = Ticked::<RangedCoordf64>::new(axis.range.clone(), ticks, minor);
        draw_bar_plot(&upper, chart, plan, x, y)?
    };
    plan.legend.draw(&lower)?;
    Ok(overlay)
}

/// Draws the axes, bars and group names; returns the markers as SVG elements for the overlay.
fn draw_bar_plot<Y: Ranged<ValueType = f64>>(
    area: &Area<'_>,
    chart: &BarChart,
    plan: &BarPlan,
    x: Ticked<RangedCoordf64>,
    y: Ticked<Y>,
) -> Result<String, DrawError> {
    let mut plotted = house_chart(area, MARGIN_RIGHT, (plan.x_area, plan.y_area))
        .build_cartesian_2d(x, y)?;
    let format = |v: &f64| format_tick(*v);
    house_mesh(plotted.configure_mesh().disable_x_mesh())
        .y_label_formatter(&format)
        .y_desc(plan.y_label.clone())
        .draw()?;

    // `area` is the top of the root, so the chart's absolute pixel coordinates are also
    // coordinates in `area`: text and hatching that must sit on exact pixels are drawn there.
    let axis = &plan.axis;
    let plot = plotted.plotting_area();
    let (_, y_pixels) = plot.get_pixel_range();
    let error_style = INK.stroke_width(1);
    let note = text_style(NOTE_PX, MUTED);
    let mut overlay = String::new();

    for (g, group) in plan.groups.iter().enumerate() {
        for (k, slot) in group.slots.iter().enumerate() {
            let swatch = swatch(slot.series);
            let hatched = chart.series[slot.series].hatched;
            let (x0, x1) = plan.slot_span(g, k);
            let xc = (x0 + x1) / 2.0;
            let (px, base_py) = plotted.backend_coord(&(xc, axis.baseline));
            let bar_px = (x1 - x0) * plan.unit_px;
            match slot.bar {
                None if slot.markers.is_empty() => draw_missing_mark(area, (px, base_py), bar_px, &note)?,
                None => {}
                Some(bar) => {
                    let top_py = plotted.backend_coord(&(xc, bar.value)).1;
                    if top_py == base_py {
                        // A measured value at the baseline (zero): a flat mark, distinct from "n/a".
                        plot.draw(&PathElement::new([(x0, axis.baseline), (x1, axis.baseline)], swatch.ink().stroke_width(2)))?;
                    } else if hatched {
                        let corners = [plotted.backend_coord(&(x0, axis.baseline)), plotted.backend_coord(&(x1, bar.value))];
                        draw_hatched(area, corners, swatch)?;
                    } else {
                        let corners = [(x0, axis.baseline), (x1, bar.value)];
                        plot.draw(&Rectangle::new(corners, swatch.fill.filled()))?;
                        if let Some(outline) = swatch.outline {
                            plot.draw(&Rectangle::new(corners, outline.stroke_width(1)))?;
                        }
                    }
                    if let Some((low, high)) = bar.interval {
                        let (low, high) = (axis.clamp(low), axis.clamp(high));
                        let cap = ((x1 - x0) * 0.25).min(MAX_CAP_PX / plan.unit_px);
                        for segment in [[(xc, low), (xc, high)], [(xc - cap, low), (xc + cap, low)], [(xc - cap, high), (xc + cap, high)]] {
                            plot.draw(&PathElement::new(segment, error_style))?;
                        }
                    }
                }
            }
            let r = (bar_px * 0.45).clamp(MIN_MARKER_R, MAX_MARKER_R);
            for &i in &slot.markers {
                let marker = &chart.markers[i];
                let (mx, my) = plotted.backend_coord(&(xc, axis.clamp(marker.value)));
                let my = my.clamp(y_pixels.start, y_pixels.end);
                overlay.push_str(&marker_svg(marker, (mx, my), r, swatch.fill));
            }
        }
    }

    draw_group_labels(area, &plan.groups, &plan.group_labels, &|units| plotted.backend_coord(&(units, axis.baseline)).0, y_pixels.end)?;
    Ok(overlay)
}

fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// A published value's diamond as an SVG path with its class and `<title>`: filled in the
/// series' colour with an ink outline, or white inside with a thick outline in that colour.
fn marker_svg(marker: &BarMarker, (x, y): (i32, i32), r: f64, color: RGBColor) -> String {
    let (class, fill, stroke, width) = if marker.hollow {
        (format!("{MARKER_CLASS} ambiguous"), WHITE, mix(color, BLACK, 0.2), 2.0)
    } else {
        (MARKER_CLASS.to_owned(), color, super::style::INK, 1.0)
    };
    let (x, y) = (f64::from(x), f64::from(y));
    format!(
        "<path class=\"{class}\" d=\"M{x} {} L{} {y} L{x} {} L{} {y} Z\" fill=\"{}\" stroke=\"{}\" stroke-width=\"{width}\"><title>{}</title></path>\n",
        format_tick(y - r),
        format_tick(x + r),
        format_tick(y + r),
        format_tick(x - r),
        hex(fill),
        hex(stroke),
        xml_escape(&clean(&marker.title)),
    )
}

/// A subtle "n/a" standing on the baseline in the slot of a missing bar, upright when the slot
/// is too narrow for horizontal text and left out when even that does not fit.
fn draw_missing_mark(area: &Area<'_>, (px, py): (i32, i32), slot_px: f64, style: &TextStyle<'static>) -> Drawn {
    const MARK: &str = "n/a";
    if slot_px >= text_width(MARK, NOTE_PX) + 2.0 {
        area.draw(&Text::new(MARK, (px, py - 3), anchored(style, HPos::Center, VPos::Bottom)))
    } else if slot_px >= NOTE_PX {
        let upright = anchored(style, HPos::Left, VPos::Center).transform(FontTransform::Rotate270);
        area.draw(&Text::new(MARK, (px, py - 3), upright))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(groups: usize, series: usize, present: impl Fn(usize, usize) -> bool) -> BarChart {
        BarChart {
            y_label: "load time (ms)".into(),
            groups: (0..groups).map(|g| format!("model {g}")).collect(),
            series: (0..series)
                .map(|s| BarSeries {
                    name: format!("platform {s}"),
                    values: (0..groups).map(|g| present(g, s).then_some(BarValue { value: 10.0, low: None, high: None })).collect(),
                    hatched: false,
                })
                .collect(),
            scale: Scale::Linear,
            markers: Vec::new(),
            key: BarKey::default(),
        }
    }

    #[test]
    fn a_sparse_chart_gives_each_group_only_its_series() {
        // Twelve groups by ten series, one bar per group: aligned slots would be about 5 px.
        let sparse = chart(12, 10, |g, s| s == g % 10);
        let plan = BarPlan::new(&sparse).unwrap();
        assert!(plan.groups.iter().all(|g| g.slots.len() == 1), "one slot per group");
        assert!(plan.pitch * plan.unit_px >= MIN_ALIGNED_SLOT_PX);
        // A small full chart keeps every series in every group.
        let full = chart(3, 4, |_, _| true);
        let plan = BarPlan::new(&full).unwrap();
        assert!(plan.groups.iter().all(|g| g.slots.len() == 4));
    }

    #[test]
    fn markers_alone_make_a_chart_and_count_on_the_axis() {
        let mut only_markers = chart(2, 2, |_, _| false);
        only_markers.markers = vec![BarMarker { group: 1, series: 0, value: 5000.0, hollow: true, title: "paper".into() }];
        let svg = bar_chart_svg(&only_markers);
        assert_eq!(svg.matches("class=\"published-value ambiguous\"").count(), 1, "{svg}");
        let mut with_bar = chart(2, 2, |g, s| g == 0 && s == 1);
        with_bar.markers = only_markers.markers.clone();
        let plan = BarPlan::new(&with_bar).unwrap();
        assert!(plan.axis.range.end >= 5000.0, "the marker is inside the axis");
        // A marker outside the groups or series is left out rather than panicking.
        with_bar.markers.push(BarMarker { group: 9, series: 0, value: 1.0, hollow: false, title: String::new() });
        assert_eq!(bar_chart_svg(&with_bar).matches(MARKER_CLASS).count(), 1);
    }
}
