//! A scatter of cells: one point per cell at (x, y), with the intervals of both coordinates as
//! whiskers, numbered beside the point and named by number in the legend below the plot (a
//! name beside each point would cover the others where cells lie close, as cells of one device
//! do). Each axis is linear and fitted to the data, or logarithmic when its values span more
//! than 30× (the bar charts' rule, [`Scale::Auto`]).

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use serde::Serialize;

use super::axis::{Bar, Ticked, ValueAxis, fitted_linear, usable};
use super::legend::{LegendGrid, TEXT_GAP};
use super::style::{
    DESC_PX, plot_height, INK, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, NOTE_PX, TICK_PX,
    TICK_SIZE, WIDTH, anchored, format_tick, house_chart, house_mesh, swatch, text_style,
};
use super::svg::{Area, Drawn, empty_svg, render};
use super::text::{clean, cols_in, ellipsize, text_width};

/// Points against two measured axes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScatterChart {
    pub x_label: String,
    pub y_label: String,
    pub points: Vec<ScatterPoint>,
}

/// One cell: its two medians and, when known, their intervals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScatterPoint {
    /// Its legend entry, after its number.
    pub label: String,
    pub x: f64,
    pub x_interval: Option<(f64, f64)>,
    pub y: f64,
    pub y_interval: Option<(f64, f64)>,
}

const DOT_PX: i32 = 4;
const CAP_PX: i32 = 4;
/// Width of a legend entry's sample: a dot.
const SAMPLE_PX: i32 = 2 * DOT_PX + 2;

/// A drawable point: its number (1-based, as the legend names it), coordinates, interval ends in order.
struct Drawable {
    number: usize,
    x: f64,
    y: f64,
    x_interval: Option<(f64, f64)>,
    y_interval: Option<(f64, f64)>,
}

fn ordered(interval: Option<(f64, f64)>) -> Option<(f64, f64)> {
    interval.filter(|(a, b)| usable(*a) && usable(*b)).map(|(a, b)| (a.min(b), a.max(b)))
}

/// Log when every value (interval ends included) is positive and they span more than 30×.
fn axis_for(values: &[f64]) -> ValueAxis {
    let positive = values.iter().all(|&v| v > 0.0);
    let (min, max) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    if positive && max / min > 30.0 {
        let bars: Vec<Bar> = values.iter().map(|&value| Bar { value, interval: None }).collect();
        ValueAxis::log(&bars)
    } else {
        fitted_linear(values)
    }
}

/// Whether each axis (x, y) is drawn on a log scale, for the caption; `None` with nothing to draw.
pub fn scatter_log_axes(chart: &ScatterChart) -> Option<(bool, bool)> {
    ScatterPlan::new(chart).map(|p| (p.x_axis.log, p.y_axis.log))
}

struct ScatterPlan {
    points: Vec<Drawable>,
    x_axis: ValueAxis,
    y_axis: ValueAxis,
    grid: LegendGrid,
    x_label: String,
    y_label: String,
    y_area: u32,
    x_area: u32,
    plot_height: u32,
    height: u32,
}

impl ScatterPlan {
    fn new(chart: &ScatterChart) -> Option<ScatterPlan> {
        let points: Vec<Drawable> = chart
            .points
            .iter()
            .enumerate()
            .filter(|(_, p)| usable(p.x) && usable(p.y))
            .map(|(i, p)| Drawable {
                number: i + 1,
                x: p.x,
                y: p.y,
                x_interval: ordered(p.x_interval),
                y_interval: ordered(p.y_interval),
            })
            .collect();
        if points.is_empty() {
            return None;
        }
        // Each axis holds its medians and both ends of their intervals.
        let ends = |v: f64, i: Option<(f64, f64)>| [Some(v), i.map(|i| i.0), i.map(|i| i.1)];
        let xs: Vec<f64> = points.iter().flat_map(|p| ends(p.x, p.x_interval)).flatten().collect();
        let ys: Vec<f64> = points.iter().flat_map(|p| ends(p.y, p.y_interval)).flatten().collect();
        let (x_axis, y_axis) = (axis_for(&xs), axis_for(&ys));
        let legend: Vec<String> = chart
            .points
            .iter()
            .enumerate()
            .filter(|(i, _)| points.iter().any(|p| p.number == i + 1))
            .map(|(i, p)| format!("{} {}", i + 1, p.label))
            .collect();
        let grid = LegendGrid::new(legend.iter().map(String::as_str), SAMPLE_PX);
        let tick_width = y_axis.ticks.iter().map(|&t| text_width(&format_tick(t), TICK_PX)).fold(0.0, f64::max);
        let y_area = (DESC_PX * 1.2 + 6.0 + tick_width + f64::from(2 * TICK_SIZE) + 4.0).ceil() as u32;
        let x_area = 2 * TICK_SIZE as u32 + (TICK_PX * 1.3).ceil() as u32 + (DESC_PX * 1.5).ceil() as u32 + 6;
        let fixed = MARGIN_TOP + x_area + grid.height + MARGIN_BOTTOM;
        let plot_height = plot_height(fixed, &clean(&chart.y_label));
        let plot_width = f64::from(WIDTH - MARGIN_LEFT - MARGIN_RIGHT - y_area);
        Some(ScatterPlan {
            points,
            x_axis,
            y_axis,
            height: fixed + plot_height,
            grid,
            x_label: ellipsize(&clean(&chart.x_label), cols_in(plot_width, DESC_PX)),
            y_label: ellipsize(&clean(&chart.y_label), cols_in(f64::from(plot_height), DESC_PX)),
            y_area,
            x_area,
            plot_height,
        })
    }
}

/// The scatter as a complete SVG document.
pub fn scatter_chart_svg(chart: &ScatterChart) -> String {
    let Some(plan) = ScatterPlan::new(chart) else {
        return empty_svg("no data");
    };
    render((WIDTH, plan.height), |root| {
        root.fill(&WHITE)?;
        let (upper, lower) = root.split_vertically(MARGIN_TOP + plan.plot_height + plan.x_area);
        // plotters' coordinate types differ by scale, so each combination is its own call.
        let linear = |a: &ValueAxis| Ticked::<RangedCoordf64>::new(a.range.clone(), a.ticks.clone(), a.minor.clone());
        let log = |a: &ValueAxis| Ticked::<LogCoord<f64>>::new(a.range.clone().log_scale(), a.ticks.clone(), a.minor.clone());
        match (plan.x_axis.log, plan.y_axis.log) {
            (false, false) => draw_plot(&upper, &plan, linear(&plan.x_axis), linear(&plan.y_axis))?,
            (false, true) => draw_plot(&upper, &plan, linear(&plan.x_axis), log(&plan.y_axis))?,
            (true, false) => draw_plot(&upper, &plan, log(&plan.x_axis), linear(&plan.y_axis))?,
            (true, true) => draw_plot(&upper, &plan, log(&plan.x_axis), log(&plan.y_axis))?,
        }
        draw_legend(&lower, &plan)
    })
}

fn draw_plot<X, Y>(area: &Area<'_>, plan: &ScatterPlan, x: Ticked<X>, y: Ticked<Y>) -> Drawn
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let mut chart = house_chart(area, MARGIN_RIGHT, (plan.x_area, plan.y_area))
        .build_cartesian_2d(x, y)?;
    let format = |v: &f64| format_tick(*v);
    house_mesh(&mut chart.configure_mesh())
        .x_label_formatter(&format)
        .y_label_formatter(&format)
        .x_desc(plan.x_label.clone())
        .y_desc(plan.y_label.clone())
        .draw()?;
    // `area` is the top of the root, so the chart's pixel coordinates are also `area`'s.
    let (xa, ya) = (&plan.x_axis, &plan.y_axis);
    let at = |x: f64, y: f64| chart.backend_coord(&(xa.clamp(x), ya.clamp(y)));
    let tag = anchored(&text_style(NOTE_PX, INK), HPos::Left, VPos::Bottom);
    for p in &plan.points {
        let s = swatch(p.number - 1);
        let ink = s.outline.unwrap_or(s.fill);
        let whisker = |from: (i32, i32), to: (i32, i32), caps_vertical: bool| -> Drawn {
            area.draw(&PathElement::new(vec![from, to], ink.stroke_width(1)))?;
            for (cx, cy) in [from, to] {
                let cap = if caps_vertical { vec![(cx, cy - CAP_PX), (cx, cy + CAP_PX)] } else { vec![(cx - CAP_PX, cy), (cx + CAP_PX, cy)] };
                area.draw(&PathElement::new(cap, ink.stroke_width(1)))?;
            }
            Ok(())
        };
        if let Some((low, high)) = p.x_interval {
            whisker(at(low, p.y), at(high, p.y), true)?;
        }
        if let Some((low, high)) = p.y_interval {
            whisker(at(p.x, low), at(p.x, high), false)?;
        }
        let (px, py) = at(p.x, p.y);
        area.draw(&Circle::new((px, py), DOT_PX, s.fill.filled()))?;
        area.draw(&Circle::new((px, py), DOT_PX, ink.stroke_width(1)))?;
        area.draw(&Text::new(p.number.to_string(), (px + DOT_PX + 2, py - DOT_PX - 1), tag.clone()))?;
    }
    Ok(())
}

fn draw_legend(area: &Area<'_>, plan: &ScatterPlan) -> Drawn {
    for (i, p) in plan.points.iter().enumerate() {
        let (x, y) = plan.grid.cell(i);
        let s = swatch(p.number - 1);
        let centre = (x + SAMPLE_PX / 2, y);
        area.draw(&Circle::new(centre, DOT_PX, s.fill.filled()))?;
        area.draw(&Circle::new(centre, DOT_PX, s.outline.unwrap_or(s.fill).stroke_width(1)))?;
        plan.grid.draw_name(area, i, (x + SAMPLE_PX + TEXT_GAP, y))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(label: &str, x: f64, y: f64) -> ScatterPoint {
        ScatterPoint { label: label.into(), x, x_interval: Some((x * 0.9, x * 1.1)), y, y_interval: None }
    }

    #[test]
    fn points_are_numbered_in_the_legend_and_unusable_ones_left_out() {
        let chart = ScatterChart {
            x_label: "TPOT (ms/token)".into(),
            y_label: "energy (J/token)".into(),
            points: vec![point("first <cell>", 1.5, 0.26), point("not finite", f64::NAN, 1.0), point("third", 1.3, 0.2)],
        };
        let svg = scatter_chart_svg(&chart);
        assert!(svg.contains("1 first &lt;cell&gt;") && svg.contains("3 third") && !svg.contains("not finite"), "{svg}");
        assert_eq!(svg, scatter_chart_svg(&chart), "deterministic");
        assert_eq!(scatter_log_axes(&chart), Some((false, false)));
    }

    #[test]
    fn an_axis_spanning_more_than_thirty_times_is_logarithmic_and_nothing_drawable_says_so() {
        let chart = ScatterChart { x_label: "x".into(), y_label: "y".into(), points: vec![point("a", 1.0, 1.0), point("b", 100.0, 2.0)] };
        assert_eq!(scatter_log_axes(&chart), Some((true, false)));
        let none = ScatterChart { points: vec![point("a", f64::INFINITY, 1.0)], ..chart };
        assert_eq!(scatter_log_axes(&none), None);
        assert!(scatter_chart_svg(&none).contains("no data"));
    }
}
