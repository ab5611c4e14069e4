//! The bar chart (most of the paper's figures): groups of bars with their intervals, missing
//! values marked "n/a", group names horizontal or rotated as the width allows, and the legend
//! below. Axes, scales, palette and legend grid are the parent module's, shared by every chart.

use std::ops::Range;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::*;

/// How the group names under the x axis are laid out.
enum GroupLabels {
    /// One or two lines per group, centred under the group.
    Horizontal(Vec<Vec<String>>),
    /// Rotated, reading upwards, when the groups are too narrow for horizontal text; with very
    /// many groups only every `stride`-th is labelled so labels do not overlap.
    Vertical { labels: Vec<String>, stride: usize },
}

struct BarPlan {
    y_label: String,
    groups: Vec<String>,
    bars: Vec<Vec<Option<Bar>>>,
    axis: ValueAxis,
    group_labels: GroupLabels,
    legend: Legend,
    y_area: u32,
    x_area: u32,
    plot_height: u32,
    height: u32,
    /// Pixels per group (one axis unit), as laid out here.
    group_px: f64,
    /// Axis units given to each bar and the gap beside it.
    bar_slot: f64,
}

impl BarPlan {
    fn new(chart: &BarChart) -> Option<Self> {
        let bars = usable_bars(chart);
        let present: Vec<Bar> = bars.iter().flatten().flatten().copied().collect();
        if chart.groups.is_empty() || present.is_empty() {
            return None;
        }
        let axis = if log_wanted(chart.scale, &bars) {
            ValueAxis::log(&present)
        } else {
            ValueAxis::linear(&present)
        };

        let tick_width = axis.ticks.iter().map(|&t| text_width(&format_tick(t), TICK_PX)).fold(0.0, f64::max);
        let y_area = (DESC_PX * 1.2 + 6.0 + tick_width + f64::from(2 * TICK_SIZE) + 4.0).ceil() as u32;
        let plot_width = f64::from(WIDTH.saturating_sub(MARGIN_LEFT + MARGIN_RIGHT + y_area).max(1));
        let slot = plot_width / chart.groups.len() as f64;
        let groups: Vec<String> = chart.groups.iter().map(|g| clean(g)).collect();

        // Horizontal labels read best; rotated ones only pay off when horizontal ones would be
        // cut to a few characters.
        let line_cols = cols_in(slot - 6.0, LABEL_PX);
        let wrapped: Vec<(Vec<String>, bool)> = groups.iter().map(|g| wrap_two_lines(g, line_cols)).collect();
        // A label's mark (a synthetic model's " · synthetic") must survive: rotate rather than cut it.
        let marks_kept = groups.iter().zip(&wrapped).all(|(g, (lines, _))| keeps_tail(g, lines));
        let horizontal = (line_cols >= 12 || wrapped.iter().all(|(_, cut)| !cut)) && marks_kept;
        let (group_labels, x_area) = if horizontal {
            let labels: Vec<Vec<String>> = wrapped.into_iter().map(|(lines, _)| lines).collect();
            let lines = labels.iter().map(Vec::len).max().unwrap_or(1);
            let height = 2 * TICK_SIZE as u32 + (lines as f64 * LABEL_PX * 1.3).ceil() as u32 + 4;
            (GroupLabels::Horizontal(labels), height)
        } else {
            // Room for each mark and a head that still names the model, within a cap.
            let cols = groups
                .iter()
                .filter_map(|g| protected_tail(g))
                .map(|tail| text_cols(tail) + LABEL_HEAD_MIN_COLS)
                .fold(GROUP_LABEL_VERTICAL_MAX_COLS, usize::max)
                .min(GROUP_LABEL_VERTICAL_CAP_COLS);
            let labels: Vec<String> = groups.iter().map(|g| shorten_label(g, cols)).collect();
            let longest = labels.iter().map(|l| text_width(l, LABEL_PX)).fold(0.0, f64::max);
            let stride = ((LABEL_PX * 1.2) / slot).ceil().max(1.0) as usize;
            let height = 2 * TICK_SIZE as u32 + longest.ceil() as u32 + 6;
            (GroupLabels::Vertical { labels, stride }, height)
        };

        let legend = Legend::new(chart.series.iter().map(|s| s.name.as_str()));
        let fixed = MARGIN_TOP + x_area + legend.height + MARGIN_BOTTOM;
        let plot_height = BASE_HEIGHT.saturating_sub(fixed).max(MIN_PLOT_HEIGHT);
        let y_label = ellipsize(&clean(&chart.y_label), cols_in(f64::from(plot_height), DESC_PX));
        let bar_slot = (0.8 / bars.len() as f64).min(MAX_BAR_PX / BAR_FILL / slot);

        Some(Self {
            y_label,
            groups,
            bars,
            axis,
            group_labels,
            legend,
            y_area,
            x_area,
            plot_height,
            height: fixed + plot_height,
            group_px: slot,
            bar_slot,
        })
    }

    /// Horizontal extent of series `s`'s bar in group `g`, in axis units (a group is one unit):
    /// the bars are centred in the group, taking at most 80 % of it, with a small gap between
    /// neighbours.
    fn bar_span(&self, g: usize, s: usize) -> (f64, f64) {
        let width = self.bar_slot * BAR_FILL;
        let cluster = self.bar_slot * self.bars.len() as f64;
        let x0 = g as f64 + 0.5 - cluster / 2.0 + s as f64 * self.bar_slot + (self.bar_slot - width) / 2.0;
        (x0, x0 + width)
    }
}

/// Grouped bar chart with error bars; returns a complete SVG document (String).
pub fn bar_chart_svg(chart: &BarChart) -> String {
    let Some(plan) = BarPlan::new(chart) else {
        return empty_svg("no data");
    };
    render((WIDTH, plan.height), |root| draw_bar_chart(root, &plan))
}

fn draw_bar_chart(root: &Area<'_>, plan: &BarPlan) -> Drawn {
    root.fill(&WHITE)?;
    let (upper, lower) = root.split_vertically(MARGIN_TOP + plan.plot_height + plan.x_area);
    // One unit per group; no ticks, the group names are drawn separately.
    let x = Ticked::<RangedCoordf64>::new(0.0..plan.groups.len() as f64, Vec::new(), Vec::new());
    let axis = &plan.axis;
    let (ticks, minor) = (axis.ticks.clone(), axis.minor.clone());
    if axis.log {
        let y = Ticked::<LogCoord<f64>>::new(axis.range.clone().log_scale(), ticks, minor);
        draw_bar_plot(&upper, plan, x, y)?;
    } else {
        let y = Ticked::<RangedCoordf64>::new(axis.range.clone(), ticks, minor);
        draw_bar_plot(&upper, plan, x, y)?;
    }
    plan.legend.draw(&lower)
}

fn draw_bar_plot<Y: Ranged<ValueType = f64>>(
    area: &Area<'_>,
    plan: &BarPlan,
    x: Ticked<RangedCoordf64>,
    y: Ticked<Y>,
) -> Drawn {
    let mut chart = ChartBuilder::on(area)
        .margin_top(MARGIN_TOP)
        .margin_left(MARGIN_LEFT)
        .margin_right(MARGIN_RIGHT)
        .x_label_area_size(plan.x_area)
        .y_label_area_size(plan.y_area)
        .build_cartesian_2d(x, y)?;
    let format = |v: &f64| format_tick(*v);
    house_mesh(chart.configure_mesh().disable_x_mesh())
        .y_label_formatter(&format)
        .y_desc(plan.y_label.clone())
        .draw()?;

    // `area` is the top of the root, so the chart's absolute pixel coordinates are also
    // coordinates in `area`: text that must sit a few pixels off a data point is drawn there.
    let axis = &plan.axis;
    let plot = chart.plotting_area();
    let (x_pixels, y_pixels) = plot.get_pixel_range();
    let error_style = INK.stroke_width(1);
    let note = text_style(NOTE_PX, MUTED);

    for (s, series) in plan.bars.iter().enumerate() {
        let swatch = swatch(s);
        for (g, bar) in series.iter().enumerate() {
            let (x0, x1) = plan.bar_span(g, s);
            let xc = (x0 + x1) / 2.0;
            let (px, base_py) = chart.backend_coord(&(xc, axis.baseline));
            let Some(bar) = bar else {
                draw_missing_mark(area, (px, base_py), (x1 - x0) * plan.group_px, &note)?;
                continue;
            };
            let top_py = chart.backend_coord(&(xc, bar.value)).1;
            if top_py == base_py {
                // A measured value at the baseline (zero): a flat mark, distinct from "n/a".
                plot.draw(&PathElement::new(
                    [(x0, axis.baseline), (x1, axis.baseline)],
                    swatch.outline.unwrap_or(swatch.fill).stroke_width(2),
                ))?;
            } else {
                let corners = [(x0, axis.baseline), (x1, bar.value)];
                plot.draw(&Rectangle::new(corners, swatch.fill.filled()))?;
                if let Some(outline) = swatch.outline {
                    plot.draw(&Rectangle::new(corners, outline.stroke_width(1)))?;
                }
            }
            if let Some((low, high)) = bar.interval {
                let (low, high) = (axis.clamp(low), axis.clamp(high));
                let cap = ((x1 - x0) * 0.25).min(MAX_CAP_PX / plan.group_px);
                for segment in [
                    [(xc, low), (xc, high)],
                    [(xc - cap, low), (xc + cap, low)],
                    [(xc - cap, high), (xc + cap, high)],
                ] {
                    plot.draw(&PathElement::new(segment, error_style))?;
                }
            }
        }
    }

    draw_group_labels(area, plan, x_pixels, y_pixels.end)
}

/// A subtle "n/a" standing on the baseline in the slot of a missing bar, upright when the slot
/// is too narrow for horizontal text and left out when even that does not fit.
fn draw_missing_mark(
    area: &Area<'_>,
    (px, py): (i32, i32),
    slot_px: f64,
    style: &TextStyle<'static>,
) -> Drawn {
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

fn draw_group_labels(area: &Area<'_>, plan: &BarPlan, x_pixels: Range<i32>, axis_py: i32) -> Drawn {
    let slot = f64::from(x_pixels.end - x_pixels.start) / plan.groups.len() as f64;
    let center = |g: usize| (f64::from(x_pixels.start) + (g as f64 + 0.5) * slot).round() as i32;
    let top = axis_py + 2 * TICK_SIZE;
    let style = text_style(LABEL_PX, INK);
    match &plan.group_labels {
        GroupLabels::Horizontal(labels) => {
            let style = anchored(&style, HPos::Center, VPos::Top);
            for (g, lines) in labels.iter().enumerate() {
                for (i, line) in lines.iter().enumerate() {
                    let y = top + (i as f64 * LABEL_PX * 1.3).round() as i32;
                    area.draw(&Text::new(line.clone(), (center(g), y), style.clone()))?;
                }
            }
        }
        GroupLabels::Vertical { labels, stride } => {
            // Rotated by 270° and anchored at its end, the text reads upwards and ends just
            // below the axis.
            let style = anchored(&style, HPos::Right, VPos::Center).transform(FontTransform::Rotate270);
            for (g, label) in labels.iter().enumerate().step_by(*stride) {
                area.draw(&Text::new(label.clone(), (center(g), top), style.clone()))?;
            }
        }
    }
    Ok(())
}
