//! `nsys stats --report cuda_gpu_kern_sum --format csv` (and the older `gpukernsum` report):
//! one summary row per kernel name, taken as printed.
//!
//! Columns are found by header name, so both reports and their variants read the same way:
//! `Total Time (ns)` / `Total Time`, `Instances` / `Calls`, `Avg (ns)` / `Average`,
//! `Med (ns)` / `Median`, `Min (ns)` / `Minimum`, `Max (ns)` / `Maximum`, `StdDev (ns)`, `Name`.
//! A unit in a header (`(ns)`, `(us)`, `(ms)`) scales that column; none means ns, nsys's unit.
//! Lines before the header (`Processing [...] with [...]`, notices, blank lines) are skipped.

use std::collections::BTreeMap;
use std::io::BufRead;

use crate::aggregate::{Budget, Metrics, Stats, check_name, check_ns, kernel, ns_per_unit, parse_number};
use crate::error::{At, Problem, excerpt};
use crate::text::{CsvLines, Record, header_key, split_fields};
use crate::{ImportedKernel, Limits};

/// What a header row of the kernel summary looks like (also used to recognise the format).
pub(crate) fn is_header(fields: &[String]) -> bool {
    let keys: Vec<String> = fields.iter().map(|f| header_key(f).0).collect();
    let has = |k: &[&str]| keys.iter().any(|x| k.contains(&x.as_str()));
    has(&["name"]) && has(&["totaltime"]) && has(&["instances", "calls", "numcalls", "count"])
}

/// Whether a raw line (before CSV parsing) is this report's header.
pub(crate) fn is_header_line(line: &str) -> bool {
    split_fields(line).is_ok_and(|f| is_header(&f))
}

#[derive(Default)]
struct Columns {
    name: usize,
    total: (usize, f64),
    calls: usize,
    avg: Option<(usize, f64)>,
    med: Option<(usize, f64)>,
    min: Option<(usize, f64)>,
    max: Option<(usize, f64)>,
    stddev: Option<(usize, f64)>,
}

fn columns(header: &Record) -> Result<Columns, Problem> {
    let at = At::Line(header.line);
    let mut cols = Columns::default();
    let (mut name, mut total, mut calls) = (None, None, None);
    for (i, f) in header.fields.iter().enumerate() {
        let (key, unit) = header_key(f);
        let scaled = || {
            ns_per_unit(&unit).map(|s| (i, s)).ok_or_else(|| {
                Problem::malformed(
                    at.clone(),
                    format!("unknown time unit in header {}", excerpt(f, 40)),
                    "use nsys's default ns output",
                )
            })
        };
        match key.as_str() {
            "name" | "kernelname" => name = name.or(Some(i)),
            "totaltime" => total = Some(scaled()?),
            "instances" | "calls" | "numcalls" | "count" => calls = calls.or(Some(i)),
            "avg" | "average" | "mean" => cols.avg = Some(scaled()?),
            "med" | "median" => cols.med = Some(scaled()?),
            "min" | "minimum" => cols.min = Some(scaled()?),
            "max" | "maximum" => cols.max = Some(scaled()?),
            "stddev" | "std" | "stdev" => cols.stddev = Some(scaled()?),
            _ => {}
        }
    }
    match (name, total, calls) {
        (Some(n), Some(t), Some(c)) => {
            cols.name = n;
            cols.total = t;
            cols.calls = c;
            Ok(cols)
        }
        _ => Err(Problem::malformed(
            at,
            "the header lacks one of the columns Name, Total Time (ns), Instances",
            "export the report with `nsys stats --report cuda_gpu_kern_sum --format csv`",
        )),
    }
}

/// The parsed summary of one kernel row, merged with earlier rows of the same name (reports
/// grouped by NVTX range or launch shape list a name more than once).
struct Summary {
    stats: Stats,
    /// Sum of squared deviations from the mean (to pool standard deviations exactly).
    sum_sq: Option<f64>,
}

pub(crate) fn read(input: impl BufRead, limits: &Limits) -> Result<Vec<ImportedKernel>, Problem> {
    let mut lines = CsvLines::new(input, limits);
    // Free text before the header can hold unbalanced quotes: it is judged line by line.
    let Some(header) = lines.next_record(|l| !is_header_line(l))? else {
        return Err(Problem::malformed(
            At::Nowhere,
            "no kernel summary header (a line with Name, Total Time (ns) and Instances)",
            "export with `nsys stats --report cuda_gpu_kern_sum --format csv`",
        ));
    };
    let cols = columns(&header)?;
    let mut budget = Budget::new(limits);
    let mut kernels: BTreeMap<String, Summary> = BTreeMap::new();
    while let Some(mut row) = lines.next_record(|_| false)? {
        if row.is_blank() {
            continue;
        }
        let at = At::Line(row.line);
        // Names hold commas (`k<float, float>`): a writer that did not quote them split the
        // last column, which is the name in every version of the report.
        if row.fields.len() > header.fields.len() && cols.name == header.fields.len() - 1 {
            let tail = row.fields.split_off(cols.name).join(",");
            row.fields.push(tail);
        }
        if row.fields.len() != header.fields.len() {
            return Err(Problem::malformed(
                at,
                format!("{} fields where the header has {}", row.fields.len(), header.fields.len()),
                "the file is truncated or was edited: export it again",
            ));
        }
        let (name, summary) = parse_row(&row, &cols, limits)?;
        budget.launch(&at)?;
        match kernels.get_mut(&name) {
            Some(existing) => merge(existing, summary),
            None => {
                check_name(&name, &at, limits)?;
                budget.new_name(&name, kernels.len(), &at)?;
                kernels.insert(name, summary);
            }
        }
    }
    Ok(kernels.into_iter().map(|(name, s)| kernel(name, s.stats, Metrics::default())).collect())
}

fn parse_row(row: &Record, cols: &Columns, limits: &Limits) -> Result<(String, Summary), Problem> {
    let at = At::Line(row.line);
    let number = |i: usize, what: &str| {
        parse_number(&row.fields[i]).ok_or_else(|| {
            Problem::malformed(
                at.clone(),
                format!("{what} {} is not a number", excerpt(&row.fields[i], 40)),
                "the file is corrupt or was edited: export it again",
            )
        })
    };
    let time = |col: (usize, f64), what: &str| -> Result<f64, Problem> {
        check_ns(number(col.0, what)? * col.1, what, &at, limits)
    };
    let opt_time = |col: Option<(usize, f64)>, what: &str| col.map(|c| time(c, what)).transpose();
    let calls = number(cols.calls, "Instances")?;
    if calls.fract() != 0.0 || !(1.0..=limits.max_calls as f64).contains(&calls) {
        return Err(Problem::malformed(
            at,
            format!("Instances {} is not a count between 1 and {}", crate::aggregate::show(calls), limits.max_calls),
            "the file is corrupt or was edited: export it again",
        ));
    }
    let calls = calls as u64;
    let total = time(cols.total, "Total Time")?;
    let avg = total / calls as f64;
    if let Some((i, scale)) = cols.avg {
        // The printed average is rounded: it must agree with total / instances within that.
        let printed = time((i, scale), "Average")?;
        if (printed - avg).abs() > 0.5 * scale + 1e-6 * avg.max(printed) + 1e-9 {
            return Err(Problem::malformed(
                at,
                format!("Average {printed} ns disagrees with Total Time / Instances = {avg} ns"),
                "the file is corrupt or was edited: export it again",
            ));
        }
    }
    let stats = Stats {
        calls,
        total_ns: total,
        avg_ns: avg,
        min_ns: opt_time(cols.min, "Minimum")?,
        max_ns: opt_time(cols.max, "Maximum")?,
        median_ns: opt_time(cols.med, "Median")?,
        stddev_ns: opt_time(cols.stddev, "StdDev")?,
    };
    if let (Some(min), Some(max)) = (stats.min_ns, stats.max_ns) {
        let slack = 1.0 + 1e-9 * max;
        let inside = |v: f64| v + slack >= min && v <= max + slack;
        if min > max || !inside(avg) || stats.median_ns.is_some_and(|m| !inside(m)) {
            return Err(Problem::malformed(
                at,
                format!("minimum {min} ns, average {avg} ns, median and maximum {max} ns are out of order"),
                "the file is corrupt or was edited: export it again",
            ));
        }
    }
    let sum_sq = stats.stddev_ns.map(|s| s * s * (calls - 1) as f64);
    Ok((row.fields[cols.name].clone(), Summary { stats, sum_sq }))
}

/// Pools two summaries of the same name: counts and totals add, extremes combine, the standard
/// deviation is pooled exactly from the parts' means and spreads; the median cannot be.
fn merge(a: &mut Summary, b: Summary) {
    let (x, y) = (a.stats, b.stats);
    let calls = x.calls + y.calls;
    let total = x.total_ns + y.total_ns;
    let avg = total / calls as f64;
    let sum_sq = match (a.sum_sq, b.sum_sq) {
        (Some(p), Some(q)) => {
            Some(p + q + x.calls as f64 * (x.avg_ns - avg).powi(2) + y.calls as f64 * (y.avg_ns - avg).powi(2))
        }
        _ => None,
    };
    let both = |p: Option<f64>, q: Option<f64>, f: fn(f64, f64) -> f64| p.zip(q).map(|(p, q)| f(p, q));
    a.stats = Stats {
        calls,
        total_ns: total,
        avg_ns: avg,
        min_ns: both(x.min_ns, y.min_ns, f64::min),
        max_ns: both(x.max_ns, y.max_ns, f64::max),
        median_ns: None,
        stddev_ns: sum_sq.map(|s| (s / (calls - 1) as f64).sqrt()),
    };
    a.sum_sq = sum_sq;
}
