//! Legends below the plot: entries in as many equal columns as make the legend shortest, each
//! name wrapped onto as many lines as its column needs (a row is as tall as its longest entry),
//! so that no device or model name is cut. Each chart draws its own samples (swatches, dots,
//! line styles) through [`LegendGrid`]; [`Legend`] is the one for filled areas (bars, segments)
//! and the paper's markers.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::style::{
    INK, LEGEND_PX, LINE_SPACING, MARGIN_LEFT, MARGIN_RIGHT, Swatch, WIDTH, anchored, hatch_in_pixels, mix, text_style,
};
use super::svg::{Area, Drawn};
use super::text::{clean, cols_in, text_cols, text_width, wrap};

/// Height of a legend row whose entries take one line.
const ROW_H: u32 = 20;
const SWATCH: i32 = 12;
/// Between a sample and its name.
pub(super) const TEXT_GAP: i32 = 6;
/// Between a name and the next entry.
const ENTRY_GAP: f64 = 22.0;
/// A legend column is as wide as its longest name, or this many columns when that is longer:
/// narrower columns would break short names and names inside their words.
const MIN_TEXT_COLS: usize = 40;
/// Only a name longer than this many lines of its column is cut (a sentence-long reference
/// label, or a pathological name from the data).
const MAX_LINES: usize = 6;
/// What a name's extra line counts for when choosing the columns, in pixels of legend height.
const WRAP_COST: u32 = 24;
/// Pixels between two hatch lines in a swatch or bar.
pub(super) const HATCH_SPACING_PX: i32 = 5;

fn line_h() -> i32 {
    (LEGEND_PX * LINE_SPACING).round() as i32
}

/// Where the entries of a legend go, and their names as wrapped lines.
pub(super) struct LegendGrid {
    columns: usize,
    column_width: f64,
    left: f64,
    lines: Vec<Vec<String>>,
    /// Top of each row, from the top of the legend.
    row_tops: Vec<i32>,
    pub height: u32,
}

impl LegendGrid {
    /// A grid for `labels` (cleaned here), each drawn after a sample `sample_px` wide.
    pub fn new<'a>(labels: impl Iterator<Item = &'a str>, sample_px: i32) -> LegendGrid {
        let labels: Vec<String> = labels.map(clean).collect();
        let available = f64::from(WIDTH - MARGIN_LEFT - MARGIN_RIGHT);
        let overhead = f64::from(sample_px + TEXT_GAP) + ENTRY_GAP;
        // Every column count, keeping the shortest legend (ties go to fewer columns).
        let least = labels.iter().map(|l| text_cols(l)).max().unwrap_or(0).min(MIN_TEXT_COLS);
        let mut best: Option<(u32, usize, Vec<Vec<String>>)> = None;
        for columns in 1..=labels.len().max(1) {
            let line_cols = cols_in(available / columns as f64 - overhead, LEGEND_PX);
            if columns > 1 && line_cols < least {
                break;
            }
            let lines: Vec<Vec<String>> = labels.iter().map(|l| wrap(l, line_cols.max(1), MAX_LINES)).collect();
            // A wrapped name is harder to read than one on a line: each extra line costs more
            // than the height it takes, so names wrap only where that saves rows.
            let extra_lines: usize = lines.iter().map(|l| l.len().saturating_sub(1)).sum();
            let score = rows_height(&lines, columns).iter().sum::<u32>() + WRAP_COST * extra_lines as u32;
            if best.as_ref().is_none_or(|(h, _, _)| score < *h) {
                best = Some((score, columns, lines));
            }
        }
        let (_, columns, lines) = best.unwrap_or((0, 1, Vec::new()));
        let widest = lines.iter().flatten().map(|l| text_width(l, LEGEND_PX)).fold(0.0, f64::max);
        let column_width = (overhead + widest).min(available / columns as f64);
        let used = columns.min(lines.len()) as f64 * column_width - ENTRY_GAP;
        let left = ((f64::from(WIDTH) - used) / 2.0).max(f64::from(MARGIN_LEFT));
        let heights = rows_height(&lines, columns);
        let mut row_tops = Vec::with_capacity(heights.len());
        let mut top = 10;
        for h in &heights {
            row_tops.push(top);
            top += *h as i32;
        }
        LegendGrid { columns, column_width, left, lines, row_tops, height: top as u32 + 4 }
    }

    /// The left end of entry `i` and the vertical centre of its first line.
    pub fn cell(&self, i: usize) -> (i32, i32) {
        let x = (self.left + (i % self.columns) as f64 * self.column_width).round() as i32;
        let y = self.row_tops.get(i / self.columns).copied().unwrap_or(0) + ROW_H as i32 / 2;
        (x, y)
    }

    /// Draws entry `i`'s name, its first line centred on `y`, starting at `x`.
    pub fn draw_name(&self, area: &Area<'_>, i: usize, (x, y): (i32, i32)) -> Drawn {
        let style = anchored(&text_style(LEGEND_PX, INK), HPos::Left, VPos::Center);
        for (k, line) in self.lines.get(i).into_iter().flatten().enumerate() {
            area.draw(&Text::new(line.clone(), (x, y + k as i32 * line_h()), style.clone()))?;
        }
        Ok(())
    }
}

fn rows_height(lines: &[Vec<String>], columns: usize) -> Vec<u32> {
    lines
        .chunks(columns.max(1))
        .map(|row| {
            let most = row.iter().map(Vec::len).max().unwrap_or(1).max(1) as u32;
            ROW_H + (most - 1) * line_h() as u32
        })
        .collect()
}

/// What an entry of a [`Legend`] shows before its name.
#[derive(Clone, Copy)]
pub(super) enum Sample {
    /// A filled square, as the bars or segments are drawn.
    Filled(Swatch),
    /// A lighter, hatched square (bars of cells with synthetic weights).
    Hatched(Swatch),
    /// A diamond: filled, or hollow (white inside), as a published value is drawn.
    Diamond { color: RGBColor, hollow: bool },
}

/// A legend of filled samples and markers below the plot.
pub(super) struct Legend {
    samples: Vec<Sample>,
    grid: LegendGrid,
    pub height: u32,
}

impl Legend {
    pub fn new<'a>(entries: impl Iterator<Item = (&'a str, Sample)>) -> Self {
        let (names, samples): (Vec<&str>, Vec<Sample>) = entries.unzip();
        let grid = LegendGrid::new(names.into_iter(), SWATCH);
        Self { samples, height: grid.height, grid }
    }

    /// A legend of filled swatches, one per name.
    pub fn of_swatches<'a>(names: impl Iterator<Item = &'a str>) -> Self {
        Self::new(names.enumerate().map(|(i, name)| (name, Sample::Filled(super::style::swatch(i)))))
    }

    pub fn draw(&self, area: &Area<'_>) -> Drawn {
        for (i, sample) in self.samples.iter().enumerate() {
            let (x, y) = self.grid.cell(i);
            let corners = [(x, y - SWATCH / 2), (x + SWATCH, y + SWATCH / 2)];
            match *sample {
                Sample::Filled(swatch) => {
                    area.draw(&Rectangle::new(corners, swatch.fill.filled()))?;
                    if let Some(outline) = swatch.outline {
                        area.draw(&Rectangle::new(corners, outline.stroke_width(1)))?;
                    }
                }
                Sample::Hatched(swatch) => draw_hatched(area, corners, swatch)?,
                Sample::Diamond { color, hollow } => draw_diamond(area, (x + SWATCH / 2, y), SWATCH / 2, color, hollow)?,
            }
            self.grid.draw_name(area, i, (x + SWATCH + TEXT_GAP, y))?;
        }
        Ok(())
    }
}

/// A hatched rectangle (pixel corners): the swatch's colour lightened, its outline and hatching
/// in the full colour, so that it reads as the same series and as different from a plain bar.
pub(super) fn draw_hatched(area: &Area<'_>, [a, b]: [(i32, i32); 2], swatch: Swatch) -> Drawn {
    let ink = swatch.ink();
    area.draw(&Rectangle::new([a, b], mix(swatch.fill, WHITE, 0.6).filled()))?;
    for line in hatch_in_pixels(a, b, HATCH_SPACING_PX) {
        area.draw(&PathElement::new(line, ink.stroke_width(1)))?;
    }
    area.draw(&Rectangle::new([a, b], ink.stroke_width(1)))
}

/// A diamond centred on `centre` with half-diagonal `r`, outlined in ink when filled with
/// `color`, or white inside and outlined in `color` when hollow.
pub(super) fn draw_diamond(area: &Area<'_>, (x, y): (i32, i32), r: i32, color: RGBColor, hollow: bool) -> Drawn {
    let points = vec![(x, y - r), (x + r, y), (x, y + r), (x - r, y)];
    let (fill, stroke) = if hollow { (WHITE, mix(color, BLACK, 0.2)) } else { (color, INK) };
    area.draw(&Polygon::new(points.clone(), fill.filled()))?;
    let mut outline = points;
    outline.push(outline[0]);
    area.draw(&PathElement::new(outline, stroke.stroke_width(if hollow { 2 } else { 1 })))
}
