//! Nsight Compute CSV: `--page raw --csv` (one row per launch, one column per raw metric, a units
//! row under the header) and `--page details --csv` (one row per launch × metric, metrics named by
//! their section labels, or by raw names with `--metrics`).
//!
//! Times are `gpu__time_duration.sum` ("Duration") under kernel replay, converted to ns from the
//! printed unit; the other metrics are averaged over the launches of a kernel name that report
//! them. `==PROF==` / `==WARNING==` lines (the tool's own chatter, possibly interleaved with the
//! CSV) are skipped wherever they start a line, and one of them that names a version gives the
//! tool version.

use std::collections::BTreeMap;
use std::io::BufRead;

use crate::aggregate::{LaunchTable, Metrics, check_metric, check_ns, ns_per_unit, parse_number};
use crate::error::{At, Problem, excerpt};
use crate::text::{CsvLines, Record, split_fields};
use crate::{ImportedKernel, Limits};

const DURATION: &[&str] = &["gpu__time_duration.sum", "duration"];

/// The metrics kept, by raw metric name and by the label the details page gives them; slot order
/// is that of [`Metrics::slots`]. DRAM throughput: `gpu__dram_throughput` is the SpeedOfLight
/// metric, `dram__throughput` the older name.
const METRICS: [&[&str]; 6] = [
    &["sm__warps_active.avg.pct_of_peak_sustained_active", "achieved occupancy"],
    &["sm__maximum_warps_per_active_cycle_pct", "theoretical occupancy"],
    &["smsp__warps_eligible.avg.per_cycle_active", "eligible warps per scheduler"],
    &["smsp__warps_active.avg.per_cycle_active", "active warps per scheduler"],
    &["smsp__issue_active.avg.per_cycle_active", "issued warp per scheduler", "issued warps per scheduler"],
    &[
        "gpu__dram_throughput.avg.pct_of_peak_sustained_elapsed",
        "dram__throughput.avg.pct_of_peak_sustained_elapsed",
        "dram throughput",
    ],
];
const PERCENT_SLOTS: [bool; 6] = [true, true, false, false, false, true];

fn is_chatter(line: &str) -> bool {
    line.starts_with("==")
}

fn position(fields: &[String], names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| fields.iter().position(|f| f.trim().eq_ignore_ascii_case(n)))
}

/// Which page a header row is from, if it is an Nsight Compute header at all.
pub(crate) fn header_page(fields: &[String]) -> Option<Page> {
    position(fields, &["ID"])?;
    position(fields, &["Kernel Name", "Function Name"])?;
    let details = position(fields, &["Metric Name"]).is_some() && position(fields, &["Metric Value"]).is_some();
    Some(if details { Page::Details } else { Page::Raw })
}

pub(crate) fn header_line_page(line: &str) -> Option<Page> {
    split_fields(line).ok().and_then(|f| header_page(&f))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Page {
    Raw,
    Details,
}

/// A version number in a `==PROF==` line that mentions one (`... version 2024.1.0 ...`).
fn version_in(line: &str) -> Option<String> {
    let lower = line.to_ascii_lowercase();
    if !(lower.contains("version") || lower.contains("nsight compute")) {
        return None;
    }
    line.split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
        .map(|w| w.trim_start_matches(['v', 'V']))
        .find(|w| {
            w.len() <= 32
                && w.contains('.')
                && w.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(str::to_owned)
}

pub(crate) struct Parsed {
    pub page: Page,
    pub tool_version: Option<String>,
    pub kernels: Vec<ImportedKernel>,
}

pub(crate) fn read(input: impl BufRead, limits: &Limits) -> Result<Parsed, Problem> {
    let mut lines = CsvLines::new(input, limits);
    let version = std::cell::RefCell::new(None::<String>);
    let header = lines.next_record(|l| {
        if is_chatter(l) && version.borrow().is_none() {
            *version.borrow_mut() = version_in(l);
        }
        header_line_page(l).is_none()
    })?;
    let Some(header) = header else {
        return Err(Problem::malformed(
            At::Nowhere,
            "no Nsight Compute header (a line with \"ID\" and \"Kernel Name\")",
            "export with `ncu --import REPORT --csv --page raw` (or `--page details`)",
        ));
    };
    let page = header_page(&header.fields).expect("the header was recognised");
    let mut table = LaunchTable::new(limits);
    match page {
        Page::Raw => read_raw(&mut lines, &header, &mut table, limits)?,
        Page::Details => read_details(&mut lines, &header, &mut table, limits)?,
    }
    Ok(Parsed { page, tool_version: version.into_inner(), kernels: table.finish() })
}

fn wrong_width(row: &Record, header: &Record) -> Problem {
    Problem::malformed(
        At::Line(row.line),
        format!("{} fields where the header has {}", row.fields.len(), header.fields.len()),
        "the file is truncated or was edited: export it again",
    )
}

fn not_a_number(at: &At, what: &str, text: &str) -> Problem {
    Problem::malformed(
        at.clone(),
        format!("{what} {} is not a number", excerpt(text, 40)),
        "the file is corrupt or was edited: export it again",
    )
}

fn is_absent(text: &str) -> bool {
    matches!(text.trim().to_ascii_lowercase().as_str(), "" | "n/a" | "na" | "-")
}

fn read_raw<R: BufRead>(
    lines: &mut CsvLines<R>,
    header: &Record,
    table: &mut LaunchTable<'_>,
    limits: &Limits,
) -> Result<(), Problem> {
    let f = &header.fields;
    let name_col = position(f, &["Kernel Name", "Function Name"]).expect("checked by header_page");
    let id_col = position(f, &["ID"]).expect("checked by header_page");
    let Some(duration_col) = position(f, DURATION) else {
        return Err(Problem::malformed(
            At::Line(header.line),
            "no gpu__time_duration.sum column",
            "profile with `--section SpeedOfLight` or `--metrics gpu__time_duration.sum`",
        ));
    };
    let metric_cols: Vec<Option<usize>> = METRICS.iter().map(|names| position(f, names)).collect();
    let mut duration_scale = 1.0;
    let mut first = true;
    while let Some(row) = lines.next_record(is_chatter)? {
        if row.is_blank() {
            continue;
        }
        if row.fields.len() != f.len() {
            return Err(wrong_width(&row, header));
        }
        let at = At::Line(row.line);
        // The units row (`--print-units`) has no launch ID.
        if std::mem::take(&mut first) && row.fields[id_col].trim().is_empty() {
            let unit = &row.fields[duration_col];
            duration_scale = ns_per_unit(unit).ok_or_else(|| {
                Problem::malformed(
                    at.clone(),
                    format!("unknown duration unit {}", excerpt(unit, 20)),
                    "export with `--print-units base`",
                )
            })?;
            continue;
        }
        let text = &row.fields[duration_col];
        if is_absent(text) {
            return Err(Problem::malformed(
                at,
                "a launch without gpu__time_duration.sum",
                "profile every launch with the duration metric (`--section SpeedOfLight`)",
            ));
        }
        let duration = parse_number(text).ok_or_else(|| not_a_number(&at, "duration", text))? * duration_scale;
        let duration = check_ns(duration, "duration", &at, limits)?;
        let mut metrics = Metrics::default();
        for (slot, col) in metrics.slots().into_iter().zip(&metric_cols) {
            if let Some(col) = *col {
                let text = &row.fields[col];
                if !is_absent(text) {
                    let v = parse_number(text).ok_or_else(|| not_a_number(&at, &f[col], text))?;
                    *slot = Some(check_metric(v, &f[col], &at)?);
                }
            }
        }
        table.add(&row.fields[name_col], duration, Some(&metrics), &at)?;
    }
    Ok(())
}

/// One launch of the details page, assembled from its metric rows.
struct Launch {
    /// Index into the distinct names.
    name: usize,
    line: u64,
    duration_ns: Option<f64>,
    metrics: Metrics,
}

/// The columns the details page is read by, found by name so that extra or reordered columns do
/// not matter.
struct DetailsColumns {
    id: usize,
    name: usize,
    metric: usize,
    value: usize,
    /// Optional: without it every value is taken to be in base units (ns for Duration).
    unit: Option<usize>,
}

impl DetailsColumns {
    fn of(header: &[String]) -> Self {
        let col = |names: &[&str]| position(header, names);
        let (Some(id), Some(name), Some(metric), Some(value)) =
            (col(&["ID"]), col(&["Kernel Name", "Function Name"]), col(&["Metric Name"]), col(&["Metric Value"]))
        else {
            unreachable!("checked by header_page")
        };
        DetailsColumns { id, name, metric, value, unit: col(&["Metric Unit"]) }
    }
}

/// The details page has one row per launch × metric, so a launch is only complete at the end
/// of the file: launches are gathered here first and handed to the [`LaunchTable`] afterwards.
/// The caps are checked as launches and names arrive, since nothing is bounded until then.
struct DetailsLaunches<'a> {
    limits: &'a Limits,
    budget: crate::aggregate::Budget<'a>,
    /// Launch IDs are small integers in file order; keyed by the ID text so that interleaved
    /// rows still meet their launch.
    launches: BTreeMap<String, Launch>,
    /// Distinct names held once, however many launches share them.
    names: Vec<String>,
    name_index: BTreeMap<String, usize>,
}

impl<'a> DetailsLaunches<'a> {
    fn new(limits: &'a Limits) -> Self {
        DetailsLaunches {
            limits,
            budget: crate::aggregate::Budget::new(limits),
            launches: BTreeMap::new(),
            names: Vec::new(),
            name_index: BTreeMap::new(),
        }
    }

    /// The launch `id` that a row on `line` belongs to, started there if it is new. A row that
    /// gives a known launch another name is refused: the file mixes reports.
    fn launch(&mut self, id: &str, name: &str, line: u64, at: &At) -> Result<&mut Launch, Problem> {
        if !self.launches.contains_key(id) {
            if self.launches.len() as u64 >= self.limits.max_launches {
                return Err(Problem::limit(
                    at.clone(),
                    format!("more than {} kernel launches", self.limits.max_launches),
                    "profile fewer launches (`--launch-count`)",
                ));
            }
            let index = self.name_index_of(name, at)?;
            self.launches
                .insert(id.to_owned(), Launch { name: index, line, duration_ns: None, metrics: Metrics::default() });
        }
        let launch = self.launches.get_mut(id).expect("inserted above");
        if self.names[launch.name] != *name {
            return Err(Problem::malformed(
                at.clone(),
                format!(
                    "launch {id} is named {} here and {} on line {}",
                    excerpt(name, 60),
                    excerpt(&self.names[launch.name], 60),
                    launch.line
                ),
                "the file mixes reports: export one report per file",
            ));
        }
        Ok(launch)
    }

    /// The index of `name` among the distinct names, added (and checked) if it is new.
    fn name_index_of(&mut self, name: &str, at: &At) -> Result<usize, Problem> {
        if let Some(&i) = self.name_index.get(name) {
            return Ok(i);
        }
        crate::aggregate::check_name(name, at, self.limits)?;
        self.budget.new_name(name, self.names.len(), at)?;
        self.name_index.insert(name.to_owned(), self.names.len());
        self.names.push(name.to_owned());
        Ok(self.names.len() - 1)
    }

    /// Hands every launch to `table`, in ID order; a launch without a Duration row is refused,
    /// since a kernel's time is what the capture is for.
    fn into_table(self, table: &mut LaunchTable<'_>) -> Result<(), Problem> {
        for (id, launch) in self.launches {
            let at = At::Line(launch.line);
            let name = &self.names[launch.name];
            let Some(duration) = launch.duration_ns else {
                return Err(Problem::malformed(
                    at,
                    format!("launch {id} ({}) has no Duration metric", excerpt(name, 60)),
                    "profile with the SpeedOfLight section (`--section SpeedOfLight`) or `--metrics gpu__time_duration.sum`",
                ));
            };
            table.add(name, duration, Some(&launch.metrics), &at)?;
        }
        Ok(())
    }
}

/// The launch ID of a row, trimmed; refused when empty or too long to be one (it becomes a map
/// key held until the end of the file).
fn launch_id<'r>(text: &'r str, at: &At) -> Result<&'r str, Problem> {
    let id = text.trim();
    if id.is_empty() || id.len() > 32 {
        return Err(Problem::malformed(
            at.clone(),
            format!("launch ID {} is not an ID", excerpt(id, 40)),
            "export it again",
        ));
    }
    Ok(id)
}

/// Applies one metric row to its launch. The first Duration row gives the time and the first
/// value of each kept metric fills its slot (a metric can appear in more than one section);
/// metrics not kept are skipped.
fn record_metric(
    launch: &mut Launch,
    row: &Record,
    cols: &DetailsColumns,
    at: &At,
    limits: &Limits,
) -> Result<(), Problem> {
    let metric = row.fields[cols.metric].trim().to_ascii_lowercase();
    let unit = cols.unit.map_or("", |c| row.fields[c].trim());
    let text = &row.fields[cols.value];
    if DURATION.contains(&metric.as_str()) {
        if launch.duration_ns.is_none() {
            let scale = ns_per_unit(unit).ok_or_else(|| {
                Problem::malformed(
                    at.clone(),
                    format!("unknown duration unit {}", excerpt(unit, 20)),
                    "export it again from ncu",
                )
            })?;
            let v = parse_number(text).ok_or_else(|| not_a_number(at, "Duration", text))?;
            launch.duration_ns = Some(check_ns(v * scale, "Duration", at, limits)?);
        }
        return Ok(());
    }
    let Some(slot_index) = METRICS.iter().position(|names| names.contains(&metric.as_str())) else {
        return Ok(());
    };
    // A label can name a different quantity in another section (a bandwidth in GB/s):
    // percentages must say `%`.
    if PERCENT_SLOTS[slot_index] && !(unit.is_empty() || unit == "%") {
        return Ok(());
    }
    let slot = launch.metrics.slots().into_iter().nth(slot_index).expect("six slots");
    if slot.is_none() && !is_absent(text) {
        let v = parse_number(text).ok_or_else(|| not_a_number(at, &row.fields[cols.metric], text))?;
        *slot = Some(check_metric(v, &row.fields[cols.metric], at)?);
    }
    Ok(())
}

/// The details page: rows are checked and gathered into launches as they come, and the
/// launches go to `table` once the file is read.
fn read_details<R: BufRead>(
    lines: &mut CsvLines<R>,
    header: &Record,
    table: &mut LaunchTable<'_>,
    limits: &Limits,
) -> Result<(), Problem> {
    let cols = DetailsColumns::of(&header.fields);
    let mut launches = DetailsLaunches::new(limits);
    while let Some(row) = lines.next_record(is_chatter)? {
        if row.is_blank() {
            continue;
        }
        if row.fields.len() != header.fields.len() {
            return Err(wrong_width(&row, header));
        }
        let at = At::Line(row.line);
        let id = launch_id(&row.fields[cols.id], &at)?;
        let launch = launches.launch(id, &row.fields[cols.name], row.line, &at)?;
        record_metric(launch, &row, &cols, &at, limits)?;
    }
    launches.into_table(table)
}
