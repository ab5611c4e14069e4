//! The distribution-free interval of a median, shared by the report (which gives it with every
//! median) and the collector (whose `--reps auto` rule stops a cell on it): both must mean the
//! same interval, and the collector must not depend on the report.
//!
//! For `n` independent observations, the number below the true median is Binomial(n, ½) whatever
//! the distribution, so `[x₍ₖ₎, x₍ₙ₋ₖ₊₁₎]` covers the median with probability
//! `1 − 2·P(B ≤ k−1)`; `k` is the largest index for which that is at least the requested level.
//! The binomial CDF is computed here exactly (integer arithmetic up to [`EXACT_UP_TO`]
//! observations, log-space sums beyond), so this crate needs no statistics library.

/// Up to this many observations the binomial tail is summed in `u128` (exact; C(120, 60) · 120
/// fits), and only the final division rounds.
pub const EXACT_UP_TO: u64 = 120;

/// `P(B ≤ k)` for `B ~ Binomial(n, ½)`.
pub fn binomial_half_cdf(n: u64, k: u64) -> f64 {
    let mut tail = HalfBinomialTail::new(n);
    let mut p = 0.0;
    for _ in 0..=k.min(n) {
        p = tail.next_cdf();
    }
    p
}

/// The running sum `P(B ≤ 0), P(B ≤ 1), …` of Binomial(n, ½), one term per call.
struct HalfBinomialTail {
    n: u64,
    i: u64,
    exact: bool,
    // Exact path: C(n, i) and Σ C(n, j≤i−1) as integers.
    c: u128,
    sum: u128,
    // Log-space path: ln C(n, i) and the running probability.
    ln_c: f64,
    p: f64,
}

impl HalfBinomialTail {
    fn new(n: u64) -> Self {
        HalfBinomialTail { n, i: 0, exact: n <= EXACT_UP_TO, c: 1, sum: 0, ln_c: 0.0, p: 0.0 }
    }

    fn next_cdf(&mut self) -> f64 {
        let (n, i) = (self.n, self.i);
        if i > n {
            return 1.0;
        }
        self.i += 1;
        if self.exact {
            self.sum += self.c;
            if i < n {
                self.c = self.c * u128::from(n - i) / u128::from(i + 1);
            }
            // Dividing by a power of two is exact; only the integer's conversion rounds.
            (self.sum as f64 / 2f64.powi(n as i32)).min(1.0)
        } else {
            self.p += (self.ln_c - n as f64 * std::f64::consts::LN_2).exp();
            if i < n {
                self.ln_c += ((n - i) as f64 / (i + 1) as f64).ln();
            }
            self.p.min(1.0)
        }
    }
}

/// The 1-based order-statistic index `k` of the median interval of `n` observations at `level`,
/// with the level it achieves (at least `level`); `None` when even `[x₍₁₎, x₍ₙ₎]` falls short.
pub fn median_order_index(n: usize, level: f64) -> Option<(usize, f64)> {
    if n == 0 {
        return None;
    }
    let alpha_half = (1.0 - level) / 2.0;
    let mut tail = HalfBinomialTail::new(n as u64);
    // P(B ≤ k−1) grows with k; take the largest k whose tail stays within α/2.
    let mut best = None;
    for k in 1..=n.div_ceil(2) {
        let below = tail.next_cdf();
        if below <= alpha_half {
            best = Some((k, 1.0 - 2.0 * below));
        } else {
            break;
        }
    }
    best
}

/// Smallest number of observations that gives a median interval at `level` (6 at 95 %, 7 at
/// 97.5 %).
pub fn min_observations_for_interval(level: f64) -> usize {
    (1..=64).find(|&n| median_order_index(n, level).is_some()).unwrap_or(usize::MAX)
}

/// The median of values sorted ascending (the mean of the two middle ones for an even count).
pub fn median_of_sorted(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// `[x₍ₖ₎, x₍ₙ₋ₖ₊₁₎]` of values sorted ascending at `level`, with the level it achieves.
pub fn median_interval_of_sorted(sorted: &[f64], level: f64) -> Option<(f64, f64, f64)> {
    let n = sorted.len();
    median_order_index(n, level).map(|(k, achieved)| (sorted[k - 1], sorted[n - k], achieved))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_indices_are_the_classical_ones() {
        // 15 runs: [x(4), x(12)] at 1 − 2·576/32768 = 96.48 %.
        assert_eq!(median_order_index(15, 0.95), Some((4, 1.0 - 2.0 * 576.0 / 32768.0)));
        assert_eq!(median_order_index(6, 0.95), Some((1, 1.0 - 2.0 / 64.0)));
        assert_eq!(median_order_index(5, 0.95), None);
        assert_eq!(min_observations_for_interval(0.95), 6);
        assert_eq!(min_observations_for_interval(0.975), 7);
        assert_eq!(min_observations_for_interval(0.99), 8);
        // 9 runs at 97.5 %: P(B ≤ 1) = 10/512 > 1.25 %, so still the extremes.
        assert_eq!(median_order_index(9, 0.975).map(|k| k.0), Some(1));
        assert_eq!(median_order_index(10, 0.975).map(|k| k.0), Some(2));
    }

    #[test]
    fn the_exact_and_log_space_sums_agree_where_they_meet() {
        // Beyond EXACT_UP_TO the log-space sum takes over; run it where the exact one is known.
        for n in [60u64, 100, 120] {
            let (mut exact, mut log) = (HalfBinomialTail::new(n), HalfBinomialTail { exact: false, ..HalfBinomialTail::new(n) });
            for i in 0..=n {
                let (e, l) = (exact.next_cdf(), log.next_cdf());
                assert!((e - l).abs() <= 1e-12 * e, "n={n} i={i}: {e} vs {l}");
            }
        }
        // Symmetry and the whole mass.
        assert_eq!(binomial_half_cdf(10, 10), 1.0);
        assert!((binomial_half_cdf(11, 5) - 0.5).abs() < 1e-15);
        assert!((binomial_half_cdf(1001, 500) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn medians_and_intervals_of_sorted_values() {
        let v: Vec<f64> = (1..=15).map(f64::from).collect();
        assert_eq!(median_of_sorted(&v), Some(8.0));
        assert_eq!(median_of_sorted(&[1.0, 2.0]), Some(1.5));
        assert_eq!(median_of_sorted(&[]), None);
        let (lo, hi, level) = median_interval_of_sorted(&v, 0.95).unwrap();
        assert_eq!((lo, hi), (4.0, 12.0));
        assert!((level - 0.96484375).abs() < 1e-15);
        assert!(median_interval_of_sorted(&v[..5], 0.95).is_none());
    }
}
