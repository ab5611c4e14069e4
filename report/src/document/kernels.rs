//! The kernel-level part of the report (the paper's Section V): Fig. 9 as class-share bars per
//! phase with the paper's bars beside ours, the class-share, top-kernel, profile-quality and
//! Nsight Compute tables.

use std::collections::BTreeSet;

use edgebench_dataset::schema::v1::{Backend, OpClass, Phase, TimingSource};

use super::published::{PublishedReferences, reference_note};
use super::{FigureDoc, MISSING, RowDoc, TableDoc, synthetic_note};
use edgebench_dataset::schema::Sha256Hex;
use crate::analysis::{Analysis, CellKey, WeightsOrigin};
use crate::figures::{self, ShareBar, ShareChart, SharePanel};
use crate::findings::{class_name, phase_label, share_text, timing_label, timing_words};
use crate::format;
use crate::kernels::{KernelCell, NcuMetric, PublishedShares, TOP_KERNELS};
use crate::stats::{LEVEL, MedianEstimate, min_runs_for_interval};

const FIGURE_ID: &str = "kernel_shares";
const CLASS_TABLE_ID: &str = "kernel_shares";
const TOP_TABLE_ID: &str = "kernel_top";
const QUALITY_TABLE_ID: &str = "profile_quality";
const NCU_TABLE_ID: &str = "nsight_compute";

/// A capture whose rows account for less than this share of the phase's wall time misses
/// something (unprofiled ops, gaps between nodes) worth a flag.
const MIN_COVERAGE: f64 = 0.9;

/// Below this deviation from 100 %, a cell's median shares are drawn as they are.
const RESCALE_TOLERANCE: f64 = 0.005;

/// Label of the paper's own bin that matches no class ("small operations").
const PAPER_BIN: &str = "small operations (paper's bin)";

/// Fig. 9 and its four tables.
pub(super) fn kernel_section(analysis: &Analysis) -> (FigureDoc, Vec<TableDoc>) {
    let tables = vec![class_table(analysis), top_kernels_table(analysis), quality_table(analysis), ncu_table(analysis)];
    let figure = share_figure(analysis, tables.iter().map(|t| t.id.clone()).collect());
    (figure, tables)
}

/// A column of the class-share figure and table: a class, or the paper's own bin.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum ShareColumn {
    Class(OpClass),
    PaperBin,
}

impl ShareColumn {
    fn label(self) -> &'static str {
        match self {
            ShareColumn::Class(c) => class_name(c),
            ShareColumn::PaperBin => PAPER_BIN,
        }
    }

    fn published_key(self) -> Option<OpClass> {
        match self {
            ShareColumn::Class(c) => Some(c),
            ShareColumn::PaperBin => None,
        }
    }
}

/// Classes with time in any cell or quoted by any published bar, in class order, then the
/// paper's bin.
fn share_columns(analysis: &Analysis) -> Vec<ShareColumn> {
    let measured = analysis.kernel_cells.iter().flat_map(|k| k.shares.keys().copied().map(ShareColumn::Class));
    let published = analysis
        .published_kernel_shares
        .iter()
        .flat_map(|p| p.shares.keys().map(|c| c.map_or(ShareColumn::PaperBin, ShareColumn::Class)));
    let set: BTreeSet<ShareColumn> = measured.chain(published).collect();
    set.into_iter().collect()
}

/// Platform (device · back-end · mode) and model: the kernel tables have many columns, so the
/// platform is one column, as in the fusion table.
fn key_columns(key: &CellKey) -> Vec<String> {
    vec![key.platform().label(), key.model_key().label()]
}

/// `decode · host-synchronised`.
fn phase_and_timing(cell: &KernelCell) -> String {
    format!("{} · {}", phase_label(cell.phase), timing_label(cell.timing))
}

fn tools(cell: &KernelCell) -> String {
    cell.tools.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
}

fn or_missing(value: Option<String>) -> String {
    value.unwrap_or_else(|| MISSING.to_owned())
}

/// The source of published numbers and their entries in the appendix (`liu2026edge §V-B (P54†)`).
fn published_source(citation_key: &str, section: &str, ids: &[Sha256Hex], refs: &PublishedReferences) -> String {
    let labels = refs.labels(ids);
    if labels.is_empty() { format!("{citation_key} §{section}") } else { format!("{citation_key} §{section} ({labels})") }
}

/// A published row's platform, labelled like a measured one.
fn published_platform(device: String, backend: Option<Backend>, power_mode: Option<&str>) -> String {
    let mut label = device;
    for part in [backend.map(|b| b.to_string()), power_mode.map(str::to_owned)].into_iter().flatten() {
        label.push_str(&format!(" · {part}"));
    }
    label
}

fn published_model(bar: &PublishedShares) -> String {
    match (&bar.model, &bar.precision) {
        (Some(m), Some(q)) => format!("{m} ({q})"),
        (Some(m), None) => m.clone(),
        (None, _) => MISSING.to_owned(),
    }
}

/// A median share and its interval when it has one; n is in the table's captures column (every
/// share of a cell is a median over all its captures).
fn median_share(e: &MedianEstimate) -> String {
    match e.interval {
        Some(i) => format!("{} [{}, {}]", format::percent(e.median), format::percent(i.low), format::percent(i.high)),
        None => format::percent(e.median),
    }
}

fn published_share_row(bar: &PublishedShares, columns: &[ShareColumn], refs: &PublishedReferences) -> RowDoc {
    let mut cells = vec![
        published_platform(bar.device.clone(), bar.backend, bar.power_mode.as_deref()),
        published_model(bar),
        "not stated".to_owned(),
        published_source(&bar.citation_key, &bar.section, &bar.published_ids, refs),
    ];
    cells.extend(columns.iter().map(|c| match bar.shares.get(&c.published_key()) {
        Some(values) => values.iter().map(|v| format::percent(*v)).collect::<Vec<_>>().join(" / "),
        None => MISSING.to_owned(),
    }));
    cells.push(MISSING.to_owned());
    RowDoc { cells, published: true }
}

fn class_table(analysis: &Analysis) -> TableDoc {
    let columns = share_columns(analysis);
    let refs = PublishedReferences::of(analysis);
    let mut rows = Vec::new();
    let mut shown = vec![false; analysis.published_kernel_shares.len()];
    for cell in &analysis.kernel_cells {
        let mut cells = key_columns(&cell.key);
        cells.push(phase_and_timing(cell));
        cells.push(format!("{} ({})", cell.captures, tools(cell)));
        cells.extend(columns.iter().map(|c| match c {
            ShareColumn::Class(class) => or_missing(cell.shares.get(class).map(median_share)),
            ShareColumn::PaperBin => MISSING.to_owned(),
        }));
        cells.push(cell.unclassified_names.to_string());
        rows.push(RowDoc { cells, published: false });
        for (i, bar) in analysis.published_kernel_shares.iter().enumerate() {
            if !shown[i] && bar.matches(&cell.key) {
                shown[i] = true;
                rows.push(published_share_row(bar, &columns, &refs));
            }
        }
    }
    for (bar, _) in analysis.published_kernel_shares.iter().zip(&shown).filter(|(_, s)| !**s) {
        rows.push(published_share_row(bar, &columns, &refs));
    }
    let mut header: Vec<String> =
        ["Platform", "Model", "Phase · timing", "Captures n (tools)"].map(String::from).to_vec();
    header.extend(columns.iter().map(|c| c.label().to_owned()));
    header.push("Unclassified names".to_owned());
    TableDoc {
        id: CLASS_TABLE_ID.to_owned(),
        title: "Kernel time by class".to_owned(),
        caption: format!(
            "Share of kernel (or ggml op) time per class: each capture's shares sum to 100%; a cell's value is the median over its n captures (a capture without the class counts as 0%), with a distribution-free {}% interval from {} captures on. Phase \"all phases\" marks captures that do not separate prefill from decode. Unclassified is time in kernel names no rule of the class table matches, kept as a class of its own; the last column counts those names. Published rows quote the paper's Fig. 9 (\"not stated\": the paper gives no phase). {}{}",
            format::level(LEVEL),
            min_runs_for_interval(LEVEL),
            reference_note(analysis.published_kernel_shares.iter().any(|b| refs.any_ambiguous(&b.published_ids))),
            synthetic_note(any_synthetic(analysis))
        ),
        columns: header,
        rows,
        empty_message: "No kernel profile in the dataset yet.".to_owned(),
        group_columns: 0,
        repeats: Vec::new(),
    }
}

fn top_kernels_table(analysis: &Analysis) -> TableDoc {
    let mut rows = Vec::new();
    for cell in &analysis.kernel_cells {
        for (rank, top) in cell.top_kernels.iter().enumerate() {
            let mut cells = key_columns(&cell.key);
            cells.extend([
                phase_and_timing(cell),
                (rank + 1).to_string(),
                top.kernel.name.clone(),
                class_name(top.kernel.class).to_owned(),
                or_missing(top.kernel.weight_type.clone()),
                or_missing(top.kernel.token_columns.map(|t| t.to_string())),
                median_share(&top.share),
                format!("{} of {}", top.in_captures, cell.captures),
            ]);
            rows.push(RowDoc { cells, published: false });
        }
    }
    TableDoc {
        id: TOP_TABLE_ID.to_owned(),
        title: "Largest kernels per profile cell".to_owned(),
        caption: format!(
            "The {TOP_KERNELS} kernels (ggml ops, or GPU kernels by base name) with the largest median share of each cell's time, by weight type and token columns. A matrix product with 1 token column runs as GEMV (llama.cpp's batch-1 decode), with more as GEMM.{}",
            synthetic_note(any_synthetic(analysis))
        ),
        columns: [
            "Platform",
            "Model",
            "Phase · timing",
            "Rank",
            "Kernel or op",
            "Class",
            "Weight type",
            "Token columns",
            "Median share",
            "In captures",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        empty_message: "No kernel profile in the dataset yet.".to_owned(),
        group_columns: 0,
        repeats: Vec::new(),
    }
}

/// `1.85× (n = 2)` or with its interval.
fn times_text(e: &MedianEstimate) -> String {
    match e.interval {
        Some(i) => {
            format!("{}× [{}, {}] (n = {})", format::sig3(e.median), format::sig3(i.low), format::sig3(i.high), e.n)
        }
        None => format!("{}× (n = {})", format::sig3(e.median), e.n),
    }
}

fn ms_text(e: &MedianEstimate) -> String {
    format!("{} ms (n = {})", format::sig3(e.median), e.n)
}

fn quality_table(analysis: &Analysis) -> TableDoc {
    let rows = analysis
        .kernel_cells
        .iter()
        .map(|cell| {
            let mut cells = key_columns(&cell.key);
            cells.extend([
                phase_label(cell.phase).to_owned(),
                tools(cell),
                timing_words(cell.timing).to_owned(),
                cell.captures.to_string(),
                cell.overhead.as_ref().map_or_else(|| "not recorded".to_owned(), times_text),
                cell.coverage.as_ref().map_or_else(
                    || "not recorded".to_owned(),
                    |c| {
                        let low = if c.median < MIN_COVERAGE {
                            format!(": below {}", format::percent(MIN_COVERAGE))
                        } else {
                            String::new()
                        };
                        format!("{}{low}", share_text(c))
                    },
                ),
                or_missing(cell.profiled_ms_per_token.as_ref().map(ms_text)),
                or_missing(cell.unprofiled_ms_per_token.as_ref().map(ms_text)),
            ]);
            RowDoc { cells, published: false }
        })
        .collect();
    TableDoc {
        id: QUALITY_TABLE_ID.to_owned(),
        title: "Profile quality".to_owned(),
        caption: format!(
            "How far each cell's profiles can be trusted, medians over captures. Overhead: the profiled phase's wall time over the same phase and tokens in an unprofiled worker of the same command (for decode, profiled time per token over the unprofiled TPOT). Coverage: the captured kernel or op time over the phase's wall time (flagged below {}). The timing source says what a share is a share of.",
            format::percent(MIN_COVERAGE)
        ),
        columns: [
            "Platform",
            "Model",
            "Phase",
            "Tool",
            "Timing source",
            "Captures",
            "Overhead",
            "Coverage",
            "Profiled ms/token",
            "Unprofiled ms/token",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        empty_message: "No kernel profile in the dataset yet.".to_owned(),
        group_columns: 0,
        repeats: Vec::new(),
    }
}

const NCU_KEY_COLUMNS: [&str; 5] = ["Source", "Platform", "Model", "Phase", "Captures"];

fn ncu_table(analysis: &Analysis) -> TableDoc {
    let refs = PublishedReferences::of(analysis);
    let mut rows = Vec::new();
    for cell in analysis.kernel_cells.iter().filter(|c| !c.ncu.is_empty()) {
        let mut cells = vec!["this dataset".to_owned()];
        cells.extend(key_columns(&cell.key));
        cells.push(phase_label(cell.phase).to_owned());
        cells.push(cell.captures.to_string());
        cells.extend(
            NcuMetric::ALL
                .iter()
                .map(|m| or_missing(cell.ncu.get(m).map(|e| format!("{} (n = {})", format::sig3(e.median), e.n)))),
        );
        rows.push(RowDoc { cells, published: false });
    }
    if rows.is_empty() {
        let mut cells = vec!["this dataset".to_owned(), "no Nsight Compute capture in the dataset".to_owned()];
        cells.resize(NCU_KEY_COLUMNS.len() + NcuMetric::ALL.len(), MISSING.to_owned());
        rows.push(RowDoc { cells, published: false });
    }
    for p in &analysis.published_ncu {
        let mut cells = vec![
            published_source(&p.citation_key, &p.section, &p.published_ids, &refs),
            published_platform(p.device.clone(), p.backend, p.power_mode.as_deref()),
            or_missing(p.model.clone()),
            "not stated".to_owned(),
            MISSING.to_owned(),
        ];
        cells.extend(NcuMetric::ALL.iter().map(|m| {
            or_missing(p.values.get(m).map(|(value, unit)| {
                // The value as quoted; its unit only when it is not the column's.
                if unit == m.unit() { format::sig3(*value) } else { format!("{} {unit}", format::sig3(*value)) }
            }))
        }));
        rows.push(RowDoc { cells, published: true });
    }
    let mut columns: Vec<String> = NCU_KEY_COLUMNS.map(String::from).to_vec();
    columns.extend(NcuMetric::ALL.iter().map(|m| format!("{} ({})", format::capitalise(m.label()), m.unit())));
    TableDoc {
        id: NCU_TABLE_ID.to_owned(),
        title: "Nsight Compute: occupancy and warp issue".to_owned(),
        caption: format!(
            "Micro-architectural metrics of the matrix-product kernels (GEMM and GEMV): each capture's time-weighted mean over those kernels, the median over captures with n. Cycles per issued instruction is 1 / issued warps per scheduler per cycle. Published rows quote the paper's Section V, which names neither the board, the model nor the kernel for these numbers. {}",
            reference_note(analysis.published_ncu.iter().any(|p| refs.any_ambiguous(&p.published_ids)))
        ),
        columns,
        rows,
        empty_message: "No Nsight Compute capture in the dataset yet.".to_owned(),
        group_columns: 0,
        repeats: Vec::new(),
    }
}

/// Panel of a phase, in the paper's reading order: prefill, decode, then captures that do not
/// separate them.
const PANELS: [Option<Phase>; 3] = [Some(Phase::Prefill), Some(Phase::Decode), None];

fn panel_title(phase: Option<Phase>) -> &'static str {
    match phase {
        Some(Phase::Prefill) => "prefill",
        Some(Phase::Decode) => "decode",
        None => "all phases (prefill and decode not separated)",
    }
}

fn measured_bar(cell: &KernelCell, label: String, columns: &[ShareColumn]) -> (ShareBar, bool) {
    let mut shares: Vec<f64> = columns
        .iter()
        .map(|c| match c {
            ShareColumn::Class(class) => cell.share(*class),
            ShareColumn::PaperBin => 0.0,
        })
        .collect();
    let sum: f64 = shares.iter().sum();
    // Medians of several captures need not sum to 100 %; the bar is a composition, so it is
    // rescaled, and the caption says so (the table keeps the medians).
    let rescaled = sum > 0.0 && (sum - 1.0).abs() > RESCALE_TOLERANCE;
    if rescaled {
        shares.iter_mut().for_each(|s| *s /= sum);
    }
    (ShareBar { label, shares, published: false }, rescaled)
}

fn published_bar(bar: &PublishedShares, columns: &[ShareColumn]) -> ShareBar {
    let model = bar.model.as_deref().unwrap_or("model not stated");
    let platform = match bar.backend {
        Some(b) => format!("{} · {b}", bar.device),
        None => bar.device.clone(),
    };
    ShareBar {
        label: format!("paper: {platform} · {model}"),
        shares: columns.iter().map(|c| bar.share(c.published_key()).unwrap_or(0.0)).collect(),
        published: true,
    }
}

fn share_figure(analysis: &Analysis, tables: Vec<String>) -> FigureDoc {
    let columns = share_columns(analysis);
    let mut panels = Vec::new();
    let mut placed = vec![false; analysis.published_kernel_shares.len()];
    let mut any_rescaled = false;
    for phase in PANELS {
        let cells: Vec<&KernelCell> = analysis.kernel_cells.iter().filter(|c| c.phase == phase).collect();
        let base_label = |c: &KernelCell| format!("{} · {}", c.key.platform().label(), c.key.model_key().name_label());
        let mut bars = Vec::new();
        let mut in_panel = vec![false; analysis.published_kernel_shares.len()];
        for cell in &cells {
            // The timing source only when it tells two bars of the panel apart.
            let twin = cells.iter().filter(|c| base_label(c) == base_label(cell)).count() > 1;
            let label =
                if twin { format!("{} · {}", base_label(cell), timing_label(cell.timing)) } else { base_label(cell) };
            let (bar, rescaled) = measured_bar(cell, label, &columns);
            any_rescaled |= rescaled;
            bars.push(bar);
            // The paper's bar right below the first measured bar it speaks about.
            for (i, published) in analysis.published_kernel_shares.iter().enumerate() {
                if !in_panel[i] && published.matches(&cell.key) {
                    in_panel[i] = true;
                    placed[i] = true;
                    bars.push(published_bar(published, &columns));
                }
            }
        }
        if phase.is_none() {
            // The paper's bars that match no measured cell still belong in the figure: with the
            // captures that, like the paper's profiles, do not separate the phases.
            bars.extend(
                analysis
                    .published_kernel_shares
                    .iter()
                    .zip(&placed)
                    .filter(|(_, p)| !**p)
                    .map(|(b, _)| published_bar(b, &columns)),
            );
        }
        if !bars.is_empty() {
            panels.push(SharePanel { title: panel_title(phase).to_owned(), bars });
        }
    }
    let empty = analysis.kernel_cells.is_empty() && analysis.published_kernel_shares.is_empty();
    let svg = if empty {
        figures::empty_svg("no data: no kernel profile in the dataset")
    } else {
        figures::share_chart_svg(&ShareChart {
            classes: columns.iter().map(|c| c.label().to_owned()).collect(),
            panels,
        })
    };
    FigureDoc {
        id: FIGURE_ID.to_owned(),
        title: "Kernel time by class (the paper's Fig. 9)".to_owned(),
        caption: share_caption(analysis, any_rescaled),
        file: format!("figures/{FIGURE_ID}.svg"),
        svg,
        empty,
        tables,
    }
}

fn share_caption(analysis: &Analysis, rescaled: bool) -> String {
    let mut caption = "Share of kernel (or ggml op) time per class for each profiled device · back-end · mode and model, the median over its captures; prefill and decode in separate panels, captures that do not separate them under \"all phases\".".to_owned();
    if analysis.kernel_cells.is_empty() {
        caption.push_str(" No kernel profile in the dataset yet.");
    }
    let sources: BTreeSet<String> =
        analysis.published_kernel_shares.iter().map(|p| format!("{} §{}", p.citation_key, p.section)).collect();
    if !sources.is_empty() {
        caption.push_str(&format!(
            " Hatched bars labelled \"paper:\" are the published shares ({}), outlined over their whole length: the part the text does not state is left blank.",
            sources.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if analysis.kernel_cells.iter().any(|c| c.timing == Some(TimingSource::HostSynchronised)) {
        caption.push_str(" Host-synchronised captures show shares of unfused op time (ggml's eval callback synchronises after every node).");
    }
    if rescaled {
        caption.push_str(
            " Bars whose median shares do not sum to 100% are rescaled to 100%; the table gives the medians.",
        );
    }
    caption.push_str(&synthetic_note(any_synthetic(analysis)));
    caption
}

/// Whether any kernel cell profiled synthetic weights (its labels then carry the mark).
fn any_synthetic(analysis: &Analysis) -> bool {
    analysis.kernel_cells.iter().any(|c| c.key.weights == WeightsOrigin::Synthetic)
}
