//! The group names under a bar chart's x axis: horizontal and wrapped when every group is wide
//! enough for a few lines, rotated otherwise (a very long name continuing on a line beside it).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::super::style::{INK, LABEL_PX, LINE_SPACING, TICK_SIZE, anchored, text_style};
use super::super::svg::{Area, Drawn};
use super::super::text::{cols_in, text_cols, text_width, wrap};
use super::GroupPlan;

/// Horizontal group names: lines narrower than this break most names inside their words, and
/// more lines than this make a tall block; either way the names are rotated instead.
const MIN_HORIZONTAL_COLS: usize = 8;
const MAX_HORIZONTAL_LINES: usize = 4;
/// A rotated group name longer than this continues on a line beside it (when the group is wide
/// enough for one), so the labels do not take most of the figure's height.
const VERTICAL_LINE_COLS: usize = 44;
const MAX_VERTICAL_LINES: usize = 3;

/// How the group names under the x axis are laid out.
pub(super) enum GroupLabels {
    /// Lines per group, centred under the group.
    Horizontal(Vec<Vec<String>>),
    /// Rotated, reading upwards, each name on one or more side-by-side lines, when the groups are
    /// too narrow for horizontal text; with very many groups only every `stride`-th is labelled
    /// so labels do not overlap.
    Vertical { labels: Vec<Vec<String>>, stride: usize },
}

/// Horizontal names when every group is wide enough for them in a few lines; rotated otherwise.
/// Returns the labels and the height under the axis they need.
pub(super) fn group_labels(names: &[String], groups: &[GroupPlan], unit_px: f64) -> (GroupLabels, u32) {
    let narrowest = groups.iter().map(|g| g.width * unit_px).fold(f64::INFINITY, f64::min);
    let wrapped: Vec<Vec<String>> = names
        .iter()
        .zip(groups)
        .map(|(name, g)| wrap(name, cols_in(g.width * unit_px - 6.0, LABEL_PX), usize::MAX))
        .collect();
    let horizontal = cols_in(narrowest - 6.0, LABEL_PX) >= MIN_HORIZONTAL_COLS
        && wrapped.iter().all(|lines| lines.len() <= MAX_HORIZONTAL_LINES);
    if horizontal {
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let height = 2 * TICK_SIZE as u32 + (lines as f64 * LABEL_PX * LINE_SPACING).ceil() as u32 + 4;
        return (GroupLabels::Horizontal(wrapped), height);
    }
    let line_px = LABEL_PX * 1.15;
    let stride = ((LABEL_PX * 1.2) / narrowest).ceil().max(1.0) as usize;
    let longest = names.iter().map(|n| text_cols(n)).max().unwrap_or(1);
    let cols = longest.clamp(1, VERTICAL_LINE_COLS);
    let labels: Vec<Vec<String>> = names
        .iter()
        .zip(groups)
        .map(|(name, g)| {
            let room = ((g.width * unit_px * stride as f64) / line_px).floor() as usize;
            wrap(name, cols, room.clamp(1, MAX_VERTICAL_LINES))
        })
        .collect();
    let longest_px = labels.iter().flatten().map(|l| text_width(l, LABEL_PX)).fold(0.0, f64::max);
    let height = 2 * TICK_SIZE as u32 + longest_px.ceil() as u32 + 6;
    (GroupLabels::Vertical { labels, stride }, height)
}

/// Each group's name under it; `x_px` maps axis units to pixels.
pub(super) fn draw_group_labels(area: &Area<'_>, groups: &[GroupPlan], labels: &GroupLabels, x_px: &dyn Fn(f64) -> i32, axis_py: i32) -> Drawn {
    let top = axis_py + 2 * TICK_SIZE;
    let style = text_style(LABEL_PX, INK);
    match labels {
        GroupLabels::Horizontal(labels) => {
            let style = anchored(&style, HPos::Center, VPos::Top);
            for (group, lines) in groups.iter().zip(labels) {
                for (i, line) in lines.iter().enumerate() {
                    let y = top + (i as f64 * LABEL_PX * LINE_SPACING).round() as i32;
                    area.draw(&Text::new(line.clone(), (x_px(group.centre()), y), style.clone()))?;
                }
            }
        }
        GroupLabels::Vertical { labels, stride } => {
            // Rotated by 270° and anchored at its end, the text reads upwards and ends just
            // below the axis; a name's further lines stand to the right of its first.
            let style = anchored(&style, HPos::Right, VPos::Center).transform(FontTransform::Rotate270);
            let line_px = LABEL_PX * 1.15;
            for (group, lines) in groups.iter().zip(labels).step_by(*stride) {
                let spread = (lines.len() as f64 - 1.0) / 2.0;
                for (i, line) in lines.iter().enumerate() {
                    let x = x_px(group.centre()) + ((i as f64 - spread) * line_px).round() as i32;
                    area.draw(&Text::new(line.clone(), (x, top), style.clone()))?;
                }
            }
        }
    }
    Ok(())
}
