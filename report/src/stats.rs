//! The report's statistics: medians with distribution-free confidence intervals, and ratios of
//! medians with intervals.
//!
//! **Median interval.** For `n` independent runs, the number of observations below the true
//! median is Binomial(n, ½) whatever the distribution. The interval `[x₍ₖ₎, x₍ₙ₋ₖ₊₁₎]` between
//! order statistics therefore covers the median with probability `1 − 2·P(B ≤ k−1)`; `k` is the
//! largest index for which that is at least the requested level. The achieved level (≥ the
//! requested one) is reported with the interval. With fewer than 6 runs no such `k` exists at
//! 95 %, and the estimate says so instead of giving an interval. The index is computed by
//! [`edgebench_dataset::stats`], which the collector's `--reps auto` rule uses too.
//!
//! **Ratio interval.** For two independent samples, each median's interval is taken at level
//! `1 − α/2`, so both hold together with probability at least `1 − α` (Bonferroni); for positive
//! values the ratio of medians then lies in `[low_a / high_b, high_a / low_b]`. The interval is
//! conservative and, like the medians', assumes nothing about the distributions.

use serde::Serialize;
use statrs::distribution::{Binomial, DiscreteCDF};
use statrs::statistics::{Data, Median};

/// The confidence level used throughout the report.
pub const LEVEL: f64 = 0.95;

/// A confidence interval and the coverage it actually achieves.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
    /// Achieved coverage (at least the requested level).
    pub level: f64,
}

/// A median over runs, with its interval when there are enough runs for one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MedianEstimate {
    /// Finite observations used.
    pub n: usize,
    pub median: f64,
    pub interval: Option<Interval>,
}

/// A ratio of two medians (`numerator / denominator`), with its interval when both sides allow one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatioEstimate {
    pub ratio: f64,
    pub interval: Option<Interval>,
    pub numerator: MedianEstimate,
    pub denominator: MedianEstimate,
}

/// Smallest number of observations that gives a median interval at `level`.
pub fn min_runs_for_interval(level: f64) -> usize {
    (1..=64).find(|&n| order_index(n, level).is_some()).unwrap_or(usize::MAX)
}

/// The 1-based order-statistic index `k` of the interval and its achieved level, if any.
/// Memoised: a report asks for the same (n, level) hundreds of times, and each answer walks the
/// binomial CDF.
fn order_index(n: usize, level: f64) -> Option<(usize, f64)> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Cache = HashMap<(usize, u64), Option<(usize, f64)>>;
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (n, level.to_bits());
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(&key).copied()) {
        return hit;
    }
    let answer = compute_order_index(n, level);
    if let Ok(mut c) = cache.lock() {
        c.insert(key, answer);
    }
    answer
}

fn compute_order_index(n: usize, level: f64) -> Option<(usize, f64)> {
    // The index comes from the dataset crate, which the collector's `--reps auto` rule shares, so
    // that both mean the same interval.
    let (k, _) = edgebench_dataset::stats::median_order_index(n, level)?;
    // The achieved level stays statrs' value (1e-15 from the exact one), so that the published
    // tables (dataset/tables/medians.csv) keep their bytes.
    let b = Binomial::new(0.5, n as u64).ok()?;
    Some((k, 1.0 - 2.0 * b.cdf((k - 1) as u64)))
}

/// Median of the finite values in `values` with a distribution-free interval at `level`.
/// `None` when there is no finite value at all.
pub fn median(values: &[f64], level: f64) -> Option<MedianEstimate> {
    let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return None;
    }
    finite.sort_by(f64::total_cmp);
    let n = finite.len();
    let median = Data::new(finite.clone()).median();
    let interval = order_index(n, level).map(|(k, achieved)| Interval {
        low: finite[k - 1],
        high: finite[n - k],
        level: achieved,
    });
    Some(MedianEstimate { n, median, interval })
}

/// Ratio of the medians of two independent samples, with a conservative joint interval at
/// `level` when both medians have one and all bounds are positive.
pub fn ratio(numerator: &[f64], denominator: &[f64], level: f64) -> Option<RatioEstimate> {
    let each = 1.0 - (1.0 - level) / 2.0;
    let a = median(numerator, each)?;
    let b = median(denominator, each)?;
    if b.median == 0.0 {
        return None;
    }
    let interval = match (a.interval, b.interval) {
        (Some(ia), Some(ib)) if ia.low > 0.0 && ib.low > 0.0 => Some(Interval {
            low: ia.low / ib.high,
            high: ia.high / ib.low,
            level: 1.0 - (1.0 - ia.level) - (1.0 - ib.level),
        }),
        _ => None,
    };
    Some(RatioEstimate { ratio: a.median / b.median, interval, numerator: a, denominator: b })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifteen_runs_use_the_fourth_and_twelfth_order_statistics() {
        // The paper's 15 repetitions: the classical 95 % interval is [x(4), x(12)], 96.5 %.
        let values: Vec<f64> = (1..=15).map(f64::from).collect();
        let m = median(&values, LEVEL).unwrap();
        assert_eq!(m.median, 8.0);
        let i = m.interval.unwrap();
        assert_eq!((i.low, i.high), (4.0, 12.0));
        assert!((i.level - 0.96484375).abs() < 1e-9, "{}", i.level);
    }

    #[test]
    fn the_shared_order_index_is_the_one_statrs_gives() {
        // The search this module did with statrs before the index moved to the dataset crate.
        let statrs_index = |n: usize, level: f64| {
            let b = Binomial::new(0.5, n as u64).unwrap();
            (1..=n.div_ceil(2)).take_while(|&k| b.cdf((k - 1) as u64) <= (1.0 - level) / 2.0).last()
        };
        for level in [LEVEL, 1.0 - (1.0 - LEVEL) / 2.0, 0.99] {
            for n in 1..=1500 {
                assert_eq!(order_index(n, level).map(|k| k.0), statrs_index(n, level), "n={n} level={level}");
            }
        }
    }

    #[test]
    fn too_few_runs_give_no_interval() {
        assert_eq!(min_runs_for_interval(LEVEL), 6);
        let five = median(&[1.0, 2.0, 3.0, 4.0, 5.0], LEVEL).unwrap();
        assert_eq!((five.n, five.median, five.interval), (5, 3.0, None));
        let six = median(&[6.0, 1.0, 5.0, 2.0, 4.0, 3.0], LEVEL).unwrap();
        assert_eq!(six.median, 3.5);
        let i = six.interval.unwrap();
        assert_eq!((i.low, i.high), (1.0, 6.0));
        assert!((i.level - (1.0 - 2.0 / 64.0)).abs() < 1e-12);
    }

    #[test]
    fn non_finite_values_are_ignored_and_empty_input_has_no_median() {
        let m = median(&[f64::NAN, 2.0, f64::INFINITY, 4.0], LEVEL).unwrap();
        assert_eq!((m.n, m.median), (2, 3.0));
        assert!(median(&[], LEVEL).is_none());
        assert!(median(&[f64::NAN], LEVEL).is_none());
    }

    /// A small deterministic generator, so the coverage check gives the same answer every run.
    struct XorShift(u64);
    impl XorShift {
        fn uniform(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn intervals_cover_the_true_median_at_least_as_often_as_claimed() {
        // Exponential(1) runs (skewed, like latencies): true median ln 2.
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        let trials = 4000;
        for n in [6usize, 15, 40] {
            let mut covered = 0;
            let mut claimed = 0.0;
            for _ in 0..trials {
                let sample: Vec<f64> = (0..n).map(|_| -(1.0 - rng.uniform()).ln()).collect();
                let i = median(&sample, LEVEL).unwrap().interval.unwrap();
                claimed = i.level;
                covered += usize::from(i.low <= std::f64::consts::LN_2 && std::f64::consts::LN_2 <= i.high);
            }
            let rate = covered as f64 / trials as f64;
            // Three binomial standard errors below the claimed level at most.
            let se = (claimed * (1.0 - claimed) / trials as f64).sqrt();
            assert!(rate >= claimed - 3.0 * se, "n={n}: covered {rate}, claimed {claimed}");
        }
    }

    #[test]
    fn ratios_of_medians_carry_a_conservative_interval() {
        let gpu: Vec<f64> = (0..15).map(|i| 60.0 + f64::from(i)).collect(); // median 67
        let cpu: Vec<f64> = (0..15).map(|i| 100.0 + 2.0 * f64::from(i)).collect(); // median 114
        let r = ratio(&gpu, &cpu, LEVEL).unwrap();
        assert!((r.ratio - 67.0 / 114.0).abs() < 1e-12);
        let i = r.interval.unwrap();
        assert!(i.low < r.ratio && r.ratio < i.high);
        assert!(i.level >= LEVEL, "{}", i.level);
        // Each side's interval is at 97.5 %: [x(3), x(13)] for 15 runs.
        assert_eq!(r.numerator.interval.unwrap().low, 62.0);
        assert_eq!(i.low, 62.0 / 124.0);
        assert_eq!(i.high, 72.0 / 104.0);
        // Too few runs on one side: a ratio, but no interval.
        let few = ratio(&gpu, &[100.0, 110.0, 120.0], LEVEL).unwrap();
        assert!((few.ratio - 67.0 / 110.0).abs() < 1e-12);
        assert!(few.interval.is_none());
        // A zero median denominator has no ratio.
        assert!(ratio(&gpu, &[0.0, 0.0, 0.0], LEVEL).is_none());
    }
}
