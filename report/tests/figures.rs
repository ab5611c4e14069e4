//! The SVG figures: well-formed, deterministic, one font, escaped text, missing ≠ zero, and no
//! panic on degenerate input.

mod common;
use common::svg::texts;
use edgebench_report::figures::*;

fn value(v: f64) -> Option<BarValue> {
    Some(BarValue { value: v, low: None, high: None })
}

fn with_ci(v: f64) -> Option<BarValue> {
    Some(BarValue { value: v, low: Some(v * 0.9), high: Some(v * 1.15) })
}

const GROUPS: [&str; 3] = ["Qwen2.5-0.5B", "Llama-3.2-1B", "Phi-3-mini"];
const PLATFORMS: [&str; 4] = ["Orin NX", "Raspberry Pi 5", "RTX 4090", "M2 Pro"];

/// 3 groups × 4 series, every value with an interval.
fn normal_chart() -> BarChart {
    BarChart {
        y_label: "decode throughput (tok/s)".to_owned(),
        groups: GROUPS.map(String::from).to_vec(),
        series: PLATFORMS
            .iter()
            .enumerate()
            .map(|(s, name)| BarSeries {
                name: (*name).to_owned(),
                values: (0..3).map(|g| with_ci(10.0 + 7.0 * s as f64 + 3.0 * g as f64)).collect(),
                hatched: false,
            })
            .collect(),
        scale: Scale::Auto,
        markers: Vec::new(),
        key: BarKey::default(),
    }
}

fn chart(series: Vec<BarSeries>, groups: &[&str], scale: Scale) -> BarChart {
    BarChart {
        y_label: "load time (ms)".to_owned(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        series,
        scale,
        markers: Vec::new(),
        key: BarKey::default(),
    }
}

fn series(name: &str, values: Vec<Option<BarValue>>) -> BarSeries {
    BarSeries { name: name.to_owned(), values, hatched: false }
}

/// One untitled panel of measured bars, `shares[row][class]`; a row without an entry gets no
/// shares.
fn one_panel(rows: &[&str], classes: &[&str], shares: Vec<Vec<f64>>) -> ShareChart {
    ShareChart {
        classes: classes.iter().map(|c| (*c).to_owned()).collect(),
        panels: vec![SharePanel {
            title: String::new(),
            bars: rows
                .iter()
                .enumerate()
                .map(|(i, r)| ShareBar { label: (*r).to_owned(), shares: shares.get(i).cloned().unwrap_or_default(), published: false })
                .collect(),
        }],
    }
}

fn share_chart() -> ShareChart {
    one_panel(
        &["Orin NX · Qwen-1.5B", "RTX 4090 · Qwen-1.5B"],
        &["matmul", "attention", "norm", "other"],
        vec![vec![0.6, 0.25, 0.1, 0.05], vec![0.5, 0.3, 0.15, 0.049]],
    )
}

/// A minimal well-formedness check (no XML parser among the dependencies): tags balance, no raw
/// `<` or stray `&` in text or attributes, attribute values quoted.
fn assert_well_formed(svg: &str) {
    assert!(svg.starts_with("<svg"), "does not start with <svg: {}", &svg[..svg.len().min(80)]);
    assert!(svg.trim_end().ends_with("</svg>"), "does not end with </svg>");
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        assert_entities(&rest[..open]);
        let close = rest[open..].find('>').expect("unterminated tag") + open;
        let tag = &rest[open + 1..close];
        assert!(!tag.contains('<'), "raw < inside a tag: {tag}");
        assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes in <{tag}>");
        assert_entities(tag);
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
        } else if !tag.ends_with('/') {
            stack.push(tag.split_whitespace().next().unwrap_or_default().to_owned());
        }
        rest = &rest[close + 1..];
    }
    assert_entities(rest);
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
}

fn assert_entities(text: &str) {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..];
        assert!(
            ["&lt;", "&gt;", "&amp;", "&quot;", "&apos;"].iter().any(|e| entity.starts_with(e)),
            "stray & in {text:?}"
        );
    }
}

/// Every `<text>` of the SVG read in order and joined, without whitespace: a name wrapped onto
/// several lines (consecutive text elements) reads whole in it.
fn joined_text(svg: &str) -> String {
    texts(svg).concat().split_whitespace().collect()
}

/// Whether `name` appears whole in the SVG's text, across the lines it was wrapped onto.
fn shows_whole(svg: &str, name: &str) -> bool {
    joined_text(svg).contains(&name.split_whitespace().collect::<String>())
}

fn attribute_values<'a>(svg: &'a str, name: &str) -> Vec<&'a str> {
    let pattern = format!(" {name}=\"");
    svg.match_indices(&pattern)
        .map(|(i, _)| {
            let start = i + pattern.len();
            &svg[start..start + svg[start..].find('"').unwrap()]
        })
        .collect()
}

/// Every `<rect .../>` element as written.
fn rects(svg: &str) -> Vec<&str> {
    svg.match_indices("<rect").map(|(i, _)| &svg[i..i + svg[i..].find('>').unwrap()]).collect()
}

fn count(svg: &str, needle: &str) -> usize {
    svg.matches(needle).count()
}

fn size(svg: &str) -> (u32, u32) {
    let number = |name| attribute_values(svg, name)[0].parse().unwrap();
    (number("width"), number("height"))
}

fn assert_one_font(svg: &str) {
    let families = attribute_values(svg, "font-family");
    assert!(!families.is_empty(), "no text at all");
    assert!(families.iter().all(|f| *f == FONT_FAMILY), "other font families: {families:?}");
    assert_eq!(families.len(), count(svg, "<text"), "a text element without font-family");
    assert_eq!(count(svg, "font-family"), families.len());
}

#[test]
fn normal_chart_is_complete_svg_with_all_names_in_one_font() {
    let svg = bar_chart_svg(&normal_chart());
    assert_well_formed(&svg);
    let texts = texts(&svg);
    for name in GROUPS.iter().chain(&PLATFORMS) {
        assert!(texts.iter().any(|t| t == name), "{name} missing from {texts:?}");
    }
    assert!(texts.iter().any(|t| t == "decode throughput (tok/s)"));
    assert!(svg.contains(FONT_FAMILY));
    assert_one_font(&svg);
    // 12 bars + 4 legend swatches + the background; 12 error bars of three lines each.
    assert_eq!(count(&svg, "<rect"), 12 + 4 + 1);
    assert!(count(&svg, "<polyline") >= 36);
    assert_eq!(size(&svg).0, 800);
}

#[test]
fn output_is_deterministic() {
    assert_eq!(bar_chart_svg(&normal_chart()), bar_chart_svg(&normal_chart()));
    assert_eq!(share_chart_svg(&share_chart()), share_chart_svg(&share_chart()));
    assert_eq!(empty_svg("no data"), empty_svg("no data"));
}

#[test]
fn missing_value_draws_no_bar_and_nothing_of_zero_height() {
    let full = normal_chart();
    let mut missing = full.clone();
    missing.series[1].values[2] = None;
    let (full_svg, missing_svg) = (bar_chart_svg(&full), bar_chart_svg(&missing));
    assert_well_formed(&missing_svg);
    assert_eq!(count(&missing_svg, "<rect"), count(&full_svg, "<rect") - 1);
    assert!(!missing_svg.contains("height=\"0\""));
    assert!(texts(&missing_svg).iter().any(|t| t == "n/a"));
    assert!(!texts(&full_svg).iter().any(|t| t == "n/a"));
    // The other bars keep their place: the missing bar leaves its slot instead of closing up.
    let (full_rects, missing_rects) = (rects(&full_svg), rects(&missing_svg));
    let gone: Vec<_> = full_rects.iter().filter(|r| !missing_rects.contains(r)).collect();
    assert_eq!(gone.len(), 1, "{gone:?}");
    assert!(missing_rects.iter().all(|r| full_rects.contains(r)));
}

#[test]
fn missing_is_not_drawn_as_zero() {
    // A measured zero is a flat mark on the axis; a missing value draws no shape at all.
    let zero = chart(vec![series("a", vec![value(5.0), value(0.0)])], &["g1", "g2"], Scale::Linear);
    let none = chart(vec![series("a", vec![value(5.0), None])], &["g1", "g2"], Scale::Linear);
    let (zero_svg, none_svg) = (bar_chart_svg(&zero), bar_chart_svg(&none));
    assert!(count(&zero_svg, "<polyline") > count(&none_svg, "<polyline"));
    assert!(texts(&none_svg).iter().any(|t| t == "n/a"));
    assert!(!texts(&zero_svg).iter().any(|t| t == "n/a"));
    for svg in [&zero_svg, &none_svg] {
        assert!(!svg.contains("height=\"0\""));
    }
}

#[test]
fn hostile_names_are_escaped_and_long_ones_shortened() {
    let long = "x".repeat(300);
    let names = [
        "<script>alert(1)</script>",
        "a & b",
        "\"quoted\"",
        "#read(\"/etc/passwd\")",
        "]",
        "$x$",
        "Ωμέγα – 深度学习",
        long.as_str(),
    ];
    let hostile = BarChart {
        y_label: "<b>time</b> & \"ms\"".to_owned(),
        groups: names.iter().map(|n| (*n).to_owned()).collect(),
        series: names
            .iter()
            .map(|n| series(n, (0..names.len()).map(|g| with_ci(1.0 + g as f64)).collect()))
            .collect(),
        scale: Scale::Auto,
        markers: Vec::new(),
        key: BarKey::default(),
    };
    let svg = bar_chart_svg(&hostile);
    assert_well_formed(&svg);
    assert!(!svg.contains("<script"));
    assert!(!svg.contains("<b>"));
    assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(svg.contains("a &amp; b"));
    assert!(svg.contains("&quot;quoted&quot;"));
    assert!(svg.contains("#read(&quot;/etc/passwd&quot;)"));
    assert!(svg.contains("$x$"));
    assert!(svg.contains("Ωμέγα – 深度学习"));
    assert!(!svg.contains(&long), "300-char label not shortened");
    assert!(texts(&svg).iter().any(|t| t.starts_with("xxxx") && t.ends_with('…')));
    assert_one_font(&svg);
    // Every bar is still drawn and the figure keeps its width and a sane height.
    assert_eq!(count(&svg, "<rect"), names.len() * names.len() + names.len() + 1);
    let (w, h) = size(&svg);
    assert_eq!(w, 800);
    assert!((400..=900).contains(&h), "height {h}");

    let shares = one_panel(&names, &names, vec![vec![1.0 / names.len() as f64; names.len()]; names.len()]);
    let svg = share_chart_svg(&shares);
    assert_well_formed(&svg);
    assert!(!svg.contains("<script"));
    assert!(svg.contains("a &amp; b"));
    assert!(svg.contains("Ωμέγα – 深度学习"));
    assert!(!svg.contains(&long));
    assert_one_font(&svg);

    let svg = empty_svg("no data: <script> & \"x\"");
    assert_well_formed(&svg);
    assert!(svg.contains("no data: &lt;script&gt; &amp; &quot;x&quot;"));
}

#[test]
fn control_characters_never_reach_the_xml() {
    let c = chart(vec![series("a\u{0}b\u{1b}[31m", vec![value(1.0)])], &["line\nbreak\ttab"], Scale::Auto);
    let svg = bar_chart_svg(&c);
    assert_well_formed(&svg);
    assert!(!svg.chars().any(|ch| ch.is_control() && ch != '\n'));
    assert!(texts(&svg).iter().any(|t| t == "line break tab"));
}

#[test]
fn auto_scale_is_log_only_for_wide_positive_ranges() {
    let wide = chart(vec![series("a", vec![value(1.0), value(1000.0)])], &["s", "l"], Scale::Auto);
    let narrow = chart(vec![series("a", vec![value(1.0), value(5.0)])], &["s", "l"], Scale::Auto);
    assert!(use_log_scale(&wide));
    assert!(!use_log_scale(&narrow));

    // Log draws decades; linear draws a zero tick.
    let log_texts = texts(&bar_chart_svg(&wide));
    for tick in ["1", "10", "100", "1000"] {
        assert!(log_texts.iter().any(|t| t == tick), "no tick {tick} in {log_texts:?}");
    }
    assert!(texts(&bar_chart_svg(&narrow)).iter().any(|t| t == "0"));

    // Explicit scales win, except that a log axis cannot show zero or negative values.
    assert!(!use_log_scale(&BarChart { scale: Scale::Linear, ..wide.clone() }));
    assert!(use_log_scale(&BarChart { scale: Scale::Log, ..narrow.clone() }));
    for bad in [0.0, -3.0] {
        let c = chart(vec![series("a", vec![value(bad), value(1000.0)])], &["s", "l"], Scale::Log);
        assert!(!use_log_scale(&c));
        let svg = bar_chart_svg(&c);
        assert_well_formed(&svg);
        assert!(texts(&svg).iter().any(|t| t == "0"), "no linear fallback for {bad}");
    }
    // Missing and non-finite values do not take part in the decision.
    let c = chart(
        vec![series("a", vec![value(1.0), value(f64::NAN), None, value(100.0)])],
        &["a", "b", "c", "d"],
        Scale::Auto,
    );
    assert!(use_log_scale(&c));
}

#[test]
fn log_axis_bars_start_at_the_bottom_and_keep_height() {
    // The smallest value sits on a power of ten; its bar must still be visible.
    let c = chart(vec![series("a", vec![value(10.0), value(5000.0)])], &["s", "l"], Scale::Auto);
    let svg = bar_chart_svg(&c);
    assert_well_formed(&svg);
    let heights: Vec<i64> = attribute_values(&svg, "height").iter().filter_map(|h| h.parse().ok()).collect();
    assert!(heights.iter().all(|&h| h > 0), "{heights:?}");
}

#[test]
fn share_chart_has_every_class_and_row() {
    let svg = share_chart_svg(&share_chart());
    assert_well_formed(&svg);
    let texts = texts(&svg);
    for name in ["matmul", "attention", "norm", "other", "Orin NX · Qwen-1.5B", "RTX 4090 · Qwen-1.5B"] {
        assert!(texts.iter().any(|t| t == name), "{name} missing from {texts:?}");
    }
    for tick in ["0%", "20%", "100%"] {
        assert!(texts.iter().any(|t| t == tick), "no tick {tick}");
    }
    assert!(texts.iter().any(|t| t == "60%"), "segment percentage missing");
    assert_one_font(&svg);
    // 8 segments + 4 legend swatches + the background.
    assert_eq!(count(&svg, "<rect"), 8 + 4 + 1);
}

#[test]
fn share_chart_tolerates_rows_that_do_not_sum_to_one() {
    let mut c = share_chart();
    c.panels[0].bars[0].shares = vec![0.7, 0.7, 0.7, 0.7];
    c.panels[0].bars[1].shares = vec![f64::NAN, -0.2, 0.3];
    let svg = share_chart_svg(&c);
    assert_well_formed(&svg);
    // Row 1 is cut at 100 % (two segments), row 2 has one usable segment.
    assert_eq!(count(&svg, "<rect"), 2 + 1 + 4 + 1);
}

#[test]
fn many_series_and_groups_stay_in_bounds() {
    let groups: Vec<String> = (0..40).map(|g| format!("model-{g}-with-a-rather-long-name")).collect();
    let group_refs: Vec<&str> = groups.iter().map(String::as_str).collect();
    let many: Vec<BarSeries> = (0..20)
        .map(|s| series(&format!("platform {s}"), (0..40).map(|g| with_ci(1.0 + (s * g) as f64)).collect()))
        .collect();
    let svg = bar_chart_svg(&chart(many, &group_refs, Scale::Auto));
    assert_well_formed(&svg);
    assert_one_font(&svg);
    let (w, h) = size(&svg);
    assert_eq!(w, 800);
    assert!(h > 450 && h < 1000, "height {h}");
    // Past the eight palette colours, series still look different from each other.
    let fills: std::collections::BTreeSet<&str> = rects(&svg)
        .into_iter()
        .flat_map(|r| attribute_values(r, "fill"))
        .filter(|f| !["#FFFFFF", "none"].contains(f))
        .collect();
    assert_eq!(fills.len(), 20, "{fills:?}");
}

#[test]
fn degenerate_inputs_give_an_svg_without_panicking() {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    let cases = vec![
        chart(vec![], &[], Scale::Auto),
        chart(vec![], &["g"], Scale::Auto),
        chart(vec![series("a", vec![])], &[], Scale::Auto),
        chart(vec![series("a", vec![None, None])], &["g1", "g2"], Scale::Auto),
        chart(vec![series("a", vec![value(42.0)])], &["g"], Scale::Auto),
        chart(vec![series("a", vec![value(42.0)])], &["g"], Scale::Log),
        chart(vec![series("a", vec![value(3.0), value(3.0), value(3.0)])], &["a", "b", "c"], Scale::Auto),
        chart(vec![series("a", vec![value(3.0), value(3.0)])], &["a", "b"], Scale::Log),
        chart(vec![series("a", vec![value(nan), value(inf), value(-inf)])], &["a", "b", "c"], Scale::Auto),
        chart(
            vec![series(
                "a",
                vec![Some(BarValue { value: 5.0, low: Some(nan), high: Some(inf) }), value(1e300)],
            )],
            &["a", "b"],
            Scale::Auto,
        ),
        chart(vec![series("a", vec![value(0.0), value(0.0)])], &["a", "b"], Scale::Log),
        chart(vec![series("a", vec![value(0.0)])], &["a"], Scale::Linear),
        chart(vec![series("a", vec![value(-5.0), value(10.0)])], &["a", "b"], Scale::Auto),
        chart(vec![series("a", vec![value(-5.0), value(-1.0)])], &["a", "b"], Scale::Log),
        chart(
            vec![series(
                "a",
                vec![Some(BarValue { value: 2.0, low: Some(-1.0), high: Some(3.0) }), value(2000.0)],
            )],
            &["a", "b"],
            Scale::Log,
        ),
        chart(vec![series("a", vec![value(1e-140), value(1e140)])], &["a", "b"], Scale::Auto),
        chart(vec![series("a", vec![value(f64::MIN_POSITIVE), value(f64::MAX)])], &["a", "b"], Scale::Auto),
        // Fewer and more values than groups.
        chart(
            vec![series("a", vec![value(1.0)]), series("b", vec![value(1.0); 5])],
            &["a", "b"],
            Scale::Auto,
        ),
        chart(vec![series("", vec![value(1.0)])], &[""], Scale::Auto),
    ];
    for c in &cases {
        let svg = bar_chart_svg(c);
        assert_well_formed(&svg);
        assert_one_font(&svg);
        let _ = use_log_scale(c);
    }
    // Nothing to draw: the "no data" figure.
    for c in &cases[..4] {
        assert_eq!(bar_chart_svg(c), empty_svg("no data"));
    }
    assert_eq!(bar_chart_svg(&cases[8]), empty_svg("no data"));

    let share_cases = vec![
        one_panel(&[], &[], vec![]),
        one_panel(&["r"], &[], vec![vec![]]),
        one_panel(&[], &["c"], vec![]),
        one_panel(&["r"], &["c"], vec![]),
        one_panel(&["r"], &["c"], vec![vec![nan]]),
        one_panel(&["r"], &["c"], vec![vec![0.0]]),
        one_panel(&["r", "s"], &["c"], vec![vec![1.0]]),
        one_panel(&["r"], &["c"], vec![vec![inf, 0.5], vec![1.0]]),
        ShareChart { classes: vec!["c".to_owned()], panels: vec![] },
        ShareChart {
            classes: vec!["c".to_owned()],
            panels: vec![SharePanel { title: "empty panel".to_owned(), bars: vec![] }],
        },
    ];
    for c in &share_cases {
        let svg = share_chart_svg(c);
        assert_well_formed(&svg);
        assert_one_font(&svg);
    }
    for c in share_cases[..6].iter().chain(&share_cases[8..]) {
        assert_eq!(share_chart_svg(c), empty_svg("no data"));
    }
    // A row without data keeps its place and says so.
    assert!(texts(&share_chart_svg(&share_cases[6])).iter().any(|t| t == "n/a"));

    for message in ["", "no data", &"m".repeat(1000)] {
        let svg = empty_svg(message);
        assert_well_formed(&svg);
        assert_one_font(&svg);
        assert_eq!(size(&svg), (800, 450));
    }
}

/// Two devices with long names: each legend entry is the whole name, wrapped if it must be,
/// never cut.
#[test]
fn long_device_names_are_whole_in_the_legend() {
    let device = "Cloud VM, NVIDIA H100 80GB HBM3, 16 vCPU with a much longer description";
    let names = [format!("{device} · cuda"), format!("{device} · cpu · MAXN")];
    let many: Vec<String> = (0..6).map(|i| format!("{device} number {i} · cuda")).collect();
    for names in [&names[..], &many[..]] {
        let svg = bar_chart_svg(&chart(names.iter().map(|n| series(n, vec![value(1.0)])).collect(), &["m"], Scale::Linear));
        assert_well_formed(&svg);
        assert!(!texts(&svg).iter().any(|t| t.contains('…')), "{:?}", texts(&svg));
        for name in names {
            assert!(shows_whole(&svg, name), "{name} not whole in {:?}", texts(&svg));
        }
    }
}

/// Fig. 9's layout: panels with headings, the paper's bar hatched, outlined over its whole length
/// and labelled as the paper's.
#[test]
fn share_chart_draws_panels_and_hatched_published_bars() {
    let classes = ["GEMM", "GEMV", "element-wise", "small operations (paper's bin)"];
    let measured = |label: &str, shares: Vec<f64>| ShareBar { label: label.to_owned(), shares, published: false };
    let paper = ShareBar { label: "paper: Jetson Orin NX · cuda · Qwen-1.5B".to_owned(), shares: vec![0.76, 0.0, 0.0, 0.16], published: true };
    let chart = ShareChart {
        classes: classes.map(String::from).to_vec(),
        panels: vec![
            SharePanel { title: "prefill".to_owned(), bars: vec![measured("Orin NX · cpu · Qwen", vec![0.7, 0.02, 0.28, 0.0])] },
            SharePanel { title: "decode".to_owned(), bars: vec![measured("Orin NX · cpu · Qwen", vec![0.0, 0.75, 0.25, 0.0])] },
            SharePanel { title: "all phases".to_owned(), bars: vec![paper.clone()] },
        ],
    };
    let svg = share_chart_svg(&chart);
    assert_well_formed(&svg);
    assert_one_font(&svg);
    let texts = texts(&svg);
    for text in ["prefill", "decode", "all phases", "paper: Jetson Orin NX · cuda · Qwen-1.5B", "small operations (paper's bin)", "76%"] {
        assert!(shows_whole(&svg, text), "{text} missing from {texts:?}");
    }
    // Segments: 3 + 2 + 2; the paper's outline; 4 legend swatches; the background.
    assert_eq!(count(&svg, "<rect"), 7 + 1 + 4 + 1);
    // The same chart with the paper's bar as a measured one has no hatching and no outline.
    let mut plain = chart.clone();
    plain.panels[2].bars[0].published = false;
    let plain_svg = share_chart_svg(&plain);
    assert_eq!(count(&plain_svg, "<rect"), 7 + 4 + 1);
    assert!(count(&svg, "<polyline") >= count(&plain_svg, "<polyline") + 10, "hatch lines drawn");
    // Headings come in panel order, top to bottom.
    let order: Vec<&String> = texts.iter().filter(|t| ["prefill", "decode", "all phases"].contains(&t.as_str())).collect();
    assert_eq!(order, ["prefill", "decode", "all phases"]);
    // A panel without bars takes no space.
    let mut with_empty = chart.clone();
    with_empty.panels.push(SharePanel { title: "never drawn".to_owned(), bars: vec![] });
    assert_eq!(share_chart_svg(&with_empty), svg);
}

fn sweep_line(name: &str, color: usize, line: LineStyle, points: &[(f64, f64)]) -> SweepSeries {
    SweepSeries {
        name: name.to_owned(),
        color,
        line,
        points: points.iter().map(|&(x, y)| SweepPoint { x, y, low: Some(y * 0.97), high: Some(y * 1.03) }).collect(),
    }
}

fn reference(y: f64, label: &str, tag: &str, kind: ReferenceKind) -> ReferenceLine {
    ReferenceLine { y, label: label.to_owned(), tag: tag.to_owned(), kind }
}

fn sweep_chart() -> SweepChart {
    let sizes: Vec<f64> = (12..=30).step_by(2).map(|e| f64::from(1u32 << e.min(31))).collect();
    let ratio = |k: usize| 0.5 + 0.12 * (k as f64 / 9.0);
    SweepChart {
        x_label: "bytes per vector (log2 axis)".to_owned(),
        y_label: "fused / unfused time".to_owned(),
        y_scale: Scale::Linear,
        series: vec![
            sweep_line("H200 · cuda, f32", 0, LineStyle::Solid, &sizes.iter().enumerate().map(|(k, &x)| (x, ratio(k))).collect::<Vec<_>>()),
            sweep_line("H200 · cuda, f16", 0, LineStyle::Dashed, &sizes.iter().enumerate().map(|(k, &x)| (x, ratio(k) + 0.01)).collect::<Vec<_>>()),
            sweep_line("VM · cpu, f32", 1, LineStyle::Dotted, &sizes[..6].iter().enumerate().map(|(k, &x)| (x, ratio(k) + 0.05)).collect::<Vec<_>>()),
        ],
        references: vec![
            reference(1.0, "1: no gain", "1", ReferenceKind::Threshold),
            reference(0.6, "3/5 = 0.600: memory-bound limit", "3/5", ReferenceKind::Bound),
            reference(4.0 / 7.0, "4/7 = 0.571: memory-bound limit, write-allocate", "4/7", ReferenceKind::Bound),
            reference(0.614, "paper: Dell 0.614 (size not stated)", "0.614", ReferenceKind::Published),
        ],
        markers: vec![SizeMarker { x: f64::from(50u32 << 20), label: "LLC 50 MiB · H200".to_owned(), color: 0 }],
    }
}

#[test]
fn sweep_chart_has_every_line_reference_tag_and_marker() {
    let chart = sweep_chart();
    let svg = sweep_chart_svg(&chart);
    assert_well_formed(&svg);
    assert_one_font(&svg);
    assert_eq!(svg, sweep_chart_svg(&chart), "deterministic");
    let t = texts(&svg);
    for want in [
        "H200 · cuda, f32",
        "H200 · cuda, f16",
        "VM · cpu, f32",
        "1: no gain",
        "3/5 = 0.600: memory-bound limit",
        "4/7 = 0.571: memory-bound limit, write-allocate",
        "paper: Dell 0.614 (size not stated)",
        "3/5",
        "4/7",
        "0.614",
        "LLC 50 MiB · H200",
        "bytes per vector (log2 axis)",
        "fused / unfused time",
    ] {
        assert!(shows_whole(&svg, want), "{want} missing: {t:?}");
    }
    // The x axis is labelled in binary units on powers of two.
    assert!(t.iter().any(|s| s == "1 MiB") && t.iter().any(|s| s == "1 GiB"), "{t:?}");
    // One dot per point: filled for solid lines, white under a ring for dashed, squares for dotted.
    // (the legend's samples have one dot each too).
    assert_eq!(count(&svg, "<circle"), (10 + 1) + (10 + 1) * 2);
    let squares = rects(&svg).iter().filter(|r| r.contains("fill=\"#E69F00\"")).count();
    assert_eq!(squares, 6 + 1, "the dotted line's points are squares");
    // Whiskers: a vertical stroke and two caps per point.
    let vertical = svg
        .split("<polyline")
        .skip(1)
        .filter(|p| {
            let start = p.find("points=\"").unwrap() + 8;
            let pts: Vec<(i32, i32)> = p[start..start + p[start..].find('"').unwrap()]
                .split_whitespace()
                .map(|xy| {
                    let (x, y) = xy.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            pts.len() == 2 && pts[0].0 == pts[1].0 && pts[0].1 != pts[1].1 && p.contains("stroke-width=\"1\"") && !p.contains("#000000")
        })
        .count();
    assert!(vertical >= 26, "{vertical} vertical strokes for 26 whiskers");
}

#[test]
fn sweep_chart_tags_that_collide_are_pushed_apart_and_stay_in_the_figure() {
    let mut chart = sweep_chart();
    chart.references = (0..12).map(|i| reference(0.6, &format!("limit {i}"), &format!("t{i}"), ReferenceKind::Bound)).collect();
    let svg = sweep_chart_svg(&chart);
    assert_well_formed(&svg);
    let ys: Vec<f64> = svg
        .split("<text")
        .skip(1)
        .filter(|t| {
            let body = &t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()];
            body.trim().starts_with('t') && body.trim().len() <= 3
        })
        .map(|t| {
            let start = t.find(" y=\"").unwrap() + 4;
            t[start..start + t[start..].find('"').unwrap()].parse().unwrap()
        })
        .collect();
    assert_eq!(ys.len(), 12);
    let (_, height) = size(&svg);
    let mut sorted = ys.clone();
    sorted.sort_by(f64::total_cmp);
    for pair in sorted.windows(2) {
        assert!(pair[1] - pair[0] >= 12.0, "tags overlap: {sorted:?}");
    }
    assert!(sorted.iter().all(|&y| y > 0.0 && y < f64::from(height)), "{sorted:?}");
}

#[test]
fn sweep_chart_degenerate_inputs_give_an_svg_without_panicking() {
    let nan = f64::NAN;
    let base = sweep_chart();
    let with = |series: Vec<SweepSeries>, y_scale: Scale| SweepChart { series, y_scale, ..base.clone() };
    let cases = vec![
        with(vec![], Scale::Linear),
        with(vec![sweep_line("a", 0, LineStyle::Solid, &[])], Scale::Linear),
        with(vec![sweep_line("a", 0, LineStyle::Solid, &[(nan, 1.0), (1024.0, nan), (0.0, 1.0), (-8.0, 1.0), (1e300, 1.0)])], Scale::Auto),
        with(vec![sweep_line("a", 0, LineStyle::Solid, &[(4096.0, 0.6)])], Scale::Linear),
        with(vec![sweep_line("a", 0, LineStyle::Solid, &[(4096.0, -1.0), (8192.0, 5.0)])], Scale::Log),
        with(vec![sweep_line("a", 0, LineStyle::Dashed, &[(4096.0, 2.0), (8192.0, 2.0)])], Scale::Auto),
        with(vec![sweep_line("a", 99, LineStyle::Dotted, &[(1.0, 1.0), (1e12, 5000.0)])], Scale::Auto),
        SweepChart { references: vec![reference(nan, "nan", "n", ReferenceKind::Bound)], markers: vec![SizeMarker { x: nan, label: "m".into(), color: 0 }], ..base.clone() },
        SweepChart { series: vec![sweep_line("<script>alert(1)</script> & \"x\"", 0, LineStyle::Solid, &[(1.0, 1.0), (2.0, 2.0)])], ..base.clone() },
    ];
    for c in &cases {
        let svg = sweep_chart_svg(c);
        assert_well_formed(&svg);
        assert_one_font(&svg);
    }
    for c in &cases[..3] {
        assert_eq!(sweep_chart_svg(c), empty_svg("no data"));
    }
    assert!(!sweep_chart_svg(&cases[3]).contains("no data"), "one point is a chart");
    // A value a log axis cannot show makes the axis linear, and both points are drawn.
    assert!(texts(&sweep_chart_svg(&cases[4])).iter().any(|t| t == "0"), "linear axis through 0");
    // Values spanning more than 30× get a log axis on Auto.
    let log = texts(&sweep_chart_svg(&cases[6]));
    assert!(log.iter().any(|t| t == "1000") && log.iter().any(|t| t == "10"), "{log:?}");
    let hostile = sweep_chart_svg(&cases[8]);
    assert!(!hostile.contains("<script") && shows_whole(&hostile, "<script>alert(1)</script> & \"x\""));
}
