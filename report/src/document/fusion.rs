//! The fusion part of the report (the paper's Fig. 10): Fig. 10 as the paper draws it (unfused and
//! fused time per device, the paper's two devices beside ours), the fused / unfused ratio and the
//! achieved bandwidth against vector size, the table of each sweep's memory-bound point with the
//! paper's rows, and the table of every size.

use std::collections::BTreeMap;

use super::{FigureDoc, MISSING, RowDoc, TableDoc};
use crate::analysis::{Analysis, Platform};
use crate::figures::{
    self, BarChart, BarSeries, BarValue, LineStyle, ReferenceKind, ReferenceLine, Scale, SizeMarker, SweepChart,
    SweepPoint, SweepSeries,
};
use crate::findings::fusion_sentence;
use crate::format;
use crate::fusion::{self, ADD_SCALE, Bound, Derived, FusionResult, MEMORY_RESIDENT_FACTOR, SWEEP_COLUMNS_SINCE, VariantResult};
use crate::stats::{LEVEL, MedianEstimate, min_runs_for_interval};

const FIGURE_ID: &str = "fusion";
const TABLE_ID: &str = "fusion";
const RATIO_FIGURE_ID: &str = "fusion_sweep";
const BANDWIDTH_FIGURE_ID: &str = "fusion_bandwidth";
const SWEEP_TABLE_ID: &str = "fusion_sweep";

/// The element type Fig. 10 shows for a device that has it.
const FIG10_DTYPE: &str = "f32";

/// Fig. 10, the two sweep figures and their tables. The memory-bound table goes with Fig. 10;
/// the table of every size of every sweep is long (pages, for a few sweeps) and is a reference,
/// so it goes to the appendices ([`APPENDIX_TABLES`]) and the bandwidth figure says where it is.
pub(super) fn fusion_section(analysis: &Analysis) -> (Vec<FigureDoc>, Vec<TableDoc>) {
    let figures = vec![
        fig10(analysis, vec![TABLE_ID.to_owned()]),
        ratio_figure(analysis, Vec::new()),
        bandwidth_figure(analysis, Vec::new()),
    ];
    (figures, vec![point_table(analysis), sweep_table(analysis)])
}

/// Tables of this section printed among the appendices rather than after a figure.
pub(super) const APPENDIX_TABLES: [&str; 1] = [SWEEP_TABLE_ID];

/// Per platform, the memory-bound point of its Add + Scale sweep in f32, or of its first other
/// element type when it has no f32 sweep.
pub fn fig10_points(analysis: &Analysis) -> Vec<&FusionResult> {
    let mut by_platform: BTreeMap<&Platform, Vec<&FusionResult>> = BTreeMap::new();
    for p in fusion::memory_bound_points(&analysis.fusion).filter(|p| p.experiment == ADD_SCALE && p.ratio.is_some()) {
        by_platform.entry(&p.platform).or_default().push(p);
    }
    by_platform
        .into_values()
        .filter_map(|points| points.iter().copied().find(|p| p.dtype == FIG10_DTYPE).or_else(|| points.first().copied()))
        .collect()
}

/// `256 MiB` per vector, or the element count when the element size is unknown.
fn vector_size(r: &FusionResult) -> String {
    match r.vector_bytes {
        Some(b) => format::binary_bytes(b),
        None => format!("{} elements", format::power_of_two(r.elements)),
    }
}

/// `cuda · f32 · 1 GiB · H200`: back-end, type and size first, since a long device name is what
/// the chart cuts when the label does not fit (the table names every platform in full).
fn fig10_label(p: &FusionResult) -> String {
    let mut label = p.platform.backend.to_string();
    if let Some(mode) = &p.platform.power_mode {
        label.push_str(&format!(" · {mode}"));
    }
    format!("{label} · {} · {} · {}", p.dtype, vector_size(p), p.platform.device)
}

fn bar(e: Option<&VariantResult>) -> Option<BarValue> {
    e.map(|v| BarValue {
        value: v.time_us.median,
        low: v.time_us.interval.map(|i| i.low),
        high: v.time_us.interval.map(|i| i.high),
    })
}

fn fig10(analysis: &Analysis, tables: Vec<String>) -> FigureDoc {
    let ours = fig10_points(analysis);
    let paper: Vec<_> = analysis.published_fusion.iter().filter(|p| p.unfused_us.is_some() || p.fused_us.is_some()).collect();
    let mut groups: Vec<String> = ours.iter().copied().map(fig10_label).collect();
    groups.extend(paper.iter().map(|p| p.label()));
    let published_bar = |v: Option<f64>| v.map(|value| BarValue { value, low: None, high: None });
    let chart = BarChart {
        y_label: "elapsed time (µs)".to_owned(),
        groups,
        series: vec![
            BarSeries {
                name: "unfused: Add, then Scale (2 kernels)".to_owned(),
                values: ours.iter().map(|p| bar(p.unfused.as_ref())).chain(paper.iter().map(|p| published_bar(p.unfused_us))).collect(),
                hatched: false,
            },
            BarSeries {
                name: "fused: s·(a + b) (1 kernel)".to_owned(),
                values: ours.iter().map(|p| bar(p.fused.as_ref())).chain(paper.iter().map(|p| published_bar(p.fused_us))).collect(),
                hatched: false,
            },
        ],
        // Times run from tens of µs to tens of ms; on a log axis the gap between a device's two
        // bars is its ratio, comparable across devices whatever their speed.
        scale: Scale::Log,
        markers: Vec::new(),
        key: figures::BarKey::default(),
    };
    let empty = ours.is_empty() && paper.is_empty();
    let svg = if empty {
        figures::empty_svg("no data: no fusion micro-benchmark in the dataset")
    } else {
        figures::bar_chart_svg(&chart)
    };
    let mut caption = format!(
        "Median elapsed time of Add then Scale as two kernels (unfused) and of one fused kernel, for each device · back-end · mode at the memory-bound point of its sweep (its largest {FIG10_DTYPE} vector, or of another type where it has no {FIG10_DTYPE} sweep), labelled back-end · element type · bytes per vector · device, with {}% intervals from {} repetitions on.",
        format::level(LEVEL),
        min_runs_for_interval(LEVEL)
    );
    if !paper.is_empty() {
        caption.push_str(" Groups labelled \"(paper)\" are the paper's Fig. 10 numbers (no interval; the paper gives no vector size).");
    }
    if ours.is_empty() && !empty {
        caption.push_str(" No fusion sweep of ours in the dataset yet: only the paper's bars.");
    }
    if !empty && figures::use_log_scale(&chart) {
        caption.push_str(" Log scale: times span microseconds to milliseconds, and on a log axis the gap between a device's two bars is its fused/unfused ratio, comparable across devices.");
    }
    FigureDoc {
        id: FIGURE_ID.to_owned(),
        title: "Kernel fusion (the paper's Fig. 10)".to_owned(),
        caption,
        file: format!("figures/{FIGURE_ID}.svg"),
        svg,
        empty,
        tables,
    }
}

/// The Add + Scale sweeps that can be drawn against size (the element size is known), with
/// the palette index of their platform and their line style by element type.
fn drawn_sweeps(analysis: &Analysis) -> Vec<(fusion::SweepKey, Vec<&FusionResult>, usize, LineStyle)> {
    let sweeps: Vec<_> = fusion::sweeps(&analysis.fusion)
        .into_iter()
        .filter(|(k, points)| k.experiment == ADD_SCALE && points.iter().any(|p| p.vector_bytes.is_some()))
        .collect();
    let mut platforms: Vec<&Platform> = Vec::new();
    let mut out = Vec::new();
    for (key, points) in sweeps {
        let color = match platforms.iter().position(|p| **p == key.platform) {
            Some(i) => i,
            None => {
                platforms.push(&points[0].platform);
                platforms.len() - 1
            }
        };
        let line = match key.dtype.as_str() {
            "f32" => LineStyle::Solid,
            "f16" | "bf16" => LineStyle::Dashed,
            _ => LineStyle::Dotted,
        };
        out.push((key, points, color, line));
    }
    out
}

/// Each platform's last-level cache, once, in the colour of its lines.
fn cache_markers(sweeps: &[(fusion::SweepKey, Vec<&FusionResult>, usize, LineStyle)]) -> Vec<SizeMarker> {
    let mut markers: Vec<SizeMarker> = Vec::new();
    for (key, points, color, _) in sweeps {
        let Some(bytes) = points.iter().filter_map(|p| p.last_level_cache_bytes).max() else { continue };
        let label = format!("LLC {}, {}: {}", format::binary_bytes(bytes), key.platform.backend, key.platform.device);
        if !markers.iter().any(|m| m.label == label) {
            markers.push(SizeMarker { x: bytes as f64, label, color: *color });
        }
    }
    markers
}

fn point_of(r: &FusionResult, d: Option<Derived>) -> Option<SweepPoint> {
    let (x, d) = (r.vector_bytes? as f64, d?);
    Some(SweepPoint { x, y: d.value, low: d.interval.map(|i| i.low), high: d.interval.map(|i| i.high) })
}

/// The reference lines of the ratio figure: no gain, both memory-bound limits, the paper's ratios.
pub fn ratio_references(analysis: &Analysis) -> Vec<ReferenceLine> {
    let mut lines = vec![ReferenceLine {
        y: 1.0,
        label: "1: no gain from fusion".to_owned(),
        tag: "1".to_owned(),
        kind: ReferenceKind::Threshold,
    }];
    for bound in Bound::ALL {
        lines.push(ReferenceLine {
            y: bound.value(),
            label: format!("{} = {}: memory-bound limit, {}", bound.fraction(), format::sig3(bound.value()), bound.condition()),
            tag: bound.fraction(),
            kind: ReferenceKind::Bound,
        });
    }
    for p in &analysis.published_fusion {
        if let Some(r) = p.ratio() {
            lines.push(ReferenceLine {
                y: r,
                label: format!("paper: {} {} (size not stated)", p.device, format::sig3(r)),
                tag: format::sig3(r),
                kind: ReferenceKind::Published,
            });
        }
    }
    lines
}

fn ratio_figure(analysis: &Analysis, tables: Vec<String>) -> FigureDoc {
    let sweeps = drawn_sweeps(analysis);
    let series: Vec<SweepSeries> = sweeps
        .iter()
        .map(|(key, points, color, line)| SweepSeries {
            name: key.label(),
            color: *color,
            line: *line,
            points: points
                .iter()
                .filter_map(|p| {
                    let r = p.ratio.as_ref()?;
                    point_of(p, Some(Derived { value: r.ratio, interval: r.interval }))
                })
                .collect(),
        })
        .collect();
    let empty = series.iter().all(|s| s.points.is_empty());
    let svg = if empty {
        figures::empty_svg("no data: no fusion sweep with both variants in the dataset")
    } else {
        figures::sweep_chart_svg(&SweepChart {
            x_label: "bytes per vector (log2 axis)".to_owned(),
            y_label: "fused / unfused time".to_owned(),
            y_scale: Scale::Linear,
            series,
            references: ratio_references(analysis),
            markers: cache_markers(&sweeps),
        })
    };
    let paper: Vec<String> =
        analysis.published_fusion.iter().filter_map(|p| p.ratio().map(|r| format!("{} {}", p.device, format::sig3(r)))).collect();
    let mut caption = format!(
        "Fused / unfused median time of Add + Scale against the size of one vector (log2 axis), one line per device · back-end · mode (colour) and element type (solid f32, dashed f16), with {}% interval whiskers (conservative: each median at 97.5%). Horizontal lines: 1 (no gain); the memory-bound limits 3/5 (5 vectors of traffic unfused, 3 fused, as on a GPU) and 4/7 (a CPU whose stores read the line first: 7 against 4)",
        format::level(LEVEL)
    );
    if paper.is_empty() {
        caption.push('.');
    } else {
        caption.push_str(&format!(
            "; dotted purple, the paper's ratios ({}), across the whole axis since the paper states no size.",
            paper.join(", ")
        ));
    }
    caption.push_str(&format!(
        " Vertical dashed lines (LLC): each device's last-level cache; vectors from {MEMORY_RESIDENT_FACTOR}× it run from memory."
    ));
    if empty {
        caption.push_str(" No fusion sweep in the dataset yet.");
    }
    FigureDoc {
        id: RATIO_FIGURE_ID.to_owned(),
        title: "Kernel fusion against vector size: fused / unfused time".to_owned(),
        caption,
        file: format!("figures/{RATIO_FIGURE_ID}.svg"),
        svg,
        empty,
        tables,
    }
}

fn bandwidth_figure(analysis: &Analysis, tables: Vec<String>) -> FigureDoc {
    let sweeps = drawn_sweeps(analysis);
    let mut series = Vec::new();
    for (i, (key, points, _, _)) in sweeps.iter().enumerate() {
        let variant = |name: &str, line: LineStyle, get: &dyn Fn(&FusionResult) -> Option<Derived>| SweepSeries {
            name: format!("{}: {name}", key.label()),
            color: i,
            line,
            points: points.iter().filter_map(|p| point_of(p, get(p))).collect(),
        };
        series.push(variant("unfused", LineStyle::Solid, &|p| p.unfused.as_ref().map(|v| v.bandwidth_gb_s)));
        series.push(variant("fused", LineStyle::Dashed, &|p| p.fused.as_ref().map(|v| v.bandwidth_gb_s)));
        let copy = variant("STREAM copy", LineStyle::Dotted, &|p| p.copy_gb_s.map(|value| Derived { value, interval: None }));
        if !copy.points.is_empty() {
            series.push(copy);
        }
    }
    let empty = series.iter().all(|s| s.points.is_empty());
    let chart = SweepChart {
        x_label: "bytes per vector (log2 axis)".to_owned(),
        y_label: "bandwidth (GB/s)".to_owned(),
        y_scale: Scale::Auto,
        series,
        references: Vec::new(),
        // Colours here are per sweep, not per platform.
        markers: cache_markers(&sweeps.iter().enumerate().map(|(i, (k, p, _, l))| (k.clone(), p.clone(), i, *l)).collect::<Vec<_>>()),
    };
    let svg = if empty {
        figures::empty_svg("no data: no fusion sweep in the dataset")
    } else {
        figures::sweep_chart_svg(&chart)
    };
    let mut caption = format!(
        "Achieved bandwidth of the unfused (solid) and fused (dashed) Add + Scale against the size of one vector (log2 axis): bytes moved as STREAM counts them (5 vectors unfused, 3 fused) over the median time, with {}% intervals; dotted, the STREAM copy bandwidth the same sweep measured at that size (rows written before schema {SWEEP_COLUMNS_SINCE} have none). One colour per device · back-end · mode and element type; dashed vertical lines mark last-level caches (LLC).",
        format::level(LEVEL)
    );
    if !empty {
        let log = chart.series.iter().flat_map(|s| s.points.iter().map(|p| p.y)).fold((f64::INFINITY, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if log.0 > 0.0 && log.1 / log.0 > 30.0 {
            caption.push_str(" Log scale.");
        }
        caption.push_str(" Every size's numbers are in the appendix table \"Kernel fusion: every size of every sweep\".");
    } else {
        caption.push_str(" No fusion sweep in the dataset yet.");
    }
    FigureDoc {
        id: BANDWIDTH_FIGURE_ID.to_owned(),
        title: "Kernel fusion against vector size: achieved and copy bandwidth".to_owned(),
        caption,
        file: format!("figures/{BANDWIDTH_FIGURE_ID}.svg"),
        svg,
        empty,
        tables,
    }
}

/// `520 [500, 540]` or `520 (n = 5)` (µs in the column header).
fn time_cell(v: Option<&VariantResult>) -> String {
    match v {
        Some(v) => median_text(&v.time_us),
        None => MISSING.to_owned(),
    }
}

fn median_text(e: &MedianEstimate) -> String {
    match e.interval {
        Some(i) => format!("{} [{}, {}]", format::sig3(e.median), format::sig3(i.low), format::sig3(i.high)),
        None => format!("{} (n = {})", format::sig3(e.median), e.n),
    }
}

fn ratio_cell(r: &FusionResult) -> String {
    r.ratio.as_ref().map(format::ratio).unwrap_or_else(|| MISSING.to_owned())
}

fn bound_cell(r: &FusionResult) -> String {
    match r.bound {
        Some(b) => format!("{} = {} ({})", b.fraction(), format::sig3(b.value()), b.condition()),
        None => format!("unknown: {}", r.bound_missing().unwrap_or_default()),
    }
}

/// `+10.0% [3.3%, 16.7%]`: above zero, the fused kernel saves less than the traffic it removes.
fn distance_cell(r: &FusionResult) -> String {
    let Some(d) = r.distance else { return MISSING.to_owned() };
    let signed = format::signed_percent;
    match d.interval {
        Some(i) => format!("{} [{}, {}]", signed(d.value), signed(i.low), signed(i.high)),
        None => format!("{} (no interval)", signed(d.value)),
    }
}

/// `174 (5.8%)`: achieved GB/s and its share of copy bandwidth.
fn bandwidth_cell(v: Option<&VariantResult>) -> String {
    match v {
        Some(v) => match v.copy_fraction {
            Some(f) => format!("{} ({})", format::sig3(v.bandwidth_gb_s.value), format::percent(f.value)),
            None => format::sig3(v.bandwidth_gb_s.value),
        },
        None => MISSING.to_owned(),
    }
}

fn stream_cell(value: Option<f64>, r: &FusionResult) -> String {
    match value {
        Some(v) => format::sig3(v),
        None => format!("{MISSING} ({})", r.bandwidth_missing().unwrap_or_else(|| "not recorded".to_owned())),
    }
}

fn type_cell(r: &FusionResult) -> String {
    if r.experiment == ADD_SCALE { r.dtype.clone() } else { format!("{} ({})", r.dtype, r.experiment) }
}

/// `2^26 (256 MiB; 5.12× LLC)`.
fn size_cell(r: &FusionResult) -> String {
    let cache = match (r.cache_multiple(), r.cache_missing()) {
        (Some(m), _) => format!("{}× LLC", format::sig3(m)),
        (None, Some(why)) => format!("LLC unknown: {why}"),
        (None, None) => "element size unknown".to_owned(),
    };
    match r.vector_bytes {
        Some(b) => format!("{} ({}; {cache})", format::power_of_two(r.elements), format::binary_bytes(b)),
        None => format!("{} ({cache})", format::power_of_two(r.elements)),
    }
}

const POINT_COLUMNS: [&str; 13] = [
    "Platform",
    "Type",
    "Size: elements (vector; × last-level cache)",
    "Unfused (µs)",
    "Fused (µs)",
    "Fused / unfused",
    "Bound",
    "Ratio vs bound",
    "Unfused GB/s (% of copy)",
    "Fused GB/s (% of copy)",
    "Copy GB/s",
    "Triad GB/s",
    "Failed",
];

fn point_table(analysis: &Analysis) -> TableDoc {
    let mut rows: Vec<RowDoc> = fusion::memory_bound_points(&analysis.fusion)
        .map(|r| RowDoc {
            cells: vec![
                r.platform.label(),
                type_cell(r),
                size_cell(r),
                time_cell(r.unfused.as_ref()),
                time_cell(r.fused.as_ref()),
                ratio_cell(r),
                bound_cell(r),
                distance_cell(r),
                bandwidth_cell(r.unfused.as_ref()),
                bandwidth_cell(r.fused.as_ref()),
                stream_cell(r.copy_gb_s, r),
                stream_cell(r.triad_gb_s, r),
                r.failed.to_string(),
            ],
            published: false,
        })
        .collect();
    let refs = super::published::PublishedReferences::of(analysis);
    for p in &analysis.published_fusion {
        let mut platform = p.device.clone();
        if let Some(b) = p.backend {
            platform.push_str(&format!(" · {b}"));
        }
        let labels = refs.labels(&p.published_ids);
        let source = format!(
            "{} §{}{}{}",
            p.citation_key,
            p.section,
            p.figure.as_deref().map(|f| format!(", {f}")).unwrap_or_default(),
            if labels.is_empty() { String::new() } else { format!("; {labels}") }
        );
        let ratio = match (p.ratio(), p.reduction_pct) {
            (Some(r), Some(pct)) => format!("{}× (printed reduction {pct}%)", format::sig3(r)),
            (Some(r), None) => format!("{}×", format::sig3(r)),
            (None, _) => MISSING.to_owned(),
        };
        let mut cells = vec![
            format!("{platform} (paper: {source})"),
            "not stated".to_owned(),
            "not stated".to_owned(),
            // As printed: the paper's digits, not three significant ones (rounded to a millionth
            // only to hide the float noise of a unit conversion).
            p.unfused_us.map(|v| ((v * 1e6).round() / 1e6).to_string()).unwrap_or_else(|| MISSING.to_owned()),
            p.fused_us.map(|v| ((v * 1e6).round() / 1e6).to_string()).unwrap_or_else(|| MISSING.to_owned()),
            ratio,
        ];
        cells.resize(POINT_COLUMNS.len(), MISSING.to_owned());
        rows.push(RowDoc { cells, published: true });
    }
    let mut caption = format!(
        "Each sweep's memory-bound point (its largest vector; memory-resident from {MEMORY_RESIDENT_FACTOR}× the last-level cache): median time of Add then Scale (unfused, 2 kernels) and of the fused kernel over repetitions, with {}% intervals (n where there are fewer than {} repetitions); their ratio with a conservative interval; the memory-bound limit of the ratio (3/5 without write-allocate, 4/7 with) and the ratio's distance from it (ratio / bound − 1: + means the fused kernel saves less time than the traffic it removes); achieved bandwidth (bytes moved as STREAM counts them over the median time) and its share of the STREAM copy bandwidth measured in the same sweep (equally, the time the bytes would take at copy bandwidth over the time taken); STREAM copy and triad bandwidth. The paper's rows (purple) give times and the ratio only: the paper states no vector size, element type or bandwidth, so no bound or bandwidth can be set against them.",
        format::level(LEVEL),
        min_runs_for_interval(LEVEL)
    );
    caption.push(' ');
    caption.push_str(&fusion_sentence(analysis));
    if !analysis.published_fusion.is_empty() {
        caption.push(' ');
        caption.push_str(&super::published::reference_note(
            analysis.published_fusion.iter().any(|p| refs.any_ambiguous(&p.published_ids)),
        ));
    }
    TableDoc {
        id: TABLE_ID.to_owned(),
        title: "Kernel fusion at the memory-bound point".to_owned(),
        caption,
        columns: POINT_COLUMNS.map(String::from).to_vec(),
        rows,
        empty_message: "No fusion micro-benchmark in the dataset yet.".to_owned(),
        group_columns: 0,
        repeats: Vec::new(),
    }
}

fn sweep_table(analysis: &Analysis) -> TableDoc {
    let rows = analysis
        .fusion
        .iter()
        .map(|r| RowDoc {
            cells: vec![
                r.platform.label(),
                type_cell(r),
                format!("{}{}", size_cell(r), if r.memory_bound_point { ", memory-bound point" } else { "" }),
                time_cell(r.unfused.as_ref()),
                time_cell(r.fused.as_ref()),
                ratio_cell(r),
                distance_cell(r),
                bandwidth_cell(r.unfused.as_ref()),
                bandwidth_cell(r.fused.as_ref()),
                stream_cell(r.copy_gb_s, r),
                stream_cell(r.triad_gb_s, r),
                r.failed.to_string(),
            ],
            published: false,
        })
        .collect();
    TableDoc {
        id: SWEEP_TABLE_ID.to_owned(),
        title: "Kernel fusion: every size of every sweep".to_owned(),
        caption: format!(
            "Every vector length measured, in the columns of the memory-bound table (the ratio's distance from the bound that applies to the row: {}). The memory-bound point of each sweep is marked.",
            Bound::ALL.iter().map(|b| format!("{} with {}", b.fraction(), b.condition())).collect::<Vec<_>>().join(", ")
        ),
        columns: [
            "Platform",
            "Type",
            "Size: elements (vector; × last-level cache)",
            "Unfused (µs)",
            "Fused (µs)",
            "Fused / unfused",
            "Ratio vs bound",
            "Unfused GB/s (% of copy)",
            "Fused GB/s (% of copy)",
            "Copy GB/s",
            "Triad GB/s",
            "Failed",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        empty_message: "No fusion micro-benchmark in the dataset yet.".to_owned(),
        group_columns: 0,
        repeats: Vec::new(),
    }
}
