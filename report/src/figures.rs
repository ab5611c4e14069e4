//! The paper's figures, drawn as standalone SVG documents (one per figure).
//!
//! The same SVG is embedded in the Typst PDF and inlined in the HTML page, so the design follows
//! from what both renderers can do:
//!
//! - **One monospace font.** Typst's SVG renderer only knows the fonts embedded in the report
//!   ("DejaVu Sans Mono", "Libertinus Serif", "New Computer Modern"), and plotters is built
//!   without a font backend, so it cannot measure text. A monospace font makes text width a
//!   function of the character count, which lets this module reserve space for labels itself
//!   instead of trusting plotters' naive estimate (which counts bytes). Every `font-family` in
//!   the output is [`FONT_FAMILY`], enforced by a final pass over the document ([`svg`]). A
//!   browser without that font uses its default font instead; a page stylesheet rule such as
//!   `svg text { font-family: "DejaVu Sans Mono", monospace }` overrides the attribute and keeps
//!   the text monospace.
//! - **Names are wrapped, never cut.** Model and platform names come from the dataset and can be
//!   long ("Cloud VM, NVIDIA H100 80GB HBM3, 16 vCPU · cuda"); legends, group labels and bar
//!   labels wrap them onto as many lines as they need, after their own separators, and the figure
//!   grows taller to hold them ([`text::wrap`]). Only a name longer than several lines of its
//!   place (hundreds of characters) is cut, and ends in "…".
//! - **Missing is not zero.** A group without data for a series keeps its slot, shows a small
//!   grey "n/a" mark and no bar: a zero-height bar would read as a measured zero. Non-finite
//!   values count as missing, and so do absurd magnitudes (beyond 1e±150), which would overflow
//!   the axis arithmetic. A sparse chart whose aligned slots would be too thin to read draws only
//!   the series each group has ([`bar_chart`]).
//! - **Automatic log scale.** Load times and throughputs of small and large models on weak and
//!   strong devices easily span two or three orders of magnitude; on a linear axis the small
//!   bars then vanish. [`Scale::Auto`] switches to a log axis when every value is positive and the
//!   largest is more than 30× the smallest, the point where the smallest bar on a linear axis
//!   would be about 3 % of the axis. A log axis cannot show zero or negative values, so those
//!   always get a linear axis, whatever was requested; [`use_log_scale`] reports the outcome so
//!   the caption can say "log scale".
//! - **Deterministic output.** No hash-ordered state and no time stamps: the same input gives
//!   byte-identical SVG, so regenerated reports diff cleanly.
//! - **Never panics.** Degenerate input gives a figure-sized "no data" SVG ([`empty_svg`]); a
//!   drawing error gives the same with the error in the message.
//!
//! One file per job: [`style`] (geometry, palette, mesh), [`axis`] (value axes and ticks),
//! [`svg`] (the document frame), [`legend`], [`text`] (measuring and wrapping), and one per chart
//! kind.

mod axis;
mod bar_chart;
mod legend;
mod scatter_chart;
mod share_chart;
mod style;
mod svg;
mod sweep_chart;
mod text;

pub use axis::Scale;
pub use bar_chart::{BarChart, BarKey, BarMarker, BarSeries, BarValue, MARKER_CLASS, bar_chart_svg, use_log_scale};
pub use scatter_chart::{ScatterChart, ScatterPoint, scatter_chart_svg, scatter_log_axes};
pub use share_chart::{ShareBar, ShareChart, SharePanel, share_chart_svg};
pub use svg::empty_svg;
pub use sweep_chart::{LineStyle, ReferenceKind, ReferenceLine, SizeMarker, SweepChart, SweepPoint, SweepSeries, sweep_chart_svg};

/// Font family named in every SVG text element: embedded in the PDF renderer, falls back to monospace in browsers.
pub const FONT_FAMILY: &str = "DejaVu Sans Mono";
