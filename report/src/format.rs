//! Number formatting shared by every output, so the PDF, the HTML and the CSV files print the
//! same digits.

use crate::metrics::{Metric, Replicate};
use crate::stats::{MedianEstimate, RatioEstimate};

/// Three significant digits, no exponent for the magnitudes a benchmark meets
/// (`0.000123` → `0.000123`, `1234.5` → `1234`, `12.345` → `12.3`).
pub fn sig3(value: f64) -> String {
    significant(value, 3)
}

/// `digits` significant digits, or the integer part's digits when it has more; no exponent; a
/// value that rounds to zero prints as `0`.
pub fn significant(value: f64, digits: i32) -> String {
    if !value.is_finite() {
        return "n/a".to_owned();
    }
    if value == 0.0 {
        return "0".to_owned();
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    let text = format!("{value:.decimals$}");
    // `-0.00` and friends: a value that rounds to zero prints as 0.
    if text.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') { "0".to_owned() } else { text }
}

/// The most significant digits an interval's ends are widened to (see [`interval_ends`]).
const MAX_INTERVAL_DIGITS: i32 = 6;

/// The two ends of an interval, with three significant digits unless that would print two
/// different values as the same number: then with the fewest more digits (up to six) that tell
/// them apart, so that `[0.602, 0.602]` reads `[0.6019, 0.6021]`. Ends that are equal, or still
/// equal at six digits, print alike: [`zero_width`] says so.
pub fn interval_ends(low: f64, high: f64) -> (String, String) {
    (3..=MAX_INTERVAL_DIGITS)
        .map(|d| (significant(low, d), significant(high, d)))
        .find(|(l, h)| l != h)
        .unwrap_or_else(|| (sig3(low), sig3(high)))
}

/// Whether an interval prints with zero width (`[x, x]`): its ends are equal, or differ by less
/// than [`interval_ends`] shows. Tables mark such a cell and say why it happens.
pub fn zero_width(low: f64, high: f64) -> bool {
    let (l, h) = interval_ends(low, high);
    l == h
}

/// A metric value in its display unit, three significant digits.
pub fn metric_value(metric: Metric, value: f64) -> String {
    sig3(value * metric.display_factor())
}

/// `[low, high]` of a median's interval in the metric's display unit, or a note that there were
/// too few replicates (runs, or prompts) for one.
pub fn interval(metric: Metric, estimate: &MedianEstimate, replicate: Replicate) -> String {
    match estimate.interval {
        Some(i) => {
            let factor = metric.display_factor();
            let (low, high) = interval_ends(i.low * factor, i.high * factor);
            format!("[{low}, {high}]")
        }
        None => format!("too few {} (n = {})", replicate.as_str(), estimate.n),
    }
}

/// `1.95× [1.50, 2.31]` or `1.95× (no interval)`.
pub fn ratio(estimate: &RatioEstimate) -> String {
    match estimate.interval {
        Some(i) => {
            let (low, high) = interval_ends(i.low, i.high);
            format!("{}× [{low}, {high}]", sig3(estimate.ratio))
        }
        None => format!("{}× (no interval)", sig3(estimate.ratio)),
    }
}

/// Bytes as `1.23 GB` (10⁹, as the paper prints memory).
pub fn bytes(value: u64) -> String {
    format!("{} GB", sig3(value as f64 * 1e-9))
}

/// Bytes in binary units, three significant digits (`256 MiB`, `1.50 GiB`, `512 B`): vector and
/// cache sizes are powers of two.
pub fn binary_bytes(value: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = value as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if v.fract() == 0.0 { format!("{v} {}", UNITS[unit]) } else { format!("{} {}", sig3(v), UNITS[unit]) }
}

/// A count as a power of two when it is one (`2^26`), else in digits.
pub fn power_of_two(n: u64) -> String {
    if n.is_power_of_two() { format!("2^{}", n.trailing_zeros()) } else { n.to_string() }
}

/// A relative difference with its interval, as percentages (`5.0% [3.3%, 6.7%]`).
pub fn percent_interval(value: f64, interval: Option<(f64, f64)>) -> String {
    match interval {
        Some((low, high)) => format!("{} [{}, {}]", percent(value), percent(low), percent(high)),
        None => format!("{} (no interval)", percent(value)),
    }
}

/// A signed relative difference as a percentage, one decimal (`+4.0%`, `-0.5%`, `0.0%`).
pub fn signed_percent(share: f64) -> String {
    let text = percent(share);
    if share > 0.0 && text != "0.0%" { format!("+{text}") } else { text.replace("-0.0%", "0.0%") }
}

/// Parameter counts as `135M` or `1.54B`.
pub fn params(n: u64) -> String {
    let n = n as f64;
    if n >= 1e9 { format!("{}B", sig3(n / 1e9)) } else { format!("{}M", sig3(n / 1e6)) }
}

/// A confidence level as a percentage (`95`, or `96.5` when not whole).
pub fn level(level: f64) -> String {
    let percent = level * 100.0;
    if (percent - percent.round()).abs() < 1e-9 { format!("{}", percent.round()) } else { format!("{percent:.1}") }
}

/// An achieved confidence level as a percentage for people: one decimal (`0.96484375` →
/// `96.5%`), none when whole (`0.95` → `95%`), and more only where one decimal would round a
/// level below 1 up to `100.0%` (`0.99995` → `99.995%`). [`level`] prints the nominal level
/// without the sign, for sentences that add it.
pub fn level_percent(level: f64) -> String {
    let percent = level * 100.0;
    if (percent - percent.round()).abs() < 1e-9 {
        return format!("{}%", percent.round());
    }
    let mut decimals = 1;
    while decimals < 6 && level < 1.0 && format!("{percent:.decimals$}").starts_with("100") {
        decimals += 1;
    }
    format!("{percent:.decimals$}%")
}

/// A confidence interval column's header: the nominal level is a lower bound of each interval's
/// coverage (an order-statistic interval's exact coverage depends on n), so `CI (≥ 95%)`.
pub fn ci_header(level: f64) -> String {
    format!("CI (≥ {})", level_percent(level))
}

/// A percentage of a share in [0, 1], one decimal (`76.0%`).
pub fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// UTC date `YYYY-MM-DD` of a time stamp in microseconds since the epoch.
pub fn date(micros: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000) {
        Ok(t) => format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()),
        Err(_) => "invalid date".to_owned(),
    }
}

/// First letter upper-case (`time per output token` → `Time per output token`).
pub fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_significant_digits() {
        assert_eq!(sig3(1234.5), "1234");
        assert_eq!(sig3(12.345), "12.3");
        assert_eq!(sig3(0.000123456), "0.000123");
        assert_eq!(sig3(-0.0001), "-0.000100");
        assert_eq!(sig3(0.0), "0");
        assert_eq!(sig3(f64::NAN), "n/a");
        assert_eq!(sig3(999.7), "1000");
    }

    #[test]
    fn intervals_widen_only_where_three_digits_hide_their_width() {
        assert_eq!(interval_ends(14.1, 15.9), ("14.1".into(), "15.9".into()));
        assert_eq!(interval_ends(0.601890816, 0.602120192), ("0.6019".into(), "0.6021".into()));
        assert_eq!(interval_ends(1.4576, 1.4577), ("1.4576".into(), "1.4577".into()));
        assert_eq!(interval_ends(1.46, 1.46), ("1.46".into(), "1.46".into()));
        assert!(zero_width(1.46, 1.46) && zero_width(1.0, 1.0 + 1e-9) && !zero_width(0.601890816, 0.602120192));
        assert_eq!(significant(1234.5678, 6), "1234.57");
        assert_eq!(significant(0.000123456, 4), "0.0001235");
    }

    #[test]
    fn levels_print_as_percentages_for_people() {
        assert_eq!(level_percent(0.95), "95%");
        assert_eq!(level_percent(0.9648437499999976), "96.5%");
        assert_eq!(level_percent(0.9921875), "99.2%");
        assert_eq!(level_percent(0.99995), "99.995%");
        assert_eq!(level_percent(1.0), "100%");
        assert_eq!(level(0.95), "95");
        assert_eq!(ci_header(0.95), "CI (≥ 95%)");
    }

    #[test]
    fn dates_are_utc() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_795_000_000_000_000), "2026-11-18");
    }

    #[test]
    fn binary_sizes_and_powers_of_two() {
        assert_eq!(binary_bytes(256 << 20), "256 MiB");
        assert_eq!(binary_bytes(3 << 29), "1.50 GiB");
        assert_eq!(binary_bytes(512), "512 B");
        assert_eq!(binary_bytes(50 << 20), "50 MiB");
        assert_eq!(power_of_two(1 << 26), "2^26");
        assert_eq!(power_of_two(1000), "1000");
        assert_eq!(percent_interval(0.05, Some((0.033, 0.067))), "5.0% [3.3%, 6.7%]");
        assert_eq!((signed_percent(0.04), signed_percent(-0.005), signed_percent(-0.0001)), ("+4.0%".into(), "-0.5%".into(), "0.0%".into()));
    }

    #[test]
    fn sizes() {
        assert_eq!(params(134_515_008), "135M");
        assert_eq!(params(1_543_714_304), "1.54B");
        assert_eq!(bytes(94_000_000), "0.0940 GB");
    }
}
