//! Value axes shared by the Cartesian charts: which values can be drawn at all, linear and log
//! ranges on 1-2-5 numbers with their ticks, and the coordinate wrapper that hands those ticks
//! to plotters.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;
use serde::Serialize;

/// How a value axis is scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Scale {
    /// Log when all values are positive and span more than a factor of 30, linear otherwise.
    #[default]
    Auto,
    Linear,
    /// Log, unless a value is zero or negative (a log axis cannot show it): then linear.
    Log,
}

/// Values outside this magnitude are treated as missing: axis padding and tick arithmetic would
/// overflow or underflow f64, and no benchmark quantity is anywhere near them.
const MAX_MAGNITUDE: f64 = 1e150;
const MIN_MAGNITUDE: f64 = 1e-150;

pub(super) fn usable(v: f64) -> bool {
    v.is_finite() && (v == 0.0 || (MIN_MAGNITUDE..=MAX_MAGNITUDE).contains(&v.abs()))
}

/// A drawable value: finite, interval ends ordered.
#[derive(Clone, Copy)]
pub(super) struct Bar {
    pub value: f64,
    pub interval: Option<(f64, f64)>,
}

pub(super) fn min_max(values: &[f64]) -> (f64, f64) {
    values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)))
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
pub(super) fn nice_ceil(x: f64) -> f64 {
    let p = pow10((x.log10() - 1e-9).floor() as i32);
    [1.0, 2.0, 5.0].into_iter().map(|m| m * p).find(|&v| v >= x * (1.0 - 1e-9)).unwrap_or(10.0 * p)
}

/// A value axis: its range, where bars start, and its ticks.
pub(super) struct ValueAxis {
    pub log: bool,
    pub range: Range<f64>,
    pub baseline: f64,
    pub ticks: Vec<f64>,
    /// Unlabelled grid lines between decades on a log axis.
    pub minor: Vec<f64>,
}

impl ValueAxis {
    /// From zero (or below it, for negative values) to a little above the largest value.
    pub fn linear(bars: &[Bar]) -> Self {
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
    pub fn log(bars: &[Bar]) -> Self {
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

    pub fn clamp(&self, v: f64) -> f64 {
        v.clamp(self.range.start, self.range.end)
    }
}

/// A linear axis on 1-2-5 steps around the values, not anchored at zero.
pub(super) fn fitted_linear(values: &[f64]) -> ValueAxis {
    let (min, max) = min_max(values);
    let span = if max > min { max - min } else { max.abs().max(1.0) * 0.2 };
    let (min, max) = (min - 0.08 * span, max + 0.08 * span);
    let step = nice_ceil((max - min) / 6.0);
    let (first, last) = ((min / step).floor() as i64, (max / step).ceil() as i64);
    let range = first as f64 * step..last as f64 * step;
    let ticks = (first..=last).map(|k| k as f64 * step).collect();
    ValueAxis { log: false, baseline: range.start, range, ticks, minor: Vec::new() }
}

/// An axis with ticks chosen here rather than by plotters (whose log axis has no tick at all
/// when the range holds no power of ten). plotters' own `WithKeyPoints` would do, but wrapped
/// around a linear f64 axis it loses the value formatter that drawing the mesh requires.
pub(super) struct Ticked<R> {
    inner: R,
    ticks: Vec<f64>,
    minor: Vec<f64>,
}

impl<R: Ranged<ValueType = f64>> Ticked<R> {
    pub fn new(inner: impl Into<R>, ticks: Vec<f64>, minor: Vec<f64>) -> Self {
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
